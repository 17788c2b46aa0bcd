/*
 * pattern.h - lists of PCRE2 patterns from CA profiles, with match limits.
 *
 * A pattern list keeps the text of each pattern (for messages and for the
 * approval worker, which compiles its own) beside its compiled form.
 * Patterns are compiled caseless; every match runs under the limits below,
 * so that a pathological pattern or subject cannot stall the milter.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PATTERN_H
#define MAILCERT_PATTERN_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stddef.h>

#include <pcre2.h>

#include "strbuf.h"
#include "strlist.h"

#define PATTERN_MATCH_LIMIT	200000	/* pcre2_set_match_limit() */
#define PATTERN_DEPTH_LIMIT	2000	/* pcre2_set_depth_limit() */
#define PATTERN_HEAP_LIMIT	4096	/* KiB, pcre2_set_heap_limit() */
#define PATTERN_MAX_CAPTURE	256	/* bytes of one captured value */

struct pattern_list {
	struct strlist sources;		/* the pattern texts, as written */
	int    *lines;			/* line of each, for messages */
	struct strlist files;		/* file of each when not its profile's
					 * (an extension's), else "" */
	pcre2_code **codes;		/* compiled, once pattern_list_compile() ran */
	size_t  compiled;		/* how many of sources are compiled */
	pcre2_match_context *limits;	/* shared by all matches of the list */
};

void pattern_list_init(struct pattern_list *list);
void pattern_list_add(struct pattern_list *list, const char *source, int line);
void pattern_list_add_from(struct pattern_list *list, const char *source, int line,
			   const char *file);
void pattern_list_extend(struct pattern_list *list, const char *more);
int pattern_list_compile(struct pattern_list *list, const char *origin, struct strbuf *err);
void pattern_list_free(struct pattern_list *list);

/* Index of the first pattern that matches, or -1. */
int pattern_list_match(const struct pattern_list *list, const char *text, size_t len);

/* First capture group of the first pattern that matches (the whole match
 * when the pattern has no group); a new string, or NULL. */
char *pattern_list_capture(const struct pattern_list *list, const char *text, size_t len);

/* Where one capture lies in the text it was found in. */
struct pattern_span {
	size_t  start;
	size_t  end;
};

/* Every capture (first group, else the whole match) of every pattern of
 * the list in text, pattern after pattern, each pattern from the start of
 * the text to its end; at most max.  Returns how many were found, and
 * sets *more when there were more than max, or when a match ran into a
 * limit (so that more may have been there): the caller cannot know it saw
 * every value. */
size_t pattern_list_find_all(const struct pattern_list *list, const char *text, size_t len,
			     struct pattern_span *spans, size_t max, int *more);

#endif
