/*
 * NAME
 *	cmd_config - mailcert check-config
 * SYNOPSIS
 *	int cmd_check_config(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Loads the configuration and checks, without changing anything,
 *	what a new administrator trips over:
 *
 *	every key (config_load()); the CA profiles compile; the trust store
 *	is readable; [notify] sendmail and every target's test and reload
 *	commands are executable programs; every target's files have an
 *	existing directory, and its owner, group and run_as exist; the users
 *	of the roles exist and are not root; the milter's user can read the
 *	configuration (a reload after it dropped privileges reads it again)
 *	and can reach its socket, spool and ledger directories; the
 *	approver's and installer's socket directories exist; [milter]
 *	spool_dir and [installer] state_dir exist or can be made by who
 *	makes them; the web view's user can read [web] password_file; neither
 *	the milter's nor the approver's user can write the order book's
 *	directory.
 *
 *	What the shipped example leaves for the administrator to fill in is
 *	named: an authserv-id, watched address or sender under the example
 *	domains of RFC 2606 (example.com, .net, .org: never a real host's),
 *	and no [target NAME] at all.  When Postfix's smtpd runs chrooted
 *	(master.cf, in $MAIL_CONFIG or /etc/postfix, as Postfix's own tools
 *	find it) a milter socket outside its queue directory is one smtpd
 *	cannot reach.
 *
 *	With [ledger] url (PostgreSQL) the ledger's directories are not
 *	checked; instead each role connects as its own user would (root's
 *	for the book, [milter] user, [approve] user and [web] user in a
 *	child that has become that user) and must find the schemas current:
 *	a role the database does not know, a refused authentication, a
 *	missing "mailcert ledger init" are each named.
 *
 *	Then, when the order book can be read, which open orders use which
 *	target (two on one target would overwrite each other) or, with none
 *	open, which order's certificate it holds, and as
 *	warnings (the site's state, not the file's: the exit code stays) the
 *	targets of orders that no live installer serves and those that live
 *	installers of two hosts both serve.
 *
 *	With --file-only, only the file and the CA profiles are checked, not
 *	the machine (for a file written for another host).
 *
 *	Prints each problem as "mailcert: WHAT" and "FILE: ok" when there is
 *	none; exits 0 or 1.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ledger_json.h"
#include "parser.h"

#define RUN_MAILCERT	"/run/mailcert"	/* the units' runtime directories are in it */
#define POSTFIX_CONFIG_DIR	"/etc/postfix"	/* unless $MAIL_CONFIG, as Postfix's tools */
#define POSTFIX_QUEUE_DIR	"/var/spool/postfix"	/* where a chrooted smtpd lives */
#define MASTER_CF_LINE_MAX	4096

/* One check-config run. */
struct check {
	const struct config *cfg;
	int     problems;
};

static void problem(struct check *c, const char *fmt, const char *a, const char *b, const char *d)
{
	fputs("mailcert: ", stderr);
	fprintf(stderr, fmt, a, b, d);
	fputc('\n', stderr);
	c->problems++;
}

static void check_profiles(struct check *c)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;

	if ((parser = parser_new(c->cfg, &err)) == NULL)
		problem(c, "%s%s%s", sb_str(&err), "", "");
	parser_free(parser);
	sb_free(&err);
}

static void check_program(struct check *c, const char *where, const char *what, const char *path)
{
	if (path && access(path, X_OK) != 0)
		problem(c, "%s %s: %s is not an executable program", where, what, path);
}

static void check_dir_of(struct check *c, const char *where, const char *path)
{
	char   *dir;
	char   *slash;
	struct stat st;

	if (path == NULL)
		return;
	dir = strdup(path);
	if (dir && (slash = strrchr(dir, '/')) != NULL) {
		*(slash == dir ? slash + 1 : slash) = 0;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			problem(c, "%s: the directory %s of %s does not exist", where, dir, path);
	}
	free(dir);
}

