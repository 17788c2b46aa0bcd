/*
 * sendmail.h - hand a whole message to the local sendmail(1), no shell.
 */
#ifndef MAILCERT_SENDMAIL_H
#define MAILCERT_SENDMAIL_H

#include <stddef.h>

#include "strbuf.h"

#define MAIL_HEADER_VALUE_MAX 256	/* bytes of one header value we write */

/* 1 for a header value we are willing to write: 1 to
 * MAIL_HEADER_VALUE_MAX bytes of printable ASCII, so no CR, no LF,
 * nothing that could start a header of its own. */
int mail_header_value_ok(const char *value);

/* Run "PROGRAM -t -i" with message on its standard input; wait at most
 * timeout seconds.  0 when it exited with status 0, else -1 and why. */
int sendmail_submit(const char *program, const char *message, size_t len, int timeout,
		    struct strbuf *why);

#endif
