/*
 * NAME
 *	web_guard - a deadline for every request head of the web view
 * SYNOPSIS
 *	#include "web.h"
 *
 *	struct web_guard *web_guard_new(void)
 *	void web_guard_free(struct web_guard *guard)
 *	void web_guard_notify(void *guard, struct MHD_Connection *conn,
 *			      void **socket_context,
 *			      enum MHD_ConnectionNotificationCode code)
 *	void web_guard_completed(void *guard, struct MHD_Connection *conn,
 *				 void **con_cls,
 *				 enum MHD_RequestTerminationCode code)
 *	void web_guard_head_done(struct web_guard *guard,
 *				 struct MHD_Connection *conn)
 *	int web_guard_expire(struct web_guard *guard, time_t now)
 * DESCRIPTION
 *	libmicrohttpd's connection timeout is for idleness: a client that
 *	sends a byte of its request head every few seconds holds its
 *	connection for ever, and enough of them hold every connection the
 *	view takes.  The guard gives each request head WEB_HEAD_DEADLINE
 *	seconds from the connection's start (or from the end of the request
 *	before it, on a kept-alive connection): web_guard_notify() (libmicro-
 *	httpd's connection notification) keeps the socket of each connection,
 *	web_guard_head_done() (the handler, once the head is in) marks it,
 *	web_guard_completed() starts the deadline of the next head, and
 *	web_guard_expire(), called every second by the serving thread, shuts
 *	down the socket of every connection past its deadline without a head
 *	(libmicrohttpd then closes it; the descriptor stays its own).  It
 *	returns how many it shut down.  The per-address limit is libmicro-
 *	httpd's (WEB_MAX_PER_IP), well below the whole (WEB_MAX_CONNECTIONS),
 *	so that a few addresses never hold them all.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "mymalloc.h"
#include "web.h"

/* One connection as the guard keeps it. */
struct guarded {
	struct MHD_Connection *conn;
	int     fd;
	time_t  since;			/* its head is due by since + the deadline */
	int     head_done;
	int     shut;			/* already shut down */
	struct guarded *prev;
	struct guarded *next;
};

struct web_guard {
	pthread_mutex_t lock;
	struct guarded *head;
};

struct web_guard *web_guard_new(void)
{
	struct web_guard *guard = xcalloc(1, sizeof(*guard));

	pthread_mutex_init(&guard->lock, NULL);
	return guard;
}

void web_guard_free(struct web_guard *guard)
{
	struct guarded *g;
	struct guarded *next;

	if (guard == NULL)
		return;
	for (g = guard->head; g; g = next) {
		next = g->next;
		free(g);
	}
	pthread_mutex_destroy(&guard->lock);
	free(guard);
}

static void unlink_guarded(struct web_guard *guard, struct guarded *g)
{
	if (g->prev)
		g->prev->next = g->next;
	else
		guard->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
}

void web_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	struct web_guard *guard = cls;
	const union MHD_ConnectionInfo *info;
	struct guarded *g;

	pthread_mutex_lock(&guard->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		g = xcalloc(1, sizeof(*g));
		g->conn = conn;
		g->fd = info ? info->connect_fd : -1;
		g->since = time(NULL);
		g->next = guard->head;
		if (guard->head)
			guard->head->prev = g;
		guard->head = g;
		*socket_context = g;
	} else if ((g = *socket_context) != NULL) {
		unlink_guarded(guard, g);
		free(g);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&guard->lock);
}

static struct guarded *guarded_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

void web_guard_head_done(struct web_guard *guard, struct MHD_Connection *conn)
{
	struct guarded *g;

	pthread_mutex_lock(&guard->lock);
	if ((g = guarded_of(conn)) != NULL)
		g->head_done = 1;
	pthread_mutex_unlock(&guard->lock);
}

void web_guard_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct web_guard *guard = cls;
	struct guarded *g;

	(void) con_cls;
	(void) code;
	pthread_mutex_lock(&guard->lock);
	if ((g = guarded_of(conn)) != NULL) {
		g->head_done = 0;	/* the next request's head is due in time too */
		g->since = time(NULL);
	}
	pthread_mutex_unlock(&guard->lock);
}

int web_guard_expire(struct web_guard *guard, time_t now)
{
	struct guarded *g;
	int     shut = 0;

	pthread_mutex_lock(&guard->lock);
	for (g = guard->head; g; g = g->next) {
		if (g->head_done || g->shut || g->fd < 0 || now - g->since < WEB_HEAD_DEADLINE)
			continue;
		shutdown(g->fd, SHUT_RDWR);
		g->shut = 1;
		shut++;
	}
	pthread_mutex_unlock(&guard->lock);
	return shut;
}
