/*
 * NAME
 *	mailcert - the operator's command
 * SYNOPSIS
 *	mailcert [-c FILE] [-v] COMMAND [SUB-COMMAND] [ARGS...]
 *	mailcert --help | --version
 * DESCRIPTION
 *	One table, cli_commands[], maps each command (and sub-command, as in
 *	"order add") to its handler, the role it runs in, its usage and one
 *	line of help; main() only reads the global options and dispatches.
 *	Each handler parses its own options with getopt_long() (every one
 *	takes --help), prints human output by default (with everything that
 *	came from a mail escaped for the terminal) and JSON with --json,
 *	writes errors to stderr and returns the exit status.
 *
 *	The role decides whose the process is before any ledger is opened
 *	(cli_open_ledger()): the order commands, install and expiring are
 *	root's and open only the order book; the reading commands drop to
 *	[milter] user and open both stores read-only; deliver drops to
 *	[milter] user, approve and approver to [approve] user, and open the
 *	intake's ledger.  Root never opens a file the intake can write.
 *	See mailcert(1).
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "parser.h"
#include "printable.h"
#include "privs.h"
#include "reload.h"
#include "strbuf.h"
#include "wake.h"

static const struct cli_command cli_commands[] = {
	{"order", "add", cmd_order_add, CLI_BOOK,
		"order add --domain D [--alt-name D2]... --ca CA --key KEYFILE --target NAME\n"
		"          [--ca-order N] [--approver EMAIL] [--contact EMAIL] [--approve-mode MODE]\n"
		"          [--replace]",
	"record an order for an existing key (imported into [installer] key_dir)"},
	{"order", "new", cmd_order_new, CLI_BOOK,
		"order new --domain D [--alt-name D2]... --ca CA --target NAME\n"
		"          [--key-type ec256|rsa2048|rsa3072] [--ca-order N] [--approver EMAIL]\n"
		"          [--contact EMAIL] [--approve-mode MODE] [--replace]",
	"make a key, record the order, print the CSR"},
	{"order", "set", cmd_order_set, CLI_BOOK,
		"order set ID [--ca-order N] [--contact EMAIL] [--approve-mode MODE]",
	"give an open order its CA order number, contact or approve mode"},
	{"order", "cancel", cmd_order_cancel, CLI_BOOK, "order cancel ID [--reason TEXT]",
	"close an order: it is no longer watched and no mail changes it"},
	{"order", "renew", cmd_order_renew, CLI_BOOK,
		"order renew ID [--key-type ec256|rsa2048|rsa3072] [--reuse-key]",
	"a successor order for the same names, CA and target; print its CSR"},
	{"order", "import", cmd_order_import, CLI_BOOK, "order import FILE | -",
	"orders from JSON lines, all checked first, then recorded 10000 at a time"},
	{"orders", NULL, cmd_orders, CLI_READER,
		"orders [--state STATE] [--domain D] [--expiring DAYS] [--limit N] [--json]",
	"the orders, newest first, with their state and expiry"},
	{"show", NULL, cmd_show, CLI_READER, "show ID [--json]",
	"one order: names, key, approval, certificate, install, events"},
	{"ledger", NULL, cmd_ledger, CLI_READER, "ledger [--order ID] [--limit N] [--json]",
	"the events of every order, or of one, oldest first"},
	{"ledger", "init", cmd_ledger_init, CLI_NONE, "ledger init",
	"make or migrate the ledger; PostgreSQL: grant each role its part (as the database's owner)"},
	{"ledger", "copy", cmd_ledger_copy, CLI_NONE,
		"ledger copy --to postgresql://... | sqlite:///INTAKE.db?orders=/ORDERS.db",
	"copy the whole ledger into an empty one of either backend, and check the copy"},
	{"approvals", NULL, cmd_approvals, CLI_READER, "approvals [--json]",
	"the approvals that wait for a person"},
	{"approve", NULL, cmd_approve, CLI_APPROVER, "approve ID [--done]",
	"act on an order's approval link now, or record that a person did"},
	{"approver", NULL, cmd_approver, CLI_APPROVER, "approver [--once]",
	"the approver daemon (as [approve] user): act on recorded approvals"},
	{"install", NULL, cmd_install, CLI_BOOK, "install --pending | --watch | --retry ID",
	"install issued certificates once, one order's now, or as the installer daemon (root)"},
	{"installers", NULL, cmd_installers, CLI_READER, "installers [--json]",
	"the installers of every host, live or not, and the targets no live one serves"},
	{"install-requests", NULL, cmd_install_requests, CLI_INTAKE,
		"install-requests [--max N]",
	"the intake's install requests as JSON lines (the installer's helper)"},
	{"expiring", NULL, cmd_expiring, CLI_BOOK, "expiring [--days N] [--json]",
	"certificates that expire within N days (default 30); exit 0 none, 1 some, "
	"2 one has expired, 3 could not tell"},
	{"deliver", NULL, cmd_deliver, CLI_INTAKE, "deliver [-f SENDER] [RECIPIENT...]",
	"take one message from standard input (a pipe transport, procmail, sieve)"},
	{"fetch", NULL, cmd_fetch, CLI_INTAKE, "fetch [--watch] [--mailbox NAME]",
	"take CA mail from the [imap NAME] mailboxes (as [milter] user)"},
	{"check-config", NULL, cmd_check_config, CLI_NONE, "check-config [--file-only]",
	"check the configuration, the programs and directories it names"},
	{"serve", NULL, cmd_serve, CLI_WEB, "serve",
	"the read-only web view and /metrics on [web] listen (as [web] user)"},
	{"parse", NULL, cmd_parse, CLI_READER, "parse FILE.eml [--json | --explain]",
	"what mailcert would make of one message; changes nothing"},
	{NULL, NULL, NULL, CLI_NONE, NULL, NULL},
};

static void usage_all(FILE *out)
{
	const struct cli_command *cmd;

	fprintf(out, "usage: mailcert [-c FILE] [-v] COMMAND [ARGS...]\n"
		"       mailcert --help | --version\n"
		"  -c FILE  the configuration (default " MAILCERT_DEFAULT_CONFIG ")\n"
		"  -v       verbose logging\n\ncommands (mailcert COMMAND --help says more):\n");
	for (cmd = cli_commands; cmd->name; cmd++) {
		char    name[40];

		snprintf(name, sizeof(name), "%s%s%s", cmd->name, cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
		fprintf(out, "  %-18s %s\n", name, cmd->help);
	}
}

void cli_print_usage(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "usage: mailcert %s\n%s.\n", cmd->usage, cmd->help);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mailcert: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mailcert %s%s%s: ", cli->cmd->name, cli->cmd->sub ? " " : "",
		cli->cmd->sub ? cli->cmd->sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_print_usage(cli->cmd, stderr);
	return EXIT_USAGE;
}

int cli_common_option(const struct cli *cli, int ch, int *rc)
{
	if (ch == 'h') {
		cli_print_usage(cli->cmd, stdout);
		*rc = 0;
		return 1;
	}
	*rc = cli_usage_error(cli, "unknown option or missing value (see above)");
	return 1;
}

/* cli_reload_check - a configuration a daemon may start again with */

