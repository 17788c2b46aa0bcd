/*
 * test_ledger - both stores as their users use them: orders in the book
 * (names, lookups by key, CA order number and domain, the target rule,
 * changes and closing), the intake's records (every message recorded,
 * approvals, certificates and install requests kept once), progress
 * that only moves forward, the state put together from three places,
 * listings with filters, the installer's jobs claimed once with leases,
 * notices sent once, what each role may not write, migration from the
 * first schema, a locked ledger refused cleanly.  (Crash safety:
 * tests/t-ledger-crash.sh; query plans: test_ledger_plan.)
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "check_ledger.h"
#include "ledger.h"

static char dir[] = "/tmp/mailcert-test-ledger.XXXXXX";

static struct ledger *open_role(const char *name, enum ledger_role role)
{
	const struct ledger_location *where = check_ledger_named(dir, name);
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;

	if (where && ledger_open(where, role, &ledger, &err) < 0)
		printf("# %s\n", sb_str(&err));
	sb_free(&err);
	return ledger;
}

static long long add_order(struct ledger *book, const char *domain, const char *alt,
			   const char *key, const char *ca_order, const char *target)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	order.domain = (char *) domain;
	if (alt)
		strlist_add(&order.alt_names, alt);
	order.ca = (char *) "sectigo";
	order.ca_order = (char *) ca_order;
	order.key_sha256 = (char *) key;
	order.target = (char *) target;
	order.status = BOOK_OPEN;
	if (book_add_order(book, &order, "test") < 0)
		printf("# %s\n", ledger_error(book));
	strlist_free(&order.alt_names);
	return order.id;
}

/* The book --------------------------------------------------------------- */

static void test_book_orders(struct ledger *book)
{
	struct order order;
	struct order *list;
	size_t  n;
	long long a = add_order(book, "Example.COM", "www.example.com", "aa", "111", "web");
	long long b = add_order(book, "shop.example.org", NULL, "bb", NULL, "shop");

	check_int(a, 1, "first order has id 1");
	check_int(book_get_order(book, a, &order), 0, "order read back");
	check_str(order.domain, "example.com", "domain stored lower-case");
	check_int((long long) order.alt_names.count, 1, "one alternative name");
	check_str(order.alt_names.items[0], "www.example.com", "alternative name");
	check_str(book_status_name(order.status), "open", "a new order is open");
	order_clear(&order);
	check_int(book_get_order(book, 99, &order), LEDGER_NOT_FOUND, "unknown order not found");
	check_int(book_orders_with_key(book, "bb", &list, &n), 0, "find by key");
	check_true(n == 1 && list[0].id == b, "key finds its order");
	orders_free(list, n);
	check_int(book_orders_with_ca_order(book, "sectigo", "111", &list, &n), 0, "find by CA order");
	check_true(n == 1 && list[0].id == a, "CA order number finds its order");
	orders_free(list, n);
	check_int(book_orders_with_ca_order(book, "digicert", "111", &list, &n), 0, "other CA");
	check_int((long long) n, 0, "the CA order number of another CA finds nothing");
	orders_free(list, n);
	book_orders_near_domain(book, "sectigo", "example.org", 8, &list, &n);
	check_true(n == 1 && list[0].id == b, "a parent domain finds the order of its child");
	orders_free(list, n);
	book_orders_near_domain(book, "sectigo", "a.b.www.example.com", 8, &list, &n);
	check_true(n == 1 && list[0].id == a, "a child domain finds the order of its parent");
	orders_free(list, n);
	book_orders_near_domain(book, "sectigo", "xexample.com", 8, &list, &n);
	check_int((long long) n, 0, "a look-alike domain finds nothing");
	orders_free(list, n);
}

