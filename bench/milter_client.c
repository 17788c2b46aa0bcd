/*
 * NAME
 *	milter_client - the MTA side of the milter protocol, version 6
 * SYNOPSIS
 *	#include "milter_client.h"
 *
 *	int milter_endpoint_parse(const char *spec, struct milter_endpoint *ep,
 *				  struct strbuf *err)
 *	int milter_open(struct milter_conn *conn, const struct milter_endpoint *ep,
 *			int timeout, struct strbuf *err)
 *	int milter_send_message(struct milter_conn *conn,
 *				const struct milter_envelope *env,
 *				struct milter_result *res, struct strbuf *err)
 *	void milter_close(struct milter_conn *conn)
 *	double seconds_since(const struct timespec *then)
 * DESCRIPTION
 *	This file talks to a milter the way Postfix's smtpd and cleanup do
 *	(src/milter/milter8.c), so that a load generator costs a filter what
 *	Postfix would.
 *
 *	milter_endpoint_parse() reads "unix:/path" (or "local:/path"),
 *	"inet:PORT@HOST" (libmilter's form) or "inet:HOST:PORT" (Postfix's).
 *
 *	milter_open() connects (one milter connection per SMTP session, as
 *	Postfix does with libmilter), offers protocol version 6 with every
 *	action and every protocol step flag Postfix offers, and checks the
 *	answer; then reports CONNECT (client.example.org [192.0.2.1]) and
 *	HELO.  An ACCEPT there means no more events on this connection.
 *	timeout bounds every read and write, in seconds.
 *
 *	milter_send_message() reports one message: MAIL, one RCPT per
 *	recipient, DATA, one HEADER per header, EOH, BODY chunks of at most
 *	MILTER_CHUNK_SIZE bytes, end of body; each preceded by its macros
 *	(queue id "i" and Postfix's default macro lists), which are sent even
 *	for a step the filter asked not to receive, as Postfix does.  A step
 *	the filter negotiated away (SMFIP_NO*) is not sent; a step it said it
 *	will not answer (SMFIP_NR_*) is sent without waiting; SMFIR_SKIP skips
 *	further events of that type; commands are written in one go when the
 *	next reply is awaited.  A final decision (ACCEPT, DISCARD, REJECT,
 *	TEMPFAIL, a reply code) before the end of the message ends the
 *	message there, except that a rejected recipient only drops that
 *	recipient.  Afterwards SMFIC_ABORT is queued, as Postfix's mail_reset
 *	does.  SHUTDOWN or CONN_FAIL close the connection (conn->fd becomes -1).
 *
 *	res receives the reply that ended the filter's part and the command it
 *	answered, the time from writing that command to reading that reply
 *	(reply_seconds: the same definition for every filter, whether it
 *	answers at end of message or earlier), the time since MAIL was
 *	written, and the modification requests seen at end of message.
 *
 *	milter_open() and milter_send_message() return 0, or -1 with the
 *	reason in err after a read, write, timeout or protocol error; the
 *	connection is then closed.
 *
 *	milter_close() sends QUIT and closes.
 * SPDX-License-Identifier: ISC
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milter_client.h"
#include "mymalloc.h"

#define MILTER_VERSION		6
#define REPLY_DATA_MAX		(16 * 1024 * 1024)
#define REPLIES_MAX		100000	/* per event: PROGRESS and edits */

/* What Postfix offers: every action it can apply ... */
#define MTA_ACTIONS	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT \
			| SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_CHGFROM \
			| SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST)

/* ... and every step a filter may decline or not answer, for version 6. */
#define MTA_STEPS	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT \
			| SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN \
			| SMFIP_NODATA | SMFIP_SKIP | SMFIP_RCPT_REJ | SMFIP_NR_CONN \
			| SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA \
			| SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY \
			| SMFIP_HDR_LEADSPC)

#define CLIENT_NAME	"client.example.org"
#define CLIENT_ADDR	"192.0.2.1"
#define CLIENT_PORT	40000
#define HELO_NAME	"client.example.org"
#define MTA_NAME	"mx.example.net"

struct macro {
	const char *name;
	const char *value;
};

#define NO_REPLY	0		/* event() sent nothing that is answered */

