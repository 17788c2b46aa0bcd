/*
 * NAME
 *	cmd_approve - mailcert approvals, approve ID, approve ID --done
 * SYNOPSIS
 *	int cmd_approvals(struct cli *cli, int argc, char **argv)
 *	int cmd_approve(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	approvals: what waits for a click: every recorded approval whose
 *	order still awaits approval and whose action is not finished
 *	(pending, notified, approving, manual, failed), with the order id,
 *	domain, CA, link, code, action state and when the mail came.  A
 *	table, or JSON with --json.
 *
 *	approve ID: the CA profile's auto action on the order's latest
 *	approval, now, whatever [approve] mode says (the operator asked);
 *	the same checks as the worker (https, the profile's hosts, never a
 *	reject link, never an unauthenticated mail).  Exit 0 when the order
 *	is approved, 1 otherwise with the reason.
 *
 *	approve ID --done: a person approved it on the CA's site; the order
 *	becomes approved, with an event naming the user.
 */
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approve.h"
#include "cli.h"
#include "parser.h"

static const char *const waiting_states[] = {
	"pending", "notified", "approving", "manual", "failed", NULL,
};

/* One row of "mailcert approvals". */
struct waiting {
	struct approval *approval;
	struct order order;
};

static json_t *waiting_to_json(const struct waiting *w)
{
	const struct approval *a = w->approval;
	json_t *obj = json_object();

	json_object_set_new(obj, "order_id", json_integer(a->order_id));
	json_object_set_new(obj, "approval_id", json_integer(a->id));
	json_object_set_new(obj, "domain", json_string(w->order.domain));
	json_object_set_new(obj, "ca", json_string(w->order.ca));
	json_object_set_new(obj, "ca_order", json_string_or_null(a->ca_order ? a->ca_order
								: w->order.ca_order));
	json_object_set_new(obj, "link", json_string_or_null(a->link));
	json_object_set_new(obj, "code", json_string_or_null(a->code));
	json_object_set_new(obj, "authenticated", json_boolean(a->authenticated));
	json_object_set_new(obj, "action_state", json_string(a->action_state));
	json_object_set_new(obj, "attempts", json_integer(a->attempts));
	json_object_set_new(obj, "last_error", json_string_or_null(a->last_error));
	json_object_set_new(obj, "received_at", json_time(a->received_at));
	return obj;
}

static void print_waiting(const struct waiting *w)
{
	const struct approval *a = w->approval;
	char when[32];

	printf("%-5lld %-28s %-10s %-9s %s\n", a->order_id, w->order.domain, w->order.ca,
	       a->action_state, cli_time(a->received_at, when, sizeof(when)));
	printf("      link: %s\n", a->link ? a->link : "-");
	printf("      code: %s\n", a->code ? a->code : "-");
	if (a->last_error)
		printf("      last error: %s\n", a->last_error);
}

/* show_waiting - one approval, if its order still waits; 0, or -1 */

static int show_waiting(struct cli *cli, struct approval *a, json_t *array)
{
	struct waiting w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.approval = a;
	if ((rc = ledger_get_order(cli->ledger, a->order_id, &w.order)) != 0)
		return rc < 0 ? -1 : 0;
	if (w.order.state == ORDER_AWAITING_APPROVAL || w.order.state == ORDER_APPROVAL_RECEIVED) {
		if (array)
			json_array_append_new(array, waiting_to_json(&w));
		else
			print_waiting(&w);
	}
	order_clear(&w.order);
	return 0;
}

int cmd_approvals(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct approval *list;
	json_t *array = NULL;
	size_t count;
	size_t i;
	int json = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli_find_command("approvals", NULL));
		json = 1;
	}
	if (optind != argc)
		return cli_usage(cli_find_command("approvals", NULL));
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (ledger_list_approvals(cli->ledger, waiting_states, LLONG_MAX, &list, &count) < 0)
		return cli_error("%s", ledger_error(cli->ledger));
	if (json)
		array = json_array();
	else
		printf("%-5s %-28s %-10s %-9s %s\n", "ORDER", "DOMAIN", "CA", "STATE", "RECEIVED");
	for (i = 0; i < count; i++) {
		if (show_waiting(cli, &list[i], array) < 0) {
			approvals_free(list, count);
			json_decref(array);
			return cli_error("%s", ledger_error(cli->ledger));
		}
	}
	approvals_free(list, count);
	return json ? cli_print_json(array) : 0;
}

/* who_am_i - the user named in the --done event */

static void who_am_i(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (sudo && *sudo && strlen(sudo) < 64)
		snprintf(buf, len, "%s via sudo as %s", sudo, pw ? pw->pw_name : "?");
	else
		snprintf(buf, len, "%s", pw ? pw->pw_name : "unknown user");
}

static int approve_done(struct cli *cli, long long id)
{
	struct strbuf result = STRBUF_INIT;
	char who[160];
	int rc;

	who_am_i(who, sizeof(who));
	rc = approval_mark_done(cli->ledger, id, who, &result);
	if (rc < 0)
		rc = cli_error("order %lld: %s", id, ledger_error(cli->ledger));
	else if (rc > 0)
		rc = cli_error("%s", sb_str(&result));
	else
		printf("order %lld: approved (by %s)\n", id, who);
	sb_free(&result);
	return rc;
}

static int approve_now(struct cli *cli, long long id)
{
	struct strbuf result = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;
	int rc;

	if ((parser = parser_new(cli->cfg, &err)) == NULL) {
		rc = cli_error("CA profiles: %s", sb_str(&err));
		sb_free(&err);
		return rc;
	}
	rc = approval_perform_now(cli->ledger, cli->cfg, parser, id, time(NULL), &result);
	if (rc < 0)
		rc = cli_error("order %lld: %s", id, ledger_error(cli->ledger));
	else if (rc > 0)
		rc = cli_error("order %lld not approved: %s", id, sb_str(&result));
	else
		printf("order %lld: approved: %s\n", id, sb_str(&result));
	parser_free(parser);
	sb_free(&result);
	return rc;
}

int cmd_approve(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"done", no_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	long long id;
	int done = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (ch != 'd')
			return cli_usage(cli_find_command("approve", NULL));
		done = 1;
	}
	if (optind + 1 != argc || (id = cli_parse_id(argv[optind])) < 0)
		return cli_usage(cli_find_command("approve", NULL));
	if (cli_open_ledger(cli) < 0)
		return 1;
	return done ? approve_done(cli, id) : approve_now(cli, id);
}