static void test_book_changes(struct ledger *book)
{
	struct order order;
	struct order *list;
	size_t  n;

	check_int(book_open_orders_on_target(book, "web", 0, &list, &n), 0, "orders on a target");
	check_true(n == 1 && list[0].id == 1, "the open order on target web");
	orders_free(list, n);
	check_int(book_update_order(book, 2, "222", "ops@example.org", "manual", "test"), 0,
		  "order set");
	book_get_order(book, 2, &order);
	check_str(order.ca_order, "222", "CA order number set");
	check_str(order.approve_mode, "manual", "approve mode set");
	order_clear(&order);
	check_int(book_update_order(book, 2, NULL, "other@example.org", NULL, "test"), 0,
		  "order set, contact only");
	book_get_order(book, 2, &order);
	check_str(order.ca_order, "222", "what is not given stays");
	check_str(order.contact, "other@example.org", "contact changed");
	order_clear(&order);
	check_int(book_close_order(book, 2, BOOK_CANCELLED, "changed my mind", "test"), 0, "cancel");
	check_int(book_close_order(book, 2, BOOK_CANCELLED, "again", "test"), -1, "cancel twice refused");
	check_contains(ledger_error(book), "cannot become cancelled", "the refusal says why");
	check_int(book_update_order(book, 2, "333", NULL, NULL, "test"), -1, "a cancelled order is not set");
	check_int(book_close_order(book, 2, BOOK_INSTALLED, NULL, "test"), -1,
		  "a cancelled order never becomes installed");
	check_int(book_link_successor(book, 1, 3), 0, "renewal linked");
	book_get_order(book, 1, &order);
	check_int(order.successor, 3, "the predecessor names its successor");
	order_clear(&order);
}

static int count_events(void *ctx, const struct event *e)
{
	(void) e;
	(*(int *) ctx)++;
	return 0;
}

static void test_notices_and_meta(struct ledger *book)
{
	long long value = -1;
	int     n = 0;

	check_int(book_notice_once(book, "expiry", "abc:7", "ops@example.com"), 1, "a notice, first");
	check_int(book_notice_once(book, "expiry", "abc:7", "ops@example.com"), 0, "the same again: no");
	check_int(book_notice_sent(book, "expiry", "abc:7"), 1, "recorded as sent");
	check_int(book_notice_sent(book, "expiry", "abc:3"), 0, "another threshold is not");
	check_int(book_meta_get(book, "cursor", &value), LEDGER_NOT_FOUND, "no meta yet");
	check_int(book_meta_set(book, "cursor", 41), 0, "meta set");
	check_int(book_meta_set(book, "cursor", 42), 0, "meta set again");
	book_meta_get(book, "cursor", &value);
	check_int(value, 42, "meta read back");
	ledger_each_event(book, 2, 0, count_events, &n);
	check_true(n >= 4, "every change of order 2 is a book event");
}

/* The installer's jobs ------------------------------------------------------ */

static long long add_job(struct ledger *book, long long order_id, const char *sha, long long nb,
			 long long na, int *is_new)
{
	struct install_job job;
	long long id = 0;

	memset(&job, 0, sizeof(job));
	job.order_id = order_id;
	job.cert_sha256 = (char *) sha;
	job.request_id = 7;
	job.not_before = nb;
	job.not_after = na;
	job.leaf_pem = (char *) "LEAF";
	job.chain_pem = (char *) "CHAIN";
	if (book_install_add(book, &job, &id, is_new) < 0)
		printf("# %s\n", ledger_error(book));
	return id;
}

/* beat - an installer's heartbeat with one target, its pass at now (the
 * test's clock, not the wall clock: a second that ticks between the two
 * would make "past the grace" one second short) */

static int beat(struct ledger *book, long long now, const char *name, const char *target)
{
	struct installer_record r = {(char *) name, (char *) "host", (char *) "test", (char *) target,
		(char *) "/keys", 300, 1, now, 0};
	struct strlist targets = STRLIST_INIT;
	int     rc;

	strlist_add(&targets, target);
	rc = book_installer_beat(book, &r, &targets);
	strlist_free(&targets);
	return rc;
}

static int count_installer(void *ctx, const struct installer_record *r)
{
	if (installer_is_live(r, *(long long *) ctx))
		((long long *) ctx)[1]++;
	return 0;
}

/* test_live_installers - host-a serves web, host-b shop, both just beat */

