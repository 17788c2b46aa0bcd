/*
 * NAME
 *	ledger_view - orders, events and messages as the operator reads them
 * SYNOPSIS
 *	int ledger_get_order(ledger, long long id, struct order *order)
 *	int ledger_each_waiting_approval(ledger, max, waiting_fn fn, void *ctx)
 *	int ledger_each_order(ledger, const struct order_filter *filter,
 *			      order_fn fn, void *ctx)
 *	int ledger_each_event(ledger, order_id, limit, event_fn fn, void *ctx)
 *	int ledger_each_message(ledger, order_id, limit, message_fn fn, void *ctx)
 *	int ledger_count_by(ledger, what, names, counts)
 *	const char *order_state_name(enum order_state state)
 * DESCRIPTION
 *	An order's state is put together from three places (ORDER_STATE_SQL):
 *	cancelled, superseded or installed when the book says so; else
 *	install_failed, install_retrying or issued after what the installer's
 *	newest job says (failed or refused: install_failed; waiting for its
 *	next attempt: install_retrying; pending or running: issued); else what mail did to it (approval_received, approved,
 *	issued, declined); else awaiting_approval.  The views need the
 *	intake's ledger and the book, so they run for the intake and reader
 *	roles.
 *
 *	ledger_each_order() hands orders to fn one at a time, newest first,
 *	so a listing of a million orders takes constant memory; it reads
 *	them LISTING_BATCH at a time, each batch a statement of its own, so
 *	that no read holds the order book's lock for long (root's writes to
 *	it wait for readers to finish).  A state
 *	filter of a closed state (installed, cancelled, superseded) reads
 *	the book's status index; any other state reads only the open orders
 *	(a partial index); a domain filter reads the reversed-name index of
 *	the names (the name and every name below it); an expiry filter the
 *	certificates' expiry index.
 *
 *	ledger_each_waiting_approval() hands fn each approval that may need a
 *	person (approval_waiting_states) of an open order that still waits
 *	for one, with its order: what "mailcert approvals" and the web view
 *	show.
 *
 *	ledger_each_event() merges the events of both stores in time order;
 *	with a limit, the newest that many (a flood of events hides nothing
 *	recent).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

#define LISTING_BATCH	500	/* orders per statement of a listing */

static const char *const state_names[] = {
	[ORDER_AWAITING_APPROVAL] = "awaiting_approval",
	[ORDER_APPROVAL_RECEIVED] = "approval_received",
	[ORDER_APPROVED] = "approved",
	[ORDER_ISSUED] = "issued",
	[ORDER_INSTALLED] = "installed",
	[ORDER_INSTALL_FAILED] = "install_failed",
	[ORDER_INSTALL_RETRYING] = "install_retrying",
	[ORDER_DECLINED] = "declined",
	[ORDER_CANCELLED] = "cancelled",
	[ORDER_SUPERSEDED] = "superseded",
};

const char ORDER_STATE_SQL[] =
	"CASE WHEN o.status <> 'open' THEN o.status ELSE COALESCE("
	"(SELECT CASE WHEN i.state IN ('failed', 'refused') THEN 'install_failed' "
	"  WHEN i.state = 'pending' AND i.attempts > 0 THEN 'install_retrying' "
	"  WHEN i.state = 'done' THEN 'installed' ELSE 'issued' END "
	"  FROM book.installs i WHERE i.order_id = o.id ORDER BY i.id DESC LIMIT 1), "
	"(SELECT p.state FROM order_progress p WHERE p.order_id = o.id), "
	"'awaiting_approval') END";

const char *order_state_name(enum order_state state)
{
	if ((int) state < 0 || (int) state >= ORDER_STATE_COUNT)
		return "unknown";
	return state_names[state];
}

int order_state_from_name(const char *name, enum order_state *state)
{
	int     i;

	for (i = 0; name && i < ORDER_STATE_COUNT; i++) {
		if (strcmp(state_names[i], name) == 0) {
			*state = (enum order_state) i;
			return 0;
		}
	}
	return -1;
}

int order_state_is_open(enum order_state state)
{
	return state != ORDER_INSTALLED && state != ORDER_DECLINED && state != ORDER_CANCELLED
	    && state != ORDER_SUPERSEDED;
}

/* The columns of an order view: the order, its state, its expiry, and
 * since when it is in its state (what decided it: the book's close, the
 * newest job, the intake's progress). */
#define VIEW_COLUMNS ORDER_COLUMNS ", %s, (SELECT c.not_after FROM certificates c " \
	"WHERE c.order_id = o.id ORDER BY c.id DESC LIMIT 1), " \
	"CASE WHEN o.status <> 'open' THEN o.updated_at ELSE COALESCE(" \
	"(SELECT i.updated_at FROM book.installs i WHERE i.order_id = o.id ORDER BY i.id DESC LIMIT 1), " \
	"(SELECT p.updated_at FROM order_progress p WHERE p.order_id = o.id), o.created_at) END"

