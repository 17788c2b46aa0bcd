/*
 * approval_seed - record an approval as the milter would, for tests.
 *
 * Usage: approval_seed CONFIG ORDER_ID LINK CODE CA_ORDER AUTHENTICATED
 *
 * Loads CONFIG and opens its ledger as the intake does (LEDGER_ROLE_INTAKE:
 * the intake's ledger read-write, the order book read-only).  The order
 * must be in the book already (the test makes it with mailcert order
 * add, as root); the approval is recorded in the intake's ledger with
 * action_state pending (an empty CODE or CA_ORDER is recorded as none),
 * the order's progress moves to approval_received, and the approval's id
 * is printed.  No mail, no milter: the worker's tests start from what the
 * milter leaves in the ledger.  Exit 0, 1 with the reason, 2 on bad usage.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ledger.h"

static int open_intake(const char *path, struct config **cfg, struct ledger **ledger)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger_location where;
	int     rc = -1;

	if (config_load(path, cfg, &err) == 0) {
		ledger_location_of(&where, (*cfg), "mailcert test tool");
		rc = ledger_open(&where, LEDGER_ROLE_INTAKE, ledger, &err);
	}
	if (rc < 0)
		fprintf(stderr, "approval_seed: %s\n", sb_str(&err));
	sb_free(&err);
	return rc;
}

/* seed - the approval and the order's progress, in one transaction; 0
 * or -1 (said) */

static int seed(struct ledger *ledger, struct approval *a)
{
	struct order order;
	int     is_new = 0;
	int     rc;

	memset(&order, 0, sizeof(order));
	if ((rc = book_get_order(ledger, a->order_id, &order)) != 0) {
		if (rc == LEDGER_NOT_FOUND)
			fprintf(stderr, "approval_seed: no order %lld in the book\n", a->order_id);
		else
			fprintf(stderr, "approval_seed: %s\n", ledger_error(ledger));
		return -1;
	}
	order_clear(&order);
	if (ledger_begin(ledger) < 0 || intake_add_approval(ledger, a, &is_new) < 0
	    || (is_new && intake_set_progress(ledger, a->order_id, ORDER_APPROVAL_RECEIVED,
					      "test seed") < 0)) {
		fprintf(stderr, "approval_seed: %s\n", ledger_error(ledger));
		ledger_rollback(ledger);
		return -1;
	}
	if (!is_new) {
		fprintf(stderr, "approval_seed: order %lld has this approval already (%lld)\n",
			a->order_id, a->id);
		ledger_rollback(ledger);
		return -1;
	}
	if (ledger_commit(ledger) < 0) {
		fprintf(stderr, "approval_seed: %s\n", ledger_error(ledger));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct ledger *ledger = NULL;
	struct approval a;
	struct strbuf dedup = STRBUF_INIT;
	int     rc = 1;

	if (argc != 7) {
		fprintf(stderr, "usage: approval_seed CONFIG ORDER_ID LINK CODE CA_ORDER AUTHENTICATED\n");
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.order_id = atoll(argv[2]);
	a.link = argv[3];
	a.code = *argv[4] ? argv[4] : NULL;
	a.ca_order = *argv[5] ? argv[5] : NULL;
	if (a.code)		/* as the intake has it: the code, else the link */
		sb_appendf(&dedup, "code:%s", a.code);
	else
		sb_appendf(&dedup, "link:%s", a.link);
	a.dedup = dedup.data;
	a.authenticated = atoi(argv[6]);
	a.action_state = (char *) "pending";
	if (a.order_id <= 0) {
		fprintf(stderr, "approval_seed: %s: not an order id\n", argv[2]);
		rc = 2;
	} else if (open_intake(argv[1], &cfg, &ledger) == 0 && seed(ledger, &a) == 0) {
		printf("%lld\n", a.id);
		rc = 0;
	}
	ledger_close(ledger);
	config_free(cfg);
	sb_free(&dedup);
	return rc;
}
