/*
 * NAME
 *	installer_loop - run the installer once or as a daemon
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_run_due(struct ledger *ledger, const struct config *cfg,
 *			    time_t now, int *failed, long long *next_due)
 *	int install_pending(struct ledger *ledger, const struct config *cfg,
 *			    const char *self, int *ran, int *failed)
 *	int install_watch(struct ledger *ledger, const struct config *cfg,
 *			  const char *self)
 * DESCRIPTION
 *	install_pending() is "mailcert install --pending": it takes the
 *	installer lock of this host (install_lock.c, waiting for another
 *	installer's pass to end), takes the intake's new install requests
 *	into the book (install_requests.c), and runs the jobs due now, at
 *	most INSTALL_BATCH of them (install_run_due()).  *ran counts the
 *	jobs run, *failed those that did not install.
 *
 *	install_watch() is "mailcert install --watch", the daemon.  It binds
 *	the datagram socket [installer] wake_socket (in a directory that
 *	must exist: /run/mailcert/installer, made by systemd), and on every
 *	pass does what install_pending() does, and at most every [expiry]
 *	interval seconds the expiry watch (expiry.c).  Between passes it
 *	waits with poll() for a datagram from the intake, at most
 *	[installer] poll_interval seconds or until the next retry is due;
 *	with PostgreSQL also for a notification of a new install request or
 *	job from any host (LISTEN).  Whatever wakes it, a pass starts at most
 *	once a second (wake_wait()): a flood of datagrams costs nothing.
 *	SIGTERM and SIGINT end it after the job at hand; the socket is
 *	removed.  Returns 0, or 1 when the socket cannot be set up.
 *
 *	The installer has no network and parses no mail: it never runs the
 *	approver, which is a daemon of its own, as its own user.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install.h"
#include "msg.h"
#include "reload.h"
#include "wake.h"

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void) sig;
	stop_requested = 1;
}

/* beat - this installer's heartbeat: who it is, which targets it serves
 * (the due jobs it takes are theirs) */

static int beat(struct ledger *ledger, const struct config *cfg)
{
	static long long started_at;
	struct installer_record r;
	struct strlist targets = STRLIST_INIT;
	struct strbuf words = STRBUF_INIT;
	const struct target_config *t;
	int     rc;

	if (started_at == 0)
		started_at = (long long) time(NULL);
	for (t = cfg->targets; t; t = t->next) {
		strlist_add(&targets, t->name);
		sb_appendf(&words, "%s%s", words.len ? " " : "", t->name);
	}
	memset(&r, 0, sizeof(r));
	r.name = (char *) installer_name(cfg);
	r.host = (char *) installer_host();
	r.version = (char *) MAILCERT_VERSION;
	r.targets = (char *) sb_str(&words);
	r.key_dir = cfg->key_dir;
	r.poll_interval = cfg->poll_interval;
	r.started_at = started_at;
	r.last_pass = (long long) time(NULL);
	rc = book_installer_beat(ledger, &r, &targets);
	strlist_free(&targets);
	sb_free(&words);
	return rc;
}

int install_run_due(struct ledger *ledger, const struct config *cfg, time_t now,
		    int *failed, long long *next_due)
{
	long long *ids = NULL;
	long long next;
	size_t  count = 0;
	size_t  i;
	int     ran = 0;
	int     rc;

	if (beat(ledger, cfg) < 0
	    || book_installs_due(ledger, (long long) now, installer_mine_prefix(cfg), installer_name(cfg),
				 INSTALL_BATCH, &ids, &count) < 0) {
		if (!ledger_down(ledger))	/* an outage is logged once, by the ledger */
			msg_error("listing due install jobs: %s", ledger_error(ledger));
		return -1;
	}
	for (i = 0; i < count && !stop_requested; i++) {
		next = 0;
		rc = install_job_run(ledger, cfg, ids[i], time(NULL), &next);
		if (rc < 0) {
			msg_error("install job %lld: %s", ids[i], ledger_error(ledger));
			free(ids);
			return -1;
		}
		if (rc == INSTALL_NOT_CLAIMED)
			continue;
		ran++;
		if (rc != INSTALL_DONE)
			(*failed)++;
		if (next > 0 && (*next_due == 0 || next < *next_due))
			*next_due = next;
	}
	free(ids);
	if (book_installs_next_due(ledger, installer_name(cfg), &next) == 0 && next > 0
	    && (*next_due == 0 || next < *next_due))
		*next_due = next;	/* a retry another host set, a lease that runs out */
	return ran;
}

