/*
 * test_verify - the installer's checks on a certificate: every refusal
 * with its reason, and the chain it would write.
 *
 * Certificates and keys are those of the test PKI (tests/fixtures/pki,
 * see tests/pki/make-test-pki).  Each case gives the PEM files that make
 * the bundle, in the order a mail might have them.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "certbundle.h"
#include "check.h"
#include "install.h"
#include "fingerprint.h"
#include "strbuf.h"
#include "strlist.h"
#include "verify.h"

#define PKI	"tests/fixtures/pki/"
#define TRUST_FILE	PKI "root.crt"
#define TRUST_DIR	PKI "trust"

/* 2027-01-01 00:00:00 UTC: inside every valid certificate's life. */
#define NOW_2027	((time_t) 1798761600)

/* A chain out-parameter the function under test did not set. */
static char chain_not_set;
#define CHAIN_NOT_SET	((STACK_OF(X509) *) &chain_not_set)

struct verify_case {
	const char *name;
	const char *certs;		/* PKI names, comma-separated, in mail order */
	const char *key;		/* the order's key */
	const char *names;		/* the order's names, comma-separated */
	const char *trust;
	time_t  now;
	int     want_rc;
	const char *want_why;		/* a part of why, on failure */
	const char *want_leaf;		/* the leaf found, on success */
};

static const struct verify_case cases[] = {
	{"valid EC leaf with its chain", "www-ec,inter2,inter1", "leaf-ec",
	 "www.example.com,example.com", TRUST_FILE, NOW_2027, 0, NULL, "www-ec"},
	{"valid, chain in the wrong order with root", "root,inter1,www-ec,inter2", "leaf-ec",
	 "www.example.com,example.com", TRUST_FILE, NOW_2027, 0, NULL, "www-ec"},
	{"valid, trust store is a hashed directory", "inter1,www-ec,inter2", "leaf-ec",
	 "example.com", TRUST_DIR, NOW_2027, 0, NULL, "www-ec"},
	{"valid RSA leaf", "inter1,www-rsa", "leaf-rsa", "www.example.com,example.com",
	 TRUST_FILE, NOW_2027, 0, NULL, "www-rsa"},
	{"valid localhost leaf with IP name", "localhost,inter1", "localhost", "localhost,127.0.0.1",
	 TRUST_FILE, NOW_2027, 0, NULL, "localhost"},
	{"the right one among several with the key", "wrong-name,expired,www-ec,inter2,inter1",
	 "leaf-ec", "www.example.com", TRUST_FILE, NOW_2027, 0, NULL, "www-ec"},
	{"of two for the key, the one that expires last (sooner first)", "www-ec-soon,www-ec,inter2,inter1",
	 "leaf-ec", "www.example.com", TRUST_FILE, NOW_2027, 0, NULL, "www-ec"},
	{"of two for the key, the one that expires last (later first)", "www-ec,www-ec-soon,inter2,inter1",
	 "leaf-ec", "www.example.com", TRUST_FILE, NOW_2027, 0, NULL, "www-ec"},
	{"wrong key", "wrong-key,inter2,inter1", "leaf-ec", "www.example.com,example.com",
	 TRUST_FILE, NOW_2027, -1, "certificate is for another key", NULL},
	{"wrong key (RSA order, EC certificate)", "www-ec,inter2,inter1", "leaf-rsa",
	 "www.example.com", TRUST_FILE, NOW_2027, -1, "certificate is for another key", NULL},
	{"wrong name", "wrong-name,inter2,inter1", "leaf-ec", "www.example.com,example.com",
	 TRUST_FILE, NOW_2027, -1, "certificate does not name www.example.com", NULL},
	{"one order name missing", "www-ec,inter2,inter1", "leaf-ec",
	 "www.example.com,mail.example.com", TRUST_FILE, NOW_2027, -1,
	 "certificate does not name mail.example.com", NULL},
	{"common name only, no subjectAltName", "cn-only,inter2,inter1", "leaf-ec",
	 "www.example.com", TRUST_FILE, NOW_2027, -1, "certificate does not name www.example.com", NULL},
	{"expired", "expired,inter2,inter1", "leaf-ec", "www.example.com", TRUST_FILE, NOW_2027, -1,
	 "certificate expired on 2021-06-01 00:00:00 UTC", NULL},
	{"not yet valid", "not-yet-valid,inter2,inter1", "leaf-ec", "www.example.com", TRUST_FILE,
	 NOW_2027, -1, "certificate is not valid before 2045-01-01 00:00:00 UTC", NULL},
	{"valid leaf checked before its life", "www-ec,inter2,inter1", "leaf-ec", "www.example.com",
	 TRUST_FILE, (time_t) 1600000000, -1, "certificate is not valid before 2024-01-01", NULL},
	{"untrusted chain (other root)", "other-root-leaf,other-root", "leaf-ec", "www.example.com",
	 TRUST_FILE, NOW_2027, -1, "chain does not verify to the trust store: self-signed certificate in certificate chain", NULL},
	{"untrusted chain (other root not sent)", "other-root-leaf", "leaf-ec", "www.example.com",
	 TRUST_FILE, NOW_2027, -1, "chain does not verify to the trust store: unable to get local issuer certificate", NULL},
	{"intermediate missing", "www-ec,inter1", "leaf-ec", "www.example.com", TRUST_FILE, NOW_2027,
	 -1, "chain does not verify to the trust store: unable to get local issuer certificate", NULL},
	{"trusting only the other root", "www-ec,inter2,inter1,root", "leaf-ec", "www.example.com",
	 PKI "other-root.crt", NOW_2027, -1, "chain does not verify to the trust store", NULL},
	{"trust store missing", "www-ec,inter2,inter1", "leaf-ec", "www.example.com",
	 PKI "no-such-file.pem", NOW_2027, -1, "trust store " PKI "no-such-file.pem: No such file", NULL},
	{"order without names", "www-ec,inter2,inter1", "leaf-ec", "", TRUST_FILE, NOW_2027, -1,
	 "the order has no names", NULL},
	{"empty bundle", "", "leaf-ec", "www.example.com", TRUST_FILE, NOW_2027, -1,
	 "no certificate to check", NULL},
};