static void view_from_row(struct db_stmt *st, void *out)
{
	struct order *o = out;

	order_from_row(st, o);
	if (order_state_from_name(db_text(st, ORDER_COLUMN_COUNT), &o->state) < 0)
		o->state = ORDER_AWAITING_APPROVAL;
	o->expires_at = db_int(st, ORDER_COLUMN_COUNT + 1);
	o->state_since = db_int(st, ORDER_COLUMN_COUNT + 2);
}

/* view_sql - "SELECT <view columns> FROM book.orders o " + where */

static char *view_sql(const char *where)
{
	struct strbuf sb = STRBUF_INIT;

	sb_appends(&sb, "SELECT ");
	sb_appendf(&sb, VIEW_COLUMNS, ORDER_STATE_SQL);
	sb_appendf(&sb, " FROM book.orders o %s", where);
	return sb_steal(&sb);
}

static int intake_attached(struct ledger *ledger)
{
	if (ledger->role == LEDGER_ROLE_BOOK)
		return ledger_refuse(ledger, "this view needs the intake's ledger");
	return 0;
}

int ledger_get_order(struct ledger *ledger, long long id, struct order *order)
{
	static char *sql;		/* built once: the cache keys on the pointer */
	struct db_stmt *st;

	if (intake_attached(ledger) < 0)
		return -1;
	if (sql == NULL)
		sql = view_sql("WHERE o.id = $1");
	st = db_prepare(ledger->db, sql);
	db_bind_int(st, 1, id);
	return ledger_first(ledger, st, view_from_row, order, "reading an order");
}

/* Listing ---------------------------------------------------------------- */

struct each_view {
	order_fn fn;
	void   *ctx;
	const struct order_filter *filter;
	long long given;
	long long last_id;		/* of the batch so far */
	long long rows;			/* rows of the batch */
	int     stopped;
};

static int call_with_view(void *ctx, struct db_stmt *st)
{
	struct each_view *each = ctx;
	struct order order;
	int     stop;

	view_from_row(st, &order);
	each->last_id = order.id;
	each->rows++;
	if (!each->filter->any_state && order.state != each->filter->state) {
		order_clear(&order);
		return 0;
	}
	stop = each->fn(each->ctx, &order);
	order_clear(&order);
	each->given++;
	if (each->filter->limit > 0 && each->given >= each->filter->limit)
		stop = 1;
	each->stopped = stop;
	return stop;
}

static int closed_state(enum order_state state)
{
	return state == ORDER_INSTALLED || state == ORDER_CANCELLED || state == ORDER_SUPERSEDED;
}

/* The queries of the listing, one per index it reads (built once). */
enum listing {
	LIST_ALL = 0,
	LIST_STATUS,			/* $1 = a book status */
	LIST_OPEN,
	LIST_DOMAIN,			/* $1 = rname, $2, $3 = the range below it */
	LIST_EXPIRING,			/* $1 = the time */
	LIST_KINDS,
};

/* Each reads one index, a batch at a time below the last id given ($N,
 * the query's last parameter). */
static const struct {
	const char *where;
	int     below;			/* the parameter of "o.id < $N" */
	const char *order;
}       listing_sql[LIST_KINDS] = {
	[LIST_ALL] = {"o.id < $1", 1, "ORDER BY o.id DESC"},
	[LIST_STATUS] = {"o.status = $1 AND o.id < $2", 2, "ORDER BY o.status, o.id DESC"},
	[LIST_OPEN] = {"o.status = 'open' AND o.id < $1", 1, "ORDER BY o.id DESC"},
	[LIST_DOMAIN] = {"o.id IN (SELECT n.order_id FROM book.order_names n "
		"WHERE n.rname = $1 OR (n.rname > $2 AND n.rname < $3)) AND o.id < $4", 4,
	"ORDER BY o.id DESC"},
	[LIST_EXPIRING] = {"o.status IN ('open', 'installed') AND o.id IN ("
		"SELECT c.order_id FROM certificates c WHERE c.not_after < $1 AND c.id = "
		"(SELECT max(c2.id) FROM certificates c2 WHERE c2.order_id = c.order_id)) "
	"AND o.id < $2", 2, "ORDER BY o.id DESC"},
};

static char *listing_text(enum listing kind)
{
	char    where[1024];

	snprintf(where, sizeof(where), "WHERE %s %s LIMIT %d", listing_sql[kind].where,
		 listing_sql[kind].order, LISTING_BATCH);
	return view_sql(where);
}

