/*
 * NAME
 *	intake - the rules that turn a verdict into ledger changes
 * SYNOPSIS
 *	#include "intake.h"
 *
 *	void intake_init(struct intake *in, struct ledger *ledger)
 *	int intake_record(struct intake *in, const struct config *cfg,
 *			  X509_STORE *anchors, const struct intake_mail *mail,
 *			  const struct verdict *verdict, struct intake_result *res)
 * DESCRIPTION
 *	Every intake (the milter, mailcert deliver, mailcert fetch) hands
 *	each watched message here after parsing it, with the same rules:
 *
 *	Every message is recorded, each time it comes; nothing is
 *	de-duplicated by Message-ID, so a message that was not believed
 *	never hides one that comes later.  What was acted on is kept once:
 *	an approval per order and code (or link), a certificate per SHA-256.
 *
 *	approval, decline, notice: changes an order only when the mail's CA
 *	order number (subject, text and link agree, parser.c) equals the
 *	order's (for an approval, named by its link: an approval whose link
 *	names none is an event on the order, "approval_link_unnamed"), the
 *	domain the mail names (if it names one) is one of the
 *	order's names (the right number with another name is an event), the mail is believed (DKIM by our verifier, the one approval
 *	link safe) and not ambiguous.  Then an approval is recorded and the
 *	order becomes approval_received (the approver acts on it), a decline
 *	declines it, a notice is an event.  A mail that matches orders only
 *	by domain (the order's name, a parent or a child) adds an event to
 *	them and nothing else; for a believed approval naming a CA order
 *	number, an order that has no CA order number of its own and has the
 *	mail's very domain among its names gets the approval as
 *	"unconfirmed": the approver tells the contact the number
 *	(never the link or the code: it may be a stranger's order of our
 *	domain), and only "mailcert order set ID --ca-order N" makes it ours.
 *
 *	certificate: see intake_cert.c.
 *
 *	Mail that no CA profile knows is not recorded at all (no lock taken,
 *	no transaction): the approver mailboxes get spam, and it is not the
 *	ledger's business.
 *
 *	The ledger lock is taken for the reads of matching and one short
 *	write transaction; a certificate's chain is verified between the
 *	two, without it.  res->what says what was done, for X-Mailcert.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "intake_int.h"
#include "msg.h"
#include "mymalloc.h"
#include "printable.h"

void intake_init(struct intake *in, struct ledger *ledger)
{
	memset(in, 0, sizeof(*in));
	intake_add_lane(in, ledger);
}

int intake_add_lane(struct intake *in, struct ledger *ledger)
{
	if (in->count == INTAKE_MAX_LANES)
		return -1;
	in->lanes[in->count].ledger = ledger;
	pthread_mutex_init(&in->lanes[in->count].lock, NULL);
	in->count++;
	return 0;
}

struct intake_lane *intake_lane_take(struct intake *in)
{
	struct intake_lane *lane;
	size_t  i;

	for (i = 0; i < in->count; i++)
		if (pthread_mutex_trylock(&in->lanes[i].lock) == 0)
			return &in->lanes[i];
	lane = &in->lanes[__atomic_fetch_add(&in->next, 1, __ATOMIC_RELAXED) % in->count];
	pthread_mutex_lock(&lane->lock);
	return lane;
}

void intake_lane_give(struct intake_lane *lane)
{
	pthread_mutex_unlock(&lane->lock);
}

void intake_close(struct intake *in)
{
	size_t  i;

	for (i = 0; i < in->count; i++) {
		pthread_mutex_lock(&in->lanes[i].lock);
		ledger_close(in->lanes[i].ledger);
		in->lanes[i].ledger = NULL;
	}
}

void intake_destroy(struct intake *in)
{
	size_t  i;

	for (i = 0; i < in->count; i++)
		pthread_mutex_destroy(&in->lanes[i].lock);
}

void intake_result_init(struct intake_result *res)
{
	memset(res, 0, sizeof(*res));
}

void intake_result_free(struct intake_result *res)
{
	sb_free(&res->what);
	memset(res, 0, sizeof(*res));
}

void intake_what(struct intake_run *run, const char *fmt, ...)
{
	char    text[INTAKE_WHAT_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sb_reset(&run->res->what);
	sb_appends(&run->res->what, text);
}

void intake_reasons_text(const struct verdict *v, struct strbuf *sb)
{
	size_t  i;

	for (i = 0; v && i < v->reasons.count && sb->len < INTAKE_REASON_MAX; i++) {
		if (i)
			sb_appends(sb, "; ");
		sb_appends(sb, v->reasons.items[i]);
	}
	if (sb->len > INTAKE_REASON_MAX) {
		sb->len = INTAKE_REASON_MAX;
		sb->data[sb->len] = 0;
	}
}

/* first_problem - the parser lists what it found, good and bad; the
 * header wants the first bad one, else the last */

