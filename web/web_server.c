/*
 * NAME
 *	web_server - the HTTP side of mailcert serve (GNU libmicrohttpd)
 * SYNOPSIS
 *	#include "web.h"
 *
 *	int web_listen(const struct config *cfg, struct strbuf *why)
 *	int web_serve(int fd, const struct config *cfg, struct ledger *ledger,
 *		      struct strbuf *why)
 * DESCRIPTION
 *	web_listen() opens [web] listen: HOST:PORT ([::1]:PORT for IPv6) or
 *	unix:/path (mode 0660, for a reverse proxy).  It is called as root,
 *	before the command drops to [web] user, so that a port below 1024
 *	or a socket under /run can be used.  An address that is not
 *	loopback (127.0.0.0/8, ::1, a unix socket) is refused without [web]
 *	password_file: the ledger shows approval links and codes.
 *
 *	web_serve() runs one libmicrohttpd thread (the ledger connection is
 *	used by it only) until SIGTERM or SIGINT.  Only GET and HEAD are
 *	answered (405 else).  With a password file every request needs
 *	HTTP Basic credentials of one of its users (401 else, nothing
 *	shown); without one, a request on TCP whose Host is not a loopback
 *	name is refused (421): a page that rebinds its own name to 127.0.0.1
 *	does not read the view.  Every response carries a strict Content-Security-Policy
 *	(no script, styles from /style.css only, no frames, no forms),
 *	X-Content-Type-Options nosniff, Referrer-Policy no-referrer and
 *	Cache-Control no-store.  Large bodies (the JSON of every order,
 *	/metrics) are streamed a piece at a time through fill().
 *
 *	Slow clients: a request head must be in within WEB_HEAD_DEADLINE
 *	seconds (web_guard.c), and one address holds at most WEB_MAX_PER_IP
 *	of the WEB_MAX_CONNECTIONS connections, so that a few addresses
 *	that trickle headers never keep the view from everybody else.
 *
 *	Failed logins are logged, one line each with the client's address
 *	and the user name given ("web login failed for user U from A"), for
 *	fail2ban; a request without credentials (a browser's first) is not.
 *	SIGHUP reads the configuration again and takes its password file
 *	(a user added, a password changed); a file that does not load, or
 *	one without password_file where there was one, keeps the users the
 *	view has.  Every other [web] key takes a restart.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "msg.h"
#include "mymalloc.h"
#include "printable.h"
#include "url.h"
#include "web.h"

#define WEB_REALM	"mailcert"
#define WEB_BACKLOG	64
#define WEB_CSP	"default-src 'none'; style-src 'self'; img-src 'self'; " \
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* The server, as the request handler sees it. */
struct web_server {
	const struct config *cfg;
	struct ledger *ledger;
	struct web_users *users;	/* NULL: no password file */
	pthread_mutex_t users_lock;	/* a reload swaps users */
	struct parser *parser;		/* the CA profiles */
	struct web_guard *guard;	/* the request heads' deadline */
};

/* Listening ------------------------------------------------------------------ */

