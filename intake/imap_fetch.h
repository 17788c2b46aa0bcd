/*
 * imap_fetch.h - CA mail from IMAP mailboxes (mailcert fetch).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_IMAP_FETCH_H
#define MAILCERT_IMAP_FETCH_H

#include <openssl/x509.h>

#include "config.h"
#include "intake.h"
#include "ledger.h"
#include "parser.h"
#include "strbuf.h"

/* What a pass works with: the intake's ledger and rules. */
struct fetch_env {
	const struct config *cfg;
	struct ledger *ledger;
	struct intake *intake;
	const struct parser *parser;
	X509_STORE *anchors;
};

/* What a pass did. */
struct fetch_result {
	size_t  fetched;		/* messages taken (and marked) */
	size_t  recorded;		/* handed to the intake rules */
	size_t  known;			/* taken before (UIDVALIDITY changed) */
	size_t  too_big;		/* recorded as too large, not fetched */
	int     install_request;	/* wake the installer */
	int     wake_approver;
};

/* One pass over one mailbox: 0, or -1 with why (nothing after the
 * failure is marked or counted as taken). */
int imap_fetch_pass(const struct imap_config *box, const struct fetch_env *env,
		    struct fetch_result *out, struct strbuf *why);

#endif
