/*
 * NAME
 *	book_orders - the order book: orders as the operator placed them
 * SYNOPSIS
 *	int book_add_order(ledger, struct order *order, const char *who)
 *	int book_get_order(ledger, long long id, struct order *order)
 *	int book_update_order(ledger, id, ca_order, contact, approve_mode, who)
 *	int book_close_order(ledger, id, enum book_status status, reason, who)
 *	int book_link_successor(ledger, predecessor, successor)
 *	int book_open_orders_on_target(ledger, target, except, orders, count)
 *	int book_installed_orders_on_target(ledger, target, orders, count)
 *	int book_orders_with_key(ledger, spki_sha256, orders, count)
 *	int book_orders_with_ca_order(ledger, ca, ca_order, orders, count)
 *	int book_orders_near_domain(ledger, ca, domain, max, orders, count)
 *	int book_each_open_order(ledger, order_fn fn, void *ctx)
 *	int book_add_event(ledger, order_id, kind, fmt, ...)
 *	int book_notice_once(ledger, kind, ref, recipient)
 *	int book_meta_get(ledger, key, &value), book_meta_set(ledger, key, value)
 * DESCRIPTION
 *	An order is one certificate being bought: its names (the domain
 *	first), the CA and the CA's order number, the SHA-256 of its key,
 *	the target it installs into, who to tell and how to act on its
 *	approval mail.  Only root writes the book: the operator's commands
 *	place, change and close orders, the installer marks them installed
 *	(and a renewed predecessor superseded).  Every change is written
 *	with a book event in one transaction.
 *
 *	The names are kept twice: as one text column of the order (so a
 *	listing reads one row per order) and in order_names with their
 *	labels reversed (com.example.www), so that the orders of a domain
 *	and of every name below it are one index range.  Open orders are
 *	found by a partial index: the milter's watch set reads only them.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

static const char *const status_names[] = {
	[BOOK_OPEN] = "open",
	[BOOK_INSTALLED] = "installed",
	[BOOK_CANCELLED] = "cancelled",
	[BOOK_SUPERSEDED] = "superseded",
};

const char *book_status_name(enum book_status status)
{
	if ((int) status < 0 || (int) status > BOOK_SUPERSEDED)
		return "unknown";
	return status_names[status];
}

static enum book_status status_from_name(const char *name)
{
	int     i;

	for (i = 0; i <= BOOK_SUPERSEDED; i++)
		if (name && strcmp(name, status_names[i]) == 0)
			return (enum book_status) i;
	return BOOK_OPEN;
}

static enum order_state state_of_status(enum book_status status)
{
	switch (status) {
	case BOOK_INSTALLED:
		return ORDER_INSTALLED;
	case BOOK_CANCELLED:
		return ORDER_CANCELLED;
	case BOOK_SUPERSEDED:
		return ORDER_SUPERSEDED;
	default:
		return ORDER_AWAITING_APPROVAL;
	}
}

void order_clear(struct order *order)
{
	free(order->domain);
	strlist_free(&order->alt_names);
	free(order->ca);
	free(order->ca_order);
	free(order->approver);
	free(order->key_sha256);
	free(order->key_origin);
	free(order->target);
	free(order->contact);
	free(order->approve_mode);
	free(order->closed_reason);
	memset(order, 0, sizeof(*order));
}

void orders_free(struct order *orders, size_t count)
{
	size_t  i;

	for (i = 0; i < count; i++)
		order_clear(&orders[i]);
	free(orders);
}

void order_from_row(struct db_stmt *st, void *out)
{
	struct order *o = out;

	memset(o, 0, sizeof(*o));
	o->id = db_int(st, 0);
	names_split(db_text(st, 2), &o->domain, &o->alt_names);
	if (o->domain == NULL)
		o->domain = db_strdup(st, 1);
	o->ca = db_strdup(st, 3);
	o->ca_order = db_strdup(st, 4);
	o->approver = db_strdup(st, 5);
	o->key_sha256 = db_strdup(st, 6);
	o->key_origin = db_strdup(st, 7);
	o->target = db_strdup(st, 8);
	o->contact = db_strdup(st, 9);
	o->approve_mode = db_strdup(st, 10);
	o->status = status_from_name(db_text(st, 11));
	o->state = state_of_status(o->status);
	o->predecessor = db_int(st, 12);
	o->successor = db_int(st, 13);
	o->closed_reason = db_strdup(st, 14);
	o->created_at = db_int(st, 15);
	o->updated_at = db_int(st, 16);
}

static int select_orders(struct ledger *ledger, struct db_stmt *st, struct order **orders,
			 size_t *count, size_t max)
{
	return ledger_collect(ledger, st, order_from_row, sizeof(struct order), max,
			      (void **) orders, count, "listing orders");
}

int book_get_order(struct ledger *ledger, long long id, struct order *order)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS " FROM book.orders o WHERE o.id = $1");
	db_bind_int(st, 1, id);
	return ledger_first(ledger, st, order_from_row, order, "reading an order");
}

int book_orders_with_key(struct ledger *ledger, const char *spki_sha256, struct order **orders,
			 size_t *count)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS " FROM book.orders o "
			"WHERE o.key_sha256 = $1 ORDER BY o.id DESC");
	db_bind_text(st, 1, spki_sha256);
	return select_orders(ledger, st, orders, count, 0);
}

int book_orders_with_ca_order(struct ledger *ledger, const char *ca, const char *ca_order,
			      struct order **orders, size_t *count)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS " FROM book.orders o "
			"WHERE o.ca = $1 AND o.ca_order = $2 AND o.status = 'open' ORDER BY o.id");
	db_bind_text(st, 1, ca);
	db_bind_text(st, 2, ca_order);
	return select_orders(ledger, st, orders, count, 0);
}

int book_open_orders_on_target(struct ledger *ledger, const char *target, long long except,
			       struct order **orders, size_t *count)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS " FROM book.orders o "
			"WHERE o.target = $1 AND o.status = 'open' AND o.id <> $2 ORDER BY o.id");
	db_bind_text(st, 1, target);
	db_bind_int(st, 2, except);
	return select_orders(ledger, st, orders, count, 0);
}

/* installed_from_row - an order and the expiry of what root installed */

