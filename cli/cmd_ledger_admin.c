/*
 * NAME
 *	cmd_ledger_admin - mailcert ledger init, mailcert ledger copy
 * SYNOPSIS
 *	int cmd_ledger_init(struct cli *cli, int argc, char **argv)
 *	int cmd_ledger_copy(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	ledger init makes the ledger or migrates it to this program's schema.
 *	With PostgreSQL ([ledger] url) it runs as the database's owner (root's
 *	role, by default the role named root): it migrates both schemas and
 *	grants the roles of [milter] user, [approve] user and [web] user
 *	exactly what each writes (ledger_init.c).  With SQLite it makes or
 *	migrates the order book as root and the intake's ledger as [milter]
 *	user, in a child process that has become that user: root never opens
 *	a file the intake can write.  Both print what they did.
 *
 *	ledger copy --to URL copies everything of the configured ledger into
 *	an empty one, of either backend: postgresql://... (or postgres://)
 *	or sqlite://INTAKE.db?orders=ORDERS.db (absolute paths; the intake's
 *	ledger must not exist yet).  Root reads the order book; a child that
 *	has become [milter] user reads the intake's ledger and hands its rows
 *	up a pipe, one JSON array per row, which root checks (a table of the
 *	intake's, the right number of values) before writing them into the
 *	destination's intake tables.  Everything is written in one
 *	transaction; then each table of the destination is read back and its
 *	row count and digest (ledger_copy.c) compared with what was read:
 *	one line per table, and exit status 1 when any differs.  A SQLite
 *	destination's intake ledger is given to [milter] user.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "mymalloc.h"
#include "privs.h"

#define COPY_LINE_MAX	(16 * 1024 * 1024)	/* bytes of one row from the child */

/* A child of ours, become [milter] user; 0 in the child, its pid in the
 * parent, -1 when it could not start. */
static pid_t fork_as_milter_user(struct cli *cli, int out_fd)
{
	struct strbuf why = STRBUF_INIT;
	pid_t   pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		cli_error("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(1);
	if (geteuid() == 0 && role_drop_to(cli->cfg->milter_user, &why) < 0) {
		cli_error("%s", sb_str(&why));
		_exit(1);
	}
	return 0;
}

static int child_status(pid_t pid)
{
	int     status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int open_as(struct cli *cli, const char *url, const char *intake, const char *book,
		   enum ledger_role role, struct ledger **ledger)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger_location where;

	ledger_location_of(&where, cli->cfg, "mailcert ledger");
	if (intake || book || url) {
		where.url = url;
		where.intake_path = intake;
		where.book_path = book;
	}
	if (ledger_open(&where, role, ledger, &err) < 0) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return -1;
	}
	return 0;
}

/* ledger init ----------------------------------------------------------------- */

static int init_pgsql(struct cli *cli)
{
	struct ledger_roles roles = {cli->cfg->milter_user, cli->cfg->approve_user, cli->cfg->web_user};
	struct strbuf report = STRBUF_INIT;
	struct ledger *owner;
	int     rc = 0;

	if (open_as(cli, NULL, NULL, NULL, LEDGER_ROLE_OWNER, &owner) < 0)
		return 1;
	if (ledger_grant_roles(owner, &roles, &report) < 0) {
		cli_error("granting the roles: %s", ledger_error(owner));
		rc = 1;
	} else {
		printf("ledger (PostgreSQL): book schema version %d, intake schema version %d\n%s",
		       ledger_schema_version(owner, 1), ledger_schema_version(owner, 0), sb_str(&report));
	}
	sb_free(&report);
	ledger_close(owner);
	return rc;
}

static int init_sqlite(struct cli *cli)
{
	struct ledger *ledger;
	pid_t   pid;
	int     version;

	if (open_as(cli, NULL, NULL, NULL, LEDGER_ROLE_BOOK, &ledger) < 0)
		return 1;
	version = ledger_schema_version(ledger, 1);
	ledger_close(ledger);
	printf("order book %s: schema version %d\n", cli->cfg->orders_path, version);
	if ((pid = fork_as_milter_user(cli, -1)) < 0)
		return 1;
	if (pid == 0) {
		if (open_as(cli, NULL, NULL, NULL, LEDGER_ROLE_INTAKE, &ledger) < 0)
			_exit(1);
		printf("intake's ledger %s: schema version %d (as %s)\n", cli->cfg->ledger_path,
		       ledger_schema_version(ledger, 0), cli->cfg->milter_user);
		fflush(stdout);
		_exit(0);
	}
	return child_status(pid) == 0 ? 0 : 1;
}

