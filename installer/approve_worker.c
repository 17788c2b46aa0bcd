/*
 * NAME
 *	approve_worker - what happens to recorded approvals, in the ledger
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approval_run_due(struct ledger *ledger, const struct config *cfg,
 *			     const struct parser *parser, time_t now)
 *	int approval_perform_now(struct ledger *ledger,
 *				 const struct config *cfg,
 *				 const struct parser *parser, long long order_id,
 *				 time_t now, struct strbuf *result)
 *	int approval_mark_done(struct ledger *ledger, long long order_id,
 *			       const char *who, struct strbuf *result)
 *	const char *approval_mode_for(const struct order *order,
 *				      const struct approve_action *action,
 *				      const struct config *cfg)
 * DESCRIPTION
 *	approval_run_due() takes the approvals whose action_state is pending
 *	(new, or a notification to retry) or approving (an auto attempt to
 *	retry, or one left by a worker that died) and whose next_try has
 *	come, at most APPROVE_BATCH of them, and does what the mode says:
 *	the order's approve_mode, else the CA profile's, else [approve]
 *	mode (approval_mode_for()).
 *
 *	Before acting, a worker claims the approval: approving, attempts + 1
 *	and a lease in next_try, in one transaction, so that two workers
 *	never both act (one that dies leaves it to be taken up again when
 *	the lease ends).
 *
 *	notify: mail the contact (approve_notify()); action_state notified.
 *	A link that auto mode would refuse (not https, not on the profile's
 *	hosts, a reject link) is not mailed either.  An order without
 *	contact waits for the operator (manual).  auto: one approve_auto()
 *	attempt; success makes the order approved and the approval
 *	approved.  manual: the approval is marked manual, for "mailcert
 *	approvals".
 *
 *	A failure that may pass later is retried at backoff_next_try() (backoff.c):
 *	[approve] retry_base seconds doubled per attempt, after
 *	[approve] max_attempts attempts the approval is failed.  A failure
 *	that never will (a link off the profile's hosts, a reject link, the
 *	CA saying no) is failed at once.  An approval whose mail was not
 *	authenticated is never acted on: failed, with an approval_refused
 *	event.  Every outcome is an event of the order.
 *
 *	Returns the number of approvals handled, or -1 on a ledger error.
 *
 *	approval_perform_now() is "mailcert approve ID": the profile's auto
 *	action on the order's latest approval, now, whatever the mode and
 *	next_try (the operator asked), with the same bookkeeping.  0 when
 *	the order is approved, 1 when not (result says why), -1 on a ledger
 *	error.
 *
 *	approval_mark_done() is "mailcert approve ID --done": a person
 *	approved it.  The order becomes approved, its latest approval (if
 *	any) done, with an event naming who.  0, 1 (result says why the
 *	order cannot be approved) or -1.
 * LICENSE
 *	See the README of mailcert.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "msg.h"
#include "mymalloc.h"
#include "backoff.h"


static const char *const due_states[] = {"pending", "approving", NULL};
static const char *const any_state[] = {
	"pending", "notified", "approving", "approved", "failed", "manual", "done", NULL,
};

/* One approval being handled. */
struct approval_job {
	struct ledger *ledger;
	const struct config *cfg;
	struct approval *approval;	/* updated in place as it is recorded */
	struct order order;
	struct approve_action action;
	time_t  now;
};

