/*
 * approval_run - one pass of the approval worker, for tests.
 *
 * Usage: approval_run CONFIG [SECONDS_AHEAD]
 *
 * Loads CONFIG, opens its ledger as the approver does (LEDGER_ROLE_INTAKE:
 * approvals in the intake's ledger, orders read from the book), compiles
 * its CA profiles and calls approval_run_due() once with now +
 * SECONDS_AHEAD (default 0), so that a test can reach the next retry
 * without waiting for it.  Prints the number of approvals handled, -1
 * when the pass failed.  Exit 0, 1 with the reason, 2 on bad usage.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "approve.h"
#include "msg.h"
#include "parser.h"

static int open_ledger(const struct config *cfg, struct ledger **ledger, struct strbuf *err)
{
	struct ledger_location where;

	ledger_location_of(&where, cfg, "mailcert test tool");
	return ledger_open(&where, LEDGER_ROLE_INTAKE, ledger, err);
}

int main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct config *cfg = NULL;
	struct ledger *ledger = NULL;
	struct parser *parser = NULL;
	int     handled = -1;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: approval_run CONFIG [SECONDS_AHEAD]\n");
		return 2;
	}
	msg_open("approval_run", MSG_TO_STDERR, &err);
	if (config_load(argv[1], &cfg, &err) < 0 || open_ledger(cfg, &ledger, &err) < 0
	    || (parser = parser_new(cfg, &err)) == NULL) {
		fprintf(stderr, "approval_run: %s\n", sb_str(&err));
		goto out;
	}
	handled = approval_run_due(ledger, cfg, parser, time(NULL) + (argc == 3 ? atol(argv[2]) : 0));
	printf("%d\n", handled);
out:
	parser_free(parser);
	ledger_close(ledger);
	config_free(cfg);
	sb_free(&err);
	return handled < 0 ? 1 : 0;
}
