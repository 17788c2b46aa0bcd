/*
 * NAME
 *	book_installers - which installers serve the book, and which targets
 * SYNOPSIS
 *	int book_installer_beat(ledger, const struct installer_record *r,
 *				const struct strlist *targets)
 *	int book_installer_stopped(ledger, const char *name, long long now)
 *	int book_each_installer(ledger, installer_fn fn, void *ctx)
 *	int book_live_targets(ledger, long long now, struct strlist *targets)
 *	int installer_is_live(const struct installer_record *r, long long now)
 *	void installer_record_clear(struct installer_record *r)
 *
 *	int served_targets_load(ledger, long long now, struct served_targets *s)
 *	int order_waits_for_installer(const struct served_targets *s,
 *				      const struct order *o)
 *	void served_targets_free(struct served_targets *s)
 *	int book_each_target_in_use(ledger, target_use_fn fn, void *ctx)
 * DESCRIPTION
 *	Each installer (one per web host, or several) records a heartbeat
 *	on every pass: its name (host and configuration), host, version, the
 *	targets its configuration names, its key directory, how often it
 *	passes at the least ([installer] poll_interval), when it started and
 *	its last pass; book_installer_stopped() marks one that stopped.  The targets are also rows of their own
 *	(book.installer_targets), which the installer's choice of due jobs
 *	joins: an installer takes only the jobs of its own targets
 *	(book_installs.c).
 *
 *	An installer is live when it has not stopped and its last pass is
 *	no older than twice its poll interval and INSTALLER_GRACE seconds
 *	(installer_is_live(); the same rule in SQL in book_live_targets()).
 *	book_each_installer() lists them, newest pass first;
 *	book_live_targets() the targets of the live ones: an open order whose
 *	target none of them serves will not be installed.
 *
 *	served_targets_load() reads them once for a listing;
 *	order_waits_for_installer() then tells whether an order that needs an
 *	installer (open: to install it; installed: to watch its expiry) has
 *	no live one for its target.  book_each_target_in_use() gives each
 *	target of open or installed orders with their count and the first
 *	one's id (an index range per target, not a pass over every order).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

void installer_record_clear(struct installer_record *r)
{
	free(r->name);
	free(r->host);
	free(r->version);
	free(r->targets);
	free(r->key_dir);
	memset(r, 0, sizeof(*r));
}

static int replace_targets(struct ledger *ledger, const char *name, const struct strlist *targets)
{
	struct db_stmt *st;
	size_t  i;
	int     rc;

	st = db_prepare(ledger->db, "DELETE FROM book.installer_targets WHERE installer = $1");
	db_bind_text(st, 1, name);
	rc = ledger_run(ledger, st, "forgetting an installer's targets");
	for (i = 0; rc == 0 && i < targets->count; i++) {
		st = db_prepare(ledger->db, "INSERT INTO book.installer_targets (installer, target) "
				"VALUES ($1, $2) ON CONFLICT DO NOTHING");
		db_bind_text(st, 1, name);
		db_bind_text(st, 2, targets->items[i]);
		rc = ledger_run(ledger, st, "recording an installer's target");
	}
	return rc;
}

/* targets_unchanged - the heartbeat's text of targets is what is recorded
 * (most passes: nothing to rewrite) */

static int targets_unchanged(struct ledger *ledger, const char *name, const char *targets)
{
	struct db_stmt *st = db_prepare(ledger->db, "SELECT targets FROM book.installers WHERE name = $1");
	int     same = 0;

	db_bind_text(st, 1, name);
	if (st && db_step(st) == DB_ROW)
		same = db_text(st, 0) && strcmp(db_text(st, 0), targets) == 0;
	db_release(st);
	return same;
}

int book_installer_beat(struct ledger *ledger, const struct installer_record *r,
			const struct strlist *targets)
{
	struct db_stmt *st;
	int     same;
	int     rc;

	if (ledger_write_begin(ledger) < 0)
		return -1;
	same = targets_unchanged(ledger, r->name, r->targets);
	st = db_prepare(ledger->db, "INSERT INTO book.installers (name, host, version, targets, key_dir, "
			"poll_interval, started_at, last_pass, stopped_at) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) ON CONFLICT (name) DO "
			"UPDATE SET host = excluded.host, version = excluded.version, targets = excluded.targets, "
			"key_dir = excluded.key_dir, poll_interval = excluded.poll_interval, "
			"started_at = excluded.started_at, last_pass = excluded.last_pass, stopped_at = 0");
	db_bind_text(st, 1, r->name);
	db_bind_text(st, 2, r->host);
	db_bind_text(st, 3, r->version);
	db_bind_text(st, 4, r->targets);
	db_bind_text(st, 5, r->key_dir);
	db_bind_int(st, 6, r->poll_interval);
	db_bind_int(st, 7, r->started_at);
	db_bind_int(st, 8, r->last_pass);
	rc = ledger_run(ledger, st, "recording an installer's heartbeat");
	if (rc == 0 && !same)
		rc = replace_targets(ledger, r->name, targets);
	return ledger_write_end(ledger, rc);
}