static enum listing pick_listing(const struct order_filter *filter)
{
	if (filter->domain)
		return LIST_DOMAIN;
	if (filter->expiring_before)
		return LIST_EXPIRING;
	if (!filter->any_state)
		return closed_state(filter->state) ? LIST_STATUS : LIST_OPEN;
	return LIST_ALL;
}

static void bind_listing(struct db_stmt *st, enum listing kind, const struct order_filter *filter)
{
	char   *rname;
	char   *bound;

	switch (kind) {
	case LIST_STATUS:
		db_bind_text(st, 1, order_state_name(filter->state));
		break;
	case LIST_DOMAIN:
		rname = name_reversed(filter->domain);
		bound = xmalloc(strlen(rname) + 2);
		db_bind_text(st, 1, rname);
		sprintf(bound, "%s.", rname);
		db_bind_text(st, 2, bound);
		sprintf(bound, "%s/", rname);
		db_bind_text(st, 3, bound);
		free(bound);
		free(rname);
		break;
	case LIST_EXPIRING:
		db_bind_int(st, 1, filter->expiring_before);
		break;
	default:
		break;
	}
}

int ledger_each_waiting_approval(struct ledger *ledger, size_t max, waiting_fn fn, void *ctx)
{
	struct approval *list;
	struct order order;
	size_t  count;
	int     rc = 0;

	if (intake_list_approvals(ledger, approval_waiting_states, LLONG_MAX, max, &list, &count) < 0)
		return -1;
	for (size_t i = 0; i < count && rc == 0; i++) {
		memset(&order, 0, sizeof(order));
		if ((rc = ledger_get_order(ledger, list[i].order_id, &order)) != 0) {
			rc = rc < 0 ? -1 : 0;
			continue;
		}
		if (order.status == BOOK_OPEN && (order.state == ORDER_AWAITING_APPROVAL
						  || order.state == ORDER_APPROVAL_RECEIVED))
			rc = fn(ctx, &list[i], &order) < 0 ? -1 : 0;
		order_clear(&order);
	}
	approvals_free(list, count);
	return rc;
}

int ledger_each_order(struct ledger *ledger, const struct order_filter *filter, order_fn fn,
		      void *ctx)
{
	static char *sql[LIST_KINDS];
	struct each_view each = {fn, ctx, filter, 0, filter->before_id > 0 ? filter->before_id : LLONG_MAX,
		0, 0};
	enum listing kind = pick_listing(filter);
	struct db_stmt *st;

	if (intake_attached(ledger) < 0)
		return -1;
	if (sql[kind] == NULL)
		sql[kind] = listing_text(kind);
	do {
		each.rows = 0;
		if ((st = db_prepare(ledger->db, sql[kind])) != NULL) {
			bind_listing(st, kind, filter);
			db_bind_int(st, listing_sql[kind].below, each.last_id);
		}
		if (ledger_each_row(ledger, st, call_with_view, &each, "listing orders") < 0)
			return -1;
	} while (!each.stopped && each.rows == LISTING_BATCH);
	return 0;
}

/* Events and messages ------------------------------------------------------- */

struct each_event {
	event_fn fn;
	void   *ctx;
};

static int call_with_event(void *ctx, struct db_stmt *st)
{
	struct each_event *each = ctx;
	struct event e;
	int     stop;

	e.id = db_int(st, 0);
	e.order_id = db_int(st, 1);
	e.at = db_int(st, 2);
	e.kind = db_strdup(st, 3);
	e.detail = db_strdup(st, 4);
	e.from_book = (int) db_int(st, 5);
	stop = each->fn(each->ctx, &e);
	free(e.kind);
	free(e.detail);
	return stop;
}

int ledger_each_event(struct ledger *ledger, long long order_id, long long limit, event_fn fn,
		      void *ctx)
{
	struct each_event each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	/* the newest $2, then in time order */
	if (ledger->role == LEDGER_ROLE_BOOK)
		st = db_prepare(ledger->db, "SELECT * FROM (SELECT id, order_id, at, kind, detail, 1 "
				"FROM book.events WHERE $1 = 0 OR order_id = $1 ORDER BY at DESC, id DESC "
				"LIMIT $2) AS newest ORDER BY 3, 1");
	else if (order_id)
		st = db_prepare(ledger->db, "SELECT * FROM (SELECT * FROM (SELECT id, order_id, at, kind, "
				"detail, 0 FROM events WHERE order_id = $1 UNION ALL SELECT id, order_id, at, "
				"kind, detail, 1 FROM book.events WHERE order_id = $1) AS both_stores "
				"ORDER BY 3 DESC, 6 DESC, 1 DESC LIMIT $2) AS newest ORDER BY 3, 6, 1");
	else
		st = db_prepare(ledger->db, "SELECT * FROM (SELECT * FROM (SELECT id, order_id, at, kind, "
				"detail, 0 FROM events WHERE $1 = 0 UNION ALL SELECT id, order_id, at, kind, "
				"detail, 1 FROM book.events) AS both_stores ORDER BY 3 DESC, 6 DESC, 1 DESC "
				"LIMIT $2) AS newest ORDER BY 3, 6, 1");
	db_bind_int(st, 1, order_id);
	db_bind_int(st, 2, limit > 0 ? limit : (1LL << 62));
	rc = ledger_each_row(ledger, st, call_with_event, &each, "listing events");
	return rc < 0 ? -1 : 0;
}

