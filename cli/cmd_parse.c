/*
 * NAME
 *	cmd_parse - mailcert parse: what would mailcert make of this mail?
 * SYNOPSIS
 *	int cmd_parse(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Reads one message from a file (or "-" for stdin), runs the parser on
 *	it with the configured profiles and authserv-id, and prints the
 *	verdict: a readable summary, or the JSON of verdict_to_json() with
 *	--json.  --explain first says, for each profile, which pattern
 *	matched what and why the mail was not taken (explain.c): what an
 *	operator needs to write a profile override in [ca] profiles.  No side effects: the ledger is not opened.  Run as root, it
 *	reads the file and then parses as [milter] user.
 *
 *	Without -c and without the default configuration file, the built-in
 *	defaults are used (no authserv-id: nothing is authenticated).
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mymalloc.h"
#include "parser.h"

/* read_message - the whole file, bounded by the parser's size limit:
 * past it nothing more is kept, but *total counts the rest */

static int read_message(const char *path, size_t limit, struct strbuf *data, size_t *total)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char buf[65536];
	size_t n;

	*total = 0;
	if (fp == NULL)
		return cli_error("%s: cannot open: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		*total += n;
		if (*total <= limit)
			sb_append(data, buf, n);
	}
	n = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	return n ? cli_error("%s: read error", path) : 0;
}

/* not_parsed - the verdict of a mail the milter would not parse: as it
 * delivers it, "not parsed: over max_message_size" */

static void not_parsed(struct verdict *v, size_t total, size_t limit)
{
	v->kind = VERDICT_NONE;
	v->limit_hit = "max_message_size";
	strlist_addf(&v->reasons, "not parsed: over max_message_size (%zu bytes, the limit is %zu); "
		     "the milter delivers it unparsed", total, limit);
}

static void print_verdict(const struct verdict *v)
{
	char    from[32];
	char    until[32];
	size_t  i;

	cli_printf("kind:          %s\n", verdict_kind_name(v->kind));
	cli_printf("ca:            %s\n", v->ca ? v->ca : "-");
	cli_printf("authenticated: %s\n", v->authenticated ? "yes" : "no");
	if (v->ambiguous)
		cli_printf("ambiguous:     yes (recorded, never acted on)\n");
	if (v->limit_hit)
		cli_printf("limit reached: %s\n", v->limit_hit);
	if (v->subject)
		cli_printf("subject:       %s\n", v->subject);
	if (v->from)
		cli_printf("from:          %s\n", v->from);
	if (v->kind == VERDICT_APPROVAL) {
		cli_printf("link:          %s\n", v->link ? v->link : "-");
		cli_printf("code:          %s\n", v->code ? v->code : "-");
	}
	if (v->kind != VERDICT_NONE) {
		cli_printf("CA order:      %s\n", v->ca_order ? v->ca_order : "-");
		cli_printf("domain:        %s\n", v->domain ? v->domain : "-");
	}
	for (i = 0; i < v->certs.count; i++) {
		const struct cert_found *c = &v->certs.certs[i];

		cli_printf("certificate %zu: %s %s\n  issuer %s\n  valid %s to %s\n  sha256 %s\n", i + 1,
			   cert_role_name(c->role), c->subject, c->issuer,
			   cli_time(c->not_before, from, sizeof(from)),
			   cli_time(c->not_after, until, sizeof(until)), c->sha256);
	}
	for (i = 0; i < v->reasons.count; i++)
		cli_printf("reason:        %s\n", v->reasons.items[i]);
}

static int load_parse_config(struct cli *cli)
{
	if (!cli->config_given && access(cli->config_path, F_OK) != 0) {
		cli->cfg = config_defaults();
		return 0;
	}
	return cli_load_config(cli);
}

int cmd_parse(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"explain", no_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf data = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;
	struct verdict verdict;
	size_t  total;
	struct strbuf explained = STRBUF_INIT;
	int explain = 0;
	int json = 0;
	int ch;
	int rc;

	while ((ch = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'e')
			explain = 1;
		else if (cli_common_option(cli, ch, &rc))
			return rc;
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli, "give one FILE.eml, or - for standard input");
	if (load_parse_config(cli) < 0)
		return 1;
	if ((parser = parser_new(cli->cfg, &err)) == NULL) {
		rc = cli_error("%s", sb_str(&err));
		sb_free(&err);
		return rc;
	}
	/* Read as who we are (the operator's file), parse a stranger's mail
	 * as the milter's user, never as root. */
	if (read_message(argv[optind], cli->cfg->max_message_size, &data, &total) != 0) {
		parser_free(parser);
		sb_free(&data);
		return 1;
	}
	if (cli_become_role_user(cli) < 0) {
		cli_error("as root, parse parses a stranger's mail as [milter] user only: make that user, "
			  "name another with -c, or run it as yourself");
		parser_free(parser);
		sb_free(&data);
		return 1;
	}
	verdict_init(&verdict);
	if (total > cli->cfg->max_message_size)
		not_parsed(&verdict, total, cli->cfg->max_message_size);
	else
		parser_parse(parser, data.data ? data.data : "", data.len, &verdict);
	if (explain && !json && total <= cli->cfg->max_message_size) {
		parser_explain(parser, data.data ? data.data : "", data.len, &explained);
		/* printable ASCII already (explain.c): as it is, so that a
		 * pattern's backslashes read as the profile file has them */
		fputs(sb_str(&explained), stdout);
		printf("\nverdict\n");
		sb_free(&explained);
	}
	if (json)
		rc = cli_print_json(verdict_to_json(&verdict));
	else
		print_verdict(&verdict), rc = 0;
	verdict_free(&verdict);
	parser_free(parser);
	sb_free(&data);
	return rc;
}