/* one_pass - requests, then due jobs, under the host's lock */

static int one_pass(struct ledger *ledger, const struct config *cfg, const char *self,
		    int *failed, long long *next_due)
{
	struct strbuf why = STRBUF_INIT;
	int     added = 0;
	int     lock;
	int     ran;

	msg_debug("installer pass");
	if ((lock = install_lock_take(cfg, 1, &why)) < 0) {
		msg_error("%s", sb_str(&why));
		sb_free(&why);
		return -1;
	}
	if (install_take_requests(ledger, cfg, self, &added, &why) < 0) {
		if (!ledger_down(ledger))
			msg_warn("%s", sb_str(&why));
	}
	else if (added)
		msg_info("%d new install job%s from the intake", added, added == 1 ? "" : "s");
	ran = install_run_due(ledger, cfg, time(NULL), failed, next_due);
	install_lock_release(lock);
	sb_free(&why);
	return ran;
}

int install_pending(struct ledger *ledger, const struct config *cfg, const char *self,
		    int *ran, int *failed)
{
	long long next_due = 0;

	*failed = 0;
	*ran = one_pass(ledger, cfg, self, failed, &next_due);
	return *ran < 0 ? -1 : 0;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = request_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* wait_ms - until the next poll, retry or expiry look, whichever is first */

static int wait_ms(const struct config *cfg, long long next_due, long long next_expiry)
{
	long long now = (long long) time(NULL);
	long long until = now + cfg->poll_interval;

	if (next_due > 0 && next_due < until)
		until = next_due;
	if (next_expiry < until)
		until = next_expiry;
	return until > now ? (int) ((until - now) * 1000) : 0;
}

static void watch_expiry(struct ledger *ledger, const struct config *cfg, long long *next_expiry)
{
	int     sent = 0;

	if ((long long) time(NULL) < *next_expiry)
		return;
	if (expiry_remind(ledger, cfg, time(NULL), &sent) < 0) {
		if (!ledger_down(ledger))
			msg_warn("expiry watch: %s", ledger_error(ledger));
		return;			/* looked at again at the next pass */
	}
	else
		msg_info("expiry watch done: %d reminder%s sent", sent, sent == 1 ? "" : "s");
	*next_expiry = (long long) time(NULL) + cfg->expiry_interval;
}

int install_watch(struct ledger *ledger, const struct config *cfg, const char *self)
{
	struct strbuf why = STRBUF_INIT;
	long long next_due = 0;
	long long next_expiry = 0;
	long long last_pass = 0;
	int     failed;
	int     fd;

	if ((fd = wake_listen(cfg->wake_socket, &why)) < 0) {
		msg_error("[installer] wake_socket: %s", sb_str(&why));
		sb_free(&why);
		return 1;
	}
	catch_stop_signals();
	msg_info("installer waiting on %s (logging to %s)", cfg->wake_socket, msg_destination());
	while (!stop_requested) {
		reload_if_asked("installer");
		failed = 0;
		if (next_due <= (long long) time(NULL))
			next_due = 0;
		one_pass(ledger, cfg, self, &failed, &next_due);
		if (stop_requested)
			break;
		watch_expiry(ledger, cfg, &next_expiry);
		reload_if_asked("installer");	/* one that came during the pass */
		wake_wait(fd, ledger_listen(ledger, LEDGER_CHANNEL_INSTALL), wait_ms(cfg, next_due, next_expiry),
			  &last_pass);
	}
	msg_info("installer stopping");
	if (book_installer_stopped(ledger, installer_name(cfg), (long long) time(NULL)) < 0
	    && !ledger_down(ledger))
		msg_warn("%s", ledger_error(ledger));
	close(fd);
	unlink(cfg->wake_socket);
	sb_free(&why);
	return 0;
}
