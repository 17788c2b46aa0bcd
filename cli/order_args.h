/*
 * order_args.h - the options "order add" and "order new" share, their
 * checks and the recording of the order (order_args.c).
 */
#ifndef MAILCERT_ORDER_ARGS_H
#define MAILCERT_ORDER_ARGS_H

#include "cli.h"

#define MAX_ALT_NAMES 100

struct order_args {
	const char *domain;
	struct strlist alt_names;
	const char *ca;
	const char *ca_order;
	const char *approver;
	const char *key;		/* order add: an existing key */
	const char *key_type;		/* order new: what to generate */
	const char *target;
	const char *contact;
	const char *approve_mode;
};

/* Every option of both commands; -1 on an unknown option or an operand. */
int order_args_parse(int argc, char **argv, struct order_args *args);

/* The checks of both commands; 0, or 1 with the reason printed. */
int order_args_check(struct cli *cli, const struct order_args *args);

/* Record the order for the key at key_path (absolute) whose public key
 * hashes to key_sha256; 0 with *id, or 1 with the reason printed. */
int order_args_record(struct cli *cli, const struct order_args *args, const char *key_path,
		      const char *key_sha256, long long *id);

void order_args_free(struct order_args *args);

#endif