static const char *first_problem(const struct verdict *v)
{
	const char *r;
	size_t  i;

	for (i = 0; i < v->reasons.count; i++) {
		r = v->reasons.items[i];
		if (strncmp(r, "no ", 3) == 0 || strstr(r, " not ") != NULL || strncmp(r, "ambiguous", 9) == 0
		    || strstr(r, "forged") != NULL || strstr(r, "refused") != NULL)
			return r;
	}
	return v->reasons.count ? v->reasons.items[v->reasons.count - 1] : "no reason given";
}

int intake_insert_message(struct intake_run *run, long long order_id, const char *reason)
{
	run->msg.order_id = order_id;
	free(run->msg.reason);
	run->msg.reason = xstrdup(reason ? reason : "");
	return intake_record_message(run->ledger, &run->msg);
}

/* Matching ---------------------------------------------------------------- */

/* The orders a CA mail is about: by CA order number, or by domain. */
struct matches {
	struct order *exact;		/* open orders with the mail's CA order number */
	size_t  n_exact;
	struct order *near;		/* open orders of the CA near the mail's domain */
	size_t  n_near;
};

static int find_matches(struct intake_run *run, struct matches *m)
{
	const struct verdict *v = run->verdict;

	memset(m, 0, sizeof(*m));
	if (v->ca_order && book_orders_with_ca_order(run->ledger, v->ca, v->ca_order, &m->exact,
						     &m->n_exact) < 0)
		return -1;
	if (m->n_exact == 0 && v->domain
	    && book_orders_near_domain(run->ledger, v->ca, v->domain, INTAKE_NEAR_ORDERS, &m->near,
				       &m->n_near) < 0)
		return -1;
	return 0;
}

static void matches_free(struct matches *m)
{
	orders_free(m->exact, m->n_exact);
	orders_free(m->near, m->n_near);
	memset(m, 0, sizeof(*m));
}

/* note_orders - the same event on each of a list of orders */

static int note_orders(struct intake_run *run, const struct order *orders, size_t n,
		       const char *kind, const char *detail)
{
	size_t  i;

	for (i = 0; i < n; i++)
		if (intake_add_event(run->ledger, orders[i].id, kind, "message %lld: %s", run->msg.id,
				     detail) < 0)
			return -1;
	return 0;
}

/* refuse_mail - recorded with an event on every order it is about; no
 * order changes */

static int refuse_mail(struct intake_run *run, const struct matches *m, const char *kind,
		       const char *what)
{
	struct strbuf reasons = STRBUF_INIT;
	long long order_id = m->n_exact == 1 ? m->exact[0].id : 0;
	int     rc;

	intake_reasons_text(run->verdict, &reasons);
	intake_what(run, "%s", what);
	rc = intake_insert_message(run, order_id, sb_str(&reasons));
	if (rc == 0)
		rc = note_orders(run, m->exact, m->n_exact, kind, sb_str(&reasons));
	if (rc == 0)
		rc = note_orders(run, m->near, m->n_near, kind, sb_str(&reasons));
	sb_free(&reasons);
	return rc;
}