int book_installer_stopped(struct ledger *ledger, const char *name, long long now)
{
	struct db_stmt *st;

	st = db_prepare(ledger->db, "UPDATE book.installers SET stopped_at = $2 WHERE name = $1");
	db_bind_text(st, 1, name);
	db_bind_int(st, 2, now);
	return ledger_run(ledger, st, "recording that an installer stopped");
}

int installer_is_live(const struct installer_record *r, long long now)
{
	return r->stopped_at == 0 && r->last_pass >= now - 2 * r->poll_interval - INSTALLER_GRACE;
}

struct each_installer {
	installer_fn fn;
	void   *ctx;
};

static int call_with_installer(void *ctx, struct db_stmt *st)
{
	struct each_installer *each = ctx;
	struct installer_record r;
	int     stop;

	memset(&r, 0, sizeof(r));
	r.name = db_strdup(st, 0);
	r.host = db_strdup(st, 1);
	r.version = db_strdup(st, 2);
	r.targets = db_strdup(st, 3);
	r.key_dir = db_strdup(st, 4);
	r.poll_interval = db_int(st, 5);
	r.started_at = db_int(st, 6);
	r.last_pass = db_int(st, 7);
	r.stopped_at = db_int(st, 8);
	stop = each->fn(each->ctx, &r);
	installer_record_clear(&r);
	return stop;
}

int book_each_installer(struct ledger *ledger, installer_fn fn, void *ctx)
{
	struct each_installer each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	st = db_prepare(ledger->db, "SELECT name, host, version, targets, key_dir, poll_interval, started_at, "
			"last_pass, stopped_at FROM book.installers ORDER BY last_pass DESC, name");
	rc = ledger_each_row(ledger, st, call_with_installer, &each, "listing installers");
	return rc < 0 ? -1 : 0;
}

static int add_target(void *ctx, struct db_stmt *st)
{
	struct strlist *targets = ctx;

	if (db_text(st, 0) && !strlist_contains_nocase(targets, db_text(st, 0)))
		strlist_add(targets, db_text(st, 0));
	return 0;
}

int book_live_targets(struct ledger *ledger, long long now, struct strlist *targets)
{
	struct db_stmt *st;
	int     rc;

	st = db_prepare(ledger->db, "SELECT t.target FROM book.installer_targets t JOIN book.installers i "
			"ON i.name = t.installer WHERE i.stopped_at = 0 "
			"AND i.last_pass >= $1 - 2 * i.poll_interval - $2");
	db_bind_int(st, 1, now);
	db_bind_int(st, 2, INSTALLER_GRACE);
	rc = ledger_each_row(ledger, st, add_target, targets, "listing the targets served");
	return rc < 0 ? -1 : 0;
}

int served_targets_load(struct ledger *ledger, long long now, struct served_targets *s)
{
	memset(s, 0, sizeof(*s));
	return book_live_targets(ledger, now, &s->targets);
}

int order_waits_for_installer(const struct served_targets *s, const struct order *o)
{
	return (o->status == BOOK_OPEN || o->status == BOOK_INSTALLED) && o->target
	    && !strlist_contains_nocase(&s->targets, o->target);
}

void served_targets_free(struct served_targets *s)
{
	strlist_free(&s->targets);
}

struct each_target {
	target_use_fn fn;
	void   *ctx;
};

static int call_with_target(void *ctx, struct db_stmt *st)
{
	struct each_target *each = ctx;

	return each->fn(each->ctx, db_text(st, 0) ? db_text(st, 0) : "", db_int(st, 1), db_int(st, 2));
}

int book_each_target_in_use(struct ledger *ledger, target_use_fn fn, void *ctx)
{
	struct each_target each = {fn, ctx};
	struct db_stmt *st;
	int     rc;

	st = db_prepare(ledger->db, "SELECT target, count(*), min(id) FROM book.orders "
			"WHERE status IN ('open', 'installed') GROUP BY target ORDER BY target");
	rc = ledger_each_row(ledger, st, call_with_target, &each, "listing the targets of the orders");
	return rc < 0 ? -1 : 0;
}
