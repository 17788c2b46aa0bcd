/*
 * NAME
 *	cmd_order - mailcert order add
 * SYNOPSIS
 *	int cmd_order_add(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Records a new order for a key that already exists and prints its id.
 *	Refused, with the reason on stderr and nothing recorded: an invalid
 *	domain or alternative name, an approver that is not an address, a
 *	key that cannot be read as a private key, a target that the
 *	configuration does not define, a CA without a profile, an approve
 *	mode that does not exist.
 *	The key is referred to by its absolute path and tied to the order by
 *	the SHA-256 of its public key.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"
#include "fingerprint.h"
#include "mymalloc.h"
#include "names.h"
#include "parser.h"

#define MAX_ALT_NAMES 100

struct order_args {
	const char *domain;
	struct strlist alt_names;
	const char *ca;
	const char *ca_order;
	const char *approver;
	const char *key;
	const char *target;
	const char *contact;
	const char *approve_mode;
};

/* known_ca - the CA must be one of the loaded profiles */

static int known_ca(const struct config *cfg, const char *ca)
{
	struct strbuf err = STRBUF_INIT;
	struct strlist names = STRLIST_INIT;
	struct parser *parser;
	int known;

	if ((parser = parser_new(cfg, &err)) == NULL) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return 0;
	}
	parser_profile_names(parser, &names);
	known = strlist_contains_nocase(&names, ca);
	if (!known) {
		struct strbuf list = STRBUF_INIT;
		size_t i;

		for (i = 0; i < names.count; i++)
			sb_appendf(&list, "%s%s", i ? ", " : "", names.items[i]);
		cli_error("--ca %s: no such CA profile (known: %s)", ca, sb_str(&list));
		sb_free(&list);
	}
	strlist_free(&names);
	parser_free(parser);
	return known;
}

static int check_order_args(struct cli *cli, const struct order_args *args)
{
	size_t i;

	if (!valid_domain_name(args->domain, 1))
		return cli_error("--domain %s: not a valid domain name", args->domain);
	for (i = 0; i < args->alt_names.count; i++)
		if (!valid_domain_name(args->alt_names.items[i], 1))
			return cli_error("--alt-name %s: not a valid domain name", args->alt_names.items[i]);
	if (args->alt_names.count > MAX_ALT_NAMES)
		return cli_error("too many --alt-name (at most %d)", MAX_ALT_NAMES);
	if (args->approver && !valid_mail_address(args->approver))
		return cli_error("--approver %s: not a mail address", args->approver);
	if (args->contact && !valid_mail_address(args->contact))
		return cli_error("--contact %s: not a mail address", args->contact);
	if (args->ca_order && (strlen(args->ca_order) > 64 || strpbrk(args->ca_order, " \t\r\n")))
		return cli_error("--ca-order %s: not an order number", args->ca_order);
	if (args->approve_mode && strcmp(args->approve_mode, "notify") && strcmp(args->approve_mode, "auto")
	    && strcmp(args->approve_mode, "manual"))
		return cli_error("--approve-mode %s: must be notify, auto or manual", args->approve_mode);
	if (config_find_target(cli->cfg, args->target) == NULL)
		return cli_error("--target %s: no [target %s] in %s", args->target, args->target,
				 cli->cfg->path);
	if (!known_ca(cli->cfg, args->ca))
		return 1;
	return 0;
}

/* key_fingerprint - read the private key and hash its public half */

static int key_fingerprint(const char *path, char *abs_path, char sha256[SHA256_HEX_LEN + 1])
{
	struct strbuf err = STRBUF_INIT;
	EVP_PKEY *pkey;
	int rc;

	if (realpath(path, abs_path) == NULL)
		return cli_error("--key %s: cannot read it: %m", path);
	if ((pkey = load_private_key(abs_path, &err)) == NULL) {
		cli_error("--key %s", sb_str(&err));
		sb_free(&err);
		return 1;
	}
	rc = pkey_spki_sha256_hex(pkey, sha256) < 0 ? cli_error("--key %s: cannot hash its public key", path) : 0;
	EVP_PKEY_free(pkey);
	return rc;
}

static int parse_order_args(int argc, char **argv, struct order_args *args)
{
	static const struct option options[] = {
		{"domain", required_argument, NULL, 'd'},
		{"alt-name", required_argument, NULL, 'a'},
		{"ca", required_argument, NULL, 'C'},
		{"ca-order", required_argument, NULL, 'o'},
		{"approver", required_argument, NULL, 'A'},
		{"key", required_argument, NULL, 'k'},
		{"target", required_argument, NULL, 't'},
		{"contact", required_argument, NULL, 'm'},
		{"approve-mode", required_argument, NULL, 'M'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (ch) {
		case 'd': args->domain = optarg; break;
		case 'a': strlist_add(&args->alt_names, optarg); break;
		case 'C': args->ca = optarg; break;
		case 'o': args->ca_order = optarg; break;
		case 'A': args->approver = optarg; break;
		case 'k': args->key = optarg; break;
		case 't': args->target = optarg; break;
		case 'm': args->contact = optarg; break;
		case 'M': args->approve_mode = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || !args->domain || !args->ca || !args->key || !args->target)
		return -1;
	return 0;
}

int cmd_order_add(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	struct order order;
	char abs_key[PATH_MAX];
	char sha256[SHA256_HEX_LEN + 1];
	int rc;

	memset(&args, 0, sizeof(args));
	if (parse_order_args(argc, argv, &args) < 0) {
		strlist_free(&args.alt_names);
		return cli_usage(cli_find_command("order", "add"));
	}
	if (cli_open_ledger(cli) < 0
	    || check_order_args(cli, &args) != 0
	    || key_fingerprint(args.key, abs_key, sha256) != 0) {
		strlist_free(&args.alt_names);
		return 1;
	}
	memset(&order, 0, sizeof(order));
	order.domain = (char *) args.domain;
	order.alt_names = args.alt_names;
	order.ca = (char *) args.ca;
	order.ca_order = (char *) args.ca_order;
	order.approver = (char *) args.approver;
	order.key_path = abs_key;
	order.key_sha256 = sha256;
	order.target = (char *) args.target;
	order.contact = (char *) args.contact;
	order.approve_mode = (char *) args.approve_mode;
	order.state = ORDER_AWAITING_APPROVAL;
	rc = ledger_add_order(cli->ledger, &order);
	strlist_free(&args.alt_names);
	if (rc < 0)
		return cli_error("cannot record the order: %s", ledger_error(cli->ledger));
	printf("%lld\n", order.id);
	return 0;
}
