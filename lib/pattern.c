/*
 * NAME
 *	pattern - PCRE2 pattern lists with match limits
 * SYNOPSIS
 *	#include "pattern.h"
 *
 *	void pattern_list_init(struct pattern_list *list)
 *	void pattern_list_add(struct pattern_list *list, const char *source,
 *			      int line)
 *	void pattern_list_add_from(struct pattern_list *list,
 *				   const char *source, int line,
 *				   const char *file)
 *	void pattern_list_extend(struct pattern_list *list, const char *more)
 *	int pattern_list_compile(struct pattern_list *list, const char *origin,
 *				 struct strbuf *err)
 *	int pattern_list_match(const struct pattern_list *list,
 *			       const char *text, size_t len)
 *	char *pattern_list_capture(const struct pattern_list *list,
 *				   const char *text, size_t len)
 *	size_t pattern_list_find_all(const struct pattern_list *list,
 *				     const char *text, size_t len,
 *				     struct pattern_span *spans, size_t max,
 *				     int *more)
 *	void pattern_list_free(struct pattern_list *list)
 * DESCRIPTION
 *	pattern_list_add() appends the text of one pattern written at line of
 *	its file; pattern_list_add_from() one written in another file than
 *	the rest of the list (an extension of a profile), whose name it keeps
 *	for messages; pattern_list_extend() appends more text to the last one
 *	(a continuation line).  pattern_list_compile() compiles them all,
 *	caseless, in UTF-8 with Unicode properties (\s matches a no-break
 *	space, as a reader sees it), and able to match text that is not
 *	valid UTF-8 (mail is not trusted to be); on error it returns -1 with
 *	"ORIGIN:LINE: what" in err.
 *
 *	pattern_list_match() and pattern_list_capture() are safe to call from
 *	several threads at once: match data is allocated per call.  A match
 *	that runs into a limit counts as no match.  This file is the one
 *	place mailcert runs PCRE2: the parser on mail, the approver on the
 *	CA's pages, both under the same limits.
 *
 *	pattern_list_find_all() gives the place of every capture, so that a
 *	caller can see what stands next to it (a code must not go on past
 *	what the pattern took) and whether two captures disagree.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "pattern.h"

#define PATTERN_OPTIONS	(PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF)

void pattern_list_init(struct pattern_list *list)
{
	memset(list, 0, sizeof(*list));
}

void pattern_list_add_from(struct pattern_list *list, const char *source, int line,
			   const char *file)
{
	strlist_add(&list->sources, source);
	strlist_add(&list->files, file ? file : "");
	list->lines = xrealloc(list->lines, list->sources.count * sizeof(int));
	list->lines[list->sources.count - 1] = line;
}

void pattern_list_add(struct pattern_list *list, const char *source, int line)
{
	pattern_list_add_from(list, source, line, NULL);
}

void pattern_list_extend(struct pattern_list *list, const char *more)
{
	struct strbuf sb = STRBUF_INIT;
	size_t last;

	if (list->sources.count == 0)
		return;
	last = list->sources.count - 1;
	sb_appends(&sb, list->sources.items[last]);
	sb_appends(&sb, more);
	free(list->sources.items[last]);
	list->sources.items[last] = sb_steal(&sb);
}

static pcre2_match_context *new_limits(void)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);

	if (mc == NULL)
		return NULL;
	pcre2_set_match_limit(mc, PATTERN_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, PATTERN_DEPTH_LIMIT);
	pcre2_set_heap_limit(mc, PATTERN_HEAP_LIMIT);
	return mc;
}

int pattern_list_compile(struct pattern_list *list, const char *origin, struct strbuf *err)
{
	PCRE2_UCHAR message[256];
	PCRE2_SIZE offset;
	const char *src;
	int     code;
	size_t  i;

	if (list->sources.count == 0)
		return 0;
	if (list->limits == NULL && (list->limits = new_limits()) == NULL) {
		sb_appendf(err, "%s: out of memory for pattern limits", origin);
		return -1;
	}
	list->codes = xrealloc(list->codes, list->sources.count * sizeof(pcre2_code *));
	for (i = list->compiled; i < list->sources.count; i++) {
		src = list->sources.items[i];
		list->codes[i] = pcre2_compile((PCRE2_SPTR) src, strlen(src), PATTERN_OPTIONS,
					       &code, &offset, NULL);
		if (list->codes[i] == NULL) {
			pcre2_get_error_message(code, message, sizeof(message));
			sb_appendf(err, "%s:%d: bad pattern \"%s\": %s at offset %zu",
				   origin, list->lines[i], src, (char *) message, (size_t) offset);
			return -1;
		}
		list->compiled = i + 1;
	}
	return 0;
}

void pattern_list_free(struct pattern_list *list)
{
	size_t i;

	for (i = 0; i < list->compiled; i++)
		pcre2_code_free(list->codes[i]);
	free(list->codes);
	free(list->lines);
	strlist_free(&list->sources);
	strlist_free(&list->files);
	pcre2_match_context_free(list->limits);
	memset(list, 0, sizeof(*list));
}

/* match_at - pcre2_match() of pattern i from offset; the match data on
 * success, else NULL with *failed set when it was not a plain "no match"
 * (a limit reached, no memory) */

