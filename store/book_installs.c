/*
 * NAME
 *	book_installs - the installer's jobs, in the order book
 * SYNOPSIS
 *	int book_install_add(ledger, order_id, sha256, request_id, not_before,
 *			     not_after, &job_id, &is_new)
 *	int book_install_get(ledger, id, struct install_job *job)
 *	int book_install_latest(ledger, order_id, job)
 *	int book_install_latest_done(ledger, order_id, job)
 *	int book_installs_due(ledger, now, mine_prefix, installer, max,
 *			      long long **ids, size_t *count)
 *	int book_installs_next_due(ledger, installer, long long *when)
 *	int book_install_claim(ledger, id, now, lease, who, mine_prefix)
 *	int book_install_finish(ledger, id, state, next_try, last_error)
 *	int book_install_retry_now(ledger, id, now)
 *	int book_each_latest_install(ledger, fn, ctx)
 * DESCRIPTION
 *	The intake only asks ("certificate X for order N", install_requests);
 *	what the installer does about it is root's and lives here, one job
 *	per order and certificate: installing the same certificate again is
 *	a no-op.  An installer sees only the jobs of the targets it serves
 *	(its heartbeat, book_installers.c).  It claims a job (running, one
 *	more attempt, a lease until now + lease seconds, its name
 *	"HOST:CONFIGURATION:PID") before working on it; a job whose lease
 *	ran out (its installer died) is due again, and so is one claimed by
 *	an earlier run of the same installer when the caller holds its lock
 *	(install_lock.c): it is installed exactly once.
 *	book_installs_next_due() is when the next of its jobs falls due (a
 *	retry, or a lease that runs out), 0 for none: a job left by another
 *	host wakes no one, so the installer sets its own alarm.  The dates of
 *	the certificate are kept with the job: they decide which certificate
 *	is newer, and what expires.  book_install_retry_now() makes a job
 *	that waits for its retry, or one that failed, due now (the operator's
 *	install --retry); a refused, running or done one is not changed
 *	(LEDGER_NOT_FOUND).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

static const char *const install_state_names[] = {
	[INSTALL_JOB_PENDING] = "pending",
	[INSTALL_JOB_RUNNING] = "running",
	[INSTALL_JOB_DONE] = "done",
	[INSTALL_JOB_FAILED] = "failed",
	[INSTALL_JOB_REFUSED] = "refused",
};

#define JOB_COLUMNS "id, order_id, cert_sha256, request_id, state, attempts, next_try, " \
	"lease_until, claimed_by, last_error, not_before, not_after, created_at, updated_at, " \
	"leaf_pem, chain_pem"

const char *install_state_name(enum install_state state)
{
	if ((int) state < 0 || (int) state > INSTALL_JOB_REFUSED)
		return "unknown";
	return install_state_names[state];
}

static enum install_state install_state_from_name(const char *name)
{
	int     i;

	for (i = 0; i <= INSTALL_JOB_REFUSED; i++)
		if (name && strcmp(name, install_state_names[i]) == 0)
			return (enum install_state) i;
	return INSTALL_JOB_FAILED;
}

void install_job_clear(struct install_job *job)
{
	free(job->cert_sha256);
	free(job->claimed_by);
	free(job->last_error);
	free(job->leaf_pem);
	free(job->chain_pem);
	memset(job, 0, sizeof(*job));
}

static void job_from_row(struct db_stmt *st, void *out)
{
	struct install_job *job = out;

	memset(job, 0, sizeof(*job));
	job->id = db_int(st, 0);
	job->order_id = db_int(st, 1);
	job->cert_sha256 = db_strdup(st, 2);
	job->request_id = db_int(st, 3);
	job->state = install_state_from_name(db_text(st, 4));
	job->attempts = (int) db_int(st, 5);
	job->next_try = db_int(st, 6);
	job->lease_until = db_int(st, 7);
	job->claimed_by = db_strdup(st, 8);
	job->last_error = db_strdup(st, 9);
	job->not_before = db_int(st, 10);
	job->not_after = db_int(st, 11);
	job->created_at = db_int(st, 12);
	job->updated_at = db_int(st, 13);
	job->leaf_pem = db_strdup(st, 14);
	job->chain_pem = db_strdup(st, 15);
}

int book_install_add(struct ledger *ledger, const struct install_job *job, long long *job_id,
		     int *is_new)
{
	struct db_stmt *st;
	long long now = ledger_now();
	int     found;
	int     rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO book.installs (order_id, cert_sha256, request_id, "
			"state, attempts, next_try, not_before, not_after, leaf_pem, chain_pem, created_at, "
			"updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $6, $7, $8, $4, $4) "
			"ON CONFLICT (order_id, cert_sha256) DO NOTHING RETURNING id");
	db_bind_int(st, 1, job->order_id);
	db_bind_text(st, 2, job->cert_sha256);
	db_bind_int(st, 3, job->request_id);
	db_bind_int(st, 4, now);
	db_bind_int(st, 5, job->not_before);
	db_bind_int(st, 6, job->not_after);
	db_bind_text(st, 7, job->leaf_pem);
	db_bind_text(st, 8, job->chain_pem ? job->chain_pem : "");
	rc = ledger_returning_id(ledger, st, job_id, &found, "adding an install job");
	if (rc == 0 && found) {
		*is_new = 1;
	} else if (rc == 0) {
		st = db_prepare(ledger->db, "SELECT id FROM book.installs WHERE order_id = $1 "
				"AND cert_sha256 = $2");
		db_bind_int(st, 1, job->order_id);
		db_bind_text(st, 2, job->cert_sha256);
		rc = ledger_returning_id(ledger, st, job_id, &found, "reading an install job");
		if (rc == 0 && !found)
			rc = ledger_refuse(ledger, "install job of order %lld vanished", job->order_id);
	}
	return ledger_write_end(ledger, rc);
}

int book_install_get(struct ledger *ledger, long long id, struct install_job *job)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " JOB_COLUMNS " FROM book.installs "
					"WHERE id = $1");

	db_bind_int(st, 1, id);
	return ledger_first(ledger, st, job_from_row, job, "reading an install job");
}

int book_install_latest(struct ledger *ledger, long long order_id, struct install_job *job)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " JOB_COLUMNS " FROM book.installs "
					"WHERE order_id = $1 ORDER BY id DESC LIMIT 1");

	db_bind_int(st, 1, order_id);
	return ledger_first(ledger, st, job_from_row, job, "reading an install job");
}

int book_install_latest_done(struct ledger *ledger, long long order_id, struct install_job *job)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " JOB_COLUMNS " FROM book.installs "
					"WHERE order_id = $1 AND state = 'done' "
					"ORDER BY not_after DESC, id DESC LIMIT 1");

	db_bind_int(st, 1, order_id);
	return ledger_first(ledger, st, job_from_row, job, "reading an install job");
}

int book_install_by_cert(struct ledger *ledger, const char *sha256, struct install_job *job)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT " JOB_COLUMNS " FROM book.installs "
					"WHERE cert_sha256 = $1 ORDER BY (state = 'done') DESC, id DESC LIMIT 1");

	db_bind_text(st, 1, sha256);
	return ledger_first(ledger, st, job_from_row, job, "reading an install job");
}

static void id_from_row(struct db_stmt *st, void *out)
{
	*(long long *) out = db_int(st, 0);
}

int book_installs_due(struct ledger *ledger, long long now, const char *mine_prefix,
		      const char *installer, size_t max, long long **ids, size_t *count)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "SELECT i.id FROM book.installs i JOIN book.orders o "
			"ON o.id = i.order_id JOIN book.installer_targets t ON t.installer = $3 "
			"AND t.target = o.target WHERE "
			"(i.state = 'pending' AND i.next_try <= $1) OR (i.state = 'running' AND "
			"(i.lease_until < $1 OR substr(i.claimed_by, 1, length($2)) = $2)) "
			"ORDER BY i.next_try, i.id");
	db_bind_int(st, 1, now);
	db_bind_text(st, 2, mine_prefix ? mine_prefix : "\001");
	db_bind_text(st, 3, installer);
	return ledger_collect(ledger, st, id_from_row, sizeof(long long), max, (void **) ids, count,
			      "listing due install jobs");
}

int book_installs_next_due(struct ledger *ledger, const char *installer, long long *when)
{
	struct db_stmt *st;

	*when = 0;
	st = db_prepare(ledger->db, "SELECT min(CASE WHEN i.state = 'pending' THEN i.next_try "
			"ELSE i.lease_until + 1 END) FROM book.installs i JOIN book.orders o "
			"ON o.id = i.order_id JOIN book.installer_targets t ON t.installer = $1 "
			"AND t.target = o.target WHERE i.state IN ('pending', 'running')");
	db_bind_text(st, 1, installer);
	return ledger_first(ledger, st, id_from_row, when, "finding the next install job due") < 0 ? -1 : 0;
}

int book_install_claim(struct ledger *ledger, long long id, long long now, int lease,
		       const char *who, const char *mine_prefix)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE book.installs SET state = 'running', "
			"attempts = attempts + 1, lease_until = $3, claimed_by = $4, updated_at = $2 "
			"WHERE id = $1 AND ((state = 'pending' AND next_try <= $2) "
			"OR (state = 'running' AND (lease_until < $2 OR "
			"substr(claimed_by, 1, length($5)) = $5)))");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, now + lease);
	db_bind_text(st, 4, who);
	db_bind_text(st, 5, mine_prefix ? mine_prefix : "\001");
	rc = ledger_run(ledger, st, "claiming an install job");
	if (rc == 0 && db_changes(ledger->db) == 0)
		rc = LEDGER_NOT_FOUND;
	return ledger_write_end(ledger, rc);
}

int book_install_finish(struct ledger *ledger, long long id, enum install_state state,
			long long next_try, const char *last_error)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE book.installs SET state = $2, next_try = $3, "
			"last_error = $4, lease_until = 0, updated_at = $5 WHERE id = $1");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, install_state_name(state));
	db_bind_int(st, 3, next_try);
	db_bind_text(st, 4, last_error);
	db_bind_int(st, 5, ledger_now());
	rc = ledger_run(ledger, st, "finishing an install job");
	return ledger_write_end(ledger, rc);
}

int book_install_retry_now(struct ledger *ledger, long long id, long long now)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE book.installs SET state = 'pending', next_try = $2, "
			"updated_at = $2 WHERE id = $1 AND state IN ('pending', 'failed')");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	rc = ledger_run(ledger, st, "making an install job due now");
	if (rc == 0 && db_changes(ledger->db) == 0)
		rc = LEDGER_NOT_FOUND;
	return ledger_write_end(ledger, rc);
}

/* Every order's newest job ------------------------------------------------ */

