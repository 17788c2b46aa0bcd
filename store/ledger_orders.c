/*
 * NAME
 *	ledger_orders - orders, their names, their states and their events
 * SYNOPSIS
 *	int ledger_add_order(ledger, struct order *order)
 *	int ledger_get_order(ledger, long long id, struct order *order)
 *	int ledger_list_orders(ledger, struct order **orders, size_t *count)
 *	int ledger_list_open_orders(ledger, orders, count)
 *	int ledger_find_orders_by_key(ledger, spki_sha256, orders, count)
 *	int ledger_set_order_state(ledger, id, state, why)
 *	int ledger_add_event(ledger, order_id, kind, fmt, ...)
 *	int ledger_list_events(ledger, order_id, struct event **events, size_t *count)
 * DESCRIPTION
 *	An order is one certificate being bought: its names (the domain
 *	first, then the alternative names, in order_names), the CA, the key,
 *	the target to install to and its state.  Every change of state is
 *	written together with an event saying why, in one transaction.
 *
 *	ledger_set_order_state() refuses to move an order backwards except
 *	to issued (a certificate that matches the key is issued whatever
 *	came before) and to install_failed/installed from the installer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

static const char *const state_names[] = {
	[ORDER_AWAITING_APPROVAL] = "awaiting_approval",
	[ORDER_APPROVAL_RECEIVED] = "approval_received",
	[ORDER_APPROVED] = "approved",
	[ORDER_ISSUED] = "issued",
	[ORDER_INSTALLED] = "installed",
	[ORDER_INSTALL_FAILED] = "install_failed",
	[ORDER_DECLINED] = "declined",
};

#define STATE_COUNT ((int) (sizeof(state_names) / sizeof(state_names[0])))

#define ORDER_COLUMNS "o.id, o.domain, o.ca, o.ca_order, o.approver, o.key_path, " \
	"o.key_sha256, o.target, o.contact, o.approve_mode, o.state, o.created_at, " \
	"o.updated_at"

const char *order_state_name(enum order_state state)
{
	if ((int) state < 0 || (int) state >= STATE_COUNT)
		return "unknown";
	return state_names[state];
}

int order_state_from_name(const char *name, enum order_state *state)
{
	int i;

	for (i = 0; i < STATE_COUNT; i++) {
		if (strcmp(state_names[i], name) == 0) {
			*state = (enum order_state) i;
			return 0;
		}
	}
	return -1;
}

int order_state_is_open(enum order_state state)
{
	return state != ORDER_INSTALLED && state != ORDER_DECLINED;
}

void order_clear(struct order *order)
{
	free(order->domain);
	strlist_free(&order->alt_names);
	free(order->ca);
	free(order->ca_order);
	free(order->approver);
	free(order->key_path);
	free(order->key_sha256);
	free(order->target);
	free(order->contact);
	free(order->approve_mode);
	memset(order, 0, sizeof(*order));
}

void orders_free(struct order *orders, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		order_clear(&orders[i]);
	free(orders);
}

static void order_from_row(sqlite3_stmt *stmt, struct order *order)
{
	const char *state = (const char *) sqlite3_column_text(stmt, 10);

	memset(order, 0, sizeof(*order));
	order->id = sqlite3_column_int64(stmt, 0);
	order->domain = column_strdup(stmt, 1);
	order->ca = column_strdup(stmt, 2);
	order->ca_order = column_strdup(stmt, 3);
	order->approver = column_strdup(stmt, 4);
	order->key_path = column_strdup(stmt, 5);
	order->key_sha256 = column_strdup(stmt, 6);
	order->target = column_strdup(stmt, 7);
	order->contact = column_strdup(stmt, 8);
	order->approve_mode = column_strdup(stmt, 9);
	if (state == NULL || order_state_from_name(state, &order->state) < 0)
		order->state = ORDER_AWAITING_APPROVAL;
	order->created_at = sqlite3_column_int64(stmt, 11);
	order->updated_at = sqlite3_column_int64(stmt, 12);
}

static int load_alt_names(struct ledger *ledger, struct order *order)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "SELECT name FROM order_names WHERE order_id = ?1 "
			      "AND name <> ?2 ORDER BY rowid");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, order->id);
	bind_text(stmt, 2, order->domain);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		strlist_add(&order->alt_names, (const char *) sqlite3_column_text(stmt, 0));
	ledger_release(ledger, stmt);
	return rc == SQLITE_DONE ? 0 : ledger_fail(ledger, "reading order names");
}

/* select_orders - run a query of ORDER_COLUMNS whose one parameter ?1 is
 * text_param, or id_param when text_param is NULL; whole orders with
 * their names */

