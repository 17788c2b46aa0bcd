/*
 * NAME
 *	ledger - open the ledger for a role; transactions; the row iterator
 * SYNOPSIS
 *	int ledger_open(const struct ledger_location *where,
 *			enum ledger_role role, struct ledger **out,
 *			struct strbuf *err)
 *	void ledger_close(struct ledger *ledger)
 *	int ledger_begin(ledger), ledger_commit(ledger)
 *	void ledger_rollback(ledger)
 *	const char *ledger_error(ledger); int ledger_busy(ledger)
 *	long long ledger_change_token(ledger)
 *	int ledger_refresh(ledger)
 *	int ledger_integrity_check(ledger, struct strbuf *result)
 * DESCRIPTION
 *	The role decides what is opened, and how:
 *
 *	LEDGER_ROLE_INTAKE	the intake's ledger read-write (WAL,
 *				synchronous=FULL), migrated forward; the
 *				order book attached read-only.  A ledger it
 *				makes is mode INTAKE_LEDGER_MODE: the intake
 *				roles (milter, approver) share a group, and
 *				SQLite gives the -wal and -shm files the
 *				database's mode.
 *	LEDGER_ROLE_READER	both read-only.
 *	LEDGER_ROLE_BOOK	the order book read-write (rollback journal,
 *				synchronous=FULL, so that readers need no
 *				write access to anything of root's), migrated;
 *				the intake's ledger is not opened at all: root
 *				never opens a file the network side can write.
 *	LEDGER_ROLE_OWNER	both read-write and migrated: ledger init and
 *				copy.  With SQLite only for an intake's ledger
 *				that does not exist yet (a copy's destination).
 *
 *	With SQLite, an order book that root has not made yet is read by the
 *	intake and reader roles as an empty one (a private database in
 *	memory of the current schema), so that nothing exits for it;
 *	ledger_refresh() (which ledger_begin() and ledger_change_token() call,
 *	and the approver once a pass) attaches the real one once it exists: 1 when it did.
 *
 *	With [ledger] url the ledger is one PostgreSQL database, the stores
 *	its schemas "intake" and "book" (schema.c), and the role decides the
 *	session's search_path: the intake's schema for the intake and reader
 *	roles, none for root's (every name it uses is qualified, so nothing
 *	unqualified can reach a table the intake writes).  What each role may
 *	do there is what the database grants it (ledger_init.c), not only
 *	what this code does.  Only the owner migrates; the other roles refuse
 *	a schema that is not the one this program knows, and say to run
 *	"mailcert ledger init".
 *
 *	Every file is opened with SQLITE_OPEN_NOFOLLOW.  Writes take the
 *	lock up front (BEGIN IMMEDIATE) so two writers never deadlock half
 *	way; nested writes join the caller's transaction.
 *
 *	ledger_change_token() changes whenever another connection committed
 *	to either store (SQLite: PRAGMA data_version of both; PostgreSQL: a
 *	notification on LEDGER_PG_ORDERS_CHANNEL, which the open orders and
 *	their progress send, or a new session), so a reader knows when to
 *	look again without reading anything else.
 *
 *	The one row iterator of store/ is here too: ledger_collect() (rows
 *	into an array), ledger_first() (one row) and ledger_each_row() (rows
 *	to a callback, in constant memory).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ledger_internal.h"
#include "msg.h"
#include "mymalloc.h"

#define LEDGER_OPEN_PAUSE_MAX	30	/* s between tries of a patient open */

#define INTAKE_LEDGER_MODE	0660	/* the intake roles' group may write */

long long ledger_now(void)
{
	return (long long) time(NULL);
}

int ledger_fail(struct ledger *ledger, const char *what)
{
	if (ledger->db->error[0] == 0 || what)
		db_fail(ledger->db, what ? what : "ledger");
	snprintf(ledger->error, sizeof(ledger->error), "%s", db_error(ledger->db));
	return -1;
}

