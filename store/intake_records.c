/*
 * NAME
 *	intake_records - what the intake records: messages, approvals,
 *	certificates, install requests, progress, events
 * SYNOPSIS
 *	int intake_record_message(ledger, struct message_record *msg)
 *	int intake_add_approval(ledger, struct approval *a, int *is_new)
 *	int intake_get_approval(ledger, id, a), intake_latest_approval(ledger, order_id, a)
 *	int intake_update_approval(ledger, const struct approval *a)
 *	int intake_list_approvals(ledger, states, now, max, approvals, count)
 *	int intake_add_certificate(ledger, struct cert_record *c, int *is_new)
 *	int intake_get_certificate(ledger, id, c)
 *	int intake_certificate_by_sha(ledger, sha256, c)
 *	int intake_latest_certificate(ledger, order_id, c)
 *	int intake_add_install_request(ledger, order_id, certificate_id, &id, &is_new)
 *	int intake_each_install_request(ledger, max, fn, ctx)
 *	int intake_get_progress(ledger, order_id, &state)
 *	int intake_set_progress(ledger, order_id, state, why)
 *	int intake_add_event(ledger, order_id, kind, fmt, ...)
 *	int intake_imap_get(...), intake_imap_set(...), intake_imap_seen(...),
 *	    intake_imap_known(...)
 * DESCRIPTION
 *	Every watched message is recorded, each time it comes: a message
 *	that was not believed must never hide one that comes later with the
 *	same Message-ID.  What is kept once is what was acted on: an approval
 *	per order and dedup (its code, else its link), a certificate per
 *	SHA-256, an install request per certificate.
 *
 *	The progress of an order (approval_received, approved, issued,
 *	declined) only moves forward; a move backwards is refused.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

static void bind_id_or_null(struct db_stmt *st, int n, long long id)
{
	if (id > 0)
		db_bind_int(st, n, id);
	else
		db_bind_text(st, n, NULL);
}

/* Messages ----------------------------------------------------------------- */

void message_record_clear(struct message_record *msg)
{
	free(msg->message_id);
	free(msg->queue_id);
	free(msg->mail_from);
	free(msg->rcpt_to);
	free(msg->subject);
	free(msg->verdict);
	free(msg->reason);
	memset(msg, 0, sizeof(*msg));
}

int intake_record_message(struct ledger *ledger, struct message_record *msg)
{
	struct db_stmt *st;
	int     found;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	if (msg->received_at == 0)
		msg->received_at = ledger_now();
	st = db_prepare(ledger->db, "INSERT INTO messages (message_id, queue_id, mail_from, rcpt_to, "
			"subject, verdict, reason, order_id, received_at) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id");
	db_bind_text(st, 1, msg->message_id);
	db_bind_text(st, 2, msg->queue_id);
	db_bind_text(st, 3, msg->mail_from);
	db_bind_text(st, 4, msg->rcpt_to);
	db_bind_text(st, 5, msg->subject);
	db_bind_text(st, 6, msg->verdict ? msg->verdict : "none");
	db_bind_text(st, 7, msg->reason);
	bind_id_or_null(st, 8, msg->order_id);
	db_bind_int(st, 9, msg->received_at);
	rc = ledger_returning_id(ledger, st, &msg->id, &found, "recording a message");
	return ledger_write_end(ledger, rc);
}

/* Approvals ----------------------------------------------------------------- */

#define APPROVAL_COLUMNS "id, order_id, message_row, link, code, ca_order, domain, dedup, " \
	"authenticated, received_at, action_state, attempts, next_try, last_error"

void approval_clear(struct approval *a)
{
	free(a->link);
	free(a->code);
	free(a->ca_order);
	free(a->domain);
	free(a->dedup);
	free(a->action_state);
	free(a->last_error);
	memset(a, 0, sizeof(*a));
}

void approvals_free(struct approval *approvals, size_t count)
{
	size_t  i;

	for (i = 0; i < count; i++)
		approval_clear(&approvals[i]);
	free(approvals);
}

static void approval_from_row(struct db_stmt *st, void *out)
{
	struct approval *a = out;

	memset(a, 0, sizeof(*a));
	a->id = db_int(st, 0);
	a->order_id = db_int(st, 1);
	a->message_row = db_int(st, 2);
	a->link = db_strdup(st, 3);
	a->code = db_strdup(st, 4);
	a->ca_order = db_strdup(st, 5);
	a->domain = db_strdup(st, 6);
	a->dedup = db_strdup(st, 7);
	a->authenticated = (int) db_int(st, 8);
	a->received_at = db_int(st, 9);
	a->action_state = db_strdup(st, 10);
	a->attempts = (int) db_int(st, 11);
	a->next_try = db_int(st, 12);
	a->last_error = db_strdup(st, 13);
}