static void installed_from_row(struct db_stmt *st, void *out)
{
	struct order *o = out;

	order_from_row(st, o);
	o->expires_at = db_int(st, ORDER_COLUMN_COUNT);
}

int book_installed_orders_on_target(struct ledger *ledger, const char *target,
				    struct order **orders, size_t *count)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS ", (SELECT i.not_after FROM book.installs i "
			"WHERE i.order_id = o.id AND i.state = 'done' ORDER BY i.id DESC LIMIT 1) "
			"FROM book.orders o WHERE o.target = $1 AND o.status = 'installed' ORDER BY o.id DESC");
	db_bind_text(st, 1, target);
	return ledger_collect(ledger, st, installed_from_row, sizeof(struct order), 1, (void **) orders,
			      count, "listing orders");
}

/* collect_ids - the order ids of a name query, added to ids (no repeats) */

static int add_id(void *ctx, struct db_stmt *st)
{
	struct strlist *ids = ctx;
	char    id[32];

	snprintf(id, sizeof(id), "%lld", db_int(st, 0));
	if (!strlist_contains_nocase(ids, id))
		strlist_add(ids, id);
	return ids->count >= 64;
}

/* book_orders_near_domain - names equal to domain or below it (one range
 * of rname), then each parent of domain exactly */

int book_orders_near_domain(struct ledger *ledger, const char *ca, const char *domain, size_t max,
			    struct order **orders, size_t *count)
{
	struct strlist ids = STRLIST_INIT;
	struct order *list = NULL;
	struct order one;
	struct db_stmt *st;
	char   *rname = name_reversed(domain);
	char   *low;
	char   *high;
	const char *p;
	size_t  n = 0;
	size_t  i;
	int     rc;

	*orders = NULL;
	*count = 0;
	low = xmalloc(strlen(rname) + 2);
	high = xmalloc(strlen(rname) + 2);
	sprintf(low, "%s.", rname);
	sprintf(high, "%s/", rname);
	st = db_prepare(ledger->db, "SELECT order_id FROM book.order_names "
			"WHERE rname = $1 OR (rname > $2 AND rname < $3)");
	db_bind_text(st, 1, rname);
	db_bind_text(st, 2, low);
	db_bind_text(st, 3, high);
	rc = ledger_each_row(ledger, st, add_id, &ids, "finding orders by name");
	for (p = strchr(domain, '.'); rc >= 0 && p && strchr(p + 1, '.'); p = strchr(p + 1, '.')) {
		free(rname);
		rname = name_reversed(p + 1);
		st = db_prepare(ledger->db, "SELECT order_id FROM book.order_names WHERE rname = $1");
		db_bind_text(st, 1, rname);
		rc = ledger_each_row(ledger, st, add_id, &ids, "finding orders by name");
	}
	for (i = 0; rc >= 0 && i < ids.count && n < max; i++) {
		if ((rc = book_get_order(ledger, atoll(ids.items[i]), &one)) < 0)
			break;
		rc = 0;
		if (one.status != BOOK_OPEN || strcmp(one.ca, ca) != 0) {
			order_clear(&one);
			continue;
		}
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n++] = one;
	}
	free(rname);
	free(low);
	free(high);
	strlist_free(&ids);
	if (rc < 0) {
		orders_free(list, n);
		return -1;
	}
	*orders = list;
	*count = n;
	return 0;
}

