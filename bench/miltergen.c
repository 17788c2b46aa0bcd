/*
 * NAME
 *	miltergen - load a milter the way Postfix would, and measure it
 * SYNOPSIS
 *	miltergen -s SOCKET -f MESSAGE -r RCPT [-r RCPT ...] [-F SENDER]
 *		[-c CONNECTIONS] [-n MESSAGES] [-t SECONDS] [-m PER_CONNECTION]
 *		[-u] [-w TIMEOUT]
 * DESCRIPTION
 *	miltergen speaks milter protocol version 6 (milter_client.c) to the
 *	filter at SOCKET (unix:/path, inet:PORT@HOST or inet:HOST:PORT) from
 *	CONNECTIONS threads at once (default 1), each sending MESSAGE (a file
 *	holding one message) from SENDER (default bench@example.org) to the
 *	RCPTs.  Like Postfix with one message per SMTP session, each thread
 *	opens a new milter connection for every PER_CONNECTION messages
 *	(default 1).  -u gives every message its own Message-ID, as real
 *	mail has (the file's, with "bench-PID-N." after the "<", so that
 *	runs one after the other do not repeat each other's).  Every message
 *	gets its own queue id (macro "i").
 *
 *	It stops after MESSAGES messages (default 1000) or SECONDS seconds
 *	(default 10, fractions allowed), whichever comes first, or after MAX_ERRORS errors when
 *	errors outnumber the messages done.  TIMEOUT (default 10 s) bounds
 *	every read and write.
 *
 *	Latency is measured per message from writing the command whose reply
 *	ends the filter's part in the message to reading that reply: the end
 *	of message for a filter that reads it all, or e.g. DATA for a filter
 *	that accepts there (reply_ms).  msg_ms is from writing MAIL to that
 *	reply.  The report is readable text, then one line
 *
 *	RESULT messages=N seconds=S rate=R p50_ms=.. p99_ms=.. max_ms=..
 *	  msg_p50_ms=.. msg_p99_ms=.. errors=N early=N eom=N rejected=N
 *	  tempfail=N discard=N shutdown=N headers=N
 *
 *	where early counts messages the filter accepted before the end of
 *	message, eom those it answered at end of message, and headers the
 *	headers it asked to add.  Exit status 0 when at least one message
 *	was done and there was no error, 1 otherwise, 2 for bad usage.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "message_file.h"
#include "milter_client.h"
#include "mymalloc.h"
#include "strbuf.h"

#define CONNECTIONS_MAX		1024
#define RCPTS_MAX		100
#define MAX_ERRORS		50	/* stop when errors outnumber messages */
#define ERRORS_SHOWN		5
#define HEADERS_SHOWN		8	/* distinct added headers reported */
#define QUEUE_ID_BASE		0xB000000000UL

struct options {
	const char *socket;
	const char *message_path;
	const char *sender;
	const char *rcpts[RCPTS_MAX];
	size_t  rcpt_count;
	int     connections;
	long    messages;
	double  seconds;
	int     per_connection;
	int     unique_ids;
	int     timeout;
};

struct samples {
	double *values;
	size_t  count;
	size_t  cap;
};

struct tally {
	long    done;
	long    errors;
	long    early;
	long    eom;
	long    rejected;
	long    tempfail;
	long    discard;
	long    shutdown;
	long    headers;
};

struct worker {
	pthread_t thread;
	struct samples reply;
	struct samples message;
	struct tally tally;
};

struct added_header {
	char    text[MILTER_CLIENT_ADDED_MAX];
	long    count;
};

static struct options opt;
static struct milter_endpoint endpoint;
static struct message_file message;
static pthread_barrier_t start_line;
static struct timespec started;
static atomic_long next_message;
static atomic_long error_count;
static atomic_long done_count;
static atomic_int stop_now;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct added_header added[HEADERS_SHOWN];
static long errors_shown;

