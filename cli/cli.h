/*
 * cli.h - what the commands of mailcert(1) share.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CLI_H
#define MAILCERT_CLI_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "ledger.h"
#include "ledger_json.h"

/* Exit codes: 0 fine, 1 the thing asked for failed, 2 usage. */
#define EXIT_USAGE	2

/* Who a command runs as, and what of the ledger it opens (main.c). */
enum cli_role {
	CLI_NONE = 0,			/* no ledger (parse, check-config) */
	CLI_BOOK,			/* root's: the order book read-write */
	CLI_READER,			/* as [milter] user: both read-only */
	CLI_INTAKE,			/* as [milter] user: the intake's ledger */
	CLI_WEB,			/* as [web] user: both read-only */
	CLI_APPROVER,			/* as [approve] user: the intake's ledger */
};

/* One invocation of the command: its global options and what it opened. */
struct cli {
	const char *config_path;
	int     config_given;		/* -c was used */
	struct config *cfg;		/* loaded on demand */
	struct ledger *ledger;		/* opened on demand, for the role */
	enum cli_role role;
	const char *self;		/* this program, as an absolute path */
	const struct cli_command *cmd;	/* the command being run */
	int     patient;		/* a daemon: wait for a database that is away
					 * (ledger_open_patiently) */
};

struct cli_command {
	const char *name;
	const char *sub;		/* second word ("add" of "order add"), or NULL */
	int     (*run) (struct cli *cli, int argc, char **argv);
	enum cli_role role;
	const char *usage;		/* after "mailcert " */
	const char *help;		/* what it does, one line */
};

/* A configuration a daemon may start again with on SIGHUP (reload.h):
 * it loads and its CA profiles compile. */
int cli_reload_check(const char *config_path, struct strbuf *why);
/* Load the configuration; on error print it and return -1. */
int cli_load_config(struct cli *cli);
/* Load the configuration, become the role's user, open the ledger. */
int cli_open_ledger(struct cli *cli);
/* The same, with the ledger opened in role. */
int cli_open_ledger_as(struct cli *cli, enum ledger_role role);

/* Print "mailcert: what" to stderr; returns 1 (the exit code). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "mailcert CMD: what" and the usage on stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The command's usage and help on out. */
void cli_print_usage(const struct cli_command *cmd, FILE *out);
/* Options every command takes (--help); returns 1 when it was handled. */
int cli_common_option(const struct cli *cli, int ch, int *rc);

/* Parse a positive order id; -1 when it is not one. */
long long cli_parse_id(const char *text);
/* Parse a whole number of at least min; -1 when it is not one. */
long long cli_parse_number(const char *text, long long min);
/* "2026-11-28T12:00:00Z"; buf of at least 32 bytes; "-" for 0. */
const char *cli_time(long long when, char *buf, size_t len);
/* Who runs the command, for events ("alice via sudo as root"). */
const char *cli_who(void);
/* Print text from the ledger or a mail for a terminal: escaped. */
void cli_put(FILE *out, const char *text);
/* printf() whose %s arguments came from a mail: every string escaped. */
void cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON value to stdout with a newline; 0 or 1. */
int cli_print_json(json_t *value);
/* Wake a daemon (approver, installer) after a change; quiet when absent. */
void cli_wake(const char *path, const char *whom);
/* As root, become the command's role user for good (parse: the milter's). */
int cli_become_role_user(struct cli *cli);

/* The commands (cmd_*.c). */
int cmd_order_add(struct cli *cli, int argc, char **argv);
int cmd_order_new(struct cli *cli, int argc, char **argv);
int cmd_order_set(struct cli *cli, int argc, char **argv);
int cmd_order_cancel(struct cli *cli, int argc, char **argv);
int cmd_order_renew(struct cli *cli, int argc, char **argv);
int cmd_order_import(struct cli *cli, int argc, char **argv);
int cmd_install(struct cli *cli, int argc, char **argv);
int cmd_install_requests(struct cli *cli, int argc, char **argv);
int cmd_expiring(struct cli *cli, int argc, char **argv);
int cmd_orders(struct cli *cli, int argc, char **argv);
int cmd_installers(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_ledger_init(struct cli *cli, int argc, char **argv);
int cmd_ledger_copy(struct cli *cli, int argc, char **argv);
int cmd_ledger(struct cli *cli, int argc, char **argv);
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_parse(struct cli *cli, int argc, char **argv);
int cmd_approvals(struct cli *cli, int argc, char **argv);
int cmd_approve(struct cli *cli, int argc, char **argv);
int cmd_approver(struct cli *cli, int argc, char **argv);
int cmd_deliver(struct cli *cli, int argc, char **argv);
int cmd_fetch(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);



#endif