int intake_add_approval(struct ledger *ledger, struct approval *a, int *is_new)
{
	struct db_stmt *st;
	int     found;
	int     rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	if (a->received_at == 0)
		a->received_at = ledger_now();
	st = db_prepare(ledger->db, "INSERT INTO approvals (order_id, message_row, link, code, "
			"ca_order, domain, dedup, authenticated, received_at, action_state, attempts, "
			"next_try) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $9) "
			"ON CONFLICT (order_id, dedup) DO NOTHING RETURNING id");
	db_bind_int(st, 1, a->order_id);
	bind_id_or_null(st, 2, a->message_row);
	db_bind_text(st, 3, a->link);
	db_bind_text(st, 4, a->code);
	db_bind_text(st, 5, a->ca_order);
	db_bind_text(st, 6, a->domain);
	db_bind_text(st, 7, a->dedup);
	db_bind_int(st, 8, a->authenticated);
	db_bind_int(st, 9, a->received_at);
	db_bind_text(st, 10, a->action_state ? a->action_state : "pending");
	rc = ledger_returning_id(ledger, st, &a->id, &found, "recording an approval");
	if (rc == 0 && found) {
		*is_new = 1;
	} else if (rc == 0) {
		st = db_prepare(ledger->db, "SELECT id FROM approvals WHERE order_id = $1 AND dedup = $2");
		db_bind_int(st, 1, a->order_id);
		db_bind_text(st, 2, a->dedup);
		rc = ledger_returning_id(ledger, st, &a->id, &found, "reading an approval");
	}
	return ledger_write_end(ledger, rc);
}

int intake_get_approval(struct ledger *ledger, long long id, struct approval *a)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " APPROVAL_COLUMNS " FROM approvals "
					"WHERE id = $1");

	db_bind_int(st, 1, id);
	return ledger_first(ledger, st, approval_from_row, a, "reading an approval");
}

int intake_latest_approval(struct ledger *ledger, long long order_id, struct approval *a)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " APPROVAL_COLUMNS " FROM approvals "
					"WHERE order_id = $1 ORDER BY id DESC LIMIT 1");

	db_bind_int(st, 1, order_id);
	return ledger_first(ledger, st, approval_from_row, a, "reading an approval");
}

int intake_update_approval(struct ledger *ledger, const struct approval *a)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE approvals SET action_state = $1, attempts = $2, "
			"next_try = $3, last_error = $4 WHERE id = $5");
	db_bind_text(st, 1, a->action_state);
	db_bind_int(st, 2, a->attempts);
	db_bind_int(st, 3, a->next_try);
	db_bind_text(st, 4, a->last_error);
	db_bind_int(st, 5, a->id);
	rc = ledger_run(ledger, st, "updating an approval");
	return ledger_write_end(ledger, rc);
}

/* The approvals a person may still have to act on. */
const char *const approval_waiting_states[] = {
	"pending", "notified", "approving", "manual", "unconfirmed", "unconfirmed_notified",
	"unconfirmed_untold", "failed", NULL,
};

int intake_list_approvals(struct ledger *ledger, const char *const *states, long long now,
			  size_t max, struct approval **approvals, size_t *count)
{
	struct approval *all = NULL;
	struct approval *some;
	struct db_stmt *st;
	size_t  n = 0;
	size_t  got;
	size_t  s;

	*approvals = NULL;
	*count = 0;
	for (s = 0; states[s] && (max == 0 || n < max); s++) {
		st = db_prepare(ledger->db, "SELECT " APPROVAL_COLUMNS " FROM approvals "
				"WHERE action_state = $1 AND next_try <= $2 ORDER BY id");
		db_bind_text(st, 1, states[s]);
		db_bind_int(st, 2, now);
		if (ledger_collect(ledger, st, approval_from_row, sizeof(*some), max ? max - n : 0,
				   (void **) &some, &got, "listing approvals") < 0) {
			approvals_free(some, got);
			approvals_free(all, n);
			return -1;
		}
		all = xrealloc(all, (n + got + 1) * sizeof(*all));
		if (got)
			memcpy(all + n, some, got * sizeof(*all));
		n += got;
		free(some);
	}
	*approvals = all;
	*count = n;
	return 0;
}

