/*
 * NAME
 *	ledger_init - the privilege split kept by PostgreSQL: roles and grants
 * SYNOPSIS
 *	#include "ledger.h"
 *
 *	int ledger_grant_roles(struct ledger *owner,
 *			       const struct ledger_roles *roles,
 *			       struct strbuf *report)
 * DESCRIPTION
 *	With SQLite the files' owners and modes keep root's order book from
 *	the network side; with PostgreSQL the database does it, one role per
 *	kind of process (by default the name of the user it runs as), each
 *	granted exactly what it writes today and nothing else:
 *
 *	intake	(the milter, deliver, fetch: [milter] user) inserts messages,
 *		approvals, certificates, install requests, events and what
 *		fetch keeps of mailboxes; moves an order's progress; reads
 *		both stores.  It never names a row's id (the column is not
 *		granted: ids come from the database), and it updates and
 *		deletes nothing else.
 *	approver ([approve] user) writes the outcome of an approval (its
 *		state, attempts, next try and error), its event and the
 *		order's progress; reads both stores.
 *	web	([web] user) reads both stores.
 *
 *	The order book is written only by its owner, root's role, which runs
 *	"mailcert ledger init" (it owns the schemas it migrates).  Nothing is
 *	granted to PUBLIC; CONNECT on the database only to the roles above.
 *	Each run first revokes everything from the roles, then grants, so a
 *	role that changed kind keeps nothing of its old one.  A role that
 *	does not exist is an error that says how to make it: the owner needs
 *	no right to create roles.  Role names are quoted by the server
 *	(format's %I), never pasted.
 *
 *	report gets one line per role and what it was granted.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mymalloc.h"

static int database_name(struct ledger *ledger, char *out, size_t len, const char *template);

/* What one kind of role may write. */
struct grant {
	const char *table;		/* in the intake's schema */
	const char *insert;		/* columns it may insert, NULL: none */
	const char *update;		/* columns it may update, NULL: none */
};

static const struct grant intake_grants[] = {
	{"messages", "message_id, queue_id, mail_from, rcpt_to, subject, verdict, reason, order_id, "
	 "received_at", NULL},
	{"approvals", "order_id, message_row, link, code, ca_order, domain, dedup, authenticated, "
	 "received_at, action_state, attempts, next_try", NULL},
	{"certificates", "order_id, message_row, sha256, spki_sha256, leaf_pem, chain_pem, subject, "
	 "issuer, names, not_before, not_after, received_at", NULL},
	{"install_requests", "order_id, certificate_id, created_at", NULL},
	{"order_progress", "order_id, state, updated_at", "state, updated_at"},
	{"events", "order_id, at, kind, detail", NULL},
	{"imap_state", "mailbox, uidvalidity, last_uid, updated_at", "uidvalidity, last_uid, updated_at"},
	{"imap_seen", "mailbox, digest, seen_at", NULL},
	{NULL, NULL, NULL},
};

static const struct grant approver_grants[] = {
	{"approvals", NULL, "action_state, attempts, next_try, last_error"},
	{"events", "order_id, at, kind, detail", NULL},
	{"order_progress", "order_id, state, updated_at", "state, updated_at"},
	{NULL, NULL, NULL},
};

static const struct grant reader_grants[] = {
	{NULL, NULL, NULL},
};

/* run_formatted - SELECT format(template, role), then run what it gave */

static int run_formatted(struct ledger *ledger, const char *template, const char *role)
{
	struct db_stmt *st = db_prepare_uncached(ledger->db, "SELECT format($1::text, $2::text)");
	char   *sql = NULL;
	int     rc;

	db_bind_text(st, 1, template);
	db_bind_text(st, 2, role ? role : "");
	if (st == NULL)
		return ledger_fail(ledger, NULL);
	if ((rc = db_step(st)) == DB_ROW)
		sql = db_strdup(st, 0);
	db_release(st);
	if (rc == DB_ERROR || sql == NULL) {
		free(sql);
		return ledger_fail(ledger, "quoting a role name");
	}
	rc = db_exec(ledger->db, sql);
	free(sql);
	return rc < 0 ? ledger_fail(ledger, NULL) : 0;
}

static int role_exists(struct ledger *ledger, const char *role)
{
	struct db_stmt *st = db_prepare_uncached(ledger->db,
						 "SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = $1");
	long long n = -1;

	db_bind_text(st, 1, role);
	if (st && db_step(st) == DB_ROW)
		n = db_int(st, 0);
	db_release(st);
	if (n < 0)
		return ledger_fail(ledger, "looking up a role");
	if (n == 0)
		return ledger_refuse(ledger, "PostgreSQL has no role \"%s\": make it first (as "
				     "PostgreSQL's superuser: createuser --no-createdb --no-createrole "
				     "'%s'), then run mailcert ledger init again", role, role);
	return 0;
}

