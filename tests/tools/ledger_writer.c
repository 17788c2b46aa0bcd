/*
 * ledger_writer - a busy writer for tests/t-ledger-crash.sh.
 *
 * Usage: ledger_writer LEDGER COUNT
 *
 * Writes COUNT orders, each in one explicit transaction holding the order,
 * 60 names, 20 events and a message, with pauses inside the transaction
 * so that a SIGKILL from the test lands mid-transaction most of the time.
 * After any kill the ledger must hold only whole orders: 61 names, 21
 * events (order_added + 20) and one message each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"

#define NAMES_PER_ORDER 60
#define EVENTS_PER_ORDER 20

static int write_one_order(struct ledger *ledger, int n)
{
	struct order order;
	struct message_record msg;
	char domain[64];
	char message_id[64];
	int is_new;
	int i;

	memset(&order, 0, sizeof(order));
	snprintf(domain, sizeof(domain), "order%d.example.com", n);
	order.domain = domain;
	for (i = 0; i < NAMES_PER_ORDER; i++)
		strlist_addf(&order.alt_names, "name%d.order%d.example.com", i, n);
	order.ca = (char *) "sectigo";
	order.key_path = (char *) "/nonexistent/key.pem";
	order.key_sha256 = (char *) "00";
	order.target = (char *) "web";
	if (ledger_add_order(ledger, &order) < 0)
		goto fail;
	for (i = 0; i < EVENTS_PER_ORDER; i++) {
		if (ledger_add_event(ledger, order.id, "test", "event %d of order %d", i, n) < 0)
			goto fail;
		if (i % 5 == 0)
			usleep(1000);
	}
	memset(&msg, 0, sizeof(msg));
	snprintf(message_id, sizeof(message_id), "%ld.%d@test.example", (long) getpid(), n);
	msg.message_id = message_id;
	msg.verdict = (char *) "none";
	msg.order_id = order.id;
	if (ledger_record_message(ledger, &msg, &is_new) < 0)
		goto fail;
	strlist_free(&order.alt_names);
	return 0;
fail:
	fprintf(stderr, "ledger_writer: %s\n", ledger_error(ledger));
	strlist_free(&order.alt_names);
	return -1;
}

int main(int argc, char **argv)
{
	struct ledger *ledger;
	struct strbuf err = STRBUF_INIT;
	int count;
	int n;

	if (argc != 3)
		return 2;
	count = atoi(argv[2]);
	if (ledger_open(argv[1], 5000, &ledger, &err) < 0) {
		fprintf(stderr, "ledger_writer: %s\n", sb_str(&err));
		return 1;
	}
	for (n = 0; n < count; n++) {
		if (ledger_begin(ledger) < 0 || write_one_order(ledger, n) < 0) {
			ledger_rollback(ledger);
			ledger_close(ledger);
			return 1;
		}
		if (ledger_commit(ledger) < 0)
			return 1;
	}
	ledger_close(ledger);
	return 0;
}
