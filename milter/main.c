/*
 * NAME
 *	mailcert-milter - watch the approver mailboxes, record CA mail in the ledger
 * SYNOPSIS
 *	mailcert-milter [-c FILE] [-f] [-n] [-v]
 * DESCRIPTION
 *	-c FILE	the configuration (default /etc/mailcert/mailcert.conf)
 *	-f	stay in the foreground and log to stderr (default: detach and
 *		log to syslog, facility mail)
 *	-n	check the configuration and the CA profiles, then exit
 *	-v	verbose logging
 *
 *	Start-up opens everything privileged first: the configuration, the
 *	compiled CA profiles, the ledger, and the milter socket (created
 *	under a tight umask and given to [milter] user).  Then it detaches,
 *	drops to [milter] user (when started as root) and serves.
 *
 *	libmilter's own signal thread treats SIGHUP like SIGTERM, so the
 *	milter runs smfi_main() in a thread of its own and the main thread
 *	takes the signals with sigtimedwait(): Linux gives a process signal
 *	to the main thread first when it is waiting for it.  SIGHUP (and
 *	SIGUSR1, which libmilter leaves alone) reloads the configuration and
 *	profiles: a new set is built and swapped in whole, or the old one is
 *	kept when the new one has an error.  SIGTERM and SIGINT stop the
 *	milter with smfi_stop().  See mailcert-milter(8).
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter.h"
#include "msg.h"
#include "mymalloc.h"

#define MILTER_BACKLOG		128
#define MILTER_SOCKET_UMASK	0117	/* socket rw for user and group only */
#define SIGNAL_POLL_SECONDS	1

struct milter_user {
	char   *name;
	uid_t   uid;
	gid_t   gid;
};

static volatile int milter_finished;

static void usage(void)
{
	fprintf(stderr, "usage: mailcert-milter [-c FILE] [-f] [-n] [-v]\n");
	exit(2);
}

/* lookup_user - before anything is dropped; not needed when not root */

static int lookup_user(const char *name, struct milter_user *user)
{
	struct passwd *pw;

	memset(user, 0, sizeof(*user));
	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(name)) == NULL)
		return -1;
	user->name = xstrdup(pw->pw_name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	return 0;
}

static void drop_privileges(const struct milter_user *user)
{
	if (user->name == NULL || user->uid == 0)
		return;
	if (initgroups(user->name, user->gid) < 0 || setgid(user->gid) < 0
	    || setuid(user->uid) < 0)
		msg_fatal("cannot become user %s: %s", user->name, strerror(errno));
	if (setuid(0) == 0)
		msg_fatal("could become root again after dropping to %s", user->name);
}

/* unix_socket_path - the file of unix:/path or local:/path, else NULL */

static const char *unix_socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

static void open_milter_socket(const char *spec, const struct milter_user *user)
{
	const char *path = unix_socket_path(spec);
	mode_t  old_umask;

	if (smfi_setconn((char *) spec) != MI_SUCCESS)
		msg_fatal("bad [milter] socket %s", spec);
	if (smfi_register(mailcert_filter) != MI_SUCCESS)
		msg_fatal("cannot register with libmilter");
	smfi_setbacklog(MILTER_BACKLOG);
	old_umask = umask(MILTER_SOCKET_UMASK);
	if (smfi_opensocket(1) != MI_SUCCESS)
		msg_fatal("cannot open the milter socket %s (in use, or its directory missing?)", spec);
	umask(old_umask);
	if (path && user->name && chown(path, user->uid, user->gid) < 0)
		msg_fatal("cannot give %s to %s: %s", path, user->name, strerror(errno));
}

static void open_ledger(const struct config *cfg, struct milter_ledger *ml)
{
	struct strbuf err = STRBUF_INIT;
	int     timeout = cfg->busy_timeout_ms;

	if (timeout > MILTER_BUSY_TIMEOUT_MAX)
		timeout = MILTER_BUSY_TIMEOUT_MAX;
	if (ledger_open(cfg->ledger_path, timeout, &ml->ledger, &err) < 0)
		msg_fatal("%s", sb_str(&err));
	pthread_mutex_init(&ml->lock, NULL);
}

