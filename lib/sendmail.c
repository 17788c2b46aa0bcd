/*
 * NAME
 *	sendmail - submit one message through the local sendmail(1)
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	int sendmail_submit(const char *program, const char *message,
 *			    size_t len, int timeout, struct strbuf *why)
 *	int mail_header_value_ok(const char *value)
 * DESCRIPTION
 *	mail_header_value_ok() is 1 for a header value we are willing to
 *	write (from the ledger or the configuration): 1 to
 *	MAIL_HEADER_VALUE_MAX bytes of printable ASCII, so no CR, no LF,
 *	nothing that could start a header of its own.
 *
 *	Runs program with the argument vector "program -t -i" (recipients
 *	from the headers, a lone dot is not the end) with fork() and
 *	execve(), never through a shell, writes message to its standard
 *	input and waits for it.  The child gets /dev/null as standard
 *	output, keeps standard error, and no other descriptor of ours.
 *	SIGPIPE is ignored while writing, so a sendmail that dies early is
 *	an error, not the end of the caller.  A program still running after
 *	timeout seconds is killed.
 *
 *	Returns 0 when the program exited with status 0; -1 otherwise with
 *	the reason in why.
 * LICENSE
 *	See the README of mailcert.
 */
#define _GNU_SOURCE			/* close_range() */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sendmail.h"
#include "write_all.h"

extern char **environ;

int mail_header_value_ok(const char *value)
{
	size_t len;
	size_t i;

	if (value == NULL || (len = strlen(value)) == 0 || len > MAIL_HEADER_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char) value[i] < 0x20 || (unsigned char) value[i] > 0x7e)
			return 0;
	return 1;
}


#define POLL_USEC	10000		/* how often a running child is checked */

/* run_child - in the child: stdin from the pipe, then exec */

static void run_child(const char *program, int in_fd)
{
	char *const argv[] = {(char *) program, (char *) "-t", (char *) "-i", NULL};
	int null_fd;

	if (dup2(in_fd, 0) < 0)
		_exit(127);
	if ((null_fd = open("/dev/null", O_WRONLY)) >= 0 && null_fd != 1) {
		dup2(null_fd, 1);
		close(null_fd);
	}
	close_range(3, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	execve(program, argv, environ);
	_exit(127);
}


/* wait_bounded - the child's wait status, killing it after timeout */

static int wait_bounded(pid_t pid, int timeout, int *status)
{
	time_t deadline = time(NULL) + (timeout > 0 ? timeout : 60);
	pid_t rc;

	for (;;) {
		rc = waitpid(pid, status, WNOHANG);
		if (rc == pid)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
		if (time(NULL) >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return 1;
		}
		usleep(POLL_USEC);
	}
}

int sendmail_submit(const char *program, const char *message, size_t len, int timeout,
		            struct strbuf *why)
{
	struct sigaction ignore;
	struct sigaction saved;
	int fds[2];
	int status = 0;
	int wrote;
	int waited;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		sb_appendf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		sb_appendf(why, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		run_child(program, fds[0]);
	close(fds[0]);
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ignore, &saved);
	wrote = write_all(fds[1], message, len);
	close(fds[1]);
	sigaction(SIGPIPE, &saved, NULL);
	waited = wait_bounded(pid, timeout, &status);
	if (waited > 0)
		sb_appendf(why, "%s did not finish within %d seconds; killed", program, timeout);
	else if (waited < 0)
		sb_appendf(why, "waiting for %s: %s", program, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		sb_appendf(why, "cannot run %s", program);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		sb_appendf(why, "%s failed (wait status %d)", program, status);
	else if (wrote < 0)
		sb_appendf(why, "%s did not read the whole message", program);
	else
		return 0;
	return -1;
}
