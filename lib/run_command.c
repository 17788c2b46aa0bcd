/*
 * NAME
 *	run_command - run a program bounded in time and output, no shell
 * SYNOPSIS
 *	#include "run_command.h"
 *
 *	int run_command(const struct command_spec *spec,
 *			struct command_result *res)
 *	void command_result_describe(const struct command_result *res,
 *				     struct strbuf *text)
 *	void command_result_clear(struct command_result *res)
 * DESCRIPTION
 *	Every program mailcert starts (a target's test and reload commands,
 *	sendmail) is started here, with fork() and execve() of an argument
 *	vector, never through a shell.  The child:
 *
 *	leads a new process group, has the default signal dispositions and
 *	an empty signal mask, keeps no descriptor of ours but its standard
 *	input (spec->input through a pipe, or /dev/null) and one pipe for
 *	its standard output and standard error;
 *
 *	gets a clean environment, as Postfix's spawn_command gives one:
 *	PATH=COMMAND_PATH, HOME, LOGNAME and USER of the user it runs as,
 *	LANG=C, and nothing of the caller's;
 *
 *	runs as spec->run_as when that is set (initgroups, setgid, setuid
 *	before execve; a user that does not exist, or whose uid is 0 when
 *	we are not root, fails the start).
 *
 *	Of its output the first spec->max_output (default
 *	COMMAND_MAX_OUTPUT) bytes are kept in
 *	res->output, the rest counted in res->dropped.  After spec->timeout
 *	seconds the whole process group is killed with SIGKILL
 *	(res->timed_out).  Output still held open by a daemon the command
 *	started is not waited for: once the command has exited, what is in
 *	the pipe is read and that is all.
 *
 *	Returns 0 when the command exited with status 0, -1 otherwise.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE			/* close_range(), pipe2() */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run_command.h"

#define WAIT_SLICE_MS	20		/* how often the child is checked */
#define EXEC_FAILED	127		/* the child's status when it could not exec */

/* The user a child becomes, looked up before fork(). */
struct child_user {
	int     change;
	uid_t   uid;
	gid_t   gid;
	char    name[64];
	char    home[256];
};

static int look_up_user(const char *name, struct child_user *user)
{
	struct passwd *pw;

	memset(user, 0, sizeof(*user));
	if (name == NULL) {
		snprintf(user->home, sizeof(user->home), "/");
		if ((pw = getpwuid(geteuid())) != NULL) {
			snprintf(user->name, sizeof(user->name), "%s", pw->pw_name);
			snprintf(user->home, sizeof(user->home), "%s", pw->pw_dir);
		}
		return 0;
	}
	if ((pw = getpwnam(name)) == NULL || strlen(pw->pw_name) >= sizeof(user->name))
		return -1;
	user->change = 1;
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	snprintf(user->name, sizeof(user->name), "%s", pw->pw_name);
	snprintf(user->home, sizeof(user->home), "%s", pw->pw_dir ? pw->pw_dir : "/");
	return 0;
}

/* run_child - in the child: process group, descriptors, user, exec */

static void run_child(char *const argv[], int in_fd, int out_fd, const struct child_user *user)
{
	char    home[300];
	char    logname[80];
	char    username[80];
	char   *envp[] = {(char *) "PATH=" COMMAND_PATH, home, logname, username,
		(char *) "LANG=C", NULL};
	sigset_t none;
	int     sig;

	/* A session of its own: no controlling terminal of root's that a
	 * child run as another user could type into (TIOCSTI). */
	if (setsid() < 0)
		setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(EXEC_FAILED);
	close_range(3, ~0U, 0);
	if (user->change && (initgroups(user->name, user->gid) < 0 || setgid(user->gid) < 0
			     || setuid(user->uid) < 0))
		_exit(EXEC_FAILED);
	snprintf(home, sizeof(home), "HOME=%s", user->home);
	snprintf(logname, sizeof(logname), "LOGNAME=%s", user->name);
	snprintf(username, sizeof(username), "USER=%s", user->name);
	if (chdir(user->home) < 0 && chdir("/") < 0)
		_exit(EXEC_FAILED);
	execve(argv[0], argv, envp);
	_exit(EXEC_FAILED);
}

static void keep_output(struct command_result *res, const char *buf, size_t len)
{
	size_t  room = res->max_output - res->output.len;

	if (len > room) {
		res->dropped += len - room;
		len = room;
	}
	if (len > 0)
		sb_append(&res->output, buf, len);
}

/* read_available - what the pipe holds now; 1 at end of file */

