/*
 * intake.h - the rules that turn a verdict into ledger changes, for every
 * intake: the milter, mailcert deliver (standard input), mailcert fetch
 * (IMAP).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_INTAKE_H
#define MAILCERT_INTAKE_H

#include <pthread.h>

#include <openssl/x509.h>

#include "config.h"
#include "ledger.h"
#include "parser.h"
#include "strbuf.h"

/* Limits of the intake rules. */
#define INTAKE_REASON_MAX	1000	/* characters of a recorded reason */
#define INTAKE_NEAR_ORDERS	8	/* orders one domain-only mail may touch */
#define INTAKE_CERT_CANDIDATES	8	/* (leaf, order) pairs verified per mail */
#define INTAKE_WHAT_MAX		200	/* characters of the X-Mailcert value */

#define INTAKE_MAX_LANES	16	/* ledger connections of one intake */

/* One ledger connection of an intake with its lock, held for reads and one
 * short write transaction, never while a message is parsed or a signature
 * checked. */
struct intake_lane {
	struct ledger *ledger;
	pthread_mutex_t lock;
};

/* An intake's connections: one with SQLite (its writers take turns in the
 * file anyway), several with PostgreSQL, where messages are recorded side
 * by side; a message takes whichever is free. */
struct intake {
	struct intake_lane lanes[INTAKE_MAX_LANES];
	size_t  count;
	unsigned next;			/* where a message that finds none free waits */
};

/* What an intake knows of a message besides its text. */
struct intake_mail {
	const char *queue_id;		/* for log lines: Postfix's, "stdin", "imap:..." */
	const char *sender;
	const char *rcpts;		/* the watched recipients, comma separated */
	const char *message_id;		/* from the header, may be NULL */
	const char *subject;		/* from the header, may be NULL */
	const char *not_parsed;		/* why it was not parsed, or NULL */
};

/* What came of it. */
struct intake_result {
	struct strbuf what;		/* for X-Mailcert and the log */
	long long install_request;	/* > 0: wake the installer */
	int     wake_approver;		/* an approval waits for the approver */
	int     orders_changed;		/* the watch set may have changed */
	int     failed;			/* the ledger failed: nothing recorded */
	int     busy;			/* ... because another process held it */
	int     down;			/* ... in an outage of the database, which
					 * was logged once: log nothing per message */
};

void intake_init(struct intake *in, struct ledger *ledger);
/* One more connection (PostgreSQL); -1 when there are INTAKE_MAX_LANES. */
int intake_add_lane(struct intake *in, struct ledger *ledger);
/* A free connection, locked (else one waited for); give it back. */
struct intake_lane *intake_lane_take(struct intake *in);
void intake_lane_give(struct intake_lane *lane);
/* Wait for every connection, then close them: nothing touches the ledger
 * afterwards. */
void intake_close(struct intake *in);
void intake_destroy(struct intake *in);

/* Record one message.  verdict is NULL when it was not parsed
 * (mail->not_parsed says why).  0, or -1 when the ledger failed (logged
 * with the queue id, but for an outage of the database, logged once where
 * it began; res->failed, res->busy, res->down). */
int intake_record(struct intake *in, const struct config *cfg, X509_STORE *anchors,
		  const struct intake_mail *mail, const struct verdict *verdict,
		  struct intake_result *res);

void intake_result_init(struct intake_result *res);
void intake_result_free(struct intake_result *res);

#endif
