/*
 * strlist.h - a growable list of owned C strings.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_STRLIST_H
#define MAILCERT_STRLIST_H

#include <stddef.h>

struct strlist {
	char  **items;			/* NULL-terminated when count > 0 */
	size_t  count;
	size_t  cap;
};

#define STRLIST_INIT { NULL, 0, 0 }

void strlist_add(struct strlist *list, const char *str);
void strlist_addf(struct strlist *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strlist_add_owned(struct strlist *list, char *str);
int strlist_contains(const struct strlist *list, const char *str);
int strlist_contains_nocase(const struct strlist *list, const char *str);
void strlist_clear(struct strlist *list);
void strlist_free(struct strlist *list);
void strlist_copy(struct strlist *dst, const struct strlist *src);

#endif
