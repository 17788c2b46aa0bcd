/*
 * web.h - the read-only web view of the ledger (mailcert serve).
 *
 * web_server.c	listening, authentication, routing, the headers of every
 *		response, streamed bodies
 * web_auth.c	[web] password_file: user:crypt-hash lines, HTTP Basic
 * web_pages.c	the HTML pages: orders, one order's timeline, approvals,
 *		install failures, messages
 * web_data.c	/metrics (Prometheus text) and /api/ (JSON), streamed
 * web_guard.c	a deadline for every request head
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_WEB_H
#define MAILCERT_WEB_H

#include <time.h>

#include <microhttpd.h>

#include "config.h"
#include "ledger.h"
#include "parser.h"
#include "strbuf.h"

#define WEB_MAX_CONNECTIONS	256	/* at once */
#define WEB_MAX_PER_IP		8	/* from one address: a few never hold all */
#define WEB_LOG_USER_MAX	64	/* of a failed login's user name, logged */
#define WEB_TIMEOUT		30	/* seconds a connection may idle */
#define WEB_HEAD_DEADLINE	10	/* seconds a request head may take in all */
#define WEB_PAGE_LIMIT		100	/* rows of a page unless ?limit= says */
#define WEB_LIMIT_MAX		5000	/* rows a page shows at most */
#define WEB_BATCH		200	/* rows per piece of a streamed body */
#define WEB_MAX_USERS		64	/* lines of a password file */

/* One request as the pages see it. */
struct web_request {
	const char *path;		/* without the query */
	struct ledger *ledger;
	const struct config *cfg;
	const struct parser *parser;	/* the CA profiles: which link is clickable */
	void   *conn;			/* struct MHD_Connection, for query arguments */
};

/* What a page or an endpoint answers. */
struct web_reply {
	int     status;
	const char *content_type;
	struct strbuf body;
	/* A streamed body instead: fill() appends the next piece to out and
	 * returns 1 while there is more, 0 at the end, -1 on an error. */
	int     (*fill) (void *state, struct strbuf *out);
	void   *state;
	void    (*free_state) (void *state);
};

/* web_server.c */
/* Listen on [web] listen (created before privileges are dropped): a
 * descriptor, or -1 with why.  A non-loopback address without [web]
 * password_file is refused. */
int web_listen(const struct config *cfg, struct strbuf *why);
/* Serve on fd until SIGTERM or SIGINT; 0, or -1 with why. */
int web_serve(int fd, const struct config *cfg, struct ledger *ledger, struct strbuf *why);
/* A query argument of the request, or NULL. */
const char *web_arg(const struct web_request *req, const char *name);
long long web_arg_int(const struct web_request *req, const char *name, long long dflt,
		      long long max);

/* web_guard.c */
struct web_guard;
struct web_guard *web_guard_new(void);
void web_guard_free(struct web_guard *guard);
/* libmicrohttpd's connection notification and request completion */
void web_guard_notify(void *guard, struct MHD_Connection *conn, void **socket_context,
		      enum MHD_ConnectionNotificationCode code);
void web_guard_completed(void *guard, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code);
/* The head of the connection's request is in. */
void web_guard_head_done(struct web_guard *guard, struct MHD_Connection *conn);
/* Shut down the connections whose head is late; how many. */
int web_guard_expire(struct web_guard *guard, time_t now);

/* web_auth.c */
struct web_users;
struct web_users *web_users_load(const char *path, struct strbuf *why);
/* 1 when user and password are one of the file's lines */
int web_users_check(const struct web_users *users, const char *user, const char *password);
void web_users_free(struct web_users *users);

/* web_pages.c */
int web_page(const struct web_request *req, struct web_reply *reply);
void web_escape(struct strbuf *out, const char *text);
void web_not_found(struct web_reply *reply, const char *what);

/* web_data.c */
int web_metrics(const struct web_request *req, struct web_reply *reply);
int web_api(const struct web_request *req, struct web_reply *reply);

#endif