static int grant_table(struct ledger *ledger, const struct grant *g, const char *role)
{
	char    template[512];

	if (g->insert) {
		snprintf(template, sizeof(template), "GRANT INSERT (%s) ON intake.%s TO %%I",
			 g->insert, g->table);
		if (run_formatted(ledger, template, role) < 0)
			return -1;
	}
	if (g->update) {
		snprintf(template, sizeof(template), "GRANT UPDATE (%s) ON intake.%s TO %%I",
			 g->update, g->table);
		if (run_formatted(ledger, template, role) < 0)
			return -1;
	}
	return 0;
}

/* grant_kind - read both stores, write what the kind writes */

static int grant_kind(struct ledger *ledger, const struct grant *grants, const char *role)
{
	static const char *const reading[] = {
		"GRANT CONNECT ON DATABASE %s TO %%I",
		"GRANT USAGE ON SCHEMA intake, book TO %I",
		"GRANT SELECT ON ALL TABLES IN SCHEMA intake, book TO %I",
		NULL,
	};
	char    template[256];
	const struct grant *g;
	int     i;

	for (i = 0; reading[i]; i++) {
		if (i == 0) {
			if (database_name(ledger, template, sizeof(template), reading[i]) < 0)
				return -1;
		} else {
			snprintf(template, sizeof(template), "%s", reading[i]);
		}
		if (run_formatted(ledger, template, role) < 0)
			return -1;
	}
	for (g = grants; g->table; g++)
		if (grant_table(ledger, g, role) < 0)
			return -1;
	return 0;
}

static int revoke_all(struct ledger *ledger, const char *role)
{
	static const char *const revokes[] = {
		"REVOKE ALL ON ALL TABLES IN SCHEMA intake, book FROM %I",
		"REVOKE ALL ON ALL SEQUENCES IN SCHEMA intake, book FROM %I",
		"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA intake, book FROM %I",
		"REVOKE ALL ON SCHEMA intake, book FROM %I",
		NULL,
	};
	int     i;

	for (i = 0; revokes[i]; i++)
		if (run_formatted(ledger, revokes[i], role) < 0)
			return -1;
	return 0;
}

/* database_name - template with the current database's name where it has
 * %s, quoted as an identifier and with its % doubled for format() */

static int database_name(struct ledger *ledger, char *out, size_t len, const char *template)
{
	struct db_stmt *st = db_prepare_uncached(ledger->db,
						 "SELECT replace(format('%I', current_database()), '%', '%%')");
	int     rc;

	if (st == NULL)
		return ledger_fail(ledger, NULL);
	if ((rc = db_step(st)) == DB_ROW)
		snprintf(out, len, template, db_text(st, 0));
	db_release(st);
	return rc == DB_ROW ? 0 : ledger_fail(ledger, "reading the database's name");
}

static int revoke_public(struct ledger *ledger)
{
	char    template[256];

	if (database_name(ledger, template, sizeof(template), "REVOKE ALL ON DATABASE %s FROM PUBLIC") < 0
	    || run_formatted(ledger, template, NULL) < 0)
		return -1;
	if (db_exec(ledger->db, "REVOKE ALL ON SCHEMA intake, book FROM PUBLIC;"
		       "REVOKE ALL ON ALL TABLES IN SCHEMA intake, book FROM PUBLIC;"
		       "REVOKE ALL ON ALL SEQUENCES IN SCHEMA intake, book FROM PUBLIC;"
		       "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA intake, book FROM PUBLIC") < 0)
		return ledger_fail(ledger, NULL);
	return 0;
}

int ledger_grant_roles(struct ledger *owner, const struct ledger_roles *roles, struct strbuf *report)
{
	const struct {
		const char *role;
		const struct grant *grants;
		const char *what;
	}       kinds[] = {
		{roles->intake, intake_grants, "intake: writes messages, approvals, certificates, "
		 "install requests, progress, events"},
		{roles->approver, approver_grants, "approver: writes approval outcomes, their events "
		 "and progress"},
		{roles->web, reader_grants, "web view: reads"},
	};
	size_t  i;
	int     rc;

	if (owner->db->backend != DB_PGSQL)
		return 0;
	if ((rc = ledger_write_begin(owner)) < 0)
		return -1;
	rc = revoke_public(owner);
	for (i = 0; rc == 0 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].role && ((rc = role_exists(owner, kinds[i].role)) < 0
				      || (rc = revoke_all(owner, kinds[i].role)) < 0))
			break;
	for (i = 0; rc == 0 && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].role == NULL)
			continue;
		if ((rc = grant_kind(owner, kinds[i].grants, kinds[i].role)) == 0)
			sb_appendf(report, "role %s: %s\n", kinds[i].role, kinds[i].what);
	}
	return ledger_write_end(owner, rc);
}