static int select_orders(struct ledger *ledger, const char *sql, const char *text_param,
			         long long id_param, struct order **orders, size_t *count)
{
	sqlite3_stmt *stmt;
	struct order *list = NULL;
	size_t n = 0;
	size_t cap = 0;
	int rc;

	*orders = NULL;
	*count = 0;
	if ((stmt = ledger_prepare(ledger, sql)) == NULL)
		return -1;
	if (text_param)
		bind_text(stmt, 1, text_param);
	else
		sqlite3_bind_int64(stmt, 1, id_param);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			list = xrealloc(list, cap * sizeof(*list));
		}
		order_from_row(stmt, &list[n++]);
	}
	ledger_release(ledger, stmt);
	if (rc != SQLITE_DONE) {
		orders_free(list, n);
		return ledger_fail(ledger, "listing orders");
	}
	for (size_t i = 0; i < n; i++) {
		if (load_alt_names(ledger, &list[i]) < 0) {
			orders_free(list, n);
			return -1;
		}
	}
	*orders = list;
	*count = n;
	return 0;
}

int ledger_get_order(struct ledger *ledger, long long id, struct order *order)
{
	struct order *list;
	size_t n;

	if (select_orders(ledger, "SELECT " ORDER_COLUMNS " FROM orders o WHERE o.id = ?1",
			  NULL, id, &list, &n) < 0)
		return -1;
	if (n == 0) {
		free(list);
		return LEDGER_NOT_FOUND;
	}
	*order = list[0];
	free(list);
	return 0;
}

int ledger_list_orders(struct ledger *ledger, struct order **orders, size_t *count)
{
	return select_orders(ledger, "SELECT " ORDER_COLUMNS " FROM orders o "
			     "WHERE ?1 = 0 ORDER BY o.id", NULL, 0, orders, count);
}

int ledger_list_open_orders(struct ledger *ledger, struct order **orders, size_t *count)
{
	return select_orders(ledger, "SELECT " ORDER_COLUMNS " FROM orders o "
			     "WHERE ?1 = 0 AND o.state NOT IN ('installed', 'declined') "
			     "ORDER BY o.id", NULL, 0, orders, count);
}

int ledger_find_orders_by_key(struct ledger *ledger, const char *spki_sha256,
			              struct order **orders, size_t *count)
{
	return select_orders(ledger, "SELECT " ORDER_COLUMNS " FROM orders o "
			     "WHERE o.key_sha256 = ?1 ORDER BY o.id DESC",
			     spki_sha256, 0, orders, count);
}

static int insert_order_name(struct ledger *ledger, long long id, const char *name)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "INSERT OR IGNORE INTO order_names (order_id, name) "
			      "VALUES (?1, lower(?2))");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	bind_text(stmt, 2, name);
	rc = ledger_step_done(ledger, stmt, "recording an order name");
	ledger_release(ledger, stmt);
	return rc;
}

static int insert_order_row(struct ledger *ledger, struct order *order)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "INSERT INTO orders (domain, ca, ca_order, approver, "
			      "key_path, key_sha256, target, contact, approve_mode, state, "
			      "created_at, updated_at) VALUES (lower(?1), ?2, ?3, lower(?4), ?5, "
			      "?6, ?7, ?8, ?9, ?10, ?11, ?11)");
	if (stmt == NULL)
		return -1;
	order->created_at = order->updated_at = ledger_now();
	bind_text(stmt, 1, order->domain);
	bind_text(stmt, 2, order->ca);
	bind_text(stmt, 3, order->ca_order);
	bind_text(stmt, 4, order->approver);
	bind_text(stmt, 5, order->key_path);
	bind_text(stmt, 6, order->key_sha256);
	bind_text(stmt, 7, order->target);
	bind_text(stmt, 8, order->contact);
	bind_text(stmt, 9, order->approve_mode);
	bind_text(stmt, 10, order_state_name(order->state));
	sqlite3_bind_int64(stmt, 11, order->created_at);
	rc = ledger_step_done(ledger, stmt, "adding an order");
	ledger_release(ledger, stmt);
	if (rc == 0)
		order->id = sqlite3_last_insert_rowid(ledger->db);
	return rc;
}

/* add_order_event - "example.com www.example.com, CA sectigo, target web" */

static int add_order_event(struct ledger *ledger, const struct order *order)
{
	struct strlist all = STRLIST_INIT;
	char *names;
	char *p;
	int rc;

	strlist_add(&all, order->domain);
	strlist_copy(&all, &order->alt_names);
	names = names_join(&all);
	for (p = names; *p; p++)
		if (*p == '\n')
			*p = ' ';
	rc = ledger_add_event(ledger, order->id, "order_added", "%s, CA %s, target %s",
			      names, order->ca, order->target);
	free(names);
	strlist_free(&all);
	return rc;
}

int ledger_add_order(struct ledger *ledger, struct order *order)
{
	size_t i;
	int rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	rc = insert_order_row(ledger, order);
	if (rc == 0)
		rc = insert_order_name(ledger, order->id, order->domain);
	for (i = 0; rc == 0 && i < order->alt_names.count; i++)
		rc = insert_order_name(ledger, order->id, order->alt_names.items[i]);
	if (rc == 0)
		rc = add_order_event(ledger, order);
	return ledger_write_end(ledger, rc);
}

