/*
 * NAME
 *	cmd_installers - mailcert installers: who installs, and what waits
 * SYNOPSIS
 *	int cmd_installers(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	One line per installer that ever recorded a heartbeat in the book
 *	(book_installers.c), newest pass first: its name (HOST:CONFIGURATION),
 *	state (live; silent: no pass within twice its poll interval and
 *	INSTALLER_GRACE; stopped), last pass, version and targets.  Then
 *	the targets of open or installed orders that no live installer
 *	serves, with how many orders wait on each, and the targets that
 *	live installers of two hosts both serve (a job goes to whichever
 *	takes it, and only one has the key).
 *
 *	The report is installers_report_json() (ledger_json.c), the same
 *	as /api/installers; --json prints it.  Exits 0; 1 when a target of
 *	an order is unserved or shared (for monitoring); 2 when the ledger
 *	cannot be read.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json_text.h"

#define EXIT_FINDINGS	1
#define EXIT_UNREADABLE	2

static const char *text_of(json_t *obj, const char *key)
{
	const char *text = json_string_value(json_object_get(obj, key));

	return text ? text : "-";
}

static void print_installer(json_t *r)
{
	struct strbuf targets = STRBUF_INIT;
	size_t  i;
	json_t *t;

	json_array_foreach(json_object_get(r, "targets"), i, t)
		sb_appendf(&targets, "%s%s", i ? " " : "", json_string_value(t));
	cli_printf("%-44s %-8s %-20s %-8s %s\n", text_of(r, "name"), text_of(r, "state"),
		   text_of(r, "last_pass"), text_of(r, "version"), sb_str(&targets));
	sb_free(&targets);
}

static void print_report(json_t *report)
{
	json_t *v;
	size_t  i;
	long long orders;

	printf("%-44s %-8s %-20s %-8s %s\n", "INSTALLER", "STATE", "LAST PASS", "VERSION", "TARGETS");
	json_array_foreach(json_object_get(report, "installers"), i, v)
		print_installer(v);
	json_array_foreach(json_object_get(report, "unserved_targets"), i, v) {
		orders = json_integer_value(json_object_get(v, "orders"));
		cli_printf("target %s: no live installer serves it; %lld order%s wait%s (order %lld%s)\n",
			   text_of(v, "target"), orders, orders == 1 ? "" : "s", orders == 1 ? "s" : "",
			   (long long) json_integer_value(json_object_get(v, "first_order")),
			   orders > 1 ? " and more" : "");
	}
	json_array_foreach(json_object_get(report, "shared_targets"), i, v)
		cli_printf("target %s: live installers of two hosts serve it; its jobs go to whichever "
			   "takes them, and only the host with the key installs\n", json_string_value(v));
}

int cmd_installers(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_t *report;
	int     json = 0;
	int     findings;
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
		return EXIT_UNREADABLE;
	if ((report = installers_report_json(cli->ledger, (long long) time(NULL))) == NULL) {
		cli_error("cannot list the installers: %s", ledger_error(cli->ledger));
		return EXIT_UNREADABLE;
	}
	findings = json_array_size(json_object_get(report, "unserved_targets"))
		+ json_array_size(json_object_get(report, "shared_targets")) > 0;
	if (json)
		cli_print_json(report);
	else {
		print_report(report);
		json_decref(report);
	}
	return findings ? EXIT_FINDINGS : 0;
}
