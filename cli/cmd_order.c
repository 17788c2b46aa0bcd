/*
 * NAME
 *	cmd_order - mailcert order add
 * SYNOPSIS
 *	int cmd_order_add(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Records a new order for a key that already exists and prints its id.
 *	Refused, with the reason on stderr and nothing recorded: everything
 *	order_args_check() refuses (order_args.c), --key-type (that is
 *	"order new"), and a key that cannot be read as a private key.
 *	The key is referred to by its absolute path and tied to the order by
 *	the SHA-256 of its public key.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"
#include "fingerprint.h"
#include "order_args.h"

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

int cmd_order_add(struct cli *cli, int argc, char **argv)
{
	struct order_args args;
	char abs_key[PATH_MAX];
	char sha256[SHA256_HEX_LEN + 1];
	long long id = 0;
	int rc;

	memset(&args, 0, sizeof(args));
	if (order_args_parse(argc, argv, &args) < 0 || !args.domain || !args.ca || !args.key
	    || !args.target || args.key_type) {
		order_args_free(&args);
		return cli_usage(cli_find_command("order", "add"));
	}
	rc = 1;
	if (cli_open_ledger(cli) == 0
	    && order_args_check(cli, &args) == 0
	    && key_fingerprint(args.key, abs_key, sha256) == 0)
		rc = order_args_record(cli, &args, abs_key, sha256, &id);
	order_args_free(&args);
	if (rc == 0)
		printf("%lld\n", id);
	return rc;
}