/* split - a comma-separated list */
static void split(const char *text, struct strlist *list)
{
	size_t  len;

	for (; *text; text += len + (text[len] == ',')) {
		len = strcspn(text, ",");
		strlist_add_owned(list, strndup(text, len));
	}
}

/* make_bundle - the PKI certificates named, as one mail's text each */
static void make_bundle(const char *names, struct certbundle *bundle)
{
	struct parse_limits limits;
	struct strlist list = STRLIST_INIT;
	struct strbuf data = STRBUF_INIT;
	char    path[256];
	size_t  i;

	parse_limits_default(&limits);
	certbundle_init(bundle);
	split(names, &list);
	for (i = 0; i < list.count; i++) {
		snprintf(path, sizeof(path), PKI "%s.crt", list.items[i]);
		check_read_file(path, &data);
		certbundle_add_text(bundle, data.data, data.len, list.items[i], &limits);
	}
	certbundle_order(bundle);
	strlist_free(&list);
	sb_free(&data);
}

static EVP_PKEY *pki_key(const char *name)
{
	struct strbuf err = STRBUF_INIT;
	char    path[256];
	EVP_PKEY *key;

	snprintf(path, sizeof(path), PKI "%s.key", name);
	if ((key = key_read_file(path, &err)) == NULL)
		printf("# %s\n", sb_str(&err));
	sb_free(&err);
	return key;
}

static void run_case(const struct verify_case *c)
{
	struct certbundle bundle;
	struct strlist names = STRLIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct cert_found *leaf = NULL;
	STACK_OF(X509) *chain = CHAIN_NOT_SET;
	EVP_PKEY *key = pki_key(c->key);
	char    name[300];
	int     rc;

	make_bundle(c->certs, &bundle);
	split(c->names, &names);
	rc = cert_verify_for_order(&bundle, key, &names, c->trust, c->now, &leaf, &chain, &why);
	snprintf(name, sizeof(name), "%s: result", c->name);
	if (!check_int(rc, c->want_rc, name))
		printf("# why: %s\n", sb_str(&why));
	snprintf(name, sizeof(name), "%s: verified chain starts at the leaf, or none", c->name);
	if (!check_true(chain != CHAIN_NOT_SET, name))
		chain = NULL;
	check_true(rc == 0 ? chain != NULL && leaf != NULL && sk_X509_value(chain, 0) == leaf->x509
		   : chain == NULL, name);
	sk_X509_pop_free(chain, X509_free);
	if (c->want_why) {
		snprintf(name, sizeof(name), "%s: why", c->name);
		check_contains(sb_str(&why), c->want_why, name);
	}
	if (c->want_leaf) {
		snprintf(name, sizeof(name), "%s: leaf", c->name);
		check_str(leaf ? leaf->source : NULL, c->want_leaf, name);
	} else {
		snprintf(name, sizeof(name), "%s: no leaf", c->name);
		check_true(leaf == NULL, name);
	}
	EVP_PKEY_free(key);
	certbundle_free(&bundle);
	strlist_free(&names);
	sb_free(&why);
}

