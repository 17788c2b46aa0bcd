/*
 * milter.h - what the files of mailcert-milter share.
 *
 * settings.c	the loaded configuration, compiled profiles and trust
 *		anchors, swapped whole on SIGHUP, freed when no message uses them
 * watch.c	which recipients are watched: a set kept in memory, rebuilt
 *		by a thread of its own and swapped in whole
 * slots.c	at most [milter] max_parsers messages parsed at once, niced
 * callbacks.c	the libmilter callbacks
 * main.c	options, socket, privileges, signals
 *
 * The rules that turn what the parser found into ledger changes are not
 * the milter's: they are the intake module's (intake/), shared with
 * mailcert deliver and mailcert fetch.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_MILTER_H
#define MAILCERT_MILTER_H

#include <pthread.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "config.h"
#include "intake.h"
#include "ledger.h"
#include "parser.h"
#include "strbuf.h"

/* Limits of the milter, in one place. */
#define MILTER_BUSY_TIMEOUT_MAX	2000	/* ms a message may wait for the ledger */
#define MILTER_RCPTS_RECORDED	20	/* watched recipients kept per message */
#define MILTER_QUEUE_ID_MAX	64	/* bytes of a queue id */
#define MILTER_HEADER_NAME	"X-Mailcert"
#define MILTER_MAX_HEADERS	1000	/* header fields kept of a watched message
					 * (CA mail has some tens); past them it is
					 * delivered unparsed, the rest skipped */
#define MILTER_MALLOC_ARENAS	2	/* glibc arenas for all threads */
#define MILTER_WATCH_PERIOD_MS	1000	/* the watch thread looks this often */

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

/* watch.c */
struct watch;

struct watch *watch_start(const struct ledger_location *where, struct strbuf *err);
void watch_stop(struct watch *watch);
/* Look again now (this process changed an order). */
void watch_invalidate(struct watch *watch);
int watch_recipient(struct watch *watch, const struct config *cfg, const char *rcpt);
size_t watch_domain_count(struct watch *watch);

/* slots.c */
void slots_init(int max_parsers);
/* fn(arg) on a parser thread: 0 when it ran, -1 when no parser thread
 * came free within wait_seconds */
int slot_run(int wait_seconds, void (*fn) (void *), void *arg);
int slots_max(void);

/* callbacks.c */
extern struct smfiDesc mailcert_filter;
void callbacks_init(struct intake *intake, struct watch *watch, int spool_dirfd);

#endif
