/*
 * NAME
 *	authres - parse one Authentication-Results header field (RFC 8601)
 * SYNOPSIS
 *	#include "authres.h"
 *
 *	int authres_parse(const char *value, size_t len, struct authres *ar)
 *	const char *authres_dkim_domain(const struct authres_result *res)
 * DESCRIPTION
 *	authres_parse() reads the field body (after "Authentication-Results:"):
 *	the authserv-id, an optional version, then ";"-separated results
 *	"method[/version]=result [reason=value] [ptype.property=value ...]".
 *	Comments in parentheses (nested, with \ escapes) may appear anywhere
 *	and are dropped; folding white space is one space; quoted strings
 *	are unquoted.  Only header.d and header.i are kept of the properties.
 *	A value longer than its field is kept as "" (never cut short: a cut
 *	domain name is another domain name).  A result that does not parse
 *	(and "none") is skipped; a field without an authserv-id and at least one ";" is
 *	not Authentication-Results at all: -1.
 *
 *	authres_dkim_domain() is header.d, else what follows the "@" of
 *	header.i.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "mymalloc.h"

/* A cursor over the comment-free text of the field. */
struct ar_scan {
	const char *p;
	const char *end;
};

/* skip_quoted - past the quoted string at *i (which is '"'); -1 unterminated */

static int skip_quoted(const char *v, size_t len, size_t *i, char *out, size_t *o)
{
	out[(*o)++] = v[(*i)++];
	while (*i < len && v[*i] != '"') {
		if (v[*i] == '\\' && *i + 1 < len)
			out[(*o)++] = v[(*i)++];
		out[(*o)++] = v[(*i)++];
	}
	if (*i >= len)
		return -1;
	out[(*o)++] = v[(*i)++];
	return 0;
}

/* skip_comment - past the comment at *i (which is '('), nested; -1 if bad */

static int skip_comment(const char *v, size_t len, size_t *i)
{
	int     depth = 0;

	for (; *i < len; (*i)++) {
		if (v[*i] == '\\' && *i + 1 < len)
			(*i)++;
		else if (v[*i] == '(' && ++depth > AUTHRES_MAX_COMMENT)
			return -1;
		else if (v[*i] == ')' && --depth == 0) {
			(*i)++;
			return 0;
		}
	}
	return -1;
}

/* strip_comments - a copy without comments, white space as ' '; NULL if bad */

static char *strip_comments(const char *v, size_t len)
{
	char   *out = xmalloc(len + 1);
	size_t  i = 0;
	size_t  o = 0;
	int     bad = 0;

	while (i < len && !bad) {
		if (v[i] == 0)
			bad = 1;
		else if (v[i] == '"')
			bad = skip_quoted(v, len, &i, out, &o) < 0;
		else if (v[i] == '(') {
			bad = skip_comment(v, len, &i) < 0;
			out[o++] = ' ';
		} else if (isspace((unsigned char) v[i])) {
			out[o++] = ' ';
			i++;
		} else
			out[o++] = v[i++];
	}
	out[o] = 0;
	if (bad) {
		free(out);
		return NULL;
	}
	return out;
}

static void skip_space(struct ar_scan *s)
{
	while (s->p < s->end && *s->p == ' ')
		s->p++;
}

/* next_word - a token or quoted string, unquoted, into buf ("" if too long);
 * stops at space, ';' and (for a name, not a value) '='.  0 if none. */

static int next_word(struct ar_scan *s, char *buf, size_t size, int is_value)
{
	size_t  n = 0;
	int     too_long = 0;
	int     quoted;

	skip_space(s);
	if (s->p >= s->end || *s->p == '=' || *s->p == ';')
		return 0;	/* a value may hold '=', but not start with it */
	quoted = *s->p == '"';
	if (quoted)
		s->p++;
	while (s->p < s->end) {
		if (quoted ? *s->p == '"' : (*s->p == ' ' || *s->p == ';' || (*s->p == '=' && !is_value)))
			break;
		if (quoted && *s->p == '\\' && s->p + 1 < s->end)
			s->p++;
		if (n + 1 < size)
			buf[n++] = *s->p;
		else
			too_long = 1;
		s->p++;
	}
	if (quoted && s->p < s->end)
		s->p++;
	buf[too_long ? 0 : n] = 0;
	return 1;
}

