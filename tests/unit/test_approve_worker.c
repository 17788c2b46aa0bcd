/*
 * test_approve_worker - the approval worker's policy (approve_worker.c):
 * which mode applies, and when a failed attempt is tried again.
 */
#include <string.h>

#include "approve.h"
#include "backoff.h"
#include "check.h"

static void test_mode(struct config *cfg)
{
	struct approve_action action;
	struct order order;

	memset(&action, 0, sizeof(action));
	memset(&order, 0, sizeof(order));
	check_str(approval_mode_for(&order, &action, cfg), "notify", "mode: [approve] mode by default");
	action.mode = "manual";
	check_str(approval_mode_for(&order, &action, cfg), "manual", "mode: the profile overrides [approve]");
	order.approve_mode = (char *) "auto";
	check_str(approval_mode_for(&order, &action, cfg), "auto", "mode: the order overrides the profile");
	check_str(approval_mode_for(&order, NULL, cfg), "auto", "mode: the order without a profile");
}

static void test_backoff(void)
{
	check_int(backoff_next_try(1000, 1, 60), 1060, "backoff: first retry after retry_base");
	check_int(backoff_next_try(1000, 2, 60), 1120, "backoff: doubled");
	check_int(backoff_next_try(1000, 4, 60), 1480, "backoff: doubled again");
	check_int(backoff_next_try(1000, 40, 60), 1000 + 86400, "backoff: at most a day");
	check_int(backoff_next_try(1000, 0, 0), 1060, "backoff: no base means 60 s");
}

int main(void)
{
	struct config *cfg = config_defaults();

	test_mode(cfg);
	test_backoff();
	config_free(cfg);
	return check_done();
}