double seconds_since(const struct timespec *then)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double) (now.tv_sec - then->tv_sec) + (now.tv_nsec - then->tv_nsec) / 1e9;
}

/* Endpoints -------------------------------------------------------------- */

static int endpoint_unix(const char *path, struct milter_endpoint *ep, struct strbuf *err)
{
	struct sockaddr_un *sun = (struct sockaddr_un *) &ep->addr;

	if (strlen(path) >= sizeof(sun->sun_path)) {
		sb_appendf(err, "socket path too long: %s", path);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	ep->addr_len = sizeof(*sun);
	return 0;
}

static int endpoint_inet(const char *host, const char *port, struct milter_endpoint *ep,
			 struct strbuf *err)
{
	struct addrinfo hints;
	struct addrinfo *res;
	int     rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		sb_appendf(err, "%s port %s: %s", host, port, gai_strerror(rc));
		return -1;
	}
	memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
	ep->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int milter_endpoint_parse(const char *spec, struct milter_endpoint *ep, struct strbuf *err)
{
	char   *copy;
	char   *rest;
	char   *sep;
	int     rc;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(spec, "unix:", 5) == 0)
		return endpoint_unix(spec + 5, ep, err);
	if (strncmp(spec, "local:", 6) == 0)
		return endpoint_unix(spec + 6, ep, err);
	if (spec[0] == '/')
		return endpoint_unix(spec, ep, err);
	if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0) {
		sb_appendf(err, "socket \"%s\": want unix:/path, inet:PORT@HOST or inet:HOST:PORT", spec);
		return -1;
	}
	copy = xstrdup(spec);
	rest = strchr(copy, ':') + 1;
	if ((sep = strchr(rest, '@')) != NULL) {
		*sep = 0;
		rc = endpoint_inet(sep + 1, rest, ep, err);
	} else if ((sep = strrchr(rest, ':')) != NULL) {
		*sep = 0;
		rc = endpoint_inet(rest, sep + 1, ep, err);
	} else {
		sb_appendf(err, "socket \"%s\": no port", spec);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* Writing: packets are built in conn->out and written before a read ----- */

static size_t packet_begin(struct milter_conn *conn, int cmd)
{
	size_t  at = conn->out.len;
	unsigned char head[5] = {0, 0, 0, 0, (unsigned char) cmd};

	sb_append(&conn->out, head, sizeof(head));
	return at;
}

static void packet_end(struct milter_conn *conn, size_t at)
{
	uint32_t len = htonl((uint32_t) (conn->out.len - at - 4));

	memcpy(conn->out.data + at, &len, 4);
}

static void put_u32(struct milter_conn *conn, uint32_t value)
{
	uint32_t net = htonl(value);

	sb_append(&conn->out, &net, 4);
}

static void put_string(struct milter_conn *conn, const char *str)
{
	sb_append(&conn->out, str, strlen(str) + 1);
}

static void put_macros(struct milter_conn *conn, int event, const struct macro *macros,
		       size_t count)
{
	size_t  at;
	size_t  i;
	char    code = (char) event;

	if (count == 0)
		return;
	at = packet_begin(conn, SMFIC_MACRO);
	sb_append(&conn->out, &code, 1);
	for (i = 0; i < count; i++) {
		put_string(conn, macros[i].name);
		put_string(conn, macros[i].value);
	}
	packet_end(conn, at);
}

static void conn_fail(struct milter_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
}

static int flush(struct milter_conn *conn, struct strbuf *err)
{
	size_t  done = 0;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &conn->flushed_at);
	while (done < conn->out.len) {
		n = write(conn->fd, conn->out.data + done, conn->out.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sb_appendf(err, "write: %s", n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
				   ? "timeout" : strerror(errno));
			conn_fail(conn);
			return -1;
		}
		done += (size_t) n;
	}
	sb_reset(&conn->out);
	return 0;
}

/* Reading ----------------------------------------------------------------- */

static int fill(struct milter_conn *conn, struct strbuf *err)
{
	ssize_t n;

	conn->in_start = conn->in_end = 0;
	do
		n = read(conn->fd, conn->in, sizeof(conn->in));
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		sb_appendf(err, "read: %s", n == 0 ? "the filter closed the connection"
			   : (errno == EAGAIN || errno == EWOULDBLOCK) ? "timeout" : strerror(errno));
		conn_fail(conn);
		return -1;
	}
	conn->in_end = (size_t) n;
	return 0;
}

