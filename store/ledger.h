/*
 * ledger.h - what mailcert keeps: the intake's ledger and the order book.
 *
 * Two stores with two owners, so that root never trusts what the network
 * side can write:
 *
 *   the order book (book.*)   orders as the operator placed them, their
 *                             names, and what the installer did: written
 *                             only by root (mailcert order ..., the
 *                             installer), read by everyone.
 *   the intake's ledger       what came by mail: messages, approvals,
 *                             certificates, install requests, each
 *                             order's progress, events: written by the
 *                             intake (milter, deliver, fetch) and the
 *                             approver, never opened by root.
 *
 * With SQLite they are two files, the book attached as "book"; with
 * PostgreSQL one database, the book a schema the intake's role may only
 * read.  Every function returns 0 on success, -1 on a database error
 * (ledger_error() says what), LEDGER_NOT_FOUND where a lookup finds
 * nothing.  Strings in the structs are owned by the struct and freed by
 * its *_clear().
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_LEDGER_H
#define MAILCERT_LEDGER_H

#include <stddef.h>
#include <time.h>

#include "strbuf.h"
#include "strlist.h"

#define LEDGER_NOT_FOUND	1
#define LEDGER_INTAKE_VERSION	4	/* schema of the intake's ledger */
#define LEDGER_BOOK_VERSION	2	/* schema of the order book */

/* Who opens the ledger, and so what it may touch. */
enum ledger_role {
	LEDGER_ROLE_INTAKE = 0,		/* milter, deliver, fetch, approver: the
					 * intake read-write, the book read-only */
	LEDGER_ROLE_READER,		/* the operator's reading commands, the web
					 * view: both read-only */
	LEDGER_ROLE_BOOK,		/* root (order commands, the installer):
					 * the book read-write, no intake */
	LEDGER_ROLE_OWNER,		/* mailcert ledger init and copy: both
					 * read-write, migrated (PostgreSQL: the
					 * database's owner; SQLite: only a new,
					 * empty intake ledger) */
};

struct ledger_location {
	const char *intake_path;	/* [ledger] path */
	const char *book_path;		/* [ledger] orders */
	const char *url;		/* [ledger] url: PostgreSQL instead */
	int     busy_timeout_ms;
	const char *program;		/* who connects (PostgreSQL application_name) */
};

struct config;
/* The ledger a configuration names; program as above (may be NULL). */
void ledger_location_of(struct ledger_location *where, const struct config *cfg,
			const char *program);

/* The life of an order as the operator sees it. */
enum order_state {
	ORDER_AWAITING_APPROVAL = 0,
	ORDER_APPROVAL_RECEIVED,
	ORDER_APPROVED,
	ORDER_ISSUED,
	ORDER_INSTALLED,
	ORDER_INSTALL_FAILED,
	ORDER_INSTALL_RETRYING,		/* failed, and waits for its next attempt */
	ORDER_DECLINED,
	ORDER_CANCELLED,
	ORDER_SUPERSEDED,
	ORDER_STATE_COUNT,
};

/* What the book says of an order. */
enum book_status {
	BOOK_OPEN = 0,			/* waiting for mail or an install */
	BOOK_INSTALLED,
	BOOK_CANCELLED,
	BOOK_SUPERSEDED,		/* its successor was installed */
};

struct ledger;

struct order {
	long long id;
	char   *domain;
	struct strlist alt_names;
	char   *ca;			/* CA profile name */
	char   *ca_order;		/* the CA's order number, may be NULL */
	char   *approver;		/* approver address, may be NULL */
	char   *key_sha256;		/* of the public key (SPKI DER); the key is
					 * [installer] key_dir/KEY_SHA256.key */
	char   *key_origin;		/* where the operator's key came from, for show */
	char   *target;
	char   *contact;		/* may be NULL */
	char   *approve_mode;		/* per-order override, may be NULL */
	enum book_status status;
	enum order_state state;		/* the whole picture, see ledger_view.c */
	long long predecessor;		/* the order this one renews, 0 */
	long long successor;		/* the order that renews this one, 0 */
	char   *closed_reason;
	long long created_at;
	long long updated_at;
	long long expires_at;		/* of its latest certificate, 0: none */
	long long state_since;		/* when it reached state (views only) */
};

struct event {
	long long id;
	long long order_id;		/* 0: not about one order */
	long long at;
	char   *kind;
	char   *detail;
	int     from_book;		/* written by root (operator, installer) */
};

