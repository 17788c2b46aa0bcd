/*
 * NAME
 *	schema - the tables of both stores and their migrations, for both
 *	backends
 * SYNOPSIS
 *	int ledger_migrate_intake(struct ledger *ledger)
 *	int ledger_migrate_book(struct ledger *ledger)
 *	int ledger_schema_version(struct ledger *ledger, int book)
 * DESCRIPTION
 *	Each store has a schema version, the same numbers for SQLite and
 *	PostgreSQL: LEDGER_INTAKE_VERSION and LEDGER_BOOK_VERSION.  A
 *	migration takes a store from one version to a later one; each is
 *	applied in its own transaction together with the new version, so a
 *	crash leaves a store at one version or the next, never between, and
 *	two processes that migrate at once do it once (SQLite: BEGIN
 *	IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), the
 *	second finding the version moved on.  A store newer than this
 *	program is refused rather than guessed at.
 *
 *	SQLite keeps the version in PRAGMA user_version of each file (the
 *	book attached as "book").  PostgreSQL keeps both stores in one
 *	database, as the schemas "intake" and "book", each with a one-row
 *	table schema_info; PostgreSQL began at the versions SQLite had
 *	reached then (intake 3, book 1), so its first migration goes from 0
 *	straight there.  Its columns that a range is read on (reversed
 *	names) compare bytes (COLLATE "C"), as SQLite does; a change to the
 *	open orders or their progress notifies the channel
 *	LEDGER_PG_ORDERS_CHANNEL, which the milter's watch set listens to.
 *
 *	Version 3 of the intake's ledger is the split of privilege: the
 *	orders leave it for the order book, which only root writes.  The
 *	orders of a version 2 ledger stay behind as v2_orders and
 *	v2_order_names, unused: they were writable by the milter, so they
 *	are not trusted into the book; "mailcert ledger export-v2" prints
 *	them for the operator to check and "mailcert order import".
 *
 *	There are no foreign keys: an intake row names a book order by id,
 *	across two files, and the installer checks every reference itself.
 *	With SQLite the intake migrates its own ledger and root the book when
 *	they open them; with PostgreSQL only the database's owner may change
 *	a schema, so "mailcert ledger init" (ledger_init.c) migrates both,
 *	and the other roles refuse a schema that is not current.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <string.h>

#include "ledger_internal.h"

struct migration {
	int     from;
	int     to;
	const char *sql;
};

/* SQLite --------------------------------------------------------------------- */

