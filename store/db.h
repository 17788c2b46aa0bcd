/*
 * db.h - the one interface of store/ to a database: prepared statements
 * with numbered parameters, rows one at a time.
 *
 * SQL is written once for both backends: parameters as $1, $2 ...;
 * INSERT ... ON CONFLICT DO NOTHING; RETURNING id; the order book's
 * tables as book.NAME (an attached database in SQLite, a schema in
 * PostgreSQL); times as integer seconds.  What differs (transactions,
 * schema, change detection) is asked of the backend by name.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_DB_H
#define MAILCERT_DB_H

#include <stddef.h>

#include "strbuf.h"

#define DB_ROW		1
#define DB_DONE		0
#define DB_ERROR	(-1)

#define DB_MAX_PARAMS	24
#define DB_STMT_CACHE	96		/* statements kept prepared per connection */

enum db_backend {
	DB_SQLITE = 0,
	DB_PGSQL,
};

struct db;
struct db_stmt;

/* The functions a backend provides. */
struct db_ops {
	int     (*prepare) (struct db *db, struct db_stmt *st);
	void    (*finalize) (struct db_stmt *st);
	void    (*bind_int) (struct db_stmt *st, int n, long long value);
	void    (*bind_text) (struct db_stmt *st, int n, const char *text);
	int     (*step) (struct db_stmt *st);
	long long (*col_int) (struct db_stmt *st, int col);
	const char *(*col_text) (struct db_stmt *st, int col);
	int     (*col_null) (struct db_stmt *st, int col);
	void    (*reset) (struct db_stmt *st);
	long long (*changes) (struct db *db);
	int     (*exec) (struct db *db, const char *sql);
	const char *(*errmsg) (struct db *db);
	int     (*is_busy) (struct db *db);
	void    (*close) (struct db *db);
};

/* A prepared statement; kept in the connection's cache by its SQL text. */
struct db_stmt {
	struct db *db;
	const char *sql;		/* a string literal of store/ (the cache key) */
	int     uncached;		/* finalized and freed when released */
	int     in_use;
	int     stepped;		/* stepped since prepared or released */
	void   *handle;			/* the backend's statement */
	/* PostgreSQL: the bound parameters and the result being read */
	char   *params[DB_MAX_PARAMS];
	int     nparams;
	void   *result;
	int     row;
	int     rows;
	long long affected;
};

struct db {
	enum db_backend backend;
	const struct db_ops *ops;
	void   *handle;			/* sqlite3 *, PGconn * */
	struct db_stmt cache[DB_STMT_CACHE];
	char    error[512];
	int     last_busy;
	void    (*trace) (void *ctx, const char *sql);	/* tests: every statement run */
	void   *trace_ctx;
};

/* Prepare sql (kept by its pointer: pass string literals), or take it from
 * the cache; NULL with db->error set. */
struct db_stmt *db_prepare(struct db *db, const char *sql);
/* Prepare sql for one use only (a text that is not a literal). */
struct db_stmt *db_prepare_uncached(struct db *db, const char *sql);
/* Give the statement back (reset, bindings cleared). */
void db_release(struct db_stmt *st);

void db_bind_int(struct db_stmt *st, int n, long long value);
void db_bind_text(struct db_stmt *st, int n, const char *text);	/* NULL: NULL */
/* DB_ROW, DB_DONE or DB_ERROR (db->error set) */
int db_step(struct db_stmt *st);
long long db_int(struct db_stmt *st, int col);
const char *db_text(struct db_stmt *st, int col);	/* NULL for NULL */
char *db_strdup(struct db_stmt *st, int col);		/* NULL for NULL */
int db_is_null(struct db_stmt *st, int col);
long long db_changes(struct db *db);

/* Run SQL without parameters or rows (several statements allowed). */
int db_exec(struct db *db, const char *sql);
/* Record the backend's error with what was being done; -1. */
int db_fail(struct db *db, const char *what);
const char *db_error(const struct db *db);
/* Was the last failure a lock held by someone else (try again later)? */
int db_busy(const struct db *db);
void db_close(struct db *db);

/* db_pgsql.c */
struct db_pgsql_options {
	const char *url;		/* libpq's: postgresql://... or key=value */
	const char *search_path;	/* "intake", or "" (names must be qualified) */
	const char *application_name;
	int     lock_timeout_ms;
	int     statement_timeout_ms;	/* 0: none */
	int     unreachable;		/* out: the open failed because no server
					 * answered (or it is starting, stopping, full):
					 * trying again later may work */
};
struct db *db_pgsql_open(struct db_pgsql_options *opt, struct strbuf *err);
/* LISTEN on channel, in this session and every later one. */
int db_pgsql_listen(struct db *db, const char *channel);
/* A count that changes with every notification and every new session;
 * -1 when the server cannot be reached.  Never waits. */
long long db_pgsql_notifications(struct db *db);
/* Wait at most timeout_ms for a notification: 1, 0 (none) or -1. */
int db_pgsql_wait(struct db *db, int timeout_ms);
/* The session's socket (to poll for notifications), -1 when none. */
int db_pgsql_socket(const struct db *db);
/* Is the server away (an outage that was logged and has not ended)? */
int db_pgsql_down(const struct db *db);

/* db_sqlite.c */
struct db *db_sqlite_open(const char *path, int read_only, int busy_timeout_ms, struct strbuf *err);
/* Attach the order book file as "book"; read_only as the URI says. */
int db_sqlite_attach(struct db *db, const char *path, int read_only);
/* An empty book in memory as "book" (writable beside a read-only main). */
int db_sqlite_attach_empty(struct db *db);
int db_sqlite_detach_book(struct db *db);


#endif