static void check_targets(struct check *c)
{
	const struct target_config *t;
	char    where[128];

	for (t = c->cfg->targets; t; t = t->next) {
		snprintf(where, sizeof(where), "[target %s]", t->name);
		if (t->test_command.count)
			check_program(c, where, "test_command", t->test_command.items[0]);
		if (t->reload_command.count)
			check_program(c, where, "reload_command", t->reload_command.items[0]);
		check_dir_of(c, where, t->cert);
		check_dir_of(c, where, t->chain);
		check_dir_of(c, where, t->fullchain);
		check_dir_of(c, where, t->key);
		check_dir_of(c, where, t->combined);
		if (t->owner && getpwnam(t->owner) == NULL)
			problem(c, "%s owner %s: no such user%s", where, t->owner, "");
		if (t->run_as && getpwnam(t->run_as) == NULL)
			problem(c, "%s run_as %s: no such user%s", where, t->run_as, "");
		if (t->group && getgrnam(t->group) == NULL)
			problem(c, "%s group %s: no such group%s", where, t->group, "");
	}
}

/* can_as - may user do mode (R_OK, X_OK) on path?  Asked as the user. */

static int can_as(const struct passwd *pw, const char *path, int mode)
{
	pid_t   pid;
	int     status;

	if (geteuid() != 0 || pw->pw_uid == geteuid())
		return access(path, mode) == 0;
	if ((pid = fork()) < 0)
		return 1;			/* cannot tell */
	if (pid == 0) {
		if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
		    || setuid(pw->pw_uid) < 0)
			_exit(2);
		_exit(access(path, mode) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void check_role_user(struct check *c, const char *key, const char *name,
			    struct passwd *out)
{
	struct passwd *pw = getpwnam(name);

	memset(out, 0, sizeof(*out));
	if (pw == NULL) {
		problem(c, "%s %s: no such user (adduser --system %s)", key, name, name);
		return;
	}
	if (pw->pw_uid == 0)
		problem(c, "%s %s is root: a role that reads mail from strangers never runs as root%s",
			key, name, "");
	*out = *pw;
	out->pw_name = strdup(pw->pw_name);
}

static void parent_of(const char *path, char *dir, size_t len)
{
	char   *slash;

	snprintf(dir, len, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = 0;
}

/* made_by_unit - dir is /run/mailcert/X, not there yet, and the unit that
 * makes it when it starts (RuntimeDirectory=mailcert/X) is not running:
 * said, not a problem */

static int made_by_unit(const char *dir, const char *unit)
{
	struct stat st;

	if (strncmp(dir, RUN_MAILCERT "/", strlen(RUN_MAILCERT) + 1) != 0 || stat(dir, &st) == 0
	    || strchr(dir + strlen(RUN_MAILCERT) + 1, '/') != NULL)
		return 0;
	printf("%s: not there yet; %s.service makes it when it starts\n", dir, unit);
	return 1;
}

/* check_made_dir - a directory a role makes when it first needs it: there
 * and usable by pw, or its parent there to be made in */

static void check_made_dir(struct check *c, const char *key, const char *path, const struct passwd *pw)
{
	char    parent[4096];
	struct stat st;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			problem(c, "%s %s: not a directory%s", key, path, "");
		else if (pw && !can_as(pw, path, W_OK | X_OK))
			problem(c, "%s %s: %s cannot write it", key, path, pw->pw_name);
		return;
	}
	parent_of(path, parent, sizeof(parent));
	if (stat(parent, &st) != 0)
		problem(c, "%s %s: missing, and so is %s to make it in", key, path, parent);
	else if (pw && !can_as(pw, parent, W_OK | X_OK))
		problem(c, "%s %s: missing, and %s cannot make it", key, path, pw->pw_name);
	else
		printf("%s: not there yet; made (mode 0700) when first needed\n", path);
}

/* check_book_dir - a role's user must not be able to put a file where
 * the order book is (readers would take it for root's) */

static void check_book_dir(struct check *c, const struct passwd *pw)
{
	char    dir[4096];

	if (c->cfg->ledger_url || pw->pw_name == NULL || geteuid() != 0)
		return;			/* (not root: every role is this one user) */
	parent_of(c->cfg->orders_path, dir, sizeof(dir));
	if (can_as(pw, dir, W_OK))
		problem(c, "%s can write %s, the order book's directory: it could put a book of its own "
			"there (make it root's, mode 0755)%s", pw->pw_name, dir, "");
}

static void check_milter_user(struct check *c)
{
	const struct config *cfg = c->cfg;
	struct passwd pw;
	char    dir[4096];
	const char *sock = strncmp(cfg->milter_socket, "unix:", 5) == 0 ? cfg->milter_socket + 5
	    : strncmp(cfg->milter_socket, "local:", 6) == 0 ? cfg->milter_socket + 6 : NULL;

	check_role_user(c, "[milter] user", cfg->milter_user, &pw);
	if (pw.pw_name == NULL)
		return;
	if (!can_as(&pw, cfg->path, R_OK))
		problem(c, "%s cannot read %s: a reload (systemctl reload mailcert-milter) would fail "
			"(chgrp %s it, mode 0640)", pw.pw_name, cfg->path, pw.pw_name);
	if (sock) {
		parent_of(sock, dir, sizeof(dir));
		if (!made_by_unit(dir, "mailcert-milter") && !can_as(&pw, dir, W_OK | X_OK))
			problem(c, "%s cannot make its socket in %s (that directory must be the milter "
				"user's; %s)", pw.pw_name, dir, "systemd: RuntimeDirectory=mailcert/milter");
	}
	if (cfg->ledger_url == NULL) {
		parent_of(cfg->ledger_path, dir, sizeof(dir));
		if (!can_as(&pw, dir, W_OK | X_OK))
			problem(c, "%s cannot write its ledger directory %s%s", pw.pw_name, dir, "");
		if (!can_as(&pw, cfg->orders_path, R_OK) && access(cfg->orders_path, F_OK) == 0)
			problem(c, "%s cannot read the order book %s%s", pw.pw_name, cfg->orders_path, "");
	}
	check_made_dir(c, "[milter] spool_dir", cfg->spool_dir, &pw);
	check_book_dir(c, &pw);
	free(pw.pw_name);
}

/* connects_as - can user open the PostgreSQL ledger in role?  Asked in a
 * child that has become the user; what failed is said by the child. */

static int connects_as(const struct config *cfg, const char *key, const char *user,
		       enum ledger_role role)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger_location where;
	struct ledger *ledger;
	struct passwd *pw = user ? getpwnam(user) : NULL;
	pid_t   pid;
	int     status;

	if (user && pw == NULL)
		return 0;			/* said by check_role_user() */
	fflush(stdout);
	if ((pid = fork()) < 0)
		return 0;
	if (pid == 0) {
		if (pw && geteuid() == 0 && pw->pw_uid != 0
		    && (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
			|| setuid(pw->pw_uid) < 0))
			_exit(2);
		ledger_location_of(&where, cfg, "mailcert check-config");
		if (ledger_open(&where, role, &ledger, &err) < 0) {
			fprintf(stderr, "mailcert: %s %s: %s\n", key, user ? user : "(root)", sb_str(&err));
			_exit(1);
		}
		ledger_close(ledger);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void check_pgsql_roles(struct check *c)
{
	const struct config *cfg = c->cfg;

	if (cfg->ledger_url == NULL)
		return;
	if (!connects_as(cfg, "the order book's role", NULL, LEDGER_ROLE_BOOK))
		c->problems++;
	if (!connects_as(cfg, "[milter] user", cfg->milter_user, LEDGER_ROLE_INTAKE))
		c->problems++;
	if (strcmp(cfg->approve_user, cfg->milter_user) != 0
	    && !connects_as(cfg, "[approve] user", cfg->approve_user, LEDGER_ROLE_INTAKE))
		c->problems++;
	if (cfg->web_user && getpwnam(cfg->web_user)
	    && !connects_as(cfg, "[web] user", cfg->web_user, LEDGER_ROLE_READER))
		c->problems++;
}

/* example_domain - a name under RFC 2606's example domains */

static int example_domain(const char *name)
{
	static const char *const examples[] = {"example.com", "example.net", "example.org"};
	const char *at = strrchr(name, '@');
	size_t  len;
	size_t  i;

	name = at ? at + 1 : name;
	len = strlen(name);
	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		size_t  n = strlen(examples[i]);

		if (len >= n && strcasecmp(name + len - n, examples[i]) == 0
		    && (len == n || name[len - n - 1] == '.'))
			return 1;
	}
	return 0;
}

/* check_example_values - what the shipped example leaves to fill in */

static void check_example_values(struct check *c)
{
	const struct config *cfg = c->cfg;
	size_t  i;

	if (cfg->authserv_id && example_domain(cfg->authserv_id))
		problem(c, "[milter] authserv_id %s is the example's: write the authserv-id your DKIM "
			"verifier puts in Authentication-Results on this host (OpenDKIM's AuthservID)%s%s",
			cfg->authserv_id, "", "");
	for (i = 0; i < cfg->watch_addresses.count; i++)
		if (example_domain(cfg->watch_addresses.items[i]))
			problem(c, "[milter] watch_addresses %s is the example's: write the address your CA "
				"account mails certificates to%s%s", cfg->watch_addresses.items[i], "", "");
	if (cfg->notify_from && example_domain(cfg->notify_from))
		problem(c, "[notify] from %s is the example's: write an address of yours%s%s",
			cfg->notify_from, "", "");
	if (cfg->targets == NULL)
		problem(c, "no [target NAME]: an issued certificate has nowhere to be installed "
			"(contrib/targets has examples)%s%s%s", "", "", "");
}

/* check_web_password_file - the web view reads it as [web] user */

static void check_web_password_file(struct check *c)
{
	struct passwd pw;

	if (c->cfg->web_password_file == NULL)
		return;
	check_role_user(c, "[web] user", c->cfg->web_user, &pw);
	if (pw.pw_name && !can_as(&pw, c->cfg->web_password_file, R_OK))
		problem(c, "[web] password_file %s: %s cannot read it (chown %s it, mode 0600)",
			c->cfg->web_password_file, pw.pw_name, pw.pw_name);
	free(pw.pw_name);
}

/* smtpd_chroot_line - the line of master.cf whose smtpd runs chrooted, 0
 * when none does (or master.cf cannot be read) */

static int smtpd_chroot_line(const char *master_cf)
{
	char    line[MASTER_CF_LINE_MAX];
	char    field[8][64];
	FILE   *fp;
	int     number = 0;
	int     found = 0;

	if ((fp = fopen(master_cf, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp)) {
		number++;
		if (line[0] == '#' || line[0] == ' ' || line[0] == '\t')
			continue;		/* a comment, or -o options of the line before */
		if (sscanf(line, "%63s %63s %63s %63s %63s %63s %63s %63s", field[0], field[1], field[2],
			   field[3], field[4], field[5], field[6], field[7]) == 8
		    && strcmp(field[1], "inet") == 0 && strcmp(field[4], "y") == 0
		    && (strcmp(field[7], "smtpd") == 0 || strcmp(field[7], "postscreen") == 0))
			found = number;
	}
	fclose(fp);
	return found;
}

static void check_milter_chroot(struct check *c)
{
	const char *dir = getenv("MAIL_CONFIG");
	const char *sock = c->cfg->milter_socket;
	char    master_cf[4096];
	int     line;

	if (strncmp(sock, "unix:", 5) == 0)
		sock += 5;
	else if (strncmp(sock, "local:", 6) == 0)
		sock += 6;
	else
		return;			/* inet: reachable from a chroot */
	snprintf(master_cf, sizeof(master_cf), "%s/master.cf", dir && *dir == '/' ? dir : POSTFIX_CONFIG_DIR);
	if ((line = smtpd_chroot_line(master_cf)) == 0
	    || strncmp(sock, POSTFIX_QUEUE_DIR "/", strlen(POSTFIX_QUEUE_DIR) + 1) == 0)
		return;
	fprintf(stderr, "mailcert: [milter] socket %s: Postfix's smtpd runs chrooted (%s line %d) and "
		"cannot reach it; put it under %s (socket = unix:%s/mailcert/milter.sock, see "
		"contrib/postfix/README.md) or use inet:10025@127.0.0.1\n", c->cfg->milter_socket,
		master_cf, line, POSTFIX_QUEUE_DIR, POSTFIX_QUEUE_DIR);
	c->problems++;
}

static void check_socket_dirs(struct check *c)
{
	char    dir[4096];
	struct stat st;

	parent_of(c->cfg->wake_socket, dir, sizeof(dir));
	if (stat(dir, &st) != 0 && !made_by_unit(dir, "mailcert-installer"))
		problem(c, "[installer] wake_socket: the directory %s does not exist (the installer's "
			"unit makes it: RuntimeDirectory=mailcert/installer)%s%s", dir, "", "");
	parent_of(c->cfg->approve_wake_socket, dir, sizeof(dir));
	if (stat(dir, &st) != 0 && !made_by_unit(dir, "mailcert-approver"))
		problem(c, "[approve] wake_socket: the directory %s does not exist (the approver's "
			"unit makes it: RuntimeDirectory=mailcert/approver)%s%s", dir, "", "");
}

/* report_installers - targets of orders that no live installer serves, or
 * that installers of two hosts serve: warnings, since they are the state
 * of the site rather than of this file */

static void report_installers(struct ledger *book)
{
	json_t *report = installers_report_json(book, (long long) time(NULL));
	json_t *v;
	size_t  i;

	if (report == NULL)
		return;
	json_array_foreach(json_object_get(report, "unserved_targets"), i, v)
		cli_printf("mailcert: warning: target %s: no live installer serves it; %lld order(s) "
			   "wait (mailcert installers)\n", json_string_value(json_object_get(v, "target")),
			   (long long) json_integer_value(json_object_get(v, "orders")));
	json_array_foreach(json_object_get(report, "shared_targets"), i, v)
		cli_printf("mailcert: warning: target %s: live installers of two hosts serve it; only "
			   "the host with an order's key installs it\n", json_string_value(v));
	json_decref(report);
}

/* print_installed_order - a target with no open order: whose certificate
 * it holds, if any */

static void print_installed_order(struct ledger *book, const char *target)
{
	struct order *orders;
	size_t  count = 0;
	char    when[32];

	if (book_installed_orders_on_target(book, target, &orders, &count) < 0 || count == 0) {
		printf(" no open order, no certificate installed");
		return;
	}
	printf(" no open order; order %lld (%s) installed", orders[0].id, orders[0].domain);
	if (orders[0].expires_at > 0)
		printf(", its certificate expires %s", cli_time(orders[0].expires_at, when, sizeof(when)));
	orders_free(orders, count);
}

/* report_targets - which open orders use which target (when the book reads) */

static void report_targets(struct cli *cli, struct check *c)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger_location where;
	struct ledger *book;
	const struct target_config *t;
	struct order *orders;
	size_t  count;
	size_t  i;

	ledger_location_of(&where, cli->cfg, "mailcert check-config");
	if ((!where.url && access(cli->cfg->orders_path, R_OK) != 0) || ledger_open(&where, LEDGER_ROLE_BOOK, &book, &err) < 0) {
		sb_free(&err);
		return;
	}
	for (t = cli->cfg->targets; t; t = t->next) {
		if (book_open_orders_on_target(book, t->name, 0, &orders, &count) < 0)
			break;
		printf("target %-20s", t->name);
		for (i = 0; i < count; i++)
			printf("%s order %lld (%s)", i ? "," : "", orders[i].id, orders[i].domain);
		if (count == 0)
			print_installed_order(book, t->name);
		printf("\n");
		if (count > 1)
			problem(c, "target %s: %s open orders share it; the second install overwrites the "
				"first's files%s", t->name, count == 2 ? "two" : "several", "");
		orders_free(orders, count);
	}
	report_installers(book);
	ledger_close(book);
}

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"file-only", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct check c;
	struct passwd pw;
	int     file_only = 0;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'f')
			file_only = 1;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (cli_load_config(cli) < 0)
		return 1;
	memset(&c, 0, sizeof(c));
	c.cfg = cli->cfg;
	check_profiles(&c);
	if (file_only) {
		if (c.problems == 0)
			printf("%s: ok (the file only)\n", cli->cfg->path);
		return c.problems ? 1 : 0;
	}
	if (access(cli->cfg->trust_store, R_OK) != 0)
		problem(&c, "[ca] trust_store %s: cannot read it: %s%s", cli->cfg->trust_store,
			strerror(errno), "");
	if (cli->cfg->notify_smtp == NULL)
		check_program(&c, "[notify]", "sendmail", cli->cfg->notify_sendmail);
	else if (strncmp(cli->cfg->notify_smtp, "smtp://", 7) != 0
		 && strncmp(cli->cfg->notify_smtp, "smtps://", 8) != 0)
		problem(&c, "[notify] smtp %s: not an smtp:// or smtps:// URL%s%s", cli->cfg->notify_smtp,
			"", "");
	check_example_values(&c);
	check_targets(&c);
	check_milter_user(&c);
	check_milter_chroot(&c);
	check_role_user(&c, "[approve] user", cli->cfg->approve_user, &pw);
	check_book_dir(&c, &pw);
	free(pw.pw_name);
	check_made_dir(&c, "[installer] state_dir", cli->cfg->state_dir, NULL);
	check_web_password_file(&c);
	check_socket_dirs(&c);
	check_pgsql_roles(&c);
	report_targets(cli, &c);
	if (c.problems == 0)
		printf("%s: ok\n", cli->cfg->path);
	return c.problems ? 1 : 0;
}
