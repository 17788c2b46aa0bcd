/*
 * NAME
 *	ledger_mail - what the milter records: messages, approvals, certificates
 * SYNOPSIS
 *	int ledger_message_seen(ledger, message_id, long long *row)
 *	int ledger_record_message(ledger, struct message_record *msg, int *is_new)
 *	int ledger_list_messages(ledger, struct message_record **msgs, size_t *count)
 *	int ledger_record_approval(ledger, struct approval *approval)
 *	int ledger_latest_approval(ledger, order_id, struct approval *approval)
 *	int ledger_list_approvals(ledger, states, now, approvals, count)
 *	int ledger_update_approval_action(ledger, const struct approval *approval)
 *	int ledger_record_certificate(ledger, struct cert_record *cert, int *is_new)
 *	int ledger_get_certificate(ledger, id, cert)
 *	int ledger_latest_certificate(ledger, order_id, cert)
 * DESCRIPTION
 *	A message is known by its Message-ID: recording it again (Postfix
 *	retrying after a temporary failure, a second recipient) changes
 *	nothing.  A certificate is known by its SHA-256 the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

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

void message_records_free(struct message_record *msgs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		message_record_clear(&msgs[i]);
	free(msgs);
}

static void bind_order_id(sqlite3_stmt *stmt, int idx, long long order_id)
{
	if (order_id > 0)
		sqlite3_bind_int64(stmt, idx, order_id);
	else
		sqlite3_bind_null(stmt, idx);
}

/* select_one_id - the first column of the first row of a query with one
 * text parameter, or LEDGER_NOT_FOUND */

static int select_one_id(struct ledger *ledger, const char *sql, const char *param,
			         long long *id)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = ledger_prepare(ledger, sql)) == NULL)
		return -1;
	bind_text(stmt, 1, param);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = LEDGER_NOT_FOUND;
	} else {
		rc = ledger_fail(ledger, "looking up a record");
	}
	ledger_release(ledger, stmt);
	return rc;
}

int ledger_message_seen(struct ledger *ledger, const char *message_id, long long *row)
{
	long long id = 0;
	int rc;

	rc = select_one_id(ledger, "SELECT id FROM messages WHERE message_id = ?1", message_id, &id);
	if (rc == 0 && row)
		*row = id;
	return rc;
}

static int insert_message(struct ledger *ledger, struct message_record *msg)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "INSERT INTO messages (message_id, queue_id, mail_from, "
			      "rcpt_to, subject, verdict, reason, order_id, received_at) "
			      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (stmt == NULL)
		return -1;
	if (msg->received_at == 0)
		msg->received_at = ledger_now();
	bind_text(stmt, 1, msg->message_id);
	bind_text(stmt, 2, msg->queue_id);
	bind_text(stmt, 3, msg->mail_from);
	bind_text(stmt, 4, msg->rcpt_to);
	bind_text(stmt, 5, msg->subject);
	bind_text(stmt, 6, msg->verdict ? msg->verdict : "none");
	bind_text(stmt, 7, msg->reason);
	bind_order_id(stmt, 8, msg->order_id);
	sqlite3_bind_int64(stmt, 9, msg->received_at);
	rc = ledger_step_done(ledger, stmt, "recording a message");
	ledger_release(ledger, stmt);
	if (rc == 0)
		msg->id = sqlite3_last_insert_rowid(ledger->db);
	return rc;
}

int ledger_record_message(struct ledger *ledger, struct message_record *msg, int *is_new)
{
	long long row;
	int rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	rc = ledger_message_seen(ledger, msg->message_id, &row);
	if (rc == 0) {
		msg->id = row;
	} else if (rc == LEDGER_NOT_FOUND) {
		rc = insert_message(ledger, msg);
		*is_new = rc == 0;
	}
	return ledger_write_end(ledger, rc);
}

int ledger_list_messages(struct ledger *ledger, struct message_record **msgs, size_t *count)
{
	sqlite3_stmt *stmt;
	struct message_record *list = NULL;
	size_t n = 0;
	size_t cap = 0;
	int rc;

	*msgs = NULL;
	*count = 0;
	stmt = ledger_prepare(ledger, "SELECT id, message_id, queue_id, mail_from, rcpt_to, "
			      "subject, verdict, reason, order_id, received_at FROM messages ORDER BY id");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[n].id = sqlite3_column_int64(stmt, 0);
		list[n].message_id = column_strdup(stmt, 1);
		list[n].queue_id = column_strdup(stmt, 2);
		list[n].mail_from = column_strdup(stmt, 3);
		list[n].rcpt_to = column_strdup(stmt, 4);
		list[n].subject = column_strdup(stmt, 5);
		list[n].verdict = column_strdup(stmt, 6);
		list[n].reason = column_strdup(stmt, 7);
		list[n].order_id = sqlite3_column_int64(stmt, 8);
		list[n].received_at = sqlite3_column_int64(stmt, 9);
		n++;
	}
	ledger_release(ledger, stmt);
	if (rc != SQLITE_DONE) {
		message_records_free(list, n);
		return ledger_fail(ledger, "listing messages");
	}
	*msgs = list;
	*count = n;
	return 0;
}

