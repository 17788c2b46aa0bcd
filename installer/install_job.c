/*
 * NAME
 *	install_job - one install job, from claim to outcome, in the ledger
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_job_run(struct ledger *ledger, const struct config *cfg,
 *			    long long job_id, time_t now,
 *			    long long stale_before, long long *next_try)
 * DESCRIPTION
 *	install_job_run() claims the job (pending -> running, one more
 *	attempt; a job left running by an installer that died is claimed
 *	again when its last update is older than stale_before), makes one
 *	attempt (install_attempt.c) and records the outcome:
 *
 *	done: the job is done, the order installed, the contact gets a
 *	confirmation mail (notify_mail.c; a mail that cannot be sent is an
 *	event, the install stays done).
 *
 *	refused (the certificate or the key is wrong; nothing was written):
 *	the job failed at once, the order install_failed.
 *
 *	retry (a file, a command, the rollback): the order install_failed;
 *	the job pending again at backoff_next_try() (backoff.c), [installer] retry_base
 *	seconds doubled per attempt, at most BACKOFF_MAX; after
 *	[installer] max_attempts attempts the job failed.  A later success
 *	makes the order installed.
 *
 *	Every attempt is an "install_attempt" event, its outcome one of
 *	"installed", "install_refused", "install_failed", with the reason.
 *
 *	Returns the outcome (INSTALL_DONE, INSTALL_REFUSED, INSTALL_RETRY),
 *	INSTALL_NOT_CLAIMED when the job was not due or another installer
 *	took it, -1 on a ledger error.  *next_try is set when the job will be
 *	tried again, else left alone.
 * LICENSE
 *	See the README of mailcert.
 */
#include <string.h>

#include "install.h"
#include "msg.h"
#include "backoff.h"


/* One claimed job and what it is about. */
struct job_ctx {
	struct install_run run;
	struct install_job job;
	struct order order;
	struct cert_record cert;
	struct install_outcome outcome;
	struct strbuf why;
};

static void note_event(struct job_ctx *jc, const char *kind, const char *detail)
{
	if (ledger_add_event(jc->run.ledger, jc->order.id, kind, "job %lld attempt %d: %s",
			     jc->job.id, jc->job.attempts, detail) < 0)
		msg_warn("order %lld: cannot record an event: %s", jc->order.id,
			 ledger_error(jc->run.ledger));
}

/* load_job - the job, its order, its certificate and the target */

static int load_job(struct job_ctx *jc, long long job_id)
{
	struct ledger *ledger = jc->run.ledger;
	int rc;

	if ((rc = ledger_get_install_job(ledger, job_id, &jc->job)) != 0)
		return rc;
	if ((rc = ledger_get_order(ledger, jc->job.order_id, &jc->order)) != 0)
		return rc;
	if ((rc = ledger_get_certificate(ledger, jc->job.certificate_id, &jc->cert)) != 0)
		return rc;
	jc->run.order_id = jc->order.id;
	jc->run.job_id = jc->job.id;
	jc->run.attempt = jc->job.attempts;
	jc->run.target = config_find_target(jc->run.cfg, jc->order.target);
	return 0;
}

static void confirm_by_mail(struct job_ctx *jc)
{
	struct strbuf why = STRBUF_INIT;
	struct strbuf detail = STRBUF_INIT;

	if (jc->order.contact == NULL)
		return;
	if (install_notify(&jc->order, &jc->outcome, jc->run.cfg, &why) == 0)
		sb_appendf(&detail, "confirmation mailed to %s", jc->order.contact);
	else
		sb_appendf(&detail, "no confirmation mailed: %s", why.data);
	note_event(jc, "install_notify", detail.data);
	sb_free(&why);
	sb_free(&detail);
}

static int record_done(struct job_ctx *jc)
{
	struct strbuf detail = STRBUF_INIT;
	int rc;

	sb_appendf(&detail, "certificate %s installed into target %s%s", jc->outcome.sha256,
		   jc->run.target->name,
		   jc->outcome.unchanged ? " (the files already held it; nothing written, nothing run)" : "");
	rc = ledger_finish_install_job(jc->run.ledger, jc->job.id, JOB_DONE, 0, NULL);
	if (rc == 0)
		note_event(jc, "installed", detail.data);
	if (rc == 0 && jc->order.state != ORDER_INSTALLED
	    && ledger_set_order_state(jc->run.ledger, jc->order.id, ORDER_INSTALLED, detail.data) < 0)
		msg_warn("order %lld: %s", jc->order.id, ledger_error(jc->run.ledger));
	msg_info("order %lld: %s", jc->order.id, detail.data);
	sb_free(&detail);
	if (rc == 0)
		confirm_by_mail(jc);
	return rc;
}

