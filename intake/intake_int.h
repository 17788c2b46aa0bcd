/*
 * intake_int.h - what intake.c and intake_cert.c share.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_INTAKE_INT_H
#define MAILCERT_INTAKE_INT_H

#include "intake.h"

/* One message being recorded. */
struct intake_run {
	struct intake *in;
	struct intake_lane *lane;	/* the connection taken, NULL between */
	struct ledger *ledger;		/* its ledger, while it is taken */
	char    error[512];		/* what failed, kept after it was given back */
	int     busy;
	int     down;
	const struct config *cfg;
	X509_STORE *anchors;
	const struct intake_mail *mail;
	const struct verdict *verdict;
	struct message_record msg;
	struct intake_result *res;
};

/* intake.c */
/* Take a connection for reads or a transaction; give it back (with rc < 0
 * its error, busy and down are kept in run first). */
void intake_run_take(struct intake_run *run);
int intake_run_give(struct intake_run *run, int rc);
int intake_insert_message(struct intake_run *run, long long order_id, const char *reason);
void intake_what(struct intake_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void intake_reasons_text(const struct verdict *v, struct strbuf *sb);

/* intake_cert.c: the certificate of a mail, verified outside the lock and
 * recorded inside it. */
int intake_record_certificate(struct intake_run *run);

#endif
