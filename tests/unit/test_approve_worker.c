/*
 * test_approve_worker - the approval worker's policy (approve_worker.c)
 * on a real ledger: orders in the book, approvals in the intake's
 * ledger, [notify] sendmail a stand-in that keeps every mail.  Which
 * mode applies and when a failed attempt is tried again; an approval of
 * another CA order fails; an unconfirmed approval tells the contact the
 * CA order number once (never the link or the code) and, once the
 * operator sets that number, is notified as any other; an approval that
 * was not believed is never acted on; a cancelled order is skipped; a
 * reject link is mailed to nobody.
 *
 * Each case has a ledger of its own; the mails are counted across them.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "approve.h"
#include "backoff.h"
#include "check.h"
#include "check_ledger.h"
#include "parser.h"

#define LINK "https://secure.trust-provider.com/products/EnterDCVCode?orderNumber="
#define CODE "Xy7-Q*9z"

static char dir[] = "/tmp/test_approve_worker.XXXXXX";

/* Policy without a ledger ------------------------------------------------- */

static void test_mode(struct config *cfg)
{
	struct approve_action action;
	struct order order;

	memset(&action, 0, sizeof(action));
	memset(&order, 0, sizeof(order));
	check_str(approval_mode_for(&order, &action, cfg), "notify", "mode: [approve] mode by default");
	action.mode = "manual";
	check_str(approval_mode_for(&order, &action, cfg), "manual", "mode: the profile overrides [approve]");
	order.approve_mode = (char *) "auto";
	check_str(approval_mode_for(&order, &action, cfg), "auto", "mode: the order overrides the profile");
	check_str(approval_mode_for(&order, NULL, cfg), "auto", "mode: the order without a profile");
}

static void test_backoff(void)
{
	check_int(backoff_next_try(1000, 1, 60), 1060, "backoff: first retry after retry_base");
	check_int(backoff_next_try(1000, 2, 60), 1120, "backoff: doubled");
	check_int(backoff_next_try(1000, 4, 60), 1480, "backoff: doubled again");
	check_int(backoff_next_try(1000, 40, 60), 1000 + 86400, "backoff: at most a day");
	check_int(backoff_next_try(1000, 0, 0), 1060, "backoff: no base means 60 s");
}

/* A world: the book, the intake's ledger, the worker's configuration ------- */

struct world {
	struct ledger *book;		/* root's: orders */
	struct ledger *intake;		/* the approver's */
	const struct config *cfg;
	const struct parser *parser;
	time_t  now;
};

static int world_open(struct world *w, const char *name, const struct config *cfg,
		      const struct parser *parser)
{
	const struct ledger_location *where;
	struct strbuf err = STRBUF_INIT;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->parser = parser;
	w->now = time(NULL);
	if ((where = check_ledger_named(dir, name)) == NULL) {
		check_report(0, name, "no ledger");
		return -1;
	}
	if (ledger_open(where, LEDGER_ROLE_BOOK, &w->book, &err) < 0
	    || ledger_open(where, LEDGER_ROLE_INTAKE, &w->intake, &err) < 0) {
		check_report(0, name, sb_str(&err));
		ledger_close(w->book);
		sb_free(&err);
		return -1;
	}
	sb_free(&err);
	return 0;
}

static void world_close(struct world *w)
{
	ledger_close(w->intake);
	ledger_close(w->book);
}

/* add_order - an open sectigo order; ca_order and contact may be NULL */

static long long add_order(struct world *w, const char *domain, const char *ca_order,
			   const char *contact, const char *mode)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	order.domain = (char *) domain;
	order.ca = (char *) "sectigo";
	order.ca_order = (char *) ca_order;
	order.key_sha256 = (char *) "00";
	order.target = (char *) "web";
	order.contact = (char *) contact;
	order.approve_mode = (char *) mode;
	order.status = BOOK_OPEN;
	if (book_add_order(w->book, &order, "test") < 0) {
		printf("# %s\n", ledger_error(w->book));
		return 0;
	}
	return order.id;
}

/* add_approval - what the milter records: the link of ca_order, the
 * code, in action_state state; a pending one moves the order to
 * approval_received as the milter does */

