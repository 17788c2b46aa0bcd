/*
 * strbuf.h - growable, always NUL-terminated byte strings.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_STRBUF_H
#define MAILCERT_STRBUF_H

#include <stddef.h>

struct strbuf {
	char   *data;			/* NUL-terminated, may hold NULs */
	size_t  len;
	size_t  cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_append(struct strbuf *sb, const void *data, size_t len);
void sb_appends(struct strbuf *sb, const char *str);
void sb_appendf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_reset(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);
char *sb_steal(struct strbuf *sb);
void sb_free(struct strbuf *sb);

#endif
