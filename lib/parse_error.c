/*
 * NAME
 *	parse_error - keep the first error of a configuration or profile parse
 * SYNOPSIS
 *	#include "parse_error.h"
 *
 *	int parse_error_set(struct parse_error *pe, int line, const char *fmt, ...)
 * DESCRIPTION
 *	A parse reports one error, the first: the ones after it are often
 *	only its consequences.  parse_error_set() appends "ORIGIN:LINE: text"
 *	to pe->err and sets pe->failed, unless an error was recorded before.
 *	It returns 0 so that a libinih handler can return its result.
 * SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>

#include "parse_error.h"

int parse_error_set(struct parse_error *pe, int line, const char *fmt, ...)
{
	va_list ap;
	char    text[512];

	if (pe->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sb_appendf(pe->err, "%s:%d: %s", pe->origin, line, text);
	pe->failed = 1;
	return 0;
}
