/*
 * NAME
 *	printable - make a stranger's text safe for a header, a log or a terminal
 * SYNOPSIS
 *	#include "printable.h"
 *
 *	void printable_append(struct strbuf *out, const char *text, size_t len,
 *			      size_t max, int flags)
 *	void printable_buf(char *buf, size_t size, const char *text, int flags)
 *	char *printable_dup(const char *text, int flags)
 * DESCRIPTION
 *	Everything mailcert shows that came from a mail (subjects, addresses,
 *	links, file names, reasons quoting them) goes through here once, on
 *	its way out: into an X-Mailcert header, a log line, or the operator's
 *	terminal.  Nothing else in mailcert decides what is printable.
 *
 *	PRINTABLE_ASCII keeps the bytes 0x20..0x7e and writes '?' for every
 *	other byte: what a mail header and syslog can carry.
 *
 *	PRINTABLE_ESCAPE keeps valid UTF-8 (so a domain in a subject reads as
 *	it was written) but writes as escapes what a terminal would act on or
 *	what would hide text from the reader: C0 controls and DEL as \xNN, C1
 *	controls (U+0080..U+009F, which some terminals take for ESC [ ), the
 *	bidirectional embeddings, overrides and isolates (U+202A..U+202E,
 *	U+2066..U+2069) and zero-width characters as \u{NNNN}, and a byte
 *	that is not part of valid UTF-8 as \xNN.  A backslash is written
 *	as \\, so that no escape can be forged.
 *
 *	PRINTABLE_SPACES turns CR, LF and TAB into a space first.  max
 *	bounds the output in bytes (an escape is never cut in half);
 *	PRINTABLE_ELLIPSIS adds "..." when something was left out.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "printable.h"

/* utf8_decode - the code point at s (len bytes left); its length, 0 if bad */

static size_t utf8_decode(const unsigned char *s, size_t len, unsigned long *cp)
{
	size_t  need;
	size_t  i;
	unsigned long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 1, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 2, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 3, c = s[0] & 0x07;
	else
		return 0;
	if (len < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((need == 2 && c < 0x800) || (need == 3 && (c < 0x10000 || c > 0x10FFFF))
	    || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need + 1;
}

/* hidden_code_point - shown as an escape on a terminal */

static int hidden_code_point(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9F)		/* C1 controls */
	    || (cp >= 0x200B && cp <= 0x200F)		/* zero width, LRM, RLM */
	    || (cp >= 0x202A && cp <= 0x202E)		/* embeddings, overrides */
	    || (cp >= 0x2066 && cp <= 0x2069)		/* isolates */
	    || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

/* room - may n more bytes be written under max? */

static int room(const struct strbuf *out, size_t start, size_t max, size_t n)
{
	return max == 0 || out->len - start + n <= max;
}

void printable_append(struct strbuf *out, const char *text, size_t len, size_t max, int flags)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t  start = out->len;
	size_t  i = 0;
	size_t  n;
	unsigned long cp;
	char    esc[16];
	int     cut = 0;

	if (out->data == NULL)
		sb_append(out, "", 0);
	while (text && i < len) {
		unsigned char c = s[i];

		if ((flags & PRINTABLE_SPACES) && (c == '\r' || c == '\n' || c == '\t'))
			c = ' ';
		if (c >= 0x20 && c < 0x7f) {
			const char *lit = c == '\\' && (flags & PRINTABLE_ESCAPE) ? "\\\\" : NULL;

			n = lit ? 2 : 1;
			if (!room(out, start, max, n)) {
				cut = 1;
				break;
			}
			if (lit)
				sb_append(out, lit, 2);
			else
				sb_append(out, (const char *) &c, 1);
			i++;
			continue;
		}
		if (flags & PRINTABLE_ASCII || !(flags & PRINTABLE_ESCAPE)) {
			if (!room(out, start, max, 1)) {
				cut = 1;
				break;
			}
			sb_append(out, "?", 1);
			n = c < 0x80 ? 0 : utf8_decode(s + i, len - i, &cp);
			i += n ? n : 1;
			continue;
		}
		n = c < 0x80 ? 0 : utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else if (hidden_code_point(cp))
			snprintf(esc, sizeof(esc), "\\u{%04lx}", cp);
		else
			esc[0] = 0;
		if (!room(out, start, max, esc[0] ? strlen(esc) : n)) {
			cut = 1;
			break;
		}
		if (esc[0])
			sb_appends(out, esc);
		else
			sb_append(out, text + i, n);
		i += n ? n : 1;
	}
	if (cut && (flags & PRINTABLE_ELLIPSIS)) {
		while (out->len > start && out->len - start + 3 > max) {
			/* step back over whole characters and escapes */
			out->len--;
			while (out->len > start && ((unsigned char) out->data[out->len] & 0xC0) == 0x80)
				out->len--;
		}
		out->data[out->len] = 0;
		sb_append(out, "...", 3);
	}
}

void printable_buf(char *buf, size_t size, const char *text, int flags)
{
	struct strbuf sb = STRBUF_INIT;

	if (size == 0)
		return;
	printable_append(&sb, text ? text : "", text ? strlen(text) : 0, size - 1, flags);
	memcpy(buf, sb_str(&sb), sb.len + 1);
	sb_free(&sb);
}

char   *printable_dup(const char *text, int flags)
{
	struct strbuf sb = STRBUF_INIT;

	printable_append(&sb, text ? text : "", text ? strlen(text) : 0, 0, flags);
	return sb_steal(&sb);
}