/* Approvals ------------------------------------------------------------- */

#define APPROVAL_COLUMNS "id, order_id, message_row, link, code, ca_order, authenticated, " \
	"received_at, action_state, attempts, next_try, last_error"

void approval_clear(struct approval *approval)
{
	free(approval->link);
	free(approval->code);
	free(approval->ca_order);
	free(approval->action_state);
	free(approval->last_error);
	memset(approval, 0, sizeof(*approval));
}

void approvals_free(struct approval *approvals, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		approval_clear(&approvals[i]);
	free(approvals);
}

static void approval_from_row(sqlite3_stmt *stmt, void *out)
{
	struct approval *a = out;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(stmt, 0);
	a->order_id = sqlite3_column_int64(stmt, 1);
	a->message_row = sqlite3_column_int64(stmt, 2);
	a->link = column_strdup(stmt, 3);
	a->code = column_strdup(stmt, 4);
	a->ca_order = column_strdup(stmt, 5);
	a->authenticated = sqlite3_column_int(stmt, 6);
	a->received_at = sqlite3_column_int64(stmt, 7);
	a->action_state = column_strdup(stmt, 8);
	a->attempts = sqlite3_column_int(stmt, 9);
	a->next_try = sqlite3_column_int64(stmt, 10);
	a->last_error = column_strdup(stmt, 11);
}

int ledger_record_approval(struct ledger *ledger, struct approval *a)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "INSERT INTO approvals (order_id, message_row, link, code, "
			      "ca_order, authenticated, received_at, action_state, attempts, next_try) "
			      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?7)");
	if (stmt == NULL)
		return -1;
	if (a->received_at == 0)
		a->received_at = ledger_now();
	sqlite3_bind_int64(stmt, 1, a->order_id);
	bind_order_id(stmt, 2, a->message_row);
	bind_text(stmt, 3, a->link);
	bind_text(stmt, 4, a->code);
	bind_text(stmt, 5, a->ca_order);
	sqlite3_bind_int(stmt, 6, a->authenticated);
	sqlite3_bind_int64(stmt, 7, a->received_at);
	bind_text(stmt, 8, a->action_state ? a->action_state : "pending");
	if (ledger_write_begin(ledger) < 0) {
		ledger_release(ledger, stmt);
		return -1;
	}
	rc = ledger_step_done(ledger, stmt, "recording an approval");
	ledger_release(ledger, stmt);
	if (rc == 0)
		a->id = sqlite3_last_insert_rowid(ledger->db);
	return ledger_write_end(ledger, rc);
}

int ledger_latest_approval(struct ledger *ledger, long long order_id, struct approval *a)
{
	return ledger_select_row(ledger, "SELECT " APPROVAL_COLUMNS " FROM approvals "
				 "WHERE order_id = ?1 ORDER BY id DESC LIMIT 1", order_id,
				 approval_from_row, a, "an approval");
}

int ledger_list_approvals(struct ledger *ledger, const char *const *states, long long now,
			          struct approval **approvals, size_t *count)
{
	sqlite3_stmt *stmt;
	struct approval *list = NULL;
	size_t n = 0;
	size_t cap = 0;
	size_t s;
	int rc = SQLITE_DONE;

	*approvals = NULL;
	*count = 0;
	stmt = ledger_prepare(ledger, "SELECT " APPROVAL_COLUMNS " FROM approvals "
			      "WHERE action_state = ?1 AND next_try <= ?2 ORDER BY id");
	if (stmt == NULL)
		return -1;
	for (s = 0; states[s] && rc == SQLITE_DONE; s++) {
		sqlite3_reset(stmt);
		bind_text(stmt, 1, states[s]);
		sqlite3_bind_int64(stmt, 2, now);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				list = xrealloc(list, cap * sizeof(*list));
			}
			approval_from_row(stmt, &list[n++]);
		}
	}
	ledger_release(ledger, stmt);
	if (rc != SQLITE_DONE) {
		approvals_free(list, n);
		return ledger_fail(ledger, "listing approvals");
	}
	*approvals = list;
	*count = n;
	return 0;
}

