/*
 * approval_seed - record an approval as the milter would, for tests.
 *
 * Usage: approval_seed LEDGER ORDER_ID LINK CODE CA_ORDER AUTHENTICATED
 *
 * Records the approval with action_state pending (an empty CODE or
 * CA_ORDER is recorded as none), moves the order to approval_received
 * and prints the approval's id.  No mail, no milter: the worker's tests
 * start from what the milter leaves in the ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger *ledger;
	struct approval a;

	if (argc != 7) {
		fprintf(stderr, "usage: approval_seed LEDGER ORDER_ID LINK CODE CA_ORDER AUTHENTICATED\n");
		return 2;
	}
	if (ledger_open(argv[1], 5000, &ledger, &err) < 0) {
		fprintf(stderr, "approval_seed: %s\n", sb_str(&err));
		sb_free(&err);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.order_id = atoll(argv[2]);
	a.link = argv[3];
	a.code = *argv[4] ? argv[4] : NULL;
	a.ca_order = *argv[5] ? argv[5] : NULL;
	a.authenticated = atoi(argv[6]);
	if (ledger_record_approval(ledger, &a) < 0
	    || ledger_set_order_state(ledger, a.order_id, ORDER_APPROVAL_RECEIVED, "test seed") < 0) {
		fprintf(stderr, "approval_seed: %s\n", ledger_error(ledger));
		ledger_close(ledger);
		return 1;
	}
	printf("%lld\n", a.id);
	ledger_close(ledger);
	return 0;
}
