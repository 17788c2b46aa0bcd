/*
 * check_ledger.h - the ledger a unit test uses, on the backend of the run.
 *
 * tests/run-tests runs every unit test that opens a ledger twice: on
 * SQLite, and with MAILCERT_TEST_PGHOST naming the socket directory of
 * the private PostgreSQL that tests/pg-cluster started, on PostgreSQL.
 * check_ledger_where() gives a test the location of a ledger called name:
 * two files in dir, or a database of that cluster made afresh, its
 * schemas made as "mailcert ledger init" makes them (by the owner's role,
 * root's), with the package's roles granted their parts.  A test that
 * asks for a role (check_ledger_as) connects as that database role; the
 * cluster lets root be any of them (pg_ident).  Include after check.h.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CHECK_LEDGER_H
#define MAILCERT_CHECK_LEDGER_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "ledger.h"

/* Where one named ledger is; the strings live here. */
struct check_where {
	struct ledger_location where;
	char    intake[512];
	char    book[512];
	char    url[512];
};

__attribute__((unused))
static const char *check_pghost(void)
{
	const char *host = getenv("MAILCERT_TEST_PGHOST");

	return host && *host ? host : NULL;
}

__attribute__((unused))
static const char *check_backend(void)
{
	return check_pghost() ? "postgresql" : "sqlite";
}

static void check_pg_quiet(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

/* check_pg_run - one statement on a database of the test cluster as root */
__attribute__((unused))
static int check_pg_run(const char *database, const char *sql)
{
	char    info[600];
	PGconn *conn;
	PGresult *res;
	int     ok;

	snprintf(info, sizeof(info), "host=%s dbname=%s user=root", check_pghost(), database);
	conn = PQconnectdb(info);
	if (PQstatus(conn) != CONNECTION_OK) {
		printf("# %s: %s", database, PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, check_pg_quiet, NULL);
	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		printf("# %.200s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok ? 0 : -1;
}

/* check_pg_database - a new, empty database of the test cluster */
__attribute__((unused))
static int check_pg_database(const char *name, char *database, size_t len)
{
	char    sql[256];

	snprintf(database, len, "mct_%ld_%s", (long) getpid(), name);
	for (char *p = database; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", database);
	if (check_pg_run("postgres", sql) < 0)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER root", database);
	return check_pg_run("postgres", sql);
}

/* check_ledger_init - both schemas made by the owner, the roles granted */
__attribute__((unused))
static int check_ledger_init(const struct ledger_location *where)
{
	static const struct ledger_roles roles = {"mailcert", "mailcert-approver", "mailcert-web"};
	struct strbuf err = STRBUF_INIT;
	struct ledger *owner;
	int     rc;

	if (ledger_open(where, LEDGER_ROLE_OWNER, &owner, &err) < 0) {
		printf("# %s\n", sb_str(&err));
		sb_free(&err);
		return -1;
	}
	rc = ledger_grant_roles(owner, &roles, &err);
	if (rc < 0)
		printf("# %s\n", ledger_error(owner));
	ledger_close(owner);
	sb_free(&err);
	return rc;
}

/* check_ledger_where - name's ledger in dir (SQLite) or a new database */
__attribute__((unused))
static int check_ledger_where(const char *dir, const char *name, struct check_where *w)
{
	char    database[128];

	memset(w, 0, sizeof(*w));
	w->where.busy_timeout_ms = 200;
	w->where.program = "mailcert unit test";
	if (check_pghost() == NULL) {
		snprintf(w->intake, sizeof(w->intake), "%s/%s.db", dir, name);
		snprintf(w->book, sizeof(w->book), "%s/%s-orders.db", dir, name);
		w->where.intake_path = w->intake;
		w->where.book_path = w->book;
		return 0;
	}
	if (check_pg_database(name, database, sizeof(database)) < 0)
		return -1;
	snprintf(w->url, sizeof(w->url), "postgresql:///%s?host=%s", database, check_pghost());
	w->where.url = w->url;
	return check_ledger_init(&w->where);
}

/* check_pg_as - one statement on the database of url as role; the
 * SQLSTATE of its failure into state ("" when it succeeded; "08xxx" when
 * the connection itself was refused) */
__attribute__((unused))
static void check_pg_as(const char *url, const char *role, const char *sql, char state[6])
{
	char    info[700];
	PGconn *conn;
	PGresult *res;
	const char *code;

	snprintf(info, sizeof(info), "%s&user=%s", url, role);
	conn = PQconnectdb(info);
	snprintf(state, 6, "08004");
	if (PQstatus(conn) != CONNECTION_OK) {
		/* a refusal of CONNECT is the server's 42501 in the message */
		if (strstr(PQerrorMessage(conn), "permission denied"))
			snprintf(state, 6, "42501");
		PQfinish(conn);
		return;
	}
	PQsetNoticeProcessor(conn, check_pg_quiet, NULL);
	res = PQexec(conn, sql);
	code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)
		state[0] = 0;
	else
		snprintf(state, 6, "%s", code ? code : "?????");
	PQclear(res);
	PQfinish(conn);
}

/* check_ledger_named - check_ledger_where() once per name; the same
 * location for every later call with that name (NULL when it failed) */
__attribute__((unused))
static const struct ledger_location *check_ledger_named(const char *dir, const char *name)
{
	static struct check_where made[16];
	static char names[16][64];
	static int count;
	int     i;

	for (i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0)
			return &made[i].where;
	if (count == 16 || check_ledger_where(dir, name, &made[count]) < 0)
		return NULL;
	snprintf(names[count], sizeof(names[count]), "%s", name);
	return &made[count++].where;
}

/* check_ledger_as - the same PostgreSQL ledger as a database role */
__attribute__((unused))
static void check_ledger_as(const struct check_where *w, const char *role, struct check_where *as)
{
	*as = *w;
	if (snprintf(as->url, sizeof(as->url), "%.400s&user=%.64s", w->url, role) < 0)
		as->url[0] = 0;
	as->where.url = as->url;
}

#endif
