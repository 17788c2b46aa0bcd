/*
 * text_norm.h - the Unicode punctuation of mail text, as plain ASCII.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_TEXT_NORM_H
#define MAILCERT_TEXT_NORM_H

#include <stddef.h>

#include "strbuf.h"

/* Append text (UTF-8, maybe invalid) to out with the spaces, hyphens,
 * quotes and invisible characters that mail uses mapped to ASCII. */
void text_normalize(const char *text, size_t len, struct strbuf *out);

#endif
