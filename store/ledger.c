/*
 * NAME
 *	ledger - open the SQLite ledger; transactions and shared helpers
 * SYNOPSIS
 *	int ledger_open(const char *path, int busy_timeout_ms,
 *			struct ledger **out, struct strbuf *err)
 *	void ledger_close(struct ledger *ledger)
 *	int ledger_begin(ledger), ledger_commit(ledger)
 *	void ledger_rollback(ledger)
 *	const char *ledger_error(ledger)
 *	long long ledger_data_version(ledger)
 *	int ledger_integrity_check(ledger, struct strbuf *result)
 * DESCRIPTION
 *	The ledger is the one interface between the milter, the installer
 *	and the operator; all may have it open at once.  It is opened in WAL
 *	mode with synchronous=FULL (a committed record survives a power cut),
 *	foreign keys on and a busy timeout, and its schema is migrated
 *	forward on open.  Writes take the lock up front (BEGIN IMMEDIATE) so
 *	two writers never deadlock half-way.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_internal.h"
#include "mymalloc.h"

long long ledger_now(void)
{
	return (long long) time(NULL);
}

int ledger_fail(struct ledger *ledger, const char *what)
{
	snprintf(ledger->error, sizeof(ledger->error), "%s: %s", what,
		 sqlite3_errmsg(ledger->db));
	return -1;
}

const char *ledger_error(const struct ledger *ledger)
{
	return ledger->error;
}

/* ledger_prepare - statements are prepared once per connection and kept:
 * preparing costs more than running most of them.  A statement already
 * in use (the same query nested) gets a fresh, uncached one. */

sqlite3_stmt *ledger_prepare(struct ledger *ledger, const char *sql)
{
	struct cached_stmt *free_slot = NULL;
	sqlite3_stmt *stmt = NULL;
	int i;

	for (i = 0; i < LEDGER_STMT_CACHE; i++) {
		struct cached_stmt *c = &ledger->cache[i];

		if (c->sql == sql && !c->in_use) {
			c->in_use = 1;
			return c->stmt;
		}
		if (c->sql == NULL && free_slot == NULL)
			free_slot = c;
	}
	if (sqlite3_prepare_v3(ledger->db, sql, -1, free_slot ? SQLITE_PREPARE_PERSISTENT : 0,
			       &stmt, NULL) != SQLITE_OK) {
		ledger_fail(ledger, "preparing a query");
		return NULL;
	}
	if (free_slot) {
		free_slot->sql = sql;
		free_slot->stmt = stmt;
		free_slot->in_use = 1;
	}
	return stmt;
}

void ledger_release(struct ledger *ledger, sqlite3_stmt *stmt)
{
	int i;

	for (i = 0; i < LEDGER_STMT_CACHE; i++) {
		if (ledger->cache[i].stmt == stmt && ledger->cache[i].in_use) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			ledger->cache[i].in_use = 0;
			return;
		}
	}
	sqlite3_finalize(stmt);
}

int ledger_step_done(struct ledger *ledger, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return ledger_fail(ledger, what);
	return 0;
}

int ledger_select_row(struct ledger *ledger, const char *sql, long long param,
		              ledger_row_fn from_row, void *out, const char *what)
{
	sqlite3_stmt *stmt;
	char    doing[128];
	int     rc;

	if ((stmt = ledger_prepare(ledger, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, param);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		from_row(stmt, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = LEDGER_NOT_FOUND;
	} else {
		snprintf(doing, sizeof(doing), "reading %s", what);
		rc = ledger_fail(ledger, doing);
	}
	ledger_release(ledger, stmt);
	return rc;
}

char *column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *text = sqlite3_column_text(stmt, col);

	return text ? xstrdup((const char *) text) : NULL;
}

void bind_text(sqlite3_stmt *stmt, int idx, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, idx);
}

char *names_join(const struct strlist *names)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	char *p;

	for (i = 0; i < names->count; i++) {
		if (i)
			sb_append(&sb, "\n", 1);
		sb_appends(&sb, names->items[i]);
	}
	for (p = sb.data; p && *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return sb_steal(&sb);
}

