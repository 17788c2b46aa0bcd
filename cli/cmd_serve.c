/*
 * NAME
 *	cmd_serve - mailcert serve: the ledger in a browser, and /metrics
 * SYNOPSIS
 *	int cmd_serve(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Opens [web] listen while it may still be root (web_listen(): a
 *	non-loopback address is refused without [web] password_file), then
 *	becomes [web] user, opens both stores read-only and serves until
 *	SIGTERM or SIGINT (web/).  Exit 0 after a clean stop, 1 when it
 *	cannot listen or read the ledger.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "web.h"

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf why = STRBUF_INIT;
	int     fd;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1)
		if (cli_common_option(cli, ch, &rc))
			return rc;
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (cli_load_config(cli) < 0)
		return 1;
	if (msg_open("mailcert-serve", cli->cfg->log_to ? cli->cfg->log_to : MSG_TO_STDERR, &why) < 0
	    || (fd = web_listen(cli->cfg, &why)) < 0) {
		cli_error("%s", sb_str(&why));
		sb_free(&why);
		return 1;
	}
	cli->patient = 1;
	if (cli_open_ledger(cli) < 0) {
		close(fd);
		return 1;
	}
	rc = web_serve(fd, cli->cfg, cli->ledger, &why);
	if (rc < 0)
		cli_error("%s", sb_str(&why));
	close(fd);
	sb_free(&why);
	return rc < 0 ? 1 : 0;
}
