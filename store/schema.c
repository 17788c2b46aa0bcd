/*
 * NAME
 *	schema - the tables of both stores and their migrations (SQLite)
 * SYNOPSIS
 *	int ledger_migrate_intake(struct ledger *ledger)
 *	int ledger_migrate_book(struct ledger *ledger)
 * DESCRIPTION
 *	Each schema is versioned with its own PRAGMA user_version.
 *	intake_migrations[i] takes the intake's ledger from version i to
 *	i + 1, book_migrations[i] the order book; each is applied in its own
 *	BEGIN IMMEDIATE transaction together with the new version, so a crash
 *	leaves a store at one version or the next, never between.  A store
 *	newer than this program is refused rather than guessed at.
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
 * LICENSE
 *	See the README of mailcert.
 */
#include <stdio.h>
#include <string.h>

#include "ledger_internal.h"

static const char *const intake_migrations[] = {
	/* 0 -> 1: the first schema */
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
	"CREATE INDEX events_order ON events(order_id, id);",

	/* 1 -> 2: what happens to an approval link (notify, auto, manual) */
	"ALTER TABLE approvals ADD COLUMN action_state TEXT NOT NULL DEFAULT 'pending';"
	"ALTER TABLE approvals ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE approvals ADD COLUMN next_try INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE approvals ADD COLUMN last_error TEXT;"
	"CREATE INDEX approvals_action ON approvals(action_state, next_try);",

	/* 2 -> 3: orders leave for the book; intake tables without foreign keys */
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
	"  PRIMARY KEY (mailbox, digest));",
};

static const char *const book_migrations[] = {
	/* 0 -> 1: the first order book */
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
	"CREATE TABLE book.meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
};

#define INTAKE_COUNT ((int) (sizeof(intake_migrations) / sizeof(intake_migrations[0])))
#define BOOK_COUNT ((int) (sizeof(book_migrations) / sizeof(book_migrations[0])))

_Static_assert(sizeof(intake_migrations) / sizeof(intake_migrations[0]) == LEDGER_INTAKE_VERSION,
	       "one migration per intake schema version");
_Static_assert(sizeof(book_migrations) / sizeof(book_migrations[0]) == LEDGER_BOOK_VERSION,
	       "one migration per book schema version");

/* apply_migration - one step from version from, in one transaction */

static int apply_migration(struct ledger *ledger, const char *schema, const char *sql, int from,
			   int book)
{
	char    pragma[64];
	struct db *db = ledger->db;

	if (db_exec(db, "BEGIN IMMEDIATE") < 0)
		return ledger_fail(ledger, NULL);
	/* Another process may have migrated while we waited for the lock. */
	if (ledger_schema_version(ledger, book) != from) {
		db_exec(db, "ROLLBACK");
		return 0;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA %s.user_version = %d", schema, from + 1);
	if (db_exec(db, sql) < 0 || db_exec(db, pragma) < 0) {
		ledger_fail(ledger, NULL);
		ledger_rollback(ledger);
		return -1;
	}
	if (db_exec(db, "COMMIT") < 0) {
		ledger_fail(ledger, NULL);
		ledger_rollback(ledger);
		return -1;
	}
	return 0;
}

static int migrate(struct ledger *ledger, const char *schema, const char *const *steps, int count,
		   int book)
{
	int     version;

	while ((version = ledger_schema_version(ledger, book)) < count) {
		if (version < 0)
			return ledger_fail(ledger, "reading the schema version");
		if (apply_migration(ledger, schema, steps[version], version, book) < 0)
			return -1;
	}
	if (version > count)
		return ledger_refuse(ledger, "schema version %d is newer than this program knows (%d)",
				     version, count);
	return 0;
}

int ledger_migrate_intake(struct ledger *ledger)
{
	return migrate(ledger, "main", intake_migrations, INTAKE_COUNT, 0);
}

int ledger_migrate_book(struct ledger *ledger)
{
	return migrate(ledger, "book", book_migrations, BOOK_COUNT, 1);
}
