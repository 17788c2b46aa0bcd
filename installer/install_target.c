/*
 * NAME
 *	install_target - write a target's files, test, reload, or roll back
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_into_target(const struct install_run *run,
 *				const struct install_plan *plan,
 *				int *unchanged, struct strbuf *why)
 * DESCRIPTION
 *	Installs a verified plan (install_plan.c) into run->target:
 *
 *	1. The previous files are kept as a backup set (backup_set.c), or
 *	   the open set of an attempt that died is taken up again.
 *	2. When no attempt died half-way and every file already holds the
 *	   planned bytes, nothing is written and nothing run: *unchanged is
 *	   set and the install is done (a certificate is installed once).
 *	3. Each file is replaced atomically (file_write.c).
 *	4. test_command, then reload_command, if the target has them, each
 *	   with [installer] command_timeout, a clean environment and as the
 *	   target's run_as user (run_command.c); each run is an
 *	   "install_command" event of the order with its outcome and output.
 *	5. If writing, the test or the reload fails: the backup set is
 *	   restored byte for byte and, when the reload had run (or an
 *	   attempt that died may have run it), reload_command runs again so
 *	   the server serves the old files.
 *
 *	Returns INSTALL_DONE, or INSTALL_RETRY with the reason in why.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "install.h"
#include "msg.h"
#include "printable.h"

#define MAX_SHOWN_COMMAND	200	/* bytes of a command line in an event */

static void printable_copy(struct strbuf *out, const char *text, size_t len, size_t max)
{
	printable_append(out, text, len, max, PRINTABLE_ASCII | PRINTABLE_SPACES | PRINTABLE_ELLIPSIS);
}

static void command_line(const struct strlist *argv, struct strbuf *out)
{
	struct strbuf line = STRBUF_INIT;
	size_t i;

	for (i = 0; i < argv->count; i++)
		sb_appendf(&line, "%s%s", i ? " " : "", argv->items[i]);
	printable_copy(out, sb_str(&line), line.len, MAX_SHOWN_COMMAND);
	sb_free(&line);
}

/* run_step - one configured command, recorded; 0 or -1 with why */

static int run_step(const struct install_run *run, const char *what, const struct strlist *argv,
		            struct strbuf *why)
{
	struct command_spec spec;
	struct command_result res;
	struct strbuf detail = STRBUF_INIT;
	struct strbuf outcome = STRBUF_INIT;
	int rc;

	if (argv->count == 0)
		return 0;
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.timeout = run->cfg->command_timeout;
	spec.run_as = run->target->run_as;
	rc = run_command(&spec, &res);
	command_result_describe(&res, &outcome);
	sb_appendf(&detail, "job %lld attempt %d: %s ", run->job_id, run->attempt, what);
	command_line(argv, &detail);
	sb_appendf(&detail, ": %s", outcome.data);
	if (res.output.len) {
		sb_appends(&detail, "; output: ");
		printable_copy(&detail, res.output.data, res.output.len, INSTALL_EVENT_OUTPUT);
	}
	if (book_add_event(run->ledger, run->order_id, "install_command", "%s", detail.data) < 0)
		msg_warn("order %lld: cannot record an event: %s", run->order_id,
			 ledger_error(run->ledger));
	if (rc < 0)
		sb_appendf(why, "%s %s", what, outcome.data);
	command_result_clear(&res);
	sb_free(&detail);
	sb_free(&outcome);
	return rc;
}

static int write_plan(const struct install_plan *plan, struct strbuf *why)
{
	const struct install_file *f;
	size_t i;

	for (i = 0; i < plan->count; i++) {
		f = &plan->files[i];
		if (file_write_atomic(f->path, sb_str(&f->content), f->content.len, f->mode,
				      plan->uid, plan->gid, why) < 0)
			return -1;
	}
	return 0;
}

/* roll_back - the old files again, reloaded when the server may have
 * read the new ones; the set stays open when restoring failed */

static void roll_back(const struct install_run *run, const struct backup_set *set,
		              const struct install_plan *plan, int reload, struct strbuf *why)
{
	struct strbuf more = STRBUF_INIT;

	if (backup_set_restore(set, plan, &more) < 0) {
		sb_appendf(why, "; restoring the previous files FAILED: %s", more.data);
		msg_error("order %lld: restoring the previous files of [target %s] failed: %s",
			  run->order_id, run->target->name, more.data);
		sb_free(&more);
		return;
	}
	sb_appends(why, "; previous files restored");
	if (reload && run->target->reload_command.count > 0) {
		if (run_step(run, "reload_command (after restoring)", &run->target->reload_command, &more) < 0)
			sb_appendf(why, ", but %s", more.data);
		else
			sb_appends(why, " and reloaded");
	}
	sb_reset(&more);
	if (backup_set_close(set, &more) < 0)
		msg_warn("order %lld: %s", run->order_id, more.data);
	sb_free(&more);
}

int install_into_target(const struct install_run *run, const struct install_plan *plan,
			        int *unchanged, struct strbuf *why)
{
	const struct target_config *target = run->target;
	struct backup_set set;
	struct strbuf more = STRBUF_INIT;
	int rc = INSTALL_RETRY;

	*unchanged = 0;
	if (backup_set_open(run->cfg->state_dir, target, run->job_id, plan, &set, why) < 0) {
		backup_set_free(&set);
		return INSTALL_RETRY;
	}
	if (!set.reused && install_plan_in_place(plan)) {
		*unchanged = 1;
		rc = INSTALL_DONE;
	} else if (write_plan(plan, why) < 0) {
		roll_back(run, &set, plan, set.reused, why);
	} else if (run_step(run, "test_command", &target->test_command, why) < 0) {
		roll_back(run, &set, plan, set.reused, why);
	} else if (run_step(run, "reload_command", &target->reload_command, why) < 0) {
		roll_back(run, &set, plan, 1, why);
	} else {
		rc = INSTALL_DONE;
	}
	if (rc == INSTALL_DONE && backup_set_close(&set, &more) < 0)
		msg_warn("order %lld: %s", run->order_id, more.data);
	sb_free(&more);
	backup_set_free(&set);
	return rc;
}