static int awaits_approval(struct intake_run *run, const struct order *order, enum order_state *now)
{
	if (intake_get_progress(run->ledger, order->id, now) < 0)
		return -1;
	return *now == ORDER_AWAITING_APPROVAL || *now == ORDER_APPROVAL_RECEIVED;
}

static char *dedup_key(const struct verdict *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (v->code)
		sb_appendf(&sb, "code:%s", v->code);
	else
		sb_appendf(&sb, "link:%s", v->link ? v->link : "");
	return sb_steal(&sb);
}

/* add_approval - the approval for order, in action_state; *is_new */

static int add_approval(struct intake_run *run, const struct order *order, const char *state,
			int *is_new)
{
	const struct verdict *v = run->verdict;
	struct approval a;
	int     rc;

	memset(&a, 0, sizeof(a));
	a.order_id = order->id;
	a.message_row = run->msg.id;
	a.link = v->link;
	a.code = v->code;
	a.ca_order = v->ca_order;
	a.domain = v->domain;
	a.dedup = dedup_key(v);
	a.authenticated = 1;
	a.action_state = (char *) state;
	rc = intake_add_approval(run->ledger, &a, is_new);
	free(a.dedup);
	return rc;
}

/* Approval --------------------------------------------------------------- */

static int approve_exact(struct intake_run *run, const struct order *order)
{
	enum order_state now;
	int     is_new;
	int     rc;

	if (intake_insert_message(run, order->id, "approval request") < 0)
		return -1;
	if ((rc = awaits_approval(run, order, &now)) <= 0) {
		if (rc < 0)
			return -1;
		intake_what(run, "approval mail for order %lld, which is already %s", order->id,
			    order_state_name(now));
		return intake_add_event(run->ledger, order->id, "approval_ignored",
					"approval mail (message %lld) for an order already %s",
					run->msg.id, order_state_name(now));
	}
	if (add_approval(run, order, "pending", &is_new) < 0)
		return -1;
	if (!is_new) {
		intake_what(run, "approval already recorded for order %lld; nothing changes", order->id);
		return intake_add_event(run->ledger, order->id, "approval_again",
					"message %lld repeats an approval already recorded", run->msg.id);
	}
	if (intake_set_progress(run->ledger, order->id, ORDER_APPROVAL_RECEIVED, "approval mail") < 0)
		return -1;
	run->res->orders_changed = 1;
	run->res->wake_approver = 1;
	intake_what(run, "approval recorded for order %lld", order->id);
	return 0;
}

/* order_names_exactly - the order has domain itself among its names (a
 * parent or a child of them is not the order's) */

static int order_names_exactly(const struct order *o, const char *domain)
{
	return strcasecmp(o->domain, domain) == 0 || strlist_contains_nocase(&o->alt_names, domain);
}

/* names_the_order - the mail names no domain, or one of the order's names
 * (a wildcard name "*.D" of the order is named by D or "*.D"): a mail with
 * the order's CA order number and another name is not the order's */

static int names_the_order(const struct verdict *v, const struct order *o)
{
	char    wildcard[300];

	if (v->domain == NULL || order_names_exactly(o, v->domain))
		return 1;
	snprintf(wildcard, sizeof(wildcard), "*.%s", v->domain);
	return order_names_exactly(o, wildcard);
}

/* refuse_other_names - the order's number, another name: an event */

static int refuse_other_names(struct intake_run *run, const struct matches *m, const char *kind)
{
	char    domain[INTAKE_WHAT_MAX];
	struct strbuf what = STRBUF_INIT;
	int     rc;

	printable_buf(domain, sizeof(domain), run->verdict->domain, PRINTABLE_ASCII);
	sb_appendf(&what, "CA mail for order %lld's CA order number names %s, none of its names; not "
		   "acted on", m->exact[0].id, domain);
	rc = refuse_mail(run, m, kind, what.data);
	sb_free(&what);
	return rc;
}

/* approve_near - a believed approval that matches only by domain: an
 * event, and for orders without a CA order number that have the mail's
 * very domain among their names, an unconfirmed approval */

