/*
 * NAME
 *	cmd_install - mailcert install, install-requests, expiring
 * SYNOPSIS
 *	int cmd_install(struct cli *cli, int argc, char **argv)
 *	int cmd_install_requests(struct cli *cli, int argc, char **argv)
 *	int cmd_expiring(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	install --pending takes the intake's new install requests and runs
 *	the due install jobs once (installer_loop.c): status 0 when every job
 *	run was installed (or there was none), 1 when one was not or the
 *	ledger failed; standard output says "N job(s) run, M not installed".
 *	install --watch is the installer daemon.  install --retry ID runs
 *	order ID's job now, one that waits for its next attempt or one that
 *	failed (one more attempt), under the same lock as the daemon's
 *	passes, and says what came of it: 0 installed, 1 not (with when the
 *	next attempt is, and which of how many).  A refused job (the
 *	certificate is wrong and stays so), a running or a done one is not
 *	run.  An order whose target is another host's is made due there.
 *	All three are root's, open only the order book, and log where [log]
 *	to says (stderr by default).
 *
 *	install-requests is the installer's helper: as [milter] user (SQLite;
 *	root's role with PostgreSQL) it marks taken the requests the book has
 *	answered and prints the untaken ones as JSON lines
 *	(install_requests.c).
 *
 *	expiring lists what expires within --days (default 30): every
 *	target's certificate as its files hold it, and every order's newest
 *	certificate (expiry.c), soonest first, with the days left; --json
 *	as a list.  It exits 0 when none expires within the days, 1 when
 *	some do, 2 when one has expired, as monitoring plugins do; 3 when it
 *	could not tell (a usage error too).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "install.h"
#include "json_text.h"
#include "msg.h"
#include "mymalloc.h"
#include "printable.h"
#include "reload.h"

#define EXPIRING_DAYS	30
#define EXIT_UNKNOWN	3

static int open_installer_log(struct cli *cli, int daemon)
{
	struct strbuf why = STRBUF_INIT;
	const char *dest = cli->cfg->log_to ? cli->cfg->log_to : daemon ? MSG_TO_STDERR : NULL;
	int     rc = 0;

	if (dest && msg_open("mailcert-installer", dest, &why) < 0)
		rc = cli_error("%s", sb_str(&why));
	sb_free(&why);
	return rc;
}

#define SHOWN_ERROR_MAX	512	/* bytes of a job's last error shown */

/* shown - text of the book made printable for the terminal, "-" for none */

static const char *shown(const char *text, char *buf, size_t size)
{
	printable_buf(buf, size, text ? text : "-", PRINTABLE_ASCII | PRINTABLE_SPACES);
	return buf;
}

/* retry_outcome - what install --retry's attempt came to */

static int retry_outcome(struct cli *cli, const struct order *order, long long job_id)
{
	struct install_job job;
	char    error[SHOWN_ERROR_MAX];
	char    when[32];
	int     rc;

	if (book_install_get(cli->ledger, job_id, &job) != 0)
		return cli_error("order %lld: cannot read job %lld: %s", order->id, job_id,
				 ledger_error(cli->ledger));
	if (job.state == INSTALL_JOB_DONE) {
		printf("order %lld: installed into target %s\n", order->id, order->target);
		rc = 0;
	} else if (job.state == INSTALL_JOB_PENDING) {
		rc = cli_error("order %lld: attempt %d failed: %s; retrying at %s (attempt %d of %d)", order->id,
			       job.attempts, shown(job.last_error, error, sizeof(error)),
			       cli_time(job.next_try, when, sizeof(when)), job.attempts + 1,
			       cli->cfg->install_max_attempts);
	} else {
		rc = cli_error("order %lld: attempt %d %s: %s", order->id, job.attempts,
			       job.state == INSTALL_JOB_REFUSED ? "refused" : "failed, no attempt left",
			       shown(job.last_error, error, sizeof(error)));
	}
	install_job_clear(&job);
	return rc;
}

/* retry_job - install --retry ID */