static void test_live_installers(struct ledger *book, long long now)
{
	struct strlist live = STRLIST_INIT;
	long long count[2] = {now, 0};

	book_live_targets(book, now, &live);
	check_true(live.count == 2 && strlist_contains_nocase(&live, "web") && strlist_contains_nocase(&live, "shop"),
		   "the targets of the live installers");
	strlist_free(&live);
	book_each_installer(book, count_installer, count);
	check_int(count[1], 2, "both installers are live");
	book_live_targets(book, now + 2 * 300 + INSTALLER_GRACE + 1, &live);
	check_int((long long) live.count, 0, "past twice the poll interval and the grace, none is");
	strlist_free(&live);
	check_int(book_installer_stopped(book, "host-b:/etc/mailcert.conf", now), 0, "host b's stops");
	book_live_targets(book, now, &live);
	check_true(live.count == 1 && strlist_contains_nocase(&live, "web"), "a stopped installer serves nothing");
	strlist_free(&live);
	check_int(beat(book, now, "host-b:/etc/mailcert.conf", "shop"), 0, "and starts again");
	book_live_targets(book, now, &live);
	check_int((long long) live.count, 2, "a beat after a stop is live again");
	strlist_free(&live);
}

static void test_installs(struct ledger *book)
{
	struct install_job job;
	long long now = (long long) time(NULL);
	long long *ids;
	size_t  n;
	int     is_new;
	long long id = add_job(book, 1, "c1", 100, 200, &is_new);

	check_true(id > 0 && is_new, "an install job is added");
	check_int(add_job(book, 1, "c1", 100, 200, &is_new), id, "the same certificate again: the same job");
	check_int(is_new, 0, "and it is not new");
	check_int(beat(book, now, "host-a:/etc/mailcert.conf", "web"), 0, "host a's installer serves web");
	check_int(beat(book, now, "host-b:/etc/mailcert.conf", "shop"), 0, "host b's serves shop");
	test_live_installers(book, now);
	book_installs_due(book, now, "host-a:", "host-a:/etc/mailcert.conf", 10, &ids, &n);
	check_true(n == 1 && ids[0] == id, "the new job is due, for the installer of its target");
	free(ids);
	book_installs_due(book, now, "host-b:", "host-b:/etc/mailcert.conf", 10, &ids, &n);
	check_int((long long) n, 0, "an installer of other targets is not given it");
	free(ids);
	check_int(book_install_claim(book, id, now, 600, "host-a:1", "host-a:"), 0, "claimed");
	check_int(book_install_claim(book, id, now, 600, "host-b:9", "host-b:"), LEDGER_NOT_FOUND,
		  "another host does not take a leased job");
	check_int(book_install_claim(book, id, now, 600, "host-a:2", "host-a:"), 0,
		  "an installer of the same host (holding its lock) takes it up again");
	check_int(book_install_claim(book, id, now + 601, 600, "host-b:9", "host-b:"), 0,
		  "after the lease, another host rescues it");
	book_install_get(book, id, &job);
	check_int(job.attempts, 3, "every claim is an attempt");
	check_str(job.leaf_pem, "LEAF", "root's copy of the certificate is kept with the job");
	install_job_clear(&job);
	check_int(book_install_finish(book, id, INSTALL_JOB_DONE, 0, NULL), 0, "finished");
	book_installs_due(book, now + 10000, "host-a:", "host-a:/etc/mailcert.conf", 10, &ids, &n);
	check_int((long long) n, 0, "a done job is not due");
	free(ids);
	check_int(book_install_latest_done(book, 1, &job), 0, "the latest done job");
	check_str(job.cert_sha256, "c1", "is the one installed");
	install_job_clear(&job);
	check_int(book_install_by_cert(book, "c1", &job), 0, "found by its certificate");
	check_int(job.order_id, 1, "for its order");
	install_job_clear(&job);
}

/* The intake ---------------------------------------------------------------- */

static void test_messages(struct ledger *in)
{
	struct message_record msg;
	long long first;

	memset(&msg, 0, sizeof(msg));
	msg.message_id = (char *) "same@ca.example";
	msg.verdict = (char *) "approval";
	check_int(intake_record_message(in, &msg), 0, "a message is recorded");
	first = msg.id;
	msg.id = 0;
	check_int(intake_record_message(in, &msg), 0, "the same Message-ID again is recorded too");
	check_true(msg.id > first, "as a row of its own: an untrusted message never hides a later one");
}

