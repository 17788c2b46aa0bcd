/*
 * record_cert - put a certificate into the ledger as the milter would, for
 * the installer's shell tests (tests/t-install-*.sh).
 *
 * Usage: record_cert LEDGER ORDER_ID LEAF.pem [CHAIN.pem...]
 *
 * Records the leaf (with its SHA-256, public key hash, names and dates)
 * and the chain files' certificates as its chain PEM, in the order given,
 * makes the order issued and adds the install job, whose id it prints.
 * No checks: the installer must make them.  Exit 0, or 1 with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fingerprint.h"
#include "ledger.h"

static X509 *read_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	if (fp == NULL)
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

static int append_pem_file(const char *path, struct strbuf *out)
{
	X509 *x = read_cert(path);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (x && PEM_write_bio_X509(bio, x) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0) {
		sb_append(out, data, (size_t) len);
		rc = 0;
	}
	X509_free(x);
	BIO_free(bio);
	return rc;
}

static long long asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (long long) timegm(&tm);
}

static void dns_names(X509 *x, struct strlist *names)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i;

	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);

		if (gen->type == GEN_DNS)
			strlist_add(names, (const char *) ASN1_STRING_get0_data(gen->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
}

int main(int argc, char **argv)
{
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;
	struct strbuf leaf = STRBUF_INIT;
	struct strbuf chain = STRBUF_INIT;
	struct cert_record c;
	char sha[SHA256_HEX_LEN + 1];
	char spki[SHA256_HEX_LEN + 1];
	long long job = 0;
	int is_new;
	int i;
	X509 *x;

	if (argc < 4) {
		fprintf(stderr, "usage: record_cert LEDGER ORDER_ID LEAF.pem [CHAIN.pem...]\n");
		return 2;
	}
	if ((x = read_cert(argv[3])) == NULL || cert_sha256_hex(x, sha) < 0
	    || pkey_spki_sha256_hex(X509_get0_pubkey(x), spki) < 0 || append_pem_file(argv[3], &leaf) < 0) {
		fprintf(stderr, "record_cert: %s: not a PEM certificate\n", argv[3]);
		return 1;
	}
	for (i = 4; i < argc; i++)
		if (append_pem_file(argv[i], &chain) < 0) {
			fprintf(stderr, "record_cert: %s: not a PEM certificate\n", argv[i]);
			return 1;
		}
	memset(&c, 0, sizeof(c));
	c.order_id = atoll(argv[2]);
	c.sha256 = sha;
	c.spki_sha256 = spki;
	c.leaf_pem = (char *) sb_str(&leaf);
	c.chain_pem = (char *) sb_str(&chain);
	dns_names(x, &c.names);
	c.not_before = asn1_time(X509_get0_notBefore(x));
	c.not_after = asn1_time(X509_get0_notAfter(x));
	if (ledger_open(argv[1], 5000, &ledger, &err) < 0
	    || ledger_record_certificate(ledger, &c, &is_new) < 0
	    || ledger_set_order_state(ledger, c.order_id, ORDER_ISSUED, "certificate by test") < 0
	    || ledger_add_install_job(ledger, c.order_id, c.id, &job, &is_new) < 0) {
		fprintf(stderr, "record_cert: %s\n", ledger ? ledger_error(ledger) : sb_str(&err));
		return 1;
	}
	printf("%lld\n", job);
	strlist_free(&c.names);
	ledger_close(ledger);
	X509_free(x);
	sb_free(&leaf);
	sb_free(&chain);
	sb_free(&err);
	return 0;
}
