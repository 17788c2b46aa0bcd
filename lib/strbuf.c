/*
 * NAME
 *	strbuf - growable strings
 * SYNOPSIS
 *	void sb_append(sb, data, len), sb_appends(sb, str), sb_appendf(sb, fmt, ...)
 *	const char *sb_str(sb)		never NULL
 *	char *sb_steal(sb)		caller frees; sb is empty afterwards
 *	void sb_reset(sb), sb_free(sb)
 * DESCRIPTION
 *	A strbuf owns its storage; the data is always NUL-terminated so it can
 *	be handed to C string functions, and may also hold binary data.
 * SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "strbuf.h"

void sb_init(struct strbuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

static void sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	size_t cap = sb->cap ? sb->cap : 64;

	if (need <= sb->cap)
		return;
	while (cap < need)
		cap *= 2;
	sb->data = xrealloc(sb->data, cap);
	sb->cap = cap;
}

void sb_append(struct strbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	if (len)
		memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = 0;
}

void sb_appends(struct strbuf *sb, const char *str)
{
	sb_append(sb, str, strlen(str));
}

void sb_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(sb, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t) n;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = 0;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->data ? sb->data : "";
}

char *sb_steal(struct strbuf *sb)
{
	char *data = sb->data ? sb->data : xstrdup("");

	sb_init(sb);
	return data;
}

void sb_free(struct strbuf *sb)
{
	free(sb->data);
	sb_init(sb);
}