static void test_approvals(struct ledger *in)
{
	struct approval a;
	struct approval b;
	int     is_new;

	memset(&a, 0, sizeof(a));
	a.order_id = 1;
	a.link = (char *) "https://secure.trust-provider.com/products/EnterDCVCode";
	a.code = (char *) "c0de";
	a.ca_order = (char *) "111";
	a.dedup = (char *) "code:c0de";
	a.authenticated = 1;
	check_int(intake_add_approval(in, &a, &is_new), 0, "an approval is recorded");
	check_int(is_new, 1, "it is new");
	b = a;
	b.id = 0;
	check_int(intake_add_approval(in, &b, &is_new), 0, "the same approval again");
	check_int(is_new, 0, "is not new");
	check_int(b.id, a.id, "and names the first");
	b.dedup = (char *) "code:other";
	intake_add_approval(in, &b, &is_new);
	check_int(is_new, 1, "another code for the order is another approval");
	memset(&b, 0, sizeof(b));
	check_int(intake_latest_approval(in, 1, &b), 0, "the latest approval");
	check_str(b.dedup, "code:other", "is the newest");
	check_str(b.action_state, "pending", "and waits for the approver");
	approval_clear(&b);
}

static void test_certificates(struct ledger *in)
{
	struct cert_record c;
	struct cert_record got;
	long long req = 0;
	long long req2 = 0;
	int     is_new;

	memset(&c, 0, sizeof(c));
	c.order_id = 1;
	c.sha256 = (char *) "c1";
	c.spki_sha256 = (char *) "aa";
	c.leaf_pem = (char *) "PEM";
	strlist_add(&c.names, "example.com");
	strlist_add(&c.names, "www.example.com");
	check_int(intake_add_certificate(in, &c, &is_new), 0, "a certificate is recorded");
	check_int(is_new, 1, "it is new");
	c.id = 0;
	intake_add_certificate(in, &c, &is_new);
	check_int(is_new, 0, "the same certificate again is kept once");
	strlist_free(&c.names);
	check_int(intake_certificate_by_sha(in, "c1", &got), 0, "found by its hash");
	check_true(got.names.count == 2 && strcmp(got.names.items[1], "www.example.com") == 0,
		   "its names in order");
	cert_record_clear(&got);
	check_int(intake_add_install_request(in, 1, c.id, &req, &is_new), 0, "an install request");
	check_int(intake_add_install_request(in, 1, c.id, &req2, &is_new), 0, "the same again");
	check_true(req == req2 && !is_new, "one request per certificate");
}

static void test_progress(struct ledger *in)
{
	enum order_state s;

	intake_get_progress(in, 50, &s);
	check_str(order_state_name(s), "awaiting_approval", "no progress: awaiting approval");
	check_int(intake_set_progress(in, 50, ORDER_APPROVAL_RECEIVED, "mail"), 0, "approval received");
	check_int(intake_set_progress(in, 50, ORDER_APPROVED, "done"), 0, "approved");
	check_int(intake_set_progress(in, 50, ORDER_APPROVAL_RECEIVED, "again"), -1,
		  "approved never goes back to approval_received");
	check_int(intake_set_progress(in, 50, ORDER_ISSUED, "cert"), 0, "issued");
	check_int(intake_set_progress(in, 50, ORDER_DECLINED, "late decline"), -1,
		  "an issued order is not declined");
	intake_get_progress(in, 50, &s);
	check_str(order_state_name(s), "issued", "progress stays issued");
}

/* The view: state from three places, listings --------------------------------- */

static void state_is(struct ledger *reader, long long id, const char *want, const char *name)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	ledger_get_order(reader, id, &order);
	check_str(order_state_name(order.state), want, name);
	order_clear(&order);
}

static void test_states(struct ledger *book, struct ledger *in)
{
	int     is_new;
	long long job;
	long long now = (long long) time(NULL);
	long long id = add_order(book, "states.example", NULL, "cc", "333", "t3");

	state_is(in, id, "awaiting_approval", "nothing yet: awaiting approval");
	intake_set_progress(in, id, ORDER_APPROVAL_RECEIVED, "approval mail");
	state_is(in, id, "approval_received", "the intake's progress shows");
	job = add_job(book, id, "c3", 150, 250, &is_new);
	state_is(in, id, "issued", "a pending install job: issued");
	book_install_claim(book, job, now, 600, "h:1", "h:");
	book_install_finish(book, job, INSTALL_JOB_PENDING, now + 60, "test failed");
	state_is(in, id, "install_retrying", "a job waiting for its retry: install_retrying");
	book_install_claim(book, job, now + 61, 600, "h:1", "h:");
	book_install_finish(book, job, INSTALL_JOB_DONE, 0, NULL);
	book_close_order(book, id, BOOK_INSTALLED, NULL, "test");
	state_is(in, id, "installed", "the book says installed: installed");
	state_is(in, 2, "cancelled", "the book says cancelled: cancelled");
}

