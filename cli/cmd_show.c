/*
 * NAME
 *	cmd_show - mailcert orders, show and ledger: reading the ledger
 * SYNOPSIS
 *	int cmd_orders(struct cli *cli, int argc, char **argv)
 *	int cmd_show(struct cli *cli, int argc, char **argv)
 *	int cmd_ledger(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	orders: one line per order (id, domain, CA, state, last change).
 *	show: one order with its latest approval, certificate, install job
 *	and its events.  ledger: the event log, newest last, of every order
 *	or of one.  Each prints a readable table, or JSON with --json.
 *	None of them writes to the ledger.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct show_options {
	int     json;
	long long order_id;
	const char *id_arg;
};

/* parse_show_options - --json, --order ID (with_order) and one ID
 * operand (with_id); -1 on a usage error */

static int parse_show_options(int argc, char **argv, int with_order, int with_id,
			              struct show_options *opts)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"order", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(opts, 0, sizeof(*opts));
	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (ch == 'j')
			opts->json = 1;
		else if (ch == 'o' && with_order)
			opts->id_arg = optarg;
		else
			return -1;
	}
	if (with_id) {
		if (optind + 1 != argc)
			return -1;
		opts->id_arg = argv[optind];
	} else if (optind != argc) {
		return -1;
	}
	if (opts->id_arg && (opts->order_id = cli_parse_id(opts->id_arg)) < 0) {
		fprintf(stderr, "mailcert: \"%s\" is not an order id\n", opts->id_arg);
		return -1;
	}
	return 0;
}

static void print_orders_table(const struct order *orders, size_t count)
{
	char when[32];
	size_t i;

	printf("%-5s %-32s %-12s %-18s %s\n", "ID", "DOMAIN", "CA", "STATE", "CHANGED");
	for (i = 0; i < count; i++)
		printf("%-5lld %-32s %-12s %-18s %s\n", orders[i].id, orders[i].domain, orders[i].ca,
		       order_state_name(orders[i].state), cli_time(orders[i].updated_at, when, sizeof(when)));
}

int cmd_orders(struct cli *cli, int argc, char **argv)
{
	struct show_options opts;
	struct order *orders;
	size_t count;
	size_t i;
	json_t *array;

	if (parse_show_options(argc, argv, 0, 0, &opts) < 0)
		return cli_usage(cli_find_command("orders", NULL));
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (ledger_list_orders(cli->ledger, &orders, &count) < 0)
		return cli_error("cannot list orders: %s", ledger_error(cli->ledger));
	if (opts.json) {
		array = json_array();
		for (i = 0; i < count; i++)
			json_array_append_new(array, order_to_json(&orders[i]));
		orders_free(orders, count);
		return cli_print_json(array);
	}
	print_orders_table(orders, count);
	orders_free(orders, count);
	return 0;
}

/* The parts of one order that `show` adds to the order itself. */
struct order_details {
	struct order order;
	struct approval approval;
	int     has_approval;
	struct cert_record cert;
	int     has_cert;
	struct install_job job;
	int     has_job;
	struct event *events;
	size_t  n_events;
};

static int found(int rc, int *flag)
{
	*flag = rc == 0;
	return rc < 0 ? -1 : 0;
}

static int load_details(struct ledger *ledger, long long id, struct order_details *d)
{
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = ledger_get_order(ledger, id, &d->order)) != 0)
		return rc;
	if (found(ledger_latest_approval(ledger, id, &d->approval), &d->has_approval) < 0
	    || found(ledger_latest_certificate(ledger, id, &d->cert), &d->has_cert) < 0
	    || found(ledger_latest_install_job(ledger, id, &d->job), &d->has_job) < 0
	    || ledger_list_events(ledger, id, &d->events, &d->n_events) < 0)
		return -1;
	return 0;
}

static void free_details(struct order_details *d)
{
	order_clear(&d->order);
	approval_clear(&d->approval);
	cert_record_clear(&d->cert);
	install_job_clear(&d->job);
	events_free(d->events, d->n_events);
}