static void detach(void)
{
	pid_t   pid;
	int     fd;

	if ((pid = fork()) < 0)
		msg_fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") < 0)
		msg_fatal("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* Reload ------------------------------------------------------------------ */

static void warn_restart_needed(const struct config *old, const struct config *new)
{
	if (strcmp(old->milter_socket, new->milter_socket) != 0)
		msg_warn("[milter] socket changed: takes effect at restart");
	if (strcmp(old->milter_user, new->milter_user) != 0)
		msg_warn("[milter] user changed: takes effect at restart");
	if (strcmp(old->ledger_path, new->ledger_path) != 0)
		msg_warn("[ledger] path changed: takes effect at restart");
}

static void reload(const char *config_path, struct watch *watch)
{
	struct strbuf err = STRBUF_INIT;
	struct settings *new;
	struct settings *old;

	if ((new = settings_load(config_path, &err)) == NULL) {
		msg_warn("reload failed, keeping the running configuration: %s", sb_str(&err));
		sb_free(&err);
		return;
	}
	if ((old = settings_acquire()) != NULL) {
		warn_restart_needed(old->cfg, new->cfg);
		settings_release(old);
	}
	settings_install(new);
	watch_invalidate(watch);
	msg_info("configuration and CA profiles reloaded from %s", config_path);
}

/* Serving ---------------------------------------------------------------- */

static void *milter_thread(void *arg)
{
	int    *status = arg;

	*status = smfi_main();
	milter_finished = 1;
	return NULL;
}

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int serve(const char *config_path, struct watch *watch)
{
	struct timespec poll = {SIGNAL_POLL_SECONDS, 0};
	pthread_t thread;
	sigset_t set;
	int     status = MI_FAILURE;
	int     sig;

	block_signals(&set);
	if (pthread_create(&thread, NULL, milter_thread, &status) != 0)
		msg_fatal("cannot start the milter thread");
	while (!milter_finished) {
		sig = sigtimedwait(&set, NULL, &poll);
		if (sig == SIGHUP || sig == SIGUSR1) {
			reload(config_path, watch);
		} else if (sig == SIGTERM || sig == SIGINT) {
			msg_info("stopping on signal %d", sig);
			smfi_stop();
			break;
		}
	}
	pthread_join(thread, NULL);
	return status == MI_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *config_arg = MAILCERT_DEFAULT_CONFIG;
	char   *config_path;
	struct strbuf err = STRBUF_INIT;
	struct settings *settings;
	struct milter_ledger ml;
	struct milter_user user;
	struct watch *watch;
	int     foreground = 0;
	int     check_only = 0;
	int     ch;
	int     rc;

	/* libmilter runs a thread per connection; glibc's default of one
	 * malloc arena per thread (up to 8 per core) costs far more memory
	 * than it saves in contention here. */
	mallopt(M_ARENA_MAX, MILTER_MALLOC_ARENAS);
	while ((ch = getopt(argc, argv, "c:fnv")) != -1) {
		switch (ch) {
		case 'c':
			config_arg = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			msg_set_verbose(1);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	msg_open("mailcert-milter", foreground || check_only);
	/* A reload after chdir("/") must find the same file. */
	if ((config_path = realpath(config_arg, NULL)) == NULL)
		msg_fatal("%s: %s", config_arg, strerror(errno));
	if ((settings = settings_load(config_path, &err)) == NULL)
		msg_fatal("%s", sb_str(&err));
	if (check_only) {
		printf("%s: ok\n", config_arg);
		settings_release(settings);
		free(config_path);
		return 0;
	}
	if (lookup_user(settings->cfg->milter_user, &user) < 0)
		msg_fatal("[milter] user %s: no such user", settings->cfg->milter_user);
	open_ledger(settings->cfg, &ml);
	watch = watch_create();
	watch_refresh(watch, &ml);
	open_milter_socket(settings->cfg->milter_socket, &user);
	if (!foreground)
		detach();
	drop_privileges(&user);
	callbacks_init(&ml, watch);
	settings_install(settings);
	msg_info("listening on %s as %s, %zu watched domains", settings->cfg->milter_socket,
		 user.name ? user.name : "the invoking user", watch_domain_count(watch));
	rc = serve(config_path, watch);
	msg_info("stopped");

	/*
	 * libmilter does not wait for its workers: one may still be finishing
	 * a message.  Close the ledger under its lock and keep the lock, so
	 * that none touches it afterwards; exit() ends them and frees the rest.
	 */
	settings_shutdown();
	pthread_mutex_lock(&ml.lock);
	ledger_close(ml.ledger);
	free(user.name);
	free(config_path);
	return rc;
}