static int read_available(int fd, struct command_result *res)
{
	char    buf[4096];
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

/* One child being watched. */
struct exchange {
	pid_t   pid;
	int     out_fd;			/* its output, ours to read */
	int     in_fd;			/* its input, ours to write; -1 when done */
	const char *input;
	size_t  input_len;
	size_t  written;
	int     eof;
};

/* feed - write what the child's input takes now; close it when done */

static void feed(struct exchange *ex)
{
	ssize_t n;

	while (ex->in_fd >= 0 && ex->written < ex->input_len) {
		n = write(ex->in_fd, ex->input + ex->written, ex->input_len - ex->written);
		if (n > 0) {
			ex->written += (size_t) n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break;				/* EPIPE: it does not read */
	}
	if (ex->in_fd >= 0) {
		close(ex->in_fd);
		ex->in_fd = -1;
	}
}

/* collect - feed, read, until the child exits or time runs out */

static void collect(struct exchange *ex, int timeout, struct command_result *res, int *status)
{
	long long deadline = now_ms() + (long long) (timeout > 0 ? timeout : 60) * 1000;
	struct pollfd pfd[2];
	nfds_t  n;

	for (;;) {
		if (waitpid(ex->pid, status, WNOHANG) == ex->pid) {
			if (!ex->eof)
				read_available(ex->out_fd, res);
			return;
		}
		if (now_ms() >= deadline) {
			kill(-ex->pid, SIGKILL);
			kill(ex->pid, SIGKILL);
			while (waitpid(ex->pid, status, 0) < 0 && errno == EINTR)
				;
			res->timed_out = 1;
			return;
		}
		n = 0;
		if (!ex->eof) {
			pfd[n].fd = ex->out_fd;
			pfd[n++].events = POLLIN;
		}
		if (ex->in_fd >= 0) {
			pfd[n].fd = ex->in_fd;
			pfd[n++].events = POLLOUT;
		}
		if (n == 0) {
			usleep(WAIT_SLICE_MS * 1000);
			continue;
		}
		if (poll(pfd, n, WAIT_SLICE_MS) <= 0)
			continue;
		if (!ex->eof && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			ex->eof = read_available(ex->out_fd, res);
		if (ex->in_fd >= 0)
			feed(ex);
	}
}

/* start - pipes and fork; 0 with ex filled, -1 */

static int start(const struct command_spec *spec, const struct child_user *user,
		 struct exchange *ex)
{
	int     out[2];
	int     in[2] = {-1, -1};

	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	if ((spec->input ? pipe2(in, O_CLOEXEC) : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC))) < 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if ((ex->pid = fork()) < 0) {
		close(out[0]);
		close(out[1]);
		close(in[0]);
		if (in[1] >= 0)
			close(in[1]);
		return -1;
	}
	if (ex->pid == 0)
		run_child(spec->argv->items, in[0], out[1], user);
	/* no setpgid() here: the child makes its own session (run_child), and
	 * the timeout kills both -pid and pid */
	close(out[1]);
	close(in[0]);
	ex->out_fd = out[0];
	ex->in_fd = in[1];
	fcntl(ex->out_fd, F_SETFL, O_NONBLOCK);
	if (ex->in_fd >= 0)
		fcntl(ex->in_fd, F_SETFL, O_NONBLOCK);
	ex->input = spec->input;
	ex->input_len = spec->input_len;
	return 0;
}

int run_command(const struct command_spec *spec, struct command_result *res)
{
	struct sigaction ignore;
	struct sigaction saved;
	struct child_user user;
	struct exchange ex;
	int     status = 0;

	memset(res, 0, sizeof(*res));
	memset(&ex, 0, sizeof(ex));
	res->max_output = spec->max_output ? spec->max_output : COMMAND_MAX_OUTPUT;
	if (spec->argv == NULL || spec->argv->count == 0 || spec->argv->items[0][0] != '/'
	    || look_up_user(spec->run_as, &user) < 0
	    || (user.change && user.uid == 0 && geteuid() != 0)) {
		res->start_failed = 1;
		return -1;
	}
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ignore, &saved);
	if (start(spec, &user, &ex) < 0) {
		sigaction(SIGPIPE, &saved, NULL);
		res->start_failed = 1;
		return -1;
	}
	feed(&ex);
	collect(&ex, spec->timeout, res, &status);
	if (ex.in_fd >= 0)
		close(ex.in_fd);
	close(ex.out_fd);
	sigaction(SIGPIPE, &saved, NULL);
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
