/*
 * config.h - the loaded configuration of mailcert (mailcert.conf(5)).
 *
 * One INI file, read with libinih.  The structure is built whole by
 * config_load() and never changed afterwards; a reload builds a new one.
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
	int     line;			/* where the section starts */
	struct target_config *next;
};

struct config {
	char   *path;

	/* [milter] */
	char   *milter_socket;
	char   *milter_user;
	size_t  max_message_size;
	struct strlist watch_local_parts;
	struct strlist watch_addresses;
	char   *authserv_id;
	int     require_dkim;
	char   *on_error;		/* what to do with mail on internal error */

	/* [ledger] */
	char   *ledger_path;
	int     busy_timeout_ms;

	/* [ca] */
	char   *trust_store;		/* a file or a directory of CA certs */
	char   *profiles_dir;		/* extra/overriding profiles, may be NULL */

	/* [notify] */
	char   *notify_sendmail;
	char   *notify_from;

	/* [approve] */
	char   *approve_mode;		/* notify | auto | manual */
	char   *approve_trust_store;	/* CA site's TLS roots; NULL: system */
	int     approve_timeout;
	int     approve_max_attempts;
	size_t  approve_max_response;
	int     approve_retry_base;	/* seconds; doubles per attempt */

	/* [installer] */
	char   *key_dir;
	char   *backup_dir;
	char   *wake_socket;		/* the installer's wake-up datagram socket */
	int     command_timeout;
	int     install_max_attempts;
	int     install_retry_base;	/* seconds; doubles per attempt */
	int     poll_interval;

	struct target_config *targets;
};

/* Load FILE; on error returns -1 with "FILE:LINE: what is wrong" in err. */
int config_load(const char *path, struct config **out, struct strbuf *err);

/* Defaults only, as if from an empty file (used by tests and parse). */
struct config *config_defaults(void);

void config_free(struct config *cfg);

const struct target_config *config_find_target(const struct config *cfg, const char *name);

/* Split a command line on white space into an argument vector; "..." and
 * '...' group words.  No shell is involved.  Returns -1 on bad quoting. */
int config_split_command(const char *line, struct strlist *argv);

#endif
