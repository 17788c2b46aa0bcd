/*
 * NAME
 *	installer_loop - run the due install jobs, once or as a daemon
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_run_due(struct ledger *ledger, const struct config *cfg,
 *			    time_t now, int *failed, long long *next_due)
 *	int install_watch(struct ledger *ledger, const struct config *cfg,
 *			  const struct parser *parser)
 * DESCRIPTION
 *	install_run_due() is "mailcert install --pending": it takes the
 *	installer lock (install_lock.c, waiting for another installer's pass
 *	to end), lists the jobs due at now and runs each once
 *	(install_job_run()), at most INSTALL_BATCH of them.  Holding the
 *	lock, it takes up a job left running by an installer that died.
 *	*failed counts the jobs whose attempt did not install; *next_due is
 *	lowered to the earliest retry it scheduled.  Returns the number of
 *	jobs run, or -1 (lock or ledger error, reported).
 *
 *	install_watch() is "mailcert install --watch", the daemon and the
 *	one worker outside the SMTP session: on every pass it runs the due
 *	install jobs and then the due approval actions (approve_worker.c,
 *	with the CA profiles of parser).  It binds
 *	the unix datagram socket [installer] wake_socket (mode 0666: a
 *	datagram carries nothing and only makes the installer look at the
 *	ledger sooner; a stale socket is replaced; the parent directory is
 *	made, mode 0755, when missing), runs the due jobs, and waits with
 *	poll() for a datagram from the milter, at most [installer]
 *	poll_interval seconds or until the next retry is due.  SIGTERM and
 *	SIGINT end it after the job at hand; the socket is removed.
 *	Returns 0, or 1 when the socket cannot be set up.
 * LICENSE
 *	See the README of mailcert.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "approve.h"
#include "install.h"
#include "msg.h"
#include "mymalloc.h"

#define SOCKET_MODE	0666
#define SOCKET_DIR_MODE	0755

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void) sig;
	stop_requested = 1;
}

/* run_ids - one pass over the due jobs; -1 on a ledger error */

static int run_ids(struct ledger *ledger, const struct config *cfg, const long long *ids,
		           size_t count, int *failed, long long *next_due)
{
	long long next;
	time_t now;
	size_t i;
	int rc;
	int ran = 0;

	for (i = 0; i < count && i < INSTALL_BATCH && !stop_requested; i++) {
		now = time(NULL);
		next = 0;
		rc = install_job_run(ledger, cfg, ids[i], now, (long long) now + 1, &next);
		if (rc < 0) {
			msg_error("install job %lld: %s", ids[i], ledger_error(ledger));
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
	return ran;
}

int install_run_due(struct ledger *ledger, const struct config *cfg, time_t now,
		            int *failed, long long *next_due)
{
	struct strbuf why = STRBUF_INIT;
	long long *ids = NULL;
	size_t count = 0;
	int lock;
	int ran = -1;

	if ((lock = install_lock_take(cfg, 1, &why)) < 0) {
		msg_error("%s", why.data);
		sb_free(&why);
		return -1;
	}
	if (ledger_due_install_jobs(ledger, (long long) now, &ids, &count) < 0)
		msg_error("listing due install jobs: %s", ledger_error(ledger));
	else
		ran = run_ids(ledger, cfg, ids, count, failed, next_due);
	free(ids);
	install_lock_release(lock);
	sb_free(&why);
	return ran;
}

/* wake_socket_open - the bound datagram socket, or -1 */

static int wake_socket_open(const char *path)
{
	struct sockaddr_un addr;
	struct strbuf why = STRBUF_INIT;
	struct stat st;
	char   *copy;
	mode_t  old_mask;
	int     fd;
	int     rc;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		msg_error("wake_socket %s: path too long", path);
		return -1;
	}
	copy = xstrdup(path);
	rc = dir_make(dirname(copy), SOCKET_DIR_MODE, &why);
	free(copy);
	if (rc < 0) {
		msg_error("wake_socket: %s", why.data);
		sb_free(&why);
		return -1;
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		msg_error("wake_socket: socket: %s", strerror(errno));
		return -1;
	}
	old_mask = umask(0777 & ~SOCKET_MODE);
	rc = bind(fd, (struct sockaddr *) &addr, sizeof(addr));
	umask(old_mask);
	if (rc < 0) {
		msg_error("wake_socket %s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
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

/* wait_ms - until the next poll, or the next retry if sooner */

static int wait_ms(const struct config *cfg, long long next_due)
{
	long long wait = (long long) cfg->poll_interval;
	long long now = (long long) time(NULL);

	if (next_due > 0 && next_due - now < wait)
		wait = next_due > now ? next_due - now : 0;
	return (int) (wait * 1000);
}

int install_watch(struct ledger *ledger, const struct config *cfg, const struct parser *parser)
{
	struct pollfd pfd;
	long long next_due = 0;
	int failed;
	int fd;

	if ((fd = wake_socket_open(cfg->wake_socket)) < 0)
		return 1;
	catch_stop_signals();
	msg_info("installer waiting on %s", cfg->wake_socket);
	while (!stop_requested) {
		failed = 0;
		if (next_due <= (long long) time(NULL))
			next_due = 0;
		install_run_due(ledger, cfg, time(NULL), &failed, &next_due);
		if (stop_requested)
			break;
		approval_run_due(ledger, cfg, parser, time(NULL));
		if (stop_requested)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait_ms(cfg, next_due)) > 0)
			drain(fd);
	}
	msg_info("installer stopping");
	close(fd);
	unlink(cfg->wake_socket);
	return 0;
}
