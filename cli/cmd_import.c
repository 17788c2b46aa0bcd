/*
 * NAME
 *	cmd_import - mailcert order import FILE | -
 * SYNOPSIS
 *	int cmd_order_import(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Orders from JSON lines, one object per line: domain, alt_names (a
 *	list), ca, ca_order, key (the path of an existing private key),
 *	target, contact, approve_mode, and optionally state ("open", the
 *	default; "installed" for a certificate a panel already installed, so
 *	that the order is not watched; "cancelled").  Empty lines and lines
 *	starting with '#' are skipped.
 *
 *	Every line is checked first, as "order add" checks one order, and
 *	the first bad line is named with its field ("orders.jsonl:17: ca:
 *	no such CA profile"): then nothing is imported.  Two open orders
 *	may not share a target, among the lines or with the book.  Then the
 *	orders are recorded in transactions of IMPORT_BATCH.  Each key file
 *	is read and imported into [installer] key_dir once, however many
 *	lines name it.  Standard input ("-") is kept in a temporary file for
 *	the second pass.  Prints "N orders imported".
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"
#include "fingerprint.h"
#include "install.h"
#include "mymalloc.h"
#include "names.h"
#include "order_args.h"
#include "parser.h"

#define IMPORT_BATCH		10000	/* orders per transaction */
#define IMPORT_LINE_MAX		(64 * 1024)

/* A key file read once: its path and its hash. */
struct known_key {
	char   *path;
	char    sha256[65];
};

/* One import. */
struct import {
	struct cli *cli;
	const char *origin;		/* the file name, for messages */
	struct strlist profiles;	/* CA profile names */
	struct known_key *keys;
	size_t  n_keys;
	struct strlist open_targets;	/* targets of open orders, sorted */
	long long count;
};

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int bad(const struct import *im, long line, const char *field, const char *what)
{
	return cli_error("%s:%ld: %s: %s", im->origin, line, field, what);
}

/* key_hash - the hash of a key file, read and imported once */