struct message_record {
	long long id;
	char   *message_id;
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
	char   *domain;			/* the domain the mail named */
	char   *dedup;			/* what makes it the same approval again */
	int     authenticated;
	long long received_at;
	char   *action_state;		/* see approve_worker.c */
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
	char   *chain_pem;		/* the chain verification built, PEM */
	char   *subject;
	char   *issuer;
	struct strlist names;
	long long not_before;
	long long not_after;
	long long received_at;
};

/* "certificate X for order N": all the installer takes from the intake. */
struct install_request {
	long long id;
	long long order_id;
	long long certificate_id;
	char   *sha256;
	char   *leaf_pem;
	char   *chain_pem;
};

enum install_state {
	INSTALL_JOB_PENDING = 0,
	INSTALL_JOB_RUNNING,
	INSTALL_JOB_DONE,
	INSTALL_JOB_FAILED,			/* gave up after the retry limit */
	INSTALL_JOB_REFUSED,		/* the certificate is wrong; never retried */
};

/* The installer's own record of one certificate for one order (book). */
struct install_job {
	long long id;
	long long order_id;
	char   *cert_sha256;
	long long request_id;		/* the intake's request it came from */
	enum install_state state;
	int     attempts;
	long long next_try;
	long long lease_until;
	char   *claimed_by;
	char   *last_error;
	long long not_before;
	long long not_after;
	char   *leaf_pem;		/* root's copy, taken when the job was made */
	char   *chain_pem;
	long long created_at;
	long long updated_at;
};

/* Which orders a listing wants (mailcert orders, the web view). */
struct order_filter {
	int     any_state;		/* else only state */
	enum order_state state;
	const char *domain;		/* the name or a parent of one of its names */
	long long expiring_before;	/* latest certificate expires before, 0: any */
	long long limit;		/* 0: all */
	long long before_id;		/* only orders with a smaller id, 0: any
					 * (to read a listing a piece at a time) */
};

typedef int (*order_fn) (void *ctx, const struct order *order);
typedef int (*event_fn) (void *ctx, const struct event *event);
typedef int (*message_fn) (void *ctx, const struct message_record *msg);
typedef int (*request_fn) (void *ctx, const struct install_request *request);

/* Opening, transactions ------------------------------------------------ */
int ledger_open(const struct ledger_location *where, enum ledger_role role,
		struct ledger **out, struct strbuf *err);
/* A daemon's ledger_open(): while PostgreSQL does not answer (it is
 * away, starting, full), try again after a pause that doubles up to 30 s,
 * saying so once, as long as keep_waiting() (NULL: always) says so; any
 * other failure (a refused role, a schema that is not current) at once. */
int ledger_open_patiently(const struct ledger_location *where, enum ledger_role role,
			  struct ledger **out, struct strbuf *err, int (*keep_waiting) (void));
void ledger_close(struct ledger *ledger);
const char *ledger_error(const struct ledger *ledger);
/* Was the last failure a lock held by another process, or the database
 * away (try again)? */
int ledger_busy(const struct ledger *ledger);
/* Is the database away (an outage that was logged once and goes on)? */
int ledger_down(const struct ledger *ledger);
/* "sqlite" or "postgresql" */
const char *ledger_backend_name(const struct ledger *ledger);
/* PostgreSQL: what wakes the daemons of every host (LISTEN channels) */
#define LEDGER_CHANNEL_INSTALL	"mailcert_install"	/* a request, a job */
#define LEDGER_CHANNEL_APPROVE	"mailcert_approve"	/* an approval */
#define LEDGER_CHANNEL_ORDERS	"mailcert_orders"	/* the open orders changed */
/* Listen on channel (and again after a reconnect), drop what arrived, and
 * give the session's socket to wait on; -1 with SQLite or when the server
 * is away. */
