/*
 * milter.h - what the files of mailcert-milter share.
 *
 * settings.c	the loaded configuration and compiled profiles, swapped
 *		whole on SIGHUP and freed when no message uses them
 * watch.c	which recipients are watched, from the open orders
 * record.c	one message into the ledger, in one transaction
 * wake.c	one datagram to the installer
 * callbacks.c	the libmilter callbacks
 * main.c	options, privileges, signals
 */
#ifndef MAILCERT_MILTER_H
#define MAILCERT_MILTER_H

#include <pthread.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "config.h"
#include "ledger.h"

#include "parser.h"
#include "strbuf.h"

/* Limits of the milter, in one place. */
#define MILTER_BUSY_TIMEOUT_MAX	2000	/* ms a message may wait for the ledger */
#define MILTER_HEADER_MAX	200	/* characters of the X-Mailcert value */
#define MILTER_RCPTS_RECORDED	20	/* watched recipients kept per message */
#define MILTER_QUEUE_ID_MAX	64	/* bytes of a queue id */
#define MILTER_MATCHES_MAX	8	/* orders one message may match */
#define MILTER_HEADER_NAME	"X-Mailcert"
#define MILTER_MALLOC_ARENAS	2	/* glibc arenas for all threads */

/* settings.c */
struct settings {
	struct config *cfg;
	struct parser *parser;
	X509_STORE *trust_anchors;	/* [ca] trust_store, loaded once */
	int     refs;			/* users; the current one holds one */
};

struct settings *settings_load(const char *path, struct strbuf *err);
void settings_install(struct settings *settings);
struct settings *settings_acquire(void);
void settings_release(struct settings *settings);
void settings_shutdown(void);

/* The one ledger connection, shared by the threads under its lock. */
struct milter_ledger {
	struct ledger *ledger;
	pthread_mutex_t lock;
};

/* watch.c */
struct watch;

struct watch *watch_create(void);
void watch_free(struct watch *watch);
void watch_refresh(struct watch *watch, struct milter_ledger *ml);
void watch_invalidate(struct watch *watch);
int watch_recipient(struct watch *watch, const struct config *cfg, const char *rcpt);
size_t watch_domain_count(struct watch *watch);

/* record.c */
struct mail_facts {
	const char *queue_id;
	const char *sender;
	const char *rcpts;		/* the watched recipients, comma separated */
	const char *message_id;		/* from the header, may be NULL */
	const char *subject;		/* from the header, may be NULL */
	const char *too_big;		/* the limit that stopped buffering, or NULL */
};

int record_mail(struct milter_ledger *ml, struct watch *watch, const struct settings *settings,
		const struct mail_facts *facts, const struct verdict *verdict,
		struct strbuf *what, long long *job_id);
void header_safe_text(const char *text, char *out, size_t len);

/* wake.c */
void wake_installer(const char *socket_path, const char *queue_id);

/* callbacks.c */
extern struct smfiDesc mailcert_filter;
void callbacks_init(struct milter_ledger *ml, struct watch *watch);

#endif