/* Open orders for the watch set ------------------------------------------- */

struct each_order {
	order_fn fn;
	void   *ctx;
};

static int call_with_order(void *ctx, struct db_stmt *st)
{
	struct each_order *each = ctx;
	struct order order;
	int     stop;

	order_from_row(st, &order);
	stop = each->fn(each->ctx, &order);
	order_clear(&order);
	return stop;
}

int book_each_open_order(struct ledger *ledger, order_fn fn, void *ctx)
{
	struct each_order each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	st = db_prepare(ledger->db, "SELECT " ORDER_COLUMNS " FROM book.orders o "
			"WHERE o.status = 'open' ORDER BY o.id");
	rc = ledger_each_row(ledger, st, call_with_order, &each, "listing open orders");
	return rc < 0 ? -1 : 0;
}

/* Writing ---------------------------------------------------------------- */

int book_add_event(struct ledger *ledger, long long order_id, const char *kind,
		   const char *fmt, ...)
{
	struct db_stmt *st;
	char    detail[2048];
	va_list ap;
	int     rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO book.events (order_id, at, kind, detail) "
			"VALUES ($1, $2, $3, $4)");
	if (st == NULL)
		return ledger_write_end(ledger, ledger_fail(ledger, NULL));
	if (order_id > 0)
		db_bind_int(st, 1, order_id);
	else
		db_bind_text(st, 1, NULL);
	db_bind_int(st, 2, ledger_now());
	db_bind_text(st, 3, kind);
	db_bind_text(st, 4, detail);
	rc = ledger_run(ledger, st, "adding an event");
	return ledger_write_end(ledger, rc);
}

static int insert_name(struct ledger *ledger, long long id, const char *name)
{
	struct db_stmt *st;
	char   *lower = names_join(name, NULL);
	char   *rname = name_reversed(name);
	int     rc;

	st = db_prepare(ledger->db, "INSERT INTO book.order_names (order_id, name, rname) "
			"VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, lower);
	db_bind_text(st, 3, rname);
	rc = ledger_run(ledger, st, "recording an order name");
	free(lower);
	free(rname);
	return rc;
}

static int insert_order_row(struct ledger *ledger, struct order *order)
{
	struct db_stmt *st;
	char   *names = names_join(order->domain, &order->alt_names);
	int     found;
	int     rc;

	st = db_prepare(ledger->db, "INSERT INTO book.orders (domain, names, ca, ca_order, approver, "
			"key_sha256, key_origin, target, contact, approve_mode, status, predecessor, "
			"created_at, updated_at) VALUES (lower($1), $2, $3, $4, lower($5), $6, $7, $8, $9, "
			"$10, $11, $12, $13, $13) RETURNING id");
	order->created_at = order->updated_at = ledger_now();
	if (st) {
		db_bind_text(st, 1, order->domain);
		db_bind_text(st, 2, names);
		db_bind_text(st, 3, order->ca);
		db_bind_text(st, 4, order->ca_order);
		db_bind_text(st, 5, order->approver);
		db_bind_text(st, 6, order->key_sha256);
		db_bind_text(st, 7, order->key_origin);
		db_bind_text(st, 8, order->target);
		db_bind_text(st, 9, order->contact);
		db_bind_text(st, 10, order->approve_mode);
		db_bind_text(st, 11, book_status_name(order->status));
		if (order->predecessor > 0)
			db_bind_int(st, 12, order->predecessor);
		else
			db_bind_text(st, 12, NULL);
		db_bind_int(st, 13, order->created_at);
	}
	rc = ledger_returning_id(ledger, st, &order->id, &found, "adding an order");
	free(names);
	return rc < 0 ? -1 : found ? 0 : ledger_refuse(ledger, "adding an order gave no id");
}

int book_add_order(struct ledger *ledger, struct order *order, const char *who)
{
	char   *names;
	char   *p;
	size_t  i;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	rc = insert_order_row(ledger, order);
	if (rc == 0)
		rc = insert_name(ledger, order->id, order->domain);
	for (i = 0; rc == 0 && i < order->alt_names.count; i++)
		rc = insert_name(ledger, order->id, order->alt_names.items[i]);
	if (rc == 0) {
		names = names_join(order->domain, &order->alt_names);
		for (p = names; *p; p++)
			if (*p == '\n')
				*p = ' ';
		rc = book_add_event(ledger, order->id, "order_added", "%s, CA %s%s%s, target %s, by %s",
				    names, order->ca, order->ca_order ? " order " : "",
				    order->ca_order ? order->ca_order : "", order->target, who);
		free(names);
	}
	return ledger_write_end(ledger, rc);
}

int book_update_order(struct ledger *ledger, long long id, const char *ca_order,
		      const char *contact, const char *approve_mode, const char *who)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE book.orders SET ca_order = COALESCE($2, ca_order), "
			"contact = COALESCE($3, contact), approve_mode = COALESCE($4, approve_mode), "
			"updated_at = $5 WHERE id = $1 AND status = 'open'");
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, ca_order);
	db_bind_text(st, 3, contact);
	db_bind_text(st, 4, approve_mode);
	db_bind_int(st, 5, ledger_now());
	rc = ledger_run(ledger, st, "changing an order");
	if (rc == 0 && db_changes(ledger->db) == 0)
		rc = ledger_refuse(ledger, "order %lld is not open (or does not exist)", id);
	if (rc == 0)
		rc = book_add_event(ledger, id, "order_set", "%s%s%s%s%s%s by %s",
				    ca_order ? "CA order " : "", ca_order ? ca_order : "",
				    contact ? " contact " : "", contact ? contact : "",
				    approve_mode ? " approve mode " : "", approve_mode ? approve_mode : "", who);
	return ledger_write_end(ledger, rc);
}

