/*
 * json_text.h - a JSON string of any text, made valid UTF-8.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_JSON_TEXT_H
#define MAILCERT_JSON_TEXT_H

#include <jansson.h>

/* A JSON string of s ('?' for each byte that is not valid UTF-8), or
 * null for NULL.  Never NULL. */
json_t *json_text(const char *s);

#endif
