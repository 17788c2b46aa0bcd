/*
 * order_args.h - what the order commands share: their options, their
 * checks, and the recording of an order (order_args.c).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_ORDER_ARGS_H
#define MAILCERT_ORDER_ARGS_H

#include "cli.h"

#define MAX_ALT_NAMES	100
#define CA_ORDER_MAX	64		/* bytes of a CA order number */

struct order_args {
	const char *domain;
	struct strlist alt_names;
	const char *ca;
	const char *ca_order;
	const char *approver;
	const char *key;		/* order add: an existing key */
	const char *key_type;		/* order new, renew: what to generate */
	const char *target;
	const char *contact;
	const char *approve_mode;
	const char *reason;		/* order cancel */
	int     replace;		/* take the target from its open orders */
	int     reuse_key;		/* order renew */
	long long id;			/* set, cancel, renew: the order */
};

/* The options of the order commands; 0, or -1 to stop with *exit_code
 * (a usage error, or --help). */
int order_args_parse(struct cli *cli, int argc, char **argv, struct order_args *args,
		     int with_id, int *exit_code);

/* A missing required option, named ("--domain is required"); or 0. */
int order_args_require(struct cli *cli, const struct order_args *args, const char *required);

/* The checks of a new order; 0, or 1 with the reason printed. */
int order_args_check(struct cli *cli, const struct order_args *args);
int order_check_ca_order(const char *ca_order);
int order_check_mode(const char *mode);

/* Refuse a target that open orders use, or (replace) cancel them once
 * the new order id is known; 0 or 1 (printed). */
int order_target_free(struct cli *cli, const char *target, long long except, int replace,
		      struct order **others, size_t *count);
int order_target_take(struct cli *cli, long long id, struct order *others, size_t count);

/* Record the order whose public key hashes to key_sha256; 0 with *id,
 * or 1 with the reason printed. */
int order_args_record(struct cli *cli, const struct order_args *args, const char *key_sha256,
		      const char *key_origin, long long predecessor, long long *id);

/* The CA must be one of the loaded profiles; 1 when it is (else printed). */
int order_known_ca(const struct config *cfg, const char *ca);

void order_args_free(struct order_args *args);

#endif
