/*
 * mymalloc.h - allocation that cannot fail silently.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_MYMALLOC_H
#define MAILCERT_MYMALLOC_H

#include <stddef.h>

void *xmalloc(size_t len);
void *xcalloc(size_t count, size_t len);
void *xrealloc(void *ptr, size_t len);
char *xstrdup(const char *str);
char *xstrndup(const char *str, size_t len);

#endif
