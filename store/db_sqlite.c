/*
 * NAME
 *	db_sqlite - the SQLite backend of store/
 * SYNOPSIS
 *	#include "db.h"
 *
 *	struct db *db_sqlite_open(const char *path, int read_only,
 *				  int busy_timeout_ms, struct strbuf *err)
 *	int db_sqlite_attach(struct db *db, const char *path, int read_only)
 *	int db_sqlite_attach_empty(struct db *db)
 *	int db_sqlite_detach_book(struct db *db)
 * DESCRIPTION
 *	db_sqlite_open() opens path (":memory:" for a connection that only
 *	attaches) with SQLITE_OPEN_NOFOLLOW (a symbolic link is refused, not
 *	followed), URI names, extended result codes and a busy timeout.
 *	Parameters written $N in the shared SQL become ?N here.
 *
 *	db_sqlite_attach() attaches the order book as schema "book", read
 *	only (mode=ro) when asked: the intake sees the order book so.
 *	db_sqlite_attach_empty() attaches a private database in memory as
 *	"book" instead (one that root has not made yet is read as empty), and
 *	db_sqlite_detach_book() lets go of either.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "mymalloc.h"

#define SQLITE_DB(db)	((sqlite3 *) (db)->handle)
#define SQLITE_ST(st)	((sqlite3_stmt *) (st)->handle)

/* numbered - the SQL with $N as ?N (outside quotes) */

static char *numbered(const char *sql)
{
	char   *out = xstrdup(sql);
	char   *p;
	char    quote = 0;

	for (p = out; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && isdigit((unsigned char) p[1])) {
			*p = '?';
		}
	}
	return out;
}

static int sq_prepare(struct db *db, struct db_stmt *st)
{
	sqlite3_stmt *stmt = NULL;
	char   *sql = numbered(st->sql);
	int     rc;

	rc = sqlite3_prepare_v3(SQLITE_DB(db), sql, -1, st->uncached ? 0 : SQLITE_PREPARE_PERSISTENT,
				&stmt, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return db_fail(db, "preparing a query");
	st->handle = stmt;
	return 0;
}

static void sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(SQLITE_ST(st));
	st->handle = NULL;
}

static void sq_bind_int(struct db_stmt *st, int n, long long value)
{
	sqlite3_bind_int64(SQLITE_ST(st), n, value);
}

static void sq_bind_text(struct db_stmt *st, int n, const char *text)
{
	if (text)
		sqlite3_bind_text(SQLITE_ST(st), n, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(SQLITE_ST(st), n);
}

static int sq_step(struct db_stmt *st)
{
	int     rc = sqlite3_step(SQLITE_ST(st));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	db_fail(st->db, "running a query");
	return DB_ERROR;
}

static long long sq_col_int(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(SQLITE_ST(st), col);
}

static const char *sq_col_text(struct db_stmt *st, int col)
{
	return (const char *) sqlite3_column_text(SQLITE_ST(st), col);
}

static int sq_col_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(SQLITE_ST(st), col) == SQLITE_NULL;
}

static void sq_reset(struct db_stmt *st)
{
	sqlite3_reset(SQLITE_ST(st));
	sqlite3_clear_bindings(SQLITE_ST(st));
}

static long long sq_changes(struct db *db)
{
	return sqlite3_changes(SQLITE_DB(db));
}

static int sq_exec(struct db *db, const char *sql)
{
	if (sqlite3_exec(SQLITE_DB(db), sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "running SQL");
	return 0;
}

static const char *sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(SQLITE_DB(db));
}

static int sq_is_busy(struct db *db)
{
	int     code = sqlite3_errcode(SQLITE_DB(db));

	return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

static void sq_close(struct db *db)
{
	sqlite3_close_v2(SQLITE_DB(db));
}

static const struct db_ops sqlite_ops = {
	sq_prepare, sq_finalize, sq_bind_int, sq_bind_text, sq_step, sq_col_int, sq_col_text,
	sq_col_null, sq_reset, sq_changes, sq_exec, sq_errmsg, sq_is_busy, sq_close,
};

struct db *db_sqlite_open(const char *path, int read_only, int busy_timeout_ms, struct strbuf *err)
{
	struct db *db = xcalloc(1, sizeof(*db));
	sqlite3 *handle = NULL;
	int     flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
	int     rc;

	flags |= read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &handle, flags, NULL);
	if (rc != SQLITE_OK) {
		sb_appendf(err, "%s: cannot open: %s", path,
			   handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
		sqlite3_close_v2(handle);
		free(db);
		return NULL;
	}
	db->backend = DB_SQLITE;
	db->ops = &sqlite_ops;
	db->handle = handle;
	sqlite3_busy_timeout(handle, busy_timeout_ms > 0 ? busy_timeout_ms : 5000);
	sqlite3_extended_result_codes(handle, 1);
	return db;
}

/* attach_sql - run ATTACH or DETACH with one text parameter, or none */

static int attach_sql(struct db *db, const char *sql, const char *param)
{
	struct db_stmt *st = db_prepare(db, sql);
	int     rc;

	if (st == NULL)
		return -1;
	if (param)
		db_bind_text(st, 1, param);
	rc = db_step(st) == DB_ERROR ? -1 : 0;
	db_release(st);
	return rc;
}

int db_sqlite_attach_empty(struct db *db)
{
	/* a private database in memory, writable even beside a read-only main */
	return attach_sql(db, "ATTACH DATABASE 'file:mailcert-empty-book?mode=memory' AS book", NULL);
}

int db_sqlite_detach_book(struct db *db)
{
	return attach_sql(db, "DETACH DATABASE book", NULL);
}

int db_sqlite_attach(struct db *db, const char *path, int read_only)
{
	char   *uri;
	char   *p;
	int     rc;

	/* file: URI, with the characters that mean something there escaped */
	uri = xmalloc(strlen(path) * 3 + 32);
	strcpy(uri, "file:");
	for (p = uri + 5; *path; path++) {
		if (*path == '?' || *path == '#' || *path == '%')
			p += sprintf(p, "%%%02X", (unsigned char) *path);
		else
			*p++ = *path;
	}
	strcpy(p, read_only ? "?mode=ro" : "?mode=rwc");
	rc = attach_sql(db, "ATTACH DATABASE $1 AS book", uri);
	free(uri);
	return rc;
}
