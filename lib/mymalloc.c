/*
 * NAME
 *	mymalloc - memory allocation that cannot fail silently
 * SYNOPSIS
 *	void *xmalloc(size_t len), *xcalloc(size_t n, size_t len)
 *	void *xrealloc(void *ptr, size_t len)
 *	char *xstrdup(const char *s), *xstrndup(const char *s, size_t len)
 *			(at most len bytes, stopping at a NUL)
 * DESCRIPTION
 *	Each wraps its libc namesake and ends the program with msg_fatal()
 *	when memory is exhausted: no caller has to check for NULL.  Sizes are
 *	bounded by configuration long before this can happen.
 * SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"

void *xmalloc(size_t len)
{
	void *ptr = malloc(len ? len : 1);

	if (ptr == NULL)
		msg_fatal("out of memory allocating %zu bytes", len);
	return ptr;
}

void *xcalloc(size_t count, size_t len)
{
	void *ptr = calloc(count ? count : 1, len ? len : 1);

	if (ptr == NULL)
		msg_fatal("out of memory allocating %zu x %zu bytes", count, len);
	return ptr;
}

void *xrealloc(void *ptr, size_t len)
{
	void *new_ptr = realloc(ptr, len ? len : 1);

	if (new_ptr == NULL)
		msg_fatal("out of memory reallocating %zu bytes", len);
	return new_ptr;
}

char *xstrdup(const char *str)
{
	return xstrndup(str, strlen(str));
}

char *xstrndup(const char *str, size_t len)
{
	char *copy;

	len = strnlen(str, len);
	copy = xmalloc(len + 1);

	memcpy(copy, str, len);
	copy[len] = 0;
	return copy;
}
