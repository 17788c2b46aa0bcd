/*
 * ledger_internal.h - what the files of store/ share and nobody else sees.
 */
#ifndef MAILCERT_LEDGER_INTERNAL_H
#define MAILCERT_LEDGER_INTERNAL_H

#include <sqlite3.h>

#include "ledger.h"

#define LEDGER_STMT_CACHE 48		/* prepared statements kept per connection */

/* A statement kept prepared; its SQL text is a string literal of store/,
 * so the pointer names it. */
struct cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
	int     in_use;
};

struct ledger {
	sqlite3 *db;
	struct cached_stmt cache[LEDGER_STMT_CACHE];
	int     in_transaction;		/* ledger_begin() was called */
	int     write_depth;		/* nested ledger_write_begin() calls */
	char    error[512];
};

/* Prepare sql (a string literal), or take it from the statement cache;
 * NULL with the error recorded.  Give it back with ledger_release(). */
sqlite3_stmt *ledger_prepare(struct ledger *ledger, const char *sql);
void ledger_release(struct ledger *ledger, sqlite3_stmt *stmt);

/* Record the connection's current error with what was being done; -1. */
int ledger_fail(struct ledger *ledger, const char *what);

/* Begin a write unless the caller holds a transaction; end it with
 * ledger_write_end(ledger, rc), which commits when rc is 0. */
int ledger_write_begin(struct ledger *ledger);
int ledger_write_end(struct ledger *ledger, int rc);

/* Run a statement that returns no rows; 0 or -1. */
int ledger_step_done(struct ledger *ledger, sqlite3_stmt *stmt, const char *what);

/* Run sql with ?1 = param; fill out from the first row with from_row().
 * 0, LEDGER_NOT_FOUND, or -1 (the error says "reading " what). */
typedef void (*ledger_row_fn) (sqlite3_stmt *stmt, void *out);
int ledger_select_row(struct ledger *ledger, const char *sql, long long param,
		      ledger_row_fn from_row, void *out, const char *what);

char *column_strdup(sqlite3_stmt *stmt, int col);
void bind_text(sqlite3_stmt *stmt, int idx, const char *text);

/* Names as one text column: lower-case, one per line. */
char *names_join(const struct strlist *names);
void names_split(const char *text, struct strlist *names);

/* Create or migrate the schema to LEDGER_SCHEMA_VERSION. */
int ledger_migrate(struct ledger *ledger);

long long ledger_now(void);

#endif
