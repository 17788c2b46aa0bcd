/*
 * test_ledger_plan - every statement of the message path (what the milter
 * and the other intakes run per message, and the watch set) and of the
 * install path (the installer's helper and the installer) is found by an
 * index: the statements are caught with ledger_trace() as the real
 * functions run them on a ledger with some thousands of rows, and each
 * is explained (EXPLAIN QUERY PLAN) on the connection that ran it.  A
 * full scan of any table (orders, their names, messages, events, jobs:
 * all but the one-row book.meta) fails, naming the statement and its
 * plan; a last check makes sure a scan is seen as one.
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "check_ledger.h"
#include "ledger.h"

#define ROWS		2000	/* orders, messages: enough that a scan would show */

static char dir[] = "/tmp/mailcert-test-plan.XXXXXX";

/* The statements one path ran, each once. */
struct caught {
	struct strlist sql;
	int     on;
};

static void catch_sql(void *ctx, const char *sql)
{
	struct caught *c = ctx;

	if (c->on && !strlist_contains_nocase(&c->sql, sql))
		strlist_add(&c->sql, sql);
}

static struct ledger *open_role(enum ledger_role role)
{
	const struct ledger_location *where = check_ledger_named(dir, "plan");
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;

	if (where && ledger_open(where, role, &ledger, &err) < 0)
		printf("# %s\n", sb_str(&err));
	sb_free(&err);
	return ledger;
}

static void fill_book(struct ledger *book)
{
	struct order order;
	char    domain[64];
	char    key[65];
	char    ca_order[32];
	char    target[32];

	check_int(ledger_begin(book), 0, "book: a transaction for the orders");
	for (int i = 0; i < ROWS; i++) {
		memset(&order, 0, sizeof(order));
		snprintf(domain, sizeof(domain), "host%d.example%d.com", i, i % 50);
		snprintf(key, sizeof(key), "%064d", i);
		snprintf(ca_order, sizeof(ca_order), "%d", 1000000 + i);
		snprintf(target, sizeof(target), "t%d", i);
		order.domain = domain;
		strlist_add(&order.alt_names, "www.example.com");
		order.ca = (char *) "sectigo";
		order.ca_order = ca_order;
		order.key_sha256 = key;
		order.target = target;
		order.status = BOOK_OPEN;
		book_add_order(book, &order, "test");
		strlist_free(&order.alt_names);
		if (i % 100 != 0)	/* 1% open, as a reseller's ledger */
			book_close_order(book, order.id, BOOK_INSTALLED, NULL, "test");
	}
	check_int(ledger_commit(book), 0, "book: orders committed");
}

static void fill_intake(struct ledger *in)
{
	struct message_record msg;

	check_int(ledger_begin(in), 0, "intake: a transaction for the messages");
	for (int i = 0; i < ROWS; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.message_id = (char *) "m@example.org";
		msg.verdict = (char *) "none";
		msg.order_id = i % 7;
		msg.received_at = i;
		intake_record_message(in, &msg);
		intake_add_event(in, i % 7, "test", "event %d", i);
	}
	check_int(ledger_commit(in), 0, "intake: messages committed");
}

static int count_order(void *ctx, const struct order *order)
{
	(void) order;
	(*(int *) ctx)++;
	return 0;
}

static int count_request(void *ctx, const struct install_request *r)
{
	(void) r;
	(*(int *) ctx)++;
	return 0;
}

/* message_path - what one approval mail and one certificate mail cost */