static int approve_near(struct intake_run *run, const struct matches *m)
{
	const struct verdict *v = run->verdict;
	size_t  unconfirmed = 0;
	size_t  i;
	int     is_new;

	if (intake_insert_message(run, 0, v->ca_order ? "approval for a CA order no order has"
				  : "approval without a CA order number") < 0)
		return -1;
	for (i = 0; i < m->n_near; i++) {
		const struct order *o = &m->near[i];

		if (o->ca_order || v->ca_order == NULL || !v->link_names_order
		    || !order_names_exactly(o, v->domain)) {
			if (intake_add_event(run->ledger, o->id, "approval_other_order",
					     "message %lld: approval mail for %s%s of a domain of this order; "
					     "not this order's (its CA order is %s): nothing done", run->msg.id,
					     v->ca_order ? "CA order " : "no CA order number",
					     v->ca_order ? v->ca_order : "", o->ca_order ? o->ca_order : "not set") < 0)
				return -1;
			continue;
		}
		if (add_approval(run, o, "unconfirmed", &is_new) < 0
		    || intake_add_event(run->ledger, o->id, "approval_unconfirmed",
					"message %lld: approval mail for CA order %s names a domain of this "
					"order, which has no CA order number; if it is yours: mailcert order "
					"set %lld --ca-order %s", run->msg.id, v->ca_order, o->id, v->ca_order) < 0)
			return -1;
		unconfirmed++;
		run->res->wake_approver |= is_new;
	}
	if (unconfirmed)
		intake_what(run, "approval for CA order %s: %zu order%s without a CA order number, "
			    "to be confirmed (mailcert order set)", v->ca_order, unconfirmed,
			    unconfirmed == 1 ? "" : "s");
	else if (m->n_near)
		intake_what(run, "CA approval mail for another CA order; %zu order%s noted, none changed",
			    m->n_near, m->n_near == 1 ? "" : "s");
	else
		intake_what(run, "CA approval mail, no matching order");
	return 0;
}

static int record_approval(struct intake_run *run)
{
	const struct verdict *v = run->verdict;
	struct matches m;
	char    problem[INTAKE_WHAT_MAX];
	int     rc;

	if (find_matches(run, &m) < 0)
		return -1;
	printable_buf(problem, sizeof(problem), first_problem(v), PRINTABLE_ASCII | PRINTABLE_SPACES);
	if (v->ambiguous)
		rc = refuse_mail(run, &m, "approval_ambiguous",
				 "ambiguous CA approval mail, not acted on");
	else if (!v->authenticated) {
		struct strbuf what = STRBUF_INIT;

		sb_appendf(&what, "not trusted: %s", problem);
		rc = refuse_mail(run, &m, "untrusted_mail", what.data);
		sb_free(&what);
	} else if (m.n_exact > 1)
		rc = refuse_mail(run, &m, "approval_ambiguous",
				 "CA approval mail matches several orders, not acted on");
	else if (m.n_exact == 1 && !v->link_names_order)
		rc = refuse_mail(run, &m, "approval_link_unnamed",
				 "CA approval mail whose link does not name the CA order; not acted on "
				 "(a person opens the CA's mail)");
	else if (m.n_exact == 1 && !names_the_order(v, &m.exact[0]))
		rc = refuse_other_names(run, &m, "approval_other_names");
	else if (m.n_exact == 1)
		rc = approve_exact(run, &m.exact[0]);
	else
		rc = approve_near(run, &m);
	matches_free(&m);
	return rc;
}

/* Decline and notice ---------------------------------------------------- */

static int decline_exact(struct intake_run *run, const struct order *order)
{
	enum order_state now;

	if (intake_insert_message(run, order->id, "declined by the CA") < 0
	    || intake_get_progress(run->ledger, order->id, &now) < 0)
		return -1;
	if (now == ORDER_ISSUED) {
		intake_what(run, "decline mail for order %lld, which is already issued", order->id);
		return intake_add_event(run->ledger, order->id, "decline_ignored",
					"decline mail (message %lld) for an order already issued", run->msg.id);
	}
	if (intake_set_progress(run->ledger, order->id, ORDER_DECLINED, "decline mail from the CA") < 0)
		return -1;
	run->res->orders_changed = 1;
	intake_what(run, "order %lld declined by the CA", order->id);
	return 0;
}

