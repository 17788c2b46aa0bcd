/*
 * record_cert - put a certificate where the installer takes it, for the
 * installer's shell tests (tests/t-install-*.sh).
 *
 * Usage: record_cert CONFIG ORDER_ID LEAF.pem [CHAIN.pem...]
 *
 * Loads CONFIG (mailcert.conf(5)), opens its order book ([ledger]
 * orders, or [ledger] url) as root does (LEDGER_ROLE_BOOK; the book is
 * made when it does not exist yet) and adds an install job for order
 * ORDER_ID with book_install_add(): the first certificate of LEAF.pem as
 * the leaf (its SHA-256 and dates taken from it), every certificate of
 * the CHAIN.pem files, in the order given, as its chain PEM.  This is
 * what install_take_requests() does with an install request of the
 * intake, without the intake.  Prints the job's id (that of the job
 * already there when the order has one for this certificate).
 *
 * No checks of the certificate or the order: the installer must make
 * them.  Exit 0, 1 with the reason, 2 on bad usage.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "fingerprint.h"
#include "ledger.h"

/* pem_x509 - one certificate as OpenSSL writes it, appended to out */

static int pem_x509(X509 *x, struct strbuf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (bio && PEM_write_bio_X509(bio, x) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0) {
		sb_append(out, data, (size_t) len);
		rc = 0;
	}
	BIO_free(bio);
	return rc;
}

/* read_certs - the certificates of a PEM file, at most max; how many */

static int read_certs(const char *path, X509 **first, struct strbuf *pem, int max)
{
	FILE *fp = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (fp == NULL)
		return 0;
	while ((max == 0 || n < max) && (x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		if (pem_x509(x, pem) < 0) {
			X509_free(x);
			break;
		}
		if (n++ == 0 && first)
			*first = x;
		else
			X509_free(x);
	}
	fclose(fp);
	return n;
}

static long long asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (long long) timegm(&tm);
}

static struct ledger *open_book(const char *config_path)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger_location where;
	struct ledger *book = NULL;
	struct config *cfg = NULL;

	if (config_load(config_path, &cfg, &err) == 0) {
		ledger_location_of(&where, cfg, "mailcert test tool");
		if (ledger_open(&where, LEDGER_ROLE_BOOK, &book, &err) < 0)
			book = NULL;
	}
	if (book == NULL)
		fprintf(stderr, "record_cert: %s\n", sb_str(&err));
	config_free(cfg);
	sb_free(&err);
	return book;
}

int main(int argc, char **argv)
{
	struct ledger *book;
	struct strbuf leaf = STRBUF_INIT;
	struct strbuf chain = STRBUF_INIT;
	struct install_job job;
	char sha[SHA256_HEX_LEN + 1];
	char *end;
	long long id = 0;
	int is_new = 0;
	int rc = 1;
	int i;
	X509 *x = NULL;

	if (argc < 4) {
		fprintf(stderr, "usage: record_cert CONFIG ORDER_ID LEAF.pem [CHAIN.pem...]\n");
		return 2;
	}
	memset(&job, 0, sizeof(job));
	job.order_id = strtoll(argv[2], &end, 10);
	if (*end || end == argv[2] || job.order_id <= 0) {
		fprintf(stderr, "record_cert: %s: not an order id\n", argv[2]);
		return 2;
	}
	if (read_certs(argv[3], &x, &leaf, 1) != 1 || cert_sha256_hex(x, sha) < 0) {
		fprintf(stderr, "record_cert: %s: not a PEM certificate\n", argv[3]);
		goto out;
	}
	for (i = 4; i < argc; i++)
		if (read_certs(argv[i], NULL, &chain, 0) == 0) {
			fprintf(stderr, "record_cert: %s: not a PEM certificate\n", argv[i]);
			goto out;
		}
	if ((book = open_book(argv[1])) == NULL)
		goto out;
	job.cert_sha256 = sha;
	job.not_before = asn1_time(X509_get0_notBefore(x));
	job.not_after = asn1_time(X509_get0_notAfter(x));
	job.leaf_pem = (char *) sb_str(&leaf);
	job.chain_pem = (char *) sb_str(&chain);
	if (book_install_add(book, &job, &id, &is_new) < 0) {
		fprintf(stderr, "record_cert: %s\n", ledger_error(book));
	} else {
		printf("%lld\n", id);
		rc = 0;
	}
	ledger_close(book);
out:
	X509_free(x);
	sb_free(&leaf);
	sb_free(&chain);
	return rc;
}