void names_split(const char *text, struct strlist *names)
{
	const char *p = text;
	size_t len;

	while (p && *p) {
		len = strcspn(p, "\n");
		if (len)
			strlist_add_owned(names, xstrndup(p, len));
		p += len;
		if (*p)
			p++;
	}
}

static int exec_pragma(struct ledger *ledger, const char *sql)
{
	if (sqlite3_exec(ledger->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ledger_fail(ledger, sql);
	return 0;
}

int ledger_open(const char *path, int busy_timeout_ms, struct ledger **out, struct strbuf *err)
{
	struct ledger *ledger = xcalloc(1, sizeof(*ledger));
	int rc;

	rc = sqlite3_open_v2(path, &ledger->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
			     | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sb_appendf(err, "%s: cannot open ledger: %s", path,
			   ledger->db ? sqlite3_errmsg(ledger->db) : sqlite3_errstr(rc));
		ledger_close(ledger);
		return -1;
	}
	sqlite3_busy_timeout(ledger->db, busy_timeout_ms > 0 ? busy_timeout_ms : 5000);
	sqlite3_extended_result_codes(ledger->db, 1);
	if (exec_pragma(ledger, "PRAGMA journal_mode = WAL") < 0
	    || exec_pragma(ledger, "PRAGMA synchronous = FULL") < 0
	    || exec_pragma(ledger, "PRAGMA foreign_keys = ON") < 0
	    || ledger_migrate(ledger) < 0) {
		sb_appendf(err, "%s: %s", path, ledger->error);
		ledger_close(ledger);
		return -1;
	}
	*out = ledger;
	return 0;
}

void ledger_close(struct ledger *ledger)
{
	if (ledger == NULL)
		return;
	for (int i = 0; i < LEDGER_STMT_CACHE; i++)
		if (ledger->cache[i].stmt)
			sqlite3_finalize(ledger->cache[i].stmt);
	if (ledger->db)
		sqlite3_close_v2(ledger->db);
	free(ledger);
}

int ledger_begin(struct ledger *ledger)
{
	if (sqlite3_exec(ledger->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return ledger_fail(ledger, "starting a transaction");
	ledger->in_transaction = 1;
	return 0;
}

int ledger_commit(struct ledger *ledger)
{
	ledger->in_transaction = 0;
	if (sqlite3_exec(ledger->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		ledger_fail(ledger, "committing");
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void ledger_rollback(struct ledger *ledger)
{
	ledger->in_transaction = 0;
	if (sqlite3_get_autocommit(ledger->db) == 0)
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ledger_write_begin - writes nest: only the outermost begins and ends
 * the transaction, and none does inside ledger_begin()/ledger_commit() */

int ledger_write_begin(struct ledger *ledger)
{
	if (ledger->in_transaction || ledger->write_depth++ > 0)
		return 0;
	if (sqlite3_exec(ledger->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		ledger->write_depth = 0;
		return ledger_fail(ledger, "starting a transaction");
	}
	return 0;
}

int ledger_write_end(struct ledger *ledger, int rc)
{
	if (ledger->in_transaction || --ledger->write_depth > 0)
		return rc;
	if (rc < 0) {
		if (sqlite3_get_autocommit(ledger->db) == 0)
			sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(ledger->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		ledger_fail(ledger, "committing");
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return rc;
}

long long ledger_data_version(struct ledger *ledger)
{
	sqlite3_stmt *stmt;
	long long version = -1;

	if ((stmt = ledger_prepare(ledger, "PRAGMA data_version")) == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int64(stmt, 0);
	ledger_release(ledger, stmt);
	return version;
}

int ledger_integrity_check(struct ledger *ledger, struct strbuf *result)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = ledger_prepare(ledger, "PRAGMA integrity_check")) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (result->len)
			sb_append(result, "\n", 1);
		sb_appends(result, (const char *) sqlite3_column_text(stmt, 0));
	}
	ledger_release(ledger, stmt);
	if (rc != SQLITE_DONE)
		return ledger_fail(ledger, "checking integrity");
	return strcmp(sb_str(result), "ok") == 0 ? 0 : -1;
}