static const struct migration sqlite_intake[] = {
	/* 0 -> 1: the first schema */
	{0, 1,
	"CREATE TABLE orders ("
	"  id INTEGER PRIMARY KEY,"
	"  domain TEXT NOT NULL,"
	"  ca TEXT NOT NULL,"
	"  ca_order TEXT,"
	"  approver TEXT,"
	"  key_path TEXT NOT NULL,"
	"  key_sha256 TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  contact TEXT,"
	"  approve_mode TEXT,"
	"  state TEXT NOT NULL CHECK (state IN ('awaiting_approval','approval_received',"
	"    'approved','issued','installed','install_failed','declined')),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE order_names ("
	"  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (order_id, name));"
	"CREATE INDEX order_names_name ON order_names(name);"
	"CREATE INDEX orders_key ON orders(key_sha256);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  queue_id TEXT,"
	"  mail_from TEXT,"
	"  rcpt_to TEXT,"
	"  subject TEXT,"
	"  verdict TEXT NOT NULL,"
	"  reason TEXT,"
	"  order_id INTEGER REFERENCES orders(id),"
	"  received_at INTEGER NOT NULL);"
	"CREATE TABLE approvals ("
	"  id INTEGER PRIMARY KEY,"
	"  order_id INTEGER NOT NULL REFERENCES orders(id),"
	"  message_row INTEGER REFERENCES messages(id),"
	"  link TEXT,"
	"  code TEXT,"
	"  ca_order TEXT,"
	"  authenticated INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL);"
	"CREATE INDEX approvals_order ON approvals(order_id);"
	"CREATE TABLE certificates ("
	"  id INTEGER PRIMARY KEY,"
	"  order_id INTEGER REFERENCES orders(id),"
	"  message_row INTEGER REFERENCES messages(id),"
	"  sha256 TEXT NOT NULL UNIQUE,"
	"  spki_sha256 TEXT NOT NULL,"
	"  leaf_pem TEXT NOT NULL,"
	"  chain_pem TEXT NOT NULL,"
	"  subject TEXT,"
	"  issuer TEXT,"
	"  names TEXT NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL);"
	"CREATE INDEX certificates_order ON certificates(order_id);"
	"CREATE TABLE install_jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  order_id INTEGER NOT NULL REFERENCES orders(id),"
	"  certificate_id INTEGER NOT NULL UNIQUE REFERENCES certificates(id),"
	"  state TEXT NOT NULL CHECK (state IN ('pending','running','done','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX install_jobs_due ON install_jobs(state, next_try);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  order_id INTEGER REFERENCES orders(id),"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE INDEX events_order ON events(order_id, id);"},

	/* 1 -> 2: what happens to an approval link (notify, auto, manual) */
	{1, 2,
	"ALTER TABLE approvals ADD COLUMN action_state TEXT NOT NULL DEFAULT 'pending';"
	"ALTER TABLE approvals ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE approvals ADD COLUMN next_try INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE approvals ADD COLUMN last_error TEXT;"
	"CREATE INDEX approvals_action ON approvals(action_state, next_try);"},

	/* 2 -> 3: orders leave for the book; intake tables without foreign keys */
	{2, 3,
	"CREATE TABLE v2_orders AS SELECT * FROM orders;"
	"CREATE TABLE v2_order_names AS SELECT * FROM order_names;"
	"CREATE TABLE messages_v3 ("
	"  id INTEGER PRIMARY KEY, message_id TEXT, queue_id TEXT, mail_from TEXT,"
	"  rcpt_to TEXT, subject TEXT, verdict TEXT NOT NULL, reason TEXT,"
	"  order_id INTEGER, received_at INTEGER NOT NULL);"
	"INSERT INTO messages_v3 SELECT id, message_id, queue_id, mail_from, rcpt_to, subject,"
	"  verdict, reason, order_id, received_at FROM messages;"
	"CREATE TABLE approvals_v3 ("
	"  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, message_row INTEGER,"
	"  link TEXT, code TEXT, ca_order TEXT, domain TEXT, dedup TEXT NOT NULL,"
	"  authenticated INTEGER NOT NULL, received_at INTEGER NOT NULL,"
	"  action_state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
	"  UNIQUE (order_id, dedup));"
	"INSERT OR IGNORE INTO approvals_v3 SELECT id, order_id, message_row, link, code, ca_order,"
	"  NULL, COALESCE(code, link, 'approval ' || id), authenticated, received_at, action_state,"
	"  attempts, next_try, last_error FROM approvals;"
	"CREATE TABLE certificates_v3 ("
	"  id INTEGER PRIMARY KEY, order_id INTEGER, message_row INTEGER,"
	"  sha256 TEXT NOT NULL UNIQUE, spki_sha256 TEXT NOT NULL, leaf_pem TEXT NOT NULL,"
	"  chain_pem TEXT NOT NULL, subject TEXT, issuer TEXT, names TEXT NOT NULL,"
	"  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, received_at INTEGER NOT NULL);"
	"INSERT INTO certificates_v3 SELECT id, order_id, message_row, sha256, spki_sha256, leaf_pem,"
	"  chain_pem, subject, issuer, names, not_before, not_after, received_at FROM certificates;"
	"CREATE TABLE install_requests ("
	"  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
	"  certificate_id INTEGER NOT NULL UNIQUE, created_at INTEGER NOT NULL);"
	"INSERT INTO install_requests SELECT id, order_id, certificate_id, created_at FROM install_jobs;"
	"CREATE TABLE order_progress ("
	"  order_id INTEGER PRIMARY KEY,"
	"  state TEXT NOT NULL CHECK (state IN ('approval_received','approved','issued','declined')),"
	"  updated_at INTEGER NOT NULL);"
	"INSERT INTO order_progress SELECT id, CASE WHEN state IN ('installed','install_failed')"
	"  THEN 'issued' ELSE state END, updated_at FROM orders WHERE state <> 'awaiting_approval';"
	"CREATE TABLE events_v3 ("
	"  id INTEGER PRIMARY KEY, order_id INTEGER, at INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"INSERT INTO events_v3 SELECT id, order_id, at, kind, detail FROM events;"
	"DROP TABLE install_jobs; DROP TABLE certificates; DROP TABLE approvals;"
	"DROP TABLE messages; DROP TABLE events; DROP TABLE order_names; DROP TABLE orders;"
	"ALTER TABLE messages_v3 RENAME TO messages;"
	"ALTER TABLE approvals_v3 RENAME TO approvals;"
	"ALTER TABLE certificates_v3 RENAME TO certificates;"
	"ALTER TABLE events_v3 RENAME TO events;"
	"CREATE INDEX messages_order ON messages(order_id, id);"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE INDEX approvals_order ON approvals(order_id, id);"
	"CREATE INDEX approvals_action ON approvals(action_state, next_try);"
	"CREATE INDEX certificates_order ON certificates(order_id, id);"
	"CREATE INDEX certificates_expiry ON certificates(not_after);"
	"CREATE INDEX events_order ON events(order_id, id);"
	"CREATE TABLE imap_state ("
	"  mailbox TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE imap_seen ("
	"  mailbox TEXT NOT NULL, digest TEXT NOT NULL, seen_at INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox, digest));"},

	/* 3 -> 4: a request the book has answered is marked taken (by the
	 * installer's helper): the installer reads only the untaken ones, and
	 * keeps no cursor over ids that the intake's user could push away */
	{3, 4,
	"ALTER TABLE install_requests ADD COLUMN taken INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX install_requests_untaken ON install_requests(id) WHERE taken = 0;"},
};

/* The order book's version 2, written once for both backends (SQLite takes
 * these types as it takes any). */
#define BOOK_V2 \
	"CREATE TABLE book.request_answers (" \
	"  request_id bigint NOT NULL, order_id bigint NOT NULL, cert_sha256 text NOT NULL," \
	"  answered_at bigint NOT NULL, job_id bigint," \
	"  PRIMARY KEY (request_id, order_id, cert_sha256));" \
	"CREATE TABLE book.installers (" \
	"  name text PRIMARY KEY, host text NOT NULL, version text NOT NULL, targets text NOT NULL," \
	"  key_dir text NOT NULL, poll_interval bigint NOT NULL, started_at bigint NOT NULL," \
	"  last_pass bigint NOT NULL, stopped_at bigint NOT NULL DEFAULT 0);" \
	"CREATE TABLE book.installer_targets (" \
	"  installer text NOT NULL, target text NOT NULL, PRIMARY KEY (installer, target));"

static const struct migration sqlite_book[] = {
	/* 0 -> 1: the first order book */
	{0, 1,
	"CREATE TABLE book.orders ("
	"  id INTEGER PRIMARY KEY, domain TEXT NOT NULL, names TEXT NOT NULL,"
	"  ca TEXT NOT NULL, ca_order TEXT, approver TEXT, key_sha256 TEXT NOT NULL,"
	"  key_origin TEXT, target TEXT NOT NULL, contact TEXT, approve_mode TEXT,"
	"  status TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (status IN ('open','installed','cancelled','superseded')),"
	"  predecessor INTEGER, successor INTEGER, closed_reason TEXT,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX book.orders_open ON orders(id) WHERE status = 'open';"
	"CREATE INDEX book.orders_status ON orders(status, id);"
	"CREATE INDEX book.orders_key ON orders(key_sha256);"
	"CREATE INDEX book.orders_ca_order ON orders(ca, ca_order);"
	"CREATE INDEX book.orders_target ON orders(target, status);"
	"CREATE TABLE book.order_names ("
	"  order_id INTEGER NOT NULL, name TEXT NOT NULL, rname TEXT NOT NULL,"
	"  PRIMARY KEY (order_id, name));"
	"CREATE INDEX book.order_names_rname ON order_names(rname);"
	"CREATE TABLE book.installs ("
	"  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, cert_sha256 TEXT NOT NULL,"
	"  request_id INTEGER,"
	"  state TEXT NOT NULL CHECK (state IN ('pending','running','done','failed','refused')),"
	"  attempts INTEGER NOT NULL DEFAULT 0, next_try INTEGER NOT NULL DEFAULT 0,"
	"  lease_until INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, last_error TEXT,"
	"  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	"  leaf_pem TEXT NOT NULL, chain_pem TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  UNIQUE (order_id, cert_sha256));"
	"CREATE INDEX book.installs_due ON installs(state, next_try);"
	"CREATE INDEX book.installs_order ON installs(order_id, id);"
	"CREATE INDEX book.installs_cert ON installs(cert_sha256);"
	"CREATE TABLE book.events ("
	"  id INTEGER PRIMARY KEY, order_id INTEGER, at INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE INDEX book.events_order ON events(order_id, id);"
	"CREATE TABLE book.notices ("
	"  kind TEXT NOT NULL, ref TEXT NOT NULL, sent_at INTEGER NOT NULL, recipient TEXT,"
	"  PRIMARY KEY (kind, ref));"
	"CREATE TABLE book.meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"},

	/* 1 -> 2: the answers to the intake's install requests (which the
	 * helper marks taken), the installers that serve the book */
	{1, 2, BOOK_V2},
};

