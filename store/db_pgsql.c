/*
 * NAME
 *	db_pgsql - the PostgreSQL backend of store/ (not built yet)
 * DESCRIPTION
 *	[ledger] url is refused until the PostgreSQL backend is built.
 * LICENSE
 *	See the README of mailcert.
 */
#include "ledger_internal.h"

int db_pgsql_open_ledger(struct ledger *ledger, const struct ledger_location *where,
			 struct strbuf *err)
{
	(void) ledger;
	sb_appendf(err, "[ledger] url %s: this mailcert has no PostgreSQL backend", where->url);
	return -1;
}

int db_pgsql_schema_version(struct ledger *ledger, int book)
{
	(void) ledger;
	(void) book;
	return -1;
}

long long db_pgsql_change_token(struct ledger *ledger)
{
	(void) ledger;
	return -1;
}