static json_t *details_to_json(const struct order_details *d)
{
	json_t *obj = order_to_json(&d->order);
	json_t *events = json_array();
	json_t *part;
	size_t i;

	part = json_null();
	if (d->has_approval) {
		part = json_pack("{s:o, s:o, s:o, s:b, s:s, s:o}",
				 "link", json_string_or_null(d->approval.link),
				 "code", json_string_or_null(d->approval.code),
				 "received_at", json_time(d->approval.received_at),
				 "authenticated", d->approval.authenticated,
				 "action_state", d->approval.action_state ? d->approval.action_state : "",
				 "ca_order", json_string_or_null(d->approval.ca_order));
	}
	json_object_set_new(obj, "approval", part);
	part = json_null();
	if (d->has_cert) {
		json_t *names = json_array();

		for (i = 0; i < d->cert.names.count; i++)
			json_array_append_new(names, json_string(d->cert.names.items[i]));
		part = json_pack("{s:s, s:o, s:o, s:o, s:o}", "sha256", d->cert.sha256,
				 "subject", json_string_or_null(d->cert.subject),
				 "names", names, "not_before", json_time(d->cert.not_before),
				 "not_after", json_time(d->cert.not_after));
	}
	json_object_set_new(obj, "certificate", part);
	part = json_null();
	if (d->has_job)
		part = json_pack("{s:I, s:s, s:i, s:o, s:o}", "id", (json_int_t) d->job.id,
				 "state", job_state_name(d->job.state), "attempts", d->job.attempts,
				 "next_try", json_time(d->job.next_try),
				 "last_error", json_string_or_null(d->job.last_error));
	json_object_set_new(obj, "install_job", part);
	for (i = 0; i < d->n_events; i++)
		json_array_append_new(events, event_to_json(&d->events[i]));
	json_object_set_new(obj, "events", events);
	return obj;
}

static void print_events(const struct event *events, size_t count, int with_order)
{
	char when[32];
	size_t i;

	for (i = 0; i < count; i++) {
		printf("  %s  ", cli_time(events[i].at, when, sizeof(when)));
		if (with_order) {
			if (events[i].order_id)
				printf("order %-5lld ", events[i].order_id);
			else
				printf("%-11s ", "-");
		}
		printf("%-18s %s\n", events[i].kind, events[i].detail);
	}
}

static void print_details(const struct order_details *d)
{
	const struct order *o = &d->order;
	char when[32];
	size_t i;

	printf("order %lld: %s\n", o->id, o->domain);
	printf("  state:        %s (since %s)\n", order_state_name(o->state),
	       cli_time(o->updated_at, when, sizeof(when)));
	printf("  names:        %s", o->domain);
	for (i = 0; i < o->alt_names.count; i++)
		printf(", %s", o->alt_names.items[i]);
	printf("\n  CA:           %s%s%s\n", o->ca, o->ca_order ? ", order " : "", o->ca_order ? o->ca_order : "");
	printf("  approver:     %s\n", o->approver ? o->approver : "(the constructed addresses)");
	printf("  key:          %s (public key sha256 %s)\n", o->key_path, o->key_sha256);
	printf("  target:       %s\n", o->target);
	printf("  contact:      %s\n", o->contact ? o->contact : "-");
	if (d->has_approval)
		printf("  approval:     %s%s%s (received %s, %s)\n", d->approval.link ? d->approval.link : "-",
		       d->approval.code ? " code " : "", d->approval.code ? d->approval.code : "",
		       cli_time(d->approval.received_at, when, sizeof(when)), d->approval.action_state);
	if (d->has_cert)
		printf("  certificate:  sha256 %s, expires %s\n", d->cert.sha256,
		       cli_time(d->cert.not_after, when, sizeof(when)));
	if (d->has_job)
		printf("  install job:  %s after %d attempt(s)%s%s\n", job_state_name(d->job.state),
		       d->job.attempts, d->job.last_error ? ": " : "", d->job.last_error ? d->job.last_error : "");
	printf("  events:\n");
	print_events(d->events, d->n_events, 0);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	struct show_options opts;
	struct order_details details;
	int rc;

	if (parse_show_options(argc, argv, 0, 1, &opts) < 0)
		return cli_usage(cli_find_command("show", NULL));
	if (cli_open_ledger(cli) < 0)
		return 1;
	rc = load_details(cli->ledger, opts.order_id, &details);
	if (rc == LEDGER_NOT_FOUND)
		return cli_error("no order %lld", opts.order_id);
	if (rc < 0) {
		free_details(&details);
		return cli_error("cannot read order %lld: %s", opts.order_id, ledger_error(cli->ledger));
	}
	if (opts.json)
		rc = cli_print_json(details_to_json(&details));
	else
		print_details(&details);
	free_details(&details);
	return rc;
}

int cmd_ledger(struct cli *cli, int argc, char **argv)
{
	struct show_options opts;
	struct event *events;
	size_t count;
	size_t i;
	json_t *array;

	if (parse_show_options(argc, argv, 1, 0, &opts) < 0)
		return cli_usage(cli_find_command("ledger", NULL));
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (ledger_list_events(cli->ledger, opts.order_id, &events, &count) < 0)
		return cli_error("cannot read the ledger: %s", ledger_error(cli->ledger));
	if (opts.json) {
		array = json_array();
		for (i = 0; i < count; i++)
			json_array_append_new(array, event_to_json(&events[i]));
		events_free(events, count);
		return cli_print_json(array);
	}
	print_events(events, count, 1);
	events_free(events, count);
	return 0;
}