/* PostgreSQL ------------------------------------------------------------------ */

static const struct migration pgsql_intake[] = {
	/* 0 -> 3: the intake's ledger as SQLite has it at version 3 */
	{0, 3,
	"CREATE SCHEMA intake;"
	"CREATE TABLE intake.schema_info (version integer NOT NULL);"
	"INSERT INTO intake.schema_info VALUES (0);"
	"CREATE TABLE intake.messages ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, message_id text, queue_id text,"
	"  mail_from text, rcpt_to text, subject text, verdict text NOT NULL, reason text,"
	"  order_id bigint, received_at bigint NOT NULL);"
	"CREATE INDEX messages_order ON intake.messages (order_id, id);"
	"CREATE INDEX messages_message_id ON intake.messages (message_id);"
	"CREATE TABLE intake.approvals ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL,"
	"  message_row bigint, link text, code text, ca_order text, domain text, dedup text NOT NULL,"
	"  authenticated integer NOT NULL, received_at bigint NOT NULL,"
	"  action_state text NOT NULL DEFAULT 'pending', attempts integer NOT NULL DEFAULT 0,"
	"  next_try bigint NOT NULL DEFAULT 0, last_error text,"
	"  UNIQUE (order_id, dedup));"
	"CREATE INDEX approvals_order ON intake.approvals (order_id, id);"
	"CREATE INDEX approvals_action ON intake.approvals (action_state, next_try);"
	"CREATE TABLE intake.certificates ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, order_id bigint, message_row bigint,"
	"  sha256 text NOT NULL UNIQUE, spki_sha256 text NOT NULL, leaf_pem text NOT NULL,"
	"  chain_pem text NOT NULL, subject text, issuer text, names text NOT NULL,"
	"  not_before bigint NOT NULL, not_after bigint NOT NULL, received_at bigint NOT NULL);"
	"CREATE INDEX certificates_order ON intake.certificates (order_id, id);"
	"CREATE INDEX certificates_expiry ON intake.certificates (not_after);"
	"CREATE TABLE intake.install_requests ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL,"
	"  certificate_id bigint NOT NULL UNIQUE, created_at bigint NOT NULL);"
	"CREATE TABLE intake.order_progress ("
	"  order_id bigint PRIMARY KEY,"
	"  state text NOT NULL CHECK (state IN ('approval_received','approved','issued','declined')),"
	"  updated_at bigint NOT NULL);"
	"CREATE TABLE intake.events ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, order_id bigint, at bigint NOT NULL,"
	"  kind text NOT NULL, detail text NOT NULL);"
	"CREATE INDEX events_order ON intake.events (order_id, id);"
	"CREATE TABLE intake.imap_state ("
	"  mailbox text PRIMARY KEY, uidvalidity bigint NOT NULL, last_uid bigint NOT NULL,"
	"  updated_at bigint NOT NULL);"
	"CREATE TABLE intake.imap_seen ("
	"  mailbox text NOT NULL, digest text NOT NULL, seen_at bigint NOT NULL,"
	"  PRIMARY KEY (mailbox, digest));"
	"CREATE FUNCTION intake.notify_orders() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path = pg_catalog AS $$ BEGIN"
	"  PERFORM pg_notify('" LEDGER_PG_ORDERS_CHANNEL "', TG_TABLE_NAME); RETURN NULL; END $$;"
	"CREATE TRIGGER order_progress_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
	"  ON intake.order_progress FOR EACH STATEMENT EXECUTE FUNCTION intake.notify_orders();"},

	/* 3 -> 4: as SQLite's; and a new install request or approval wakes
	 * the installers and approvers of every host (LISTEN) */
	{3, 4,
	"ALTER TABLE intake.install_requests ADD COLUMN taken integer NOT NULL DEFAULT 0;"
	"CREATE INDEX install_requests_untaken ON intake.install_requests (id) WHERE taken = 0;"
	"CREATE FUNCTION intake.notify_install() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path = pg_catalog AS $$ BEGIN"
	"  PERFORM pg_notify('" LEDGER_CHANNEL_INSTALL "', ''); RETURN NULL; END $$;"
	"CREATE TRIGGER install_requests_added AFTER INSERT ON intake.install_requests"
	"  FOR EACH STATEMENT EXECUTE FUNCTION intake.notify_install();"
	"CREATE FUNCTION intake.notify_approve() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path = pg_catalog AS $$ BEGIN"
	"  PERFORM pg_notify('" LEDGER_CHANNEL_APPROVE "', ''); RETURN NULL; END $$;"
	"CREATE TRIGGER approvals_added AFTER INSERT ON intake.approvals"
	"  FOR EACH STATEMENT EXECUTE FUNCTION intake.notify_approve();"},
};