static int retry_job(struct cli *cli, const struct order *order, const struct install_job *job)
{
	struct strbuf why = STRBUF_INIT;
	char    text[SHOWN_ERROR_MAX];
	long long next = 0;
	int     lock;
	int     rc;

	if (job->state == INSTALL_JOB_DONE)
		return cli_error("order %lld: job %lld installed its certificate already", order->id, job->id);
	if (job->state == INSTALL_JOB_REFUSED)
		return cli_error("order %lld: job %lld was refused (%s): that certificate is not tried again; "
				 "a new certificate mail makes a new job", order->id, job->id,
				 shown(job->last_error, text, sizeof(text)));
	if (job->state == INSTALL_JOB_RUNNING)
		return cli_error("order %lld: job %lld is running now (%s)", order->id, job->id,
				 shown(job->claimed_by, text, sizeof(text)));
	if (book_install_retry_now(cli->ledger, job->id, (long long) time(NULL)) != 0
	    || book_add_event(cli->ledger, order->id, "install_retry", "job %lld: due now (mailcert install "
			      "--retry)", job->id) < 0)
		return cli_error("order %lld: %s", order->id, ledger_error(cli->ledger));
	if (config_find_target(cli->cfg, order->target) == NULL) {
		printf("order %lld: job %lld is due now; target %s is not in %s: its own host's installer "
		       "runs it\n", order->id, job->id, order->target, cli->cfg->path);
		return 0;
	}
	if ((lock = install_lock_take(cli->cfg, 1, &why)) < 0) {
		rc = cli_error("%s", sb_str(&why));
		sb_free(&why);
		return rc;
	}
	rc = install_job_run(cli->ledger, cli->cfg, job->id, time(NULL), &next);
	install_lock_release(lock);
	if (rc < 0)
		return cli_error("order %lld: job %lld: %s", order->id, job->id, ledger_error(cli->ledger));
	if (rc == INSTALL_NOT_CLAIMED)
		return cli_error("order %lld: job %lld was taken by another installer meanwhile", order->id,
				 job->id);
	return retry_outcome(cli, order, job->id);
}

static int retry_order(struct cli *cli, const char *arg)
{
	struct install_job job;
	struct order order;
	long long id = cli_parse_id(arg);
	int     rc;

	if (id < 0)
		return cli_usage_error(cli, "\"%s\" is not an order id", arg);
	if ((rc = book_get_order(cli->ledger, id, &order)) != 0)
		return rc == LEDGER_NOT_FOUND ? cli_error("no order %lld", id)
		    : cli_error("order %lld: %s", id, ledger_error(cli->ledger));
	if ((rc = book_install_latest(cli->ledger, id, &job)) != 0) {
		rc = rc == LEDGER_NOT_FOUND ? cli_error("order %lld has no install job: no certificate of it "
							"has been recorded", id)
		    : cli_error("order %lld: %s", id, ledger_error(cli->ledger));
	} else {
		rc = retry_job(cli, &order, &job);
		install_job_clear(&job);
	}
	order_clear(&order);
	return rc;
}

int cmd_install(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"pending", no_argument, NULL, 'p'},
		{"watch", no_argument, NULL, 'w'},
		{"retry", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *retry = NULL;
	int     pending = 0;
	int     watch = 0;
	int     failed = 0;
	int     ran = 0;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'p')
			pending = 1;
		else if (ch == 'w')
			watch = 1;
		else if (ch == 'r')
			retry = optarg;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc || pending + watch + (retry != NULL) != 1)
		return cli_usage_error(cli, "give exactly one of --pending, --watch and --retry ID");
	cli->patient = watch;
	if (cli_open_ledger(cli) < 0 || open_installer_log(cli, watch) != 0)
		return 1;
	if (retry)
		return retry_order(cli, retry);
	if (watch) {
		reload_catch(cli->config_path, cli_reload_check);
		return install_watch(cli->ledger, cli->cfg, cli->self);
	}
	if (install_pending(cli->ledger, cli->cfg, cli->self, &ran, &failed) < 0)
		return 1;
	printf("%d job(s) run, %d not installed\n", ran, failed);
	return failed ? 1 : 0;
}

int cmd_install_requests(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"max", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long max = INSTALL_REQUESTS_BATCH;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'm' && (max = cli_parse_id(optarg)) < 0)
			return cli_usage_error(cli, "--max %s: not a positive number", optarg);
		else if (ch != 'm' && cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
	/* SQLite: the intake's file, as its user; PostgreSQL: root's role,
	 * the one that may mark requests taken (and a web host has no milter
	 * user) */
	if (cli_load_config(cli) < 0)
		return 1;
	if (cli->cfg->ledger_url)
		cli->role = CLI_BOOK;
	if (cli_open_ledger_as(cli, LEDGER_ROLE_INTAKE) < 0)
		return 1;
	return install_requests_export(cli->ledger, (size_t) max) < 0 ? 1 : 0;
}