int cli_reload_check(const char *config_path, struct strbuf *why)
{
	struct config *cfg;
	struct parser *parser;

	if (config_load(config_path, &cfg, why) < 0)
		return -1;
	parser = parser_new(cfg, why);
	config_free(cfg);
	if (parser == NULL)
		return -1;
	parser_free(parser);
	return 0;
}

int cli_load_config(struct cli *cli)
{
	struct strbuf err = STRBUF_INIT;

	if (cli->cfg)
		return 0;
	if (config_load(cli->config_path, &cli->cfg, &err) < 0) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return -1;
	}
	return 0;
}

/* cli_become_role_user - the role's unprivileged user, when we are root */

int cli_become_role_user(struct cli *cli)
{
	struct strbuf why = STRBUF_INIT;
	const char *user = NULL;

	if (cli->role == CLI_READER || cli->role == CLI_INTAKE)
		user = cli->cfg->milter_user;
	else if (cli->role == CLI_APPROVER)
		user = cli->cfg->approve_user;
	else if (cli->role == CLI_WEB)
		user = cli->cfg->web_user;
	if (user == NULL)
		return 0;
	if (geteuid() != 0) {
		umask(ROLE_UMASK);
		return 0;
	}
	if (role_drop_to(user, &why) < 0) {
		cli_error("%s", sb_str(&why));
		sb_free(&why);
		return -1;
	}
	return 0;
}