static const struct migration pgsql_book[] = {
	/* 0 -> 1: the order book as SQLite has it at version 1 */
	{0, 1,
	"CREATE SCHEMA book;"
	"CREATE TABLE book.schema_info (version integer NOT NULL);"
	"INSERT INTO book.schema_info VALUES (0);"
	"CREATE TABLE book.orders ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, domain text NOT NULL,"
	"  names text NOT NULL, ca text NOT NULL, ca_order text, approver text,"
	"  key_sha256 text NOT NULL, key_origin text, target text NOT NULL, contact text,"
	"  approve_mode text, status text NOT NULL DEFAULT 'open'"
	"    CHECK (status IN ('open','installed','cancelled','superseded')),"
	"  predecessor bigint, successor bigint, closed_reason text,"
	"  created_at bigint NOT NULL, updated_at bigint NOT NULL);"
	"CREATE INDEX orders_open ON book.orders (id) WHERE status = 'open';"
	"CREATE INDEX orders_status ON book.orders (status, id);"
	"CREATE INDEX orders_key ON book.orders (key_sha256);"
	"CREATE INDEX orders_ca_order ON book.orders (ca, ca_order);"
	"CREATE INDEX orders_target ON book.orders (target, status);"
	"CREATE TABLE book.order_names ("
	"  order_id bigint NOT NULL, name text NOT NULL, rname text COLLATE \"C\" NOT NULL,"
	"  PRIMARY KEY (order_id, name));"
	"CREATE INDEX order_names_rname ON book.order_names (rname);"
	"CREATE TABLE book.installs ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL,"
	"  cert_sha256 text NOT NULL, request_id bigint,"
	"  state text NOT NULL CHECK (state IN ('pending','running','done','failed','refused')),"
	"  attempts integer NOT NULL DEFAULT 0, next_try bigint NOT NULL DEFAULT 0,"
	"  lease_until bigint NOT NULL DEFAULT 0, claimed_by text, last_error text,"
	"  not_before bigint NOT NULL, not_after bigint NOT NULL,"
	"  leaf_pem text NOT NULL, chain_pem text NOT NULL,"
	"  created_at bigint NOT NULL, updated_at bigint NOT NULL,"
	"  UNIQUE (order_id, cert_sha256));"
	"CREATE INDEX installs_due ON book.installs (state, next_try);"
	"CREATE INDEX installs_order ON book.installs (order_id, id);"
	"CREATE INDEX installs_cert ON book.installs (cert_sha256);"
	"CREATE TABLE book.events ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, order_id bigint,"
	"  at bigint NOT NULL, kind text NOT NULL, detail text NOT NULL);"
	"CREATE INDEX events_order ON book.events (order_id, id);"
	"CREATE TABLE book.notices ("
	"  kind text NOT NULL, ref text NOT NULL, sent_at bigint NOT NULL, recipient text,"
	"  PRIMARY KEY (kind, ref));"
	"CREATE TABLE book.meta (key text PRIMARY KEY, value bigint NOT NULL);"
	"CREATE FUNCTION book.notify_orders() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path = pg_catalog AS $$ BEGIN"
	"  PERFORM pg_notify('" LEDGER_PG_ORDERS_CHANNEL "', TG_TABLE_NAME); RETURN NULL; END $$;"
	"CREATE TRIGGER orders_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
	"  ON book.orders FOR EACH STATEMENT EXECUTE FUNCTION book.notify_orders();"},

	/* 1 -> 2: as SQLite's; a new install job wakes the installers */
	{1, 2, BOOK_V2
	"CREATE FUNCTION book.notify_install() RETURNS trigger LANGUAGE plpgsql"
	"  SET search_path = pg_catalog AS $$ BEGIN"
	"  PERFORM pg_notify('" LEDGER_CHANNEL_INSTALL "', ''); RETURN NULL; END $$;"
	"CREATE TRIGGER installs_added AFTER INSERT ON book.installs"
	"  FOR EACH STATEMENT EXECUTE FUNCTION book.notify_install();"},
};

