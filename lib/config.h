/*
 * config.h - the loaded configuration of mailcert (mailcert.conf(5)).
 *
 * One INI file, read with libinih.  The structure is built whole by
 * config_load() and never changed afterwards; a reload builds a new one.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CONFIG_H
#define MAILCERT_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"
#include "strlist.h"

#define MAILCERT_DEFAULT_CONFIG	"/etc/mailcert/mailcert.conf"

struct target_config {
	char   *name;
	char   *cert;			/* leaf only */
	char   *chain;			/* intermediates only */
	char   *fullchain;		/* leaf + intermediates */
	char   *key;			/* the private key */
	char   *combined;		/* key + fullchain, for haproxy */
	char   *owner;
	char   *group;
	struct strlist test_command;	/* argument vector, may be empty */
	struct strlist reload_command;	/* argument vector, may be empty */
	char   *run_as;			/* the user the commands run as, NULL: root */
	int     line;			/* where the section starts */
	struct target_config *next;
};

/* [imap NAME]: a mailbox mailcert fetch reads (mailcert(1), fetch). */
struct imap_config {
	char   *name;
	char   *url;			/* imaps://host[:port]/MAILBOX */
	char   *user;
	char   *authserv_id;		/* the provider's verifier; NULL: none believed */
	char   *password_file;
	int     poll_interval;
	char   *after;			/* seen | move:FOLDER | delete */
	char   *ca_file;		/* NULL: the system's roots */
	int     allow_plaintext;
	int     line;
	struct imap_config *next;
};

struct config {
	char   *path;

	/* [log] */
	char   *log_to;			/* syslog, stderr or a file; NULL: the program's choice */

	/* [milter]: the intake (milter, deliver, fetch) */
	char   *milter_socket;
	char   *milter_socket_group;	/* NULL: the user's group */
	char   *milter_user;
	size_t  max_message_size;
	size_t  memory_size;		/* bytes of a message kept in memory */
	char   *spool_dir;		/* where larger ones are spooled */
	int     max_parsers;		/* 0: twice the CPUs */
	int     parse_wait;		/* seconds a message waits for a parser */
	struct strlist watch_local_parts;
	struct strlist watch_addresses;
	char   *authserv_id;
	int     require_dkim;
	char   *on_error;		/* what to do with mail on internal error */

	/* [ledger] */
	char   *ledger_path;		/* the intake's ledger (SQLite) */
	char   *orders_path;		/* the order book, root's (SQLite) */
	char   *ledger_url;		/* postgresql://..., instead of both */
	int     busy_timeout_ms;

	/* [ca] */
	char   *trust_store;		/* a file or a directory of CA certs */
	char   *profiles_dir;		/* extra/overriding profiles, may be NULL */

	/* [notify] */
	char   *notify_sendmail;
	char   *notify_smtp;		/* smtp://HOST[:PORT]: used instead of sendmail */
	char   *notify_from;
	char   *notify_operator;	/* failures, targets without an order */

	/* [approve]: the approver */
	char   *approve_user;
	char   *approve_wake_socket;
	char   *approve_mode;		/* notify | auto | manual */
	char   *approve_trust_store;	/* CA site's TLS roots; NULL: system */
	int     approve_timeout;
	int     approve_max_attempts;
	size_t  approve_max_response;
	int     approve_retry_base;	/* seconds; doubles per attempt */
	int     approve_poll_interval;

	/* [installer] */
	char   *key_dir;
	char   *state_dir;		/* root's: backups, lock */
	char   *wake_socket;		/* the installer's wake-up datagram socket */
	int     command_timeout;
	int     install_max_attempts;
	int     install_retry_base;	/* seconds; doubles per attempt */
	int     poll_interval;
	int     install_lease;		/* seconds a claimed job stays claimed */

	/* [expiry] */
	struct strlist warn_days;	/* numbers of days, checked at load */
	int     expiry_interval;	/* seconds between two looks */

	/* [web] */
	char   *web_listen;		/* host:port or unix:/path */
	char   *web_user;
	char   *web_password_file;

	struct target_config *targets;
	struct target_config **target_index;	/* sorted by name, for lookups */
	size_t  target_count;
	struct imap_config *imaps;
};

/* Load FILE; on error returns -1 with "FILE:LINE: what is wrong" in err. */
int config_load(const char *path, struct config **out, struct strbuf *err);

/* Defaults only, as if from an empty file (used by tests and parse). */
struct config *config_defaults(void);

void config_free(struct config *cfg);

const struct target_config *config_find_target(const struct config *cfg, const char *name);
const struct imap_config *config_find_imap(const struct config *cfg, const char *name);

/* The [expiry] warn_days, largest first; count returned (at most max). */
size_t config_warn_days(const struct config *cfg, int *days, size_t max);

/* Split a command line on white space into an argument vector; "..." and
 * '...' group words.  No shell is involved.  Returns -1 on bad quoting. */
int config_split_command(const char *line, struct strlist *argv);

/* Where mail goes: [notify] smtp when set, else [notify] sendmail. */
const char *config_mail_route(const struct config *cfg);

#endif
