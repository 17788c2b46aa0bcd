/*
 * NAME
 *	schema - the ledger's tables and their migrations
 * SYNOPSIS
 *	int ledger_migrate(struct ledger *ledger)
 * DESCRIPTION
 *	The schema is versioned with PRAGMA user_version.  migrations[i]
 *	takes a database from version i to i + 1; ledger_migrate() applies
 *	the missing ones in order, each in its own BEGIN IMMEDIATE
 *	transaction together with the new user_version, so a crash leaves the
 *	database at one version or the next, never between.  A database newer
 *	than this program is refused rather than guessed at.
 */
#include <stdio.h>

#include "ledger_internal.h"

static const char *const migrations[] = {
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
};

#define MIGRATION_COUNT ((int) (sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == LEDGER_SCHEMA_VERSION,
	       "one migration per schema version");

int ledger_schema_version(struct ledger *ledger)
{
	sqlite3_stmt *stmt;
	int version = -1;

	if ((stmt = ledger_prepare(ledger, "PRAGMA user_version")) == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	else
		ledger_fail(ledger, "reading the schema version");
	ledger_release(ledger, stmt);
	return version;
}

static int apply_migration(struct ledger *ledger, int from)
{
	char pragma[64];

	if (sqlite3_exec(ledger->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return ledger_fail(ledger, "starting a schema migration");
	/* Another process may have migrated while we waited for the lock. */
	if (ledger_schema_version(ledger) != from) {
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", from + 1);
	if (sqlite3_exec(ledger->db, migrations[from], NULL, NULL, NULL) != SQLITE_OK
	    || sqlite3_exec(ledger->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		ledger_fail(ledger, "migrating the schema");
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(ledger->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		ledger_fail(ledger, "committing a schema migration");
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int ledger_migrate(struct ledger *ledger)
{
	int version;

	while ((version = ledger_schema_version(ledger)) < MIGRATION_COUNT) {
		if (version < 0)
			return -1;
		if (apply_migration(ledger, version) < 0)
			return -1;
	}
	if (version > MIGRATION_COUNT) {
		snprintf(ledger->error, sizeof(ledger->error),
			 "schema version %d is newer than this program knows (%d)",
			 version, MIGRATION_COUNT);
		return -1;
	}
	return 0;
}
