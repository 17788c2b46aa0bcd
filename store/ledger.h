/*
 * ledger.h - the SQLite ledger shared by the milter, the installer and
 * the operator command.
 *
 * Every write is its own BEGIN IMMEDIATE transaction unless the caller
 * wraps several in ledger_begin()/ledger_commit().  Every function returns
 * 0 on success and -1 on a database error (the text in ledger_error()),
 * and LEDGER_NOT_FOUND where a lookup finds nothing.  Strings in the
 * structs below are owned by the struct and freed by its *_clear().
 */
#ifndef MAILCERT_LEDGER_H
#define MAILCERT_LEDGER_H

#include <stddef.h>
#include <time.h>

#include "strbuf.h"
#include "strlist.h"

#define LEDGER_NOT_FOUND	1
#define LEDGER_SCHEMA_VERSION	2

enum order_state {
	ORDER_AWAITING_APPROVAL = 0,
	ORDER_APPROVAL_RECEIVED,
	ORDER_APPROVED,
	ORDER_ISSUED,
	ORDER_INSTALLED,
	ORDER_INSTALL_FAILED,
	ORDER_DECLINED,
};

struct ledger;

struct order {
	long long id;
	char   *domain;
	struct strlist alt_names;
	char   *ca;			/* CA profile name */
	char   *ca_order;		/* the CA's order number, may be NULL */
	char   *approver;		/* approver address, may be NULL */
	char   *key_path;
	char   *key_sha256;		/* of the public key (SPKI DER) */
	char   *target;
	char   *contact;		/* may be NULL */
	char   *approve_mode;		/* per-order override, may be NULL */
	enum order_state state;
	long long created_at;
	long long updated_at;
};

struct event {
	long long id;
	long long order_id;		/* 0: not about one order */
	long long at;
	char   *kind;
	char   *detail;
};

struct message_record {
	long long id;
	char   *message_id;		/* the key: a message is recorded once */
	char   *queue_id;
	char   *mail_from;
	char   *rcpt_to;
	char   *subject;
	char   *verdict;		/* approval, certificate, decline, notice, none */
	char   *reason;
	long long order_id;		/* 0: matched no order */
	long long received_at;
};

struct approval {
	long long id;
	long long order_id;
	long long message_row;		/* messages.id, 0 if none */
	char   *link;
	char   *code;
	char   *ca_order;
	int     authenticated;
	long long received_at;
	char   *action_state;		/* pending, notified, approving, approved, failed, manual, done */
	int     attempts;
	long long next_try;
	char   *last_error;
};

struct cert_record {
	long long id;
	long long order_id;
	long long message_row;
	char   *sha256;			/* of the leaf certificate */
	char   *spki_sha256;		/* of the leaf's public key */
	char   *leaf_pem;
	char   *chain_pem;		/* the other certificates of the mail, PEM */
	char   *subject;
	char   *issuer;
	struct strlist names;
	long long not_before;
	long long not_after;
	long long received_at;
};

enum job_state {
	JOB_PENDING = 0,
	JOB_RUNNING,
	JOB_DONE,
	JOB_FAILED,			/* gave up after the retry limit */
};

struct install_job {
	long long id;
	long long order_id;
	long long certificate_id;
	enum job_state state;
	int     attempts;
	long long next_try;
	char   *last_error;
	long long created_at;
	long long updated_at;
};

/* Opening and transactions. */
int ledger_open(const char *path, int busy_timeout_ms, struct ledger **out, struct strbuf *err);
void ledger_close(struct ledger *ledger);
const char *ledger_error(const struct ledger *ledger);
int ledger_begin(struct ledger *ledger);
int ledger_commit(struct ledger *ledger);
void ledger_rollback(struct ledger *ledger);
int ledger_schema_version(struct ledger *ledger);
/* Changes whenever another connection commits (PRAGMA data_version). */
long long ledger_data_version(struct ledger *ledger);
int ledger_integrity_check(struct ledger *ledger, struct strbuf *result);

