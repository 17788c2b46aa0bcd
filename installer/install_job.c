/*
 * NAME
 *	install_job - one install job, from claim to outcome, in the book
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_job_run(struct ledger *ledger, const struct config *cfg,
 *			    long long job_id, time_t now, long long *next_try)
 * DESCRIPTION
 *	install_job_run() claims the job (running, one more attempt, a lease
 *	of [installer] lease seconds in this installer's name), reads its
 *	order from the book and the order's target from the configuration,
 *	makes one attempt (install_attempt.c) and records the outcome:
 *
 *	done: the job is done, the order installed (and the order it renews
 *	superseded: its reminders stop), the contact gets a confirmation
 *	mail (a mail that cannot be sent is an event; the install stays
 *	done).
 *
 *	refused (the certificate is wrong, older than what is installed, or
 *	the order closed; nothing was written): the job is refused at once,
 *	and the operator is told once.
 *
 *	retry (a file, a command, the rollback, the key): the job pending
 *	again at backoff_next_try(), [installer] retry_base seconds doubled
 *	per attempt; after [installer] max_attempts attempts it failed, and
 *	the operator is told once, with the reason.
 *
 *	Every attempt is an "install_attempt" event of the book, its outcome
 *	one of "installed", "install_refused", "install_failed".
 *
 *	Returns the outcome (INSTALL_DONE, INSTALL_REFUSE, INSTALL_RETRY),
 *	INSTALL_NOT_CLAIMED when the job was not due or another installer
 *	took it, -1 on a ledger error.  *next_try is set when the job will be
 *	tried again.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "install.h"
#include "msg.h"

/* One claimed job and what it is about. */
struct job_ctx {
	struct install_run run;
	struct install_job job;
	struct order order;
	struct install_outcome outcome;
	struct strbuf why;
};