struct each_install {
	int     (*fn) (void *ctx, const struct order *order, const struct install_job *job);
	void   *ctx;
};

static int call_with_install(void *ctx, struct db_stmt *st)
{
	struct each_install *each = ctx;
	struct install_job job;
	struct order order;
	int     stop;

	order_from_row(st, &order);
	memset(&job, 0, sizeof(job));
	job.id = db_int(st, ORDER_COLUMN_COUNT);
	job.cert_sha256 = db_strdup(st, ORDER_COLUMN_COUNT + 1);
	job.state = install_state_from_name(db_text(st, ORDER_COLUMN_COUNT + 2));
	job.not_before = db_int(st, ORDER_COLUMN_COUNT + 3);
	job.not_after = db_int(st, ORDER_COLUMN_COUNT + 4);
	job.order_id = order.id;
	stop = each->fn(each->ctx, &order, &job);
	install_job_clear(&job);
	order_clear(&order);
	return stop;
}

int book_each_latest_install(struct ledger *ledger,
			     int (*fn) (void *ctx, const struct order *order,
					const struct install_job *job), void *ctx)
{
	struct each_install each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS ", i.id, i.cert_sha256, i.state, "
			"i.not_before, i.not_after FROM book.orders o JOIN book.installs i "
			"ON i.id = (SELECT max(i2.id) FROM book.installs i2 WHERE i2.order_id = o.id) "
			"WHERE o.status IN ('open', 'installed') ORDER BY o.id");
	rc = ledger_each_row(ledger, st, call_with_install, &each, "listing installs");
	return rc < 0 ? -1 : 0;
}

