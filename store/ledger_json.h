/*
 * ledger_json.h - the JSON forms of ledger records (ledger_json.c).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_LEDGER_JSON_H
#define MAILCERT_LEDGER_JSON_H

#include <jansson.h>

#include "ledger.h"

#define ORDER_EVENTS_SHOWN	1000	/* the newest events of one order in its JSON */

json_t *order_to_json(const struct order *order);
json_t *event_to_json(const struct event *event);
json_t *message_to_json(const struct message_record *msg);
/* The order's own, confirmed approval: the only one whose link and code
 * are shown anywhere. */
int approval_is_the_orders(const struct approval *a, const struct order *o);
json_t *approval_to_json(const struct approval *a, const struct order *o);
json_t *waiting_approval_to_json(const struct approval *a, const struct order *o);
/* A waiting_fn: the approval's JSON onto the array given as ctx. */
int waiting_approval_append(void *array, const struct approval *a, const struct order *o);
/* One order and what belongs to it. */
struct order_details {
	struct order order;
	struct approval approval;
	int     has_approval;
	struct cert_record cert;
	int     has_cert;
	struct install_job job;
	int     has_job;
	int     waits_for_installer;	/* no live installer serves its target */
};

/* 0, LEDGER_NOT_FOUND or -1; order_details_free() it either way. */
int order_details_load(struct ledger *ledger, long long id, struct order_details *d);
/* With its events; NULL when the ledger failed. */
json_t *order_details_json(struct ledger *ledger, const struct order_details *d);
void order_details_free(struct order_details *d);
/* "waits_for_installer" of an order in a listing. */
void order_json_waits(json_t *obj, const struct served_targets *s, const struct order *o);
/* One installer's heartbeat; its state: "live", "silent" or "stopped". */
json_t *installer_to_json(const struct installer_record *r, long long now);
const char *installer_state(const struct installer_record *r, long long now);
/* {"installers", "unserved_targets", "shared_targets"}; NULL: ledger error */
json_t *installers_report_json(struct ledger *ledger, long long now);
json_t *json_time(long long when);

#endif
