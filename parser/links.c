/*
 * NAME
 *	links - find the links of a mail as a person would click them
 * SYNOPSIS
 *	#include "links.h"
 *
 *	int links_in_text(const char *text, size_t len, struct strlist *out,
 *			  size_t max)
 *	int links_add_href(struct strlist *out, const char *href, size_t max)
 *	void link_describe(const char *url, char *buf, size_t size)
 * DESCRIPTION
 *	links_in_text() finds what a mail client turns into a link in plain
 *	text: "http://" or "https://" (any case) up to white space, a control
 *	character, '<', '>' or '"'.  Trailing '.', ',', ';', ':', '!', '?',
 *	quotes, and closing brackets that open nowhere in the link are not
 *	part of it.  Non-ASCII bytes are kept, so that link_check() sees and
 *	refuses a look-alike host.
 *
 *	links_add_href() adds an href after removing tab, CR and LF anywhere
 *	and controls and spaces at either end, as the URL standard says a
 *	browser does.  Any scheme is kept: javascript: and relative links
 *	are refused later by link_check() if they look like approval links.
 *
 *	Both keep at most max links and do not add one twice; links_in_text()
 *	looks at no more than LINKS_SEEN_FACTOR * max of them, repeats
 *	included, so a text of one link a million times costs little.
 *
 *	link_describe() quotes a link in a reason: shortened, printable.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "links.h"
#include "printable.h"
#include "mymalloc.h"
#include "strbuf.h"

/* add_unique - 1 when the list is full, else 0 (added or already there) */

static int add_unique(struct strlist *out, const char *link, size_t len, size_t max)
{
	char   *copy;
	size_t  i;

	if (len == 0)
		return 0;
	if (len > LINK_MAX_LENGTH)
		len = LINK_MAX_LENGTH;
	copy = xstrndup(link, len);
	for (i = 0; i < out->count; i++) {
		if (strcmp(out->items[i], copy) == 0) {
			free(copy);
			return 0;
		}
	}
	if (out->count >= max) {
		free(copy);
		return 1;
	}
	strlist_add_owned(out, copy);
	return 0;
}

static int ends_link(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"';
}

/* trim_trailing - the length of the link without the punctuation after
 * it; one count of each bracket, then one pass back: linear in len */

static size_t trim_trailing(const char *s, size_t len)
{
	static const char pairs[] = "()[]{}";
	size_t  opened[3] = {0, 0, 0};
	size_t  closed[3] = {0, 0, 0};
	const char *pair;
	size_t  kind;
	size_t  i;
	char    last;

	for (i = 0; i < len; i++) {
		if (s[i] && (pair = strchr(pairs, s[i])) != NULL) {
			kind = (size_t) (pair - pairs) / 2;
			if ((pair - pairs) % 2 == 0)
				opened[kind]++;
			else
				closed[kind]++;
		}
	}
	while (len > 0) {
		last = s[len - 1];
		if (strchr(".,;:!?'", last)) {
			len--;
			continue;
		}
		pair = last ? strchr(pairs, last) : NULL;
		if (pair && (pair - pairs) % 2 == 1 && opened[(pair - pairs) / 2] < closed[(pair - pairs) / 2]) {
			closed[(pair - pairs) / 2]--;
			len--;
			continue;
		}
		break;
	}
	return len;
}

static size_t scheme_at(const char *p, size_t left)
{
	if (left >= 8 && strncasecmp(p, "https://", 8) == 0)
		return 8;
	if (left >= 7 && strncasecmp(p, "http://", 7) == 0)
		return 7;
	return 0;
}

int links_in_text(const char *text, size_t len, struct strlist *out, size_t max)
{
	size_t  i = 0;
	size_t  start;
	size_t  scheme;
	size_t  seen = 0;

	while (i < len) {
		if ((text[i] != 'h' && text[i] != 'H') || (scheme = scheme_at(text + i, len - i)) == 0) {
			i++;
			continue;
		}
		start = i;
		i += scheme;
		while (i < len && !ends_link((unsigned char) text[i]))
			i++;
		if (i - start > scheme && (++seen > max * LINKS_SEEN_FACTOR
					   || add_unique(out, text + start, trim_trailing(text + start, i - start), max)))
			return 1;
	}
	return 0;
}

int links_add_href(struct strlist *out, const char *href, size_t max)
{
	struct strbuf clean = STRBUF_INIT;
	size_t  len = strlen(href);
	size_t  start = 0;
	size_t  i;
	int     full;

	while (start < len && (unsigned char) href[start] <= 0x20)
		start++;
	while (len > start && (unsigned char) href[len - 1] <= 0x20)
		len--;
	for (i = start; i < len; i++)
		if (href[i] != '\t' && href[i] != '\r' && href[i] != '\n')
			sb_append(&clean, href + i, 1);
	full = clean.len ? add_unique(out, clean.data, clean.len, max) : 0;
	sb_free(&clean);
	return full;
}

void link_describe(const char *url, char *buf, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	size_t  max = size - 1 < LINK_DESCRIBE_LENGTH ? size - 1 : LINK_DESCRIBE_LENGTH;

	if (size == 0)
		return;
	printable_append(&sb, url, strlen(url), max, PRINTABLE_ASCII | PRINTABLE_ELLIPSIS);
	memcpy(buf, sb_str(&sb), sb.len + 1);
	sb_free(&sb);
}
