/*
 * NAME
 *	db_pgsql - the PostgreSQL backend of store/ (libpq)
 * SYNOPSIS
 *	#include "db.h"
 *
 *	struct db *db_pgsql_open(const struct db_pgsql_options *opt,
 *				 struct strbuf *err)
 *	int db_pgsql_listen(struct db *db, const char *channel)
 *	long long db_pgsql_notifications(struct db *db)
 *	int db_pgsql_wait(struct db *db, int timeout_ms)
 * DESCRIPTION
 *	One connection (a session) per struct db.  The URL is libpq's own
 *	(a postgresql:// URI or key=value words): credentials come the way
 *	libpq finds them (.pgpass, PGPASSFILE, pg_service.conf, client
 *	certificates) and the role, unless the URL names one, is the user
 *	the process runs as.  Defaults that keep a dead server from holding
 *	a caller for long (connect_timeout, tcp_user_timeout, keepalives) go
 *	before the URL, so that the URL may override them.  Each new session
 *	sets its search_path (the intake's schema, or none for root's role),
 *	lock_timeout and statement_timeout.
 *
 *	Statements are prepared on the server once per session, named by
 *	their cache slot; the result of a statement is read whole when it is
 *	first stepped, so that a caller may run other statements while it
 *	reads the rows (as it may with SQLite).  Parameters are sent as text
 *	and typed by the server from where they stand.
 *
 *	The connection goes away (the server restarts, fails over, or the
 *	network is cut): the statement that notices fails, a transaction
 *	in progress fails as a whole, and the next statement outside a
 *	transaction connects again, at most once per back-off interval
 *	(1 s doubling to DB_PG_RETRY_MAX s); in between, statements fail at
 *	once without waiting for the network.  The outage is logged once when
 *	it starts and once when it ends, with how long it lasted and how many
 *	statements failed meanwhile: not once per message, and once for the
 *	process, whatever number of sessions it has.  A failure of
 *	the connection counts as busy (db_busy()): the caller tries again
 *	later, as it would after a lock held too long.
 *
 *	db_pgsql_listen() has the session LISTEN on channel (again after
 *	each reconnect); db_pgsql_notifications() reads what arrived without
 *	waiting and returns a count that changes with every notification and
 *	every new session (a reconnect may have missed some), -1 when the
 *	server cannot be reached; db_pgsql_wait() waits at most timeout_ms
 *	for a notification (1), none (0) or a broken connection (-1).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "msg.h"
#include "mymalloc.h"

#define DB_PG_RETRY_MAX		10	/* s between connection attempts, at most */
#define DB_PG_CONNECT_TIMEOUT	"5"	/* s; libpq's connect_timeout */
#define DB_PG_TCP_USER_TIMEOUT	"10000"	/* ms unacknowledged data may wait */
#define DB_PG_CHANNELS		4

/* The session and what the backend knows of it. */
struct pg_session {
	PGconn *conn;
	char   *url;
	char   *search_path;
	char    application_name[64];
	int     lock_timeout_ms;
	int     statement_timeout_ms;
	unsigned generation;		/* of the session: bumped by each connect */
	int     in_transaction;		/* a transaction is open (or was, when the
					 * connection broke in it) */
	char    sqlstate[6];
	char    error[400];
	long long affected;		/* rows of the last statement */
	/* the outage */
	int     down;			/* logged as down */
	time_t  down_since;
	time_t  next_try;
	int     backoff;
	long long failed_while_down;
	/* notifications */
	char   *channels[DB_PG_CHANNELS];
	int     nchannels;
	unsigned listening_generation;
	long long notifications;
};

/* A statement's own part: its server-side name and parameter count. */
struct pg_statement {
	char    name[24];
	unsigned generation;		/* of the session it was prepared in; 0: not */
	int     nparams;
};

#define PG(db)	((struct pg_session *) (db)->handle)

static void ignore_notice(void *arg, const char *message)
{
	(void) arg;
	msg_debug("postgresql: %s", message);
}

/* Errors -------------------------------------------------------------------- */

