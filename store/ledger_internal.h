/*
 * ledger_internal.h - what the files of store/ share and nobody else sees.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_LEDGER_INTERNAL_H
#define MAILCERT_LEDGER_INTERNAL_H

#include "db.h"
#include "ledger.h"

struct ledger {
	struct db *db;
	enum ledger_role role;
	int     in_transaction;		/* ledger_begin() was called */
	int     write_depth;		/* nested ledger_write_begin() calls */
	char   *book_awaited;
	int     book_refusal_said;	/* a book file not fit to read: logged once */		/* SQLite: the book root has not made yet (an
					 * empty one in memory stands for it) */
	long long book_generation;	/* books attached since (change tokens) */
	char    error[512];
};

/* Record the database's error with what was being done; -1. */
int ledger_fail(struct ledger *ledger, const char *what);

/* Begin a write unless the caller holds a transaction; end it with
 * ledger_write_end(ledger, rc), which commits when rc is >= 0. */
int ledger_write_begin(struct ledger *ledger);
int ledger_write_end(struct ledger *ledger, int rc);

/* Run a prepared statement that returns no rows (or ignores them). */
int ledger_run(struct ledger *ledger, struct db_stmt *st, const char *what);

/* The one row iterator: step st, call from_row for each row into a
 * growing array of elem_size bytes (at most max, 0: all).  0 or -1. */
typedef void (*row_fn) (struct db_stmt *st, void *out);
int ledger_collect(struct ledger *ledger, struct db_stmt *st, row_fn from_row, size_t elem_size,
		   size_t max, void **items, size_t *count, const char *what);
/* The first row into out: 0, LEDGER_NOT_FOUND or -1. */
int ledger_first(struct ledger *ledger, struct db_stmt *st, row_fn from_row, void *out,
		 const char *what);
/* Each row to fn(ctx, st) until it returns non-zero: 0, fn's value, -1. */
int ledger_each_row(struct ledger *ledger, struct db_stmt *st,
		    int (*fn) (void *ctx, struct db_stmt *st), void *ctx, const char *what);
/* The id an INSERT ... RETURNING id gave, or an existing row's. */
int ledger_returning_id(struct ledger *ledger, struct db_stmt *st, long long *id, int *found,
			const char *what);

/* Names as one text column: lower-case, one per line; and back. */
char *names_join(const char *domain, const struct strlist *alt_names);
void names_split(const char *text, char **domain, struct strlist *alt_names);
/* www.example.com -> com.example.www: the key that finds names below one. */
char *name_reversed(const char *name);

/* Create or migrate both schemas. */
int ledger_migrate_intake(struct ledger *ledger);
int ledger_migrate_book(struct ledger *ledger);

/* The effective state of an order o (book.orders), from the book, the
 * installer's jobs and the intake's progress. */
extern const char ORDER_STATE_SQL[];

/* order rows: ORDER_COLUMNS, read by order_from_row */
#define ORDER_COLUMNS "o.id, o.domain, o.names, o.ca, o.ca_order, o.approver, o.key_sha256, " \
	"o.key_origin, o.target, o.contact, o.approve_mode, o.status, o.predecessor, " \
	"o.successor, o.closed_reason, o.created_at, o.updated_at"
#define ORDER_COLUMN_COUNT 17
void order_from_row(struct db_stmt *st, void *out);

long long ledger_now(void);

/* PostgreSQL: the channel a change to the open orders (book.orders, the
 * intake's order_progress) is notified on; the advisory lock key that
 * serialises migrations; how long one statement may take. */
#define LEDGER_PG_ORDERS_CHANNEL	LEDGER_CHANNEL_ORDERS
#define LEDGER_PG_MIGRATION_LOCK	"7264101"
#define LEDGER_PG_STATEMENT_TIMEOUT_MS	30000

#endif