static pcre2_match_data *match_at(const struct pattern_list *list, size_t i,
				  const char *text, size_t len, size_t offset, int *failed)
{
	pcre2_match_data *md;
	int     rc;

	*failed = 0;
	md = pcre2_match_data_create_from_pattern(list->codes[i], NULL);
	if (md == NULL) {
		*failed = 1;
		return NULL;
	}
	if ((rc = pcre2_match(list->codes[i], (PCRE2_SPTR) text, len, offset, 0, md, list->limits)) < 0) {
		*failed = rc != PCRE2_ERROR_NOMATCH;
		pcre2_match_data_free(md);
		return NULL;
	}
	return md;
}

/* match_one - from the start; a limit reached counts as no match */

static pcre2_match_data *match_one(const struct pattern_list *list, size_t i,
				   const char *text, size_t len)
{
	int     failed;

	return match_at(list, i, text, len, 0, &failed);
}

int pattern_list_match(const struct pattern_list *list, const char *text, size_t len)
{
	pcre2_match_data *md;
	size_t i;

	if (text == NULL)
		return -1;
	for (i = 0; i < list->compiled; i++) {
		if ((md = match_one(list, i, text, len)) != NULL) {
			pcre2_match_data_free(md);
			return (int) i;
		}
	}
	return -1;
}

char *pattern_list_capture(const struct pattern_list *list, const char *text, size_t len)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	char   *value = NULL;
	size_t  group;
	size_t  i;

	if (text == NULL)
		return NULL;
	for (i = 0; i < list->compiled && value == NULL; i++) {
		if ((md = match_one(list, i, text, len)) == NULL)
			continue;
		ov = pcre2_get_ovector_pointer(md);
		group = pcre2_get_ovector_count(md) > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
		if (ov[2 * group + 1] - ov[2 * group] <= PATTERN_MAX_CAPTURE)
			value = xstrndup(text + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
		pcre2_match_data_free(md);
	}
	return value;
}

/* capture_span - the first group if it took part, else the whole match */

static struct pattern_span capture_span(pcre2_match_data *md)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	struct pattern_span span;
	size_t  group = pcre2_get_ovector_count(md) > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;

	span.start = ov[2 * group];
	span.end = ov[2 * group + 1];
	return span;
}

size_t pattern_list_find_all(const struct pattern_list *list, const char *text, size_t len,
			     struct pattern_span *spans, size_t max, int *more)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	size_t  found = 0;
	size_t  offset;
	size_t  i;
	int     failed = 0;
	int     full = 0;

	*more = 0;
	if (text == NULL)
		return 0;
	for (i = 0; i < list->compiled && !full; i++) {
		offset = 0;
		while (offset <= len && (md = match_at(list, i, text, len, offset, &failed)) != NULL) {
			ov = pcre2_get_ovector_pointer(md);
			if (found == max) {
				*more = full = 1;
				pcre2_match_data_free(md);
				break;
			}
			spans[found++] = capture_span(md);
			offset = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
			pcre2_match_data_free(md);
		}
		if (failed)
			*more = 1;	/* a limit hid what may follow; the next
					 * patterns are still tried */
	}
	return found;
}