#define COUNT(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* The migrations of one store on one backend. */
struct store_schema {
	const char *name;		/* SQLite: the attached name; PG: the schema */
	const struct migration *steps;
	int     count;
};

static const struct store_schema schemas[2][2] = {
	[DB_SQLITE] = {{"main", sqlite_intake, COUNT(sqlite_intake)},
		{"book", sqlite_book, COUNT(sqlite_book)}},
	[DB_PGSQL] = {{"intake", pgsql_intake, COUNT(pgsql_intake)},
		{"book", pgsql_book, COUNT(pgsql_book)}},
};

/* Versions --------------------------------------------------------------------- */

static long long first_value(struct ledger *ledger, struct db_stmt *st, long long none)
{
	long long value = none;
	int     rc;

	if (st == NULL)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW)
		value = db_is_null(st, 0) ? none : db_int(st, 0);
	db_release(st);
	(void) ledger;
	return rc == DB_ERROR ? -1 : value;
}

static int pgsql_version(struct ledger *ledger, const char *schema)
{
	struct db_stmt *st;
	char    sql[128];
	long long exists;

	st = db_prepare_uncached(ledger->db, "SELECT to_regclass($1) IS NOT NULL");
	snprintf(sql, sizeof(sql), "%s.schema_info", schema);
	db_bind_text(st, 1, sql);
	if ((exists = first_value(ledger, st, 0)) <= 0)
		return (int) exists;
	snprintf(sql, sizeof(sql), "SELECT max(version) FROM %s.schema_info", schema);
	return (int) first_value(ledger, db_prepare_uncached(ledger->db, sql), 0);
}