static int read_exact(struct milter_conn *conn, void *dst, size_t len, struct strbuf *err)
{
	unsigned char *out = dst;
	size_t  take;

	while (len > 0) {
		if (conn->in_start == conn->in_end && fill(conn, err) < 0)
			return -1;
		take = conn->in_end - conn->in_start;
		if (take > len)
			take = len;
		memcpy(out, conn->in + conn->in_start, take);
		conn->in_start += take;
		out += take;
		len -= take;
	}
	return 0;
}

/* read_packet - one reply: its command code, its data in conn->reply */

static int read_packet(struct milter_conn *conn, int *cmd, struct strbuf *err)
{
	uint32_t net_len;
	size_t  len;
	unsigned char code;

	if (read_exact(conn, &net_len, 4, err) < 0)
		return -1;
	len = ntohl(net_len);
	if (len < 1 || len > REPLY_DATA_MAX) {
		sb_appendf(err, "bad reply length %zu", len);
		conn_fail(conn);
		return -1;
	}
	if (read_exact(conn, &code, 1, err) < 0)
		return -1;
	sb_reset(&conn->reply);
	while (conn->reply.len < len - 1) {
		char    block[4096];
		size_t  want = len - 1 - conn->reply.len;

		if (want > sizeof(block))
			want = sizeof(block);
		if (read_exact(conn, block, want, err) < 0)
			return -1;
		sb_append(&conn->reply, block, want);
	}
	*cmd = code;
	return 0;
}

static int protocol_error(struct milter_conn *conn, struct strbuf *err, const char *what,
			  int cmd, int event)
{
	sb_appendf(err, "%s '%c' (data %zu bytes) after event '%c'", what, cmd,
		   conn->reply.len, event);
	conn_fail(conn);
	return -1;
}

/* note_added_header - keep the first header a filter added, "Name: value" */

static void note_added_header(struct milter_conn *conn, int cmd, struct milter_result *res)
{
	const char *data = conn->reply.data;
	size_t  len = conn->reply.len;
	size_t  name_len;

	res->headers_added++;
	if (res->added[0] || len < 2)
		return;
	if (cmd == SMFIR_INSHEADER) {
		if (len < 6)
			return;
		data += 4;
		len -= 4;
	}
	name_len = strnlen(data, len);
	if (name_len + 1 >= len)
		return;
	snprintf(res->added, sizeof(res->added), "%.*s: %.*s", (int) name_len, data,
		 (int) strnlen(data + name_len + 1, len - name_len - 1), data + name_len + 1);
}

static int is_edit(int cmd)
{
	return strchr("hime+-2bq", cmd) != NULL && cmd != 0;
}

/* await_reply - write what is queued, then read until the filter decides */

static int await_reply(struct milter_conn *conn, int event, struct milter_result *res,
		       struct strbuf *err)
{
	int     cmd;
	int     i;

	if (flush(conn, err) < 0)
		return -1;
	for (i = 0; i < REPLIES_MAX; i++) {
		if (read_packet(conn, &cmd, err) < 0)
			return -1;
		switch (cmd) {
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_CONTINUE:
		case SMFIR_ACCEPT:
		case SMFIR_DISCARD:
		case SMFIR_REJECT:
		case SMFIR_TEMPFAIL:
		case SMFIR_SHUTDOWN:
		case SMFIR_CONN_FAIL:
		case SMFIR_SKIP:
			if (conn->reply.len != 0)
				return protocol_error(conn, err, "reply with data", cmd, event);
			return cmd;
		case SMFIR_REPLYCODE:
			return cmd;
		}
		if (!is_edit(cmd))
			return protocol_error(conn, err, "unexpected reply", cmd, event);
		if (event != SMFIC_BODYEOB && cmd != SMFIR_QUARANTINE)
			return protocol_error(conn, err, "modification request", cmd, event);
		if (res == NULL)
			continue;
		if (cmd == SMFIR_ADDHEADER || cmd == SMFIR_INSHEADER)
			note_added_header(conn, cmd, res);
		else
			res->other_edits++;
	}
	return protocol_error(conn, err, "too many replies, last", cmd, event);
}