struct collected {
	long long ids[16];
	int     n;
};

static int collect(void *ctx, const struct order *o)
{
	struct collected *c = ctx;

	if (c->n < 16)
		c->ids[c->n++] = o->id;
	return 0;
}

static struct collected list_with(struct ledger *in, const struct order_filter *f)
{
	struct collected c;

	memset(&c, 0, sizeof(c));
	if (ledger_each_order(in, f, collect, &c) < 0)
		printf("# %s\n", ledger_error(in));
	return c;
}

static void test_listing(struct ledger *book, struct ledger *in)
{
	struct order_filter f;
	struct collected c;

	add_order(book, "a.example.net", NULL, "dd", NULL, "t4");
	add_order(book, "example.net", "www.example.net", "ee", NULL, "t5");
	memset(&f, 0, sizeof(f));
	f.any_state = 1;
	c = list_with(in, &f);
	check_true(c.n == 5 && c.ids[0] == 5 && c.ids[4] == 1, "all orders, newest first");
	f.limit = 2;
	c = list_with(in, &f);
	check_true(c.n == 2 && c.ids[0] == 5 && c.ids[1] == 4, "a limit");
	memset(&f, 0, sizeof(f));
	f.any_state = 1;
	f.domain = "example.net";
	c = list_with(in, &f);
	check_true(c.n == 2 && c.ids[0] == 5 && c.ids[1] == 4, "a domain: its orders and those below it");
	f.domain = "www.example.net";
	c = list_with(in, &f);
	check_true(c.n == 1 && c.ids[0] == 5, "an alternative name finds its order");
	memset(&f, 0, sizeof(f));
	f.state = ORDER_INSTALLED;
	c = list_with(in, &f);
	check_true(c.n == 1 && c.ids[0] == 3, "by state: installed");
	f.state = ORDER_AWAITING_APPROVAL;
	c = list_with(in, &f);
	if (!check_true(c.n == 2 && c.ids[0] == 5 && c.ids[1] == 4, "by state: awaiting approval"))
		printf("# got %d orders: %lld %lld %lld\n", c.n, c.ids[0], c.ids[1], c.ids[2]);
	memset(&f, 0, sizeof(f));
	f.any_state = 1;
	f.expiring_before = 1000;
	c = list_with(in, &f);
	check_true(c.n == 1 && c.ids[0] == 1, "expiring: the order whose certificate expires before");
}

/* Roles, locks, migration ----------------------------------------------------- */

/* open_as - the "main" ledger as a role; on PostgreSQL as that role's
 * database role (the grants, not this code, must refuse) */

static struct ledger *open_as(enum ledger_role role, const char *pg_role)
{
	const struct ledger_location *main_where = check_ledger_named(dir, "main");
	struct check_where w;
	struct check_where as;
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;

	if (main_where == NULL)
		return NULL;
	if (check_pghost() == NULL)
		return open_role("main", role);
	memset(&w, 0, sizeof(w));
	w.where = *main_where;
	snprintf(w.url, sizeof(w.url), "%s", main_where->url);
	check_ledger_as(&w, pg_role, &as);
	if (ledger_open(&as.where, role, &ledger, &err) < 0)
		printf("# %s\n", sb_str(&err));
	sb_free(&err);
	return ledger;
}

static void test_roles(void)
{
	struct ledger *reader = open_as(LEDGER_ROLE_READER, "mailcert-web");
	struct ledger *in = open_as(LEDGER_ROLE_INTAKE, "mailcert");
	const char *refusal = check_pghost() ? "permission denied" : "readonly";
	struct message_record msg;

	check_true(reader != NULL && in != NULL, "reader and intake opened");
	if (reader == NULL || in == NULL)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.verdict = (char *) "none";
	check_int(intake_record_message(reader, &msg), -1, "a reader cannot write the intake's ledger");
	check_contains(ledger_error(reader), refusal, "the reader's refusal is the database's");
	check_int(add_order(in, "evil.example", NULL, "ff", NULL, "web"), 0,
		  "the intake cannot write the order book");
	check_contains(ledger_error(in), refusal, "the refusal is the database's");
	check_int(intake_record_message(in, &msg), 0, "the intake writes its own ledger");
	ledger_close(reader);
	ledger_close(in);
}

