/*
 * NAME
 *	ledger_jobs - durable install jobs
 * SYNOPSIS
 *	int ledger_add_install_job(ledger, order_id, certificate_id, &job_id, &is_new)
 *	int ledger_get_install_job(ledger, id, struct install_job *job)
 *	int ledger_latest_install_job(ledger, order_id, struct install_job *job)
 *	int ledger_due_install_jobs(ledger, now, long long **ids, size_t *count)
 *	int ledger_claim_install_job(ledger, id, now, stale_before)
 *	int ledger_finish_install_job(ledger, id, state, next_try, last_error)
 * DESCRIPTION
 *	The milter adds a job in the same transaction that records the
 *	certificate, so a certificate is never issued without its job.  There
 *	is one job per certificate: installing the same certificate again is
 *	a no-op.  An installer claims a job (pending -> running, one more
 *	attempt) before working on it; a job left running by an installer
 *	that died is due again once its update is older than stale_before.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

static const char *const job_state_names[] = {
	[JOB_PENDING] = "pending",
	[JOB_RUNNING] = "running",
	[JOB_DONE] = "done",
	[JOB_FAILED] = "failed",
};

#define JOB_COLUMNS "id, order_id, certificate_id, state, attempts, next_try, last_error, " \
	"created_at, updated_at"

const char *job_state_name(enum job_state state)
{
	if ((int) state < 0 || (int) state > JOB_FAILED)
		return "unknown";
	return job_state_names[state];
}

static enum job_state job_state_from_name(const char *name)
{
	int i;

	for (i = 0; i <= JOB_FAILED; i++)
		if (name && strcmp(name, job_state_names[i]) == 0)
			return (enum job_state) i;
	return JOB_FAILED;
}

void install_job_clear(struct install_job *job)
{
	free(job->last_error);
	memset(job, 0, sizeof(*job));
}

int ledger_add_install_job(struct ledger *ledger, long long order_id, long long certificate_id,
			           long long *job_id, int *is_new)
{
	sqlite3_stmt *stmt;
	long long now = ledger_now();
	int rc;

	*is_new = 0;
	if (ledger_write_begin(ledger) < 0)
		return -1;
	stmt = ledger_prepare(ledger, "INSERT OR IGNORE INTO install_jobs (order_id, certificate_id, "
			      "state, attempts, next_try, created_at, updated_at) "
			      "VALUES (?1, ?2, 'pending', 0, ?3, ?3, ?3)");
	if (stmt == NULL)
		return ledger_write_end(ledger, -1);
	sqlite3_bind_int64(stmt, 1, order_id);
	sqlite3_bind_int64(stmt, 2, certificate_id);
	sqlite3_bind_int64(stmt, 3, now);
	rc = ledger_step_done(ledger, stmt, "adding an install job");
	ledger_release(ledger, stmt);
	if (rc == 0)
		*is_new = sqlite3_changes(ledger->db) > 0;
	if (rc == 0) {
		stmt = ledger_prepare(ledger, "SELECT id FROM install_jobs WHERE certificate_id = ?1");
		rc = -1;
		if (stmt) {
			sqlite3_bind_int64(stmt, 1, certificate_id);
			if (sqlite3_step(stmt) == SQLITE_ROW) {
				*job_id = sqlite3_column_int64(stmt, 0);
				rc = 0;
			} else {
				ledger_fail(ledger, "reading an install job");
			}
			ledger_release(ledger, stmt);
		}
	}
	return ledger_write_end(ledger, rc);
}

static void job_from_row(sqlite3_stmt *stmt, void *out)
{
	struct install_job *job = out;

	memset(job, 0, sizeof(*job));
	job->id = sqlite3_column_int64(stmt, 0);
	job->order_id = sqlite3_column_int64(stmt, 1);
	job->certificate_id = sqlite3_column_int64(stmt, 2);
	job->state = job_state_from_name((const char *) sqlite3_column_text(stmt, 3));
	job->attempts = sqlite3_column_int(stmt, 4);
	job->next_try = sqlite3_column_int64(stmt, 5);
	job->last_error = column_strdup(stmt, 6);
	job->created_at = sqlite3_column_int64(stmt, 7);
	job->updated_at = sqlite3_column_int64(stmt, 8);
}

int ledger_get_install_job(struct ledger *ledger, long long id, struct install_job *job)
{
	return ledger_select_row(ledger, "SELECT " JOB_COLUMNS " FROM install_jobs WHERE id = ?1",
				 id, job_from_row, job, "an install job");
}

int ledger_latest_install_job(struct ledger *ledger, long long order_id, struct install_job *job)
{
	return ledger_select_row(ledger, "SELECT " JOB_COLUMNS " FROM install_jobs "
				 "WHERE order_id = ?1 ORDER BY id DESC LIMIT 1", order_id,
				 job_from_row, job, "an install job");
}

int ledger_due_install_jobs(struct ledger *ledger, long long now, long long **ids, size_t *count)
{
	sqlite3_stmt *stmt;
	long long *list = NULL;
	size_t n = 0;
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*count = 0;
	stmt = ledger_prepare(ledger, "SELECT id FROM install_jobs WHERE state IN "
			      "('pending', 'running') AND next_try <= ?1 ORDER BY next_try, id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[n++] = sqlite3_column_int64(stmt, 0);
	}
	ledger_release(ledger, stmt);
	if (rc != SQLITE_DONE) {
		free(list);
		return ledger_fail(ledger, "listing due install jobs");
	}
	*ids = list;
	*count = n;
	return 0;
}

int ledger_claim_install_job(struct ledger *ledger, long long id, long long now,
			             long long stale_before)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "UPDATE install_jobs SET state = 'running', "
			      "attempts = attempts + 1, updated_at = ?2 WHERE id = ?1 AND "
			      "next_try <= ?2 AND (state = 'pending' OR "
			      "(state = 'running' AND updated_at < ?3))");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, stale_before);
	if (ledger_write_begin(ledger) < 0) {
		ledger_release(ledger, stmt);
		return -1;
	}
	rc = ledger_step_done(ledger, stmt, "claiming an install job");
	ledger_release(ledger, stmt);
	if (rc == 0 && sqlite3_changes(ledger->db) == 0)
		rc = LEDGER_NOT_FOUND;
	return ledger_write_end(ledger, rc);
}

int ledger_finish_install_job(struct ledger *ledger, long long id, enum job_state state,
			              long long next_try, const char *last_error)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "UPDATE install_jobs SET state = ?2, next_try = ?3, "
			      "last_error = ?4, updated_at = ?5 WHERE id = ?1");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	bind_text(stmt, 2, job_state_name(state));
	sqlite3_bind_int64(stmt, 3, next_try);
	bind_text(stmt, 4, last_error);
	sqlite3_bind_int64(stmt, 5, ledger_now());
	if (ledger_write_begin(ledger) < 0) {
		ledger_release(ledger, stmt);
		return -1;
	}
	rc = ledger_step_done(ledger, stmt, "finishing an install job");
	ledger_release(ledger, stmt);
	return ledger_write_end(ledger, rc);
}