/* How an outcome is written down. */
struct outcome {
	const char *state;		/* the new action_state */
	long long next_try;
	const char *error;		/* last_error, NULL to clear it */
	const char *kind;		/* the event's kind */
	int     approve_order;		/* also move the order to approved */
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

static int order_awaits_approval(enum order_state state)
{
	return state == ORDER_AWAITING_APPROVAL || state == ORDER_APPROVAL_RECEIVED;
}

/* approve_order - the order becomes approved, if it still waits for that */

static int approve_order(struct ledger *ledger, long long order_id, const char *why)
{
	struct order order;
	int rc;

	memset(&order, 0, sizeof(order));
	if ((rc = ledger_get_order(ledger, order_id, &order)) != 0)
		return rc < 0 ? -1 : 0;
	if (order_awaits_approval(order.state))
		rc = ledger_set_order_state(ledger, order_id, ORDER_APPROVED, why);
	order_clear(&order);
	return rc;
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
	if (ledger_update_approval_action(ledger, a) < 0
	    || ledger_add_event(ledger, a->order_id, out->kind, "approval %lld: %s", a->id, detail) < 0
	    || (out->approve_order && approve_order(ledger, a->order_id, detail) < 0)) {
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

/* record_attempt - what an attempt (auto or notify) came to */

static int record_attempt(struct approval_job *job, int rc, const char *done_state,
			          const char *retry_state, const char *why)
{
	struct outcome out;
	char detail[1024];

	memset(&out, 0, sizeof(out));
	out.next_try = job->now;
	if (rc == APPROVE_DONE) {
		out.state = done_state;
		out.kind = strcmp(done_state, "approved") == 0 ? "approval_approved" : "approval_notified";
		out.approve_order = strcmp(done_state, "approved") == 0;
		return record(job, &out, why);
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
	return record(job, &out, detail);
}

/* find_approval - the approval row id as it is now, among states */

static int find_approval(struct ledger *ledger, long long id, const char *const *states,
			         long long now, struct approval *out)
{
	struct approval *list;
	size_t count;
	size_t i;
	int rc = LEDGER_NOT_FOUND;

	if (ledger_list_approvals(ledger, states, now, &list, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (list[i].id == id) {
			*out = list[i];
			memset(&list[i], 0, sizeof(list[i]));
			rc = 0;
			break;
		}
	}
	approvals_free(list, count);
	return rc;
}

/* claim - approving, attempts + 1, a lease until next_try: one worker acts
 * (in notify mode too: "approving" is "being acted on").
 * LEDGER_NOT_FOUND when another took it or it is no longer due. */

static int claim(struct approval_job *job, const char *const *states, long long due_by)
{
	struct approval fresh;
	struct approval *a = job->approval;
	int rc;

	memset(&fresh, 0, sizeof(fresh));
	if (ledger_begin(job->ledger) < 0)
		return -1;
	if ((rc = find_approval(job->ledger, a->id, states, due_by, &fresh)) != 0) {
		ledger_rollback(job->ledger);
		return rc;
	}
	a->attempts = fresh.attempts + 1;
	free(a->action_state);
	a->action_state = xstrdup("approving");
	a->next_try = (long long) job->now + job->cfg->approve_timeout + job->cfg->approve_retry_base;
	approval_clear(&fresh);
	if (ledger_update_approval_action(job->ledger, a) < 0) {
		ledger_rollback(job->ledger);
		return -1;
	}
	return ledger_commit(job->ledger);
}

/* act_auto - claim, one attempt, write down what it came to: 0 approved,
 * 1 not (why says why), 2 not claimed (another worker has it), -1 */

static int act_auto(struct approval_job *job, const char *const *states, long long due_by,
		            struct strbuf *why)
{
	int rc;

	if ((rc = claim(job, states, due_by)) != 0)
		return rc == LEDGER_NOT_FOUND ? 2 : -1;
	rc = approve_auto(&job->action, &job->order, job->approval, job->cfg, why);
	msg_info("order %lld: approval %lld: auto attempt %d: %s", job->order.id, job->approval->id,
		 job->approval->attempts, sb_str(why));
	if (record_attempt(job, rc, "approved", "approving", sb_str(why)) < 0)
		return -1;
	return rc == APPROVE_DONE ? 0 : 1;
}

/* link_fit_to_mail - a link we would not follow is not mailed either */

static int link_fit_to_mail(const struct approval_job *job, struct strbuf *why)
{
	struct approve_url url;
	struct strbuf reason = STRBUF_INIT;

	if (job->approval->link == NULL) {
		sb_appends(why, "no approval link recorded");
		return 0;
	}
	if (approve_url_is_reject(job->approval->link, job->action.reject)) {
		sb_appends(why, "the recorded link is a reject link; not mailed");
		return 0;
	}
	if (approve_url_check(job->approval->link, job->action.link_hosts, &url, &reason) < 0) {
		sb_appendf(why, "link not mailed: %s", sb_str(&reason));
		sb_free(&reason);
		return 0;
	}
	approve_url_clear(&url);
	return 1;
}

/* act_notify - mail the contact; an order without one waits for a person */

static int act_notify(struct approval_job *job)
{
	struct strbuf why = STRBUF_INIT;
	int rc;

	if (job->order.contact == NULL) {
		rc = record_simple(job, "manual", "approval_manual", NULL,
				   "the order has no contact to notify; waiting for mailcert approve");
		return rc;
	}
	if ((rc = claim(job, due_states, (long long) job->now)) != 0)
		return rc == LEDGER_NOT_FOUND ? 0 : -1;
	if (link_fit_to_mail(job, &why))
		rc = approve_notify(&job->order, job->approval, job->cfg, &why);
	else
		rc = APPROVE_REFUSED;
	if (rc == APPROVE_DONE)
		sb_appendf(&why, "mailed %s the link, the code and the CA order number",
			   job->order.contact);
	msg_info("order %lld: approval %lld: notify: %s", job->order.id, job->approval->id,
		 sb_str(&why));
	rc = record_attempt(job, rc, "notified", "pending", sb_str(&why));
	sb_free(&why);
	return rc;
}

/* load_job - the order and its profile's action; 1 when it cannot be
 * acted on (recorded as such), -1 on a ledger error */

static int load_job(struct approval_job *job, const struct parser *parser)
{
	struct strbuf why = STRBUF_INIT;
	int rc;

	if ((rc = ledger_get_order(job->ledger, job->approval->order_id, &job->order)) != 0) {
		if (rc < 0)
			return -1;
		return record_simple(job, "failed", "approval_failed", "no such order",
				     "no such order") < 0 ? -1 : 1;
	}
	if (approve_action_for(parser, job->order.ca, &job->action) < 0) {
		sb_appendf(&why, "no CA profile \"%s\"", job->order.ca);
		rc = record_simple(job, "failed", "approval_failed", sb_str(&why), sb_str(&why));
		sb_free(&why);
		return rc < 0 ? -1 : 1;
	}
	return 0;
}

/* refuse_unless_actionable - unauthenticated mail, or an order that no
 * longer waits: written down, 1; else 0 */

static int refuse_unless_actionable(struct approval_job *job)
{
	char detail[256];

	if (!job->approval->authenticated) {
		msg_warn("order %lld: approval %lld: the mail was not authenticated; nothing done",
			 job->order.id, job->approval->id);
		return record_simple(job, "failed", "approval_refused", "not authenticated",
				     "the approval mail was not authenticated; nothing done") < 0 ? -1 : 1;
	}
	if (!order_awaits_approval(job->order.state)) {
		snprintf(detail, sizeof(detail), "the order is %s; nothing to do",
			 order_state_name(job->order.state));
		return record_simple(job, "done", "approval_skipped", NULL, detail) < 0 ? -1 : 1;
	}
	return 0;
}

/* handle_due - one due approval, as its mode says */

static int handle_due(struct approval_job *job, const struct parser *parser)
{
	struct strbuf why = STRBUF_INIT;
	const char *mode;
	int rc;

	if ((rc = load_job(job, parser)) != 0 || (rc = refuse_unless_actionable(job)) != 0)
		return rc < 0 ? -1 : 0;
	mode = approval_mode_for(&job->order, &job->action, job->cfg);
	if (strcmp(mode, "auto") == 0) {
		rc = act_auto(job, due_states, (long long) job->now, &why);
		sb_free(&why);
		return rc < 0 ? -1 : 0;
	}
	if (strcmp(mode, "manual") == 0)
		return record_simple(job, "manual", "approval_manual", NULL,
				     "approve mode manual: waiting for mailcert approve");
	return act_notify(job) < 0 ? -1 : 0;
}

int approval_run_due(struct ledger *ledger, const struct config *cfg,
		             const struct parser *parser, time_t now)
{
	struct approval_job job;
	struct approval *list;
	size_t count;
	size_t i;
	int handled = 0;

	if (ledger_list_approvals(ledger, due_states, (long long) now, &list, &count) < 0) {
		msg_warn("listing due approvals: %s", ledger_error(ledger));
		return -1;
	}
	for (i = 0; i < count && i < APPROVE_BATCH; i++) {
		memset(&job, 0, sizeof(job));
		job.ledger = ledger;
		job.cfg = cfg;
		job.approval = &list[i];
		job.now = now;
		if (handle_due(&job, parser) < 0) {
			msg_warn("order %lld: approval %lld: %s", list[i].order_id, list[i].id,
				 ledger_error(ledger));
			order_clear(&job.order);
			approvals_free(list, count);
			return -1;
		}
		order_clear(&job.order);
		handled++;
	}
	approvals_free(list, count);
	return handled;
}

/* latest_open_approval - the order's latest approval, if it may still be
 * acted on; 1 with result filled when not */

static int latest_open_approval(struct ledger *ledger, long long order_id, struct approval *a,
				        struct strbuf *result)
{
	int rc;

	if ((rc = ledger_latest_approval(ledger, order_id, a)) < 0)
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
	int rc;

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
	rc = act_auto(&job, any_state, LLONG_MAX, result);
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
	int has_approval;
	int rc;

	memset(&approval, 0, sizeof(approval));
	memset(&order, 0, sizeof(order));
	if ((rc = ledger_get_order(ledger, order_id, &order)) != 0) {
		if (rc == LEDGER_NOT_FOUND)
			sb_appendf(result, "no order %lld", order_id);
		return rc < 0 ? -1 : 1;
	}
	rc = 1;
	if (!order_awaits_approval(order.state)) {
		sb_appendf(result, "order %lld is %s, it cannot become approved", order_id,
			   order_state_name(order.state));
		goto out;
	}
	if ((has_approval = ledger_latest_approval(ledger, order_id, &approval)) < 0
	    || ledger_begin(ledger) < 0) {
		rc = -1;
		goto out;
	}
	if (has_approval == 0) {
		free(approval.action_state);
		approval.action_state = xstrdup("done");
	}
	rc = (has_approval == 0 && ledger_update_approval_action(ledger, &approval) < 0)
	    || ledger_add_event(ledger, order_id, "approval_done", "approved by a person (%s)", who) < 0
	    || ledger_set_order_state(ledger, order_id, ORDER_APPROVED, "approved by a person") < 0;
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
