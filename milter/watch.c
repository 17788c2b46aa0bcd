/*
 * NAME
 *	watch - which recipients the milter watches
 * SYNOPSIS
 *	struct watch *watch_start(const struct ledger_location *where,
 *				  struct strbuf *err)
 *	void watch_stop(struct watch *watch)
 *	void watch_invalidate(struct watch *watch)
 *	int watch_recipient(struct watch *watch, const struct config *cfg,
 *			    const char *rcpt)
 *	size_t watch_domain_count(struct watch *watch)
 * DESCRIPTION
 *	Deciding about a recipient never touches the ledger and never waits
 *	for it: the set of watched domains and addresses lives in memory, as
 *	one immutable snapshot that a message borrows (a reference count)
 *	for the moment of a lookup.  It holds the names of the open orders
 *	and every parent domain of them (a CA may write to admin@ a parent
 *	domain, Baseline Requirements 3.2.2.4.4), and the orders' approver
 *	addresses, each sorted for bsearch(); a declined order is left out.
 *
 *	A thread of its own, with its own read-only connection to the
 *	ledger, looks every MILTER_WATCH_PERIOD_MS (or at once after
 *	watch_invalidate()) whether another connection committed
 *	(ledger_change_token()), and if so reads the open orders by their
 *	index, builds a new snapshot and swaps it in; the old one is freed
 *	when its last borrower lets go.  When the ledger is busy or away it
 *	keeps the set it has (an outage of the database is logged once, by
 *	the ledger).  watch_start() builds the first set before it
 *	returns, so the milter never serves with an empty one.
 *
 *	watch_recipient() says whether rcpt is watched: an address of
 *	[milter] watch_addresses, an order's approver, or a local part of
 *	watch_local_parts at a watched domain.  It is safe from any thread.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "names.h"

#define WATCH_LOCAL_PART_MAX	256

/* One immutable snapshot. */
struct watch_set {
	struct strlist domains;		/* sorted, lower case */
	struct strlist approvers;	/* sorted, lower case */
	size_t  orders;
	int     refs;
};

struct watch {
	pthread_mutex_t lock;		/* guards current, stale, stopping */
	pthread_cond_t wake;
	struct watch_set *current;
	struct ledger *ledger;		/* the thread's own, read-only */
	long long token;		/* of the ledger when current was built */
	int     stale;
	int     stopping;
	pthread_t thread;
};

static void set_release(struct watch *watch, struct watch_set *set)
{
	int     last;

	if (set == NULL)
		return;
	pthread_mutex_lock(&watch->lock);
	last = --set->refs == 0;
	pthread_mutex_unlock(&watch->lock);
	if (last) {
		strlist_free(&set->domains);
		strlist_free(&set->approvers);
		free(set);
	}
}

static struct watch_set *set_borrow(struct watch *watch)
{
	struct watch_set *set;

