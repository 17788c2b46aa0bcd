/*
 * NAME
 *	db - prepared statements over one backend, cached per connection
 * SYNOPSIS
 *	#include "db.h"
 *
 *	struct db_stmt *db_prepare(struct db *db, const char *sql)
 *	void db_release(struct db_stmt *st)
 *	void db_bind_int(st, n, value), db_bind_text(st, n, text)
 *	int db_step(struct db_stmt *st)
 *	long long db_int(st, col); const char *db_text(st, col)
 *	char *db_strdup(st, col); int db_is_null(st, col)
 *	int db_exec(struct db *db, const char *sql)
 *	int db_fail(struct db *db, const char *what)
 * DESCRIPTION
 *	The part of the database interface that is the same for every
 *	backend: statements are prepared once per connection and kept,
 *	keyed by the pointer of their SQL text (preparing costs more than
 *	running most of them); a statement in use (the same query nested)
 *	gets a fresh one that is finalized when released.  Everything else
 *	goes through the backend's db_ops.  A trace hook, for tests, sees
 *	the SQL of every statement run.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "mymalloc.h"

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *free_slot = NULL;
	struct db_stmt *st;
	int     i;

	for (i = 0; i < DB_STMT_CACHE; i++) {
		st = &db->cache[i];
		if (st->sql == sql && st->handle && !st->in_use) {
			st->in_use = 1;
			return st;
		}
		if (st->sql == NULL && free_slot == NULL)
			free_slot = st;
	}
	if (free_slot == NULL)
		return db_prepare_uncached(db, sql);
	st = free_slot;
	memset(st, 0, sizeof(*st));
	st->db = db;
	st->sql = sql;
	if (db->ops->prepare(db, st) < 0) {
		memset(st, 0, sizeof(*st));
		return NULL;
	}
	st->in_use = 1;
	return st;
}

struct db_stmt *db_prepare_uncached(struct db *db, const char *sql)
{
	struct db_stmt *st = xcalloc(1, sizeof(*st));

	st->db = db;
	st->sql = sql;
	st->uncached = 1;
	if (db->ops->prepare(db, st) < 0) {
		free(st);
		return NULL;
	}
	st->in_use = 1;
	return st;
}

void db_release(struct db_stmt *st)
{
	if (st == NULL)
		return;
	st->db->ops->reset(st);
	st->in_use = 0;
	st->stepped = 0;
	if (st->uncached) {
		st->db->ops->finalize(st);
		free(st);
	}
}

/* A statement that failed to prepare (NULL) takes its binds and does
 * nothing: the caller learns of it once, from ledger_run() or the row
 * iterator. */
void db_bind_int(struct db_stmt *st, int n, long long value)
{
	if (st)
		st->db->ops->bind_int(st, n, value);
}

void db_bind_text(struct db_stmt *st, int n, const char *text)
{
	if (st)
		st->db->ops->bind_text(st, n, text);
}

int db_step(struct db_stmt *st)
{
	if (st->db->trace && !st->stepped)
		st->db->trace(st->db->trace_ctx, st->sql);
	st->stepped = 1;
	return st->db->ops->step(st);
}

long long db_int(struct db_stmt *st, int col)
{
	return st->db->ops->col_int(st, col);
}

const char *db_text(struct db_stmt *st, int col)
{
	return st->db->ops->col_text(st, col);
}

char   *db_strdup(struct db_stmt *st, int col)
{
	const char *text = db_text(st, col);

	return text ? xstrdup(text) : NULL;
}

int db_is_null(struct db_stmt *st, int col)
{
	return st->db->ops->col_null(st, col);
}

long long db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int db_exec(struct db *db, const char *sql)
{
	if (db->trace)
		db->trace(db->trace_ctx, sql);
	return db->ops->exec(db, sql);
}

int db_fail(struct db *db, const char *what)
{
	db->last_busy = db->ops->is_busy(db);
	snprintf(db->error, sizeof(db->error), "%s: %s", what, db->ops->errmsg(db));
	return -1;
}

const char *db_error(const struct db *db)
{
	return db->error;
}

int db_busy(const struct db *db)
{
	return db->last_busy;
}

void db_close(struct db *db)
{
	int     i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_STMT_CACHE; i++)
		if (db->cache[i].handle)
			db->ops->finalize(&db->cache[i]);
	db->ops->close(db);
	free(db);
}
