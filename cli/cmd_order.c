/*
 * NAME
 *	cmd_order - mailcert order add, new, set, cancel, renew
 * SYNOPSIS
 *	int cmd_order_add(struct cli *cli, int argc, char **argv)
 *	int cmd_order_new(struct cli *cli, int argc, char **argv)
 *	int cmd_order_set(struct cli *cli, int argc, char **argv)
 *	int cmd_order_cancel(struct cli *cli, int argc, char **argv)
 *	int cmd_order_renew(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Only these commands (and import) write orders, into the order book,
 *	which only root can write.  An order names its key by the SHA-256 of
 *	the public key; the key itself is in [installer] key_dir under that
 *	hash (key_store.c), where the installer finds it and nowhere else.
 *
 *	add: an existing key (--key FILE) is read and imported into key_dir;
 *	the order is recorded and its id printed.  new: a key of --key-type
 *	is made in key_dir, the order recorded, "order ID recorded, key PATH"
 *	said on stderr and the CSR printed on stdout.  Both refuse a target
 *	that an open order uses (--replace cancels that order instead).
 *
 *	set: the CA order number, contact or approve mode of an open order;
 *	the approver is woken, since an unconfirmed approval may now be the
 *	order's.  cancel: the order is cancelled, leaves the watch set, and
 *	an event says who and why.  renew: a successor order for the same
 *	names, CA, target, contact and approve mode, with a new key (or the
 *	same with --reuse-key), linked both ways; its CSR is printed.  When
 *	the successor is installed the predecessor becomes superseded.
 *
 *	When anything fails nothing is recorded, and a key made for it is
 *	removed again.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "install.h"
#include "order_args.h"

/* new_key - a key of key_type in key_dir; its hash and path */

static EVP_PKEY *new_key(struct cli *cli, const char *key_type, char sha256[65], char **path)
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *pkey;

	if ((pkey = key_generate(key_type, &why)) == NULL
	    || key_store_add(cli->cfg->key_dir, pkey, sha256, path, &why) < 0) {
		cli_error("%s", sb_str(&why));
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	sb_free(&why);
	return pkey;
}

static int print_csr(struct cli *cli, EVP_PKEY *pkey, const char *domain,
		     const struct strlist *alt_names)
{
	struct strbuf csr = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	int     rc = 0;

	(void) cli;
	if (csr_make_pem(pkey, domain, alt_names, &csr, &why) < 0)
		rc = cli_error("%s", sb_str(&why));
	else
		fwrite(csr.data, 1, csr.len, stdout);
	sb_free(&csr);
	sb_free(&why);
	return rc;
}

/* record_new - the checks, the target, the order; 0 with *id, else 1 */

static int record_new(struct cli *cli, const struct order_args *args, const char *sha256,
		      const char *origin, long long predecessor, long long *id)
{
	struct order *others = NULL;
	size_t  count = 0;
	int     rc;

	if (order_target_free(cli, args->target, predecessor, args->replace, &others, &count) != 0)
		return 1;
	rc = order_args_record(cli, args, sha256, origin, predecessor, id);
	if (rc == 0 && count)
		rc = order_target_take(cli, *id, others, count);
	orders_free(others, count);
	return rc;
}

int cmd_order_add(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	struct strbuf why = STRBUF_INIT;
	char    origin[PATH_MAX];
	char    sha256[65];
	char   *path = NULL;
	EVP_PKEY *pkey = NULL;
	long long id = 0;
	int     rc;

	memset(&args, 0, sizeof(args));
	if (order_args_parse(cli, argc, argv, &args, 0, &rc) < 0
	    || (rc = order_args_require(cli, &args, "--domain --ca --key --target")) != 0)
		goto out;
	if (args.key_type) {
		rc = cli_usage_error(cli, "--key-type is for order new (add takes an existing --key)");
		goto out;
	}
	rc = 1;
	if (cli_open_ledger(cli) < 0 || order_args_check(cli, &args) != 0)
		goto out;
	if (realpath(args.key, origin) == NULL) {
		rc = cli_error("--key %s: cannot read it: %m", args.key);
		goto out;
	}
	if ((pkey = key_read_file(origin, &why)) == NULL
	    || key_store_add(cli->cfg->key_dir, pkey, sha256, &path, &why) < 0) {
		rc = cli_error("--key %s", sb_str(&why));
		goto out;
	}
	if ((rc = record_new(cli, &args, sha256, origin, 0, &id)) == 0)
		printf("%lld\n", id);
out:
	EVP_PKEY_free(pkey);
	free(path);
	sb_free(&why);
	order_args_free(&args);
	return rc;
}

int cmd_order_new(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	char    sha256[65];
	char   *path = NULL;
	EVP_PKEY *pkey = NULL;
	long long id = 0;
	int     rc;

	memset(&args, 0, sizeof(args));
	if (order_args_parse(cli, argc, argv, &args, 0, &rc) < 0
	    || (rc = order_args_require(cli, &args, "--domain --ca --target")) != 0)
		goto out;
	if (args.key) {
		rc = cli_usage_error(cli, "--key is for order add (new makes the key)");
		goto out;
	}
	rc = 1;
	if (cli_open_ledger(cli) < 0 || order_args_check(cli, &args) != 0
	    || (pkey = new_key(cli, args.key_type, sha256, &path)) == NULL)
		goto out;
	if ((rc = record_new(cli, &args, sha256, "made by mailcert order new", 0, &id)) != 0) {
		unlink(path);
		goto out;
	}
	fprintf(stderr, "order %lld recorded, key %s\n", id, path);
	rc = print_csr(cli, pkey, args.domain, &args.alt_names);
out:
	EVP_PKEY_free(pkey);
	free(path);
	order_args_free(&args);
	return rc;
}

