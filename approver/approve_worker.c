/*
 * NAME
 *	approve_worker - what happens to recorded approvals
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approval_run_due(struct ledger *ledger, const struct config *cfg,
 *			     const struct parser *parser, time_t now)
 *	int approval_perform_now(struct ledger *ledger, const struct config *cfg,
 *				 const struct parser *parser, long long order_id,
 *				 time_t now, struct strbuf *result)
 *	int approval_mark_done(struct ledger *ledger, long long order_id,
 *			       const char *who, struct strbuf *result)
 *	const char *approval_mode_for(const struct order *order,
 *				      const struct approve_action *action,
 *				      const struct config *cfg)
 * DESCRIPTION
 *	The approver trusts no row of the intake's ledger for what matters:
 *	the order (its CA order number, contact, mode, whether it is still
 *	open) is read from the order book, which only root writes; the link
 *	is checked again against the CA profile (approve_url.c) before it is
 *	mailed or requested; and an approval is acted on only when the CA
 *	order number its link names (read with the profile's patterns, not
 *	taken from the row) is the order's own.
 *
 *	approval_run_due() takes the approvals that are pending (new, or a
 *	notification to retry) or approving (an auto attempt to retry, or
 *	one left by a worker that died) and whose next_try has come, and the
 *	unconfirmed ones, at most APPROVE_BATCH, and does what they need:
 *
 *	unconfirmed (a believed approval that named a domain of an order
 *	placed without a CA order number): once the operator has given the
 *	order that very number (mailcert order set), it becomes pending and
 *	the order approval_received; until then, in notify mode the contact
 *	is told the number once (never the link or the code) and it waits;
 *	a failure to tell is retried at backoff_next_try(), and after
 *	[approve] max_attempts the operator is told instead
 *	(unconfirmed_untold); after APPROVE_UNCONFIRMED_DAYS it expires.  An order whose CA order
 *	number is another: failed.
 *
 *	pending, approving: as the mode says (the order's approve_mode, else
 *	the CA profile's, else [approve] mode).  notify: mail the contact
 *	(approve_notify()); notified.  A link that auto mode would refuse is
 *	not mailed either.  An order without contact waits for the operator
 *	(manual).  auto: one approve_auto() attempt; success makes the order
 *	approved.  manual: marked manual, for "mailcert approvals".
 *
 *	Before acting a worker claims the approval (approving, attempts + 1,
 *	a lease in next_try) in one transaction, so two workers never both
 *	act.  A failure that may pass later is retried at backoff_next_try();
 *	after [approve] max_attempts it is failed and the operator is told
 *	once.  An approval of a mail that was not believed is never acted on.
 *	Every outcome is an event of the order.
 *
 *	approval_perform_now() is "mailcert approve ID": the profile's auto
 *	action on the order's latest approval, now.  approval_mark_done() is
 *	"mailcert approve ID --done": a person approved it.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "backoff.h"
#include "classify.h"
#include "msg.h"
#include "mymalloc.h"

#define APPROVE_UNCONFIRMED_DAYS 30	/* a validation code lives that long (BR 3.2.2.4.4) */

static const char *const due_states[] = {"pending", "approving", NULL};
static const char *const waiting_states[] = {"unconfirmed", "unconfirmed_notified",
	"unconfirmed_untold", NULL};

/* One approval being handled. */
struct approval_job {
	struct ledger *ledger;
	const struct config *cfg;
	struct approval *approval;	/* updated in place as it is recorded */
	struct order order;		/* from the book */
	struct approve_action action;
	time_t  now;
	int     link_named_order;	/* the CA order number is the link's */
};

/* How an outcome is written down. */
struct outcome {
	const char *state;		/* the new action_state */
	long long next_try;
	const char *error;		/* last_error, NULL to clear it */
	const char *kind;		/* the event's kind */
	enum order_state progress;	/* also move the order to this, unless 0 */
};

const char *approval_mode_for(const struct order *order, const struct approve_action *action,
			      const struct config *cfg)
{
	if (order && order->approve_mode && *order->approve_mode)
		return order->approve_mode;
	if (action && action->mode && *action->mode)
		return action->mode;
	return cfg->approve_mode ? cfg->approve_mode : "notify";
}

static int awaits_approval(enum order_state state)
{
	return state == ORDER_AWAITING_APPROVAL || state == ORDER_APPROVAL_RECEIVED;
}