/* expiring ------------------------------------------------------------------ */

struct soon {
	long long order_id;
	char   *target;
	char    sha256[65];
	char   *names;
	char   *source;
	long long not_after;
	long long days_left;
	char   *contact;
};

struct soon_list {
	struct soon *items;
	size_t  count;
	long long within;
};

static int collect_soon(void *ctx, const struct expiry_item *item)
{
	struct soon_list *l = ctx;
	struct soon *s;

	if (item->days_left > l->within)
		return 0;
	l->items = xrealloc(l->items, (l->count + 1) * sizeof(*l->items));
	s = &l->items[l->count++];
	s->order_id = item->order_id;
	s->target = item->target ? xstrdup(item->target) : NULL;
	memcpy(s->sha256, item->sha256, sizeof(s->sha256));
	s->names = xstrdup(item->names);
	s->source = xstrdup(item->source);
	s->not_after = item->not_after;
	s->days_left = item->days_left;
	s->contact = xstrdup(item->contact);
	return 0;
}

static int soonest_first(const void *a, const void *b)
{
	const struct soon *x = a;
	const struct soon *y = b;

	return x->not_after < y->not_after ? -1 : x->not_after > y->not_after;
}

static json_t *soon_to_json(const struct soon *s)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "order_id", s->order_id ? json_integer(s->order_id) : json_null());
	json_object_set_new(obj, "target", json_text(s->target));
	json_object_set_new(obj, "source", json_text(s->source));
	json_object_set_new(obj, "names", json_text(s->names));
	json_object_set_new(obj, "sha256", json_text(s->sha256));
	json_object_set_new(obj, "not_after", json_time(s->not_after));
	json_object_set_new(obj, "days_left", json_integer(s->days_left));
	json_object_set_new(obj, "contact", json_text(s->contact));
	return obj;
}

int cmd_expiring(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"days", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct soon_list l = {NULL, 0, EXPIRING_DAYS};
	json_t *array;
	char    when[32];
	int     json = 0;
	int     worst = 0;
	int     ch;
	int     rc;
	size_t  i;

	/* A usage error is 3 (UNKNOWN) here: 2 means a certificate expired. */
	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'd' && (l.within = cli_parse_number(optarg, 0)) < 0) {
			cli_usage_error(cli, "--days %s: not a number of days", optarg);
			return EXIT_UNKNOWN;
		} else if (ch == 'j') {
			json = 1;
		} else if (ch != 'd' && cli_common_option(cli, ch, &rc)) {
			return rc == 0 ? 0 : EXIT_UNKNOWN;
		}
	}
	if (optind != argc) {
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
		return EXIT_UNKNOWN;
	}
	if (cli_open_ledger(cli) < 0)
		return EXIT_UNKNOWN;
	if (expiry_each(cli->ledger, cli->cfg, time(NULL), collect_soon, &l) < 0) {
		cli_error("%s", ledger_error(cli->ledger));
		return EXIT_UNKNOWN;
	}
	qsort(l.items, l.count, sizeof(*l.items), soonest_first);
	array = json ? json_array() : NULL;
	if (!json)
		printf("%-6s %-10s %-22s %-30s %s\n", "LEFT", "ORDER", "EXPIRES", "NAMES", "WHERE");
	for (i = 0; i < l.count; i++) {
		struct soon *s = &l.items[i];
		char    order[24];

		worst = s->days_left < 0 ? 2 : worst > 1 ? worst : 1;
		if (s->order_id)
			snprintf(order, sizeof(order), "%lld", s->order_id);
		else
			snprintf(order, sizeof(order), "-");
		if (json)
			json_array_append_new(array, soon_to_json(s));
		else
			cli_printf("%-6lld %-10s %-22s %-30s %s\n", s->days_left, order,
				   cli_time(s->not_after, when, sizeof(when)), s->names, s->source);
		free(s->target);
		free(s->names);
		free(s->source);
		free(s->contact);
	}
	free(l.items);
	if (json)
		cli_print_json(array);
	return worst;
}
