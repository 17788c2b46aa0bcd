/*
 * NAME
 *	ledger_copy - every row of both stores, from one backend to the other
 * SYNOPSIS
 *	#include "ledger.h"
 *
 *	const struct ledger_table *ledger_table_find(int book, const char *name)
 *	int ledger_copy_each_row(struct ledger *from, int book,
 *				 ledger_row_fn fn, void *ctx)
 *	int ledger_copy_is_empty(struct ledger *to, struct strbuf *why)
 *	int ledger_copy_row(struct ledger *to, const struct ledger_table *t,
 *			    const char *const *values)
 *	int ledger_copy_finish(struct ledger *to)
 *	void ledger_digest_add(struct ledger_digest *d, const char *const *values,
 *			       int count)
 *	int ledger_table_digest(struct ledger *ledger,
 *				const struct ledger_table *t,
 *				struct ledger_digest *d)
 *	void ledger_digest_hex(const struct ledger_digest *d, char hex[65])
 * DESCRIPTION
 *	ledger_tables[] names every table of both stores with all its
 *	columns, in one order for both backends; a row is its columns as
 *	text (NULL stays NULL), which both backends read and write alike.
 *	ledger_copy_each_row() hands fn every row of the tables of one
 *	store; ledger_copy_row() inserts one into the same table of another
 *	ledger (opened LEDGER_ROLE_OWNER, in the caller's transaction), ids
 *	included; ledger_copy_finish() moves PostgreSQL's identity sequences
 *	past the ids copied, so that the next row gets a new one.
 *
 *	ledger_copy_is_empty() refuses a destination with a row in any table
 *	or a table with a column this program does not know (a copy would
 *	leave it out).
 *
 *	A digest of a table is the number of its rows and the sum, lane by
 *	lane modulo 2^64, of the SHA-256 of each row's text: it does not
 *	depend on the order rows are read in (the backends sort text
 *	differently), and a changed, missing or extra row changes it.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ledger_internal.h"
#include "mymalloc.h"

#define MAX_COLUMNS	DB_MAX_PARAMS

const struct ledger_table ledger_tables[] = {
	{1, "orders", "id, domain, names, ca, ca_order, approver, key_sha256, key_origin, target, "
	 "contact, approve_mode, status, predecessor, successor, closed_reason, created_at, updated_at", 1},
	{1, "order_names", "order_id, name, rname", 0},
	{1, "installs", "id, order_id, cert_sha256, request_id, state, attempts, next_try, lease_until, "
	 "claimed_by, last_error, not_before, not_after, leaf_pem, chain_pem, created_at, updated_at", 1},
	{1, "events", "id, order_id, at, kind, detail", 1},
	{1, "notices", "kind, ref, sent_at, recipient", 0},
	{1, "meta", "key, value", 0},
	{1, "request_answers", "request_id, order_id, cert_sha256, answered_at, job_id", 0},
	{1, "installers", "name, host, version, targets, key_dir, poll_interval, started_at, last_pass, stopped_at", 0},
	{1, "installer_targets", "installer, target", 0},
	{0, "messages", "id, message_id, queue_id, mail_from, rcpt_to, subject, verdict, reason, "
	 "order_id, received_at", 1},
	{0, "approvals", "id, order_id, message_row, link, code, ca_order, domain, dedup, authenticated, "
	 "received_at, action_state, attempts, next_try, last_error", 1},
	{0, "certificates", "id, order_id, message_row, sha256, spki_sha256, leaf_pem, chain_pem, "
	 "subject, issuer, names, not_before, not_after, received_at", 1},
	{0, "install_requests", "id, order_id, certificate_id, created_at, taken", 1},
	{0, "order_progress", "order_id, state, updated_at", 0},
	{0, "events", "id, order_id, at, kind, detail", 1},
	{0, "imap_state", "mailbox, uidvalidity, last_uid, updated_at", 0},
	{0, "imap_seen", "mailbox, digest, seen_at", 0},
	{0, NULL, NULL, 0},
};

int ledger_table_columns(const struct ledger_table *t)
{
	int     n = 1;

	for (const char *p = t->columns; *p; p++)
		n += *p == ',';
	return n;
}

const struct ledger_table *ledger_table_find(int book, const char *name)
{
	const struct ledger_table *t;

	for (t = ledger_tables; t->name; t++)
		if (t->book == book && strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* qualified - book.NAME, or the intake's NAME as the session finds it */

static void qualified(const struct ledger_table *t, char *out, size_t len)
{
	snprintf(out, len, "%s%s", t->book ? "book." : "", t->name);
}

/* Reading ----------------------------------------------------------------------- */

struct each_copy {
	const struct ledger_table *table;
	ledger_row_fn fn;
	void   *ctx;
	int     columns;
};

static int call_with_values(void *ctx, struct db_stmt *st)
{
	struct each_copy *each = ctx;
	const char *values[MAX_COLUMNS];
	int     i;

	for (i = 0; i < each->columns; i++)
		values[i] = db_text(st, i);
	return each->fn(each->ctx, each->table, values);
}

static int each_row_of(struct ledger *ledger, const struct ledger_table *t, ledger_row_fn fn,
		       void *ctx)
{
	struct each_copy each = {t, fn, ctx, ledger_table_columns(t)};
	char    name[64];
	char   *sql;
	int     rc;

	qualified(t, name, sizeof(name));
	sql = xmalloc(strlen(t->columns) + 2 * sizeof(name));
	sprintf(sql, "SELECT %s FROM %s", t->columns, name);
	rc = ledger_each_row(ledger, db_prepare_uncached(ledger->db, sql), call_with_values, &each,
			     "reading a table to copy");
	free(sql);
	return rc;
}