int ledger_refuse(struct ledger *ledger, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ledger->error, sizeof(ledger->error), fmt, ap);
	va_end(ap);
	ledger->db->last_busy = 0;
	return -1;
}

const char *ledger_error(const struct ledger *ledger)
{
	return ledger->error;
}

int ledger_busy(const struct ledger *ledger)
{
	return db_busy(ledger->db);
}

int ledger_down(const struct ledger *ledger)
{
	return db_pgsql_down(ledger->db);
}

int ledger_listen(struct ledger *ledger, const char *channel)
{
	if (ledger->db->backend != DB_PGSQL || db_pgsql_listen(ledger->db, channel) < 0
	    || db_pgsql_notifications(ledger->db) < 0)
		return -1;
	return db_pgsql_socket(ledger->db);
}

const char *ledger_backend_name(const struct ledger *ledger)
{
	return ledger->db->backend == DB_PGSQL ? "postgresql" : "sqlite";
}

void ledger_location_of(struct ledger_location *where, const struct config *cfg,
			const char *program)
{
	memset(where, 0, sizeof(*where));
	where->intake_path = cfg->ledger_path;
	where->book_path = cfg->orders_path;
	where->url = cfg->ledger_url;
	where->busy_timeout_ms = cfg->busy_timeout_ms;
	where->program = program;
}

enum ledger_role ledger_role(const struct ledger *ledger)
{
	return ledger->role;
}

void ledger_trace(struct ledger *ledger, void (*fn) (void *ctx, const char *sql), void *ctx)
{
	ledger->db->trace = fn;
	ledger->db->trace_ctx = ctx;
}

int ledger_run(struct ledger *ledger, struct db_stmt *st, const char *what)
{
	int     rc;

	if (st == NULL)			/* db_prepare() failed */
		return ledger_fail(ledger, NULL);
	while ((rc = db_step(st)) == DB_ROW)
		;
	db_release(st);
	if (rc == DB_ERROR) {
		snprintf(ledger->error, sizeof(ledger->error), "%s: %s", what, db_error(ledger->db));
		return -1;
	}
	return 0;
}

static int step_failed(struct ledger *ledger, struct db_stmt *st, const char *what)
{
	snprintf(ledger->error, sizeof(ledger->error), "%s: %s", what, db_error(ledger->db));
	db_release(st);
	return -1;
}

int ledger_collect(struct ledger *ledger, struct db_stmt *st, row_fn from_row, size_t elem_size,
		   size_t max, void **items, size_t *count, const char *what)
{
	char   *list = NULL;
	size_t  n = 0;
	size_t  cap = 0;
	int     rc;

	*items = NULL;
	*count = 0;
	if (st == NULL)
		return ledger_fail(ledger, NULL);
	while ((max == 0 || n < max) && (rc = db_step(st)) == DB_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			list = xrealloc(list, cap * elem_size);
		}
		from_row(st, list + n * elem_size);
		n++;
	}
	if ((max == 0 || n < max) && rc == DB_ERROR) {
		*items = list;
		*count = n;
		return step_failed(ledger, st, what);
	}
	db_release(st);
	*items = list;
	*count = n;
	return 0;
}

int ledger_first(struct ledger *ledger, struct db_stmt *st, row_fn from_row, void *out,
		 const char *what)
{
	int     rc;

	if (st == NULL)
		return ledger_fail(ledger, NULL);
	rc = db_step(st);
	if (rc == DB_ERROR)
		return step_failed(ledger, st, what);
	if (rc == DB_ROW)
		from_row(st, out);
	db_release(st);
	return rc == DB_ROW ? 0 : LEDGER_NOT_FOUND;
}

int ledger_each_row(struct ledger *ledger, struct db_stmt *st,
		    int (*fn) (void *ctx, struct db_stmt *st), void *ctx, const char *what)
{
	int     rc;
	int     stop = 0;

	if (st == NULL)
		return ledger_fail(ledger, NULL);
	while (!stop && (rc = db_step(st)) == DB_ROW)
		stop = fn(ctx, st);
	if (!stop && rc == DB_ERROR)
		return step_failed(ledger, st, what);
	db_release(st);
	return stop;
}