static int same_text(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* move_progress - the order forward, if it still waits for that */

static int move_progress(struct ledger *ledger, long long order_id, enum order_state to,
			 const char *why)
{
	enum order_state now;

	if (intake_get_progress(ledger, order_id, &now) < 0)
		return -1;
	if (to == ORDER_APPROVAL_RECEIVED ? now != ORDER_AWAITING_APPROVAL : !awaits_approval(now))
		return 0;
	return intake_set_progress(ledger, order_id, to, why);
}

/* record - the approval's new action state and an event, in one transaction */

static int record(struct approval_job *job, const struct outcome *out, const char *detail)
{
	struct approval *a = job->approval;
	struct ledger *ledger = job->ledger;

	free(a->action_state);
	a->action_state = xstrdup(out->state);
	a->next_try = out->next_try;
	free(a->last_error);
	a->last_error = out->error ? xstrdup(out->error) : NULL;
	if (ledger_begin(ledger) < 0)
		return -1;
	if (intake_update_approval(ledger, a) < 0
	    || intake_add_event(ledger, a->order_id, out->kind, "approval %lld: %s", a->id, detail) < 0
	    || (out->progress && move_progress(ledger, a->order_id, out->progress, detail) < 0)) {
		ledger_rollback(ledger);
		return -1;
	}
	return ledger_commit(ledger);
}

static int record_simple(struct approval_job *job, const char *state, const char *kind,
			 const char *error, const char *detail)
{
	struct outcome out = {state, job->now, error, kind, 0};

	return record(job, &out, detail);
}

static void tell_operator_gave_up(struct approval_job *job, const char *detail)
{
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;

	sb_appendf(&subject, "[mailcert] approval of order %lld (%s) gave up", job->order.id,
		   job->order.domain);
	sb_appendf(&body, "mailcert could not act on the approval request of order %lld (%s):\n\n"
		   "  %s\n\nSee: mailcert show %lld   (mailcert approve %lld tries again)\n",
		   job->order.id, job->order.domain, detail, job->order.id, job->order.id);
	approve_notify_operator(job->cfg, subject.data, body.data);
	sb_free(&subject);
	sb_free(&body);
}

/* record_attempt - what an attempt (auto or notify) came to */

static int record_attempt(struct approval_job *job, int rc, const char *done_state,
			  const char *retry_state, const char *why)
{
	struct outcome out;
	char    detail[1024];

	memset(&out, 0, sizeof(out));
	out.next_try = job->now;
	if (rc == APPROVE_DONE) {
		out.state = done_state;
		out.kind = strcmp(done_state, "approved") == 0 ? "approval_approved" : "approval_notified";
		out.progress = strcmp(done_state, "approved") == 0 ? ORDER_APPROVED : 0;
		if (why && *why)
			return record(job, &out, why);
		if (out.progress == ORDER_APPROVED)	/* an event always says what happened */
			snprintf(detail, sizeof(detail), "approved on the CA's page");
		else
			snprintf(detail, sizeof(detail), "the link and code were mailed to %s",
				 job->order.contact ? job->order.contact : "the contact");
		return record(job, &out, detail);
	}
	out.error = why;
	if (rc == APPROVE_RETRY && job->approval->attempts < job->cfg->approve_max_attempts) {
		out.state = retry_state;
		out.kind = "approval_retry";
		out.next_try = backoff_next_try(job->now, job->approval->attempts,
						 job->cfg->approve_retry_base);
		snprintf(detail, sizeof(detail), "attempt %d of %d failed, next in %llds: %s",
			 job->approval->attempts, job->cfg->approve_max_attempts,
			 out.next_try - (long long) job->now, why);
		return record(job, &out, detail);
	}
	out.state = "failed";
	out.kind = "approval_failed";
	snprintf(detail, sizeof(detail), "%s after %d attempt%s: %s",
		 rc == APPROVE_RETRY ? "gave up" : "refused", job->approval->attempts,
		 job->approval->attempts == 1 ? "" : "s", why);
	if (record(job, &out, detail) < 0)
		return -1;
	tell_operator_gave_up(job, detail);
	return 0;
}

/* claim - approving, attempts + 1, a lease until next_try: one worker acts.
 * LEDGER_NOT_FOUND when another took it or it is no longer due. */

static int claim(struct approval_job *job, long long due_by)
{
	struct approval fresh;
	struct approval *a = job->approval;
	int     rc;

	memset(&fresh, 0, sizeof(fresh));
	if (ledger_begin(job->ledger) < 0)
		return -1;
	if ((rc = intake_get_approval(job->ledger, a->id, &fresh)) != 0
	    || fresh.next_try > due_by || strcmp(fresh.action_state, "approved") == 0
	    || strcmp(fresh.action_state, "done") == 0
	    || (strcmp(fresh.action_state, a->action_state) != 0 && due_by != LLONG_MAX)) {
		approval_clear(&fresh);
		ledger_rollback(job->ledger);
		return rc < 0 ? -1 : LEDGER_NOT_FOUND;
	}
	a->attempts = fresh.attempts + 1;
	free(a->action_state);
	a->action_state = xstrdup("approving");
	a->next_try = (long long) job->now + job->cfg->approve_timeout + job->cfg->approve_retry_base;
	approval_clear(&fresh);
	if (intake_update_approval(job->ledger, a) < 0) {
		ledger_rollback(job->ledger);
		return -1;
	}
	return ledger_commit(job->ledger);
}

/* act_auto - claim, one attempt, write down what it came to: 0 approved,
 * 1 not (why says why), 2 not claimed (another worker has it), -1 */

static int act_auto(struct approval_job *job, long long due_by, struct strbuf *why)
{
	int     rc;

	if ((rc = claim(job, due_by)) != 0)
		return rc == LEDGER_NOT_FOUND ? 2 : -1;
	rc = approve_auto(&job->action, &job->order, job->approval, job->cfg, why);
	msg_info("order %lld: approval %lld: auto attempt %d: %s", job->order.id, job->approval->id,
		 job->approval->attempts, sb_str(why));
	if (record_attempt(job, rc, "approved", "approving", sb_str(why)) < 0)
		return -1;
	return rc == APPROVE_DONE ? 0 : 1;
}

/* link_fit_to_mail - a link we would not follow is not mailed either;
 * the one mailed is the checked normal form, not the recorded text */

static int link_fit_to_mail(const struct approval_job *job, struct strbuf *why)
{
	struct approve_url url;
	struct strbuf reason = STRBUF_INIT;

	if (job->approval->link == NULL) {
		sb_appends(why, "no approval link recorded");
		return 0;
	}
	if (approve_link_check(job->approval->link, &job->action, &url, &reason) < 0) {
		sb_appendf(why, "link not mailed: %s", sb_str(&reason));
		sb_free(&reason);
		return 0;
	}
	free(job->approval->link);
	job->approval->link = url.text;
	url.text = NULL;
	approve_url_clear(&url);
	return 1;
}

static int act_notify(struct approval_job *job)
{
	struct strbuf why = STRBUF_INIT;
	int     rc;

	if (job->order.contact == NULL)
		return record_simple(job, "manual", "approval_manual", NULL,
				     "the order has no contact to notify; waiting for mailcert approve");
	if ((rc = claim(job, (long long) job->now)) != 0)
		return rc == LEDGER_NOT_FOUND ? 0 : -1;
	if (!link_fit_to_mail(job, &why))
		rc = APPROVE_REFUSED;
	else
		rc = approve_notify(&job->order, job->approval, job->cfg, &why);
	rc = record_attempt(job, rc, "notified", "pending", sb_str(&why));
	sb_free(&why);
	return rc;
}

/* load_job - the order (book) and its profile's action; 1 when it cannot
 * be acted on (recorded as such), -1 on a ledger error */

static int load_job(struct approval_job *job, const struct parser *parser)
{
	struct strbuf why = STRBUF_INIT;
	int     rc;

	if ((rc = book_get_order(job->ledger, job->approval->order_id, &job->order)) != 0) {
		if (rc < 0)
			return -1;
		return record_simple(job, "failed", "approval_failed", "no such order",
				     "no such order in the book") < 0 ? -1 : 1;
	}
	if (approve_action_for(parser, job->order.ca, &job->action) < 0) {
		sb_appendf(&why, "no CA profile \"%s\"", job->order.ca);
		rc = record_simple(job, "failed", "approval_failed", sb_str(&why), sb_str(&why));
		sb_free(&why);
		return rc < 0 ? -1 : 1;
	}
	return 0;
}

/* take_order_from_link - the CA order number of the approval is the one
 * its link names (the link that would be followed or mailed, read with the
 * profile's patterns), not what the row says: the row is the intake's.
 * 0 when it does (job->link_named_order); 1 when the link is not one the
 * approver would follow (the action refuses it later, with its reason, and
 * tells the operator); -1 with detail when it is, but names no single CA
 * order number. */

static int take_order_from_link(struct approval_job *job, char *detail, size_t len)
{
	struct strbuf why = STRBUF_INIT;
	struct strlist reasons = STRLIST_INIT;
	struct approve_url url;
	char   *number;

	if (approve_link_check(job->approval->link, &job->action, &url, &why) < 0) {
		sb_free(&why);
		return 1;
	}
	number = approval_link_order(job->action.ca, url.text, &reasons);
	approve_url_clear(&url);
	if (number == NULL) {
		snprintf(detail, len, "the approval link: %s; nothing done",
			 reasons.count ? reasons.items[0] : "it names no CA order number");
		sb_free(&why);
		strlist_free(&reasons);
		return -1;
	}
	if (job->approval->ca_order && strcmp(job->approval->ca_order, number) != 0)
		msg_warn("order %lld: approval %lld: its row says CA order %.64s, its link %.64s: the "
			 "link counts", job->order.id, job->approval->id, job->approval->ca_order, number);
	free(job->approval->ca_order);
	job->approval->ca_order = number;
	job->link_named_order = 1;
	sb_free(&why);
	strlist_free(&reasons);
	return 0;
}

/* refuse_unless_actionable - not believed, a closed order, an order that
 * no longer waits, a link that names no CA order or another: written
 * down, 1; else 0 */

static int refuse_unless_actionable(struct approval_job *job)
{
	enum order_state progress;
	char    detail[300];

	if (!job->approval->authenticated)
		return record_simple(job, "failed", "approval_refused", "not authenticated",
				     "the approval mail was not believed; nothing done") < 0 ? -1 : 1;
	if (job->order.status != BOOK_OPEN) {
		snprintf(detail, sizeof(detail), "the order is %s; nothing to do",
			 book_status_name(job->order.status));
		return record_simple(job, "done", "approval_skipped", NULL, detail) < 0 ? -1 : 1;
	}
	if (intake_get_progress(job->ledger, job->order.id, &progress) < 0)
		return -1;
	if (!awaits_approval(progress)) {
		snprintf(detail, sizeof(detail), "the order is %s; nothing to do",
			 order_state_name(progress));
		return record_simple(job, "done", "approval_skipped", NULL, detail) < 0 ? -1 : 1;
	}
	if (take_order_from_link(job, detail, sizeof(detail)) < 0)
		return record_simple(job, "failed", "approval_refused", "no CA order in the link",
				     detail) < 0 ? -1 : 1;
	if (job->order.ca_order && !same_text(job->order.ca_order, job->approval->ca_order)) {
		snprintf(detail, sizeof(detail), "the mail is for CA order %.64s, the order is CA order "
			 "%.64s: not ours, nothing done", job->approval->ca_order ? job->approval->ca_order
			 : "(none)", job->order.ca_order);
		return record_simple(job, "failed", "approval_refused", "another CA order", detail) < 0 ? -1 : 1;
	}
	return 0;
}

/* record_confirmation_told - what telling the contact the CA order number
 * came to: unconfirmed_notified; a retry at backoff_next_try() (the
 * confirmation by the operator is still looked for at every pass); after
 * max_attempts, or refused, unconfirmed_untold and the operator told */

static int record_confirmation_told(struct approval_job *job, int rc, const char *why)
{
	struct outcome out = {"unconfirmed", 0, why, "approval_retry", 0};
	char    detail[1024];

	if (rc == APPROVE_DONE)
		return record_simple(job, "unconfirmed_notified", "approval_unconfirmed_notified", NULL,
				     "the contact was told the CA order number to confirm");
	job->approval->attempts++;
	if (rc == APPROVE_RETRY && job->approval->attempts < job->cfg->approve_max_attempts) {
		out.next_try = backoff_next_try(job->now, job->approval->attempts,
						 job->cfg->approve_retry_base);
		snprintf(detail, sizeof(detail), "telling the contact the CA order number failed "
			 "(attempt %d of %d, next in %llds): %s", job->approval->attempts,
			 job->cfg->approve_max_attempts, out.next_try - (long long) job->now, why);
		return record(job, &out, detail);
	}
	snprintf(detail, sizeof(detail), "the contact could not be told the CA order number "
		 "(%s after %d attempt%s): %s; it waits for mailcert order set",
		 rc == APPROVE_RETRY ? "gave up" : "refused", job->approval->attempts,
		 job->approval->attempts == 1 ? "" : "s", why);
	if (record_simple(job, "unconfirmed_untold", "approval_failed", why, detail) < 0)
		return -1;
	tell_operator_gave_up(job, detail);
	return 0;
}

/* handle_unconfirmed - an order without a CA order number: wait for the
 * operator's; 1 while it waits, 0 when confirmed (now pending), -1 */

static int handle_unconfirmed(struct approval_job *job)
{
	struct strbuf why = STRBUF_INIT;
	struct outcome out = {"pending", job->now, NULL, "approval_confirmed", ORDER_APPROVAL_RECEIVED};
	int     rc;

	if (job->order.ca_order) {	/* refuse_unless_actionable() saw it is the same */
		if (record(job, &out, "the order's CA order number is the mail's (mailcert order set)") < 0)
			return -1;
		return 0;
	}
	if (!job->link_named_order)	/* the contact is told the link's number, or nothing */
		return record_simple(job, "failed", "approval_refused", "not the CA's approval link",
				     "the recorded link is not one the approver would follow; nothing "
				     "told") < 0 ? -1 : 1;
	if (job->approval->received_at + APPROVE_UNCONFIRMED_DAYS * 86400LL < (long long) job->now)
		return record_simple(job, "expired", "approval_expired", NULL,
				     "never confirmed by the operator; the request has expired") < 0 ? -1 : 1;
	if (strcmp(job->approval->action_state, "unconfirmed") != 0
	    || strcmp(approval_mode_for(&job->order, &job->action, job->cfg), "notify") != 0
	    || job->order.contact == NULL || job->approval->next_try > (long long) job->now)
		return 1;
	rc = approve_notify_confirmation(&job->order, job->approval, job->cfg, &why);
	rc = record_confirmation_told(job, rc, sb_str(&why));
	sb_free(&why);
	return rc < 0 ? -1 : 1;
}

static int handle_due(struct approval_job *job, const struct parser *parser)
{
	struct strbuf why = STRBUF_INIT;
	const char *mode;
	int     rc;

	if ((rc = load_job(job, parser)) != 0 || (rc = refuse_unless_actionable(job)) != 0)
		return rc < 0 ? -1 : 0;
	if (strncmp(job->approval->action_state, "unconfirmed", 11) == 0
	    && (rc = handle_unconfirmed(job)) != 0)
		return rc < 0 ? -1 : 0;
	mode = approval_mode_for(&job->order, &job->action, job->cfg);
	if (strcmp(mode, "auto") == 0) {
		rc = act_auto(job, (long long) job->now, &why);
		sb_free(&why);
		return rc < 0 ? -1 : 0;
	}
	if (strcmp(mode, "manual") == 0)
		return record_simple(job, "manual", "approval_manual", NULL,
				     "approve mode manual: waiting for mailcert approve");
	return act_notify(job) < 0 ? -1 : 0;
}

static int run_list(struct ledger *ledger, const struct config *cfg, const struct parser *parser,
		    time_t now, struct approval *list, size_t count)
{
	struct approval_job job;
	size_t  i;
	int     handled = 0;

	for (i = 0; i < count; i++) {
		memset(&job, 0, sizeof(job));
		job.ledger = ledger;
		job.cfg = cfg;
		job.approval = &list[i];
		job.now = now;
		if (handle_due(&job, parser) < 0) {
			msg_warn("order %lld: approval %lld: %s", list[i].order_id, list[i].id,
				 ledger_error(ledger));
			order_clear(&job.order);
			return -1;
		}
		order_clear(&job.order);
		handled++;
	}
	return handled;
}

int approval_run_due(struct ledger *ledger, const struct config *cfg,
		     const struct parser *parser, time_t now)
{
	struct approval *list;
	size_t  count;
	int     due;
	int     waiting;

	if (intake_list_approvals(ledger, due_states, (long long) now, APPROVE_BATCH, &list, &count) < 0) {
		if (!ledger_down(ledger))	/* an outage is logged once, by the ledger */
			msg_warn("listing due approvals: %s", ledger_error(ledger));
		return -1;
	}
	due = run_list(ledger, cfg, parser, now, list, count);
	approvals_free(list, count);
	if (due < 0)
		return -1;
	if (intake_list_approvals(ledger, waiting_states, LLONG_MAX, APPROVE_BATCH, &list, &count) < 0) {
		msg_warn("listing unconfirmed approvals: %s", ledger_error(ledger));
		return -1;
	}
	waiting = run_list(ledger, cfg, parser, now, list, count);
	approvals_free(list, count);
	return waiting < 0 ? -1 : due + waiting;
}

/* The operator's commands ------------------------------------------------- */

static int latest_open_approval(struct ledger *ledger, long long order_id, struct approval *a,
				struct strbuf *result)
{
	int     rc;

	if ((rc = intake_latest_approval(ledger, order_id, a)) < 0)
		return -1;
	if (rc == LEDGER_NOT_FOUND) {
		sb_appendf(result, "order %lld: no approval mail recorded", order_id);
		return 1;
	}
	if (strcmp(a->action_state, "approved") == 0 || strcmp(a->action_state, "done") == 0) {
		sb_appendf(result, "order %lld: approval %lld is already %s", order_id, a->id,
			   a->action_state);
		return 1;
	}
	return 0;
}

int approval_perform_now(struct ledger *ledger, const struct config *cfg,
			 const struct parser *parser, long long order_id, time_t now,
			 struct strbuf *result)
{
	struct approval_job job;
	struct approval approval;
	int     rc;

	memset(&job, 0, sizeof(job));
	memset(&approval, 0, sizeof(approval));
	job.ledger = ledger;
	job.cfg = cfg;
	job.approval = &approval;
	job.now = now;
	if ((rc = latest_open_approval(ledger, order_id, &approval, result)) != 0)
		goto out;
	if ((rc = load_job(&job, parser)) != 0 || (rc = refuse_unless_actionable(&job)) != 0) {
		sb_appendf(result, "order %lld: %s", order_id,
			   approval.last_error ? approval.last_error : "nothing to do");
		goto out;
	}
	if (job.order.ca_order == NULL) {
		sb_appendf(result, "order %lld has no CA order number; set it first (mailcert order set "
			   "%lld --ca-order N)", order_id, order_id);
		rc = 1;
		goto out;
	}
	rc = act_auto(&job, LLONG_MAX, result);
	if (rc == 2) {
		sb_appendf(result, "order %lld: the approval changed meanwhile; try again", order_id);
		rc = 1;
	}
out:
	order_clear(&job.order);
	approval_clear(&approval);
	return rc;
}

int approval_mark_done(struct ledger *ledger, long long order_id, const char *who,
		       struct strbuf *result)
{
	struct approval approval;
	struct order order;
	enum order_state progress;
	int     has_approval;
	int     rc;

	memset(&approval, 0, sizeof(approval));
	memset(&order, 0, sizeof(order));
	if ((rc = book_get_order(ledger, order_id, &order)) != 0) {
		if (rc == LEDGER_NOT_FOUND)
			sb_appendf(result, "no order %lld", order_id);
		return rc < 0 ? -1 : 1;
	}
	rc = 1;
	if (intake_get_progress(ledger, order_id, &progress) < 0) {
		rc = -1;
		goto out;
	}
	if (order.status != BOOK_OPEN || !awaits_approval(progress)) {
		sb_appendf(result, "order %lld is %s, it cannot become approved", order_id,
			   order.status != BOOK_OPEN ? book_status_name(order.status)
			   : order_state_name(progress));
		goto out;
	}
	if ((has_approval = intake_latest_approval(ledger, order_id, &approval)) < 0
	    || ledger_begin(ledger) < 0) {
		rc = -1;
		goto out;
	}
	if (has_approval == 0) {
		free(approval.action_state);
		approval.action_state = xstrdup("done");
	}
	rc = (has_approval == 0 && intake_update_approval(ledger, &approval) < 0)
	    || intake_add_event(ledger, order_id, "approval_done", "approved by a person (%s)", who) < 0
	    || intake_set_progress(ledger, order_id, ORDER_APPROVED, "approved by a person") < 0;
	if (rc) {
		ledger_rollback(ledger);
		rc = -1;
		goto out;
	}
	rc = ledger_commit(ledger);
out:
	approval_clear(&approval);
	order_clear(&order);
	return rc;
}
