/*
 * NAME
 *	approver_loop - the approver daemon
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approver_watch(struct ledger *ledger, const struct config *cfg,
 *			   const struct parser *parser)
 * DESCRIPTION
 *	"mailcert approver" runs as [approve] user, never root (mailcert(1)
 *	drops to it before the ledger is opened).  It binds the datagram
 *	socket [approve] wake_socket (in /run/mailcert/approver, its own
 *	directory), runs the due approvals (approve_worker.c) and waits for
 *	a datagram from the intake or the operator's command (with
 *	PostgreSQL, a notification of an approval or an order change from any
 *	host), at most [approve] poll_interval seconds; whatever wakes it, at
 *	most one pass a second (wake_wait()).  SIGTERM and SIGINT end it after the
 *	approval at hand; the socket is removed.  Returns 0, or 1 when the
 *	socket cannot be set up.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approve.h"
#include "msg.h"
#include "reload.h"
#include "wake.h"

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void) sig;
	stop_requested = 1;
}

int approver_watch(struct ledger *ledger, const struct config *cfg, const struct parser *parser)
{
	struct strbuf why = STRBUF_INIT;
	struct sigaction sa;
	long long last_pass = 0;
	int     other;
	int     fd;

	if ((fd = wake_listen(cfg->approve_wake_socket, &why)) < 0) {
		msg_error("[approve] wake_socket: %s", sb_str(&why));
		sb_free(&why);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = request_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	msg_info("approver waiting on %s (logging to %s)", cfg->approve_wake_socket, msg_destination());
	while (!stop_requested) {
		reload_if_asked("approver");
		if (ledger_refresh(ledger) < 0)
			msg_warn("[approve] %s", ledger_error(ledger));
		approval_run_due(ledger, cfg, parser, time(NULL));
		if (stop_requested)
			break;
		/* PostgreSQL: an approval, or an order changed (a number set),
		 * on any host */
		other = ledger_listen(ledger, LEDGER_CHANNEL_APPROVE);
		if (other >= 0)
			other = ledger_listen(ledger, LEDGER_CHANNEL_ORDERS);
		reload_if_asked("approver");	/* one that came during the pass */
		wake_wait(fd, other, cfg->approve_poll_interval * 1000, &last_pass);
	}
	msg_info("approver stopping");
	close(fd);
	unlink(cfg->approve_wake_socket);
	return 0;
}