int ledger_returning_id(struct ledger *ledger, struct db_stmt *st, long long *id, int *found,
			const char *what)
{
	int     rc;

	*found = 0;
	if (st == NULL)
		return ledger_fail(ledger, NULL);
	rc = db_step(st);
	if (rc == DB_ERROR)
		return step_failed(ledger, st, what);
	if (rc == DB_ROW) {
		*id = db_int(st, 0);
		*found = 1;
	}
	while (rc == DB_ROW)
		rc = db_step(st);
	db_release(st);
	return 0;
}

char   *names_join(const char *domain, const struct strlist *alt_names)
{
	struct strbuf sb = STRBUF_INIT;
	size_t  i;
	char   *p;

	sb_appends(&sb, domain);
	for (i = 0; alt_names && i < alt_names->count; i++) {
		sb_append(&sb, "\n", 1);
		sb_appends(&sb, alt_names->items[i]);
	}
	for (p = sb.data; p && *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return sb_steal(&sb);
}

void names_split(const char *text, char **domain, struct strlist *alt_names)
{
	const char *p = text;
	size_t  len;

	*domain = NULL;
	while (p && *p) {
		len = strcspn(p, "\n");
		if (len && *domain == NULL)
			*domain = xstrndup(p, len);
		else if (len)
			strlist_add_owned(alt_names, xstrndup(p, len));
		p += len;
		if (*p)
			p++;
	}
}

char   *name_reversed(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *end = name + strlen(name);
	const char *p;

	while (end > name) {
		for (p = end; p > name && p[-1] != '.'; p--)
			;
		if (sb.len)
			sb_append(&sb, ".", 1);
		sb_append(&sb, p, (size_t) (end - p));
		end = p > name ? p - 1 : name;
	}
	for (char *q = sb.data; q && *q; q++)
		*q = (char) tolower((unsigned char) *q);
	return sb.data ? sb_steal(&sb) : xstrdup("");
}

/* Opening ------------------------------------------------------------------ */

static int exec_checked(struct ledger *ledger, const char *sql)
{
	if (db_exec(ledger->db, sql) < 0)
		return ledger_fail(ledger, NULL);
	return 0;
}

/* make_intake - a reader before the first intake ever ran: make the
 * intake's ledger (as whoever we are: the intake's user) */

static int make_intake(const struct ledger_location *where, struct strbuf *err)
{
	struct ledger *intake;
	struct strbuf why = STRBUF_INIT;

	if (ledger_open(where, LEDGER_ROLE_INTAKE, &intake, &why) < 0) {
		sb_appendf(err, "%s: the intake's ledger does not exist yet, and cannot be made: %s",
			   where->intake_path, sb_str(&why));
		sb_free(&why);
		return -1;
	}
	ledger_close(intake);
	return 0;
}

/* book_file_ready - the order book root made: a regular file (a FIFO would
 * hang the reader) that only its owner may write.  A file that is there
 * but not so is said once and read as missing. */

static int book_file_ready(struct ledger *ledger, const char *path)
{
	struct stat st;
	const char *wrong;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode))
		wrong = "not a regular file";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		wrong = "group or others may write it";
	else
		return 1;
	if (!ledger->book_refusal_said)
		msg_warn("%s: not read as the order book: %s (root's mailcert makes it, mode 0644)", path, wrong);
	ledger->book_refusal_said = 1;
	return 0;
}

/* attach_empty_book - the book root has not made yet, as an empty one of
 * the current schema: nothing is watched, no order is found */