/* record_failure - refused or failed: retry later, or give up */

static int record_failure(struct job_ctx *jc, int outcome, long long *next_try)
{
	const struct config *cfg = jc->run.cfg;
	struct strbuf detail = STRBUF_INIT;
	enum job_state state = JOB_FAILED;
	long long when = 0;
	int rc;

	if (outcome == INSTALL_RETRY && jc->job.attempts < cfg->install_max_attempts) {
		state = JOB_PENDING;
		when = backoff_next_try(jc->run.now, jc->job.attempts, cfg->install_retry_base);
		sb_appendf(&detail, "%s; next attempt in %lld s", jc->why.data, when - (long long) jc->run.now);
	} else if (outcome == INSTALL_RETRY) {
		sb_appendf(&detail, "%s; giving up after %d attempts", jc->why.data, jc->job.attempts);
	} else {
		sb_appendf(&detail, "%s; not retried", jc->why.data);
	}
	rc = ledger_finish_install_job(jc->run.ledger, jc->job.id, state, when, jc->why.data);
	if (rc == 0)
		note_event(jc, outcome == INSTALL_REFUSED ? "install_refused" : "install_failed", detail.data);
	if (rc == 0 && ledger_set_order_state(jc->run.ledger, jc->order.id, ORDER_INSTALL_FAILED,
					      jc->why.data) < 0)
		msg_warn("order %lld: %s", jc->order.id, ledger_error(jc->run.ledger));
	msg_warn("order %lld: install job %lld: %s", jc->order.id, jc->job.id, detail.data);
	if (state == JOB_PENDING)
		*next_try = when;
	sb_free(&detail);
	return rc;
}

static int attempt(struct job_ctx *jc)
{
	struct strbuf detail = STRBUF_INIT;
	int outcome;

	if (jc->run.target == NULL) {
		sb_appendf(&jc->why, "no [target %s] in %s", jc->order.target, jc->run.cfg->path);
		return INSTALL_RETRY;
	}
	sb_appendf(&detail, "installing certificate %s into target %s", jc->cert.sha256,
		   jc->run.target->name);
	note_event(jc, "install_attempt", detail.data);
	sb_free(&detail);
	outcome = install_attempt(&jc->run, &jc->order, &jc->cert, &jc->outcome, &jc->why);
	if (outcome != INSTALL_DONE && jc->why.len == 0)
		sb_appends(&jc->why, "failed for an unknown reason");
	return outcome;
}

int install_job_run(struct ledger *ledger, const struct config *cfg, long long job_id,
		            time_t now, long long stale_before, long long *next_try)
{
	struct job_ctx jc;
	int     outcome;
	int     rc;

	memset(&jc, 0, sizeof(jc));
	jc.run.ledger = ledger;
	jc.run.cfg = cfg;
	jc.run.now = now;
	rc = ledger_claim_install_job(ledger, job_id, (long long) now, stale_before);
	if (rc != 0)
		return rc == LEDGER_NOT_FOUND ? INSTALL_NOT_CLAIMED : -1;
	if ((rc = load_job(&jc, job_id)) != 0) {
		msg_error("install job %lld: %s", job_id,
			  rc == LEDGER_NOT_FOUND ? "its order or certificate is gone" : ledger_error(ledger));
		if (rc == LEDGER_NOT_FOUND)
			ledger_finish_install_job(ledger, job_id, JOB_FAILED, 0, "order or certificate missing");
		rc = -1;
		goto out;
	}
	outcome = attempt(&jc);
	rc = outcome == INSTALL_DONE ? record_done(&jc) : record_failure(&jc, outcome, next_try);
	if (rc == 0)
		rc = outcome;
out:
	install_job_clear(&jc.job);
	order_clear(&jc.order);
	cert_record_clear(&jc.cert);
	install_outcome_clear(&jc.outcome);
	sb_free(&jc.why);
	return rc;
}
