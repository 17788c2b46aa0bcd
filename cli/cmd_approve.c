/*
 * NAME
 *	cmd_approve - mailcert approvals, approve ID [--done], approver
 * SYNOPSIS
 *	int cmd_approvals(struct cli *cli, int argc, char **argv)
 *	int cmd_approve(struct cli *cli, int argc, char **argv)
 *	int cmd_approver(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	approvals: the approvals that wait for a person (pending, notified,
 *	manual, unconfirmed, failed) of orders that still wait for one, with
 *	the link and the code, escaped for the terminal.
 *
 *	approve ID: the CA profile's auto action on the order's latest
 *	approval, now, whatever the mode (approve_worker.c); approve ID
 *	--done: a person approved it.  approver: the approver daemon
 *	(approver_loop.c); --once runs the due approvals once and exits.
 *
 *	approve and approver run as [approve] user (mailcert drops to it
 *	when started as root): the approver speaks HTTP to the CA and is
 *	never root.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "approve.h"
#include "cli.h"
#include "msg.h"
#include "parser.h"
#include "reload.h"


static int print_waiting(void *unused, const struct approval *a, const struct order *o)
{
	char    when[32];

	(void) unused;
	cli_printf("%-6lld %-28s %-10s %-20s %s\n", a->order_id, o->domain, o->ca, a->action_state,
		   cli_time(a->received_at, when, sizeof(when)));
	cli_printf("       CA order: %s%s\n", a->ca_order ? a->ca_order : "-",
		   o->ca_order ? "" : " (the order has none: mailcert order set ID --ca-order N)");
	if (approval_is_the_orders(a, o)) {
		cli_printf("       link: %s\n", a->link ? a->link : "-");
		cli_printf("       code: %s\n", a->code ? a->code : "-");
	}
	if (a->last_error)
		cli_printf("       last error: %s\n", a->last_error);
	return 0;
}

int cmd_approvals(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_t *array = NULL;
	int     json = 0;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (json)
		array = json_array();
	else
		printf("%-6s %-28s %-10s %-20s %s\n", "ORDER", "DOMAIN", "CA", "STATE", "RECEIVED");
	if (ledger_each_waiting_approval(cli->ledger, 0, json ? waiting_approval_append : print_waiting, array) < 0) {
		json_decref(array);
		return cli_error("%s", ledger_error(cli->ledger));
	}
	return json ? cli_print_json(array) : 0;
}

static struct parser *load_parser(struct cli *cli)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;

	if ((parser = parser_new(cli->cfg, &err)) == NULL)
		cli_error("%s", sb_str(&err));
	sb_free(&err);
	return parser;
}

int cmd_approve(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"done", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf result = STRBUF_INIT;
	struct parser *parser;
	long long id;
	int     done = 0;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'd')
			done = 1;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli, "the order ID is required");
	if ((id = cli_parse_id(argv[optind])) < 0)
		return cli_usage_error(cli, "\"%s\" is not an order id", argv[optind]);
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (done) {
		rc = approval_mark_done(cli->ledger, id, cli_who(), &result);
		if (rc == 0)
			cli_printf("order %lld: approved (by %s)\n", id, cli_who());
	} else {
		if ((parser = load_parser(cli)) == NULL)
			return 1;
		rc = approval_perform_now(cli->ledger, cli->cfg, parser, id, time(NULL), &result);
		if (rc == 0)
			cli_printf("order %lld: approved: %s\n", id, sb_str(&result));
		parser_free(parser);
	}
	if (rc < 0)
		rc = cli_error("order %lld: %s", id, ledger_error(cli->ledger));
	else if (rc > 0)
		rc = cli_error("%s", sb_str(&result));
	sb_free(&result);
	return rc;
}

int cmd_approver(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"once", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf why = STRBUF_INIT;
	struct parser *parser;
	int     once = 0;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'o')
			once = 1;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	cli->patient = !once;
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (!once && cli->cfg->log_to && msg_open("mailcert-approver", cli->cfg->log_to, &why) < 0) {
		rc = cli_error("%s", sb_str(&why));
		sb_free(&why);
		return rc;
	}
	if ((parser = load_parser(cli)) == NULL)
		return 1;
	if (once) {
		rc = approval_run_due(cli->ledger, cli->cfg, parser, time(NULL)) < 0;
	} else {
		reload_catch(cli->config_path, cli_reload_check);
		rc = approver_watch(cli->ledger, cli->cfg, parser);
	}
	parser_free(parser);
	return rc;
}
