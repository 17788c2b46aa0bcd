/*
 * NAME
 *	cmd_show - mailcert orders, show and ledger: reading the ledger
 * SYNOPSIS
 *	int cmd_orders(struct cli *cli, int argc, char **argv)
 *	int cmd_show(struct cli *cli, int argc, char **argv)
 *	int cmd_ledger(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	orders: one line per order, newest first (id, domain, CA, state,
 *	expiry with the days left, last change), filtered by --state,
 *	--domain (the name or a parent of one of its names), --expiring DAYS
 *	(the newest certificate expires within DAYS) and cut at --limit.
 *	show: one order with its approval, certificate, install job, its
 *	predecessor and successor and its events.  ledger: the events of
 *	both stores, oldest first, of every order or of one.
 *
 *	Each prints a readable table, with everything that came from a mail
 *	escaped for the terminal (cli_put), or JSON with --json; a list is
 *	written one element at a time, so a million orders take constant
 *	memory.  They run as [milter] user with both stores read-only.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json_text.h"

#define DAY	86400

/* The options of the three commands. */
struct show_options {
	int     json;
	long long order_id;
	long long limit;
	struct order_filter filter;
};

static int parse_options(struct cli *cli, int argc, char **argv, const char *allowed,
			 struct show_options *opts, int *rc)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"order", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'n'},
		{"state", required_argument, NULL, 's'},
		{"domain", required_argument, NULL, 'd'},
		{"expiring", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long days;
	int     ch;

	memset(opts, 0, sizeof(*opts));
	opts->filter.any_state = 1;
	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch != 'h' && ch != '?' && strchr(allowed, ch) == NULL)
			ch = '?';
		switch (ch) {
		case 'j': opts->json = 1; break;
		case 'o':
			if ((opts->order_id = cli_parse_id(optarg)) < 0)
				return *rc = cli_usage_error(cli, "--order %s: not an order id", optarg), -1;
			break;
		case 'n':
			if ((opts->limit = cli_parse_id(optarg)) < 0)
				return *rc = cli_usage_error(cli, "--limit %s: not a positive number", optarg), -1;
			opts->filter.limit = opts->limit;
			break;
		case 's':
			if (order_state_from_name(optarg, &opts->filter.state) < 0)
				return *rc = cli_usage_error(cli, "--state %s: no such state", optarg), -1;
			opts->filter.any_state = 0;
			break;
		case 'd':
			opts->filter.domain = optarg;
			break;
		case 'e':
			if ((days = cli_parse_number(optarg, 0)) < 0)
				return *rc = cli_usage_error(cli, "--expiring %s: not a number of days", optarg), -1;
			opts->filter.expiring_before = (long long) time(NULL) + days * DAY;
			break;
		default:
			cli_common_option(cli, ch, rc);
			return -1;
		}
	}
	return 0;
}

static void expiry_text(long long expires_at, char *buf, size_t len)
{
	long long left;

	if (expires_at == 0) {
		snprintf(buf, len, "-");
		return;
	}
	left = expires_at - (long long) time(NULL);
	cli_time(expires_at, buf, len);
	snprintf(buf + 10, len - 10, " (%lld d)", left >= 0 ? left / DAY : -((-left + DAY - 1) / DAY));
}

/* Streaming output ------------------------------------------------------- */

struct printing {
	int     json;
	int     first;
	struct served_targets served;	/* the live installers' targets */
	long long waiting;		/* orders listed that no installer serves */
	struct ledger *ledger;		/* for a retrying order's job */
	int     max_attempts;		/* [installer] max_attempts */
};

/* print_retrying - ": retrying at T (attempt n of N)", of a job that
 * failed and waits for its next attempt */

static void print_retrying(const struct install_job *job, int max_attempts)
{
	char    when[32];

	printf(": retrying at %s (attempt %d of %d)", cli_time(job->next_try, when, sizeof(when)),
	       job->attempts + 1, max_attempts);
}

static void json_element(struct printing *p, json_t *value)
{
	char   *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(value);
	if (text == NULL)
		return;
	fputs(p->first ? "[\n" : ",\n", stdout);
	fputs(text, stdout);
	free(text);
	p->first = 0;
}

