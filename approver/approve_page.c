/*
 * NAME
 *	approve_page - what the CA's page says
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	char *approve_page_text(const char *html, size_t len)
 *	int approve_patterns_match(const struct pattern_list *patterns,
 *				   const char *text, char *what, size_t what_len)
 * DESCRIPTION
 *	approve_page_text() is the page as a person reads it: the one HTML
 *	converter of mailcert (html.c), its punctuation normalised
 *	(text_norm.c), white space runs as one space.
 *
 *	approve_patterns_match() is 1 when one of the profile's compiled
 *	patterns (pattern.c: the one PCRE2 wrapper, with its match and depth
 *	limits) matches text, with what it matched in what (printable); else
 *	0.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "html.h"
#include "mymalloc.h"
#include "printable.h"
#include "text_norm.h"

char   *approve_page_text(const char *html, size_t len)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf plain = STRBUF_INIT;
	struct strbuf out = STRBUF_INIT;
	size_t  i;
	int     space = 0;

	html_to_text(html, len, &text);
	text_normalize(text.data, text.len, &plain);
	sb_append(&out, "", 0);
	for (i = 0; i < plain.len; i++) {
		if (isspace((unsigned char) plain.data[i]) || plain.data[i] == 0) {
			space = out.len > 0;
			continue;
		}
		if (space)
			sb_append(&out, " ", 1);
		space = 0;
		sb_append(&out, plain.data + i, 1);
	}
	sb_free(&text);
	sb_free(&plain);
	return sb_steal(&out);
}

int approve_patterns_match(const struct pattern_list *patterns, const char *text,
			   char *what, size_t what_len)
{
	struct pattern_span span;
	struct strbuf sb = STRBUF_INIT;
	int     more;

	if (patterns == NULL || text == NULL)
		return 0;
	if (pattern_list_find_all(patterns, text, strlen(text), &span, 1, &more) == 0)
		return 0;
	if (what && what_len > 0) {
		printable_append(&sb, text + span.start, span.end - span.start, what_len - 1,
				 PRINTABLE_ASCII | PRINTABLE_SPACES);
		memcpy(what, sb_str(&sb), sb.len + 1);
		sb_free(&sb);
	}
	return 1;
}