static int listen_unix(const char *path, struct strbuf *why)
{
	struct sockaddr_un sun;
	mode_t  old_mask;
	int     fd;
	int     rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		sb_appendf(why, "[web] listen unix:%s: the path is too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		sb_appendf(why, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	old_mask = umask(0117);		/* the socket is made 0660: no chmod of a name */
	rc = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
	umask(old_mask);
	if (rc < 0 || listen(fd, WEB_BACKLOG) < 0) {
		sb_appendf(why, "[web] listen unix:%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* split_host_port - HOST:PORT or [HOST]:PORT into host and port */

static int split_host_port(const char *text, char *host, size_t size, int *port)
{
	const char *colon = strrchr(text, ':');
	const char *h = text;
	size_t  len;
	char   *end;
	long    p;

	if (colon == NULL)
		return -1;
	len = (size_t) (colon - text);
	if (*h == '[' && len >= 2 && text[len - 1] == ']') {
		h++;
		len -= 2;
	}
	if (len == 0 || len >= size)
		return -1;
	memcpy(host, h, len);
	host[len] = 0;
	p = strtol(colon + 1, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return -1;
	*port = (int) p;
	return 0;
}

static int listen_inet(const struct config *cfg, const char *text, struct strbuf *why)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct sockaddr *sa;
	socklen_t salen;
	char    host[256];
	int     port;
	int     loopback;
	int     fd;
	int     on = 1;

	if (split_host_port(text, host, sizeof(host), &port) < 0) {
		sb_appendf(why, "[web] listen %s: not HOST:PORT, [HOST]:PORT or unix:/path", text);
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((unsigned short) port);
		sa = (struct sockaddr *) &sin;
		salen = sizeof(sin);
		loopback = url_host_is_loopback(host);
	} else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((unsigned short) port);
		sa = (struct sockaddr *) &sin6;
		salen = sizeof(sin6);
		loopback = url_host_is_loopback(host);
	} else {
		sb_appendf(why, "[web] listen %s: %s is not an IP address", text, host);
		return -1;
	}
	if (!loopback && cfg->web_password_file == NULL) {
		sb_appendf(why, "[web] listen %s is not loopback: refused without [web] password_file "
			   "(the view shows approval links and codes)", text);
		return -1;
	}
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		sb_appendf(why, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, sa, salen) < 0 || listen(fd, WEB_BACKLOG) < 0) {
		sb_appendf(why, "[web] listen %s: %s", text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int web_listen(const struct config *cfg, struct strbuf *why)
{
	const char *text = cfg->web_listen;

	if (strncmp(text, "unix:", 5) == 0)
		return listen_unix(text + 5, why);
	return listen_inet(cfg, text, why);
}

/* Query arguments ------------------------------------------------------------- */

const char *web_arg(const struct web_request *req, const char *name)
{
	const char *value = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);

	return value && *value ? value : NULL;
}

long long web_arg_int(const struct web_request *req, const char *name, long long dflt,
		      long long max)
{
	const char *text = web_arg(req, name);
	char   *end;
	long long n;

	if (text == NULL)
		return dflt;
	n = strtoll(text, &end, 10);
	if (*end || n <= 0)
		return dflt;
	return n > max ? max : n;
}

/* Answering -------------------------------------------------------------------- */

/* One streamed body. */
struct stream {
	struct web_reply reply;
	struct strbuf pending;
	size_t  offset;
	int     done;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t  n;
	int     rc;

	(void) pos;
	while (s->offset == s->pending.len) {
		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		sb_reset(&s->pending);
		s->offset = 0;
		if ((rc = s->reply.fill(s->reply.state, &s->pending)) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		s->done = rc == 0;
	}
	n = s->pending.len - s->offset;
	if (n > max)
		n = max;
	memcpy(buf, s->pending.data + s->offset, n);
	s->offset += n;
	return (ssize_t) n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->reply.free_state)
		s->reply.free_state(s->reply.state);
	sb_free(&s->pending);
	sb_free(&s->reply.body);
	free(s);
}

static void add_headers(struct MHD_Response *r, const char *content_type)
{
	MHD_add_response_header(r, "Content-Type", content_type);
	MHD_add_response_header(r, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct web_reply *reply)
{
	struct MHD_Response *r;
	struct stream *s;
	enum MHD_Result rc;

	if (reply->fill) {
		s = xcalloc(1, sizeof(*s));
		s->reply = *reply;
		s->pending = reply->body;	/* what the page wrote first */
		memset(&s->reply.body, 0, sizeof(s->reply.body));
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, s,
						      stream_free);
	} else {
		r = MHD_create_response_from_buffer(reply->body.len, reply->body.data ? reply->body.data
						    : (char *) "", MHD_RESPMEM_MUST_COPY);
		sb_free(&reply->body);
	}
	if (r == NULL)
		return MHD_NO;
	add_headers(r, reply->content_type ? reply->content_type : "text/plain; charset=utf-8");
	rc = MHD_queue_response(conn, (unsigned) reply->status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, int status, const char *text)
{
	struct web_reply reply;

	memset(&reply, 0, sizeof(reply));
	reply.status = status;
	sb_appends(&reply.body, text);
	return send_reply(conn, &reply);
}

static enum MHD_Result ask_for_password(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	static const char text[] = "credentials required\n";

	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *) text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	add_headers(r, "text/plain; charset=utf-8");
	rc = MHD_queue_basic_auth_fail_response(conn, WEB_REALM, r);
	MHD_destroy_response(r);
	return rc;
}

/* loopback_host - a Host header naming this machine by a loopback name
 * (127.0.0.0/8, [::1], localhost, with or without a port): without a
 * password, a page that rebinds its own name to 127.0.0.1 (DNS rebinding)
 * must not read the view */

static int loopback_host(const char *host)
{
	char    name[256];
	size_t  len;

	if (host == NULL)
		return 0;
	/* the port off: "[::1]:8025", "127.0.0.1:8025", "localhost" */
	len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	if (len >= sizeof(name) || (host[len] != 0 && host[len] != ':'))
		return 0;
	memcpy(name, host, len);
	name[len] = 0;
	return url_host_is_loopback(name);
}

/* client_address - who connected, for the log */

static void client_address(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	snprintf(buf, size, "local");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf, (socklen_t) size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, buf, (socklen_t) size);
}

static void log_failed_login(struct MHD_Connection *conn, const char *user)
{
	char    shown[WEB_LOG_USER_MAX];
	char    addr[INET6_ADDRSTRLEN];

	printable_buf(shown, sizeof(shown), user, PRINTABLE_ASCII | PRINTABLE_SPACES);
	client_address(conn, addr, sizeof(addr));
	msg_warn("web login failed for user \"%s\" from %s", shown, addr);
}

/* authorized - the request's credentials are a user's; *open_view: there
 * is no password file */

static int authorized(struct web_server *srv, struct MHD_Connection *conn, int *open_view)
{
	char   *password = NULL;
	char   *user;
	int     ok;

	pthread_mutex_lock(&srv->users_lock);
	*open_view = srv->users == NULL;
	if (*open_view) {
		pthread_mutex_unlock(&srv->users_lock);
		return 1;
	}
	user = MHD_basic_auth_get_username_password(conn, &password);
	ok = user && password && web_users_check(srv->users, user, password);
	pthread_mutex_unlock(&srv->users_lock);
	if (!ok && user)
		log_failed_login(conn, user);
	MHD_free(user);
	MHD_free(password);
	return ok;
}

/* reload_users - SIGHUP: the password file the configuration names now */

static void reload_users(struct web_server *srv, const char *config_path)
{
	struct strbuf why = STRBUF_INIT;
	struct config *cfg = NULL;
	struct web_users *users = NULL;
	struct web_users *old;

	if (config_load(config_path, &cfg, &why) < 0
	    || (cfg->web_password_file && (users = web_users_load(cfg->web_password_file, &why)) == NULL)) {
		msg_warn("reload: %s; the web view keeps the users it has", sb_str(&why));
	} else if (users == NULL && srv->users != NULL) {
		msg_warn("reload: %s has no [web] password_file now; the web view keeps the users it has "
			 "(serving without a password takes a restart)", config_path);
	} else {
		pthread_mutex_lock(&srv->users_lock);
		old = srv->users;
		srv->users = users;
		pthread_mutex_unlock(&srv->users_lock);
		web_users_free(old);
		msg_info("reload: %s read again%s; other [web] keys take effect at restart", config_path,
			 users ? ", its password file taken" : "");
	}
	config_free(cfg);
	sb_free(&why);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct web_server *srv = cls;
	struct web_request req;
	struct web_reply reply;
	int     open_view;
	int     rc;

	(void) version;
	(void) upload;
	if (*con_cls == NULL) {		/* the headers are in; wait for the rest */
		*con_cls = srv;
		web_guard_head_done(srv->guard, conn);
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;	/* a body is never read */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (!authorized(srv, conn, &open_view))
		return ask_for_password(conn);
	if (open_view && strncmp(srv->cfg->web_listen, "unix:", 5) != 0
	    && !loopback_host(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host")))
		return send_text(conn, MHD_HTTP_MISDIRECTED_REQUEST,
				 "without [web] password_file only a loopback Host is served\n");
	memset(&req, 0, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	req.path = url;
	req.ledger = srv->ledger;
	req.cfg = srv->cfg;
	req.parser = srv->parser;
	req.conn = conn;
	reply.status = MHD_HTTP_OK;
	if (strcmp(url, "/metrics") == 0)
		rc = web_metrics(&req, &reply);
	else if (strncmp(url, "/api/", 5) == 0)
		rc = web_api(&req, &reply);
	else
		rc = web_page(&req, &reply);
	if (rc < 0) {
		msg_warn("%s: %s", url, ledger_error(srv->ledger));
		sb_free(&reply.body);
		if (reply.free_state)
			reply.free_state(reply.state);
		return send_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the ledger cannot be read now\n");
	}
	return send_reply(conn, &reply);
}

/* Serving ------------------------------------------------------------------------ */

int web_serve(int fd, const struct config *cfg, struct ledger *ledger, struct strbuf *why)
{
	struct web_server srv = {cfg, ledger, NULL, PTHREAD_MUTEX_INITIALIZER, NULL, NULL};
	struct MHD_Daemon *d;
	struct timespec second = {1, 0};
	sigset_t set;
	time_t  told = 0;
	int     shut = 0;
	int     sig;

	if ((srv.parser = parser_new(cfg, why)) == NULL)
		return -1;
	if (cfg->web_password_file && (srv.users = web_users_load(cfg->web_password_file, why)) == NULL) {
		parser_free(srv.parser);
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	srv.guard = web_guard_new();
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, handle, &srv,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned) WEB_MAX_CONNECTIONS,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) WEB_MAX_PER_IP,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) WEB_TIMEOUT,
			     MHD_OPTION_NOTIFY_CONNECTION, web_guard_notify, srv.guard,
			     MHD_OPTION_NOTIFY_COMPLETED, web_guard_completed, srv.guard,
			     MHD_OPTION_END);
	if (d == NULL) {
		sb_appends(why, "libmicrohttpd would not start");
		web_guard_free(srv.guard);
		web_users_free(srv.users);
		parser_free(srv.parser);
		return -1;
	}
	msg_info("serving the ledger on %s%s", cfg->web_listen,
		 srv.users ? " (HTTP Basic, [web] password_file)" : " (loopback, no password)");
	/* every second: the request heads past their deadline */
	while ((sig = sigtimedwait(&set, NULL, &second)) != SIGTERM && sig != SIGINT) {
		if (sig == SIGHUP)
			reload_users(&srv, cfg->path);
		shut += web_guard_expire(srv.guard, time(NULL));
		if (shut && time(NULL) - told >= 60) {
			msg_warn("closed %d connection%s that sent no request head within %d s",
				 shut, shut == 1 ? "" : "s", WEB_HEAD_DEADLINE);
			told = time(NULL);
			shut = 0;
		}
	}
	msg_info("stopping on signal %d", sig);
	MHD_stop_daemon(d);
	web_guard_free(srv.guard);
	web_users_free(srv.users);
	parser_free(srv.parser);
	return 0;
}
