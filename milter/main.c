/*
 * NAME
 *	mailcert-milter - watch the approver mailboxes, record CA mail
 * SYNOPSIS
 *	mailcert-milter [-c FILE] [-f] [-n] [-v] [-l DEST] [-h] [-V]
 * DESCRIPTION
 *	-c FILE	the configuration (default /etc/mailcert/mailcert.conf)
 *	-f	stay in the foreground; log to stderr unless -l says otherwise
 *	-n	check the configuration and the CA profiles, then exit
 *	-v	verbose logging
 *	-l DEST	log to syslog, stderr or a file (default [log] to, else
 *		syslog; stderr with -f)
 *	-h	usage; -V the version
 *
 *	Start-up as root opens only what needs root: the configuration
 *	(readable by the milter's user as well, for reloads) and the milter
 *	socket (created under a tight umask, given to [milter] user and
 *	[milter] socket_group).  Then it detaches, becomes [milter] user for
 *	good (never root: privs.c), and only then opens what is the
 *	intake's own: its ledger (with the order book read-only), the spool
 *	directory, the watch set's thread.  Files the milter creates are so
 *	the milter's, and reachable by the other intakes and the installer's
 *	unprivileged helper.
 *
 *	libmilter's own signal thread treats SIGHUP like SIGTERM, so the
 *	milter runs smfi_main() in a thread of its own and the main thread
 *	takes the signals with sigtimedwait().  SIGHUP (and SIGUSR1) reloads
 *	the configuration and profiles: a new set is built and swapped in
 *	whole, or the old one is kept when the new one has an error.
 *	SIGTERM and SIGINT stop the milter with smfi_stop(); libmilter's
 *	listener looks whether it was stopped only between two connections
 *	or every five seconds, so the milter then connects to its own socket
 *	(stop_listener()) and stops at once.  See mailcert-milter(8).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE		/* pthread_timedjoin_np */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "message_buf.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "privs.h"

#define MILTER_BACKLOG		128
#define MILTER_SOCKET_UMASK	0117	/* socket rw for user and group only */
#define SIGNAL_POLL_SECONDS	1
#define NUDGE_TIMEOUT_SECONDS	1	/* connecting to our own socket */
#define NUDGE_INTERVAL_MS	100	/* between two such, until it stopped */

static char *listening_on;		/* the socket opened, as configured */

/* What one run of the milter was started with. */
struct options {
	const char *config;
	const char *log_to;
	int     foreground;
	int     check_only;
};

static volatile int milter_finished;

static void usage(FILE *out, int status)
{
	fprintf(out, "usage: mailcert-milter [-c FILE] [-f] [-n] [-v] [-l syslog|stderr|FILE] "
		"[-h] [-V]\n"
		"  -c FILE  configuration (default " MAILCERT_DEFAULT_CONFIG ")\n"
		"  -f       stay in the foreground (log to stderr)\n"
		"  -n       check the configuration and exit\n"
		"  -v       verbose logging\n"
		"  -l DEST  where log lines go\n"
		"  -h       this text; -V the version\n");
	exit(status);
}

static void parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option long_options[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int     ch;

	memset(opts, 0, sizeof(*opts));
	opts->config = MAILCERT_DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "c:fnvl:hV", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c': opts->config = optarg; break;
		case 'f': opts->foreground = 1; break;
		case 'n': opts->check_only = 1; break;
		case 'v': msg_set_verbose(1); break;
		case 'l': opts->log_to = optarg; break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("mailcert-milter %s\n", MAILCERT_VERSION); exit(0);
		default: usage(stderr, 2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mailcert-milter: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr, 2);
	}
}

/* open_log - -l, else [log] to, else syslog (stderr in the foreground) */

static void open_log(const struct options *opts, const struct config *cfg)
{
	struct strbuf why = STRBUF_INIT;
	const char *dest = opts->log_to ? opts->log_to : cfg->log_to ? cfg->log_to
	    : opts->foreground || opts->check_only ? MSG_TO_STDERR : MSG_TO_SYSLOG;

	if (msg_open("mailcert-milter", dest, &why) < 0)
		msg_fatal("%s", sb_str(&why));
}

static const char *unix_socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

/* socket_group - [milter] socket_group, else the user's group */