static void message_path(struct ledger *in)
{
	struct order *orders;
	struct message_record msg;
	struct approval a;
	struct cert_record c;
	enum order_state state;
	size_t  n;
	int     is_new;
	int     open = 0;
	long long req;

	book_orders_with_ca_order(in, "sectigo", "1000100", &orders, &n);
	check_int((long long) n, 1, "message path: the order by its CA order number");
	orders_free(orders, n);
	book_orders_near_domain(in, "sectigo", "host100.example0.com", 10, &orders, &n);
	check_int((long long) n, 1, "message path: the order near a domain");
	orders_free(orders, n);
	book_orders_near_domain(in, "sectigo", "www.host100.example0.com", 10, &orders, &n);
	orders_free(orders, n);
	book_orders_with_key(in, "0000000000000000000000000000000000000000000000000000000000000100",
			     &orders, &n);
	check_int((long long) n, 1, "message path: the order by its key");
	orders_free(orders, n);
	book_each_open_order(in, count_order, &open);
	check_int(open, ROWS / 100, "watch set: the open orders");

	ledger_begin(in);
	memset(&msg, 0, sizeof(msg));
	msg.message_id = (char *) "plan@example.org";
	msg.verdict = (char *) "approval";
	msg.order_id = 101;
	msg.received_at = time(NULL);
	intake_record_message(in, &msg);
	memset(&a, 0, sizeof(a));
	a.order_id = 101;
	a.message_row = msg.id;
	a.link = (char *) "https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1000100";
	a.code = (char *) "code";
	a.ca_order = (char *) "1000100";
	a.dedup = (char *) "code";
	a.authenticated = 1;
	a.received_at = time(NULL);
	a.action_state = (char *) "pending";
	intake_add_approval(in, &a, &is_new);
	intake_get_progress(in, 101, &state);
	intake_set_progress(in, 101, ORDER_APPROVAL_RECEIVED, "plan");
	intake_add_event(in, 101, "plan", "approval");
	memset(&c, 0, sizeof(c));
	c.order_id = 101;
	c.message_row = msg.id;
	c.sha256 = (char *) "ab";
	c.spki_sha256 = (char *) "cd";
	c.leaf_pem = (char *) "leaf";
	c.chain_pem = (char *) "chain";
	strlist_add(&c.names, "host100.example0.com");
	c.not_before = 1;
	c.not_after = 2;
	c.received_at = time(NULL);
	intake_add_certificate(in, &c, &is_new);
	strlist_free(&c.names);
	intake_add_install_request(in, 101, c.id, &req, &is_new);
	intake_set_progress(in, 101, ORDER_ISSUED, "plan");
	ledger_commit(in);
	memset(&a, 0, sizeof(a));	/* its strings were the test's */
	intake_latest_approval(in, 101, &a);
	approval_clear(&a);
}

/* install_path - the helper's listing, then the installer's jobs */

static void install_path(struct ledger *in, struct ledger *book)
{
	struct install_job job;
	long long *ids;
	size_t  n;
	long long id;
	int     is_new;
	int     requests = 0;

	intake_each_install_request(in, 100, count_request, &requests);
	check_int(requests, 1, "install path: the helper lists the request");
	memset(&job, 0, sizeof(job));
	job.order_id = 101;
	job.cert_sha256 = (char *) "ab";
	job.request_id = 1;
	job.not_before = 1;
	job.not_after = 2;
	job.leaf_pem = (char *) "leaf";
	job.chain_pem = (char *) "chain";
	book_install_add(book, &job, &id, &is_new);
	book_request_answered(book, 1, 101, "ab");
	book_answer_request(book, 1, 101, "ab", id);
	{
		struct installer_record r = {(char *) "host:conf", (char *) "host", (char *) "test",
			(char *) "t100", (char *) "/keys", 300, 1, time(NULL), 0};
		struct strlist targets = STRLIST_INIT;

		strlist_add(&targets, "t100");	/* order 101's */
		book_installer_beat(book, &r, &targets);
		strlist_free(&targets);
	}
	book_installs_due(book, time(NULL), "host:", "host:conf", 10, &ids, &n);
	check_int((long long) n, 1, "install path: the job is due");
	free(ids);
	book_install_claim(book, id, time(NULL), 600, "host:1", "host:");
	memset(&job, 0, sizeof(job));
	book_install_get(book, id, &job);
	install_job_clear(&job);
	book_install_latest_done(book, 101, &job);
	install_job_clear(&job);
	book_install_finish(book, id, INSTALL_JOB_DONE, 0, NULL);
	book_add_event(book, 101, "installed", "plan");
	memset(&job, 0, sizeof(job));
	book_install_by_cert(book, "ab", &job);
	install_job_clear(&job);
}

/* full_scan - a line of the plan that reads a table (or an alias of one)
 * whole; NULL when every table is searched by an index or a key.  The
 * only tables a path may read whole are the one-row kind (book.meta).
 * SQLite says "SCAN table"; PostgreSQL, with sequential scans priced out
 * (ledger_explain), "Seq Scan on table" only where no index serves. */

/* reads_partial_index - a scan of a partial index reads only the rows it
 * holds (the untaken install requests, the open orders): not a scan */