/* Certificates ------------------------------------------------------------- */

#define CERT_COLUMNS "id, order_id, message_row, sha256, spki_sha256, leaf_pem, chain_pem, " \
	"subject, issuer, names, not_before, not_after, received_at"

void cert_record_clear(struct cert_record *c)
{
	free(c->sha256);
	free(c->spki_sha256);
	free(c->leaf_pem);
	free(c->chain_pem);
	free(c->subject);
	free(c->issuer);
	strlist_free(&c->names);
	memset(c, 0, sizeof(*c));
}

static void cert_from_row(struct db_stmt *st, void *out)
{
	struct cert_record *c = out;
	const char *p;
	size_t  len;

	memset(c, 0, sizeof(*c));
	c->id = db_int(st, 0);
	c->order_id = db_int(st, 1);
	c->message_row = db_int(st, 2);
	c->sha256 = db_strdup(st, 3);
	c->spki_sha256 = db_strdup(st, 4);
	c->leaf_pem = db_strdup(st, 5);
	c->chain_pem = db_strdup(st, 6);
	c->subject = db_strdup(st, 7);
	c->issuer = db_strdup(st, 8);
	for (p = db_text(st, 9); p && *p; p += *p ? 1 : 0) {
		len = strcspn(p, "\n");
		if (len)
			strlist_add_owned(&c->names, xstrndup(p, len));
		p += len;
	}
	c->not_before = db_int(st, 10);
	c->not_after = db_int(st, 11);
	c->received_at = db_int(st, 12);
}

int intake_add_certificate(struct ledger *ledger, struct cert_record *c, int *is_new)
{
	struct db_stmt *st;
	char   *names;
	int     found;
	int     rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	if (c->received_at == 0)
		c->received_at = ledger_now();
	names = names_join("", &c->names);
	st = db_prepare(ledger->db, "INSERT INTO certificates (order_id, message_row, sha256, "
			"spki_sha256, leaf_pem, chain_pem, subject, issuer, names, not_before, not_after, "
			"received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
			"ON CONFLICT (sha256) DO NOTHING RETURNING id");
	bind_id_or_null(st, 1, c->order_id);
	bind_id_or_null(st, 2, c->message_row);
	db_bind_text(st, 3, c->sha256);
	db_bind_text(st, 4, c->spki_sha256);
	db_bind_text(st, 5, c->leaf_pem);
	db_bind_text(st, 6, c->chain_pem ? c->chain_pem : "");
	db_bind_text(st, 7, c->subject);
	db_bind_text(st, 8, c->issuer);
	db_bind_text(st, 9, names[0] == '\n' ? names + 1 : names);
	db_bind_int(st, 10, c->not_before);
	db_bind_int(st, 11, c->not_after);
	db_bind_int(st, 12, c->received_at);
	rc = ledger_returning_id(ledger, st, &c->id, &found, "recording a certificate");
	free(names);
	if (rc == 0 && found) {
		*is_new = 1;
	} else if (rc == 0) {
		st = db_prepare(ledger->db, "SELECT id FROM certificates WHERE sha256 = $1");
		db_bind_text(st, 1, c->sha256);
		rc = ledger_returning_id(ledger, st, &c->id, &found, "reading a certificate");
	}
	return ledger_write_end(ledger, rc);
}

int intake_get_certificate(struct ledger *ledger, long long id, struct cert_record *c)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " CERT_COLUMNS " FROM certificates "
					"WHERE id = $1");

	db_bind_int(st, 1, id);
	return ledger_first(ledger, st, cert_from_row, c, "reading a certificate");
}

int intake_certificate_by_sha(struct ledger *ledger, const char *sha256, struct cert_record *c)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " CERT_COLUMNS " FROM certificates "
					"WHERE sha256 = $1");

	db_bind_text(st, 1, sha256);
	return ledger_first(ledger, st, cert_from_row, c, "reading a certificate");
}

int intake_latest_certificate(struct ledger *ledger, long long order_id, struct cert_record *c)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " CERT_COLUMNS " FROM certificates "
					"WHERE order_id = $1 ORDER BY id DESC LIMIT 1");

	db_bind_int(st, 1, order_id);
	return ledger_first(ledger, st, cert_from_row, c, "reading a certificate");
}