static void usage(void)
{
	fprintf(stderr, "usage: miltergen -s SOCKET -f MESSAGE -r RCPT [-r RCPT ...] [-F SENDER]\n"
		"\t[-c CONNECTIONS] [-n MESSAGES] [-t SECONDS] [-m PER_CONNECTION] [-u] [-w TIMEOUT]\n");
	exit(2);
}

static double seconds_arg(const char *arg)
{
	char   *end;
	double  value;

	errno = 0;
	value = strtod(arg, &end);
	if (errno || *end || end == arg || !(value >= 0.1 && value <= 86400)) {
		fprintf(stderr, "miltergen: bad number of seconds \"%s\" (want 0.1..86400)\n", arg);
		exit(2);
	}
	return value;
}

static long number(const char *arg, long min, long max)
{
	char   *end;
	long    value;

	errno = 0;
	value = strtol(arg, &end, 10);
	if (errno || *end || end == arg || value < min || value > max) {
		fprintf(stderr, "miltergen: bad number \"%s\" (want %ld..%ld)\n", arg, min, max);
		exit(2);
	}
	return value;
}

static void parse_options(int argc, char **argv)
{
	int     ch;

	opt.sender = "bench@example.org";
	opt.connections = 1;
	opt.messages = 1000;
	opt.seconds = 10;
	opt.per_connection = 1;
	opt.timeout = 10;
	while ((ch = getopt(argc, argv, "s:f:r:F:c:n:t:m:uw:")) != -1) {
		switch (ch) {
		case 's': opt.socket = optarg; break;
		case 'f': opt.message_path = optarg; break;
		case 'F': opt.sender = optarg; break;
		case 'r':
			if (opt.rcpt_count == RCPTS_MAX)
				usage();
			opt.rcpts[opt.rcpt_count++] = optarg;
			break;
		case 'c': opt.connections = (int) number(optarg, 1, CONNECTIONS_MAX); break;
		case 'n': opt.messages = number(optarg, 1, 1000000000L); break;
		case 't': opt.seconds = seconds_arg(optarg); break;
		case 'm': opt.per_connection = (int) number(optarg, 1, 1000000); break;
		case 'u': opt.unique_ids = 1; break;
		case 'w': opt.timeout = (int) number(optarg, 1, 3600); break;
		default: usage();
		}
	}
	if (optind != argc || !opt.socket || !opt.message_path || opt.rcpt_count == 0)
		usage();
}

/* Samples and percentiles -------------------------------------------------- */

static void sample_add(struct samples *s, double value)
{
	if (s->count == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->values = xrealloc(s->values, s->cap * sizeof(*s->values));
	}
	s->values[s->count++] = value;
}

static void sample_merge(struct samples *into, const struct samples *from)
{
	size_t  i;

	for (i = 0; i < from->count; i++)
		sample_add(into, from->values[i]);
}

static int compare_double(const void *a, const void *b)
{
	double  x = *(const double *) a;
	double  y = *(const double *) b;

	return (x > y) - (x < y);
}

/* percentile - nearest rank of sorted samples, in milliseconds */

static double percentile(const struct samples *s, double p)
{
	size_t  rank;

	if (s->count == 0)
		return 0;
	rank = (size_t) (p * (double) s->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->count)
		rank = s->count;
	return s->values[rank - 1] * 1000.0;
}

/* Work ----------------------------------------------------------------------- */

/* claim_message - the next message number, or -1 when the run is over */

static long claim_message(void)
{
	long    k;

	if (atomic_load(&stop_now) || seconds_since(&started) >= opt.seconds)
		return -1;
	if ((k = atomic_fetch_add(&next_message, 1)) >= opt.messages)
		return -1;
	return k;
}

