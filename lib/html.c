/*
 * NAME
 *	html - text and links of an HTML part
 * SYNOPSIS
 *	#include "html.h"
 *
 *	void html_decode_entities(const char *text, size_t len,
 *				  struct strbuf *out)
 *	void html_to_text(const char *html, size_t len, struct strbuf *out)
 *	int html_hrefs(const char *html, size_t len, struct strlist *out,
 *		       size_t max)
 * DESCRIPTION
 *	Not an HTML parser: enough of the tokenizer's rules to see what a
 *	mail client shows and what a click opens.  Tags are "<" followed by a
 *	letter, "/" or "!"; attribute values are quoted with " or ', or run
 *	to white space or ">".  Comments "<!-- -->" are skipped whole.
 *
 *	html_decode_entities() appends text to out with &name; &#N; &#xN;
 *	decoded (numeric ones as UTF-8; NUL, surrogates and values past
 *	U+10FFFF as U+FFFD); an unknown or unterminated reference is kept as
 *	it is.  &nbsp; becomes a plain space, so that patterns see words.
 *
 *	html_to_text() appends the text of the page to out: block tags
 *	(p, br, div, td...) end a line, inline tags (b, span, a...) vanish.
 *
 *	html_hrefs() adds the href of every tag that has one, decoded.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "mymalloc.h"

static const struct {
	const char *name;
	const char *text;
} named_entities[] = {
	{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
	{"nbsp", " "}, {"shy", ""}, {"ndash", "-"}, {"mdash", "-"},
	{"lsquo", "'"}, {"rsquo", "'"}, {"ldquo", "\""}, {"rdquo", "\""},
	{"hellip", "..."}, {"copy", "(c)"}, {"reg", "(R)"}, {"colon", ":"},
	{"sol", "/"}, {"period", "."}, {"quest", "?"}, {"equals", "="},
	{"num", "#"}, {"percnt", "%"}, {"commat", "@"}, {"bsol", "\\"},
	{"tab", "\t"}, {"newline", "\n"},
	{NULL, NULL},
};

static void append_utf8(struct strbuf *out, unsigned long cp)
{
	char    b[4];

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		b[0] = (char) cp;
		sb_append(out, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char) (0xC0 | (cp >> 6));
		b[1] = (char) (0x80 | (cp & 0x3F));
		sb_append(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char) (0xE0 | (cp >> 12));
		b[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char) (0x80 | (cp & 0x3F));
		sb_append(out, b, 3);
	} else {
		b[0] = (char) (0xF0 | (cp >> 18));
		b[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char) (0x80 | (cp & 0x3F));
		sb_append(out, b, 4);
	}
}

/* numeric_entity - "#38" or "#x26" (without & and ;); -1 when it is not */

static int numeric_entity(const char *ref, size_t len, unsigned long *cp)
{
	int     hex = len > 1 && (ref[1] == 'x' || ref[1] == 'X');
	size_t  i = hex ? 2 : 1;
	unsigned long value = 0;

	if (len <= i)
		return -1;
	for (; i < len; i++) {
		if (hex ? !isxdigit((unsigned char) ref[i]) : !isdigit((unsigned char) ref[i]))
			return -1;
		value = value * (hex ? 16 : 10)
		    + (unsigned long) (isdigit((unsigned char) ref[i]) ? ref[i] - '0'
				       : tolower((unsigned char) ref[i]) - 'a' + 10);
		if (value > 0x10FFFF)
			value = 0x110000;	/* stays out of range, no overflow */
	}
	*cp = value;
	return 0;
}

/* decode_one - the reference at text[0] == '&'; its length, or 0 if none */

static size_t decode_one(const char *text, size_t len, struct strbuf *out)
{
	const char *semi;
	size_t  rlen;
	unsigned long cp;
	int     i;

	semi = memchr(text, ';', len < HTML_MAX_ENTITY ? len : HTML_MAX_ENTITY);
	if (semi == NULL || semi == text + 1)
		return 0;
	rlen = (size_t) (semi - text - 1);
	if (text[1] == '#') {
		if (numeric_entity(text + 1, rlen, &cp) < 0)
			return 0;
		append_utf8(out, cp);
		return rlen + 2;
	}
	for (i = 0; named_entities[i].name; i++) {
		if (strlen(named_entities[i].name) == rlen
		    && strncasecmp(named_entities[i].name, text + 1, rlen) == 0) {
			sb_appends(out, named_entities[i].text);
			return rlen + 2;
		}
	}
	return 0;
}

void html_decode_entities(const char *text, size_t len, struct strbuf *out)
{
	size_t  i = 0;
	size_t  used;
	size_t  run;

	if (out->data == NULL)
		sb_append(out, "", 0);
	while (i < len) {
		run = i;
		while (run < len && text[run] != '&')
			run++;
		sb_append(out, text + i, run - i);
		if ((i = run) >= len)
			break;
		used = decode_one(text + i, len - i, out);
		if (used == 0) {
			sb_append(out, "&", 1);
			used = 1;
		}
		i += used;
	}
}

/* A tag as the tokenizer sees it. */
struct html_tag {
	const char *name;		/* after '<' and an optional '/' */
	size_t  name_len;
	int     closing;
	const char *attrs;		/* after the name */
	const char *end;		/* the '>' (or the end of the text) */
};

