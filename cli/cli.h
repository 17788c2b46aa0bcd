/*
 * cli.h - what the sub-commands of mailcert(1) share.
 */
#ifndef MAILCERT_CLI_H
#define MAILCERT_CLI_H

#include <time.h>

#include <jansson.h>

#include "config.h"
#include "ledger.h"

/* One invocation of the command: its global options and what it opened. */
struct cli {
	const char *config_path;
	int     config_given;		/* -c was used */
	struct config *cfg;		/* loaded on demand */
	struct ledger *ledger;		/* opened on demand */
	const char *prog;
};

/* Exit codes: 0 fine, 1 the thing asked for failed, 2 usage. */
#define EXIT_USAGE 2

struct cli_command {
	const char *name;
	const char *sub;		/* second word ("add" of "order add"), or NULL */
	int     (*run) (struct cli *cli, int argc, char **argv);
	const char *usage;
};

/* Load the configuration; on error print it and return -1. */
int cli_load_config(struct cli *cli);

/* Load the configuration and open the ledger; on error print, return -1. */
int cli_open_ledger(struct cli *cli);

/* Print "mailcert: what" to stderr; returns 1 (the exit code). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage of one command to stderr; returns EXIT_USAGE. */
int cli_usage(const struct cli_command *cmd);
const struct cli_command *cli_find_command(const char *name, const char *sub);

/* Parse a positive order id; -1 when it is not one. */
long long cli_parse_id(const char *text);

/* "2026-11-28T12:00:00Z"; buf of at least 32 bytes; "-" for 0. */
const char *cli_time(long long when, char *buf, size_t len);

/* Print a JSON value to stdout with a newline; 0 or 1. */
int cli_print_json(json_t *value);

/* The sub-commands. */
int cmd_order_add(struct cli *cli, int argc, char **argv);
int cmd_order_new(struct cli *cli, int argc, char **argv);
int cmd_install(struct cli *cli, int argc, char **argv);
int cmd_orders(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_ledger(struct cli *cli, int argc, char **argv);
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_parse(struct cli *cli, int argc, char **argv);
int cmd_approvals(struct cli *cli, int argc, char **argv);
int cmd_approve(struct cli *cli, int argc, char **argv);

/* JSON forms of ledger records (json_out.c). */
json_t *order_to_json(const struct order *order);
json_t *event_to_json(const struct event *event);
json_t *json_string_or_null(const char *text);
json_t *json_time(long long when);

#endif