/* pki_pems - the PEM files of the PKI names, one after the other */
static void pki_pems(const char *names, struct strbuf *out)
{
	struct strlist list = STRLIST_INIT;
	struct strbuf data = STRBUF_INIT;
	char    path[256];
	size_t  i;

	sb_reset(out);
	split(names, &list);
	for (i = 0; i < list.count; i++) {
		snprintf(path, sizeof(path), PKI "%s.crt", list.items[i]);
		check_read_file(path, &data);
		sb_append(out, data.data, data.len);
	}
	strlist_free(&list);
	sb_free(&data);
}

/* test_chain_write_pem - issuer order, no root, whatever the mail's order */
static void test_chain_write_pem(void)
{
	static const char *orders[] = {
		"root,inter1,www-ec,inter2",
		"inter1,inter2,www-ec",
		"www-ec,root,inter2,inter1",
	};
	struct certbundle bundle;
	struct strlist names = STRLIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct strbuf leaf_pem = STRBUF_INIT;
	struct strbuf chain_pem = STRBUF_INIT;
	struct strbuf want_leaf = STRBUF_INIT;
	struct strbuf want_chain = STRBUF_INIT;
	struct cert_found *leaf;
	STACK_OF(X509) *chain;
	EVP_PKEY *key = pki_key("leaf-ec");
	char    name[300];
	size_t  i;

	pki_pems("www-ec", &want_leaf);
	pki_pems("inter2,inter1", &want_chain);
	split("www.example.com,example.com", &names);
	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		make_bundle(orders[i], &bundle);
		leaf = NULL;
		chain = NULL;
		sb_reset(&why);
		snprintf(name, sizeof(name), "chain given as %s: verifies", orders[i]);
		if (!check_int(cert_verify_for_order(&bundle, key, &names, TRUST_FILE, NOW_2027,
						     &leaf, &chain, &why), 0, name) || leaf == NULL) {
			printf("# why: %s\n", sb_str(&why));
			certbundle_free(&bundle);
			continue;
		}
		snprintf(name, sizeof(name), "chain given as %s: chain_write_pem", orders[i]);
		check_int(chain_write_pem(chain, &leaf_pem, &chain_pem), 0, name);
		snprintf(name, sizeof(name), "chain given as %s: leaf PEM", orders[i]);
		check_str(sb_str(&leaf_pem), sb_str(&want_leaf), name);
		snprintf(name, sizeof(name), "chain given as %s: inter2 then inter1, no root", orders[i]);
		check_str(sb_str(&chain_pem), sb_str(&want_chain), name);
		sk_X509_pop_free(chain, X509_free);
		certbundle_free(&bundle);
	}
	check_int(chain_write_pem(NULL, &leaf_pem, &chain_pem), -1, "chain_write_pem: no chain");
	check_int((long long) leaf_pem.len + (long long) chain_pem.len, 0,
		  "chain_write_pem: no chain leaves both empty");
	EVP_PKEY_free(key);
	strlist_free(&names);
	sb_free(&why);
	sb_free(&leaf_pem);
	sb_free(&chain_pem);
	sb_free(&want_leaf);
	sb_free(&want_chain);
}