static int starts_tag(const char *p, const char *end)
{
	return p + 1 < end && p[0] == '<'
	    && (isalpha((unsigned char) p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?');
}

/* tag_end - the '>' that ends the tag at p, quotes respected */

static const char *tag_end(const char *p, const char *end)
{
	char    quote = 0;

	for (; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			if (isspace((unsigned char) p[-1]) || p[-1] == '=')
				quote = *p;
		} else if (*p == '>')
			return p;
	}
	return end;
}

/* read_tag - the tag at p (p[0] == '<'); returns where reading goes on */

static const char *read_tag(const char *p, const char *end, struct html_tag *tag)
{
	const char *q;

	memset(tag, 0, sizeof(*tag));
	if (end - p >= 4 && strncmp(p, "<!--", 4) == 0) {
		for (q = p + 4; q + 2 < end && strncmp(q, "-->", 3) != 0; q++)
			;
		tag->end = q + 2 < end ? q + 2 : end;
		return tag->end < end ? tag->end + 1 : end;
	}
	q = p + 1;
	if (*q == '/') {
		tag->closing = 1;
		q++;
	}
	tag->name = q;
	while (q < end && (isalnum((unsigned char) *q) || *q == '-' || *q == ':'))
		q++;
	tag->name_len = (size_t) (q - tag->name);
	tag->attrs = q;
	tag->end = tag_end(q, end);
	return tag->end < end ? tag->end + 1 : end;
}

static int tag_is(const struct html_tag *tag, const char *name)
{
	return tag->name_len == strlen(name) && strncasecmp(tag->name, name, tag->name_len) == 0;
}

static int is_block_tag(const struct html_tag *tag)
{
	static const char *blocks[] = {
		"br", "p", "div", "tr", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6",
		"td", "th", "blockquote", "pre", "hr", "ul", "ol", "title", NULL,
	};
	int     i;

	for (i = 0; blocks[i]; i++)
		if (tag_is(tag, blocks[i]))
			return 1;
	return 0;
}

/* skip_raw - past "</name" ... ">" for script and style */

static const char *skip_raw(const char *p, const char *end, const struct html_tag *tag)
{
	for (; p + 1 + tag->name_len < end; p++)
		if (p[0] == '<' && p[1] == '/' && strncasecmp(p + 2, tag->name, tag->name_len) == 0)
			return tag_end(p, end) < end ? tag_end(p, end) + 1 : end;
	return end;
}

void html_to_text(const char *html, size_t len, struct strbuf *out)
{
	const char *p = html;
	const char *end = html + len;
	const char *run;
	struct html_tag tag;

	if (out->data == NULL)
		sb_append(out, "", 0);
	while (p < end) {
		run = p;
		while (p < end && !starts_tag(p, end))
			p++;
		html_decode_entities(run, (size_t) (p - run), out);
		if (p >= end)
			break;
		p = read_tag(p, end, &tag);
		if (tag.name && is_block_tag(&tag))
			sb_append(out, "\n", 1);	/* inline tags join: exam<b>ple</b> */
		if (tag.name && !tag.closing && (tag_is(&tag, "script") || tag_is(&tag, "style")))
			p = skip_raw(p, end, &tag);
	}
}

/* attr_value - the value of one attribute at *pp; advances; name returned */

static int next_attr(const char **pp, const char *end, const char **name, size_t *name_len,
		     const char **value, size_t *value_len)
{
	const char *p = *pp;
	char    quote;

	while (p < end && (isspace((unsigned char) *p) || *p == '/'))
		p++;
	if (p >= end)
		return 0;
	*name = p;
	while (p < end && !isspace((unsigned char) *p) && *p != '=' && *p != '/')
		p++;
	*name_len = (size_t) (p - *name);
	while (p < end && isspace((unsigned char) *p))
		p++;
	*value = p;
	*value_len = 0;
	if (p < end && *p == '=') {
		for (p++; p < end && isspace((unsigned char) *p); p++)
			;
		if (p < end && (*p == '"' || *p == '\'')) {
			quote = *p++;
			*value = p;
			while (p < end && *p != quote)
				p++;
			*value_len = (size_t) (p - *value);
			if (p < end)
				p++;
		} else {
			*value = p;
			while (p < end && !isspace((unsigned char) *p))
				p++;
			*value_len = (size_t) (p - *value);
		}
	}
	if (*name_len == 0 && p < end)
		p++;			/* a stray character: step over it */
	*pp = p;
	return 1;
}

/* tag_href - 1 when tag has an href; its value decoded added to out
 * (when out is not NULL) */

static int tag_href(const struct html_tag *tag, struct strlist *out)
{
	struct strbuf value = STRBUF_INIT;
	const char *p = tag->attrs;
	const char *name;
	const char *v;
	size_t  name_len;
	size_t  v_len;

	while (next_attr(&p, tag->end, &name, &name_len, &v, &v_len)) {
		if (name_len == 4 && strncasecmp(name, "href", 4) == 0) {
			if (out) {
				html_decode_entities(v, v_len, &value);
				strlist_add_owned(out, sb_steal(&value));
			}
			return 1;
		}
	}
	return 0;
}

int html_hrefs(const char *html, size_t len, struct strlist *out, size_t max)
{
	const char *p = html;
	const char *end = html + len;
	struct html_tag tag;
	size_t  found = 0;

	while (p < end) {
		while (p < end && !starts_tag(p, end))
			p++;
		if (p >= end)
			break;
		p = read_tag(p, end, &tag);
		if (tag.name == NULL || tag.closing || tag.name_len == 0)
			continue;
		if (tag_href(&tag, found < max ? out : NULL) && found++ >= max)
			return 1;
		if (!tag.closing && (tag_is(&tag, "script") || tag_is(&tag, "style")))
			p = skip_raw(p, end, &tag);
	}
	return 0;
}