int ledger_copy_each_row(struct ledger *from, int book, ledger_row_fn fn, void *ctx)
{
	const struct ledger_table *t;
	int     rc;

	for (t = ledger_tables; t->name; t++)
		if (t->book == book && (rc = each_row_of(from, t, fn, ctx)) != 0)
			return rc;
	return 0;
}

/* Writing ------------------------------------------------------------------------- */

static long long count_of(struct ledger *ledger, const char *sql, const char *a, const char *b)
{
	struct db_stmt *st = db_prepare_uncached(ledger->db, sql);
	long long n = -1;

	if (a)
		db_bind_text(st, 1, a);
	if (b)
		db_bind_text(st, 2, b);
	if (st && db_step(st) == DB_ROW)
		n = db_int(st, 0);
	db_release(st);
	return n;
}

/* actual_columns - how many columns the destination's table has */

static long long actual_columns(struct ledger *ledger, const struct ledger_table *t)
{
	if (ledger->db->backend == DB_PGSQL)
		return count_of(ledger, "SELECT count(*) FROM information_schema.columns "
				"WHERE table_schema = $1 AND table_name = $2",
				t->book ? "book" : "intake", t->name);
	return count_of(ledger, "SELECT count(*) FROM pragma_table_info($1, $2)", t->name,
			t->book ? "book" : "main");
}

int ledger_copy_is_empty(struct ledger *to, struct strbuf *why)
{
	const struct ledger_table *t;
	char    name[64];
	char    sql[128];
	long long n;

	for (t = ledger_tables; t->name; t++) {
		qualified(t, name, sizeof(name));
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", name);
		if ((n = count_of(to, sql, NULL, NULL)) < 0) {
			sb_appendf(why, "%s: %s", name, db_error(to->db));
			return -1;
		}
		if (n > 0) {
			sb_appendf(why, "the destination is not empty: %s has %lld rows", name, n);
			return -1;
		}
		if ((n = actual_columns(to, t)) != ledger_table_columns(t)) {
			sb_appendf(why, "%s has %lld columns, this program copies %d", name, n,
				   ledger_table_columns(t));
			return -1;
		}
	}
	return 0;
}

int ledger_copy_row(struct ledger *to, const struct ledger_table *t, const char *const *values)
{
	static char *sql[32];		/* built once per table: the cache keys on it */
	struct strbuf sb = STRBUF_INIT;
	struct db_stmt *st;
	size_t  slot = (size_t) (t - ledger_tables);
	int     n = ledger_table_columns(t);
	char    name[64];
	int     i;

	if (slot >= sizeof(sql) / sizeof(sql[0]))
		return ledger_refuse(to, "too many tables");
	if (sql[slot] == NULL) {
		qualified(t, name, sizeof(name));
		sb_appendf(&sb, "INSERT INTO %s (%s) VALUES (", name, t->columns);
		for (i = 1; i <= n; i++)
			sb_appendf(&sb, "%s$%d", i > 1 ? ", " : "", i);
		sb_appends(&sb, ")");
		sql[slot] = sb_steal(&sb);
	}
	st = db_prepare(to->db, sql[slot]);
	for (i = 0; i < n; i++)
		db_bind_text(st, i + 1, values[i]);
	return ledger_run(to, st, "copying a row");
}

int ledger_copy_finish(struct ledger *to)
{
	const struct ledger_table *t;
	char    sql[256];
	char    name[64];

	if (to->db->backend != DB_PGSQL)
		return 0;
	for (t = ledger_tables; t->name; t++) {
		if (!t->has_id)
			continue;
		snprintf(name, sizeof(name), "%s.%s", t->book ? "book" : "intake", t->name);
		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
			 "COALESCE(max(id), 0) + 1, false) FROM %s", name, name);
		if (db_exec(to->db, sql) < 0)
			return ledger_fail(to, "moving a sequence past the copied ids");
	}
	return 0;
}

/* Digests ------------------------------------------------------------------------ */

void ledger_digest_add(struct ledger_digest *d, const char *const *values, int count)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	unsigned long long lane;
	int     i;
	int     j;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < count; i++) {
		/* a NULL and an empty text differ; each value ends with 0x1f */
		if (values[i] == NULL)
			EVP_DigestUpdate(md, "\x00N", 2);
		else
			EVP_DigestUpdate(md, values[i], strlen(values[i]));
		EVP_DigestUpdate(md, "\x1f", 1);
	}
	EVP_DigestFinal_ex(md, hash, &len);
	EVP_MD_CTX_free(md);
	for (i = 0; i < 4; i++) {
		lane = 0;
		for (j = 0; j < 8; j++)
			lane = (lane << 8) | hash[i * 8 + j];
		d->lanes[i] += lane;
	}
	d->rows++;
}

static int add_to_digest(void *ctx, const struct ledger_table *t, const char *const *values)
{
	ledger_digest_add(ctx, values, ledger_table_columns(t));
	return 0;
}

int ledger_table_digest(struct ledger *ledger, const struct ledger_table *t,
			struct ledger_digest *d)
{
	memset(d, 0, sizeof(*d));
	return each_row_of(ledger, t, add_to_digest, d) < 0 ? -1 : 0;
}

void ledger_digest_hex(const struct ledger_digest *d, char hex[65])
{
	int     i;

	for (i = 0; i < 4; i++)
		snprintf(hex + 16 * i, 17, "%016llx", (unsigned long long) d->lanes[i]);
}