/* test_grants - PostgreSQL keeps the privilege split: each role connects
 * and tries what it must not do; the server refuses (42501, permission
 * denied), not merely our code never asking.  And what each role does
 * write, it may. */

struct attempt {
	const char *role;
	const char *sql;
	int     allowed;
};

static const struct attempt attempts[] = {
	/* the intake (milter, deliver, fetch) */
	{"mailcert", "INSERT INTO intake.messages (verdict, received_at) VALUES ('none', 0)", 1},
	{"mailcert", "INSERT INTO intake.order_progress (order_id, state, updated_at) VALUES (900, "
	 "'issued', 0) ON CONFLICT (order_id) DO UPDATE SET state = excluded.state", 1},
	{"mailcert", "SELECT count(*) FROM book.orders", 1},
	{"mailcert", "UPDATE intake.messages SET subject = 'x'", 0},
	{"mailcert", "DELETE FROM intake.messages", 0},
	{"mailcert", "TRUNCATE intake.events", 0},
	{"mailcert", "UPDATE intake.approvals SET link = 'https://evil.example/'", 0},
	{"mailcert", "UPDATE intake.certificates SET not_after = 4102444800", 0},
	{"mailcert", "UPDATE intake.install_requests SET order_id = 1", 0},
	{"mailcert", "UPDATE intake.install_requests SET taken = 1", 0},
	{"mailcert", "INSERT INTO intake.install_requests (id, order_id, certificate_id, created_at) "
	 "VALUES (9000000, 1, 1, 0)", 0},
	{"mailcert", "SELECT setval(pg_get_serial_sequence('intake.install_requests', 'id'), 1)", 0},
	{"mailcert", "INSERT INTO book.orders (domain, names, ca, key_sha256, target, created_at, "
	 "updated_at) VALUES ('x', 'x', 'x', 'x', 'x', 0, 0)", 0},
	{"mailcert", "UPDATE book.orders SET target = 'other'", 0},
	{"mailcert", "DELETE FROM book.installs", 0},
	{"mailcert", "INSERT INTO book.request_answers (request_id, order_id, cert_sha256, "
	 "answered_at) VALUES (1, 1, 'x', 0)", 0},
	{"mailcert", "CREATE TABLE intake.planted (a int)", 0},
	{"mailcert", "ALTER TABLE intake.messages ADD COLUMN planted int", 0},
	{"mailcert", "CREATE TABLE public.planted (a int)", 0},
	/* the approver */
	{"mailcert-approver", "UPDATE intake.approvals SET action_state = action_state, "
	 "attempts = attempts, next_try = next_try, last_error = last_error", 1},
	{"mailcert-approver", "INSERT INTO intake.events (order_id, at, kind, detail) "
	 "VALUES (1, 0, 'approval_done', 'x')", 1},
	{"mailcert-approver", "UPDATE intake.approvals SET link = 'https://evil.example/'", 0},
	{"mailcert-approver", "UPDATE intake.approvals SET code = 'x', ca_order = '1'", 0},
	{"mailcert-approver", "INSERT INTO intake.approvals (order_id, dedup, authenticated, "
	 "received_at) VALUES (1, 'x', 1, 0)", 0},
	{"mailcert-approver", "INSERT INTO intake.certificates (sha256, spki_sha256, leaf_pem, "
	 "chain_pem, names, not_before, not_after, received_at) VALUES ('x','x','x','x','x',0,0,0)", 0},
	{"mailcert-approver", "INSERT INTO intake.install_requests (order_id, certificate_id, "
	 "created_at) VALUES (1, 1, 0)", 0},
	{"mailcert-approver", "INSERT INTO intake.messages (verdict, received_at) VALUES ('none', 0)", 0},
	{"mailcert-approver", "UPDATE book.orders SET contact = 'x'", 0},
	/* the web view */
	{"mailcert-web", "SELECT count(*) FROM intake.approvals", 1},
	{"mailcert-web", "INSERT INTO intake.messages (verdict, received_at) VALUES ('none', 0)", 0},
	{"mailcert-web", "UPDATE intake.approvals SET action_state = 'done'", 0},
	{"mailcert-web", "INSERT INTO intake.events (order_id, at, kind, detail) VALUES (1,0,'x','x')", 0},
	{"mailcert-web", "UPDATE book.orders SET status = 'cancelled'", 0},
	/* a role that ledger init granted nothing: not even CONNECT */
	{"nobody", "SELECT 1", 0},
	{NULL, NULL, 0},
};

