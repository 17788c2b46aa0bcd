/*
 * NAME
 *	reload - SIGHUP for the daemons of the mailcert command
 * SYNOPSIS
 *	#include "reload.h"
 *
 *	void reload_keep_argv(int argc, char **argv)
 *	void reload_catch(const char *config_path, reload_check_fn check)
 *	int reload_asked(void)
 *	void reload_now(const char *who)
 *	void reload_if_asked(const char *who)
 * DESCRIPTION
 *	The approver, the installer and fetch --watch take SIGHUP (systemctl
 *	reload) the way sshd does: between two passes, holding no claim, no
 *	lock and no transaction, the daemon checks the configuration file
 *	(check(): it loads, its CA profiles compile) and, when it is good,
 *	executes itself again (/proc/self/exe) with the arguments it was
 *	started with.  The process ID stays, so systemd keeps following it,
 *	and everything the file decides (targets, key_dir, profiles, sockets,
 *	the log) is the new file's, with no list of keys that would "take
 *	effect at restart".  A file that does not load is logged with what
 *	is wrong and where, and the daemon goes on with what it runs with.
 *
 *	Before the exec every descriptor above 2 is marked close-on-exec
 *	(the ledger's, the wake socket, the log) and the signal mask is
 *	cleared but for SIGHUP, which stays blocked until the new image's
 *	reload_catch() takes it (until then its default would end the
 *	daemon, and systemd does not restart a daemon a signal ended
 *	"cleanly"); when the exec itself fails, that is logged and the daemon
 *	goes on, its descriptors still open.
 *
 *	The milter reloads in place instead (milter/settings.c): its
 *	messages in flight keep the settings they started with.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "reload.h"

static char **kept_argv;
static const char *reload_path;
static reload_check_fn reload_check;
static volatile sig_atomic_t reload_flag;

void reload_keep_argv(int argc, char **argv)
{
	int     i;

	kept_argv = xcalloc((size_t) argc + 1, sizeof(*kept_argv));
	for (i = 0; i < argc; i++)
		kept_argv[i] = argv[i];		/* getopt moves pointers, not text */
}

static void note_hangup(int sig)
{
	(void) sig;
	reload_flag = 1;
}

void reload_catch(const char *config_path, reload_check_fn check)
{
	struct sigaction sa;

	reload_path = config_path;
	reload_check = check;
	sigset_t hangup;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_hangup;	/* no SA_RESTART: a wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	/* blocked across the exec of a reload (a second SIGHUP while the new
	 * image starts would end it): taken from here on, one that waited too */
	sigemptyset(&hangup);
	sigaddset(&hangup, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &hangup, NULL);
}

int reload_asked(void)
{
	int     asked = reload_flag;

	reload_flag = 0;
	return asked;
}

/* close_on_exec_above_stderr - what the new image must not inherit */

static void close_on_exec_above_stderr(void)
{
	DIR    *dir;
	struct dirent *de;
	int     fd;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if ((dir = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		fd = atoi(de->d_name);
		if (fd > 2 && fd != dirfd(dir))
			(void) fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(dir);
}

void reload_now(const char *who)
{
	struct strbuf why = STRBUF_INIT;
	sigset_t only_hangup;
	sigset_t old;

	if (kept_argv == NULL || reload_check == NULL)
		return;
	if (reload_check(reload_path, &why) < 0) {
		msg_warn("reload: %s; the %s keeps the configuration it runs with", sb_str(&why), who);
		sb_free(&why);
		return;
	}
	sb_free(&why);
	msg_info("reload: %s read again; the %s starts again with it (the same process)", reload_path, who);
	close_on_exec_above_stderr();
	sigemptyset(&only_hangup);
	sigaddset(&only_hangup, SIGHUP);
	sigprocmask(SIG_SETMASK, &only_hangup, &old);
	execv("/proc/self/exe", kept_argv);
	sigprocmask(SIG_SETMASK, &old, NULL);
	msg_error("reload: cannot execute /proc/self/exe again: %s; the %s goes on as it was",
		  strerror(errno), who);
}

void reload_if_asked(const char *who)
{
	if (reload_asked())
		reload_now(who);
}