	pthread_mutex_lock(&watch->lock);
	if ((set = watch->current) != NULL)
		set->refs++;
	pthread_mutex_unlock(&watch->lock);
	return set;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void sort_unique(struct strlist *list)
{
	size_t  kept = 0;
	size_t  i;

	if (list->count < 2)
		return;
	qsort(list->items, list->count, sizeof(char *), compare_strings);
	for (i = 0; i < list->count; i++) {
		if (kept > 0 && strcmp(list->items[kept - 1], list->items[i]) == 0)
			free(list->items[i]);
		else
			list->items[kept++] = list->items[i];
	}
	list->count = kept;
	list->items[kept] = NULL;
}

static int list_has(const struct strlist *list, const char *key)
{
	if (list->count == 0)
		return 0;
	return bsearch(&key, list->items, list->count, sizeof(char *), compare_strings) != NULL;
}

static void lower_case(char *text)
{
	for (; *text; text++)
		if (*text >= 'A' && *text <= 'Z')
			*text = (char) (*text - 'A' + 'a');
}

/* add_name_and_parents - www.shop.example.com gives itself, shop.example.com
 * and example.com; a leading "*." is dropped; single labels are not added */

static void add_name_and_parents(struct strlist *domains, const char *name)
{
	const char *p = name;
	char   *copy;

	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	while (p && strchr(p, '.') != NULL) {
		copy = xstrdup(p);
		lower_case(copy);
		strlist_add_owned(domains, copy);
		p = strchr(p, '.') + 1;
	}
}

/* One rebuild. */
struct building {
	struct ledger *ledger;
	struct watch_set *set;
	int     failed;
};

static int add_order(void *ctx, const struct order *order)
{
	struct building *b = ctx;
	enum order_state progress;
	char   *approver;
	size_t  i;

	if (intake_get_progress(b->ledger, order->id, &progress) < 0) {
		b->failed = 1;
		return 1;
	}
	if (progress == ORDER_DECLINED)
		return 0;
	b->set->orders++;
	add_name_and_parents(&b->set->domains, order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		add_name_and_parents(&b->set->domains, order->alt_names.items[i]);
	if (order->approver && (approver = normalize_address(order->approver)) != NULL)
		strlist_add_owned(&b->set->approvers, approver);
	return 0;
}

static struct watch_set *build_set(struct ledger *ledger)
{
	struct building b = {ledger, xcalloc(1, sizeof(struct watch_set)), 0};

	if (book_each_open_order(ledger, add_order, &b) < 0 || b.failed) {
		if (!ledger_down(ledger))
			msg_warn("cannot read the open orders, keeping the watch set: %s",
				 ledger_error(ledger));
		strlist_free(&b.set->domains);
		strlist_free(&b.set->approvers);
		free(b.set);
		return NULL;
	}
	sort_unique(&b.set->domains);
	sort_unique(&b.set->approvers);
	b.set->refs = 1;
	return b.set;
}

/* refresh - build and swap in a new set when the ledger changed */

static void refresh(struct watch *watch, int force)
{
	long long token = ledger_change_token(watch->ledger);
	struct watch_set *set;
	struct watch_set *old;

	if (!force && token == watch->token && token >= 0)
		return;
	if ((set = build_set(watch->ledger)) == NULL)
		return;
	pthread_mutex_lock(&watch->lock);
	old = watch->current;
	watch->current = set;
	pthread_mutex_unlock(&watch->lock);
	set_release(watch, old);
	watch->token = token;
	msg_debug("watch set: %zu open orders, %zu domains, %zu approver addresses", set->orders,
		  set->domains.count, set->approvers.count);
}

static void *watch_thread(void *arg)
{
	struct watch *watch = arg;
	struct timespec until;
	int     force;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += MILTER_WATCH_PERIOD_MS / 1000;
		until.tv_nsec += (long) (MILTER_WATCH_PERIOD_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&watch->lock);
		while (!watch->stale && !watch->stopping
		       && pthread_cond_timedwait(&watch->wake, &watch->lock, &until) != ETIMEDOUT)
			;
		force = watch->stale;
		watch->stale = 0;
		if (watch->stopping) {
			pthread_mutex_unlock(&watch->lock);
			return NULL;
		}
		pthread_mutex_unlock(&watch->lock);
		refresh(watch, force);
	}
}

struct watch *watch_start(const struct ledger_location *where, struct strbuf *err)
{
	struct watch *watch = xcalloc(1, sizeof(*watch));

	pthread_mutex_init(&watch->lock, NULL);
	pthread_cond_init(&watch->wake, NULL);
	if (ledger_open_patiently(where, LEDGER_ROLE_READER, &watch->ledger, err, NULL) < 0) {
		free(watch);
		return NULL;
	}
	watch->token = ledger_change_token(watch->ledger);
	if ((watch->current = build_set(watch->ledger)) == NULL) {
		sb_appendf(err, "cannot read the open orders: %s", ledger_error(watch->ledger));
		ledger_close(watch->ledger);
		free(watch);
		return NULL;
	}
	if (pthread_create(&watch->thread, NULL, watch_thread, watch) != 0) {
		sb_appends(err, "cannot start the watch thread");
		set_release(watch, watch->current);
		ledger_close(watch->ledger);
		free(watch);
		return NULL;
	}
	return watch;
}

void watch_stop(struct watch *watch)
{
	if (watch == NULL)
		return;
	pthread_mutex_lock(&watch->lock);
	watch->stopping = 1;
	pthread_mutex_unlock(&watch->lock);
	pthread_cond_signal(&watch->wake);
	pthread_join(watch->thread, NULL);
	set_release(watch, watch->current);
	ledger_close(watch->ledger);
	pthread_cond_destroy(&watch->wake);
	pthread_mutex_destroy(&watch->lock);
	free(watch);
}

void watch_invalidate(struct watch *watch)
{
	pthread_mutex_lock(&watch->lock);
	watch->stale = 1;
	pthread_mutex_unlock(&watch->lock);
	pthread_cond_signal(&watch->wake);
}

size_t watch_domain_count(struct watch *watch)
{
	struct watch_set *set = set_borrow(watch);
	size_t  count = set ? set->domains.count : 0;

	set_release(watch, set);
	return count;
}

static int watched_mailbox(const struct watch_set *set, const struct config *cfg, const char *addr)
{
	char    local[WATCH_LOCAL_PART_MAX];

	if (address_local_part(addr, local, sizeof(local)) < 0)
		return 0;
	if (!strlist_contains_nocase(&cfg->watch_local_parts, local))
		return 0;
	return list_has(&set->domains, address_domain(addr));
}

int watch_recipient(struct watch *watch, const struct config *cfg, const char *rcpt)
{
	struct watch_set *set;
	char   *addr;
	int     watched;

	if ((addr = normalize_address(rcpt)) == NULL)
		return 0;
	watched = strlist_contains_nocase(&cfg->watch_addresses, addr);
	if (!watched && (set = set_borrow(watch)) != NULL) {
		watched = list_has(&set->approvers, addr) || watched_mailbox(set, cfg, addr);
		set_release(watch, set);
	}
	free(addr);
	return watched;
}
