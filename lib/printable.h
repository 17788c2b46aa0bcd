/*
 * printable.h - the one way text from a stranger is made safe to show.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PRINTABLE_H
#define MAILCERT_PRINTABLE_H

#include <stddef.h>

#include "strbuf.h"

/* Flags of printable_append(). */
#define PRINTABLE_ASCII		0x01	/* only printable ASCII survives; the rest
					 * becomes '?' (mail headers, log lines) */
#define PRINTABLE_ESCAPE	0x02	/* keep valid UTF-8 text; controls, DEL, C1,
					 * bidirectional controls and bad bytes are
					 * written as \xNN or \u{NNNN} (a terminal) */
#define PRINTABLE_SPACES	0x04	/* CR, LF and TAB become one space */
#define PRINTABLE_ELLIPSIS	0x08	/* "..." when max cut the text */

/* Append at most max bytes (0: no limit) of what text (len bytes) shows
 * as, made safe as flags say. */
void printable_append(struct strbuf *out, const char *text, size_t len, size_t max, int flags);

/* The same into a fixed buffer of size bytes (NUL-terminated, never more);
 * NULL text gives "". */
void printable_buf(char *buf, size_t size, const char *text, int flags);

/* A new string: printable_append() of the whole of text (NULL: ""). */
char *printable_dup(const char *text, int flags);

#endif
