/*
 * message_file.h - one RFC 5322 message file, split the way an MTA hands
 * it to a milter.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_BENCH_MESSAGE_FILE_H
#define MAILCERT_BENCH_MESSAGE_FILE_H

#include <stddef.h>

#include "strbuf.h"

struct mail_header {
	char   *name;			/* without the colon */
	char   *value;			/* everything after the colon; folded
					 * lines joined by "\n" */
};

struct message_file {
	struct mail_header *headers;
	size_t  header_count;
	char   *body;			/* every line ends in CRLF */
	size_t  body_len;
	int     message_id;		/* index of Message-ID, or -1 */
};

int message_file_read(const char *path, struct message_file *msg, struct strbuf *err);
void message_file_free(struct message_file *msg);

#endif