int ledger_schema_version(struct ledger *ledger, int book)
{
	const struct store_schema *store = &schemas[ledger->db->backend][book ? 1 : 0];
	char    sql[64];

	if (ledger->db->backend == DB_PGSQL)
		return pgsql_version(ledger, store->name);
	snprintf(sql, sizeof(sql), "PRAGMA %s.user_version", store->name);
	return (int) first_value(ledger, db_prepare_uncached(ledger->db, sql), 0);
}

static int set_version(struct ledger *ledger, const struct store_schema *store, int version)
{
	char    sql[96];

	if (ledger->db->backend == DB_PGSQL)
		snprintf(sql, sizeof(sql), "UPDATE %s.schema_info SET version = %d", store->name, version);
	else
		snprintf(sql, sizeof(sql), "PRAGMA %s.user_version = %d", store->name, version);
	return db_exec(ledger->db, sql);
}

/* Migrating ---------------------------------------------------------------------- */

/* lock_for_migration - begin; one migrating process at a time */

static int lock_for_migration(struct ledger *ledger)
{
	if (ledger->db->backend == DB_SQLITE)
		return db_exec(ledger->db, "BEGIN IMMEDIATE");
	if (db_exec(ledger->db, "BEGIN") < 0)
		return -1;
	if (db_exec(ledger->db, "SELECT pg_advisory_xact_lock(" LEDGER_PG_MIGRATION_LOCK ")") < 0) {
		db_exec(ledger->db, "ROLLBACK");
		return -1;
	}
	return 0;
}