/*
 * event - one step of the protocol: the macros, then the command unless
 * the filter declined it, then its reply unless the filter will not
 * answer it.  Returns the reply, NO_REPLY, or -1.
 */
static int event(struct milter_conn *conn, int cmd, unsigned long no_flag,
		 unsigned long nr_flag, const struct macro *macros, size_t macro_count,
		 const void *data, size_t len, struct milter_result *res, struct strbuf *err)
{
	size_t  at;

	if (conn->skip_event) {
		if (conn->skip_event == cmd)
			return NO_REPLY;
		conn->skip_event = 0;
	}
	put_macros(conn, cmd, macros, macro_count);
	if (conn->steps & no_flag)
		return NO_REPLY;
	at = packet_begin(conn, cmd);
	sb_append(&conn->out, data, len);
	packet_end(conn, at);
	if (conn->steps & nr_flag)
		return NO_REPLY;
	return await_reply(conn, cmd, res, err);
}

/* Connection ------------------------------------------------------------- */

static int negotiate(struct milter_conn *conn, struct strbuf *err)
{
	size_t  at = packet_begin(conn, SMFIC_OPTNEG);
	uint32_t words[3];
	int     cmd;

	put_u32(conn, MILTER_VERSION);
	put_u32(conn, MTA_ACTIONS);
	put_u32(conn, MTA_STEPS);
	packet_end(conn, at);
	if (flush(conn, err) < 0 || read_packet(conn, &cmd, err) < 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || conn->reply.len < sizeof(words))
		return protocol_error(conn, err, "negotiation answered with", cmd, SMFIC_OPTNEG);
	memcpy(words, conn->reply.data, sizeof(words));
	conn->version = ntohl(words[0]);
	conn->actions = ntohl(words[1]);
	conn->steps = ntohl(words[2]);
	if (conn->version < 2 || conn->version > MILTER_VERSION) {
		sb_appendf(err, "filter protocol version %lu", conn->version);
		conn_fail(conn);
		return -1;
	}
	if ((conn->actions & MTA_ACTIONS) != conn->actions) {
		sb_appendf(err, "filter wants actions 0x%lx, offered 0x%lx", conn->actions,
			   (unsigned long) MTA_ACTIONS);
		conn_fail(conn);
		return -1;
	}
	/* Macro lists after the three words (SMFIR_SETSYMLIST) are ignored:
	 * the generator sends the same macros to every filter. */
	return 0;
}

/* session_reply - what a reply to CONNECT or HELO means for the connection */

static int session_reply(struct milter_conn *conn, int reply, struct strbuf *err)
{
	if (reply < 0 || reply == NO_REPLY || reply == SMFIR_CONTINUE || reply == SMFIR_SKIP)
		return reply < 0 ? -1 : 0;
	if (reply == SMFIR_ACCEPT) {
		conn->accepted_all = 1;	/* Postfix closes the milter socket */
		conn_fail(conn);
		return 0;
	}
	sb_appendf(err, "the filter refused the SMTP session (reply '%c')", reply);
	conn_fail(conn);
	return -1;
}

static int introduce_client(struct milter_conn *conn, struct strbuf *err)
{
	static const struct macro macros[] = {
		{"j", MTA_NAME},
		{"{daemon_name}", "smtpd"},
		{"{daemon_addr}", "127.0.0.1"},
		{"v", "Postfix 3.7"},
		{"_", CLIENT_NAME " [" CLIENT_ADDR "]"},
	};
	struct strbuf data = STRBUF_INIT;
	uint16_t port = htons(CLIENT_PORT);
	int     reply;

	sb_append(&data, CLIENT_NAME, sizeof(CLIENT_NAME));
	sb_append(&data, "4", 1);
	sb_append(&data, &port, 2);
	sb_append(&data, CLIENT_ADDR, sizeof(CLIENT_ADDR));
	reply = event(conn, SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN, macros,
		      sizeof(macros) / sizeof(macros[0]), data.data, data.len, NULL, err);
	sb_free(&data);
	if (session_reply(conn, reply, err) < 0 || conn->accepted_all)
		return conn->accepted_all ? 0 : -1;
	reply = event(conn, SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, NULL, 0,
		      HELO_NAME, sizeof(HELO_NAME), NULL, err);
	return session_reply(conn, reply, err);
}