static long long add_approval(struct world *w, long long order_id, const char *ca_order,
			      const char *link, const char *state, int authenticated)
{
	struct approval a;
	char    dedup[64];
	int     is_new;

	memset(&a, 0, sizeof(a));
	snprintf(dedup, sizeof(dedup), "test %lld %s", order_id, ca_order);
	a.order_id = order_id;
	a.link = (char *) link;
	a.code = (char *) CODE;
	a.ca_order = (char *) ca_order;
	a.domain = (char *) "example.com";
	a.dedup = dedup;
	a.authenticated = authenticated;
	a.received_at = (long long) w->now;
	a.action_state = (char *) state;
	if (intake_add_approval(w->intake, &a, &is_new) < 0
	    || (strcmp(state, "pending") == 0
		&& intake_set_progress(w->intake, order_id, ORDER_APPROVAL_RECEIVED, "test") < 0)) {
		printf("# %s\n", ledger_error(w->intake));
		return 0;
	}
	return a.id;
}

/* run - one pass of the worker; -1 is a failure of its own */

static int run(struct world *w, const char *name)
{
	int     rc = approval_run_due(w->intake, w->cfg, w->parser, w->now);

	if (rc < 0)
		check_report(0, name, ledger_error(w->intake));
	return rc;
}

/* approval_is - its action_state, and a part of last_error when error is given */

static void approval_is(struct world *w, long long id, const char *state, const char *error,
			const char *name)
{
	struct approval a;
	char    label[200];

	memset(&a, 0, sizeof(a));
	if (!check_int(intake_get_approval(w->intake, id, &a), 0, name))
		return;
	snprintf(label, sizeof(label), "%s: action_state", name);
	check_str(a.action_state, state, label);
	if (error) {
		snprintf(label, sizeof(label), "%s: last_error", name);
		check_contains(a.last_error, error, label);
	}
	approval_clear(&a);
}

static void progress_is(struct world *w, long long order_id, enum order_state want, const char *name)
{
	enum order_state state = ORDER_STATE_COUNT;

	intake_get_progress(w->intake, order_id, &state);
	check_str(order_state_name(state), order_state_name(want), name);
}

static int add_kind(void *ctx, const struct event *event)
{
	sb_appendf(ctx, "%s ", event->kind);
	return 0;
}

/* events_of - the order's event kinds, in order, each followed by a space */

static void events_of(struct world *w, long long order_id, struct strbuf *kinds)
{
	sb_reset(kinds);
	sb_append(kinds, "", 0);
	ledger_each_event(w->intake, order_id, 0, add_kind, kinds);
}

/* in_order - first and then second in text */

static int in_order(const char *text, const char *first, const char *second)
{
	const char *p = strstr(text, first);

	return p != NULL && strstr(p + strlen(first), second) != NULL;
}

/* The mails ------------------------------------------------------------------ */

static int mail_count(void)
{
	char    path[300];
	int     n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "%s/mail.%d", dir, n + 1);
		if (access(path, F_OK) != 0)
			return n;
		n++;
	}
}

/* mail_text - mail n (from 1) into text; -1 when there is none */

static int mail_text(int n, struct strbuf *text)
{
	char    path[300];

	snprintf(path, sizeof(path), "%s/mail.%d", dir, n);
	return check_read_file(path, text);
}

static void check_absent(const char *text, const char *what, const char *name)
{
	char    detail[512];

	snprintf(detail, sizeof(detail), "\"%s\" is in it", what);
	check_report(text != NULL && strstr(text, what) == NULL, name, detail);
}

/* The cases ------------------------------------------------------------------ */

/* (1) the mail names another CA order than the order's */

static void test_other_ca_order(struct world *w)
{
	int     before = mail_count();
	long long o = add_order(w, "example.com", "1111", "ops@example.com", "notify");
	long long a = add_approval(w, o, "2222", LINK "2222", "pending", 1);
	struct strbuf kinds = STRBUF_INIT;

	if (!check_true(o && a, "other CA order: order and approval recorded")
	    || run(w, "other CA order: run") < 0)
		return;
	approval_is(w, a, "failed", "another CA order", "other CA order: failed");
	check_int(mail_count(), before, "other CA order: no mail");
	events_of(w, o, &kinds);
	check_contains(kinds.data, "approval_refused", "other CA order: approval_refused event");
	sb_free(&kinds);
}

/* (2) and (3): an order placed without a CA order number */