static int attach_empty_book(struct ledger *ledger)
{
	if (db_sqlite_attach_empty(ledger->db) < 0)
		return -1;
	if (ledger_migrate_book(ledger) < 0)
		return -1;
	msg_info("%s: the order book does not exist yet; read as empty until root makes it "
		 "(mailcert ledger init, or the first order)", ledger->book_awaited);
	return 0;
}

static int open_sqlite(struct ledger *ledger, const struct ledger_location *where,
		       struct strbuf *err)
{
	int     book_only = ledger->role == LEDGER_ROLE_BOOK;
	int     read_only = ledger->role == LEDGER_ROLE_READER;
	int     owner = ledger->role == LEDGER_ROLE_OWNER;
	int     creating;

	if (!book_only && (where->intake_path == NULL || where->book_path == NULL)) {
		sb_appends(err, "no [ledger] path or orders");
		return -1;
	}
	if (owner && access(where->intake_path, F_OK) == 0) {
		sb_appendf(err, "%s: exists; root opens only an intake's ledger it makes itself",
			   where->intake_path);
		return -1;
	}
	if (read_only && access(where->intake_path, F_OK) != 0 && make_intake(where, err) < 0)
		return -1;
	if (!book_only && !owner && !book_file_ready(ledger, where->book_path))
		ledger->book_awaited = xstrdup(where->book_path);	/* read as empty until it is */
	creating = !book_only && !read_only && access(where->intake_path, F_OK) != 0;
	ledger->db = db_sqlite_open(book_only ? ":memory:" : where->intake_path, read_only,
				    where->busy_timeout_ms, err);
	if (ledger->db == NULL)
		return -1;
	if (creating && chmod(where->intake_path, INTAKE_LEDGER_MODE) < 0) {
		sb_appendf(err, "%s: cannot make it mode %o: %s", where->intake_path, INTAKE_LEDGER_MODE,
			   strerror(errno));
		return -1;
	}
	if (!book_only && !read_only
	    && (exec_checked(ledger, "PRAGMA journal_mode = WAL") < 0
		|| exec_checked(ledger, "PRAGMA synchronous = FULL") < 0
		|| ledger_migrate_intake(ledger) < 0)) {
		sb_appendf(err, "%s: %s", where->intake_path, ledger->error);
		return -1;
	}
	if (ledger->book_awaited ? attach_empty_book(ledger) < 0
	    : db_sqlite_attach(ledger->db, where->book_path, !book_only && !owner) < 0) {
		ledger_fail(ledger, NULL);
		sb_appendf(err, "%s: cannot open the order book: %s", where->book_path, ledger->error);
		return -1;
	}
	if ((book_only || owner) && (exec_checked(ledger, "PRAGMA book.journal_mode = DELETE") < 0
			  || exec_checked(ledger, "PRAGMA book.synchronous = FULL") < 0
			  || ledger_migrate_book(ledger) < 0)) {
		sb_appendf(err, "%s: %s", where->book_path, ledger->error);
		return -1;
	}
	if (!book_only && ledger_schema_version(ledger, 1) != LEDGER_BOOK_VERSION) {
		sb_appendf(err, "%s: the order book is missing or of another version (run a mailcert "
			   "order command as root first, which creates it)", where->book_path);
		return -1;
	}
	if (read_only && ledger_schema_version(ledger, 0) != LEDGER_INTAKE_VERSION) {
		sb_appendf(err, "%s: the intake's ledger is missing or of another version (the milter "
			   "creates it when it starts)", where->intake_path);
		return -1;
	}
	return 0;
}

/* pgsql_schema_current - the other roles do not migrate: they refuse */