static void note_error(struct worker *w, const struct strbuf *err)
{
	long    errors = atomic_fetch_add(&error_count, 1) + 1;

	w->tally.errors++;
	pthread_mutex_lock(&report_lock);
	if (errors_shown++ < ERRORS_SHOWN)
		fprintf(stderr, "miltergen: %s\n", err->len ? err->data : "error");
	pthread_mutex_unlock(&report_lock);
	if (errors >= MAX_ERRORS && errors > atomic_load(&done_count))
		atomic_store(&stop_now, 1);
}

static void note_added_header(const char *text)
{
	int     i;

	pthread_mutex_lock(&report_lock);
	for (i = 0; i < HEADERS_SHOWN; i++) {
		if (added[i].count == 0)
			snprintf(added[i].text, sizeof(added[i].text), "%s", text);
		if (strcmp(added[i].text, text) == 0) {
			added[i].count++;
			break;
		}
	}
	pthread_mutex_unlock(&report_lock);
}

static void note_result(struct worker *w, const struct milter_result *res)
{
	struct tally *t = &w->tally;

	t->done++;
	atomic_fetch_add(&done_count, 1);
	sample_add(&w->reply, res->reply_seconds);
	sample_add(&w->message, res->message_seconds);
	if (res->final_event == SMFIC_BODYEOB)
		t->eom++;
	else
		t->early++;
	switch (res->final_reply) {
	case SMFIR_REJECT:
	case SMFIR_REPLYCODE: t->rejected++; break;
	case SMFIR_TEMPFAIL: t->tempfail++; break;
	case SMFIR_DISCARD: t->discard++; break;
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL: t->shutdown++; break;
	}
	t->headers += res->headers_added;
	if (res->added[0])
		note_added_header(res->added);
}

/* unique_message_id - the file's Message-ID with "bench-PID-N." after the
 * "<": unique within the run and across runs */

static void unique_message_id(long k, char *buf, size_t len)
{
	const char *orig = message.message_id >= 0 ? message.headers[message.message_id].value : "";
	const char *lt = strchr(orig, '<');
	long    pid = (long) getpid();

	if (lt)
		snprintf(buf, len, "<bench-%ld-%ld.%s", pid, k, lt + 1);
	else
		snprintf(buf, len, "<bench-%ld-%ld@miltergen.example>", pid, k);
}

static int send_one(struct milter_conn *conn, long k, struct milter_result *res,
		    struct strbuf *err)
{
	struct milter_envelope env;
	char    queue_id[32];
	char    message_id[512];

	snprintf(queue_id, sizeof(queue_id), "%010lX", QUEUE_ID_BASE + (unsigned long) k);
	memset(&env, 0, sizeof(env));
	env.queue_id = queue_id;
	env.sender = opt.sender;
	env.rcpts = opt.rcpts;
	env.rcpt_count = opt.rcpt_count;
	env.msg = &message;
	if (opt.unique_ids && message.message_id >= 0) {
		unique_message_id(k, message_id, sizeof(message_id));
		env.message_id = message_id;
	}
	return milter_send_message(conn, &env, res, err);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct milter_conn conn;
	struct milter_result res;
	struct strbuf err = STRBUF_INIT;
	int     used = 0;
	long    k;

	memset(&conn, 0, sizeof(conn));
	conn.fd = -1;
	pthread_barrier_wait(&start_line);
	while ((k = claim_message()) >= 0) {
		sb_reset(&err);
		if (conn.fd < 0 && !conn.accepted_all) {
			used = 0;
			if (milter_open(&conn, &endpoint, opt.timeout, &err) < 0) {
				note_error(w, &err);
				usleep(1000);
				continue;
			}
		}
		if (send_one(&conn, k, &res, &err) < 0) {
			note_error(w, &err);
			milter_close(&conn);
			conn.accepted_all = 0;
			continue;
		}
		note_result(w, &res);
		if (++used >= opt.per_connection || conn.fd < 0) {
			milter_close(&conn);
			conn.accepted_all = 0;
		}
	}
	milter_close(&conn);
	sb_free(&err);
	return NULL;
}