int cmd_order_set(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	int     rc;

	memset(&args, 0, sizeof(args));
	if (order_args_parse(cli, argc, argv, &args, 1, &rc) < 0)
		goto out;
	if (!args.ca_order && !args.contact && !args.approve_mode) {
		rc = cli_usage_error(cli, "give at least one of --ca-order, --contact, --approve-mode");
		goto out;
	}
	if (args.domain || args.ca || args.key || args.target || args.key_type) {
		rc = cli_usage_error(cli, "only --ca-order, --contact and --approve-mode can be set");
		goto out;
	}
	rc = 1;
	if (!order_check_ca_order(args.ca_order))
		rc = cli_error("--ca-order %s: not an order number", args.ca_order);
	else if (!order_check_mode(args.approve_mode))
		rc = cli_error("--approve-mode %s: must be notify, auto or manual", args.approve_mode);
	else if (args.contact && strchr(args.contact, '@') == NULL)
		rc = cli_error("--contact %s: not a mail address", args.contact);
	else if (cli_open_ledger(cli) == 0) {
		if (book_update_order(cli->ledger, args.id, args.ca_order, args.contact, args.approve_mode,
				      cli_who()) < 0)
			rc = cli_error("%s", ledger_error(cli->ledger));
		else {
			printf("order %lld changed\n", args.id);
			cli_wake(cli->cfg->approve_wake_socket, "approver");
			rc = 0;
		}
	}
out:
	order_args_free(&args);
	return rc;
}

int cmd_order_cancel(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	int     rc;

	memset(&args, 0, sizeof(args));
	if (order_args_parse(cli, argc, argv, &args, 1, &rc) < 0)
		goto out;
	rc = 1;
	if (cli_open_ledger(cli) == 0) {
		if (book_close_order(cli->ledger, args.id, BOOK_CANCELLED,
				     args.reason ? args.reason : "no reason given", cli_who()) < 0)
			rc = cli_error("%s", ledger_error(cli->ledger));
		else {
			printf("order %lld cancelled\n", args.id);
			rc = 0;
		}
	}
out:
	order_args_free(&args);
	return rc;
}

/* renewal_of - the successor's arguments: the predecessor's order */

static void renewal_of(const struct order *pred, struct order_args *args)
{
	args->domain = pred->domain;
	strlist_copy(&args->alt_names, &pred->alt_names);
	args->ca = pred->ca;
	args->target = pred->target;
	args->contact = pred->contact;
	args->approve_mode = pred->approve_mode;
	args->approver = pred->approver;
}

int cmd_order_renew(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	struct strbuf why = STRBUF_INIT;
	struct order pred;
	char    sha256[65];
	char   *path = NULL;
	EVP_PKEY *pkey = NULL;
	long long id = 0;
	int     rc;

	memset(&args, 0, sizeof(args));
	memset(&pred, 0, sizeof(pred));
	if (order_args_parse(cli, argc, argv, &args, 1, &rc) < 0)
		goto out;
	if (args.reuse_key && args.key_type) {
		rc = cli_usage_error(cli, "--reuse-key and --key-type exclude each other");
		goto out;
	}
	rc = 1;
	if (cli_open_ledger(cli) < 0)
		goto out;
	if ((rc = book_get_order(cli->ledger, args.id, &pred)) != 0) {
		rc = rc < 0 ? cli_error("%s", ledger_error(cli->ledger)) : cli_error("no order %lld", args.id);
		goto out;
	}
	if (pred.status == BOOK_CANCELLED || pred.status == BOOK_SUPERSEDED || pred.successor) {
		rc = cli_error("order %lld is %s%s; renew its successor instead", pred.id,
			       book_status_name(pred.status), pred.successor ? " and already renewed" : "");
		goto out;
	}
	renewal_of(&pred, &args);
	if (args.reuse_key) {
		snprintf(sha256, sizeof(sha256), "%s", pred.key_sha256);
		pkey = key_store_load(cli->cfg->key_dir, pred.key_sha256, &why);
		if (pkey == NULL) {
			rc = cli_error("%s", sb_str(&why));
			goto out;
		}
	} else if ((pkey = new_key(cli, args.key_type, sha256, &path)) == NULL) {
		goto out;
	}
	if ((rc = record_new(cli, &args, sha256, args.reuse_key ? "the predecessor's key"
			     : "made by mailcert order renew", pred.id, &id)) != 0) {
		if (path)
			unlink(path);
		goto out;
	}
	if (book_link_successor(cli->ledger, pred.id, id) < 0) {
		rc = cli_error("%s", ledger_error(cli->ledger));
		goto out;
	}
	fprintf(stderr, "order %lld renews order %lld%s%s\n", id, pred.id, path ? ", key " : "",
		path ? path : "");
	rc = print_csr(cli, pkey, args.domain, &args.alt_names);
out:
	EVP_PKEY_free(pkey);
	free(path);
	sb_free(&why);
	order_clear(&pred);
	strlist_free(&args.alt_names);
	return rc;
}