struct each_message {
	message_fn fn;
	void   *ctx;
};

static int call_with_message(void *ctx, struct db_stmt *st)
{
	struct each_message *each = ctx;
	struct message_record m;
	int     stop;

	memset(&m, 0, sizeof(m));
	m.id = db_int(st, 0);
	m.message_id = db_strdup(st, 1);
	m.queue_id = db_strdup(st, 2);
	m.mail_from = db_strdup(st, 3);
	m.rcpt_to = db_strdup(st, 4);
	m.subject = db_strdup(st, 5);
	m.verdict = db_strdup(st, 6);
	m.reason = db_strdup(st, 7);
	m.order_id = db_int(st, 8);
	m.received_at = db_int(st, 9);
	stop = each->fn(each->ctx, &m);
	message_record_clear(&m);
	return stop;
}

int ledger_each_message(struct ledger *ledger, long long order_id, long long limit, message_fn fn,
			void *ctx)
{
	struct each_message each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	if (intake_attached(ledger) < 0)
		return -1;
	if (order_id)
		st = db_prepare(ledger->db, "SELECT id, message_id, queue_id, mail_from, rcpt_to, subject, "
				"verdict, reason, order_id, received_at FROM messages WHERE order_id = $1 "
				"ORDER BY id DESC LIMIT $2");
	else
		st = db_prepare(ledger->db, "SELECT id, message_id, queue_id, mail_from, rcpt_to, subject, "
				"verdict, reason, order_id, received_at FROM messages WHERE $1 = 0 "
				"ORDER BY id DESC LIMIT $2");
	db_bind_int(st, 1, order_id);
	db_bind_int(st, 2, limit > 0 ? limit : (1LL << 62));
	rc = ledger_each_row(ledger, st, call_with_message, &each, "listing messages");
	return rc < 0 ? -1 : 0;
}

/* Counts --------------------------------------------------------------------- */

struct counts {
	struct strlist *names;
	struct strlist *counts;
};

static int add_count(void *ctx, struct db_stmt *st)
{
	struct counts *c = ctx;

	strlist_add(c->names, db_text(st, 0) ? db_text(st, 0) : "");
	strlist_addf(c->counts, "%lld", db_int(st, 1));
	return 0;
}

int ledger_count_by(struct ledger *ledger, const char *what, struct strlist *names,
		    struct strlist *counts)
{
	static char *state_sql;
	struct counts c = {names, counts};
	struct db_stmt *st;
	struct strbuf sb = STRBUF_INIT;
	int     rc;

	if (intake_attached(ledger) < 0)
		return -1;
	if (strcmp(what, "verdict") == 0) {
		st = db_prepare(ledger->db, "SELECT verdict, count(*) FROM messages GROUP BY verdict "
				"ORDER BY verdict");
	} else if (strcmp(what, "state") == 0) {
		if (state_sql == NULL) {
			sb_appendf(&sb, "SELECT s, count(*) FROM (SELECT %s AS s FROM book.orders o) "
				   "AS states GROUP BY s ORDER BY s", ORDER_STATE_SQL);
			state_sql = sb_steal(&sb);
		}
		st = db_prepare(ledger->db, state_sql);
	} else if (strcmp(what, "install") == 0) {
		st = db_prepare(ledger->db, "SELECT state, count(*) FROM book.installs GROUP BY state "
				"ORDER BY state");
	} else if (strcmp(what, "install_attempts") == 0) {
		st = db_prepare(ledger->db, "SELECT 'attempts', coalesce(sum(attempts), 0) FROM book.installs");
	} else if (strcmp(what, "approval") == 0) {
		st = db_prepare(ledger->db, "SELECT action_state, count(*) FROM approvals "
				"GROUP BY action_state ORDER BY action_state");
	} else {
		return ledger_refuse(ledger, "no count by %s", what);
	}
	rc = ledger_each_row(ledger, st, add_count, &c, "counting");
	return rc < 0 ? -1 : 0;
}
