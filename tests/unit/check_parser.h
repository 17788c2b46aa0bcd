/*
 * check_parser.h - a fixture file through the parser, for the unit tests
 * that need a verdict (test_parser, test_profiles).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CHECK_PARSER_H
#define MAILCERT_CHECK_PARSER_H

#include "check.h"
#include "parser.h"

/* parse_file - the verdict of the mail in path; -1 (a failed check) when
 * the file cannot be read */
static int parse_file(const struct parser *parser, const char *path, struct verdict *v)
{
	struct strbuf data = STRBUF_INIT;

	verdict_init(v);
	if (check_read_file(path, &data) < 0) {
		check_true(0, path);
		sb_free(&data);
		return -1;
	}
	parser_parse(parser, data.data ? data.data : "", data.len, v);
	sb_free(&data);
	return 0;
}

#endif