static const char *key_hash(struct import *im, const char *path, int store, struct strbuf *why)
{
	char    real[PATH_MAX];
	char   *stored = NULL;
	EVP_PKEY *pkey;
	size_t  i;

	if (realpath(path, real) == NULL) {
		sb_appendf(why, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (i = 0; i < im->n_keys; i++)
		if (strcmp(im->keys[i].path, real) == 0)
			return im->keys[i].sha256;
	if ((pkey = key_read_file(real, why)) == NULL)
		return NULL;
	im->keys = xrealloc(im->keys, (im->n_keys + 1) * sizeof(*im->keys));
	if (store ? key_store_add(im->cli->cfg->key_dir, pkey, im->keys[im->n_keys].sha256, &stored,
				  why) < 0
	    : pkey_spki_sha256_hex(pkey, im->keys[im->n_keys].sha256) < 0) {
		EVP_PKEY_free(pkey);
		free(stored);
		if (why->len == 0)
			sb_appends(why, "cannot hash its public key");
		return NULL;
	}
	EVP_PKEY_free(pkey);
	free(stored);
	im->keys[im->n_keys].path = xstrdup(real);
	return im->keys[im->n_keys++].sha256;
}

static const char *text_field(json_t *obj, const char *name, int *wrong)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*wrong = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* line_args - the order of one line, checked; 0, or 1 (printed) */

static int line_args(struct import *im, json_t *obj, long line, struct order_args *args,
		     const char **state)
{
	const char *fields[] = {"domain", "ca", "ca_order", "key", "target", "contact",
		"approve_mode", "state", "alt_names", "approver", NULL};
	const char *key;
	json_t *names;
	json_t *v;
	size_t  i;
	int     wrong = 0;

	if (!json_is_object(obj))
		return bad(im, line, "(line)", "not a JSON object");
	json_object_foreach(obj, key, v) {
		for (i = 0; fields[i] && strcmp(fields[i], key) != 0; i++)
			;
		if (fields[i] == NULL)
			return bad(im, line, key, "not a field of an order");
	}
	memset(args, 0, sizeof(*args));
	args->domain = text_field(obj, "domain", &wrong);
	args->ca = text_field(obj, "ca", &wrong);
	args->ca_order = text_field(obj, "ca_order", &wrong);
	args->key = text_field(obj, "key", &wrong);
	args->target = text_field(obj, "target", &wrong);
	args->contact = text_field(obj, "contact", &wrong);
	args->approver = text_field(obj, "approver", &wrong);
	args->approve_mode = text_field(obj, "approve_mode", &wrong);
	*state = text_field(obj, "state", &wrong);
	if (wrong)
		return bad(im, line, "(line)", "a field that should be a string is not");
	names = json_object_get(obj, "alt_names");
	if (names && !json_is_array(names))
		return bad(im, line, "alt_names", "not a list");
	json_array_foreach(names, i, v) {
		if (!json_is_string(v))
			return bad(im, line, "alt_names", "holds something that is not a string");
		strlist_add(&args->alt_names, json_string_value(v));
	}
	if (args->domain == NULL || !valid_domain_name(args->domain, 1))
		return bad(im, line, "domain", args->domain ? "not a valid domain name" : "missing");
	for (i = 0; i < args->alt_names.count; i++)
		if (!valid_domain_name(args->alt_names.items[i], 1))
			return bad(im, line, "alt_names", "holds a name that is not a valid domain name");
	if (args->alt_names.count > MAX_ALT_NAMES)
		return bad(im, line, "alt_names", "too many names");
	if (args->ca == NULL || !strlist_contains_nocase(&im->profiles, args->ca))
		return bad(im, line, "ca", args->ca ? "no such CA profile" : "missing");
	if (!order_check_ca_order(args->ca_order))
		return bad(im, line, "ca_order", "not an order number");
	if (args->target == NULL || config_find_target(im->cli->cfg, args->target) == NULL)
		return bad(im, line, "target", args->target ? "no such [target] in the configuration"
			   : "missing");
	if (args->contact && !valid_mail_address(args->contact))
		return bad(im, line, "contact", "not a mail address");
	if (args->approver && !valid_mail_address(args->approver))
		return bad(im, line, "approver", "not a mail address");
	if (!order_check_mode(args->approve_mode))
		return bad(im, line, "approve_mode", "must be notify, auto or manual");
	if (*state && strcmp(*state, "open") && strcmp(*state, "installed") && strcmp(*state, "cancelled"))
		return bad(im, line, "state", "must be open, installed or cancelled");
	if (args->key == NULL)
		return bad(im, line, "key", "missing");
	return 0;
}

static enum book_status status_of(const char *state)
{
	if (state && strcmp(state, "installed") == 0)
		return BOOK_INSTALLED;
	if (state && strcmp(state, "cancelled") == 0)
		return BOOK_CANCELLED;
	return BOOK_OPEN;
}

/* claim_target - an open order's target must be free (book and lines) */

static int claim_target(struct import *im, const char *target, long line)
{
	struct order *others;
	size_t  count;

	if (bsearch(&target, im->open_targets.items, im->open_targets.count, sizeof(char *),
		    compare_strings) != NULL)
		return bad(im, line, "target", "another open order installs there (in the file)");
	if (book_open_orders_on_target(im->cli->ledger, target, 0, &others, &count) < 0)
		return cli_error("%s", ledger_error(im->cli->ledger));
	orders_free(others, count);
	if (count)
		return bad(im, line, "target", "an open order of the book installs there");
	strlist_add(&im->open_targets, target);
	qsort(im->open_targets.items, im->open_targets.count, sizeof(char *), compare_strings);
	return 0;
}

/* one_line - check (record == 0) or record one line; 0, 1 (printed), -1 */

static int one_line(struct import *im, const char *text, long line, int record)
{
	struct strbuf why = STRBUF_INIT;
	struct order_args args;
	struct order order;
	json_error_t error;
	const char *state = NULL;
	const char *sha;
	json_t *obj;
	int     rc;

	if ((obj = json_loads(text, JSON_REJECT_DUPLICATES, &error)) == NULL)
		return bad(im, line, "(line)", error.text);
	memset(&args, 0, sizeof(args));
	rc = line_args(im, obj, line, &args, &state);
	if (rc == 0 && (sha = key_hash(im, args.key, record, &why)) == NULL)
		rc = bad(im, line, "key", sb_str(&why));
	if (rc == 0 && !record && status_of(state) == BOOK_OPEN)
		rc = claim_target(im, args.target, line);
	if (rc == 0 && record) {
		memset(&order, 0, sizeof(order));
		order.domain = (char *) args.domain;
		order.alt_names = args.alt_names;
		order.ca = (char *) args.ca;
		order.ca_order = (char *) args.ca_order;
		order.approver = (char *) args.approver;
		order.key_sha256 = (char *) sha;
		order.key_origin = (char *) args.key;
		order.target = (char *) args.target;
		order.contact = (char *) args.contact;
		order.approve_mode = (char *) args.approve_mode;
		order.status = status_of(state);
		if (book_add_order(im->cli->ledger, &order, "mailcert order import") < 0)
			rc = cli_error("%s:%ld: %s", im->origin, line, ledger_error(im->cli->ledger));
		im->count++;
	}
	order_args_free(&args);
	json_decref(obj);
	sb_free(&why);
	return rc;
}

/* each_line - every line of fp through one_line(); 0, or 1 */

static int each_line(struct import *im, FILE *fp, int record)
{
	char   *line = NULL;
	size_t  cap = 0;
	ssize_t len;
	long    number = 0;
	int     rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
		number++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0 || line[0] == '#')
			continue;
		if (len > IMPORT_LINE_MAX) {
			rc = bad(im, number, "(line)", "longer than an order can be");
			break;
		}
		if (record && im->count % IMPORT_BATCH == 0 && im->count > 0) {
			if (ledger_commit(im->cli->ledger) < 0 || ledger_begin(im->cli->ledger) < 0)
				rc = cli_error("%s", ledger_error(im->cli->ledger));
		}
		if (rc == 0)
			rc = one_line(im, line, number, record);
	}
	free(line);
	return rc;
}