/* Install requests ----------------------------------------------------------- */

void install_request_clear(struct install_request *r)
{
	free(r->sha256);
	free(r->leaf_pem);
	free(r->chain_pem);
	memset(r, 0, sizeof(*r));
}

int intake_add_install_request(struct ledger *ledger, long long order_id, long long certificate_id,
			       long long *request_id, int *is_new)
{
	struct db_stmt *st;
	int     found;
	int     rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO install_requests (order_id, certificate_id, created_at) "
			"VALUES ($1, $2, $3) ON CONFLICT (certificate_id) DO NOTHING RETURNING id");
	db_bind_int(st, 1, order_id);
	db_bind_int(st, 2, certificate_id);
	db_bind_int(st, 3, ledger_now());
	rc = ledger_returning_id(ledger, st, request_id, &found, "adding an install request");
	if (rc == 0 && found) {
		*is_new = 1;
	} else if (rc == 0) {
		st = db_prepare(ledger->db, "SELECT id FROM install_requests WHERE certificate_id = $1");
		db_bind_int(st, 1, certificate_id);
		rc = ledger_returning_id(ledger, st, request_id, &found, "reading an install request");
	}
	return ledger_write_end(ledger, rc);
}

struct each_request {
	request_fn fn;
	void   *ctx;
};

static int call_with_request(void *ctx, struct db_stmt *st)
{
	struct each_request *each = ctx;
	struct install_request r;
	int     stop;

	memset(&r, 0, sizeof(r));
	r.id = db_int(st, 0);
	r.order_id = db_int(st, 1);
	r.certificate_id = db_int(st, 2);
	r.sha256 = db_strdup(st, 3);
	r.leaf_pem = db_strdup(st, 4);
	r.chain_pem = db_strdup(st, 5);
	stop = each->fn(each->ctx, &r);
	install_request_clear(&r);
	return stop;
}

/* intake_each_install_request - mark taken the requests the book has
 * answered (the same request, order and certificate), then hand fn those
 * still untaken, oldest first */

int intake_each_install_request(struct ledger *ledger, size_t max, request_fn fn, void *ctx)
{
	struct each_request each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE install_requests SET taken = 1 WHERE taken = 0 AND EXISTS "
			"(SELECT 1 FROM book.request_answers a JOIN certificates c "
			"ON c.id = install_requests.certificate_id WHERE a.request_id = install_requests.id "
			"AND a.order_id = install_requests.order_id AND a.cert_sha256 = c.sha256)");
	rc = ledger_run(ledger, st, "marking answered install requests");
	if (rc == 0) {
		st = db_prepare(ledger->db, "SELECT r.id, r.order_id, r.certificate_id, c.sha256, "
				"c.leaf_pem, c.chain_pem FROM install_requests r JOIN certificates c "
				"ON c.id = r.certificate_id WHERE r.taken = 0 ORDER BY r.id LIMIT $1");
		db_bind_int(st, 1, (long long) max);
		rc = ledger_each_row(ledger, st, call_with_request, &each, "listing install requests");
	}
	return ledger_write_end(ledger, rc < 0 ? -1 : 0);
}

/* Progress ------------------------------------------------------------------- */

static void state_from_row(struct db_stmt *st, void *out)
{
	if (order_state_from_name(db_text(st, 0), out) < 0)
		*(enum order_state *) out = ORDER_AWAITING_APPROVAL;
}

int intake_get_progress(struct ledger *ledger, long long order_id, enum order_state *state)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT state FROM order_progress WHERE order_id = $1");
	int     rc;

	*state = ORDER_AWAITING_APPROVAL;
	db_bind_int(st, 1, order_id);
	rc = ledger_first(ledger, st, state_from_row, state, "reading an order's progress");
	return rc == LEDGER_NOT_FOUND ? 0 : rc;
}

/* progress_allowed - forward only; a certificate for the order's key makes
 * it issued from any earlier state (but a decline stays a decline) */

static int progress_allowed(enum order_state from, enum order_state to)
{
	if (from == to)
		return 1;
	switch (to) {
	case ORDER_APPROVAL_RECEIVED:
		return from == ORDER_AWAITING_APPROVAL;
	case ORDER_APPROVED:
		return from == ORDER_AWAITING_APPROVAL || from == ORDER_APPROVAL_RECEIVED;
	case ORDER_ISSUED:
		return from != ORDER_DECLINED;
	case ORDER_DECLINED:
		return from != ORDER_ISSUED;
	default:
		return 0;
	}
}