/* Report ----------------------------------------------------------------------- */

static void add_tally(struct tally *sum, const struct tally *t)
{
	sum->done += t->done;
	sum->errors += t->errors;
	sum->early += t->early;
	sum->eom += t->eom;
	sum->rejected += t->rejected;
	sum->tempfail += t->tempfail;
	sum->discard += t->discard;
	sum->shutdown += t->shutdown;
	sum->headers += t->headers;
}

static void report(const struct tally *t, struct samples *reply, struct samples *msg,
		   double seconds)
{
	double  rate = seconds > 0 ? (double) t->done / seconds : 0;
	int     i;

	qsort(reply->values, reply->count, sizeof(double), compare_double);
	qsort(msg->values, msg->count, sizeof(double), compare_double);
	printf("miltergen: %s, %d connection(s), %s, %zu recipient(s)\n", opt.socket,
	       opt.connections, opt.message_path, opt.rcpt_count);
	printf("  %ld messages in %.3f s: %.1f messages/s; %ld errors\n", t->done, seconds, rate,
	       t->errors);
	printf("  reply after last command: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       percentile(reply, 0.50), percentile(reply, 0.99), percentile(reply, 1.0));
	printf("  MAIL to final reply:      p50 %.3f ms, p99 %.3f ms\n",
	       percentile(msg, 0.50), percentile(msg, 0.99));
	printf("  answered before end of message %ld, at end of message %ld; rejected %ld, "
	       "tempfail %ld, discard %ld, shutdown %ld\n", t->early, t->eom, t->rejected,
	       t->tempfail, t->discard, t->shutdown);
	for (i = 0; i < HEADERS_SHOWN && added[i].count; i++)
		printf("  added %ldx: %s\n", added[i].count, added[i].text);
	printf("RESULT messages=%ld seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "msg_p50_ms=%.3f msg_p99_ms=%.3f errors=%ld early=%ld eom=%ld rejected=%ld "
	       "tempfail=%ld discard=%ld shutdown=%ld headers=%ld\n",
	       t->done, seconds, rate, percentile(reply, 0.50), percentile(reply, 0.99),
	       percentile(reply, 1.0), percentile(msg, 0.50), percentile(msg, 0.99), t->errors,
	       t->early, t->eom, t->rejected, t->tempfail, t->discard, t->shutdown, t->headers);
}

int main(int argc, char **argv)
{
	struct worker *workers;
	struct samples reply = {0};
	struct samples msg = {0};
	struct tally sum = {0};
	struct strbuf err = STRBUF_INIT;
	double  seconds;
	int     i;

	parse_options(argc, argv);
	if (milter_endpoint_parse(opt.socket, &endpoint, &err) < 0
	    || message_file_read(opt.message_path, &message, &err) < 0) {
		fprintf(stderr, "miltergen: %s\n", err.data);
		return 2;
	}
	workers = xcalloc((size_t) opt.connections, sizeof(*workers));
	pthread_barrier_init(&start_line, NULL, (unsigned) opt.connections + 1);
	for (i = 0; i < opt.connections; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, workers + i) != 0) {
			fprintf(stderr, "miltergen: cannot start thread %d\n", i);
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &started);
	pthread_barrier_wait(&start_line);
	for (i = 0; i < opt.connections; i++) {
		pthread_join(workers[i].thread, NULL);
		add_tally(&sum, &workers[i].tally);
		sample_merge(&reply, &workers[i].reply);
		sample_merge(&msg, &workers[i].message);
		free(workers[i].reply.values);
		free(workers[i].message.values);
	}
	seconds = seconds_since(&started);
	report(&sum, &reply, &msg, seconds);
	free(reply.values);
	free(msg.values);
	free(workers);
	message_file_free(&message);
	sb_free(&err);
	return sum.done > 0 && sum.errors == 0 ? 0 : 1;
}
