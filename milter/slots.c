/*
 * NAME
 *	slots - at most [milter] max_parsers messages parsed at once
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	void slots_init(int max_parsers)
 *	int slot_take(int wait_seconds)
 *	void slot_give(void)
 *	int slots_max(void)
 * DESCRIPTION
 *	Parsing is where a message costs memory and CPU, so only so many run
 *	at once: max_parsers, 0 meaning twice the CPUs.  A watched message
 *	waits for a slot at end of message, at most [milter] parse_wait
 *	seconds; then it is delivered unparsed ("not parsed: busy") and
 *	recorded as such.  A message nobody watches never gets here.
 *	Waiting is on a condition variable, in arrival order as the kernel
 *	wakes the threads.
 * LICENSE
 *	See the README of mailcert.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_freed = PTHREAD_COND_INITIALIZER;
static int slot_max = 1;
static int slot_used;

void slots_init(int max_parsers)
{
	long    cpus = sysconf(_SC_NPROCESSORS_ONLN);

	pthread_mutex_lock(&slot_lock);
	slot_max = max_parsers > 0 ? max_parsers : (int) (cpus > 0 ? 2 * cpus : 2);
	pthread_mutex_unlock(&slot_lock);
	pthread_cond_broadcast(&slot_freed);
}

int slots_max(void)
{
	return slot_max;
}

int slot_take(int wait_seconds)
{
	struct timespec until;
	int     rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_seconds;
	pthread_mutex_lock(&slot_lock);
	while (slot_used >= slot_max && rc == 0)
		if (pthread_cond_timedwait(&slot_freed, &slot_lock, &until) == ETIMEDOUT)
			rc = slot_used >= slot_max ? -1 : 0;
	if (rc == 0)
		slot_used++;
	pthread_mutex_unlock(&slot_lock);
	return rc;
}

void slot_give(void)
{
	pthread_mutex_lock(&slot_lock);
	slot_used--;
	pthread_mutex_unlock(&slot_lock);
	pthread_cond_signal(&slot_freed);
}