int ledger_listen(struct ledger *ledger, const char *channel);
enum ledger_role ledger_role(const struct ledger *ledger);
/* Put why into the ledger's error (a refusal, not a database error); -1. */
int ledger_refuse(struct ledger *ledger, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ledger_begin(struct ledger *ledger);
int ledger_commit(struct ledger *ledger);
void ledger_rollback(struct ledger *ledger);
int ledger_schema_version(struct ledger *ledger, int book);
/* SQLite: attach the order book root made since the ledger was opened (it
 * was read as empty until then): 1 when it did, 0, -1. */
int ledger_refresh(struct ledger *ledger);
/* Changes whenever another connection commits to either store (or the
 * awaited order book appears). */
long long ledger_change_token(struct ledger *ledger);
int ledger_integrity_check(struct ledger *ledger, struct strbuf *result);
/* Tests: see the SQL of every statement run. */
void ledger_trace(struct ledger *ledger, void (*fn) (void *ctx, const char *sql), void *ctx);
/* Tests: EXPLAIN QUERY PLAN of sql, one line per step, into plan. */
int ledger_explain(struct ledger *ledger, const char *sql, struct strbuf *plan);

/* PostgreSQL: the roles of the processes, granted what each writes
 * (ledger_init.c); NULL: none of that kind.  Run by the database's owner
 * after the migrations; one line per role into report.  SQLite: nothing. */
struct ledger_roles {
	const char *intake;		/* [milter] user */
	const char *approver;		/* [approve] user */
	const char *web;		/* [web] user */
};
int ledger_grant_roles(struct ledger *owner, const struct ledger_roles *roles,
		       struct strbuf *report);

/* Copying a ledger (ledger_copy.c) ---------------------------------------- */
struct ledger_table {
	int     book;			/* of the order book, else the intake's */
	const char *name;
	const char *columns;		/* every column, "a, b, c" */
	int     has_id;			/* an id column a sequence gives */
};
extern const struct ledger_table ledger_tables[];	/* ends with a NULL name */
int ledger_table_columns(const struct ledger_table *t);
const struct ledger_table *ledger_table_find(int book, const char *name);
typedef int (*ledger_row_fn) (void *ctx, const struct ledger_table *t, const char *const *values);
/* Every row of the tables of one store (book or the intake's) to fn. */
int ledger_copy_each_row(struct ledger *from, int book, ledger_row_fn fn, void *ctx);
/* 0 when no table of to has a row and each has the columns we know. */
int ledger_copy_is_empty(struct ledger *to, struct strbuf *why);
int ledger_copy_row(struct ledger *to, const struct ledger_table *t, const char *const *values);
/* After the rows: PostgreSQL's sequences past the ids copied. */
int ledger_copy_finish(struct ledger *to);
struct ledger_digest {
	long long rows;
	unsigned long long lanes[4];
};
void ledger_digest_add(struct ledger_digest *d, const char *const *values, int count);
int ledger_table_digest(struct ledger *ledger, const struct ledger_table *t,
			struct ledger_digest *d);
void ledger_digest_hex(const struct ledger_digest *d, char hex[65]);

/* States ---------------------------------------------------------------- */
const char *order_state_name(enum order_state state);
int order_state_from_name(const char *name, enum order_state *state);
const char *book_status_name(enum book_status status);
const char *install_state_name(enum install_state state);
/* Still waiting for mail (not installed, declined, cancelled, superseded)? */
int order_state_is_open(enum order_state state);
void order_clear(struct order *order);
void orders_free(struct order *orders, size_t count);

/* The order book (root writes, everyone reads) ----------------------------- */
int book_add_order(struct ledger *ledger, struct order *order, const char *who);
int book_get_order(struct ledger *ledger, long long id, struct order *order);
/* mailcert order set: only what is not NULL changes. */
int book_update_order(struct ledger *ledger, long long id, const char *ca_order,
		      const char *contact, const char *approve_mode, const char *who);
int book_close_order(struct ledger *ledger, long long id, enum book_status status,
		     const char *reason, const char *who);
int book_link_successor(struct ledger *ledger, long long predecessor, long long successor);
/* The open orders other than except that install into target. */
int book_open_orders_on_target(struct ledger *ledger, const char *target, long long except,
			       struct order **orders, size_t *count);
/* The newest installed order (its certificate in place) on target: count 0 or 1. */
int book_installed_orders_on_target(struct ledger *ledger, const char *target,
				    struct order **orders, size_t *count);
/* Orders by the SHA-256 of their public key, newest first (any status). */
int book_orders_with_key(struct ledger *ledger, const char *spki_sha256,
			 struct order **orders, size_t *count);
/* Open orders of ca with the CA order number ca_order. */
int book_orders_with_ca_order(struct ledger *ledger, const char *ca, const char *ca_order,
			      struct order **orders, size_t *count);
/* Open orders of ca one of whose names is domain, a parent or a child of
 * it; at most max. */
int book_orders_near_domain(struct ledger *ledger, const char *ca, const char *domain, size_t max,
			    struct order **orders, size_t *count);
/* Every open order, by index (the milter's watch set). */
int book_each_open_order(struct ledger *ledger, order_fn fn, void *ctx);
/* Events of root (order changes, installs). */
int book_add_event(struct ledger *ledger, long long order_id, const char *kind,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A notice (expiry, failure) is sent once per kind and reference: 1 when
 * this call recorded it (send it), 0 when it was recorded before. */
int book_notice_once(struct ledger *ledger, const char *kind, const char *ref,
		     const char *recipient);
int book_notice_sent(struct ledger *ledger, const char *kind, const char *ref);
int book_meta_get(struct ledger *ledger, const char *key, long long *value);
int book_meta_set(struct ledger *ledger, const char *key, long long value);

/* The installer's jobs (book) */
/* A job for a certificate of an order, unless there is one: *job_id,
 * *is_new.  job gives order_id, cert_sha256, request_id, the dates and
 * the PEM (root's own copy). */
int book_install_add(struct ledger *ledger, const struct install_job *job, long long *job_id,
		     int *is_new);
int book_install_get(struct ledger *ledger, long long id, struct install_job *job);
int book_install_latest(struct ledger *ledger, long long order_id, struct install_job *job);
/* The newest job that installed certificate sha256 (for any order). */
int book_install_by_cert(struct ledger *ledger, const char *sha256, struct install_job *job);
/* The newest job of the order that installed (done), or LEDGER_NOT_FOUND. */
int book_install_latest_done(struct ledger *ledger, long long order_id, struct install_job *job);
/* Ids of the jobs due at now (pending, or running with a lease run out or
 * claimed by a name that starts with mine_prefix: an installer of this
 * host that died) of the targets installer serves (its heartbeat),
 * oldest first, at most max. */
int book_installs_due(struct ledger *ledger, long long now, const char *mine_prefix,
		      const char *installer, size_t max, long long **ids, size_t *count);

/* The installers that serve the book (book_installers.c) */
struct installer_record {
	char   *name;			/* HOST:CONFIGURATION, one per installer */
	char   *host;
	char   *version;
	char   *targets;		/* the names of its targets, ' ' between */
	char   *key_dir;
	long long poll_interval;	/* it passes at least this often */
	long long started_at;
	long long last_pass;
	long long stopped_at;		/* 0 while it runs */
};
/* Seconds past twice its poll interval before an installer is silent. */
#define INSTALLER_GRACE		60
typedef int (*installer_fn) (void *ctx, const struct installer_record *r);
/* Its heartbeat, and the targets it serves (the due jobs it takes). */
int book_installer_beat(struct ledger *ledger, const struct installer_record *r,
			const struct strlist *targets);
int book_installer_stopped(struct ledger *ledger, const char *name, long long now);
int book_each_installer(struct ledger *ledger, installer_fn fn, void *ctx);
/* Running, and passed within twice its poll interval and INSTALLER_GRACE. */
int installer_is_live(const struct installer_record *r, long long now);
/* The targets of the installers live at now. */
int book_live_targets(struct ledger *ledger, long long now, struct strlist *targets);
void installer_record_clear(struct installer_record *r);
/* The live installers' targets, read once for a listing of orders. */
struct served_targets {
	struct strlist targets;
};
int served_targets_load(struct ledger *ledger, long long now, struct served_targets *s);
/* Open or installed, and no live installer serves its target? */
int order_waits_for_installer(const struct served_targets *s, const struct order *o);
void served_targets_free(struct served_targets *s);
/* Each target of open or installed orders: how many, the first one's id. */
typedef int (*target_use_fn) (void *ctx, const char *target, long long orders, long long first_id);
int book_each_target_in_use(struct ledger *ledger, target_use_fn fn, void *ctx);
/* When the next job of installer's targets falls due (a retry, a lease
 * that runs out); 0: none. */
int book_installs_next_due(struct ledger *ledger, const char *installer, long long *when);
/* Take a due job: running, one more attempt, leased to who until
 * now + lease.  LEDGER_NOT_FOUND when it is not due or another has it. */
int book_install_claim(struct ledger *ledger, long long id, long long now, int lease,
		       const char *who, const char *mine_prefix);
/* Make a pending (retrying) or failed job due now; LEDGER_NOT_FOUND for
 * any other. */
int book_install_retry_now(struct ledger *ledger, long long id, long long now);
int book_install_finish(struct ledger *ledger, long long id, enum install_state state,
			long long next_try, const char *last_error);
void install_job_clear(struct install_job *job);
/* Has root answered (made a job for, or refused) this request of the
 * intake: 1, 0, -1.  Recording the answer (job_id 0: refused). */
int book_request_answered(struct ledger *ledger, long long request_id, long long order_id,
			  const char *cert_sha256);
int book_answer_request(struct ledger *ledger, long long request_id, long long order_id,
			const char *cert_sha256, long long job_id);
/* Every order's newest job with its order (expiry watch), status not
 * cancelled or superseded. */
int book_each_latest_install(struct ledger *ledger,
			     int (*fn) (void *ctx, const struct order *order,
					const struct install_job *job), void *ctx);

/* The intake's ledger (milter, deliver, fetch, approver) --------------------- */
int intake_record_message(struct ledger *ledger, struct message_record *msg);
void message_record_clear(struct message_record *msg);
/* Add an approval unless the order has one with the same dedup: *is_new;
 * approval->id is the row either way. */
int intake_add_approval(struct ledger *ledger, struct approval *approval, int *is_new);
int intake_get_approval(struct ledger *ledger, long long id, struct approval *approval);
int intake_latest_approval(struct ledger *ledger, long long order_id, struct approval *approval);
int intake_update_approval(struct ledger *ledger, const struct approval *approval);
/* Approvals whose action_state is one of states (NULL-terminated) and
 * whose next_try <= now, oldest first, at most max. */
extern const char *const approval_waiting_states[];	/* that may need a person */
int intake_list_approvals(struct ledger *ledger, const char *const *states, long long now,
			  size_t max, struct approval **approvals, size_t *count);
void approval_clear(struct approval *approval);
void approvals_free(struct approval *approvals, size_t count);
/* Add a certificate unless one with its sha256 exists: *is_new. */
int intake_add_certificate(struct ledger *ledger, struct cert_record *cert, int *is_new);
int intake_get_certificate(struct ledger *ledger, long long id, struct cert_record *cert);
int intake_certificate_by_sha(struct ledger *ledger, const char *sha256, struct cert_record *cert);
int intake_latest_certificate(struct ledger *ledger, long long order_id, struct cert_record *cert);
void cert_record_clear(struct cert_record *cert);
int intake_add_install_request(struct ledger *ledger, long long order_id, long long certificate_id,
			       long long *request_id, int *is_new);
/* Mark taken the requests the book has answered; then those still
 * untaken, oldest first, at most max, with their certificates. */
int intake_each_install_request(struct ledger *ledger, size_t max, request_fn fn, void *ctx);
void install_request_clear(struct install_request *request);
/* What mail has done to an order: awaiting_approval when nothing. */
int intake_get_progress(struct ledger *ledger, long long order_id, enum order_state *state);
/* Move it forward (approval_received, approved, issued, declined), with an
 * event; a move backwards is refused (-1, error says so). */
int intake_set_progress(struct ledger *ledger, long long order_id, enum order_state state,
			const char *why);
/* Events of the intake and the approver. */
int intake_add_event(struct ledger *ledger, long long order_id, const char *kind,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* IMAP: the last UID fetched of a mailbox and its UIDVALIDITY. */
int intake_imap_get(struct ledger *ledger, const char *mailbox, long long *uidvalidity,
		    long long *last_uid);
int intake_imap_set(struct ledger *ledger, const char *mailbox, long long uidvalidity,
		    long long last_uid);
/* 1 when digest (of a fetched message) was recorded before for mailbox,
 * 0 when this call recorded it. */
int intake_imap_seen(struct ledger *ledger, const char *mailbox, const char *digest);
/* 1 when digest was recorded for mailbox, 0 when not, -1; changes nothing. */
int intake_imap_known(struct ledger *ledger, const char *mailbox, const char *digest);

/* Views over both (intake and reader roles) ----------------------------------- */
int ledger_get_order(struct ledger *ledger, long long id, struct order *order);
typedef int (*waiting_fn) (void *ctx, const struct approval *a, const struct order *o);
int ledger_each_waiting_approval(struct ledger *ledger, size_t max, waiting_fn fn, void *ctx);
int ledger_each_order(struct ledger *ledger, const struct order_filter *filter, order_fn fn,
		      void *ctx);
/* Events of one order (0: all), both stores, in time order. */
int ledger_each_event(struct ledger *ledger, long long order_id, long long limit, event_fn fn,
		      void *ctx);
/* The newest messages first, at most limit (0: all); of one order when
 * order_id is not 0. */
int ledger_each_message(struct ledger *ledger, long long order_id, long long limit, message_fn fn,
			void *ctx);
/* Counts for /metrics: name -> count into two lists. */
int ledger_count_by(struct ledger *ledger, const char *what, struct strlist *names,
		    struct strlist *counts);

#endif
