/*
 * NAME
 *	mailcert - the operator's command
 * SYNOPSIS
 *	mailcert [-c FILE] [-v] COMMAND [ARGS...]
 * DESCRIPTION
 *	One table, cli_commands[], maps each command (and sub-command, as in
 *	"order add") to its handler and its usage line; main() only reads
 *	the global options and dispatches.  Each handler parses its own
 *	options with getopt_long(), prints human output by default and JSON
 *	with --json, writes errors to stderr and returns the exit status.
 *	See mailcert(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "msg.h"
#include "strbuf.h"

static const struct cli_command cli_commands[] = {
	{"order", "add", cmd_order_add,
		"order add --domain D [--alt-name D2]... --ca CA [--ca-order N] [--approver EMAIL]\n"
	"                 --key KEYFILE --target NAME [--contact EMAIL] [--approve-mode MODE]"},
	{"order", "new", cmd_order_new,
		"order new --domain D [--alt-name D2]... --ca CA [--ca-order N] [--approver EMAIL]\n"
	"                 --target NAME [--key-type ec256|rsa2048|rsa3072] [--contact EMAIL]\n"
	"                 [--approve-mode MODE]"},
	{"install", NULL, cmd_install, "install --pending | --watch"},
	{"orders", NULL, cmd_orders, "orders [--json]"},
	{"show", NULL, cmd_show, "show ID [--json]"},
	{"ledger", NULL, cmd_ledger, "ledger [--json] [--order ID]"},
	{"check-config", NULL, cmd_check_config, "check-config"},
	{"parse", NULL, cmd_parse, "parse FILE.eml [--json]"},
	{"approvals", NULL, cmd_approvals, "approvals [--json]"},
	{"approve", NULL, cmd_approve, "approve ID [--done]"},
	{NULL, NULL, NULL, NULL},
};

const struct cli_command *cli_find_command(const char *name, const char *sub)
{
	const struct cli_command *cmd;

	for (cmd = cli_commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, name) != 0)
			continue;
		if (cmd->sub == NULL || (sub && strcmp(cmd->sub, sub) == 0))
			return cmd;
	}
	return NULL;
}

static void usage_all(const char *prog)
{
	const struct cli_command *cmd;

	fprintf(stderr, "usage: %s [-c FILE] [-v] COMMAND [ARGS...]\ncommands:\n", prog);
	for (cmd = cli_commands; cmd->name; cmd++)
		fprintf(stderr, "  %s %s\n", prog, cmd->usage);
}

int cli_usage(const struct cli_command *cmd)
{
	fprintf(stderr, "usage: mailcert %s\n", cmd->usage);
	return EXIT_USAGE;
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

int cli_open_ledger(struct cli *cli)
{
	struct strbuf err = STRBUF_INIT;

	if (cli->ledger)
		return 0;
	if (cli_load_config(cli) < 0)
		return -1;
	if (ledger_open(cli->cfg->ledger_path, cli->cfg->busy_timeout_ms, &cli->ledger, &err) < 0) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return -1;
	}
	return 0;
}

long long cli_parse_id(const char *text)
{
	char *end;
	long long id;

	errno = 0;
	id = strtoll(text, &end, 10);
	if (errno || *end || end == text || id <= 0)
		return -1;
	return id;
}

const char *cli_time(long long when, char *buf, size_t len)
{
	time_t t = (time_t) when;
	struct tm tm;

	if (when == 0 || gmtime_r(&t, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

int cli_print_json(json_t *value)
{
	char *text;

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

int main(int argc, char **argv)
{
	struct cli cli;
	const struct cli_command *cmd;
	int ch;
	int rc;

	memset(&cli, 0, sizeof(cli));
	cli.prog = "mailcert";
	cli.config_path = MAILCERT_DEFAULT_CONFIG;
	msg_open("mailcert", 1);
	while ((ch = getopt(argc, argv, "+c:vh")) != -1) {
		switch (ch) {
		case 'c':
			cli.config_path = optarg;
			cli.config_given = 1;
			break;
		case 'v':
			msg_set_verbose(1);
			break;
		default:
			usage_all(cli.prog);
			return ch == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_all(cli.prog);
		return EXIT_USAGE;
	}
	cmd = cli_find_command(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL);
	if (cmd == NULL) {
		cli_error("unknown command \"%s%s%s\"", argv[optind],
			  optind + 1 < argc ? " " : "", optind + 1 < argc ? argv[optind + 1] : "");
		usage_all(cli.prog);
		return EXIT_USAGE;
	}
	/* Hand the handler its arguments with the command word(s) as argv[0]. */
	optind += cmd->sub ? 1 : 0;
	argc -= optind;
	argv += optind;
	optind = 0;			/* glibc: start getopt afresh */
	rc = cmd->run(&cli, argc, argv);
	ledger_close(cli.ledger);
	config_free(cli.cfg);
	return rc;
}