static int reads_partial_index(const char *line, size_t len)
{
	static const char *const partial[] = {"USING INDEX install_requests_untaken",
		"USING INDEX orders_open", NULL};

	for (int i = 0; partial[i]; i++)
		if (memmem(line, len, partial[i], strlen(partial[i])))
			return 1;
	return 0;
}

static int scans_whole_table(const char *line, size_t len)
{
	const char *seq = memmem(line, len, "Seq Scan on ", 12);

	if (seq)
		return strncmp(seq + 12, "meta ", 5) != 0;
	return len >= 5 && strncmp(line, "SCAN ", 5) == 0 && strncmp(line, "SCAN book.meta", 14) != 0
	    && strncmp(line, "SCAN CONSTANT ROW", 17) != 0 && !reads_partial_index(line, len);
}

static const char *full_scan(const char *plan)
{
	static char line[200];
	const char *p = plan;
	size_t  len;

	while (*p) {
		len = strcspn(p, "\n");
		if (scans_whole_table(p, len)) {
			snprintf(line, sizeof(line), "%.*s", (int) len, p);
			return line;
		}
		p += len + (p[len] == '\n');
	}
	return NULL;
}

static void check_plans(struct ledger *ledger, const struct caught *c, const char *path)
{
	struct strbuf plan = STRBUF_INIT;
	char    name[160];
	int     explained = 0;

	for (size_t i = 0; i < c->sql.count; i++) {
		const char *sql = c->sql.items[i];
		const char *scan;

		if (strncmp(sql, "SELECT", 6) != 0 && strncmp(sql, "UPDATE", 6) != 0
		    && strncmp(sql, "DELETE", 6) != 0 && strncmp(sql, "INSERT", 6) != 0)
			continue;
		sb_reset(&plan);
		if (ledger_explain(ledger, sql, &plan) < 0) {
			snprintf(name, sizeof(name), "%s: explain %.80s", path, sql);
			check_true(0, name);
			continue;
		}
		explained++;
		scan = full_scan(sb_str(&plan));
		snprintf(name, sizeof(name), "%s: no full scan in %.90s", path, sql);
		if (scan)
			printf("# %s\n#   plan: %s\n", sql, sb_str(&plan));
		check_true(scan == NULL, name);
	}
	snprintf(name, sizeof(name), "%s: statements explained", path);
	check_true(explained >= 1, name);
	sb_free(&plan);
}

int main(void)
{
	struct caught msg_sql = {STRLIST_INIT, 0};
	struct caught inst_sql = {STRLIST_INIT, 0};
	struct caught helper_sql = {STRLIST_INIT, 0};
	struct ledger *book;
	struct ledger *in;

	if (mkdtemp(dir) == NULL)
		return 1;
	book = open_role(LEDGER_ROLE_BOOK);
	check_true(book != NULL, "the book opens");
	fill_book(book);
	in = open_role(LEDGER_ROLE_INTAKE);
	check_true(in != NULL, "the intake's ledger opens");
	fill_intake(in);

	ledger_trace(in, catch_sql, &msg_sql);
	msg_sql.on = 1;
	message_path(in);
	msg_sql.on = 0;
	check_plans(in, &msg_sql, "message path");

	ledger_trace(in, catch_sql, &helper_sql);
	ledger_trace(book, catch_sql, &inst_sql);
	helper_sql.on = inst_sql.on = 1;
	install_path(in, book);
	helper_sql.on = inst_sql.on = 0;
	check_plans(in, &helper_sql, "install path (the helper)");
	check_plans(book, &inst_sql, "install path (the installer)");

	/* The check itself: a lookup by a column without an index is caught. */
	{
		struct strbuf plan = STRBUF_INIT;

		check_int(ledger_explain(book, "SELECT id FROM book.orders WHERE contact = $1", &plan), 0,
			  "a query without an index is explained");
		if (!check_true(full_scan(sb_str(&plan)) != NULL, "a full scan of orders is seen as one"))
			printf("#   plan: %s\n", sb_str(&plan));
		sb_free(&plan);
	}

	ledger_close(in);
	ledger_close(book);
	strlist_free(&msg_sql.sql);
	strlist_free(&inst_sql.sql);
	strlist_free(&helper_sql.sql);
	{
		char    cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return check_done();
}