/* next_pair - "name = value"; 0 at the end of the result, -1 if malformed */

static int next_pair(struct ar_scan *s, char *name, size_t nsize, char *value, size_t vsize)
{
	if (!next_word(s, name, nsize, 0))
		return 0;
	skip_space(s);
	if (s->p >= s->end || *s->p != '=')
		return -1;
	s->p++;
	if (!next_word(s, value, vsize, 1))
		return -1;
	return 1;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char) tolower((unsigned char) *s);
}

/* parse_result - one resinfo (between two ';') into res; -1 to skip it */

static int parse_result(struct ar_scan *s, struct authres_result *res)
{
	char    name[AUTHRES_MAX_VALUE];
	char    value[AUTHRES_MAX_VALUE];
	char   *slash;
	int     rc;

	memset(res, 0, sizeof(*res));
	if (next_pair(s, res->method, sizeof(res->method), res->result, sizeof(res->result)) <= 0)
		return -1;
	if ((slash = strchr(res->method, '/')) != NULL)
		*slash = 0;
	lower(res->method);
	lower(res->result);
	if (res->method[0] == 0 || res->result[0] == 0)
		return -1;
	while ((rc = next_pair(s, name, sizeof(name), value, sizeof(value))) > 0) {
		lower(name);
		if (strcmp(name, "header.d") == 0)
			strcpy(res->header_d, value);
		else if (strcmp(name, "header.i") == 0)
			strcpy(res->header_i, value);
	}
	return rc < 0 ? -1 : 0;
}

/* parse_head - authserv-id and optional version, up to the first ';' */

static int parse_head(struct ar_scan *s, struct authres *ar)
{
	char    version[AUTHRES_MAX_TOKEN];

	if (!next_word(s, ar->authserv_id, sizeof(ar->authserv_id), 0) || ar->authserv_id[0] == 0)
		return -1;
	if (next_word(s, version, sizeof(version), 0) && strspn(version, "0123456789") != strlen(version))
		return -1;
	skip_space(s);
	return s->p < s->end && *s->p == ';' ? 0 : -1;
}

/* next_segment - the scan up to the next ';' (quotes are gone by now) */

static struct ar_scan next_segment(const char **cur, const char *end)
{
	struct ar_scan seg;
	int     quoted = 0;
	const char *p;

	seg.p = *cur;
	for (p = *cur; p < end && (quoted || *p != ';'); p++) {
		if (*p == '\\' && quoted && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
	}
	seg.end = p;
	*cur = p < end ? p + 1 : p;
	return seg;
}

int authres_parse(const char *value, size_t len, struct authres *ar)
{
	struct ar_scan s;
	struct ar_scan seg;
	const char *cur;
	char   *text;

	memset(ar, 0, sizeof(*ar));
	if ((text = strip_comments(value, len)) == NULL)
		return -1;
	s.p = text;
	s.end = text + strlen(text);
	if (parse_head(&s, ar) < 0) {
		free(text);
		return -1;
	}
	cur = s.p + 1;
	while (cur < s.end && ar->count < AUTHRES_MAX_RESULTS) {
		seg = next_segment(&cur, s.end);
		if (parse_result(&seg, &ar->results[ar->count]) == 0)
			ar->count++;
	}
	free(text);
	return 0;
}

const char *authres_dkim_domain(const struct authres_result *res)
{
	const char *at;

	if (res->header_d[0])
		return res->header_d;
	if ((at = strrchr(res->header_i, '@')) != NULL)
		return at + 1;
	return "";
}
