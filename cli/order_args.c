/*
 * NAME
 *	order_args - what the order commands share
 * SYNOPSIS
 *	#include "order_args.h"
 *
 *	int order_args_parse(struct cli *cli, int argc, char **argv,
 *			     struct order_args *args, int with_id, int *exit_code)
 *	int order_args_require(cli, args, const char *required)
 *	int order_args_check(struct cli *cli, const struct order_args *args)
 *	int order_target_free(cli, target, except, replace, others, count)
 *	int order_target_take(cli, id, others, count)
 *	int order_args_record(cli, args, key_sha256, key_origin, predecessor, &id)
 * DESCRIPTION
 *	order_args_parse() reads the options of every order command
 *	(--domain, --alt-name (repeated), --ca, --ca-order, --approver, --key,
 *	--key-type, --target, --contact, --approve-mode, --reason, --replace,
 *	--reuse-key, --help) and, with_id, the one ID operand; each command
 *	then names what it requires (order_args_require(), which says which
 *	option is missing) and refuses what it does not take.
 *
 *	order_args_check() refuses, with the reason: an invalid domain or
 *	alternative name, more than MAX_ALT_NAMES alternative names, an
 *	approver or contact that is not an address, a CA order number with
 *	white space or over CA_ORDER_MAX bytes, an approve mode that does
 *	not exist, a target the configuration does not define, a CA without
 *	a profile.
 *
 *	Two open orders must not share a target: the second install would
 *	silently overwrite the first one's files.  order_target_free()
 *	refuses a target that an open order uses, naming it; with --replace
 *	it hands those orders back instead, and order_target_take() cancels
 *	them once the new order is recorded ("replaced by order N").
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "order_args.h"
#include "parser.h"

int order_known_ca(const struct config *cfg, const char *ca)
{
	struct strbuf err = STRBUF_INIT;
	struct strlist names = STRLIST_INIT;
	struct strbuf list = STRBUF_INIT;
	struct parser *parser;
	size_t  i;
	int     known;

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

int order_check_ca_order(const char *ca_order)
{
	return ca_order == NULL || (*ca_order && strlen(ca_order) <= CA_ORDER_MAX
				    && strpbrk(ca_order, " \t\r\n") == NULL);
}

int order_check_mode(const char *mode)
{
	return mode == NULL || strcmp(mode, "notify") == 0 || strcmp(mode, "auto") == 0
	    || strcmp(mode, "manual") == 0;
}

int order_args_check(struct cli *cli, const struct order_args *args)
{
	size_t  i;

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
	if (!order_check_ca_order(args->ca_order))
		return cli_error("--ca-order %s: not an order number", args->ca_order);
	if (!order_check_mode(args->approve_mode))
		return cli_error("--approve-mode %s: must be notify, auto or manual", args->approve_mode);
	if (config_find_target(cli->cfg, args->target) == NULL)
		return cli_error("--target %s: no [target %s] in %s", args->target, args->target,
				 cli->cfg->path);
	if (!order_known_ca(cli->cfg, args->ca))
		return 1;
	return 0;
}

int order_args_require(struct cli *cli, const struct order_args *args, const char *required)
{
	static const struct {
		const char *name;
		size_t  offset;
	} fields[] = {
		{"--domain", offsetof(struct order_args, domain)},
		{"--ca", offsetof(struct order_args, ca)},
		{"--key", offsetof(struct order_args, key)},
		{"--target", offsetof(struct order_args, target)},
	};
	size_t  i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strstr(required, fields[i].name) == NULL)
			continue;
		if (*(const char *const *) ((const char *) args + fields[i].offset) == NULL)
			return cli_usage_error(cli, "%s is required", fields[i].name);
	}
	return 0;
}

int order_args_parse(struct cli *cli, int argc, char **argv, struct order_args *args,
		     int with_id, int *exit_code)
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
		{"reason", required_argument, NULL, 'r'},
		{"replace", no_argument, NULL, 'R'},
		{"reuse-key", no_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int     ch;

	*exit_code = 0;
	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
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
		case 'r': args->reason = optarg; break;
		case 'R': args->replace = 1; break;
		case 'U': args->reuse_key = 1; break;
		default:
			cli_common_option(cli, ch, exit_code);
			return -1;
		}
	}
	if (with_id) {
		if (optind >= argc) {
			*exit_code = cli_usage_error(cli, "the order ID is required");
			return -1;
		}
		if ((args->id = cli_parse_id(argv[optind])) < 0) {
			*exit_code = cli_usage_error(cli, "\"%s\" is not an order id", argv[optind]);
			return -1;
		}
		optind++;
	}
	if (optind != argc) {
		*exit_code = cli_usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	return 0;
}

int order_target_free(struct cli *cli, const char *target, long long except, int replace,
		      struct order **others, size_t *count)
{
	struct strbuf ids = STRBUF_INIT;
	size_t  i;

	*others = NULL;
	*count = 0;
	if (book_open_orders_on_target(cli->ledger, target, except, others, count) < 0)
		return cli_error("%s", ledger_error(cli->ledger));
	if (*count == 0 || replace)
		return 0;
	for (i = 0; i < *count; i++)
		sb_appendf(&ids, "%s%lld", i ? ", " : "", (*others)[i].id);
	cli_error("--target %s: open order%s %s already install%s there; a second order would "
		  "overwrite its files (cancel it, or give --replace to cancel it now)", target,
		  *count == 1 ? "" : "s", sb_str(&ids), *count == 1 ? "s" : "");
	sb_free(&ids);
	orders_free(*others, *count);
	*others = NULL;
	*count = 0;
	return 1;
}

int order_target_take(struct cli *cli, long long id, struct order *others, size_t count)
{
	struct strbuf reason = STRBUF_INIT;
	size_t  i;
	int     rc = 0;

	sb_appendf(&reason, "replaced by order %lld (--replace)", id);
	for (i = 0; i < count && rc == 0; i++) {
		if (book_close_order(cli->ledger, others[i].id, BOOK_CANCELLED, reason.data, cli_who()) < 0)
			rc = cli_error("order %lld: %s", others[i].id, ledger_error(cli->ledger));
		else
			fprintf(stderr, "order %lld cancelled: %s\n", others[i].id, reason.data);
	}
	sb_free(&reason);
	return rc;
}

int order_args_record(struct cli *cli, const struct order_args *args, const char *key_sha256,
		      const char *key_origin, long long predecessor, long long *id)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	order.domain = (char *) args->domain;
	order.alt_names = args->alt_names;
	order.ca = (char *) args->ca;
	order.ca_order = (char *) args->ca_order;
	order.approver = (char *) args->approver;
	order.key_sha256 = (char *) key_sha256;
	order.key_origin = (char *) key_origin;
	order.target = (char *) args->target;
	order.contact = (char *) args->contact;
	order.approve_mode = (char *) args->approve_mode;
	order.status = BOOK_OPEN;
	order.predecessor = predecessor;
	if (book_add_order(cli->ledger, &order, cli_who()) < 0)
		return cli_error("cannot record the order: %s", ledger_error(cli->ledger));
	*id = order.id;
	return 0;
}

void order_args_free(struct order_args *args)
{
	strlist_free(&args->alt_names);
}
