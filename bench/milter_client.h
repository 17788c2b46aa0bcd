/*
 * milter_client.h - the MTA side of the milter protocol, version 6, as
 * Postfix speaks it.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_BENCH_MILTER_CLIENT_H
#define MAILCERT_BENCH_MILTER_CLIENT_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "message_file.h"
#include "strbuf.h"

#define MILTER_CLIENT_READ_BUFFER	8192
#define MILTER_CLIENT_ADDED_MAX		200	/* bytes kept of an added header */

struct milter_endpoint {
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

struct milter_conn {
	int     fd;
	int     timeout;		/* seconds per read or write */
	unsigned long version;		/* what the filter negotiated */
	unsigned long actions;
	unsigned long steps;		/* SMFIP_* */
	int     accepted_all;		/* ACCEPT at CONNECT or HELO */
	int     skip_event;		/* SMFIR_SKIP: further events of this type */
	struct strbuf out;		/* commands not yet written */
	struct timespec flushed_at;	/* when the last write began */
	unsigned char in[MILTER_CLIENT_READ_BUFFER];
	size_t  in_start;
	size_t  in_end;
	struct strbuf reply;		/* data of the last reply */
};

struct milter_envelope {
	const char *queue_id;		/* macro "i" */
	const char *sender;
	const char *const *rcpts;
	size_t  rcpt_count;
	const struct message_file *msg;
	const char *message_id;		/* replaces the file's Message-ID, or NULL */
};

struct milter_result {
	int     final_reply;		/* SMFIR_* that ended the filter's part */
	int     final_event;		/* SMFIC_* it answered */
	double  reply_seconds;		/* that command written -> that reply */
	double  message_seconds;	/* MAIL written -> that reply */
	unsigned headers_added;		/* SMFIR_ADDHEADER, SMFIR_INSHEADER */
	unsigned other_edits;		/* every other modification request */
	unsigned rcpts_rejected;
	char    added[MILTER_CLIENT_ADDED_MAX];	/* the first added header */
};

int milter_endpoint_parse(const char *spec, struct milter_endpoint *ep, struct strbuf *err);
int milter_open(struct milter_conn *conn, const struct milter_endpoint *ep, int timeout,
		struct strbuf *err);
int milter_send_message(struct milter_conn *conn, const struct milter_envelope *env,
			struct milter_result *res, struct strbuf *err);
void milter_close(struct milter_conn *conn);
double seconds_since(const struct timespec *then);

#endif