/* Answers to the intake's install requests ----------------------------------- */

int book_request_answered(struct ledger *ledger, long long request_id, long long order_id,
			  const char *cert_sha256)
{
	struct db_stmt *st;
	long long one = 0;
	int     rc;

	st = db_prepare(ledger->db, "SELECT 1 FROM book.request_answers WHERE request_id = $1 "
			"AND order_id = $2 AND cert_sha256 = $3");
	db_bind_int(st, 1, request_id);
	db_bind_int(st, 2, order_id);
	db_bind_text(st, 3, cert_sha256);
	rc = ledger_first(ledger, st, id_from_row, &one, "reading an answer to a request");
	return rc < 0 ? -1 : rc == 0;
}

int book_answer_request(struct ledger *ledger, long long request_id, long long order_id,
			const char *cert_sha256, long long job_id)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO book.request_answers (request_id, order_id, "
			"cert_sha256, answered_at, job_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING");
	db_bind_int(st, 1, request_id);
	db_bind_int(st, 2, order_id);
	db_bind_text(st, 3, cert_sha256);
	db_bind_int(st, 4, ledger_now());
	if (job_id > 0)
		db_bind_int(st, 5, job_id);
	else
		db_bind_text(st, 5, NULL);
	rc = ledger_run(ledger, st, "recording the answer to a request");
	return ledger_write_end(ledger, rc);
}
