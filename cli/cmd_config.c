/*
 * NAME
 *	cmd_config - mailcert check-config
 * SYNOPSIS
 *	int cmd_check_config(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Loads the configuration and checks what can be checked without
 *	changing anything: every key (config_load), the CA profiles compile
 *	(built-in and [ca] profiles), the CA trust store is readable, every
 *	target's commands are executable programs.  Prints
 *	"FILE: ok" and exits 0, or names what is wrong and exits 1.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "parser.h"

static int check_profiles(const struct config *cfg)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;

	if ((parser = parser_new(cfg, &err)) == NULL) {
		cli_error("%s", sb_str(&err));
		sb_free(&err);
		return 1;
	}
	parser_free(parser);
	return 0;
}

static int check_command(const char *target, const char *what, const struct strlist *argv)
{
	if (argv->count == 0)
		return 0;
	if (access(argv->items[0], X_OK) != 0)
		return cli_error("[target %s] %s: %s is not an executable program: %m",
				 target, what, argv->items[0]);
	return 0;
}

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
	const struct target_config *t;
	int rc = 0;

	if (argc != 1)
		return cli_usage(cli_find_command("check-config", NULL));
	if (cli_load_config(cli) < 0)
		return 1;
	rc |= check_profiles(cli->cfg);
	if (access(cli->cfg->trust_store, R_OK) != 0)
		rc = cli_error("[ca] trust_store %s: cannot read it: %m", cli->cfg->trust_store);
	for (t = cli->cfg->targets; t; t = t->next) {
		rc |= check_command(t->name, "test_command", &t->test_command);
		rc |= check_command(t->name, "reload_command", &t->reload_command);
	}
	if (rc == 0)
		printf("%s: ok\n", cli->cfg->path);
	return rc ? 1 : 0;
}
