/*
 * NAME
 *	approve_page - what a page of the CA's site says
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	char *approve_page_text(const char *html, size_t len)
 *	int approve_patterns_match(const struct strlist *patterns,
 *				   const char *text, char *what, size_t what_len)
 * DESCRIPTION
 *	approve_page_text() returns the text a person would read: tags
 *	and NUL bytes dropped, "&nbsp;" "&amp;" "&quot;" "&#39;" decoded,
 *	every run of white space one space.  The caller frees it.
 *
 *	approve_patterns_match() is 1 when one of the PCRE2 patterns
 *	matches text, ignoring case; what (when not NULL) then receives the
 *	matched text, cut to what_len - 1 bytes.  A pattern that does not
 *	compile is reported with msg_warn() and, when nothing else
 *	matched, makes the result -1, so that a caller checking for a
 *	reject link can fail closed.  The profile loader is where such
 *	patterns should be refused in the first place.
 * LICENSE
 *	See the README of mailcert.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "approve.h"
#include "msg.h"
#include "mymalloc.h"

static const struct {
	const char *name;
	char    ch;
} entities[] = {
	{"&nbsp;", ' '},
	{"&amp;", '&'},
	{"&quot;", '"'},
	{"&#39;", '\''},
	{"&lt;", '<'},
	{"&gt;", '>'},
	{NULL, 0},
};

/* entity_at - the character of an entity at p, 0 if none; *len its length */

static char entity_at(const char *p, size_t left, size_t *len)
{
	int i;

	for (i = 0; entities[i].name; i++) {
		*len = strlen(entities[i].name);
		if (*len <= left && strncasecmp(p, entities[i].name, *len) == 0)
			return entities[i].ch;
	}
	return 0;
}

static void add_char(struct strbuf *out, char ch)
{
	if (isspace((unsigned char) ch) || ch == 0) {
		if (out->len > 0 && out->data[out->len - 1] != ' ')
			sb_append(out, " ", 1);
		return;
	}
	sb_append(out, &ch, 1);
}

char *approve_page_text(const char *html, size_t len)
{
	struct strbuf out = STRBUF_INIT;
	size_t i = 0;
	size_t elen;
	char ch;

	sb_append(&out, "", 0);
	while (i < len) {
		if (html[i] == '<') {
			while (i < len && html[i] != '>')
				i++;
			add_char(&out, ' ');
			i++;
			continue;
		}
		if (html[i] == '&' && (ch = entity_at(html + i, len - i, &elen)) != 0) {
			add_char(&out, ch);
			i += elen;
			continue;
		}
		add_char(&out, html[i++]);
	}
	return sb_steal(&out);
}

/* match_one - 1 match, 0 no match, -1 the pattern is bad */

static int match_one(const char *pattern, const char *text, char *what, size_t what_len)
{
	pcre2_code *re;
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	PCRE2_SIZE erroff;
	int errcode;
	int rc;

	re = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C, &errcode, &erroff, NULL);
	if (re == NULL)
		return -1;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR) text, strlen(text), 0, 0, md, NULL);
	if (rc > 0 && what && what_len > 0) {
		ov = pcre2_get_ovector_pointer(md);
		snprintf(what, what_len, "%.*s", (int) (ov[1] - ov[0]), text + ov[0]);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc > 0 ? 1 : 0;
}

int approve_patterns_match(const struct strlist *patterns, const char *text,
			           char *what, size_t what_len)
{
	size_t i;
	int bad = 0;
	int rc;

	if (patterns == NULL || text == NULL)
		return 0;
	for (i = 0; i < patterns->count; i++) {
		rc = match_one(patterns->items[i], text, what, what_len);
		if (rc < 0) {
			msg_warn("approval pattern \"%s\" does not compile", patterns->items[i]);
			bad = 1;
		}
		if (rc > 0)
			return 1;
	}
	return bad ? -1 : 0;
}