int cmd_ledger_init(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1)
		if (cli_common_option(cli, ch, &rc))
			return rc;
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (cli_load_config(cli) < 0)
		return 1;
	return cli->cfg->ledger_url ? init_pgsql(cli) : init_sqlite(cli);
}

/* ledger copy ------------------------------------------------------------------ */

struct copy_run {
	struct ledger *to;
	struct ledger_digest digests[32];	/* by the index in ledger_tables[] */
	long long rows;
};

static int copy_one(void *ctx, const struct ledger_table *t, const char *const *values)
{
	struct copy_run *run = ctx;

	if (ledger_copy_row(run->to, t, values) < 0)
		return -1;
	ledger_digest_add(&run->digests[t - ledger_tables], values, ledger_table_columns(t));
	run->rows++;
	return 0;
}

/* The child's side: every row of the intake's tables, one JSON array each. */

static int print_row(void *ctx, const struct ledger_table *t, const char *const *values)
{
	json_t *row = json_array();
	char   *line;
	int     i;

	(void) ctx;
	json_array_append_new(row, json_string(t->name));
	for (i = 0; i < ledger_table_columns(t); i++)
		json_array_append_new(row, values[i] ? json_string(values[i]) : json_null());
	line = json_dumps(row, JSON_COMPACT);
	json_decref(row);
	if (line == NULL)
		return -1;
	puts(line);
	free(line);
	return ferror(stdout) ? -1 : 0;
}

static void dump_intake(struct cli *cli)
{
	struct ledger *from;

	if (open_as(cli, NULL, NULL, NULL, LEDGER_ROLE_READER, &from) < 0)
		_exit(1);
	if (ledger_copy_each_row(from, 0, print_row, NULL) != 0) {
		cli_error("reading the intake's ledger: %s", ledger_error(from));
		_exit(1);
	}
	_exit(fflush(stdout) == 0 ? 0 : 1);
}

/* copy_line - one row from the child, checked as coming from the intake */