static gid_t socket_group(const struct config *cfg, const struct role_user *user)
{
	struct group *gr;

	if (cfg->milter_socket_group == NULL)
		return user->name ? user->gid : (gid_t) -1;
	if ((gr = getgrnam(cfg->milter_socket_group)) == NULL)
		msg_fatal("[milter] socket_group %s: no such group", cfg->milter_socket_group);
	return gr->gr_gid;
}

static void open_milter_socket(const struct config *cfg, const struct role_user *user)
{
	const char *path = unix_socket_path(cfg->milter_socket);
	mode_t  old_umask;
	gid_t   gid = socket_group(cfg, user);

	if (smfi_setconn((char *) cfg->milter_socket) != MI_SUCCESS)
		msg_fatal("bad [milter] socket %s", cfg->milter_socket);
	if (smfi_register(mailcert_filter) != MI_SUCCESS)
		msg_fatal("cannot register with libmilter");
	smfi_setbacklog(MILTER_BACKLOG);
	old_umask = umask(MILTER_SOCKET_UMASK);
	if (smfi_opensocket(1) != MI_SUCCESS)
		msg_fatal("cannot open the milter socket %s (in use, or its directory missing?)",
			  cfg->milter_socket);
	umask(old_umask);
	listening_on = xstrdup(cfg->milter_socket);
	if (path && (user->name || gid != (gid_t) -1)
	    && chown(path, user->name ? user->uid : (uid_t) -1, gid) < 0)
		msg_fatal("cannot give %s to the milter's user and group: %s", path, strerror(errno));
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

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void warn_restart_needed(const struct config *old, const struct config *new)
{
	if (strcmp(old->milter_socket, new->milter_socket) != 0)
		msg_warn("[milter] socket changed: takes effect at restart");
	if (strcmp(old->milter_user, new->milter_user) != 0)
		msg_warn("[milter] user changed: takes effect at restart");
	if (strcmp(old->ledger_path, new->ledger_path) != 0
	    || strcmp(old->orders_path, new->orders_path) != 0)
		msg_warn("[ledger] changed: takes effect at restart");
	if (strcmp(old->spool_dir, new->spool_dir) != 0)
		msg_warn("[milter] spool_dir changed: takes effect at restart");
	if (!same_text(old->milter_socket_group, new->milter_socket_group))
		msg_warn("[milter] socket_group changed: takes effect at restart");
	if (!same_text(old->ledger_url, new->ledger_url) || old->busy_timeout_ms != new->busy_timeout_ms)
		msg_warn("[ledger] url or busy_timeout changed: takes effect at restart");
	if (!same_text(old->log_to, new->log_to))
		msg_warn("[log] to changed: takes effect at restart");
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
	slots_init(new->cfg->max_parsers);
	settings_install(new);
	watch_invalidate(watch);
	msg_info("configuration and CA profiles reloaded from %s", config_path);
}

/* Serving ---------------------------------------------------------------- */

/* connect_briefly - connect to addr and hang up: the listener wakes */

static void connect_briefly(int family, const struct sockaddr *addr, socklen_t len)
{
	struct timeval limit = {NUDGE_TIMEOUT_SECONDS, 0};
	int     fd;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	(void) connect(fd, addr, len);
	close(fd);
}

/* nudge_listener - one connection to the milter's own socket, so that
 * libmilter's listener sees smfi_stop() now rather than in MI_CHK_TIME */

static void nudge_listener(const char *spec)
{
	const char *path = unix_socket_path(spec);
	struct addrinfo hints;
	struct addrinfo *res;
	struct sockaddr_un sun;
	char    port[16];
	const char *at;
	const char *colon;

	if (path) {
		if (strlen(path) >= sizeof(sun.sun_path))
			return;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		connect_briefly(AF_UNIX, (struct sockaddr *) &sun, sizeof(sun));
		return;
	}
	/* inet:PORT@HOST, inet6:PORT@HOST */
	if ((colon = strchr(spec, ':')) == NULL || (at = strchr(colon, '@')) == NULL
	    || (size_t) (at - colon - 1) >= sizeof(port))
		return;
	memcpy(port, colon + 1, (size_t) (at - colon - 1));
	port[at - colon - 1] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(at + 1, port, &hints, &res) != 0)
		return;
	connect_briefly(res->ai_family, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
}

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

static void *stop_thread(void *arg)
{
	(void) arg;
	smfi_stop();			/* waits for the listener's lock */
	return NULL;
}

/* stop_listener - smfi_stop() marks libmilter stopped at once but then
 * waits for the listener, which holds its lock in select() for up to
 * MI_CHK_TIME: so it runs in a thread of its own while this one connects
 * to the socket until the listener has seen the mark and smfi_main()
 * returned */

static void stop_listener(pthread_t milter)
{
	struct timespec until;
	pthread_t stopper;

	if (pthread_create(&stopper, NULL, stop_thread, NULL) != 0) {
		smfi_stop();
		pthread_join(milter, NULL);
		return;
	}
	for (;;) {
		nudge_listener(listening_on);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += NUDGE_INTERVAL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(milter, NULL, &until) == 0)
			break;
	}
	pthread_join(stopper, NULL);
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
			stop_listener(thread);
			return status == MI_SUCCESS ? 0 : 1;
		}
	}
	pthread_join(thread, NULL);
	return status == MI_SUCCESS ? 0 : 1;
}