int cli_open_ledger_as(struct cli *cli, enum ledger_role role)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger_location where;
	char    program[64];

	if (cli->ledger)
		return 0;
	if (cli_load_config(cli) < 0 || cli_become_role_user(cli) < 0)
		return -1;
	snprintf(program, sizeof(program), "mailcert %s%s%s", cli->cmd->name,
		 cli->cmd->sub ? " " : "", cli->cmd->sub ? cli->cmd->sub : "");
	ledger_location_of(&where, cli->cfg, program);
	if ((cli->patient ? ledger_open_patiently(&where, role, &cli->ledger, &err, NULL)
	     : ledger_open(&where, role, &cli->ledger, &err)) < 0) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return -1;
	}
	return 0;
}

int cli_open_ledger(struct cli *cli)
{
	return cli_open_ledger_as(cli, cli->role == CLI_BOOK ? LEDGER_ROLE_BOOK
				  : cli->role == CLI_READER || cli->role == CLI_WEB ? LEDGER_ROLE_READER
				  : LEDGER_ROLE_INTAKE);
}

long long cli_parse_number(const char *text, long long min)
{
	char   *end;
	long long n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || *end || end == text || n < min)
		return -1;
	return n;
}

long long cli_parse_id(const char *text)
{
	return cli_parse_number(text, 1);
}

const char *cli_time(long long when, char *buf, size_t len)
{
	time_t  t = (time_t) when;
	struct tm tm;

	if (when == 0 || gmtime_r(&t, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *cli_who(void)
{
	static char who[200];
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");
	char    sudo_user[64];

	if (sudo && *sudo) {
		printable_buf(sudo_user, sizeof(sudo_user), sudo, PRINTABLE_ASCII);
		snprintf(who, sizeof(who), "%s via sudo as %s", sudo_user, pw ? pw->pw_name : "?");
	} else {
		snprintf(who, sizeof(who), "%s", pw ? pw->pw_name : "unknown user");
	}
	return who;
}

void cli_put(FILE *out, const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	printable_append(&sb, text ? text : "", text ? strlen(text) : 0, 0, PRINTABLE_ESCAPE);
	fputs(sb_str(&sb), out);
	sb_free(&sb);
}

/* cli_printf - vprintf with every %s escaped; the format is ours */

void cli_printf(const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT;
	const char *p;
	va_list ap;

	va_start(ap, fmt);
	for (p = fmt; *p; p++) {
		if (*p != '%') {
			sb_append(&raw, p, 1);
			continue;
		}
		/* copy the conversion; escape the strings it prints */
		const char *start = p++;
		char    conv[32];
		size_t  n;

		while (*p && strchr("-+ #0123456789.", *p))
			p++;
		while (*p == 'l' || *p == 'z' || *p == 'h')
			p++;
		n = (size_t) (p - start + 1);
		if (n >= sizeof(conv) || *p == 0)
			break;
		memcpy(conv, start, n);
		conv[n] = 0;
		switch (*p) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			char   *safe = printable_dup(s ? s : "(null)", PRINTABLE_ESCAPE);

			sb_appendf(&raw, conv, safe);
			free(safe);
			break;
		}
		case 'd': case 'i': case 'u': case 'x': case 'c':
			if (strstr(conv, "ll"))
				sb_appendf(&raw, conv, va_arg(ap, long long));
			else if (strchr(conv, 'l') || strchr(conv, 'z'))
				sb_appendf(&raw, conv, va_arg(ap, long));
			else
				sb_appendf(&raw, conv, va_arg(ap, int));
			break;
		case '%':
			sb_append(&raw, "%", 1);
			break;
		default:
			break;
		}
	}
	va_end(ap);
	fputs(sb_str(&raw), stdout);
	sb_free(&raw);
}

int cli_print_json(json_t *value)
{
	char   *text;

	if (value == NULL)
		return cli_error("cannot build the JSON output");
	text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(value);
	if (text == NULL)
		return cli_error("cannot format the JSON output");
	puts(text);
	free(text);
	return 0;
}

void cli_wake(const char *path, const char *whom)
{
	struct strbuf why = STRBUF_INIT;

	if (wake_send(path, &why) < 0)
		fprintf(stderr, "mailcert: could not wake the %s: %s\n", whom, sb_str(&why));
	sb_free(&why);
}

/* find_command - name [sub]; *used is 2 when sub was the sub-command */

static const struct cli_command *find_command(const char *name, const char *sub, int *used)
{
	const struct cli_command *cmd;
	const struct cli_command *plain = NULL;

	*used = 1;
	for (cmd = cli_commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, name) != 0)
			continue;
		if (cmd->sub == NULL)
			plain = cmd;
		else if (sub && strcmp(cmd->sub, sub) == 0) {
			*used = 2;
			return cmd;
		}
	}
	return plain;
}

