/*
 * approval_run - one pass of the approval worker, for tests.
 *
 * Usage: approval_run CONFIG [SECONDS_AHEAD]
 *
 * Loads CONFIG, opens its ledger, compiles its CA profiles and calls
 * approval_run_due() once with now + SECONDS_AHEAD (default 0), so that
 * a test can reach the next retry without waiting for it.  Prints the
 * number of approvals handled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "approve.h"
#include "msg.h"
#include "parser.h"

int main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct config *cfg = NULL;
	struct ledger *ledger = NULL;
	struct parser *parser = NULL;
	int handled = -1;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: approval_run CONFIG [SECONDS_AHEAD]\n");
		return 2;
	}
	msg_open("approval_run", 1);
	if (config_load(argv[1], &cfg, &err) < 0
	    || ledger_open(cfg->ledger_path, cfg->busy_timeout_ms, &ledger, &err) < 0
	    || (parser = parser_new(cfg, &err)) == NULL) {
		fprintf(stderr, "approval_run: %s\n", sb_str(&err));
		goto out;
	}
	handled = approval_run_due(ledger, cfg, parser, time(NULL) + (argc == 3 ? atol(argv[2]) : 0));
	printf("%d\n", handled);
out:
	if (parser)
		parser_free(parser);
	ledger_close(ledger);
	config_free(cfg);
	sb_free(&err);
	return handled < 0 ? 1 : 0;
}
