/*
 * NAME
 *	cmd_install - mailcert install --pending | --watch
 * SYNOPSIS
 *	int cmd_install(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	--pending runs the install jobs that are due once (installer_loop.c)
 *	and exits: status 0 when every job run was installed (or there was
 *	none), 1 when one was not or the ledger failed.  Standard output
 *	says "N job(s) run, M not installed"; what happened to each job is
 *	logged on standard error and recorded as events of its order.
 *
 *	--watch is the daemon: it waits for the milter's wake-up datagram on
 *	[installer] wake_socket, polling every [installer] poll_interval
 *	seconds, until SIGTERM, and on every pass also performs the due
 *	approval actions ([approve] mode), for which it loads the CA
 *	profiles.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "install.h"
#include "parser.h"

static int run_watch(struct cli *cli)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;
	int rc;

	if ((parser = parser_new(cli->cfg, &err)) == NULL) {
		rc = cli_error("%s", sb_str(&err));
		sb_free(&err);
		return rc;
	}
	rc = install_watch(cli->ledger, cli->cfg, parser);
	parser_free(parser);
	return rc;
}

int cmd_install(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"pending", no_argument, NULL, 'p'},
		{"watch", no_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	long long next_due = 0;
	int     pending = 0;
	int     watch = 0;
	int     failed = 0;
	int     ran;
	int     ch;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (ch) {
		case 'p': pending = 1; break;
		case 'w': watch = 1; break;
		default: return cli_usage(cli_find_command("install", NULL));
		}
	}
	if (optind != argc || pending + watch != 1)
		return cli_usage(cli_find_command("install", NULL));
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (watch)
		return run_watch(cli);
	if ((ran = install_run_due(cli->ledger, cli->cfg, time(NULL), &failed, &next_due)) < 0)
		return 1;
	printf("%d job(s) run, %d not installed\n", ran, failed);
	return failed ? 1 : 0;
}