static int pgsql_schema_current(struct ledger *ledger, struct strbuf *err)
{
	int     book = ledger_schema_version(ledger, 1);
	int     intake = ledger->role == LEDGER_ROLE_BOOK ? LEDGER_INTAKE_VERSION
	    : ledger_schema_version(ledger, 0);

	if (book < 0 || intake < 0) {
		ledger_fail(ledger, NULL);
		sb_appendf(err, "cannot read the schema version: %s", ledger->error);
		return -1;
	}
	if (book == LEDGER_BOOK_VERSION && intake == LEDGER_INTAKE_VERSION)
		return 0;
	if (book == 0 && intake == 0)
		sb_appends(err, "the ledger's schemas do not exist yet");
	else
		sb_appendf(err, "the ledger's schemas are at version %d (book) and %d (intake); this "
			   "mailcert needs %d and %d", book, intake, LEDGER_BOOK_VERSION,
			   LEDGER_INTAKE_VERSION);
	sb_appends(err, ": run \"mailcert ledger init\" as the database's owner");
	return -1;
}

static int open_pgsql(struct ledger *ledger, const struct ledger_location *where,
		      struct strbuf *err, int *unreachable)
{
	struct db_pgsql_options opt;
	struct strbuf why = STRBUF_INIT;

	memset(&opt, 0, sizeof(opt));
	opt.url = where->url;
	opt.search_path = ledger->role == LEDGER_ROLE_BOOK ? "" : "intake";
	opt.application_name = where->program;
	opt.lock_timeout_ms = where->busy_timeout_ms;
	opt.statement_timeout_ms = ledger->role == LEDGER_ROLE_OWNER ? 0 : LEDGER_PG_STATEMENT_TIMEOUT_MS;
	if ((ledger->db = db_pgsql_open(&opt, &why)) == NULL) {
		sb_appendf(err, "[ledger] url: cannot connect to PostgreSQL: %s", sb_str(&why));
		sb_free(&why);
		*unreachable = opt.unreachable;
		return -1;
	}
	if (ledger->role == LEDGER_ROLE_OWNER) {
		if (ledger_migrate_book(ledger) < 0 || ledger_migrate_intake(ledger) < 0) {
			sb_appendf(err, "[ledger] url: %s", ledger->error);
			return -1;
		}
		return 0;
	}
	return pgsql_schema_current(ledger, err);
}

static int open_ledger(const struct ledger_location *where, enum ledger_role role,
		       struct ledger **out, struct strbuf *err, int *unreachable)
{
	struct ledger *ledger = xcalloc(1, sizeof(*ledger));
	int     rc;

	*unreachable = 0;
	ledger->role = role;
	if (where->url)
		rc = open_pgsql(ledger, where, err, unreachable);
	else
		rc = open_sqlite(ledger, where, err);
	if (rc < 0) {
		ledger_close(ledger);
		return -1;
	}
	*out = ledger;
	return 0;
}

int ledger_open(const struct ledger_location *where, enum ledger_role role,
		struct ledger **out, struct strbuf *err)
{
	int     unreachable;

	return open_ledger(where, role, out, err, &unreachable);
}

int ledger_open_patiently(const struct ledger_location *where, enum ledger_role role,
			  struct ledger **out, struct strbuf *err, int (*keep_waiting) (void))
{
	struct strbuf why = STRBUF_INIT;
	unsigned int pause = 1;
	int     unreachable;
	int     told = 0;

	while (open_ledger(where, role, out, &why, &unreachable) < 0) {
		if (!unreachable || (keep_waiting && !keep_waiting())) {
			sb_appends(err, sb_str(&why));
			sb_free(&why);
			return -1;
		}
		if (!told++)
			msg_warn("%s; waiting for it (logged once)", sb_str(&why));
		sb_reset(&why);
		sleep(pause);
		pause = pause < LEDGER_OPEN_PAUSE_MAX ? pause * 2 : LEDGER_OPEN_PAUSE_MAX;
	}
	if (told)
		msg_info("ledger: PostgreSQL reached");
	sb_free(&why);
	return 0;
}

void ledger_close(struct ledger *ledger)
{
	if (ledger == NULL)
		return;
	db_close(ledger->db);
	free(ledger->book_awaited);
	free(ledger);
}

/* Transactions ------------------------------------------------------------- */

static const char *begin_sql(const struct ledger *ledger)
{
	return ledger->db->backend == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
}

