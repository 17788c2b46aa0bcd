/*
 * NAME
 *	run_command - run a test or reload command, bounded in time and output
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int run_command(const struct strlist *argv, int timeout,
 *			struct command_result *res)
 *	void command_result_describe(const struct command_result *res,
 *				     struct strbuf *text)
 *	void command_result_clear(struct command_result *res)
 * DESCRIPTION
 *	run_command() runs argv (argv->items[0] an absolute path, as the
 *	configuration requires) with fork() and execve(), never through a
 *	shell.  The child is the leader of a new process group, reads
 *	/dev/null, writes standard output and standard error into one pipe,
 *	and keeps no other descriptor of ours.  Of its output the first
 *	INSTALL_MAX_OUTPUT bytes are kept in res->output, the rest counted in
 *	res->dropped.  After timeout seconds the whole process group is
 *	killed with SIGKILL (res->timed_out).  Output still held open by a
 *	daemon the command started is not waited for: once the command
 *	itself has exited, what is in the pipe is read and that is all.
 *
 *	Returns 0 when the command exited with status 0, -1 otherwise; res
 *	says what happened (exit status, signal, timeout, or start_failed).
 *
 *	command_result_describe() appends "exit status 1", "killed by
 *	signal 9", "timed out, killed" or "could not be started" to text.
 * LICENSE
 *	See the README of mailcert.
 */
#define _GNU_SOURCE			/* close_range(), pipe2() */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "install.h"

extern char **environ;

#define WAIT_SLICE_MS	50		/* how often the child is checked */
#define EXEC_FAILED	127		/* the child's status when execve failed */

/* run_child - in the child: new process group, descriptors, exec */

static void run_child(char *const argv[], int out_fd)
{
	sigset_t none;
	int null_fd;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if ((null_fd = open("/dev/null", O_RDONLY)) < 0 || dup2(null_fd, 0) < 0)
		_exit(EXEC_FAILED);
	if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(EXEC_FAILED);
	close_range(3, ~0U, 0);
	execve(argv[0], argv, environ);
	_exit(EXEC_FAILED);
}

/* keep_output - what fits in the output buffer, count the rest */

static void keep_output(struct command_result *res, const char *buf, size_t len)
{
	size_t room = INSTALL_MAX_OUTPUT - res->output.len;

	if (len > room) {
		res->dropped += len - room;
		len = room;
	}
	if (len > 0)
		sb_append(&res->output, buf, len);
}

/* read_available - read what the pipe holds now; 1 at end of file */

static int read_available(int fd, struct command_result *res)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			keep_output(res, buf, (size_t) n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n == 0;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* collect - read output until the child exits or time runs out */

static void collect(pid_t pid, int fd, int timeout, struct command_result *res, int *status)
{
	long long deadline = now_ms() + (long long) (timeout > 0 ? timeout : 60) * 1000;
	struct pollfd pfd;
	int eof = 0;

	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			if (!eof)
				read_available(fd, res);
			return;
		}
		if (now_ms() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			res->timed_out = 1;
			return;
		}
		if (eof) {
			usleep(WAIT_SLICE_MS * 1000);
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, WAIT_SLICE_MS) > 0)
			eof = read_available(fd, res);
	}
}

int run_command(const struct strlist *argv, int timeout, struct command_result *res)
{
	int fds[2];
	int status = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (argv->count == 0 || pipe2(fds, O_CLOEXEC) < 0) {
		res->start_failed = 1;
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		res->start_failed = 1;
		return -1;
	}
	if (pid == 0)
		run_child(argv->items, fds[1]);
	setpgid(pid, pid);		/* also here: no race with kill(-pid) */
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	collect(pid, fds[0], timeout, res, &status);
	close(fds[0]);
	if (res->timed_out)
		return -1;
	if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		return -1;
	}
	res->exited = WIFEXITED(status);
	res->exit_status = WEXITSTATUS(status);
	if (res->exit_status == EXEC_FAILED && res->output.len == 0)
		res->start_failed = 1;
	return res->exited && res->exit_status == 0 ? 0 : -1;
}

void command_result_describe(const struct command_result *res, struct strbuf *text)
{
	if (res->timed_out)
		sb_appends(text, "timed out, killed");
	else if (res->start_failed)
		sb_appends(text, "could not be started");
	else if (res->signal)
		sb_appendf(text, "killed by signal %d", res->signal);
	else
		sb_appendf(text, "exit status %d", res->exit_status);
}

void command_result_clear(struct command_result *res)
{
	sb_free(&res->output);
	memset(res, 0, sizeof(*res));
}