static int copy_line(struct copy_run *run, const char *line, long long number)
{
	const char *values[64];
	const struct ledger_table *t;
	json_t *row;
	size_t  i;
	int     rc = -1;

	if ((row = json_loads(line, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_array(row)
	    || !json_is_string(json_array_get(row, 0))
	    || (t = ledger_table_find(0, json_string_value(json_array_get(row, 0)))) == NULL
	    || json_array_size(row) != (size_t) ledger_table_columns(t) + 1) {
		cli_error("row %lld of the intake's ledger: not a row of one of its tables", number);
		json_decref(row);
		return -1;
	}
	for (i = 1; i < json_array_size(row); i++) {
		json_t *v = json_array_get(row, i);

		if (!json_is_null(v) && !json_is_string(v))
			goto out;
		values[i - 1] = json_is_null(v) ? NULL : json_string_value(v);
	}
	if ((rc = copy_one(run, t, values)) < 0)
		cli_error("intake.%s: %s", t->name, ledger_error(run->to));
out:
	json_decref(row);
	return rc;
}

static int copy_from_child(struct copy_run *run, int fd)
{
	FILE   *in = fdopen(fd, "r");
	char   *line = NULL;
	size_t  cap = 0;
	ssize_t len;
	long long number = 0;
	int     rc = 0;

	if (in == NULL)
		return cli_error("cannot read the child: %s", strerror(errno)) ? -1 : -1;
	while (rc == 0 && (len = getline(&line, &cap, in)) > 0) {
		number++;
		if (len > COPY_LINE_MAX) {
			cli_error("row %lld of the intake's ledger is too long", number);
			rc = -1;
		} else {
			rc = copy_line(run, line, number);
		}
	}
	free(line);
	fclose(in);
	return rc;
}

/* verify - each table of the destination read back against what was read */

static int verify(struct copy_run *run)
{
	const struct ledger_table *t;
	struct ledger_digest got;
	char    want_hex[65];
	char    got_hex[65];
	int     bad = 0;

	for (t = ledger_tables; t->name; t++) {
		struct ledger_digest *want = &run->digests[t - ledger_tables];

		if (ledger_table_digest(run->to, t, &got) < 0) {
			cli_error("reading back %s: %s", t->name, ledger_error(run->to));
			return -1;
		}
		ledger_digest_hex(want, want_hex);
		ledger_digest_hex(&got, got_hex);
		if (got.rows != want->rows || strcmp(got_hex, want_hex) != 0) {
			printf("%s.%s: %lld rows read, %lld written: DIFFERENT (%.16s, %.16s)\n",
			       t->book ? "book" : "intake", t->name, want->rows, got.rows, want_hex, got_hex);
			bad = 1;
		} else {
			printf("%s.%s: %lld rows, digest %.16s: same\n", t->book ? "book" : "intake",
			       t->name, got.rows, got_hex);
		}
	}
	return bad ? -1 : 0;
}

/* The destination: url, or the two paths of a sqlite:// one. */
struct destination {
	const char *url;
	char   *intake;
	char   *book;
};

static int parse_destination(const char *text, struct destination *d)
{
	const char *q;

	memset(d, 0, sizeof(*d));
	if (strncmp(text, "postgresql://", 13) == 0 || strncmp(text, "postgres://", 11) == 0) {
		d->url = text;
		return 0;
	}
	if (strncmp(text, "sqlite://", 9) != 0 || (q = strstr(text, "?orders=")) == NULL
	    || text[9] != '/' || q[8] != '/')
		return -1;
	d->intake = xstrndup(text + 9, (size_t) (q - text - 9));
	d->book = xstrdup(q + 8);
	return 0;
}

static int give_intake_to_milter_user(struct cli *cli, const char *path)
{
	struct strbuf why = STRBUF_INIT;
	struct role_user user;
	int     rc = 0;

	if (geteuid() != 0)
		return 0;
	if (role_user_lookup(cli->cfg->milter_user, &user, &why) < 0) {
		cli_error("%s", sb_str(&why));
		sb_free(&why);
		return -1;
	}
	if (chown(path, user.uid, user.gid) < 0)
		rc = cli_error("%s: cannot give it to %s: %s", path, user.name, strerror(errno)) ? -1 : -1;
	role_user_clear(&user);
	return rc;
}

static int run_copy(struct cli *cli, const struct destination *dest, struct copy_run *run)
{
	struct strbuf why = STRBUF_INIT;
	struct ledger *book = NULL;
	int     pipefd[2];
	pid_t   pid;
	int     rc = -1;

	if (open_as(cli, dest->url, dest->intake, dest->book, LEDGER_ROLE_OWNER, &run->to) < 0)
		return -1;
	if (ledger_copy_is_empty(run->to, &why) < 0) {
		cli_error("%s", sb_str(&why));
		sb_free(&why);
		return -1;
	}
	if (pipe(pipefd) < 0)
		return cli_error("cannot make a pipe: %s", strerror(errno)) ? -1 : -1;
	if ((pid = fork_as_milter_user(cli, pipefd[1])) == 0) {
		close(pipefd[0]);
		dump_intake(cli);
	}
	close(pipefd[1]);
	if (pid < 0 || ledger_begin(run->to) < 0) {
		close(pipefd[0]);
		return -1;
	}
	if (open_as(cli, NULL, NULL, NULL, LEDGER_ROLE_BOOK, &book) == 0
	    && ledger_copy_each_row(book, 1, copy_one, run) == 0
	    && copy_from_child(run, pipefd[0]) == 0 && child_status(pid) == 0
	    && ledger_copy_finish(run->to) == 0 && ledger_commit(run->to) == 0)
		rc = 0;
	else if (book && ledger_error(book)[0] && !ledger_error(run->to)[0])
		cli_error("reading the order book: %s", ledger_error(book));
	else if (ledger_error(run->to)[0])
		cli_error("writing the copy: %s", ledger_error(run->to));
	if (rc < 0) {
		ledger_rollback(run->to);
		kill(pid, SIGTERM);
		child_status(pid);
	}
	ledger_close(book);
	return rc;
}

int cmd_ledger_copy(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"to", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct copy_run run;
	struct destination dest;
	const char *to = NULL;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "t:h", options, NULL)) != -1) {
		if (ch == 't')
			to = optarg;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (to == NULL)
		return cli_usage_error(cli, "--to is required");
	if (parse_destination(to, &dest) < 0)
		return cli_usage_error(cli, "--to %s: not postgresql://... nor "
				       "sqlite:///INTAKE.db?orders=/ORDERS.db", to);
	if (cli_load_config(cli) < 0)
		return 1;
	memset(&run, 0, sizeof(run));
	rc = run_copy(cli, &dest, &run) == 0 && verify(&run) == 0 ? 0 : 1;
	if (rc == 0 && dest.intake && give_intake_to_milter_user(cli, dest.intake) < 0)
		rc = 1;
	if (rc == 0)
		printf("copied %lld rows\n", run.rows);
	ledger_close(run.to);
	free(dest.intake);
	free(dest.book);
	return rc;
}
