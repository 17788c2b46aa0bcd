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
 *	a datagram from the intake or the operator's command, at most
 *	[approve] poll_interval seconds.  SIGTERM and SIGINT end it after the
 *	approval at hand; the socket is removed.  Returns 0, or 1 when the
 *	socket cannot be set up.
 * LICENSE
 *	See the README of mailcert.
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approve.h"
#include "msg.h"
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
	struct pollfd pfd;
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
		approval_run_due(ledger, cfg, parser, time(NULL));
		if (stop_requested)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, cfg->approve_poll_interval * 1000) > 0)
			wake_drain(fd);
	}
	msg_info("approver stopping");
	close(fd);
	unlink(cfg->approve_wake_socket);
	return 0;
}
