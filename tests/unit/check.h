/*
 * check.h - the small assertion vocabulary of mailcert's unit tests.
 *
 * Each check prints "ok - NAME" or "not ok - NAME: got X, want Y".
 * tests/run-tests counts those lines over every test program; a program
 * that exits non-zero without saying "not ok" (a crash, a sanitizer
 * report) counts as one failure.  Include once, in the test's one file.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CHECK_H
#define MAILCERT_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

static int check_failures;

static void check_report(int ok, const char *name, const char *detail)
{
	if (ok)
		printf("ok - %s\n", name);
	else
		printf("not ok - %s: %s\n", name, detail);
	if (!ok)
		check_failures++;
	fflush(stdout);
}

__attribute__((unused))
static int check_true(int cond, const char *name)
{
	check_report(cond, name, "condition is false");
	return cond;
}

__attribute__((unused))
static int check_int(long long got, long long want, const char *name)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "got %lld, want %lld", got, want);
	check_report(got == want, name, detail);
	return got == want;
}

__attribute__((unused))
static int check_str(const char *got, const char *want, const char *name)
{
	char detail[1024];
	int ok = (got == NULL && want == NULL)
	    || (got != NULL && want != NULL && strcmp(got, want) == 0);

	snprintf(detail, sizeof(detail), "got \"%s\", want \"%s\"",
		 got ? got : "(null)", want ? want : "(null)");
	check_report(ok, name, detail);
	return ok;
}

/* check_contains - got holds the text want somewhere */
__attribute__((unused))
static int check_contains(const char *got, const char *want, const char *name)
{
	char detail[1024];
	int ok = got != NULL && strstr(got, want) != NULL;

	snprintf(detail, sizeof(detail), "got \"%.400s\", want it to contain \"%s\"",
		 got ? got : "(null)", want);
	check_report(ok, name, detail);
	return ok;
}

/* check_read_file - the whole of a fixture file into out; -1 (said on a
 * "#" line) when it cannot be opened */
__attribute__((unused))
static int check_read_file(const char *path, struct strbuf *out)
{
	FILE   *fp;
	char    buf[8192];
	size_t  n;

	sb_reset(out);
	if ((fp = fopen(path, "rb")) == NULL) {
		printf("# cannot open %s\n", path);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sb_append(out, buf, n);
	fclose(fp);
	return 0;
}

__attribute__((unused))
static int check_done(void)
{
	return check_failures ? 1 : 0;
}

#endif
