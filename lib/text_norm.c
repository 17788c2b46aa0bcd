/*
 * NAME
 *	text_norm - the Unicode punctuation of mail text, as plain ASCII
 * SYNOPSIS
 *	#include "text_norm.h"
 *
 *	void text_normalize(const char *text, size_t len, struct strbuf *out)
 * DESCRIPTION
 *	Mail clients and CA templates write a validation code, an order
 *	number or a link next to characters that look like ASCII punctuation
 *	but are not: a no-break space after a link, a non-breaking hyphen
 *	inside a code, curly quotes around it.  The parser normalises the
 *	text a person reads once, here, before links are found and patterns
 *	run, so that a code is read whole and a link ends where the reader
 *	sees it end:
 *
 *	spaces		U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F,
 *			U+3000 become ' '
 *	hyphens		U+2010..U+2015, U+2212, U+FE58, U+FE63, U+FF0D become '-'
 *	quotes		U+2018, U+2019, U+201A, U+201B, U+2032 become '\'';
 *			U+201C..U+201F, U+2033, U+00AB, U+00BB become '"'
 *	punctuation	U+FF1A (fullwidth colon) ':', U+2024 '.', U+2026 "..."
 *	invisible	U+00AD (soft hyphen), U+200B..U+200D, U+2060, U+FEFF
 *			are removed
 *
 *	Everything else, valid or not, is copied as it is.  Output is never
 *	longer than the input, and the work is one pass.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "text_norm.h"

struct mapping {
	unsigned long cp;
	const char *ascii;		/* "" to remove */
};

static const struct mapping mappings[] = {
	{0x00A0, " "}, {0x00AB, "\""}, {0x00AD, ""}, {0x00BB, "\""}, {0x1680, " "},
	{0x2000, " "}, {0x2001, " "}, {0x2002, " "}, {0x2003, " "}, {0x2004, " "},
	{0x2005, " "}, {0x2006, " "}, {0x2007, " "}, {0x2008, " "}, {0x2009, " "},
	{0x200A, " "}, {0x200B, ""}, {0x200C, ""}, {0x200D, ""}, {0x2010, "-"},
	{0x2011, "-"}, {0x2012, "-"}, {0x2013, "-"}, {0x2014, "-"}, {0x2015, "-"},
	{0x2018, "'"}, {0x2019, "'"}, {0x201A, "'"}, {0x201B, "'"}, {0x201C, "\""},
	{0x201D, "\""}, {0x201E, "\""}, {0x201F, "\""}, {0x2024, "."}, {0x2026, "..."},
	{0x202F, " "}, {0x2032, "'"}, {0x2033, "\""}, {0x205F, " "}, {0x2060, ""},
	{0x2212, "-"}, {0x3000, " "}, {0xFE58, "-"}, {0xFE63, "-"}, {0xFEFF, ""},
	{0xFF0D, "-"}, {0xFF1A, ":"},
};

#define MAPPING_COUNT (sizeof(mappings) / sizeof(mappings[0]))

/* mapped - the ASCII of cp, or NULL to keep it (a binary search) */

static const char *mapped(unsigned long cp)
{
	size_t  lo = 0;
	size_t  hi = MAPPING_COUNT;

	while (lo < hi) {
		size_t  mid = (lo + hi) / 2;

		if (mappings[mid].cp == cp)
			return mappings[mid].ascii;
		if (mappings[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* decode - a two- or three-byte sequence at s; its length, 0 otherwise */

static size_t decode(const unsigned char *s, size_t left, unsigned long *cp)
{
	if (left >= 2 && s[0] >= 0xC2 && s[0] <= 0xDF && (s[1] & 0xC0) == 0x80) {
		*cp = ((unsigned long) (s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (left >= 3 && s[0] >= 0xE0 && s[0] <= 0xEF && (s[1] & 0xC0) == 0x80
	    && (s[2] & 0xC0) == 0x80) {
		*cp = ((unsigned long) (s[0] & 0x0F) << 12) | ((unsigned long) (s[1] & 0x3F) << 6)
		    | (s[2] & 0x3F);
		return *cp >= 0x800 ? 3 : 0;
	}
	return 0;
}

void text_normalize(const char *text, size_t len, struct strbuf *out)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t  i = 0;
	size_t  run = 0;
	size_t  n;
	unsigned long cp;
	const char *ascii;

	if (out->data == NULL)
		sb_append(out, "", 0);
	while (i < len) {
		if (s[i] < 0xC2 || (n = decode(s + i, len - i, &cp)) == 0
		    || (ascii = mapped(cp)) == NULL) {
			i++;
			continue;
		}
		sb_append(out, text + run, i - run);
		sb_appends(out, ascii);
		i += n;
		run = i;
	}
	sb_append(out, text + run, len - run);
}
