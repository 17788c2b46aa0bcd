/*
 * msg.h - the one logging vocabulary of mailcert.
 *
 * msg_info: worth knowing.  msg_warn: something went wrong with one message
 * or one order; the program goes on.  msg_error: an operation failed and
 * the caller reported it.  msg_fatal: cannot continue at all; exits 1.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_MSG_H
#define MAILCERT_MSG_H

#include <stdarg.h>

#include "strbuf.h"

#define MSG_TO_SYSLOG	"syslog"
#define MSG_TO_STDERR	"stderr"

/* Where lines go: "syslog" (facility mail), "stderr", or an absolute file
 * path (appended, one write per line).  Until msg_open() lines go to
 * stderr.  -1 with why when the file cannot be opened. */
int msg_open(const char *ident, const char *destination, struct strbuf *why);
/* Where lines go now, in words ("syslog, facility mail", a path...). */
const char *msg_destination(void);
void msg_set_verbose(int verbose);
int msg_verbose(void);
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