/* Orders. */
int ledger_add_order(struct ledger *ledger, struct order *order);
int ledger_get_order(struct ledger *ledger, long long id, struct order *order);
int ledger_list_orders(struct ledger *ledger, struct order **orders, size_t *count);
int ledger_set_order_state(struct ledger *ledger, long long id, enum order_state state,
			   const char *why);
void order_clear(struct order *order);
void orders_free(struct order *orders, size_t count);
const char *order_state_name(enum order_state state);
int order_state_from_name(const char *name, enum order_state *state);
/* Is the order still waiting for mail (not installed, not declined)? */
int order_state_is_open(enum order_state state);
/* Orders not yet installed or declined, with all their names. */
int ledger_list_open_orders(struct ledger *ledger, struct order **orders, size_t *count);
/* Open orders whose key hash is spki_sha256. */
int ledger_find_orders_by_key(struct ledger *ledger, const char *spki_sha256,
			      struct order **orders, size_t *count);

/* Events: the log of what happened, per order. */
int ledger_add_event(struct ledger *ledger, long long order_id, const char *kind,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int ledger_list_events(struct ledger *ledger, long long order_id /* 0: all */,
		       struct event **events, size_t *count);
void events_free(struct event *events, size_t count);

/* Messages: recorded once per Message-ID; *is_new is 0 when it was seen
 * before (msg->id is then the earlier row). */
int ledger_message_seen(struct ledger *ledger, const char *message_id, long long *row);
int ledger_record_message(struct ledger *ledger, struct message_record *msg, int *is_new);
int ledger_list_messages(struct ledger *ledger, struct message_record **msgs, size_t *count);
void message_record_clear(struct message_record *msg);
void message_records_free(struct message_record *msgs, size_t count);

/* Approvals. */
int ledger_record_approval(struct ledger *ledger, struct approval *approval);
int ledger_latest_approval(struct ledger *ledger, long long order_id, struct approval *approval);
int ledger_update_approval_action(struct ledger *ledger, const struct approval *approval);
/* Approvals whose action_state is one of states (NULL-terminated) and
 * whose next_try <= now. */
int ledger_list_approvals(struct ledger *ledger, const char *const *states, long long now,
			  struct approval **approvals, size_t *count);
void approval_clear(struct approval *approval);
void approvals_free(struct approval *approvals, size_t count);

/* Certificates: recorded once per sha256; *is_new says which. */
int ledger_record_certificate(struct ledger *ledger, struct cert_record *cert, int *is_new);
int ledger_get_certificate(struct ledger *ledger, long long id, struct cert_record *cert);
int ledger_latest_certificate(struct ledger *ledger, long long order_id, struct cert_record *cert);
void cert_record_clear(struct cert_record *cert);

/* Install jobs: one per certificate; adding it again is a no-op. */
int ledger_add_install_job(struct ledger *ledger, long long order_id, long long certificate_id,
			   long long *job_id, int *is_new);
int ledger_get_install_job(struct ledger *ledger, long long id, struct install_job *job);
int ledger_latest_install_job(struct ledger *ledger, long long order_id, struct install_job *job);
/* Ids of jobs that are pending (or were left running by a dead
 * installer) with next_try <= now, oldest first. */
int ledger_due_install_jobs(struct ledger *ledger, long long now, long long **ids, size_t *count);
/* Take a due job: pending -> running, attempts + 1, in one transaction.
 * LEDGER_NOT_FOUND when another installer took it first. */
int ledger_claim_install_job(struct ledger *ledger, long long id, long long now,
			     long long stale_before);
int ledger_finish_install_job(struct ledger *ledger, long long id, enum job_state state,
			      long long next_try, const char *last_error);
const char *job_state_name(enum job_state state);
void install_job_clear(struct install_job *job);

#endif