static void test_grants(void)
{
	const struct ledger_location *main_where = check_ledger_named(dir, "main");
	const struct attempt *a;
	char    state[6];
	char    name[300];

	if (main_where == NULL)
		return;
	for (a = attempts; a->role; a++) {
		check_pg_as(main_where->url, a->role, a->sql, state);
		snprintf(name, sizeof(name), "%s %s: %.120s", a->role, a->allowed ? "may" : "may not", a->sql);
		check_str(state, a->allowed ? "" : "42501", name);
	}
}

/* test_locked - a writer that finds what it writes locked by another gives
 * up after busy_timeout and says the ledger is busy (SQLite: the file;
 * PostgreSQL: the order's progress row, lock_timeout) */

static void test_locked(void)
{
	struct ledger *a = open_role("main", LEDGER_ROLE_INTAKE);
	struct ledger *b = open_role("main", LEDGER_ROLE_INTAKE);
	struct message_record msg;
	int     pg = check_pghost() != NULL;

	if (a == NULL || b == NULL)
		return;
	memset(&msg, 0, sizeof(msg));
	msg.verdict = (char *) "none";
	check_int(ledger_begin(a), 0, "first writer holds the lock");
	if (pg)
		check_int(intake_set_progress(a, 77, ORDER_APPROVAL_RECEIVED, "test"), 0,
			  "first writer changes an order's progress");
	check_int(pg ? intake_set_progress(b, 77, ORDER_APPROVED, "test") : intake_record_message(b, &msg),
		  -1, "second writer refused while locked");
	check_true(ledger_busy(b), "the refusal is a busy ledger (an intake answers: try later)");
	check_contains(ledger_error(b), pg ? "lock timeout" : "locked", "and says so");
	ledger_rollback(a);
	check_int(intake_record_message(b, &msg), 0, "written once the lock is gone");
	ledger_close(a);
	ledger_close(b);
}

static int load_sql(const char *path, const char *sql_file)
{
	struct strbuf sql = STRBUF_INIT;
	sqlite3 *db;
	int     rc;

	if (check_read_file(sql_file, &sql) < 0)
		return -1;
	rc = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql.data, NULL, NULL, NULL) == SQLITE_OK
	    ? 0 : -1;
	sqlite3_close(db);
	sb_free(&sql);
	return rc;
}

static void test_migration(void)
{
	struct check_where w;
	struct ledger_location where;
	struct ledger *book = NULL;
	struct ledger *in = NULL;
	struct strbuf err = STRBUF_INIT;
	struct approval a;
	enum order_state s;

	if (check_ledger_where(dir, "v1", &w) < 0)
		return;
	where = w.where;
	if (!check_int(load_sql(w.intake, "tests/fixtures/ledger-v1.sql"), 0, "version 1 ledger made"))
		return;
	ledger_open(&where, LEDGER_ROLE_BOOK, &book, &err);
	if (!check_int(ledger_open(&where, LEDGER_ROLE_INTAKE, &in, &err), 0, "version 1 ledger opened"))
		printf("# %s\n", sb_str(&err));
	if (in == NULL) {
		ledger_close(book);
		sb_free(&err);
		return;
	}
	check_int(ledger_schema_version(in, 0), LEDGER_INTAKE_VERSION, "migrated to the current version");
	memset(&a, 0, sizeof(a));
	check_int(intake_latest_approval(in, 1, &a), 0, "the approval survived");
	check_str(a.code, "aB3-xY9*zz", "with its code");
	check_str(a.action_state, "pending", "and the new column's default");
	approval_clear(&a);
	intake_get_progress(in, 1, &s);
	check_str(order_state_name(s), "approval_received", "the order's progress survived");
	ledger_close(in);
	ledger_close(book);
	sb_free(&err);
}