/* open_input - the file, or standard input kept in a temporary file */

static FILE *open_input(const char *name)
{
	char    buf[65536];
	size_t  n;
	FILE   *tmp;

	if (strcmp(name, "-") != 0)
		return fopen(name, "r");
	if ((tmp = tmpfile()) == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, tmp) != n) {
			fclose(tmp);
			return NULL;
		}
	rewind(tmp);
	return tmp;
}

static void import_free(struct import *im)
{
	size_t  i;

	for (i = 0; i < im->n_keys; i++)
		free(im->keys[i].path);
	free(im->keys);
	strlist_free(&im->profiles);
	strlist_free(&im->open_targets);
}

static int load_profiles(struct import *im)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;

	if ((parser = parser_new(im->cli->cfg, &err)) == NULL) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return -1;
	}
	parser_profile_names(parser, &im->profiles);
	parser_free(parser);
	return 0;
}

int cmd_order_import(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct import im;
	FILE   *fp;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1)
		if (cli_common_option(cli, ch, &rc))
			return rc;
	if (optind + 1 != argc)
		return cli_usage_error(cli, "give one FILE, or - for standard input");
	memset(&im, 0, sizeof(im));
	im.cli = cli;
	im.origin = strcmp(argv[optind], "-") == 0 ? "(standard input)" : argv[optind];
	if (cli_open_ledger(cli) < 0 || load_profiles(&im) < 0) {
		import_free(&im);
		return 1;
	}
	if ((fp = open_input(argv[optind])) == NULL) {
		import_free(&im);
		return cli_error("%s: %s", im.origin, strerror(errno));
	}
	rc = each_line(&im, fp, 0);
	if (rc == 0) {
		rewind(fp);
		rc = ledger_begin(cli->ledger) < 0 ? cli_error("%s", ledger_error(cli->ledger))
		    : each_line(&im, fp, 1);
		if (rc == 0 && ledger_commit(cli->ledger) < 0)
			rc = cli_error("%s", ledger_error(cli->ledger));
		else if (rc != 0)
			ledger_rollback(cli->ledger);
	}
	fclose(fp);
	if (rc == 0)
		printf("%lld order%s imported\n", im.count, im.count == 1 ? "" : "s");
	import_free(&im);
	return rc;
}
