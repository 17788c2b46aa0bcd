/*
 * NAME
 *	slots - at most [milter] max_parsers messages parsed at once, on
 *	parser threads that yield the CPU to everything else
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	void slots_init(int max_parsers)
 *	int slot_run(int wait_seconds, void (*fn)(void *), void *arg)
 *	int slots_max(void)
 * DESCRIPTION
 *	Parsing (and the chain checks and ledger write after it) is where a
 *	message costs memory and CPU, so only so many run at once: on
 *	max_parsers threads (0 meaning twice the CPUs) started by the first
 *	slots_init(), each at nice PARSER_NICE (Linux nices threads one by
 *	one).  So when strangers flood the watched mailboxes and the CPUs
 *	are busy parsing, the connection threads that decide about
 *	unwatched mail, and copy watched mail in, still get the CPU first:
 *	a flood slows the flood, not the other mail.
 *
 *	slot_run() hands fn(arg) to an idle parser thread and waits until
 *	it is done.  When nothing at all is being parsed it runs fn on the
 *	caller's thread instead (one message at a time so): a hand-off costs
 *	two thread switches, which is most of what one message costs when
 *	mail is quiet, and one parse at nice 0 leaves the other CPUs free.  When no parser thread comes free within wait_seconds
 *	([milter] parse_wait) it returns -1 without running fn: the message
 *	is then delivered unparsed ("not parsed: busy").  A message nobody
 *	watches never gets here.
 *
 *	A reload that changes max_parsers takes effect at restart (the
 *	threads are started once); the milter says so.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"
#include "msg.h"

#define PARSER_NICE	10	/* below the connection threads (nice 0) */

/* One message handed to a parser thread. */
struct parse_job {
	void    (*fn) (void *);
	void   *arg;
	int     done;
	struct parse_job *next;
};

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;	/* a job was queued */
static pthread_cond_t job_done = PTHREAD_COND_INITIALIZER;	/* a job finished */
static pthread_cond_t worker_idle = PTHREAD_COND_INITIALIZER;	/* a thread is free */
static struct parse_job *queue_head;
static struct parse_job *queue_tail;
static int queued;
static int idle_workers;
static int slot_max;
static int inline_running;		/* a message parsed on its own thread */

static void *parser_thread(void *unused)
{
	struct parse_job *job;

	(void) unused;
	if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), PARSER_NICE) < 0)
		msg_warn("a parser thread keeps nice 0: %m");
	pthread_mutex_lock(&slot_lock);
	for (;;) {
		idle_workers++;
		pthread_cond_signal(&worker_idle);
		while (queue_head == NULL)
			pthread_cond_wait(&job_ready, &slot_lock);
		idle_workers--;
		job = queue_head;
		queue_head = job->next;
		if (queue_head == NULL)
			queue_tail = NULL;
		queued--;
		pthread_mutex_unlock(&slot_lock);
		job->fn(job->arg);
		pthread_mutex_lock(&slot_lock);
		job->done = 1;
		pthread_cond_broadcast(&job_done);
	}
	return NULL;
}

void slots_init(int max_parsers)
{
	long    cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int     want = max_parsers > 0 ? max_parsers : (int) (cpus > 0 ? 2 * cpus : 2);
	pthread_attr_t attr;
	pthread_t thread;

	pthread_mutex_lock(&slot_lock);
	if (slot_max != 0) {
		if (want != slot_max)
			msg_warn("[milter] max_parsers changed: takes effect at restart");
		pthread_mutex_unlock(&slot_lock);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (slot_max = 0; slot_max < want; slot_max++)
		if (pthread_create(&thread, &attr, parser_thread, NULL) != 0)
			msg_fatal("cannot start parser thread %d of %d", slot_max + 1, want);
	pthread_attr_destroy(&attr);
	pthread_mutex_unlock(&slot_lock);
}

int slots_max(void)
{
	return slot_max;
}

int slot_run(int wait_seconds, void (*fn) (void *), void *arg)
{
	struct parse_job job = {fn, arg, 0, NULL};
	struct timespec until;

	pthread_mutex_lock(&slot_lock);
	if (!inline_running && idle_workers == slot_max && queued == 0) {
		inline_running = 1;		/* nothing else is parsed: no hand-off */
		pthread_mutex_unlock(&slot_lock);
		fn(arg);
		pthread_mutex_lock(&slot_lock);
		inline_running = 0;
		pthread_mutex_unlock(&slot_lock);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_seconds;
	while (idle_workers - queued <= 0)
		if (pthread_cond_timedwait(&worker_idle, &slot_lock, &until) == ETIMEDOUT
		    && idle_workers - queued <= 0) {
			pthread_mutex_unlock(&slot_lock);
			return -1;
		}
	if (queue_tail)
		queue_tail->next = &job;
	else
		queue_head = &job;
	queue_tail = &job;
	queued++;
	pthread_cond_signal(&job_ready);
	while (!job.done)
		pthread_cond_wait(&job_done, &slot_lock);
	pthread_mutex_unlock(&slot_lock);
	return 0;
}