int ledger_update_approval_action(struct ledger *ledger, const struct approval *a)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "UPDATE approvals SET action_state = ?1, attempts = ?2, "
			      "next_try = ?3, last_error = ?4 WHERE id = ?5");
	if (stmt == NULL)
		return -1;
	bind_text(stmt, 1, a->action_state);
	sqlite3_bind_int(stmt, 2, a->attempts);
	sqlite3_bind_int64(stmt, 3, a->next_try);
	bind_text(stmt, 4, a->last_error);
	sqlite3_bind_int64(stmt, 5, a->id);
	if (ledger_write_begin(ledger) < 0) {
		ledger_release(ledger, stmt);
		return -1;
	}
	rc = ledger_step_done(ledger, stmt, "updating an approval");
	ledger_release(ledger, stmt);
	return ledger_write_end(ledger, rc);
}

/* Certificates ---------------------------------------------------------- */

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

static void cert_from_row(sqlite3_stmt *stmt, void *out)
{
	struct cert_record *c = out;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	c->order_id = sqlite3_column_int64(stmt, 1);
	c->message_row = sqlite3_column_int64(stmt, 2);
	c->sha256 = column_strdup(stmt, 3);
	c->spki_sha256 = column_strdup(stmt, 4);
	c->leaf_pem = column_strdup(stmt, 5);
	c->chain_pem = column_strdup(stmt, 6);
	c->subject = column_strdup(stmt, 7);
	c->issuer = column_strdup(stmt, 8);
	names_split((const char *) sqlite3_column_text(stmt, 9), &c->names);
	c->not_before = sqlite3_column_int64(stmt, 10);
	c->not_after = sqlite3_column_int64(stmt, 11);
	c->received_at = sqlite3_column_int64(stmt, 12);
}

int ledger_get_certificate(struct ledger *ledger, long long id, struct cert_record *c)
{
	return ledger_select_row(ledger, "SELECT " CERT_COLUMNS " FROM certificates WHERE id = ?1",
				 id, cert_from_row, c, "a certificate");
}

int ledger_latest_certificate(struct ledger *ledger, long long order_id, struct cert_record *c)
{
	return ledger_select_row(ledger, "SELECT " CERT_COLUMNS " FROM certificates "
				 "WHERE order_id = ?1 ORDER BY id DESC LIMIT 1", order_id,
				 cert_from_row, c, "a certificate");
}

static int insert_certificate(struct ledger *ledger, struct cert_record *c)
{
	sqlite3_stmt *stmt;
	char *names;
	int rc;

	stmt = ledger_prepare(ledger, "INSERT INTO certificates (order_id, message_row, sha256, "
			      "spki_sha256, leaf_pem, chain_pem, subject, issuer, names, not_before, "
			      "not_after, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
			      "?10, ?11, ?12)");
	if (stmt == NULL)
		return -1;
	if (c->received_at == 0)
		c->received_at = ledger_now();
	names = names_join(&c->names);
	bind_order_id(stmt, 1, c->order_id);
	bind_order_id(stmt, 2, c->message_row);
	bind_text(stmt, 3, c->sha256);
	bind_text(stmt, 4, c->spki_sha256);
	bind_text(stmt, 5, c->leaf_pem);
	bind_text(stmt, 6, c->chain_pem ? c->chain_pem : "");
	bind_text(stmt, 7, c->subject);
	bind_text(stmt, 8, c->issuer);
	bind_text(stmt, 9, names);
	sqlite3_bind_int64(stmt, 10, c->not_before);
	sqlite3_bind_int64(stmt, 11, c->not_after);
	sqlite3_bind_int64(stmt, 12, c->received_at);
	rc = ledger_step_done(ledger, stmt, "recording a certificate");
	ledger_release(ledger, stmt);
	free(names);
	if (rc == 0)
		c->id = sqlite3_last_insert_rowid(ledger->db);
	return rc;
}

int ledger_record_certificate(struct ledger *ledger, struct cert_record *c, int *is_new)
{
	long long id;
	int rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	rc = select_one_id(ledger, "SELECT id FROM certificates WHERE sha256 = ?1", c->sha256, &id);
	if (rc == 0) {
		c->id = id;
	} else if (rc == LEDGER_NOT_FOUND) {
		rc = insert_certificate(ledger, c);
		*is_new = rc == 0;
	}
	return ledger_write_end(ledger, rc);
}