/* state_change_allowed - the order's life only goes forward, but a
 * certificate for its key makes it issued from any earlier state, and an
 * install may fail and be retried */

static int state_change_allowed(enum order_state from, enum order_state to)
{
	if (from == to)
		return 1;
	switch (to) {
	case ORDER_APPROVAL_RECEIVED:
		return from == ORDER_AWAITING_APPROVAL;
	case ORDER_APPROVED:
		return from == ORDER_AWAITING_APPROVAL || from == ORDER_APPROVAL_RECEIVED;
	case ORDER_ISSUED:
		return from != ORDER_DECLINED;
	case ORDER_INSTALLED:
		return from == ORDER_ISSUED || from == ORDER_INSTALL_FAILED;
	case ORDER_INSTALL_FAILED:
		return from == ORDER_ISSUED || from == ORDER_INSTALL_FAILED;
	case ORDER_DECLINED:
		return from != ORDER_INSTALLED;
	case ORDER_AWAITING_APPROVAL:
		return 0;
	}
	return 0;
}

static int read_state(struct ledger *ledger, long long id, enum order_state *state)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = ledger_prepare(ledger, "SELECT state FROM orders WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		rc = order_state_from_name((const char *) sqlite3_column_text(stmt, 0), state) < 0 ? -1 : 0;
	else if (rc == SQLITE_DONE)
		rc = LEDGER_NOT_FOUND;
	else
		rc = ledger_fail(ledger, "reading an order's state");
	ledger_release(ledger, stmt);
	return rc;
}

static int write_state(struct ledger *ledger, long long id, enum order_state state)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = ledger_prepare(ledger, "UPDATE orders SET state = ?1, updated_at = ?2 WHERE id = ?3");
	if (stmt == NULL)
		return -1;
	bind_text(stmt, 1, order_state_name(state));
	sqlite3_bind_int64(stmt, 2, ledger_now());
	sqlite3_bind_int64(stmt, 3, id);
	rc = ledger_step_done(ledger, stmt, "changing an order's state");
	ledger_release(ledger, stmt);
	return rc;
}

int ledger_set_order_state(struct ledger *ledger, long long id, enum order_state state,
			           const char *why)
{
	enum order_state from = ORDER_AWAITING_APPROVAL;
	int rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	rc = read_state(ledger, id, &from);
	if (rc == 0 && !state_change_allowed(from, state)) {
		snprintf(ledger->error, sizeof(ledger->error), "order %lld is %s, cannot become %s",
			 id, order_state_name(from), order_state_name(state));
		rc = -1;
	}
	if (rc == 0 && from != state)
		rc = write_state(ledger, id, state);
	if (rc == 0 && from != state)
		rc = ledger_add_event(ledger, id, "state", "%s -> %s: %s", order_state_name(from),
				      order_state_name(state), why ? why : "");
	return ledger_write_end(ledger, rc);
}

int ledger_add_event(struct ledger *ledger, long long order_id, const char *kind,
		             const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	char detail[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	stmt = ledger_prepare(ledger, "INSERT INTO events (order_id, at, kind, detail) "
			      "VALUES (?1, ?2, ?3, ?4)");
	if (stmt == NULL)
		return -1;
	if (order_id > 0)
		sqlite3_bind_int64(stmt, 1, order_id);
	else
		sqlite3_bind_null(stmt, 1);
	sqlite3_bind_int64(stmt, 2, ledger_now());
	bind_text(stmt, 3, kind);
	bind_text(stmt, 4, detail);
	if (ledger_write_begin(ledger) < 0) {
		ledger_release(ledger, stmt);
		return -1;
	}
	rc = ledger_step_done(ledger, stmt, "adding an event");
	ledger_release(ledger, stmt);
	return ledger_write_end(ledger, rc);
}

int ledger_list_events(struct ledger *ledger, long long order_id, struct event **events,
		               size_t *count)
{
	sqlite3_stmt *stmt;
	struct event *list = NULL;
	size_t n = 0;
	size_t cap = 0;
	int rc;

	*events = NULL;
	*count = 0;
	stmt = ledger_prepare(ledger, "SELECT id, order_id, at, kind, detail FROM events "
			      "WHERE ?1 = 0 OR order_id = ?1 ORDER BY id");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, order_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[n].id = sqlite3_column_int64(stmt, 0);
		list[n].order_id = sqlite3_column_int64(stmt, 1);
		list[n].at = sqlite3_column_int64(stmt, 2);
		list[n].kind = column_strdup(stmt, 3);
		list[n].detail = column_strdup(stmt, 4);
		n++;
	}
	ledger_release(ledger, stmt);
	if (rc != SQLITE_DONE) {
		events_free(list, n);
		return ledger_fail(ledger, "listing events");
	}
	*events = list;
	*count = n;
	return 0;
}

void events_free(struct event *events, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(events[i].kind);
		free(events[i].detail);
	}
	free(events);
}