static int count_request(void *ctx, const struct install_request *r)
{
	(void) r;
	(*(int *) ctx)++;
	return 0;
}

/* test_migration_pgsql - a PostgreSQL ledger at an older schema: the
 * other roles refuse it and say what to run; the owner's ledger init
 * migrates it, rows and all */

static void test_migration_pgsql(void)
{
	struct strbuf sql = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	struct check_where w;
	struct ledger *ledger = NULL;
	struct install_job none;
	struct order order;
	char    database[128];

	memset(&w, 0, sizeof(w));
	if (check_read_file("tests/fixtures/ledger-pg-v3.sql", &sql) < 0
	    || check_pg_database("v3", database, sizeof(database)) < 0)
		return;
	check_int(check_pg_run(database, sql.data), 0, "a version 3 ledger made in PostgreSQL");
	snprintf(w.url, sizeof(w.url), "postgresql:///%s?host=%s", database, check_pghost());
	w.where.url = w.url;
	w.where.busy_timeout_ms = 200;
	check_int(ledger_open(&w.where, LEDGER_ROLE_INTAKE, &ledger, &err), -1,
		  "the intake refuses an older schema");
	check_contains(sb_str(&err), "mailcert ledger init", "and says what to run");
	sb_reset(&err);
	if (!check_int(ledger_open(&w.where, LEDGER_ROLE_OWNER, &ledger, &err), 0,
		       "the owner's ledger init opens it"))
		printf("# %s\n", sb_str(&err));
	if (ledger) {
		check_int(ledger_schema_version(ledger, 0), LEDGER_INTAKE_VERSION, "intake migrated");
		check_int(ledger_schema_version(ledger, 1), LEDGER_BOOK_VERSION, "book migrated");
		ledger_close(ledger);
	}
	ledger = NULL;
	if (ledger_open(&w.where, LEDGER_ROLE_BOOK, &ledger, &err) == 0) {
		memset(&order, 0, sizeof(order));
		check_int(book_get_order(ledger, 1, &order), 0, "the order survived");
		check_str(order.ca_order, "1234567890", "with its CA order number");
		order_clear(&order);
		memset(&none, 0, sizeof(none));
		check_int(book_install_latest(ledger, 1, &none), LEDGER_NOT_FOUND, "no install job yet");
		ledger_close(ledger);
	}
	ledger = NULL;
	if (ledger_open(&w.where, LEDGER_ROLE_INTAKE, &ledger, &err) == 0) {
		int     requests = 0;

		check_int(intake_each_install_request(ledger, 10, count_request, &requests), 0,
			  "the old install request is listed");
		check_int(requests, 1, "as untaken (the book has not answered it)");
		ledger_close(ledger);
	}
	sb_free(&sql);
	sb_free(&err);
}

static void test_integrity(void)
{
	struct ledger *in = open_role("main", LEDGER_ROLE_INTAKE);
	struct strbuf result = STRBUF_INIT;

	if (in == NULL)
		return;
	check_int(ledger_integrity_check(in, &result), 0, "both stores pass integrity_check");
	check_str(sb_str(&result), "ok", "integrity_check says ok");
	sb_free(&result);
	ledger_close(in);
}

int main(void)
{
	struct ledger *book;
	struct ledger *in;

	if (mkdtemp(dir) == NULL)
		return 1;
	book = open_role("main", LEDGER_ROLE_BOOK);
	check_true(book != NULL, "the order book is made");
	if (book == NULL)
		return 1;
	test_book_orders(book);
	test_book_changes(book);
	test_notices_and_meta(book);
	test_installs(book);
	in = open_role("main", LEDGER_ROLE_INTAKE);
	check_true(in != NULL, "the intake's ledger is made");
	if (in) {
		test_messages(in);
		test_approvals(in);
		test_certificates(in);
		test_progress(in);
		test_states(book, in);
		test_listing(book, in);
		ledger_close(in);
	}
	ledger_close(book);
	test_roles();
	if (check_pghost())
		test_grants();
	test_locked();
	if (check_pghost() == NULL) {	/* SQLite's own: its v1 files, its check */
		test_migration();
		test_integrity();
	} else {
		test_migration_pgsql();
	}
	{
		char    cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return check_failures ? 1 : 0;
}