int intake_set_progress(struct ledger *ledger, long long order_id, enum order_state state,
			const char *why)
{
	enum order_state from;
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	rc = intake_get_progress(ledger, order_id, &from);
	if (rc == 0 && !progress_allowed(from, state))
		rc = ledger_refuse(ledger, "order %lld is %s, it cannot become %s", order_id,
				   order_state_name(from), order_state_name(state));
	if (rc == 0 && from != state) {
		st = db_prepare(ledger->db, "INSERT INTO order_progress (order_id, state, updated_at) "
				"VALUES ($1, $2, $3) ON CONFLICT (order_id) DO UPDATE SET "
				"state = excluded.state, updated_at = excluded.updated_at");
		db_bind_int(st, 1, order_id);
		db_bind_text(st, 2, order_state_name(state));
		db_bind_int(st, 3, ledger_now());
		rc = ledger_run(ledger, st, "changing an order's progress");
		if (rc == 0)
			rc = intake_add_event(ledger, order_id, "state", "%s -> %s: %s",
					      order_state_name(from), order_state_name(state), why ? why : "");
	}
	return ledger_write_end(ledger, rc);
}

/* Events --------------------------------------------------------------------- */

int intake_add_event(struct ledger *ledger, long long order_id, const char *kind,
		     const char *fmt, ...)
{
	struct db_stmt *st;
	char    detail[2048];
	va_list ap;
	int     rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO events (order_id, at, kind, detail) "
			"VALUES ($1, $2, $3, $4)");
	if (st == NULL)
		return ledger_write_end(ledger, ledger_fail(ledger, NULL));
	bind_id_or_null(st, 1, order_id);
	db_bind_int(st, 2, ledger_now());
	db_bind_text(st, 3, kind);
	db_bind_text(st, 4, detail);
	rc = ledger_run(ledger, st, "adding an event");
	return ledger_write_end(ledger, rc);
}

/* IMAP ----------------------------------------------------------------------- */

static void two_ints(struct db_stmt *st, void *out)
{
	long long *v = out;

	v[0] = db_int(st, 0);
	v[1] = db_int(st, 1);
}

int intake_imap_get(struct ledger *ledger, const char *mailbox, long long *uidvalidity,
		    long long *last_uid)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT uidvalidity, last_uid FROM imap_state "
					"WHERE mailbox = $1");
	long long v[2] = {0, 0};
	int     rc;

	db_bind_text(st, 1, mailbox);
	rc = ledger_first(ledger, st, two_ints, v, "reading a mailbox's state");
	*uidvalidity = v[0];
	*last_uid = v[1];
	return rc;
}

int intake_imap_set(struct ledger *ledger, const char *mailbox, long long uidvalidity,
		    long long last_uid)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO imap_state (mailbox, uidvalidity, last_uid, updated_at) "
			"VALUES ($1, $2, $3, $4) ON CONFLICT (mailbox) DO UPDATE SET "
			"uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
			"updated_at = excluded.updated_at");
	db_bind_text(st, 1, mailbox);
	db_bind_int(st, 2, uidvalidity);
	db_bind_int(st, 3, last_uid);
	db_bind_int(st, 4, ledger_now());
	rc = ledger_run(ledger, st, "writing a mailbox's state");
	return ledger_write_end(ledger, rc);
}

int intake_imap_seen(struct ledger *ledger, const char *mailbox, const char *digest)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO imap_seen (mailbox, digest, seen_at) "
			"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
	db_bind_text(st, 1, mailbox);
	db_bind_text(st, 2, digest);
	db_bind_int(st, 3, ledger_now());
	rc = ledger_run(ledger, st, "recording a fetched message");
	if (rc == 0)
		rc = db_changes(ledger->db) > 0 ? 0 : 1;
	return ledger_write_end(ledger, rc);
}

static void one_int(struct db_stmt *st, void *out)
{
	*(long long *) out = db_int(st, 0);
}

int intake_imap_known(struct ledger *ledger, const char *mailbox, const char *digest)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT count(*) FROM imap_seen "
					"WHERE mailbox = $1 AND digest = $2");
	long long n = 0;

	db_bind_text(st, 1, mailbox);
	db_bind_text(st, 2, digest);
	if (ledger_first(ledger, st, one_int, &n, "looking up a fetched message") < 0)
		return -1;
	return n > 0;
}