static int record_decline(struct intake_run *run)
{
	const struct verdict *v = run->verdict;
	struct matches m;
	char    problem[INTAKE_WHAT_MAX];
	struct strbuf what = STRBUF_INIT;
	int     rc;

	if (find_matches(run, &m) < 0)
		return -1;
	printable_buf(problem, sizeof(problem), first_problem(v), PRINTABLE_ASCII | PRINTABLE_SPACES);
	if (m.n_exact == 1 && v->authenticated && !v->ambiguous && !names_the_order(v, &m.exact[0])) {
		rc = refuse_other_names(run, &m, "decline_other_names");
	} else if (m.n_exact == 1 && v->authenticated && !v->ambiguous) {
		rc = decline_exact(run, &m.exact[0]);
	} else {
		if (!v->authenticated)
			sb_appendf(&what, "not trusted: %s", problem);
		else if (v->ambiguous || m.n_exact > 1)
			sb_appends(&what, "ambiguous CA decline mail, not acted on");
		else
			sb_appendf(&what, "CA decline mail without this order's CA order number; %zu order%s "
				   "noted, none changed", m.n_near, m.n_near == 1 ? "" : "s");
		rc = refuse_mail(run, &m, "decline_not_ours", what.data);
	}
	sb_free(&what);
	matches_free(&m);
	return rc;
}

static int record_notice(struct intake_run *run)
{
	struct matches m;
	char    subject[INTAKE_WHAT_MAX];
	int     rc;

	if (find_matches(run, &m) < 0)
		return -1;
	printable_buf(subject, sizeof(subject), run->msg.subject, PRINTABLE_ASCII | PRINTABLE_SPACES);
	if (m.n_exact == 1)
		intake_what(run, "CA notice for order %lld recorded", m.exact[0].id);
	else
		intake_what(run, "CA notice recorded (%zu order%s near its domain)", m.n_near,
			    m.n_near == 1 ? "" : "s");
	rc = intake_insert_message(run, m.n_exact == 1 ? m.exact[0].id : 0, "CA notice");
	if (rc == 0)
		rc = note_orders(run, m.exact, m.n_exact, "ca_notice", subject);
	if (rc == 0)
		rc = note_orders(run, m.near, m.n_near, "ca_notice", subject);
	matches_free(&m);
	return rc;
}

static int record_other(struct intake_run *run)
{
	struct strbuf reasons = STRBUF_INIT;
	int     rc;

	intake_reasons_text(run->verdict, &reasons);
	intake_what(run, "CA mail, nothing to act on");
	rc = intake_insert_message(run, 0, reasons.len ? sb_str(&reasons) : "not understood");
	sb_free(&reasons);
	return rc;
}

static int record_not_parsed(struct intake_run *run)
{
	intake_what(run, "not parsed: %s", run->mail->not_parsed);
	return intake_insert_message(run, 0, run->mail->not_parsed);
}

/* The dispatch ---------------------------------------------------------- */

static const struct intake_rule {
	enum verdict_kind kind;
	int     (*record) (struct intake_run *run);
}       intake_rules[] = {
	{VERDICT_APPROVAL, record_approval},
	{VERDICT_DECLINE, record_decline},
	{VERDICT_NOTICE, record_notice},
	{VERDICT_NONE, record_other},
};

/* record_in_transaction - one transaction; the caller holds the lock */

static int record_in_transaction(struct intake_run *run)
{
	int     (*record) (struct intake_run *) = record_other;
	size_t  i;

	if (run->verdict == NULL)
		record = record_not_parsed;
	for (i = 0; run->verdict && i < sizeof(intake_rules) / sizeof(intake_rules[0]); i++)
		if (intake_rules[i].kind == run->verdict->kind)
			record = intake_rules[i].record;
	if (ledger_begin(run->ledger) < 0)
		return -1;
	if (record(run) < 0) {
		ledger_rollback(run->ledger);
		return -1;
	}
	return ledger_commit(run->ledger);
}