const char *installer_host(void)
{
	static char host[256];

	if (host[0] == 0 && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	return host;
}

const char *installer_name(const struct config *cfg)
{
	static char name[INSTALLER_NAME_MAX];
	char   *path = realpath(cfg->path, NULL);	/* two "-c mailcert.conf" are two */

	snprintf(name, sizeof(name), "%s:%s", installer_host(), path ? path : cfg->path);
	free(path);
	return name;
}

const char *installer_claimant(const struct config *cfg)
{
	static char claimant[INSTALLER_NAME_MAX + 32];

	snprintf(claimant, sizeof(claimant), "%s:%ld", installer_name(cfg), (long) getpid());
	return claimant;
}

const char *installer_mine_prefix(const struct config *cfg)
{
	static char prefix[INSTALLER_NAME_MAX + 1];

	snprintf(prefix, sizeof(prefix), "%s:", installer_name(cfg));
	return prefix;
}

static void note_event(struct job_ctx *jc, const char *kind, const char *detail)
{
	if (book_add_event(jc->run.ledger, jc->order.id, kind, "job %lld attempt %d: %s",
			   jc->job.id, jc->job.attempts, detail) < 0)
		msg_warn("order %lld: cannot record an event: %s", jc->order.id,
			 ledger_error(jc->run.ledger));
}

static int load_job(struct job_ctx *jc, long long job_id)
{
	struct ledger *ledger = jc->run.ledger;
	int     rc;

	if ((rc = book_install_get(ledger, job_id, &jc->job)) != 0)
		return rc;
	if ((rc = book_get_order(ledger, jc->job.order_id, &jc->order)) != 0)
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
		sb_appendf(&detail, "no confirmation mailed: %s", sb_str(&why));
	note_event(jc, "install_notify", sb_str(&detail));
	sb_free(&why);
	sb_free(&detail);
}

/* supersede_predecessor - the order this one renews is done with, in the
 * transaction that records the install (one closed already stays so) */

static int supersede_predecessor(struct job_ctx *jc)
{
	struct strbuf reason = STRBUF_INIT;
	struct order pred;
	int     rc;

	if (jc->order.predecessor <= 0)
		return 0;
	memset(&pred, 0, sizeof(pred));
	if ((rc = book_get_order(jc->run.ledger, jc->order.predecessor, &pred)) != 0)
		return rc == LEDGER_NOT_FOUND ? 0 : -1;
	if (pred.status == BOOK_OPEN || pred.status == BOOK_INSTALLED) {
		sb_appendf(&reason, "its renewal, order %lld, is installed", jc->order.id);
		rc = book_close_order(jc->run.ledger, pred.id, BOOK_SUPERSEDED, sb_str(&reason),
				      "the installer");
		sb_free(&reason);
	}
	order_clear(&pred);
	return rc;
}

static int record_done(struct job_ctx *jc)
{
	struct strbuf detail = STRBUF_INIT;
	int     rc;

	sb_appendf(&detail, "certificate %s installed into target %s%s", jc->outcome.sha256,
		   jc->run.target->name, jc->outcome.unchanged
		   ? " (the files already held it; nothing written, nothing run)" : "");
	if (ledger_begin(jc->run.ledger) < 0)
		return -1;
	rc = book_install_finish(jc->run.ledger, jc->job.id, INSTALL_JOB_DONE, 0, NULL);
	if (rc == 0 && jc->order.status == BOOK_OPEN)
		rc = book_close_order(jc->run.ledger, jc->order.id, BOOK_INSTALLED, sb_str(&detail),
				      "the installer");
	else if (rc == 0)
		rc = book_add_event(jc->run.ledger, jc->order.id, "installed", "job %lld attempt %d: %s",
				    jc->job.id, jc->job.attempts, sb_str(&detail));
	if (rc == 0)
		rc = supersede_predecessor(jc);
	if (rc < 0) {
		ledger_rollback(jc->run.ledger);
		sb_free(&detail);
		return -1;
	}
	if ((rc = ledger_commit(jc->run.ledger)) < 0) {
		sb_free(&detail);
		return -1;
	}
	msg_info("order %lld: %s", jc->order.id, sb_str(&detail));
	sb_free(&detail);
	confirm_by_mail(jc);
	return 0;
}

static void tell_operator(struct job_ctx *jc, const char *detail)
{
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	char    ref[64];

	snprintf(ref, sizeof(ref), "job %lld", jc->job.id);
	sb_appendf(&subject, "[mailcert] install of order %lld (%s) failed", jc->order.id,
		   jc->order.domain);
	sb_appendf(&body, "The certificate of mailcert order %lld (%s) was not installed into\n"
		   "target %s, and mailcert will not try again:\n\n  %s\n\n"
		   "The previous files, if any, are in place.  See: mailcert show %lld\n",
		   jc->order.id, jc->order.domain, jc->order.target, detail, jc->order.id);
	notify_operator_once(jc->run.ledger, jc->run.cfg, "install_failed", ref, subject.data,
			     body.data);
	sb_free(&subject);
	sb_free(&body);
}

/* record_failure - refused or failed: retry later, or give up */

static int record_failure(struct job_ctx *jc, int outcome, long long *next_try)
{
	const struct config *cfg = jc->run.cfg;
	struct strbuf detail = STRBUF_INIT;
	enum install_state state = outcome == INSTALL_REFUSE ? INSTALL_JOB_REFUSED : INSTALL_JOB_FAILED;
	long long when = 0;
	int     rc;

	if (outcome == INSTALL_RETRY && jc->job.attempts < cfg->install_max_attempts) {
		state = INSTALL_JOB_PENDING;
		when = backoff_next_try(jc->run.now, jc->job.attempts, cfg->install_retry_base);
		sb_appendf(&detail, "%s; next attempt in %lld s", sb_str(&jc->why),
			   when - (long long) jc->run.now);
	} else if (outcome == INSTALL_RETRY) {
		sb_appendf(&detail, "%s; giving up after %d attempts", sb_str(&jc->why), jc->job.attempts);
	} else {
		sb_appendf(&detail, "%s; not retried", sb_str(&jc->why));
	}
	rc = book_install_finish(jc->run.ledger, jc->job.id, state, when, sb_str(&jc->why));
	if (rc == 0)
		note_event(jc, outcome == INSTALL_REFUSE ? "install_refused" : "install_failed",
			   sb_str(&detail));
	msg_warn("order %lld: install job %lld: %s", jc->order.id, jc->job.id, sb_str(&detail));
	if (state == INSTALL_JOB_PENDING)
		*next_try = when;
	else if (rc == 0)
		tell_operator(jc, sb_str(&detail));
	sb_free(&detail);
	return rc;
}

static int attempt(struct job_ctx *jc)
{
	struct strbuf detail = STRBUF_INIT;
	int     outcome;

	if (jc->order.status != BOOK_OPEN && jc->order.status != BOOK_INSTALLED) {
		sb_appendf(&jc->why, "order %lld is %s", jc->order.id, book_status_name(jc->order.status));
		return INSTALL_REFUSE;
	}
	if (jc->run.target == NULL) {
		sb_appendf(&jc->why, "no [target %s] in %s", jc->order.target, jc->run.cfg->path);
		return INSTALL_RETRY;
	}
	sb_appendf(&detail, "installing certificate %s into target %s (installer %s)", jc->job.cert_sha256,
		   jc->run.target->name, installer_name(jc->run.cfg));
	note_event(jc, "install_attempt", sb_str(&detail));
	sb_free(&detail);
	outcome = install_attempt(&jc->run, &jc->order, &jc->job, &jc->outcome, &jc->why);
	if (outcome != INSTALL_DONE && jc->why.len == 0)
		sb_appends(&jc->why, "failed for an unknown reason");
	return outcome;
}

int install_job_run(struct ledger *ledger, const struct config *cfg, long long job_id,
		    time_t now, long long *next_try)
{
	struct job_ctx jc;
	int     outcome;
	int     rc;

	memset(&jc, 0, sizeof(jc));
	jc.run.ledger = ledger;
	jc.run.cfg = cfg;
	jc.run.now = now;
	rc = book_install_claim(ledger, job_id, (long long) now, cfg->install_lease,
				installer_claimant(cfg), installer_mine_prefix(cfg));
	if (rc != 0)
		return rc == LEDGER_NOT_FOUND ? INSTALL_NOT_CLAIMED : -1;
	if ((rc = load_job(&jc, job_id)) != 0) {
		msg_error("install job %lld: %s", job_id,
			  rc == LEDGER_NOT_FOUND ? "its order is gone" : ledger_error(ledger));
		if (rc == LEDGER_NOT_FOUND)
			book_install_finish(ledger, job_id, INSTALL_JOB_REFUSED, 0, "the order is gone");
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
	install_outcome_clear(&jc.outcome);
	sb_free(&jc.why);
	return rc;
}