int ledger_begin(struct ledger *ledger)
{
	if (ledger->book_awaited && !ledger->in_transaction)
		(void) ledger_refresh(ledger);	/* an error: the empty book is kept */
	if (db_exec(ledger->db, begin_sql(ledger)) < 0)
		return ledger_fail(ledger, NULL);
	ledger->in_transaction = 1;
	return 0;
}

int ledger_commit(struct ledger *ledger)
{
	ledger->in_transaction = 0;
	if (db_exec(ledger->db, "COMMIT") < 0) {
		ledger_fail(ledger, NULL);
		db_exec(ledger->db, "ROLLBACK");
		return -1;
	}
	return 0;
}

void ledger_rollback(struct ledger *ledger)
{
	char    saved[sizeof(ledger->error)];

	ledger->in_transaction = 0;
	memcpy(saved, ledger->error, sizeof(saved));
	db_exec(ledger->db, "ROLLBACK");
	memcpy(ledger->error, saved, sizeof(saved));
}

int ledger_write_begin(struct ledger *ledger)
{
	if (ledger->in_transaction || ledger->write_depth++ > 0)
		return 0;
	if (db_exec(ledger->db, begin_sql(ledger)) < 0) {
		ledger->write_depth = 0;
		return ledger_fail(ledger, NULL);
	}
	return 0;
}

int ledger_write_end(struct ledger *ledger, int rc)
{
	if (ledger->in_transaction || --ledger->write_depth > 0)
		return rc;
	if (rc < 0) {
		ledger_rollback(ledger);
		return rc;
	}
	if (db_exec(ledger->db, "COMMIT") < 0) {
		ledger_fail(ledger, NULL);
		ledger_rollback(ledger);
		return -1;
	}
	return rc;
}

static long long pragma_value(struct ledger *ledger, const char *sql)
{
	struct db_stmt *st = db_prepare(ledger->db, sql);
	long long value = -1;

	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		value = db_int(st, 0);
	db_release(st);
	return value;
}

int ledger_refresh(struct ledger *ledger)
{
	if (ledger->book_awaited == NULL || ledger->in_transaction
	    || !book_file_ready(ledger, ledger->book_awaited))
		return 0;
	(void) db_sqlite_detach_book(ledger->db);	/* the empty one, if it is attached */
	if (db_sqlite_attach(ledger->db, ledger->book_awaited, 1) < 0
	    || ledger_schema_version(ledger, 1) != LEDGER_BOOK_VERSION) {
		ledger_fail(ledger, "opening the order book root made");
		if (!ledger->book_refusal_said)	/* root may be making it still: said once */
			msg_warn("%s: cannot read the order book yet: %s", ledger->book_awaited, ledger->error);
		ledger->book_refusal_said = 1;
		(void) db_sqlite_detach_book(ledger->db);
		if (db_sqlite_attach_empty(ledger->db) < 0 || ledger_migrate_book(ledger) < 0)
			ledger_fail(ledger, "reading the missing order book as empty");
		return -1;
	}
	msg_info("%s: the order book exists now; reading it", ledger->book_awaited);
	free(ledger->book_awaited);
	ledger->book_awaited = NULL;
	ledger->book_generation++;
	return 1;
}

long long ledger_change_token(struct ledger *ledger)
{
	long long intake;
	long long book;

	if (ledger->db->backend == DB_PGSQL) {
		if (db_pgsql_listen(ledger->db, LEDGER_PG_ORDERS_CHANNEL) < 0)
			return -1;
		return db_pgsql_notifications(ledger->db);
	}
	if (ledger_refresh(ledger) < 0)
		return -1;
	book = pragma_value(ledger, "PRAGMA book.data_version");
	intake = ledger->role == LEDGER_ROLE_BOOK ? 0 : pragma_value(ledger, "PRAGMA main.data_version");
	if (book < 0 || intake < 0)
		return -1;
	return ((book + ledger->book_generation) << 32) ^ intake;
}