/* write_temp_file - text into a new file under /tmp; its name in path */
static int write_temp_file(const char *text, char *path, size_t size)
{
	int     fd;
	ssize_t n;

	snprintf(path, size, "/tmp/mailcert-test-trust.XXXXXX");
	if ((fd = mkstemp(path)) < 0) {
		printf("# mkstemp: cannot make a temporary file\n");
		return -1;
	}
	n = write(fd, text, strlen(text));
	close(fd);
	if (n != (ssize_t) strlen(text)) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* test_verified_chain_from_store - the verified chain, and an intermediate
 * only the trust store had */
static void test_verified_chain_from_store(void)
{
	struct certbundle bundle;
	struct strbuf why = STRBUF_INIT;
	struct strbuf leaf_pem = STRBUF_INIT;
	struct strbuf chain_pem = STRBUF_INIT;
	struct strbuf want = STRBUF_INIT;
	STACK_OF(X509) *chain = NULL;
	char    trust[64];

	make_bundle("www-rsa", &bundle);
	/* The trust store holds only root: inter1 is missing. */
	check_int(cert_verify_chain(&bundle, &bundle.certs[0], TRUST_FILE, NOW_2027, &chain, &why), -1,
		  "leaf without its intermediate does not verify");
	check_true(chain == NULL, "no chain handed out on failure");
	certbundle_free(&bundle);

	make_bundle("www-rsa,inter1", &bundle);
	sb_reset(&why);
	if (check_int(cert_verify_chain(&bundle, &bundle.certs[0], TRUST_FILE, NOW_2027, &chain, &why),
		      0, "cert_verify_chain: verifies"))
		check_int(sk_X509_num(chain), 3, "cert_verify_chain: leaf, intermediate, root");
	pki_pems("inter1", &want);
	check_int(chain_write_pem(chain, &leaf_pem, &chain_pem), 0, "chain_write_pem: RSA leaf");
	check_str(sb_str(&chain_pem), sb_str(&want), "chain_write_pem: inter1 only, root left out");
	sk_X509_pop_free(chain, X509_free);
	chain = NULL;
	check_int(cert_verify_chain(&bundle, &bundle.certs[0], PKI "other-root.crt", NOW_2027, &chain,
				    &why), -1, "cert_verify_chain: refused with the wrong trust store");
	check_true(chain == NULL, "cert_verify_chain: no chain with the wrong trust store");
	certbundle_free(&bundle);

	/* A trust store holding root and inter1; the mail has the leaf only. */
	make_bundle("www-rsa", &bundle);
	pki_pems("root,inter1", &want);
	if (check_true(write_temp_file(sb_str(&want), trust, sizeof(trust)) == 0,
		       "a trust store of root and inter1 is written")) {
		sb_reset(&why);
		if (!check_int(cert_verify_chain(&bundle, &bundle.certs[0], trust, NOW_2027, &chain,
						 &why), 0, "leaf alone verifies with inter1 in the store"))
			printf("# why: %s\n", sb_str(&why));
		pki_pems("inter1", &want);
		check_int(chain_write_pem(chain, &leaf_pem, &chain_pem), 0,
			  "chain_write_pem: leaf whose intermediate the store had");
		check_str(sb_str(&chain_pem), sb_str(&want),
			  "chain_write_pem: the store's intermediate is written, its root is not");
		sk_X509_pop_free(chain, X509_free);
		unlink(trust);
	}
	certbundle_free(&bundle);
	sb_free(&why);
	sb_free(&leaf_pem);
	sb_free(&chain_pem);
	sb_free(&want);
}

/* test_public_key_and_today - the order key as a public key; today's date */
static void test_public_key_and_today(void)
{
	struct certbundle bundle;
	struct strlist names = STRLIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct cert_found *leaf = NULL;
	EVP_PKEY *pub;

	make_bundle("www-ec,inter2,inter1", &bundle);
	split("www.example.com,example.com", &names);
	pub = X509_get_pubkey(bundle.certs[0].x509);
	check_int(cert_verify_for_order(&bundle, pub, &names, TRUST_FILE, time(NULL), &leaf, NULL, &why), 0,
		  "public order key, verified now (committed PKI still valid)");
	if (why.len)
		printf("# why: %s\n", sb_str(&why));
	check_true(leaf == &bundle.certs[0], "public order key: leaf points into the bundle");
	EVP_PKEY_free(pub);
	certbundle_free(&bundle);
	strlist_free(&names);
	sb_free(&why);
}

int main(void)
{
	size_t  i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_chain_write_pem();
	test_verified_chain_from_store();
	test_public_key_and_today();
	return check_done();
}
