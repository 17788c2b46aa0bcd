/*
 * intake_int.h - what intake.c and intake_cert.c share.
 */
#ifndef MAILCERT_INTAKE_INT_H
#define MAILCERT_INTAKE_INT_H

#include "intake.h"

/* One message being recorded. */
struct intake_run {
	struct intake *in;
	struct ledger *ledger;
	const struct config *cfg;
	X509_STORE *anchors;
	const struct intake_mail *mail;
	const struct verdict *verdict;
	struct message_record msg;
	struct intake_result *res;
};

/* intake.c */
int intake_insert_message(struct intake_run *run, long long order_id, const char *reason);
void intake_what(struct intake_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void intake_reasons_text(const struct verdict *v, struct strbuf *sb);

/* intake_cert.c: the certificate of a mail, verified outside the lock and
 * recorded inside it. */
int intake_record_certificate(struct intake_run *run);

#endif