static int append_result(void *ctx, struct db_stmt *st)
{
	struct strbuf *result = ctx;

	if (result->len)
		sb_append(result, "\n", 1);
	sb_appends(result, db_text(st, 0) ? db_text(st, 0) : "");
	return 0;
}

int ledger_integrity_check(struct ledger *ledger, struct strbuf *result)
{
	struct strbuf book = STRBUF_INIT;
	int     rc;

	if (ledger->db->backend != DB_SQLITE) {
		sb_appends(result, "ok");
		return 0;
	}
	if (ledger->role != LEDGER_ROLE_BOOK
	    && ledger_each_row(ledger, db_prepare(ledger->db, "PRAGMA main.integrity_check"),
			       append_result, result, "checking integrity") < 0)
		return -1;
	if (ledger_each_row(ledger, db_prepare(ledger->db, "PRAGMA book.integrity_check"),
			    append_result, &book, "checking integrity") < 0) {
		sb_free(&book);
		return -1;
	}
	if (ledger->role == LEDGER_ROLE_BOOK) {
		sb_appends(result, sb_str(&book));
	} else if (strcmp(sb_str(&book), "ok") != 0) {
		sb_appendf(result, "\nbook: %s", sb_str(&book));
	}
	rc = strcmp(sb_str(result), "ok") == 0 ? 0 : -1;
	sb_free(&book);
	return rc;
}

static int append_plan(void *ctx, struct db_stmt *st)
{
	struct strbuf *plan = ctx;
	int     col = st->db->backend == DB_PGSQL ? 0 : 3;

	sb_appendf(plan, "%s\n", db_text(st, col) ? db_text(st, col) : "");
	return 0;
}

/* explain_pgsql - EXPLAIN of a prepared statement run with 1 for every
 * parameter, sequential scans priced out of the planner's reach (a small
 * table would otherwise be scanned even with an index that serves): a
 * "Seq Scan" in the plan means that no index serves the statement */

static int explain_pgsql(struct ledger *ledger, const char *sql, struct strbuf *plan)
{
	struct strbuf text = STRBUF_INIT;
	int     params = 0;
	int     rc;

	for (const char *p = strchr(sql, '$'); p; p = strchr(p + 1, '$'))
		if (atoi(p + 1) > params)
			params = atoi(p + 1);
	sb_appendf(&text, "SET enable_seqscan = off; PREPARE mailcert_explain AS %s", sql);
	if (db_exec(ledger->db, text.data) < 0) {
		sb_free(&text);
		db_exec(ledger->db, "RESET enable_seqscan");
		return ledger_fail(ledger, NULL);
	}
	sb_reset(&text);
	sb_appends(&text, "EXPLAIN EXECUTE mailcert_explain");
	for (int n = 1; n <= params; n++)
		sb_appends(&text, n == 1 ? "('1'" : ", '1'");
	if (params)
		sb_appends(&text, ")");
	rc = ledger_each_row(ledger, db_prepare_uncached(ledger->db, text.data), append_plan, plan,
			     "explaining a query");
	db_exec(ledger->db, "DEALLOCATE mailcert_explain; RESET enable_seqscan");
	sb_free(&text);
	return rc;
}

int ledger_explain(struct ledger *ledger, const char *sql, struct strbuf *plan)
{
	struct strbuf text = STRBUF_INIT;
	struct db_stmt *st;
	int     rc;

	if (ledger->db->backend == DB_PGSQL)
		return explain_pgsql(ledger, sql, plan);
	sb_appendf(&text, "EXPLAIN QUERY PLAN %s", sql);
	st = db_prepare_uncached(ledger->db, text.data);
	for (int n = 1; st && n <= DB_MAX_PARAMS; n++)
		db_bind_int(st, n, 1);
	rc = ledger_each_row(ledger, st, append_plan, plan, "explaining a query");
	sb_free(&text);
	return rc;
}
