/*
 * ledger_writer - a busy writer of both stores for tests/t-ledger-crash.sh.
 *
 * Usage: ledger_writer ORDERS.db LEDGER.db COUNT
 *        ledger_writer postgresql://... - COUNT
 *
 * Opens the order book ORDERS.db as root does (LEDGER_ROLE_BOOK, made
 * when missing) and the intake's ledger LEDGER.db as the milter does
 * (LEDGER_ROLE_INTAKE, the book attached read-only), then writes COUNT
 * orders, each in two explicit transactions, one per store, with pauses
 * inside them so that a SIGKILL from the test lands mid-transaction most
 * of the time:
 *
 *   the book:   the order (book_add_order: the order, its 61 names, the
 *               event order_added) and 20 more book events;
 *   the intake: once the book has committed, a message naming the order
 *               and 20 intake events of the order.
 *
 * After any kill the book must hold only whole orders (61 names, 21
 * events each), the intake only whole records (each message with its 20
 * events, no event without its message), and no intake row may name an
 * order the book does not have: the intake writes after the book commits.
 * With a PostgreSQL URL both stores are that database's schemas (made
 * beforehand by "mailcert ledger init").
 * Exit 0, 1 with the reason, 2 on bad usage.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"

#define NAMES_PER_ORDER 60		/* besides the domain */
#define EVENTS_PER_ORDER 20		/* in each store, besides order_added */

static int fail(struct ledger *ledger)
{
	fprintf(stderr, "ledger_writer: %s\n", ledger_error(ledger));
	ledger_rollback(ledger);
	return -1;
}

/* book_order - one order and its book events, in one transaction */

static int book_order(struct ledger *book, int n, long long *order_id)
{
	struct order order;
	char domain[64];
	int rc = 0;
	int i;

	memset(&order, 0, sizeof(order));
	snprintf(domain, sizeof(domain), "order%d.example.com", n);
	order.domain = domain;
	for (i = 0; i < NAMES_PER_ORDER; i++)
		strlist_addf(&order.alt_names, "name%d.order%d.example.com", i, n);
	order.ca = (char *) "sectigo";
	order.key_sha256 = (char *) "0000000000000000000000000000000000000000000000000000000000000000";
	order.target = (char *) "web";
	if (ledger_begin(book) < 0 || book_add_order(book, &order, "ledger_writer") < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < EVENTS_PER_ORDER; i++) {
		rc = book_add_event(book, order.id, "test", "book event %d of order %d", i, n);
		if (i % 5 == 0)
			usleep(1000);
	}
	strlist_free(&order.alt_names);
	if (rc < 0 || ledger_commit(book) < 0)
		return fail(book);
	*order_id = order.id;
	return 0;
}

/* intake_records - a message and intake events of the order, in one
 * transaction */

static int intake_records(struct ledger *intake, int n, long long order_id)
{
	struct message_record msg;
	char message_id[64];
	int rc = 0;
	int i;

	if (ledger_begin(intake) < 0)
		return fail(intake);
	memset(&msg, 0, sizeof(msg));
	snprintf(message_id, sizeof(message_id), "%ld.%d@test.example", (long) getpid(), n);
	msg.message_id = message_id;
	msg.verdict = (char *) "none";
	msg.order_id = order_id;
	rc = intake_record_message(intake, &msg);
	for (i = 0; rc == 0 && i < EVENTS_PER_ORDER; i++) {
		rc = intake_add_event(intake, order_id, "test", "intake event %d of order %d", i, n);
		if (i % 5 == 0)
			usleep(1000);
	}
	if (rc < 0 || ledger_commit(intake) < 0)
		return fail(intake);
	return 0;
}

static int open_store(const char *book_path, const char *intake_path, enum ledger_role role,
		      struct ledger **out)
{
	int     pg = strncmp(book_path, "postgresql://", 13) == 0;
	struct ledger_location where = {pg ? NULL : intake_path, pg ? NULL : book_path,
		pg ? book_path : NULL, 5000, "ledger_writer"};
	struct strbuf err = STRBUF_INIT;
	int rc = ledger_open(&where, role, out, &err);

	if (rc < 0)
		fprintf(stderr, "ledger_writer: %s\n", sb_str(&err));
	sb_free(&err);
	return rc;
}

int main(int argc, char **argv)
{
	struct ledger *book = NULL;
	struct ledger *intake = NULL;
	long long order_id;
	int count;
	int rc = 0;
	int n;

	if (argc != 4 || (count = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: ledger_writer ORDERS.db LEDGER.db COUNT\n");
		return 2;
	}
	/* the book first: an intake open needs it */
	if (open_store(argv[1], argv[2], LEDGER_ROLE_BOOK, &book) < 0
	    || open_store(argv[1], argv[2], LEDGER_ROLE_INTAKE, &intake) < 0) {
		ledger_close(book);
		return 1;
	}
	for (n = 0; rc == 0 && n < count; n++)
		rc = book_order(book, n, &order_id) < 0 || intake_records(intake, n, order_id) < 0 ? -1 : 0;
	ledger_close(intake);
	ledger_close(book);
	return rc < 0 ? 1 : 0;
}