static int dial(const struct milter_endpoint *ep, int timeout, struct strbuf *err)
{
	struct timeval tv = {timeout, 0};
	int     fd;

	if ((fd = socket(ep->addr.ss_family, SOCK_STREAM, 0)) < 0) {
		sb_appendf(err, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *) &ep->addr, ep->addr_len) < 0) {
		sb_appendf(err, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int milter_open(struct milter_conn *conn, const struct milter_endpoint *ep, int timeout,
		struct strbuf *err)
{
	sb_reset(&conn->out);
	conn->in_start = conn->in_end = 0;
	conn->accepted_all = 0;
	conn->skip_event = 0;
	conn->timeout = timeout;
	if ((conn->fd = dial(ep, timeout, err)) < 0)
		return -1;
	if (negotiate(conn, err) < 0)
		return -1;
	return introduce_client(conn, err);
}

void milter_close(struct milter_conn *conn)
{
	struct strbuf ignored = STRBUF_INIT;
	size_t  at;

	if (conn->fd >= 0) {
		at = packet_begin(conn, SMFIC_QUIT);
		packet_end(conn, at);
		if (flush(conn, &ignored) == 0)
			conn_fail(conn);
	}
	conn->fd = -1;
	sb_free(&ignored);
	sb_free(&conn->out);
	sb_free(&conn->reply);
}

/* The message ------------------------------------------------------------ */

struct message_run {
	struct milter_conn *conn;
	const struct milter_envelope *env;
	struct milter_result *res;
	struct strbuf *err;
	struct strbuf data;		/* the arguments of one event */
	struct timespec started;
};

/* ends_message - whether a reply is the filter's final word on the message */

static int ends_message(int reply)
{
	return reply > 0 && reply != SMFIR_CONTINUE && reply != SMFIR_SKIP;
}

static int finish(struct message_run *run, int event, int reply)
{
	struct milter_conn *conn = run->conn;
	size_t  at;

	run->res->final_reply = reply;
	run->res->final_event = event;
	run->res->reply_seconds = seconds_since(&conn->flushed_at);
	run->res->message_seconds = seconds_since(&run->started);
	if (reply == SMFIR_SHUTDOWN || reply == SMFIR_CONN_FAIL) {
		conn_fail(conn);
		return 0;
	}
	at = packet_begin(conn, SMFIC_ABORT);
	packet_end(conn, at);
	conn->skip_event = 0;
	return 0;
}

static int send_mail(struct message_run *run)
{
	const struct milter_envelope *env = run->env;
	const struct macro macros[] = {
		{"i", env->queue_id},
		{"{mail_addr}", env->sender},
		{"{mail_host}", MTA_NAME},
		{"{mail_mailer}", "smtp"},
	};

	sb_reset(&run->data);
	sb_appendf(&run->data, "<%s>", env->sender);
	sb_append(&run->data, "", 1);
	return event(run->conn, SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, macros, 4,
		     run->data.data, run->data.len, run->res, run->err);
}

static int send_rcpt(struct message_run *run, const char *rcpt)
{
	const struct macro macros[] = {
		{"i", run->env->queue_id},
		{"{rcpt_addr}", rcpt},
		{"{rcpt_host}", MTA_NAME},
		{"{rcpt_mailer}", "smtp"},
	};

	sb_reset(&run->data);
	sb_appendf(&run->data, "<%s>", rcpt);
	sb_append(&run->data, "", 1);
	return event(run->conn, SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, macros, 4,
		     run->data.data, run->data.len, run->res, run->err);
}

/* send_rcpts - the last reply, or SMFIR_CONTINUE */

static int send_rcpts(struct message_run *run, int *final)
{
	size_t  i;
	int     reply = SMFIR_CONTINUE;
	int     rejected = 0;

	for (i = 0; i < run->env->rcpt_count; i++) {
		if ((reply = send_rcpt(run, run->env->rcpts[i])) < 0)
			return -1;
		if (reply == SMFIR_REJECT || reply == SMFIR_TEMPFAIL || reply == SMFIR_REPLYCODE) {
			run->res->rcpts_rejected++;
			rejected = reply;
			continue;
		}
		if (ends_message(reply)) {
			*final = reply;
			return 0;
		}
	}
	if (run->res->rcpts_rejected == run->env->rcpt_count)
		*final = rejected;
	return 0;
}

static int send_header(struct message_run *run, const struct mail_header *hdr,
		       const char *value)
{
	const struct macro macros[] = {{"i", run->env->queue_id}};

	if (!(run->conn->steps & SMFIP_HDR_LEADSPC) && value[0] == ' ')
		value++;
	sb_reset(&run->data);
	sb_append(&run->data, hdr->name, strlen(hdr->name) + 1);
	sb_append(&run->data, value, strlen(value) + 1);
	return event(run->conn, SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR, macros, 1,
		     run->data.data, run->data.len, run->res, run->err);
}

static int send_headers(struct message_run *run)
{
	const struct message_file *msg = run->env->msg;
	char    value[1024];
	size_t  i;
	int     reply;

	for (i = 0; i < msg->header_count; i++) {
		const char *v = msg->headers[i].value;

		if ((int) i == msg->message_id && run->env->message_id) {
			snprintf(value, sizeof(value), " %s", run->env->message_id);
			v = value;
		}
		reply = send_header(run, msg->headers + i, v);
		if (reply < 0 || ends_message(reply))
			return reply;
	}
	return SMFIR_CONTINUE;
}

static int send_body(struct message_run *run)
{
	const struct message_file *msg = run->env->msg;
	const struct macro macros[] = {{"i", run->env->queue_id}};
	size_t  done = 0;
	size_t  len;
	int     reply;

	while (done < msg->body_len) {
		len = msg->body_len - done;
		if (len > MILTER_CHUNK_SIZE)
			len = MILTER_CHUNK_SIZE;
		reply = event(run->conn, SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY, macros, 1,
			      msg->body + done, len, run->res, run->err);
		if (reply < 0 || ends_message(reply))
			return reply;
		done += len;
	}
	return SMFIR_CONTINUE;
}

/* send_content - DATA to end of message; the event that ended it in *last */

static int send_content(struct message_run *run, int *last)
{
	const struct macro macros[] = {{"i", run->env->queue_id}};
	int     reply;

	*last = SMFIC_DATA;
	reply = event(run->conn, SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, macros, 1, "", 0,
		      run->res, run->err);
	if (reply < 0 || ends_message(reply))
		return reply;
	*last = SMFIC_HEADER;
	if ((reply = send_headers(run)) < 0 || ends_message(reply))
		return reply;
	*last = SMFIC_EOH;
	reply = event(run->conn, SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, macros, 1, "", 0,
		      run->res, run->err);
	if (reply < 0 || ends_message(reply))
		return reply;
	*last = SMFIC_BODY;
	if ((reply = send_body(run)) < 0 || ends_message(reply))
		return reply;
	*last = SMFIC_BODYEOB;
	reply = event(run->conn, SMFIC_BODYEOB, 0, 0, macros, 1, "", 0, run->res, run->err);
	if (reply == SMFIR_SKIP)
		return protocol_error(run->conn, run->err, "end of message answered with", reply,
				      SMFIC_BODYEOB);
	return reply;
}

int milter_send_message(struct milter_conn *conn, const struct milter_envelope *env,
			struct milter_result *res, struct strbuf *err)
{
	struct message_run run = {conn, env, res, err, STRBUF_INIT, {0, 0}};
	int     reply;
	int     last = SMFIC_MAIL;
	int     final = 0;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &run.started);
	if (conn->accepted_all) {		/* no events for this session */
		res->final_reply = SMFIR_ACCEPT;
		res->final_event = SMFIC_CONNECT;
		return 0;
	}
	reply = send_mail(&run);
	if (reply >= 0 && !ends_message(reply)) {
		last = SMFIC_RCPT;
		reply = send_rcpts(&run, &final) < 0 ? -1 : final;
		if (reply == 0)
			reply = send_content(&run, &last);
	}
	sb_free(&run.data);
	if (reply < 0)
		return -1;
	return finish(&run, last, reply);
}
