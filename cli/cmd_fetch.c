/*
 * NAME
 *	cmd_fetch - mailcert fetch: CA mail from the [imap NAME] mailboxes
 * SYNOPSIS
 *	int cmd_fetch(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	As the intake's user (the milter's), one pass over every [imap NAME]
 *	mailbox, or over --mailbox NAME (intake/imap_fetch.c), each message
 *	through the intake rules as the milter's, but believing only the
 *	topmost Authentication-Results field, and only of the mailbox's
 *	[imap] authserv_id (none without it): the mail never passed our
 *	Postfix and its header_checks rule; the installer and the
 *	approver are woken when it recorded something for them.  Exit 0
 *	when every pass went through, 1 when one failed (each failure said
 *	on stderr), 2 for a usage error.
 *
 *	--watch repeats each mailbox's pass every poll_interval seconds
 *	until SIGTERM or SIGINT; a failed pass is tried again at
 *	backoff_next_try() (FETCH_RETRY_BASE doubling, never later than the
 *	next poll).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "cli.h"
#include "imap_fetch.h"
#include "msg.h"
#include "reload.h"
#include "mymalloc.h"
#include "verify.h"

#define FETCH_RETRY_BASE	30	/* seconds after a first failure */

/* One mailbox: its parser (whose Authentication-Results count), when it
 * is due and how often it failed. */
struct due {
	const struct imap_config *box;
	struct parser *parser;
	long long next;
	int     failures;
};

static int one_pass(const struct due *d, struct fetch_env *env, const struct config *cfg)
{
	const struct imap_config *box = d->box;
	struct strbuf why = STRBUF_INIT;
	struct fetch_result r;
	int     rc;

	env->parser = d->parser;
	if ((rc = imap_fetch_pass(box, env, &r, &why)) < 0)
		msg_warn("%s", sb_str(&why));
	else if (r.fetched || r.too_big)
		msg_info("[imap %s] %zu message%s taken: %zu recorded, %zu taken before, %zu too large",
			 box->name, r.fetched, r.fetched == 1 ? "" : "s", r.recorded, r.known, r.too_big);
	if (r.install_request)
		cli_wake(cfg->wake_socket, "installer");
	if (r.wake_approver)
		cli_wake(cfg->approve_wake_socket, "approver");
	sb_free(&why);
	return rc;
}

static int watch(struct due *boxes, size_t n, struct fetch_env *env, const struct config *cfg)
{
	struct timespec wait;
	sigset_t set;
	long long now;
	long long next;
	int     sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		now = (long long) time(NULL);
		next = now + 3600;
		for (size_t i = 0; i < n; i++) {
			if (boxes[i].next <= now) {
				if (one_pass(&boxes[i], env, cfg) < 0) {
					boxes[i].failures++;
					boxes[i].next = backoff_next_try(now, boxes[i].failures, FETCH_RETRY_BASE);
					if (boxes[i].next > now + boxes[i].box->poll_interval)
						boxes[i].next = now + boxes[i].box->poll_interval;
				} else {
					boxes[i].failures = 0;
					boxes[i].next = now + boxes[i].box->poll_interval;
				}
			}
			if (boxes[i].next < next)
				next = boxes[i].next;
		}
		reload_if_asked("fetch");	/* one that came while a new image started */
		wait.tv_sec = next > now ? (time_t) (next - now) : 0;
		wait.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			msg_info("stopping on signal %d", sig);
			return 0;
		}
		if (sig == SIGHUP)
			reload_now("fetch");
	}
}

static void free_boxes(struct due *boxes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		parser_free(boxes[i].parser);
	free(boxes);
}

int cmd_fetch(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"watch", no_argument, NULL, 'w'},
		{"mailbox", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf err = STRBUF_INIT;
	struct fetch_env env;
	struct intake intake;
	struct due *boxes = NULL;
	const struct imap_config *box;
	const char *only = NULL;
	size_t  n = 0;
	int     watching = 0;
	int     failed = 0;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'w')
			watching = 1;
		else if (ch == 'm')
			only = optarg;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	cli->patient = watching;
	if (cli_open_ledger(cli) < 0)
		return 1;
	if (msg_open("mailcert-fetch", cli->cfg->log_to ? cli->cfg->log_to : MSG_TO_STDERR, &err) < 0)
		return cli_error("%s", sb_str(&err));
	for (box = cli->cfg->imaps; box; box = box->next)
		if (only == NULL || strcmp(only, box->name) == 0) {
			boxes = xrealloc(boxes, (n + 1) * sizeof(*boxes));
			boxes[n].box = box;
			boxes[n].parser = NULL;
			boxes[n].next = 0;
			boxes[n].failures = 0;
			n++;
		}
	if (n == 0) {
		free(boxes);
		return only ? cli_error("no [imap %s] in %s", only, cli->cfg->path)
		    : cli_error("no [imap NAME] section in %s: nothing to fetch", cli->cfg->path);
	}
	memset(&env, 0, sizeof(env));
	for (size_t i = 0; i < n && failed == 0; i++) {
		if ((boxes[i].parser = parser_new(cli->cfg, &err)) == NULL)
			failed = 1;
		else		/* fetched mail never passed our Postfix */
			parser_set_authres(boxes[i].parser, boxes[i].box->authserv_id, 1);
	}
	if (failed || (env.anchors = trust_store_load(cli->cfg->trust_store, &err)) == NULL) {
		cli_error("%s", sb_str(&err));
		free_boxes(boxes, n);
		sb_free(&err);
		return 1;
	}
	intake_init(&intake, cli->ledger);
	env.cfg = cli->cfg;
	env.ledger = cli->ledger;
	env.intake = &intake;
	if (watching) {
		reload_catch(cli->config_path, cli_reload_check);
		failed = watch(boxes, n, &env, cli->cfg) < 0;
	} else {
		for (size_t i = 0; i < n; i++)
			failed |= one_pass(&boxes[i], &env, cli->cfg) < 0;
	}
	intake_destroy(&intake);
	X509_STORE_free(env.anchors);
	free_boxes(boxes, n);
	sb_free(&err);
	return failed ? 1 : 0;
}
