/*
 * mail.h - what the parser read from one message with GMime.
 *
 * mail.c opens the message; mail_headers.c reads the top-level header;
 * mime_walk.c visits the parts.  The rest of the parser (classify.c,
 * approval.c, trust.c) only looks at struct mail.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_MAIL_H
#define MAILCERT_MAIL_H

#include <stddef.h>

#include <gmime/gmime.h>

#include "certbundle.h"
#include "parse_limits.h"
#include "strbuf.h"
#include "strlist.h"

struct mail {
	char   *from;			/* the From: address, lower case */
	char   *return_path;		/* the Return-Path: address, if any */
	char   *subject;		/* decoded, UTF-8, punctuation normalised */
	char   *message_id;		/* without <> */
	struct strlist authres;		/* Authentication-Results bodies, unfolded,
					 * of fields named exactly so */
	struct strlist authres_odd;	/* the same of "Authentication-Results :"
					 * and other spellings a rule may miss */
	struct strbuf text;		/* all text a person reads, part after part,
					 * punctuation normalised (text_norm.c) */
	struct strlist links;		/* every link, in order, each once */
	const char *limit_hit;		/* the first limit reached, or NULL */
	struct strlist notes;		/* what was skipped, for the reasons */
	size_t  parts;			/* MIME parts visited */
};

void mail_init(struct mail *mail);
void mail_free(struct mail *mail);

/* Read data into mail; certificates go to certs.  -1 when it is not a
 * message at all (with a note). */
int mail_read(const char *data, size_t len, const struct parse_limits *limits,
	      struct mail *mail, struct certbundle *certs);

/* The same from a file (a spooled message) of len bytes. */
int mail_read_fd(int fd, size_t len, const struct parse_limits *limits, struct mail *mail,
		 struct certbundle *certs);

/* Note that limit stopped some of the work (the first one is kept). */
void mail_limit(struct mail *mail, const char *limit, const char *what);

/* mail_headers.c */
void mail_read_headers(GMimeMessage *message, const struct parse_limits *limits,
		       struct mail *mail);

/* mime_walk.c */
void mime_walk(GMimeObject *top, const struct parse_limits *limits, struct mail *mail,
	       struct certbundle *certs);

#endif