static void json_end(struct printing *p)
{
	fputs(p->first ? "[]\n" : "\n]\n", stdout);
}

static int print_order(void *ctx, const struct order *o)
{
	struct printing *p = ctx;
	char    expires[48];
	char    when[32];

	char    state[32];
	struct install_job job;
	int     waits = order_waits_for_installer(&p->served, o);
	json_t *j;

	if (p->json) {
		j = order_to_json(o);
		order_json_waits(j, &p->served, o);
		json_element(p, j);
		return 0;
	}
	p->waiting += waits;
	expiry_text(o->expires_at, expires, sizeof(expires));
	snprintf(state, sizeof(state), "%s%s", order_state_name(o->state), waits ? " *" : "");
	cli_printf("%-6lld %-32s %-10s %-18s %-20s %s", o->id, o->domain, o->ca,
		   state, expires, cli_time(o->updated_at, when, sizeof(when)));
	if (o->state == ORDER_INSTALL_RETRYING && book_install_latest(p->ledger, o->id, &job) == 0) {
		print_retrying(&job, p->max_attempts);
		install_job_clear(&job);
	}
	printf("\n");
	return 0;
}

int cmd_orders(struct cli *cli, int argc, char **argv)
{
	struct show_options opts;
	struct printing p;
	int     rc;

	if (parse_options(cli, argc, argv, "jnsde", &opts, &rc) < 0)
		return rc;
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (cli_open_ledger(cli) < 0)
		return 1;
	memset(&p, 0, sizeof(p));
	p.first = 1;
	p.json = opts.json;
	p.ledger = cli->ledger;
	p.max_attempts = cli->cfg->install_max_attempts;
	if (served_targets_load(cli->ledger, (long long) time(NULL), &p.served) < 0)
		return cli_error("cannot list the installers: %s", ledger_error(cli->ledger));
	if (!p.json)
		printf("%-6s %-32s %-10s %-18s %-20s %s\n", "ID", "DOMAIN", "CA", "STATE",
		       "EXPIRES (LEFT)", "CHANGED");
	rc = ledger_each_order(cli->ledger, &opts.filter, print_order, &p);
	served_targets_free(&p.served);
	if (p.json)
		json_end(&p);
	if (rc < 0)
		return cli_error("cannot list orders: %s", ledger_error(cli->ledger));
	if (p.waiting)
		printf("* no live installer serves the order's target (see mailcert installers)\n");
	return 0;
}

/* show ------------------------------------------------------------------ */

static int print_event_line(void *ctx, const struct event *e)
{
	int     with_order = *(int *) ctx;
	char    when[32];

	printf("  %s  ", cli_time(e->at, when, sizeof(when)));
	if (with_order) {
		if (e->order_id)
			printf("order %-5lld ", e->order_id);
		else
			printf("%-11s ", "-");
	}
	cli_printf("%-22s %s\n", e->kind, e->detail);
	return 0;
}

static void print_names(const struct order *o)
{
	size_t  i;

	cli_printf("  names:        %s", o->domain);
	for (i = 0; i < o->alt_names.count; i++)
		cli_printf(", %s", o->alt_names.items[i]);
	printf("\n");
}