/* no_such_command - NAME alone, or NAME SUB that is not one; NAME --help
 * of a command with sub-commands lists their usage (exit 0) */

static int no_such_command(const char *name, const char *sub)
{
	const struct cli_command *cmd;
	struct strbuf subs = STRBUF_INIT;
	int     listed = 0;

	if (sub && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)) {
		for (cmd = cli_commands; cmd->name; cmd++)
			if (strcmp(cmd->name, name) == 0 && cmd->sub) {
				cli_print_usage(cmd, stdout);
				listed++;
			}
		if (listed)
			return 0;
	}

	for (cmd = cli_commands; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0 && cmd->sub)
			sb_appendf(&subs, "%s%s", subs.len ? ", " : "", cmd->sub);
	if (subs.len && sub == NULL)
		cli_error("%s: which one? %s (mailcert %s SUB --help)", name, sb_str(&subs), name);
	else if (subs.len)
		cli_error("%s: no sub-command \"%s\" (there are %s)", name, sub, sb_str(&subs));
	else
		cli_error("unknown command \"%s\" (mailcert --help lists them)", name);
	sb_free(&subs);
	return EXIT_USAGE;
}

static const char *self_path(const char *argv0)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n > 0) {
		path[n] = 0;
		return path;
	}
	return argv0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf why = STRBUF_INIT;
	struct cli cli;
	int     used;
	int     ch;
	int     rc;

	memset(&cli, 0, sizeof(cli));
	reload_keep_argv(argc, argv);	/* a daemon's SIGHUP starts it again so */
	cli.config_path = MAILCERT_DEFAULT_CONFIG;
	cli.self = self_path(argv[0]);
	msg_open("mailcert", MSG_TO_STDERR, &why);
	while ((ch = getopt_long(argc, argv, "+c:vhV", options, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.config_path = optarg;
			cli.config_given = 1;
			break;
		case 'v':
			msg_set_verbose(1);
			break;
		case 'h':
			usage_all(stdout);
			return 0;
		case 'V':
			printf("mailcert %s\n", MAILCERT_VERSION);
			return 0;
		default:
			usage_all(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	cli.cmd = find_command(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, &used);
	if (cli.cmd == NULL)
		return no_such_command(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL);
	cli.role = cli.cmd->role;
	/* The handler gets its arguments with the command word(s) as argv[0]. */
	optind += used - 1;
	argc -= optind;
	argv += optind;
	optind = 0;			/* glibc: start getopt afresh */
	rc = cli.cmd->run(&cli, argc, argv);
	ledger_close(cli.ledger);
	config_free(cli.cfg);
	return rc;
}
