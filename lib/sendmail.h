/*
 * sendmail.h - compose a plain text mail and hand it to sendmail(1).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_SENDMAIL_H
#define MAILCERT_SENDMAIL_H

#include <stddef.h>

#include "strbuf.h"

#define MAIL_HEADER_VALUE_MAX	256	/* bytes of one header value we write */
#define MAIL_BODY_LINE_MAX	998	/* RFC 5322 */

/* 1 for a header value we are willing to write: 1 to
 * MAIL_HEADER_VALUE_MAX bytes of printable ASCII, so no CR, no LF,
 * nothing that could start a header of its own. */
int mail_header_value_ok(const char *value);

/* One mail mailcert writes to a person. */
struct mail_out {
	const char *from;		/* [notify] from */
	const char *to;			/* one plain address */
	const char *subject;		/* printable ASCII */
	const char *body;		/* UTF-8 text, lines of at most MAIL_BODY_LINE_MAX */
};

/* The whole message, headers and body, into mail; 0, or -1 with why
 * (nothing is written when a value is not safe). */
int mail_compose(const struct mail_out *m, struct strbuf *mail, struct strbuf *why);

/* mail_compose(), then "PROGRAM -t -i" with it on standard input, at most
 * timeout seconds; 0 when sendmail exited with status 0, else -1 and why. */
int mail_send(const char *route, const struct mail_out *m, int timeout, struct strbuf *why);

#endif
