/*
 * NAME
 *	watch - which recipients the milter watches
 * SYNOPSIS
 *	struct watch *watch_create(void)
 *	void watch_free(struct watch *watch)
 *	void watch_refresh(struct watch *watch, struct milter_ledger *ml)
 *	void watch_invalidate(struct watch *watch)
 *	int watch_recipient(struct watch *watch, const struct config *cfg,
 *			    const char *rcpt)
 *	size_t watch_domain_count(struct watch *watch)
 * DESCRIPTION
 *	The watch set is kept in memory so that deciding about a recipient
 *	never queries the ledger.  It holds the names of the open orders
 *	and every parent domain of them (a CA may write to admin@ a parent
 *	domain, Baseline Requirements 3.2.2.4.4), and the orders' approver
 *	addresses, each sorted for bsearch().
 *
 *	watch_refresh() is called once per message; it looks at the ledger
 *	at most once per second, and rebuilds the set only when another
 *	connection has committed since (PRAGMA data_version) or after
 *	watch_invalidate() (this process changed an order).  When the
 *	ledger is busy it keeps the set it has.
 *
 *	watch_recipient() says whether rcpt is watched: an address of
 *	[milter] watch_addresses, an order's approver, or a local part of
 *	watch_local_parts at a watched domain.  It is safe from any thread.
 */
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

struct watch {
	pthread_mutex_t lock;
	struct strlist domains;		/* sorted, lower case */
	struct strlist approvers;	/* sorted, lower case */
	long long data_version;		/* of the ledger when built */
	time_t  checked_at;
	int     loaded;
	int     stale;			/* this process changed an order */
};

struct watch *watch_create(void)
{
	struct watch *watch = xcalloc(1, sizeof(*watch));

	pthread_mutex_init(&watch->lock, NULL);
	watch->data_version = -1;
	return watch;
}

void watch_free(struct watch *watch)
{
	if (watch == NULL)
		return;
	strlist_free(&watch->domains);
	strlist_free(&watch->approvers);
	pthread_mutex_destroy(&watch->lock);
	free(watch);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* sort_unique - sort, and drop repeats (an order's names share parents) */

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

static void add_order(struct strlist *domains, struct strlist *approvers,
		              const struct order *order)
{
	char   *approver;
	size_t  i;

	add_name_and_parents(domains, order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		add_name_and_parents(domains, order->alt_names.items[i]);
	if (order->approver && (approver = normalize_address(order->approver)) != NULL)
		strlist_add_owned(approvers, approver);
}

/* watch_rebuild - read the open orders; the caller holds both locks */

static int watch_rebuild(struct watch *watch, struct ledger *ledger)
{
	struct strlist domains = STRLIST_INIT;
	struct strlist approvers = STRLIST_INIT;
	struct order *orders;
	size_t  count;
	size_t  i;

	if (ledger_list_open_orders(ledger, &orders, &count) < 0) {
		msg_warn("cannot read the open orders, keeping the watch list: %s", ledger_error(ledger));
		return -1;
	}
	for (i = 0; i < count; i++)
		add_order(&domains, &approvers, &orders[i]);
	orders_free(orders, count);
	sort_unique(&domains);
	sort_unique(&approvers);
	strlist_free(&watch->domains);
	strlist_free(&watch->approvers);
	watch->domains = domains;
	watch->approvers = approvers;
	msg_debug("watch list: %zu open orders, %zu domains, %zu approver addresses",
		  count, domains.count, approvers.count);
	return 0;
}

void watch_refresh(struct watch *watch, struct milter_ledger *ml)
{
	time_t  now = time(NULL);
	long long version;

	pthread_mutex_lock(&watch->lock);
	if (watch->loaded && !watch->stale && watch->checked_at == now) {
		pthread_mutex_unlock(&watch->lock);
		return;
	}
	if (pthread_mutex_trylock(&ml->lock) != 0) {
		pthread_mutex_unlock(&watch->lock);	/* busy recording: next time */
		return;
	}
	watch->checked_at = now;
	version = ledger_data_version(ml->ledger);
	if (!watch->loaded || watch->stale || version != watch->data_version || version < 0) {
		if (watch_rebuild(watch, ml->ledger) == 0) {
			watch->loaded = 1;
			watch->stale = 0;
			watch->data_version = version;
		}
	}
	pthread_mutex_unlock(&ml->lock);
	pthread_mutex_unlock(&watch->lock);
}

void watch_invalidate(struct watch *watch)
{
	pthread_mutex_lock(&watch->lock);
	watch->stale = 1;
	pthread_mutex_unlock(&watch->lock);
}

size_t watch_domain_count(struct watch *watch)
{
	size_t  count;

	pthread_mutex_lock(&watch->lock);
	count = watch->domains.count;
	pthread_mutex_unlock(&watch->lock);
	return count;
}

/* watched_mailbox - a constructed approver mailbox of a watched domain */

static int watched_mailbox(struct watch *watch, const struct config *cfg, const char *addr)
{
	char    local[WATCH_LOCAL_PART_MAX];

	if (address_local_part(addr, local, sizeof(local)) < 0)
		return 0;
	if (!strlist_contains_nocase(&cfg->watch_local_parts, local))
		return 0;
	return list_has(&watch->domains, address_domain(addr));
}

int watch_recipient(struct watch *watch, const struct config *cfg, const char *rcpt)
{
	char   *addr;
	int     watched;

	if ((addr = normalize_address(rcpt)) == NULL)
		return 0;
	watched = strlist_contains_nocase(&cfg->watch_addresses, addr);
	if (!watched) {
		pthread_mutex_lock(&watch->lock);
		watched = list_has(&watch->approvers, addr) || watched_mailbox(watch, cfg, addr);
		pthread_mutex_unlock(&watch->lock);
	}
	free(addr);
	return watched;
}
