/*
 * NAME
 *	order_args - what "order add" and "order new" share
 * SYNOPSIS
 *	#include "order_args.h"
 *
 *	int order_args_parse(int argc, char **argv, struct order_args *args)
 *	int order_args_check(struct cli *cli, const struct order_args *args)
 *	int order_args_record(struct cli *cli, const struct order_args *args,
 *			      const char *key_path, const char *key_sha256,
 *			      long long *id)
 *	void order_args_free(struct order_args *args)
 * DESCRIPTION
 *	order_args_parse() reads the options of both commands (--domain,
 *	--alt-name (repeated), --ca, --ca-order, --approver, --key,
 *	--key-type, --target, --contact, --approve-mode); each command then
 *	says which it requires and which it refuses.
 *
 *	order_args_check() refuses, with the reason on stderr: an invalid
 *	domain or alternative name, more than MAX_ALT_NAMES alternative
 *	names, an approver or contact that is not an address, a CA order
 *	number with white space or over 64 bytes, an approve mode that does
 *	not exist, a target that the configuration does not define, a CA
 *	without a profile.  The configuration must be loaded.
 *
 *	order_args_record() records the order, state awaiting_approval,
 *	with an order_added event.
 * LICENSE
 *	See the README of mailcert.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "order_args.h"
#include "parser.h"

/* known_ca - the CA must be one of the loaded profiles */

static int known_ca(const struct config *cfg, const char *ca)
{
	struct strbuf err = STRBUF_INIT;
	struct strlist names = STRLIST_INIT;
	struct strbuf list = STRBUF_INIT;
	struct parser *parser;
	size_t i;
	int known;

	if ((parser = parser_new(cfg, &err)) == NULL) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return 0;
	}
	parser_profile_names(parser, &names);
	known = strlist_contains_nocase(&names, ca);
	if (!known) {
		for (i = 0; i < names.count; i++)
			sb_appendf(&list, "%s%s", i ? ", " : "", names.items[i]);
		cli_error("--ca %s: no such CA profile (known: %s)", ca, sb_str(&list));
		sb_free(&list);
	}
	strlist_free(&names);
	parser_free(parser);
	return known;
}

int order_args_check(struct cli *cli, const struct order_args *args)
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

int order_args_parse(int argc, char **argv, struct order_args *args)
{
	static const struct option options[] = {
		{"domain", required_argument, NULL, 'd'},
		{"alt-name", required_argument, NULL, 'a'},
		{"ca", required_argument, NULL, 'C'},
		{"ca-order", required_argument, NULL, 'o'},
		{"approver", required_argument, NULL, 'A'},
		{"key", required_argument, NULL, 'k'},
		{"key-type", required_argument, NULL, 'K'},
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
		case 'K': args->key_type = optarg; break;
		case 't': args->target = optarg; break;
		case 'm': args->contact = optarg; break;
		case 'M': args->approve_mode = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int order_args_record(struct cli *cli, const struct order_args *args, const char *key_path,
		              const char *key_sha256, long long *id)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	order.domain = (char *) args->domain;
	order.alt_names = args->alt_names;
	order.ca = (char *) args->ca;
	order.ca_order = (char *) args->ca_order;
	order.approver = (char *) args->approver;
	order.key_path = (char *) key_path;
	order.key_sha256 = (char *) key_sha256;
	order.target = (char *) args->target;
	order.contact = (char *) args->contact;
	order.approve_mode = (char *) args->approve_mode;
	order.state = ORDER_AWAITING_APPROVAL;
	if (ledger_add_order(cli->ledger, &order) < 0)
		return cli_error("cannot record the order: %s", ledger_error(cli->ledger));
	*id = order.id;
	return 0;
}

void order_args_free(struct order_args *args)
{
	strlist_free(&args->alt_names);
}