int book_close_order(struct ledger *ledger, long long id, enum book_status status,
		     const char *reason, const char *who)
{
	struct db_stmt *st;
	const char *sql;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	/* installed only from open; cancelled and superseded from open or installed */
	sql = status == BOOK_INSTALLED
	    ? "UPDATE book.orders SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'open'"
	    : "UPDATE book.orders SET status = $2, closed_reason = $4, updated_at = $3 "
	    "WHERE id = $1 AND status IN ('open', 'installed')";
	st = db_prepare(ledger->db, sql);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, book_status_name(status));
	db_bind_int(st, 3, ledger_now());
	if (status != BOOK_INSTALLED)
		db_bind_text(st, 4, reason);
	rc = ledger_run(ledger, st, "closing an order");
	if (rc == 0 && db_changes(ledger->db) == 0)
		rc = ledger_refuse(ledger, "order %lld cannot become %s (already closed, or no such order)",
				   id, book_status_name(status));
	if (rc == 0)
		rc = book_add_event(ledger, id, book_status_name(status), "%s by %s%s%s",
				    book_status_name(status), who, reason ? ": " : "", reason ? reason : "");
	return ledger_write_end(ledger, rc);
}

int book_link_successor(struct ledger *ledger, long long predecessor, long long successor)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "UPDATE book.orders SET successor = $2, updated_at = $3 WHERE id = $1");
	db_bind_int(st, 1, predecessor);
	db_bind_int(st, 2, successor);
	db_bind_int(st, 3, ledger_now());
	rc = ledger_run(ledger, st, "linking a renewal");
	if (rc == 0)
		rc = book_add_event(ledger, predecessor, "renewed", "renewed by order %lld", successor);
	return ledger_write_end(ledger, rc);
}

/* Notices and meta -------------------------------------------------------- */

int book_notice_once(struct ledger *ledger, const char *kind, const char *ref,
		     const char *recipient)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO book.notices (kind, ref, sent_at, recipient) "
			"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
	db_bind_text(st, 1, kind);
	db_bind_text(st, 2, ref);
	db_bind_int(st, 3, ledger_now());
	db_bind_text(st, 4, recipient);
	rc = ledger_run(ledger, st, "recording a notice");
	if (rc == 0)
		rc = db_changes(ledger->db) > 0 ? 1 : 0;
	return ledger_write_end(ledger, rc);
}

static void first_int(struct db_stmt *st, void *out)
{
	*(long long *) out = db_int(st, 0);
}

int book_notice_sent(struct ledger *ledger, const char *kind, const char *ref)
{
	struct db_stmt *st;
	long long one = 0;
	int     rc;

	st = db_prepare(ledger->db, "SELECT 1 FROM book.notices WHERE kind = $1 AND ref = $2");
	db_bind_text(st, 1, kind);
	db_bind_text(st, 2, ref);
	rc = ledger_first(ledger, st, first_int, &one, "reading a notice");
	return rc < 0 ? -1 : rc == 0;
}

int book_meta_get(struct ledger *ledger, const char *key, long long *value)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT value FROM book.meta WHERE key = $1");

	*value = 0;
	db_bind_text(st, 1, key);
	return ledger_first(ledger, st, first_int, value, "reading the book's meta");
}

int book_meta_set(struct ledger *ledger, const char *key, long long value)
{
	struct db_stmt *st;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	st = db_prepare(ledger->db, "INSERT INTO book.meta (key, value) VALUES ($1, $2) "
			"ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	db_bind_text(st, 1, key);
	db_bind_int(st, 2, value);
	rc = ledger_run(ledger, st, "writing the book's meta");
	return ledger_write_end(ledger, rc);
}
