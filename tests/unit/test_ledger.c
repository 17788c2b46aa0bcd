/*
 * test_ledger - the ledger as the milter, installer and operator use it:
 * orders and their states, messages and certificates recorded once,
 * install jobs claimed once, migration from an older schema, a locked
 * database refused cleanly.  (Crash safety: tests/t-ledger-crash.sh.)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "ledger.h"

static char dir[] = "/tmp/mailcert-test-ledger.XXXXXX";

static struct ledger *open_fresh(const char *name)
{
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ledger_open(path, 2000, &ledger, &err) < 0)
		printf("# %s\n", sb_str(&err));
	sb_free(&err);
	return ledger;
}

static long long add_order(struct ledger *ledger, const char *domain, const char *key_sha256)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	order.domain = (char *) domain;
	strlist_add(&order.alt_names, "www.example.com");
	order.ca = (char *) "sectigo";
	order.key_path = (char *) "/etc/mailcert/keys/k.pem";
	order.key_sha256 = (char *) key_sha256;
	order.target = (char *) "web";
	if (ledger_add_order(ledger, &order) < 0)
		printf("# %s\n", ledger_error(ledger));
	strlist_free(&order.alt_names);
	return order.id;
}

static void test_orders(struct ledger *ledger)
{
	struct order order;
	struct order *list;
	size_t n;
	long long id = add_order(ledger, "Example.COM", "aa");

	check_int(id, 1, "first order has id 1");
	check_int(ledger_get_order(ledger, id, &order), 0, "order read back");
	check_str(order.domain, "example.com", "domain stored lower-case");
	check_int((long long) order.alt_names.count, 1, "one alternative name");
	check_str(order.alt_names.items[0], "www.example.com", "alternative name");
	check_str(order_state_name(order.state), "awaiting_approval", "new order awaits approval");
	order_clear(&order);
	check_int(ledger_get_order(ledger, 99, &order), LEDGER_NOT_FOUND, "unknown order not found");
	add_order(ledger, "example.org", "bb");
	check_int(ledger_list_orders(ledger, &list, &n), 0, "orders listed");
	check_int((long long) n, 2, "two orders");
	orders_free(list, n);
	check_int(ledger_find_orders_by_key(ledger, "bb", &list, &n), 0, "find by key");
	check_true(n == 1 && strcmp(list[0].domain, "example.org") == 0, "key finds its order");
	orders_free(list, n);
}

static void test_states(struct ledger *ledger)
{
	struct order order;
	struct event *events;
	size_t n;

	check_int(ledger_set_order_state(ledger, 1, ORDER_APPROVAL_RECEIVED, "approval mail"), 0,
		  "awaiting -> approval_received");
	check_int(ledger_set_order_state(ledger, 1, ORDER_AWAITING_APPROVAL, "back"), -1,
		  "no way back to awaiting_approval");
	check_contains(ledger_error(ledger), "cannot become awaiting_approval", "refusal says why");
	check_int(ledger_set_order_state(ledger, 1, ORDER_INSTALLED, "skip"), -1,
		  "cannot be installed before issued");
	check_int(ledger_set_order_state(ledger, 2, ORDER_ISSUED, "certificate matches key"), 0,
		  "issued from awaiting_approval (a certificate that matches the key)");
	check_int(ledger_set_order_state(ledger, 2, ORDER_INSTALL_FAILED, "reload failed"), 0,
		  "issued -> install_failed");
	check_int(ledger_set_order_state(ledger, 2, ORDER_INSTALLED, "retry worked"), 0,
		  "install_failed -> installed");
	ledger_get_order(ledger, 2, &order);
	check_str(order_state_name(order.state), "installed", "state stored");
	order_clear(&order);
	check_int(ledger_list_events(ledger, 2, &events, &n), 0, "events listed");
	check_int((long long) n, 4, "one event per change plus the order");
	if (n == 4) {
		check_str(events[0].kind, "order_added", "first event is the order");
		check_str(events[3].detail, "install_failed -> installed: retry worked", "newest last, with why");
	}
	events_free(events, n);
}

static void test_messages(struct ledger *ledger)
{
	struct message_record msg;
	int is_new = -1;

	memset(&msg, 0, sizeof(msg));
	msg.message_id = (char *) "abc@trust-provider.com";
	msg.queue_id = (char *) "4XYZ";
	msg.verdict = (char *) "approval";
	msg.order_id = 1;
	check_int(ledger_record_message(ledger, &msg, &is_new), 0, "message recorded");
	check_int(is_new, 1, "first time is new");
	msg.id = 0;
	check_int(ledger_record_message(ledger, &msg, &is_new), 0, "same Message-ID again");
	check_int(is_new, 0, "seen before, not recorded twice");
	check_true(msg.id > 0, "earlier row returned");
	check_int(ledger_message_seen(ledger, "other@example.com", NULL), LEDGER_NOT_FOUND,
		  "unknown Message-ID not seen");
}

static void test_certificates_and_jobs(struct ledger *ledger)
{
	struct cert_record cert;
	struct cert_record back;
	struct install_job job;
	long long job_id = 0;
	long long again = 0;
	long long *due;
	size_t n;
	int is_new;

	memset(&cert, 0, sizeof(cert));
	cert.order_id = 1;
	cert.sha256 = (char *) "c0ffee";
	cert.spki_sha256 = (char *) "aa";
	cert.leaf_pem = (char *) "-----BEGIN CERTIFICATE-----\n...";
	strlist_add(&cert.names, "example.com");
	strlist_add(&cert.names, "WWW.example.com");
	cert.not_after = 1900000000;
	check_int(ledger_record_certificate(ledger, &cert, &is_new), 0, "certificate recorded");
	check_int(is_new, 1, "certificate is new");
	check_int(ledger_record_certificate(ledger, &cert, &is_new), 0, "same certificate again");
	check_int(is_new, 0, "certificate recorded once");
	check_int(ledger_latest_certificate(ledger, 1, &back), 0, "certificate read back");
	check_int((long long) back.names.count, 2, "names kept");
	check_str(back.names.items[1], "www.example.com", "names lower-case");
	cert_record_clear(&back);
	strlist_free(&cert.names);

	check_int(ledger_add_install_job(ledger, 1, cert.id, &job_id, &is_new), 0, "job added");
	check_int(is_new, 1, "job new");
	check_int(ledger_add_install_job(ledger, 1, cert.id, &again, &is_new), 0, "job added again");
	check_true(is_new == 0 && again == job_id, "one job per certificate");
	check_int(ledger_due_install_jobs(ledger, 2000000000LL, &due, &n), 0, "due jobs");
	check_true(n == 1 && due[0] == job_id, "the job is due");
	free(due);
	check_int(ledger_claim_install_job(ledger, job_id, 2000000000LL, 0), 0, "job claimed");
	check_int(ledger_claim_install_job(ledger, job_id, 2000000000LL, 0), LEDGER_NOT_FOUND,
		  "a running job is not claimed twice");
	check_int(ledger_claim_install_job(ledger, job_id, 2000000000LL, 2100000000LL), 0,
		  "a job left running by a dead installer is claimed again");
	check_int(ledger_finish_install_job(ledger, job_id, JOB_DONE, 0, NULL), 0, "job finished");
	check_int(ledger_get_install_job(ledger, job_id, &job), 0, "job read back");
	check_str(job_state_name(job.state), "done", "job done");
	check_int(job.attempts, 2, "two attempts counted");
	install_job_clear(&job);
	check_int(ledger_due_install_jobs(ledger, 2000000000LL, &due, &n), 0, "due jobs again");
	check_int((long long) n, 0, "a done job is not due");
	free(due);
}

static void test_transaction_rollback(struct ledger *ledger)
{
	struct order *list;
	size_t before;
	size_t after;

	ledger_list_orders(ledger, &list, &before);
	orders_free(list, before);
	check_int(ledger_begin(ledger), 0, "explicit transaction");
	add_order(ledger, "rolled-back.example", "cc");
	ledger_rollback(ledger);
	ledger_list_orders(ledger, &list, &after);
	orders_free(list, after);
	check_int((long long) after, (long long) before, "rolled back order is gone");
}

static void test_locked(void)
{
	struct ledger *a = open_fresh("locked.db");
	struct ledger *b = NULL;
	struct strbuf err = STRBUF_INIT;
	char path[256];
	long long id;

	snprintf(path, sizeof(path), "%s/locked.db", dir);
	ledger_open(path, 100, &b, &err);
	check_true(a && b, "two connections to one ledger");
	if (!a || !b)
		goto out;
	check_int(ledger_begin(a), 0, "first writer holds the lock");
	id = add_order(b, "second.example", "dd");
	check_int(id, 0, "second writer refused while locked");
	check_contains(ledger_error(b), "locked", "refusal says the database is locked");
	ledger_rollback(a);
	check_true(add_order(b, "second.example", "dd") > 0, "second writer succeeds after");
out:
	ledger_close(a);
	ledger_close(b);
	sb_free(&err);
}

static void test_migration(void)
{
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;
	struct approval approval;
	struct order order;
	sqlite3 *db;
	FILE *fp;
	char path[256];
	char sql[16384];
	size_t len;

	snprintf(path, sizeof(path), "%s/v1.db", dir);
	fp = fopen("tests/fixtures/ledger-v1.sql", "r");
	len = fp ? fread(sql, 1, sizeof(sql) - 1, fp) : 0;
	sql[len] = 0;
	if (fp)
		fclose(fp);
	check_true(len > 0 && sqlite3_open(path, &db) == SQLITE_OK
		   && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "version 1 ledger made");
	sqlite3_close(db);
	check_int(ledger_open(path, 1000, &ledger, &err), 0, "version 1 ledger opens");
	if (ledger == NULL)
		return;
	check_int(ledger_schema_version(ledger), LEDGER_SCHEMA_VERSION, "migrated to the current version");
	check_int(ledger_get_order(ledger, 1, &order), 0, "old order kept");
	check_str(order_state_name(order.state), "approval_received", "old state kept");
	order_clear(&order);
	check_int(ledger_latest_approval(ledger, 1, &approval), 0, "old approval kept");
	check_str(approval.code, "aB3-xY9*zz", "old approval code kept");
	check_str(approval.action_state, "pending", "new column has its default");
	approval_clear(&approval);
	ledger_close(ledger);

	/* A ledger newer than this program is refused, not guessed at. */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	ledger = NULL;
	check_int(ledger_open(path, 1000, &ledger, &err), -1, "newer schema refused");
	check_contains(sb_str(&err), "newer than this program", "refusal says why");
	sb_free(&err);
}

static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char file[512];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		unlink(file);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

int main(void)
{
	struct ledger *ledger;

	if (mkdtemp(dir) == NULL)
		return 1;
	ledger = open_fresh("ledger.db");
	check_true(ledger != NULL, "fresh ledger created");
	if (ledger) {
		check_int(ledger_schema_version(ledger), LEDGER_SCHEMA_VERSION, "fresh ledger at current version");
		test_orders(ledger);
		test_states(ledger);
		test_messages(ledger);
		test_certificates_and_jobs(ledger);
		test_transaction_rollback(ledger);
		ledger_close(ledger);
	}
	test_locked();
	test_migration();
	remove_dir(dir);
	return check_done();
}