static void set_error(struct pg_session *pg, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct pg_session *pg, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	size_t  len;

	snprintf(pg->sqlstate, sizeof(pg->sqlstate), "%s", sqlstate ? sqlstate : "");
	va_start(ap, fmt);
	vsnprintf(pg->error, sizeof(pg->error), fmt, ap);
	va_end(ap);
	len = strlen(pg->error);
	while (len > 0 && (pg->error[len - 1] == '\n' || pg->error[len - 1] == ' '))
		pg->error[--len] = 0;
	for (char *p = pg->error; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

/* error_from_result - the server's words and SQLSTATE, "... (SQLSTATE X)" */

static void error_from_result(struct pg_session *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (primary)
		set_error(pg, state, "%s (SQLSTATE %s)", primary, state ? state : "?");
	else
		set_error(pg, state ? state : "08006", "%s", PQerrorMessage(pg->conn));
}

static int connection_lost(const struct pg_session *pg)
{
	return pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK;
}

/* The outage as the process logs it: once when a first session finds the
 * server away, once when one gets through again (a milter has several
 * sessions; the log is the process's). */
static pthread_mutex_t outage_lock = PTHREAD_MUTEX_INITIALIZER;
static int outage_logged;

/* note_outage - log an outage once, when it begins */

static void note_outage(struct pg_session *pg)
{
	if (pg->down)
		return;
	pg->down = 1;
	pg->down_since = time(NULL);
	pg->failed_while_down = 0;
	pthread_mutex_lock(&outage_lock);
	if (!outage_logged++)
		msg_warn("ledger: PostgreSQL unavailable: %s (trying again by itself; logged once until "
			 "it is back)", pg->error);
	pthread_mutex_unlock(&outage_lock);
}

/* connect_failed - the next attempt after a back-off that doubles */

static void connect_failed(struct pg_session *pg)
{
	pg->backoff = pg->backoff ? pg->backoff * 2 : 1;
	if (pg->backoff > DB_PG_RETRY_MAX)
		pg->backoff = DB_PG_RETRY_MAX;
	pg->next_try = time(NULL) + pg->backoff;
	note_outage(pg);
}

static void outage_ends(struct pg_session *pg)
{
	pg->backoff = 0;
	pg->next_try = 0;
	if (!pg->down)
		return;
	pg->down = 0;
	pthread_mutex_lock(&outage_lock);
	if (outage_logged)
		msg_info("ledger: PostgreSQL available again after %lld s (%lld statements failed "
			 "meanwhile)", (long long) (time(NULL) - pg->down_since), pg->failed_while_down);
	outage_logged = 0;
	pthread_mutex_unlock(&outage_lock);
}

/* Sessions ----------------------------------------------------------------------- */

static int set_up_session(struct pg_session *pg)
{
	const char *values[3];
	char    lock[32];
	char    statement[32];
	PGresult *res;
	int     ok;

	snprintf(lock, sizeof(lock), "%d", pg->lock_timeout_ms);
	snprintf(statement, sizeof(statement), "%d", pg->statement_timeout_ms);
	values[0] = pg->search_path;
	values[1] = lock;
	values[2] = statement;
	res = PQexecParams(pg->conn, "SELECT pg_catalog.set_config('search_path', $1, false), "
			   "pg_catalog.set_config('lock_timeout', $2, false), "
			   "pg_catalog.set_config('statement_timeout', $3, false)",
			   3, NULL, values, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		error_from_result(pg, res);
	PQclear(res);
	return ok ? 0 : -1;
}

static int connect_session(struct pg_session *pg)
{
	const char *keys[] = {"connect_timeout", "tcp_user_timeout", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "dbname", "application_name", NULL};
	const char *values[] = {DB_PG_CONNECT_TIMEOUT, DB_PG_TCP_USER_TIMEOUT, "30", "10", "3",
		pg->url, pg->application_name, NULL};

	if (pg->conn)
		PQfinish(pg->conn);
	/* the URL after the defaults (it may override them), the name after it */
	pg->conn = PQconnectdbParams(keys, values, 1);
	if (pg->conn == NULL) {
		set_error(pg, "08001", "out of memory connecting");
		return -1;
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_error(pg, "08001", "%s", PQerrorMessage(pg->conn));
		return -1;
	}
	PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
	if (set_up_session(pg) < 0)
		return -1;
	pg->generation++;
	pg->notifications++;		/* a new session may have missed some */
	pg->in_transaction = 0;
	return 0;
}

/* ready - a usable session: the one we have, or a new one when the old
 * broke outside a transaction and the back-off allows */

static int ready(struct db *db)
{
	struct pg_session *pg = PG(db);

	if (!connection_lost(pg))
		return 0;
	if (pg->in_transaction) {
		set_error(pg, "08006", "the connection to PostgreSQL was lost in a transaction");
		return -1;
	}
	if (pg->down && time(NULL) < pg->next_try) {
		pg->failed_while_down++;
		snprintf(pg->sqlstate, sizeof(pg->sqlstate), "08006");
		return -1;		/* the error of the last attempt stands */
	}
	if (connect_session(pg) < 0) {
		connect_failed(pg);
		return -1;
	}
	outage_ends(pg);
	return 0;
}

/* after_failure - a failed statement: did it lose the connection? */

static void after_failure(struct pg_session *pg, const PGresult *res)
{
	error_from_result(pg, res);
	if (connection_lost(pg)) {
		note_outage(pg);
		pg->next_try = 0;	/* the next statement may reconnect at once */
	}
}

static void track_transaction(struct pg_session *pg)
{
	PGTransactionStatusType status = PQtransactionStatus(pg->conn);

	if (status == PQTRANS_IDLE)
		pg->in_transaction = 0;
	else if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR)
		pg->in_transaction = 1;
}

/* Statements --------------------------------------------------------------------- */

/* highest_parameter - the largest $N of sql outside quotes */

static int highest_parameter(const char *sql)
{
	const char *p;
	char    quote = 0;
	int     n;
	int     max = 0;

	for (p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			n = atoi(p + 1);
			if (n > max)
				max = n;
		}
	}
	return max;
}

static int prepare_on_server(struct db *db, struct db_stmt *st)
{
	struct pg_session *pg = PG(db);
	struct pg_statement *ps = st->handle;
	PGresult *res;

	res = PQprepare(pg->conn, ps->name, st->sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		after_failure(pg, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	ps->generation = pg->generation;
	return 0;
}

static int pg_prepare(struct db *db, struct db_stmt *st)
{
	struct pg_statement *ps = xcalloc(1, sizeof(*ps));

	ps->nparams = highest_parameter(st->sql);
	if (ps->nparams > DB_MAX_PARAMS) {
		free(ps);
		set_error(PG(db), "42P02", "a statement with more than %d parameters", DB_MAX_PARAMS);
		return db_fail(db, "preparing a query");
	}
	st->handle = ps;
	if (st->uncached)
		return 0;		/* run unnamed, with its parameters */
	snprintf(ps->name, sizeof(ps->name), "mc%ld", (long) (st - db->cache));
	if (ready(db) < 0 || prepare_on_server(db, st) < 0) {
		free(ps);
		st->handle = NULL;
		return db_fail(db, "preparing a query");
	}
	return 0;
}

static void clear_params(struct db_stmt *st)
{
	int     i;

	for (i = 0; i < DB_MAX_PARAMS; i++) {
		free(st->params[i]);
		st->params[i] = NULL;
	}
	st->nparams = 0;
}

static void pg_reset(struct db_stmt *st)
{
	PQclear(st->result);
	st->result = NULL;
	st->row = 0;
	st->rows = 0;
	clear_params(st);
}

/* pg_finalize - a cached statement is finalized only when the session
 * ends, which deallocates it on the server */

static void pg_finalize(struct db_stmt *st)
{
	pg_reset(st);
	free(st->handle);
	st->handle = NULL;
}

static void set_param(struct db_stmt *st, int n, char *value)
{
	if (n < 1 || n > DB_MAX_PARAMS) {
		free(value);
		return;
	}
	free(st->params[n - 1]);
	st->params[n - 1] = value;
	if (n > st->nparams)
		st->nparams = n;
}

static void pg_bind_int(struct db_stmt *st, int n, long long value)
{
	char    text[32];

	snprintf(text, sizeof(text), "%lld", value);
	set_param(st, n, xstrdup(text));
}

static void pg_bind_text(struct db_stmt *st, int n, const char *text)
{
	set_param(st, n, text ? xstrdup(text) : NULL);
}

/* run - execute st with its parameters; the whole result is kept */

static int run(struct db_stmt *st)
{
	struct pg_session *pg = PG(st->db);
	struct pg_statement *ps = st->handle;
	const char *values[DB_MAX_PARAMS];
	PGresult *res;
	ExecStatusType status;
	int     i;

	if (ready(st->db) < 0)
		return -1;
	for (i = 0; i < ps->nparams; i++)
		values[i] = st->params[i];
	if (st->uncached)
		res = PQexecParams(pg->conn, st->sql, ps->nparams, NULL, values, NULL, NULL, 0);
	else if (ps->generation != pg->generation && prepare_on_server(st->db, st) < 0)
		return -1;
	else
		res = PQexecPrepared(pg->conn, ps->name, ps->nparams, values, NULL, NULL, 0);
	status = PQresultStatus(res);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		after_failure(pg, res);
		PQclear(res);
		track_transaction(pg);
		return -1;
	}
	track_transaction(pg);
	st->result = res;
	st->rows = status == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	st->row = 0;
	pg->affected = atoll(PQcmdTuples(res));
	return 0;
}

static int pg_step(struct db_stmt *st)
{
	if (st->result == NULL && run(st) < 0) {
		db_fail(st->db, "running a query");
		return DB_ERROR;
	}
	if (st->row < st->rows) {
		st->row++;
		return DB_ROW;
	}
	return DB_DONE;
}

static long long pg_col_int(struct db_stmt *st, int col)
{
	const char *v = PQgetvalue(st->result, st->row - 1, col);

	if (v == NULL || *v == 0)
		return 0;
	if (*v == 't' && v[1] == 0)
		return 1;		/* a boolean */
	return strtoll(v, NULL, 10);
}

static const char *pg_col_text(struct db_stmt *st, int col)
{
	if (PQgetisnull(st->result, st->row - 1, col))
		return NULL;
	return PQgetvalue(st->result, st->row - 1, col);
}

static int pg_col_null(struct db_stmt *st, int col)
{
	return PQgetisnull(st->result, st->row - 1, col);
}

static long long pg_changes(struct db *db)
{
	return PG(db)->affected;
}

/* pg_exec - SQL without parameters (several statements allowed) */

static int pg_exec(struct db *db, const char *sql)
{
	struct pg_session *pg = PG(db);
	PGresult *res;
	ExecStatusType status;

	/* A transaction that died with its connection is over. */
	if (connection_lost(pg) && pg->in_transaction && strcmp(sql, "ROLLBACK") == 0) {
		pg->in_transaction = 0;
		return 0;
	}
	if (ready(db) < 0)
		return db_fail(db, "running SQL");
	res = PQexec(pg->conn, sql);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		after_failure(pg, res);
		PQclear(res);
		track_transaction(pg);
		return db_fail(db, "running SQL");
	}
	pg->affected = atoll(PQcmdTuples(res));
	PQclear(res);
	track_transaction(pg);
	return 0;
}

static const char *pg_errmsg(struct db *db)
{
	return PG(db)->error;
}

/* pg_is_busy - worth trying again later: a lock or serialization conflict,
 * a timeout, or the connection */

static int pg_is_busy(struct db *db)
{
	const char *s = PG(db)->sqlstate;

	return strncmp(s, "08", 2) == 0 || strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0
	    || strcmp(s, "55P03") == 0 || strcmp(s, "57014") == 0 || strcmp(s, "57P01") == 0
	    || strcmp(s, "57P03") == 0;
}

static void pg_close(struct db *db)
{
	struct pg_session *pg = PG(db);
	int     i;

	if (pg == NULL)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	for (i = 0; i < pg->nchannels; i++)
		free(pg->channels[i]);
	free(pg->url);
	free(pg->search_path);
	free(pg);
}

static const struct db_ops pgsql_ops = {
	pg_prepare, pg_finalize, pg_bind_int, pg_bind_text, pg_step, pg_col_int, pg_col_text,
	pg_col_null, pg_reset, pg_changes, pg_exec, pg_errmsg, pg_is_busy, pg_close,
};

/* no_answer - the server did not answer, or answered that it cannot take
 * us yet (starting, shutting down, recovering, full): not a refusal of
 * who we are or what we asked for (a role, a password, a database) */

static int no_answer(const char *error)
{
	static const char *const passing[] = {"starting up", "shutting down", "not yet accepting",
		"recovery", "too many", NULL};
	int     i;

	if (strstr(error, "FATAL:") == NULL)
		return 1;
	for (i = 0; passing[i]; i++)
		if (strstr(error, passing[i]))
			return 1;
	return 0;
}

struct db *db_pgsql_open(struct db_pgsql_options *opt, struct strbuf *err)
{
	struct db *db = xcalloc(1, sizeof(*db));
	struct pg_session *pg = xcalloc(1, sizeof(*pg));

	pg->url = xstrdup(opt->url);
	pg->search_path = xstrdup(opt->search_path ? opt->search_path : "");
	snprintf(pg->application_name, sizeof(pg->application_name), "%s",
		 opt->application_name ? opt->application_name : "mailcert");
	pg->lock_timeout_ms = opt->lock_timeout_ms > 0 ? opt->lock_timeout_ms : 5000;
	pg->statement_timeout_ms = opt->statement_timeout_ms;
	db->backend = DB_PGSQL;
	db->ops = &pgsql_ops;
	db->handle = pg;
	if (connect_session(pg) < 0) {
		opt->unreachable = no_answer(pg->error);
		sb_appendf(err, "%s", pg->error);
		db_close(db);
		return NULL;
	}
	return db;
}

/* Notifications ---------------------------------------------------------------- */

static int listen_all(struct pg_session *pg)
{
	char    sql[128];
	PGresult *res;
	int     i;

	for (i = 0; i < pg->nchannels; i++) {
		snprintf(sql, sizeof(sql), "LISTEN %s", pg->channels[i]);
		res = PQexec(pg->conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			after_failure(pg, res);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	pg->listening_generation = pg->generation;
	return 0;
}

int db_pgsql_listen(struct db *db, const char *channel)
{
	struct pg_session *pg = PG(db);
	int     i;

	for (i = 0; i < pg->nchannels; i++)
		if (strcmp(pg->channels[i], channel) == 0)
			return 0;
	if (pg->nchannels == DB_PG_CHANNELS) {
		set_error(pg, "54000", "too many channels to listen on");
		return db_fail(db, "listening");
	}
	pg->channels[pg->nchannels++] = xstrdup(channel);
	pg->listening_generation = 0;
	return 0;
}

/* drain - what arrived, without waiting; -1 when the session is gone */

static int drain(struct db *db)
{
	struct pg_session *pg = PG(db);
	PGnotify *note;

	if (ready(db) < 0)
		return -1;
	if (pg->listening_generation != pg->generation && !pg->in_transaction
	    && listen_all(pg) < 0)
		return -1;
	if (!PQconsumeInput(pg->conn)) {
		after_failure(pg, NULL);
		return -1;
	}
	while ((note = PQnotifies(pg->conn)) != NULL) {
		pg->notifications++;
		PQfreemem(note);
	}
	return 0;
}

long long db_pgsql_notifications(struct db *db)
{
	if (drain(db) < 0)
		return -1;
	return PG(db)->notifications;
}

int db_pgsql_wait(struct db *db, int timeout_ms)
{
	struct pg_session *pg = PG(db);
	long long before = pg->notifications;
	struct pollfd pfd;

	if (drain(db) < 0)
		return -1;
	if (pg->notifications != before)
		return 1;
	pfd.fd = PQsocket(pg->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0 || (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR))
		return -1;
	if (drain(db) < 0)
		return -1;
	return pg->notifications != before;
}

int db_pgsql_socket(const struct db *db)
{
	return PG(db)->conn ? PQsocket(PG(db)->conn) : -1;
}

int db_pgsql_down(const struct db *db)
{
	return db->backend == DB_PGSQL && PG(db)->down;
}