void intake_run_take(struct intake_run *run)
{
	run->lane = intake_lane_take(run->in);
	run->ledger = run->lane->ledger;
}

int intake_run_give(struct intake_run *run, int rc)
{
	if (rc < 0) {
		snprintf(run->error, sizeof(run->error), "%s", ledger_error(run->ledger));
		run->busy = ledger_busy(run->ledger);
		run->down = ledger_down(run->ledger);
	}
	intake_lane_give(run->lane);
	run->lane = NULL;
	run->ledger = NULL;
	return rc;
}

static char *message_id_of(const struct intake_mail *mail, const struct verdict *v)
{
	const char *id = v && v->message_id ? v->message_id : mail->message_id;
	size_t  len;

	if (id == NULL)
		return NULL;
	id += strspn(id, " \t<");
	len = strcspn(id, ">");
	while (len > 0 && (id[len - 1] == ' ' || id[len - 1] == '\t'))
		len--;
	return len ? xstrndup(id, len) : NULL;
}

static void run_init(struct intake_run *run, struct intake *in, const struct config *cfg,
		     X509_STORE *anchors, const struct intake_mail *mail, const struct verdict *v,
		     struct intake_result *res)
{
	const char *subject = v && v->subject ? v->subject : mail->subject;

	memset(run, 0, sizeof(*run));
	run->in = in;
	run->cfg = cfg;
	run->anchors = anchors;
	run->mail = mail;
	run->verdict = v;
	run->res = res;
	run->msg.message_id = message_id_of(mail, v);
	run->msg.queue_id = mail->queue_id ? xstrdup(mail->queue_id) : NULL;
	run->msg.mail_from = mail->sender ? xstrdup(mail->sender) : NULL;
	run->msg.rcpt_to = mail->rcpts ? xstrdup(mail->rcpts) : NULL;
	run->msg.subject = subject ? xstrdup(subject) : NULL;
	run->msg.verdict = xstrdup(v ? verdict_kind_name(v->kind) : "none");
}

static void log_outcome(const struct intake_run *run)
{
	char    what[INTAKE_WHAT_MAX];
	char    message_id[INTAKE_WHAT_MAX];

	printable_buf(what, sizeof(what), sb_str(&run->res->what), PRINTABLE_ASCII | PRINTABLE_SPACES);
	printable_buf(message_id, sizeof(message_id), run->msg.message_id, PRINTABLE_ASCII);
	msg_info("%s: message-id=<%s> %s: %s", run->mail->queue_id, message_id, run->msg.verdict, what);
}

int intake_record(struct intake *in, const struct config *cfg, X509_STORE *anchors,
		  const struct intake_mail *mail, const struct verdict *verdict,
		  struct intake_result *res)
{
	struct intake_run run;
	int     rc;

	run_init(&run, in, cfg, anchors, mail, verdict, res);
	if (verdict && verdict->kind == VERDICT_NONE && verdict->ca == NULL) {
		intake_what(&run, "not CA mail");	/* no lock, no transaction */
		rc = 0;
	} else if (verdict && verdict->kind == VERDICT_CERTIFICATE) {
		rc = intake_record_certificate(&run);
	} else {
		intake_run_take(&run);
		rc = intake_run_give(&run, record_in_transaction(&run));
	}
	if (rc < 0) {
		res->failed = 1;
		res->busy = run.busy;
		res->down = run.down;
		res->install_request = 0;
		res->wake_approver = 0;
		if (res->down)
			msg_debug("%s: message not recorded: the database is away", mail->queue_id);
		else
			msg_warn("%s: message not recorded: ledger: %s", mail->queue_id, run.error);
		sb_reset(&res->what);
		sb_appends(&res->what, "not recorded: ledger unavailable");
	} else {
		log_outcome(&run);
	}
	message_record_clear(&run.msg);
	return rc;
}