/* open_intake - the intake's own files, as the milter's user */

static void open_intake(const struct config *cfg, struct intake *intake, struct watch **watch,
			int *spool)
{
	struct ledger_location where;
	struct strbuf err = STRBUF_INIT;
	struct ledger *ledger;

	ledger_location_of(&where, cfg, "mailcert-milter");
	where.busy_timeout_ms = cfg->busy_timeout_ms < MILTER_BUSY_TIMEOUT_MAX
	    ? cfg->busy_timeout_ms : MILTER_BUSY_TIMEOUT_MAX;
	if (ledger_open_patiently(&where, LEDGER_ROLE_INTAKE, &ledger, &err, NULL) < 0)
		msg_fatal("%s", sb_str(&err));
	intake_init(intake, ledger);
	/* PostgreSQL records messages side by side: a connection per parser */
	for (int i = 1; where.url && i < slots_max() && i < INTAKE_MAX_LANES; i++) {
		if (ledger_open(&where, LEDGER_ROLE_INTAKE, &ledger, &err) < 0)
			msg_fatal("%s", sb_str(&err));
		intake_add_lane(intake, ledger);
	}
	if ((*watch = watch_start(&where, &err)) == NULL)
		msg_fatal("%s", sb_str(&err));
	if ((*spool = spool_dir_open(cfg->spool_dir, &err)) < 0)
		msg_fatal("%s", sb_str(&err));
}

int main(int argc, char **argv)
{
	struct options opts;
	struct strbuf err = STRBUF_INIT;
	struct settings *settings;
	struct role_user user;
	struct intake intake;
	struct watch *watch;
	char   *config_path;
	int     spool;
	int     rc;

	/* libmilter runs a thread per connection; glibc's default of one
	 * malloc arena per thread (up to 8 per core) costs far more memory
	 * than it saves in contention here. */
	mallopt(M_ARENA_MAX, MILTER_MALLOC_ARENAS);
	parse_options(argc, argv, &opts);
	/* A reload after chdir("/") must find the same file. */
	if ((config_path = realpath(opts.config, NULL)) == NULL)
		msg_fatal("%s: %s", opts.config, strerror(errno));
	if ((settings = settings_load(config_path, &err)) == NULL)
		msg_fatal("%s", sb_str(&err));
	open_log(&opts, settings->cfg);
	if (opts.check_only) {
		printf("%s: ok\n", opts.config);
		settings_release(settings);
		free(config_path);
		return 0;
	}
	if (role_user_lookup(settings->cfg->milter_user, &user, &err) < 0)
		msg_fatal("[milter] %s", sb_str(&err));
	open_milter_socket(settings->cfg, &user);
	if (!opts.foreground)
		detach();
	role_user_become(&user);
	slots_init(settings->cfg->max_parsers);
	open_intake(settings->cfg, &intake, &watch, &spool);
	callbacks_init(&intake, watch, spool);
	settings_install(settings);
	msg_info("listening on %s as %s, %zu watched domains, %d parsers, logging to %s",
		 settings->cfg->milter_socket, user.name ? user.name : "the invoking user",
		 watch_domain_count(watch), slots_max(), msg_destination());
	rc = serve(config_path, watch);
	msg_info("stopped");

	/*
	 * libmilter does not wait for its workers: one may still be finishing
	 * a message.  Take the intake's connections and keep them, so that
	 * none touches the ledger afterwards; exit() ends them and frees the
	 * rest.
	 */
	settings_shutdown();
	intake_close(&intake);
	role_user_clear(&user);
	free(config_path);
	return rc;
}