static void print_details(struct ledger *ledger, const struct order_details *d, int max_attempts)
{
	const struct order *o = &d->order;
	char    when[32];
	char    expires[48];
	int     with_order = 0;

	cli_printf("order %lld: %s\n", o->id, o->domain);
	cli_printf("  state:        %s (since %s)", order_state_name(o->state),
		   cli_time(o->state_since ? o->state_since : o->updated_at, when, sizeof(when)));
	if (o->state == ORDER_INSTALL_RETRYING && d->has_job)
		print_retrying(&d->job, max_attempts);
	printf("\n");
	print_names(o);
	cli_printf("  CA:           %s%s%s\n", o->ca, o->ca_order ? ", order " : " (no CA order number yet)",
		   o->ca_order ? o->ca_order : "");
	cli_printf("  approver:     %s\n", o->approver ? o->approver : "(the constructed addresses)");
	cli_printf("  key:          sha256 %s (%s)\n", o->key_sha256, o->key_origin ? o->key_origin : "-");
	cli_printf("  target:       %s%s\n", o->target,
		   d->waits_for_installer ? " (no live installer serves it: see mailcert installers)" : "");
	cli_printf("  contact:      %s\n", o->contact ? o->contact : "-");
	if (o->predecessor)
		printf("  renews:       order %lld\n", o->predecessor);
	if (o->successor)
		printf("  renewed by:   order %lld\n", o->successor);
	if (o->closed_reason)
		cli_printf("  closed:       %s\n", o->closed_reason);
	if (d->has_approval && approval_is_the_orders(&d->approval, o))
		cli_printf("  approval:     %s%s%s (received %s, %s)\n", d->approval.link ? d->approval.link : "-",
			   d->approval.code ? " code " : "", d->approval.code ? d->approval.code : "",
			   cli_time(d->approval.received_at, when, sizeof(when)), d->approval.action_state);
	else if (d->has_approval)
		cli_printf("  approval:     for CA order %s (received %s, %s); its link and code are shown "
			   "only once it is this order's confirmed approval\n",
			   d->approval.ca_order ? d->approval.ca_order : "-",
			   cli_time(d->approval.received_at, when, sizeof(when)), d->approval.action_state);
	if (d->has_cert) {
		expiry_text(d->cert.not_after, expires, sizeof(expires));
		cli_printf("  certificate:  sha256 %s, expires %s\n", d->cert.sha256, expires);
	}
	if (d->has_job)
		cli_printf("  install job:  %s after %d attempt(s)%s%s\n", install_state_name(d->job.state),
			   d->job.attempts, d->job.last_error ? ": " : "",
			   d->job.last_error ? d->job.last_error : "");
	printf("  events:\n");
	ledger_each_event(ledger, o->id, ORDER_EVENTS_SHOWN, print_event_line, &with_order);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	struct show_options opts;
	struct order_details details;
	long long id;
	int     rc;

	if (parse_options(cli, argc, argv, "j", &opts, &rc) < 0)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error(cli, optind == argc ? "the order ID is required"
				       : "one order ID only");
	if ((id = cli_parse_id(argv[optind])) < 0)
		return cli_usage_error(cli, "\"%s\" is not an order id", argv[optind]);
	if (cli_open_ledger(cli) < 0)
		return 1;
	rc = order_details_load(cli->ledger, id, &details);
	if (rc == LEDGER_NOT_FOUND) {
		order_details_free(&details);
		return cli_error("no order %lld", id);
	}
	if (rc < 0) {
		order_details_free(&details);
		return cli_error("cannot read order %lld: %s", id, ledger_error(cli->ledger));
	}
	if (opts.json) {
		json_t *j = order_details_json(cli->ledger, &details);

		rc = j ? cli_print_json(j) : cli_error("cannot read order %lld: %s", id,
							 ledger_error(cli->ledger));
	}
	else
		print_details(cli->ledger, &details, cli->cfg->install_max_attempts);
	order_details_free(&details);
	return rc;
}

/* ledger ------------------------------------------------------------------ */

static int print_event(void *ctx, const struct event *e)
{
	struct printing *p = ctx;
	int     with_order = 1;

	if (p->json)
		json_element(p, event_to_json(e));
	else
		print_event_line(&with_order, e);
	return 0;
}

int cmd_ledger(struct cli *cli, int argc, char **argv)
{
	struct show_options opts;
	struct printing p = {0, 1, {STRLIST_INIT}, 0, NULL, 0};
	int     rc;

	if (parse_options(cli, argc, argv, "jon", &opts, &rc) < 0)
		return rc;
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	if (cli_open_ledger(cli) < 0)
		return 1;
	p.json = opts.json;
	rc = ledger_each_event(cli->ledger, opts.order_id, opts.limit, print_event, &p);
	if (p.json)
		json_end(&p);
	if (rc < 0)
		return cli_error("cannot read the ledger: %s", ledger_error(cli->ledger));
	return 0;
}
