/*
 * NAME
 *	strlist - a growable list of owned strings
 * SYNOPSIS
 *	void strlist_add(list, str)		copies str
 *	void strlist_add_owned(list, str)	takes ownership of str
 *	void strlist_addf(list, fmt, ...)
 *	int strlist_contains(list, str), strlist_contains_nocase(list, str)
 *	void strlist_copy(dst, src), strlist_clear(list), strlist_free(list)
 * DESCRIPTION
 *	The items array is kept NULL-terminated so that it can serve as an
 *	argument vector for execve().
 * SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mymalloc.h"
#include "strlist.h"

void strlist_add_owned(struct strlist *list, char *str)
{
	if (list->count + 2 > list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->items = xrealloc(list->items, list->cap * sizeof(char *));
	}
	list->items[list->count++] = str;
	list->items[list->count] = NULL;
}

void strlist_add(struct strlist *list, const char *str)
{
	strlist_add_owned(list, xstrdup(str));
}

void strlist_addf(struct strlist *list, const char *fmt, ...)
{
	va_list ap;
	char *str;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	str = xmalloc((size_t) n + 1);
	va_start(ap, fmt);
	vsnprintf(str, (size_t) n + 1, fmt, ap);
	va_end(ap);
	strlist_add_owned(list, str);
}

int strlist_contains(const struct strlist *list, const char *str)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (strcmp(list->items[i], str) == 0)
			return 1;
	return 0;
}

int strlist_contains_nocase(const struct strlist *list, const char *str)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (strcasecmp(list->items[i], str) == 0)
			return 1;
	return 0;
}

void strlist_copy(struct strlist *dst, const struct strlist *src)
{
	size_t i;

	for (i = 0; i < src->count; i++)
		strlist_add(dst, src->items[i]);
}

void strlist_clear(struct strlist *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->items[i]);
	list->count = 0;
	if (list->items)
		list->items[0] = NULL;
}

void strlist_free(struct strlist *list)
{
	strlist_clear(list);
	free(list->items);
	list->items = NULL;
	list->cap = 0;
}
