/*
 * parse_error.h - the first error of a parse, as "ORIGIN:LINE: what".
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PARSE_ERROR_H
#define MAILCERT_PARSE_ERROR_H

#include "strbuf.h"

struct parse_error {
	const char *origin;		/* a file name, or where the text came from */
	struct strbuf *err;		/* the caller's; gets the first error only */
	int     failed;
};

/* Record the first error at line; later ones are dropped.  Returns 0, the
 * "stop" answer of a libinih handler. */
int parse_error_set(struct parse_error *pe, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
