/*
 * NAME
 *	cmd_order_new - mailcert order new: a new key, its CSR, the order
 * SYNOPSIS
 *	int cmd_order_new(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	Checks the order like "order add" (order_args.c), generates a key of
 *	--key-type (ec256, the default, rsa2048 or rsa3072), makes the CSR
 *	(CN = the domain, subjectAltName = every name), writes the key, mode
 *	0600, to a new file of [installer] key_dir named after the domain
 *	and the time ("example.com-20261128T120000Z.key", "*." becoming
 *	"wildcard."), records the order and prints the CSR (PEM) on standard
 *	output, to paste into the CA's form.  Standard error says
 *	"order ID recorded, key PATH".  When anything fails nothing is
 *	recorded and no key file stays behind.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "fingerprint.h"
#include "install.h"
#include "mymalloc.h"
#include "order_args.h"

/* One run of the command: what it made. */
struct new_order {
	struct order_args args;
	struct strlist names;		/* alt names, lower-case */
	char   *domain;			/* lower-case */
	EVP_PKEY *pkey;
	struct strbuf csr;
	char   *key_path;
	long long id;
};

static char *lower_copy(const char *text)
{
	char   *copy = xstrdup(text);
	char   *p;

	for (p = copy; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return copy;
}

/* key_stem - the file name stem: the validated domain, "*." spelled out */

static void key_stem(const char *domain, char *stem, size_t len)
{
	if (strncmp(domain, "*.", 2) == 0)
		snprintf(stem, len, "wildcard.%s", domain + 2);
	else
		snprintf(stem, len, "%s", domain);
}

/* make_key_and_csr - everything but the order; 0 or 1 (printed) */

static int make_key_and_csr(struct cli *cli, struct new_order *no, char sha256[SHA256_HEX_LEN + 1])
{
	struct strbuf why = STRBUF_INIT;
	char    stem[300];
	size_t  i;
	int     rc = 1;

	no->domain = lower_copy(no->args.domain);
	for (i = 0; i < no->args.alt_names.count; i++)
		strlist_add_owned(&no->names, lower_copy(no->args.alt_names.items[i]));
	key_stem(no->domain, stem, sizeof(stem));
	if ((no->pkey = key_generate(no->args.key_type, &why)) == NULL
	    || csr_make_pem(no->pkey, no->domain, &no->names, &no->csr, &why) < 0)
		cli_error("%s", sb_str(&why));
	else if (pkey_spki_sha256_hex(no->pkey, sha256) < 0)
		cli_error("cannot hash the new public key");
	else if (key_write_new(no->pkey, cli->cfg->key_dir, stem, time(NULL), &no->key_path, &why) < 0)
		cli_error("[installer] key_dir: %s", sb_str(&why));
	else
		rc = 0;
	sb_free(&why);
	return rc;
}

static void new_order_free(struct new_order *no)
{
	order_args_free(&no->args);
	strlist_free(&no->names);
	free(no->domain);
	EVP_PKEY_free(no->pkey);
	sb_free(&no->csr);
	free(no->key_path);
}

int cmd_order_new(struct cli *cli, int argc, char **argv)
{
	struct new_order no;
	char    sha256[SHA256_HEX_LEN + 1];
	int     rc = 1;

	memset(&no, 0, sizeof(no));
	if (order_args_parse(argc, argv, &no.args) < 0 || !no.args.domain || !no.args.ca
	    || !no.args.target || no.args.key) {
		new_order_free(&no);
		return cli_usage(cli_find_command("order", "new"));
	}
	if (cli_open_ledger(cli) == 0
	    && order_args_check(cli, &no.args) == 0
	    && make_key_and_csr(cli, &no, sha256) == 0) {
		rc = order_args_record(cli, &no.args, no.key_path, sha256, &no.id);
		if (rc != 0)
			unlink(no.key_path);
	}
	if (rc == 0) {
		fprintf(stderr, "order %lld recorded, key %s\n", no.id, no.key_path);
		fwrite(no.csr.data, 1, no.csr.len, stdout);
	}
	new_order_free(&no);
	return rc;
}