static void test_unconfirmed(struct world *w)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf kinds = STRBUF_INIT;
	int     before = mail_count();
	long long o = add_order(w, "example.com", NULL, "ops@example.com", "notify");
	long long a = add_approval(w, o, "3333", LINK "3333", "unconfirmed", 1);

	if (!check_true(o && a, "unconfirmed: order and approval recorded")
	    || run(w, "unconfirmed: run") < 0)
		goto out;
	approval_is(w, a, "unconfirmed_notified", NULL, "unconfirmed: contact told");
	if (check_int(mail_count(), before + 1, "unconfirmed: one confirmation mail")
	    && mail_text(before + 1, &text) == 0) {
		check_contains(text.data, "\nTo: ops@example.com\n", "unconfirmed: to the contact");
		check_contains(text.data, "CA order 3333", "unconfirmed: the mail's CA order number");
		check_contains(text.data, "mailcert order set 1 --ca-order 3333",
			       "unconfirmed: how to confirm");
		check_absent(text.data, "EnterDCVCode", "unconfirmed: not the link");
		check_absent(text.data, "https://", "unconfirmed: no link at all");
		check_absent(text.data, CODE, "unconfirmed: not the code");
	}
	progress_is(w, o, ORDER_AWAITING_APPROVAL, "unconfirmed: the order still awaits approval");
	if (run(w, "unconfirmed: run again") < 0)
		goto out;
	check_int(mail_count(), before + 1, "unconfirmed: told once, not again");
	approval_is(w, a, "unconfirmed_notified", NULL, "unconfirmed: still waiting");

	if (!check_int(book_update_order(w->book, o, "3333", NULL, NULL, "test"), 0,
		       "confirmed: mailcert order set --ca-order") || run(w, "confirmed: run") < 0)
		goto out;
	approval_is(w, a, "notified", NULL, "confirmed: notified");
	progress_is(w, o, ORDER_APPROVAL_RECEIVED, "confirmed: the order is approval_received");
	events_of(w, o, &kinds);
	check_true(in_order(kinds.data, "approval_unconfirmed_notified ", "approval_confirmed ")
		   && in_order(kinds.data, "approval_confirmed ", "approval_notified "),
		   "confirmed: told, confirmed (pending), then notified");
	if (check_int(mail_count(), before + 2, "confirmed: one notice")
	    && mail_text(before + 2, &text) == 0) {
		check_contains(text.data, "\n" LINK "3333\n", "confirmed: the link, on its own line");
		check_contains(text.data, "\n" CODE "\n", "confirmed: the code, on its own line");
		check_contains(text.data, "CA order number:  3333", "confirmed: the CA order number");
		check_contains(text.data, "mailcert approve 1 --done", "confirmed: what to do afterwards");
	}
	if (run(w, "confirmed: run again") >= 0)
		check_int(mail_count(), before + 2, "confirmed: notified once");
out:
	sb_free(&text);
	sb_free(&kinds);
}

/* (4) an approval whose mail was not believed */

static void test_not_authenticated(struct world *w)
{
	int     before = mail_count();
	long long o1 = add_order(w, "example.com", "4444", "ops@example.com", "notify");
	long long a1 = add_approval(w, o1, "4444", LINK "4444", "pending", 0);
	long long o2 = add_order(w, "example.org", NULL, "ops@example.org", "notify");
	long long a2 = add_approval(w, o2, "4445", LINK "4445", "unconfirmed", 0);

	if (!check_true(o1 && a1 && o2 && a2, "not believed: orders and approvals recorded")
	    || run(w, "not believed: run") < 0)
		return;
	approval_is(w, a1, "failed", "not authenticated", "not believed: refused");
	approval_is(w, a2, "failed", "not authenticated", "not believed, unconfirmed: refused");
	check_int(mail_count(), before, "not believed: no mail, no confirmation");
	if (run(w, "not believed: run again") >= 0)
		check_int(mail_count(), before, "not believed: still no mail");
	progress_is(w, o2, ORDER_AWAITING_APPROVAL, "not believed: the unconfirmed order did not move");
}

/* (5) an order cancelled in the book */

static void test_cancelled(struct world *w)
{
	struct strbuf kinds = STRBUF_INIT;
	int     before = mail_count();
	long long o = add_order(w, "example.com", "5555", "ops@example.com", "notify");
	long long a = add_approval(w, o, "5555", LINK "5555", "pending", 1);

	if (!check_true(o && a, "cancelled: order and approval recorded")
	    || !check_int(book_close_order(w->book, o, BOOK_CANCELLED, "changed my mind", "test"), 0,
			  "cancelled: order cancelled")
	    || run(w, "cancelled: run") < 0)
		goto out;
	approval_is(w, a, "done", NULL, "cancelled: done");
	check_int(mail_count(), before, "cancelled: no mail");
	events_of(w, o, &kinds);
	check_contains(kinds.data, "approval_skipped", "cancelled: approval_skipped event");
out:
	sb_free(&kinds);
}