/* apply_migration - one step, in one transaction */

static int apply_migration(struct ledger *ledger, const struct store_schema *store,
			   const struct migration *step, int book)
{
	struct db *db = ledger->db;

	if (lock_for_migration(ledger) < 0)
		return ledger_fail(ledger, NULL);
	/* Another process may have migrated while we waited for the lock. */
	if (ledger_schema_version(ledger, book) != step->from) {
		db_exec(db, "ROLLBACK");
		return 0;
	}
	if (db_exec(db, step->sql) < 0 || set_version(ledger, store, step->to) < 0
	    || db_exec(db, "COMMIT") < 0) {
		ledger_fail(ledger, NULL);
		ledger_rollback(ledger);
		return -1;
	}
	return 0;
}

static const struct migration *step_from(const struct store_schema *store, int version)
{
	int     i;

	for (i = 0; i < store->count; i++)
		if (store->steps[i].from == version)
			return &store->steps[i];
	return NULL;
}

static int migrate(struct ledger *ledger, int book)
{
	const struct store_schema *store = &schemas[ledger->db->backend][book];
	int     target = book ? LEDGER_BOOK_VERSION : LEDGER_INTAKE_VERSION;
	const struct migration *step;
	int     version;

	while ((version = ledger_schema_version(ledger, book)) < target) {
		if (version < 0)
			return ledger_fail(ledger, "reading the schema version");
		if ((step = step_from(store, version)) == NULL)
			return ledger_refuse(ledger, "no migration from schema version %d", version);
		if (apply_migration(ledger, store, step, book) < 0)
			return -1;
	}
	if (version > target)
		return ledger_refuse(ledger, "schema version %d is newer than this program knows (%d)",
				     version, target);
	return 0;
}

int ledger_migrate_intake(struct ledger *ledger)
{
	return migrate(ledger, 0);
}

int ledger_migrate_book(struct ledger *ledger)
{
	return migrate(ledger, 1);
}