/* a reject link recorded as the approval: mailed to nobody; the operator
 * is told it gave up, without the link */

static void test_reject_link(struct world *w)
{
	struct strbuf text = STRBUF_INIT;
	int     before = mail_count();
	long long o = add_order(w, "example.com", "6666", "ops@example.com", "notify");
	long long a = add_approval(w, o, "6666", "https://secure.trust-provider.com/products/"
				   "RejectDCVCode?orderNumber=6666&dcvCode=x", "pending", 1);

	if (!check_true(o && a, "reject link: order and approval recorded") || run(w, "reject link: run") < 0)
		goto out;
	approval_is(w, a, "failed", "reject link", "reject link: failed");
	if (check_int(mail_count(), before + 1, "reject link: one mail, to the operator")
	    && mail_text(before + 1, &text) == 0) {
		check_contains(text.data, "\nTo: operator@example.net\n",
			       "reject link: the mail is the operator's");
		check_absent(text.data, "RejectDCVCode", "reject link: the link is not in it");
	}
out:
	sb_free(&text);
}

/* an order without a contact waits for the operator */

static void test_no_contact(struct world *w)
{
	int     before = mail_count();
	long long o = add_order(w, "example.com", "7777", NULL, "notify");
	long long a = add_approval(w, o, "7777", LINK "7777", "pending", 1);

	if (!check_true(o && a, "no contact: order and approval recorded") || run(w, "no contact: run") < 0)
		return;
	approval_is(w, a, "manual", NULL, "no contact: manual");
	check_int(mail_count(), before, "no contact: no mail");
}

typedef void (*world_case) (struct world *w);

static void in_world(const char *name, world_case fn, const struct config *cfg,
		     const struct parser *parser)
{
	struct world w;

	if (world_open(&w, name, cfg, parser) < 0)
		return;
	fn(&w);
	world_close(&w);
}

/* Setting up ------------------------------------------------------------------ */

static int write_file(const char *name, const char *text, mode_t mode, char *path, size_t size)
{
	FILE   *fp;

	snprintf(path, size, "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) < 0 || fclose(fp) != 0
	    || chmod(path, mode) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* load_config - [notify] sendmail a script that keeps its input in
 * DIR/mail.N, [notify] operator set, [approve] mode notify */

static struct config *load_config(void)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	struct config *cfg = NULL;
	char    script[300];
	char    conf[300];

	sb_appendf(&text, "#!/bin/sh\nn=1\nwhile [ -e '%s/mail.'$n ]; do n=$((n + 1)); done\n"
		   "cat >'%s/mail.'$n\n", dir, dir);
	if (write_file("sendmail", text.data, 0755, script, sizeof(script)) < 0)
		goto out;
	sb_reset(&text);
	sb_appendf(&text, "[milter]\nauthserv_id = mx.example.net\n"
		   "[ledger]\npath = %s/unused.db\norders = %s/unused-orders.db\n"
		   "[notify]\nsendmail = %s\nfrom = mailcert@example.net\n"
		   "operator = operator@example.net\n"
		   "[approve]\nmode = notify\n", dir, dir, script);
	if (write_file("mailcert.conf", text.data, 0644, conf, sizeof(conf)) < 0)
		goto out;
	if (config_load(conf, &cfg, &err) < 0)
		printf("# %s\n", sb_str(&err));
out:
	sb_free(&text);
	sb_free(&err);
	return cfg;
}

static void remove_dir(void)
{
	char    cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	struct config *defaults = config_defaults();
	struct config *cfg;
	struct parser *parser = NULL;
	struct strbuf err = STRBUF_INIT;

	test_mode(defaults);
	test_backoff();
	config_free(defaults);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if ((cfg = load_config()) == NULL || (parser = parser_new(cfg, &err)) == NULL) {
		check_report(0, "the worker's configuration and profiles load", sb_str(&err));
	} else {
		in_world("other-ca-order", test_other_ca_order, cfg, parser);
		in_world("unconfirmed", test_unconfirmed, cfg, parser);
		in_world("not-authenticated", test_not_authenticated, cfg, parser);
		in_world("cancelled", test_cancelled, cfg, parser);
		in_world("reject-link", test_reject_link, cfg, parser);
		in_world("no-contact", test_no_contact, cfg, parser);
	}
	parser_free(parser);
	config_free(cfg);
	sb_free(&err);
	remove_dir();
	return check_done();
}
