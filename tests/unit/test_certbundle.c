/*
 * test_certbundle - certificates found wherever a CA put them, in chain
 * order, and hostile attachments stopped at their limits.
 *
 * Inputs are the raw attachments in tests/fixtures/cert-parts/ (written
 * byte for byte what the cert-*.eml mails carry; see
 * tests/fixtures/make-cert-mails)
 * and the mails' text.  Expected chains are named by the files of the test
 * PKI (tests/fixtures/pki/NAME.crt), whose hashes are computed here.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "certbundle.h"
#include "check.h"
#include "install.h"
#include "fingerprint.h"
#include "strbuf.h"

#define PARTS	"tests/fixtures/cert-parts/"
#define PKI	"tests/fixtures/pki/"

enum input {
	TEXT,				/* certbundle_add_text() */
	ATTACHMENT,			/* certbundle_add_attachment() */
};

struct bundle_case {
	const char *name;
	enum input input;
	const char *path;		/* file whose bytes are given */
	const char *filename;		/* attachment name as the mail says */
	const char *chain;		/* PKI names in the expected order, or NULL */
	const char *roles;		/* roles in order */
	size_t  count;
	const char *limit_hit;
	const char *note;		/* a note that must be there, or NULL */
	const char *source;		/* the first certificate's source, or NULL */
};

static const struct bundle_case cases[] = {
	{"PEM in the mail body", TEXT, "tests/fixtures/cert-pem-body.eml", NULL,
	 "www-ec,inter2,inter1", "leaf,intermediate,intermediate", 3, NULL, NULL, "part 1"},
	{"chain in the wrong order, indented, CRLF", TEXT, "tests/fixtures/cert-wrong-order.eml", NULL,
	 "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4, NULL, NULL, NULL},
	{".crt PEM attachment", ATTACHMENT, PARTS "www_example_com.crt", "www_example_com.crt",
	 "www-ec", "leaf", 1, NULL, NULL, "part 2 (www_example_com.crt)"},
	{".ca-bundle attachment", ATTACHMENT, PARTS "www_example_com.ca-bundle",
	 "www_example_com.ca-bundle", "inter2,inter1", "intermediate,intermediate", 2, NULL, NULL, NULL},
	{".cer DER attachment", ATTACHMENT, PARTS "www_example_com.cer", "www_example_com.cer",
	 "www-ec", "leaf", 1, NULL, NULL, NULL},
	{".p7b PEM attachment", ATTACHMENT, PARTS "certificate.p7b", "certificate.p7b",
	 "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4, NULL, NULL, NULL},
	{".p7b DER attachment, root first", ATTACHMENT, PARTS "certificate-der.p7b", "certificate.p7b",
	 "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4, NULL, NULL, NULL},
	{"Sectigo ZIP (.crt and .ca-bundle)", ATTACHMENT, PARTS "www_example_com.zip",
	 "www_example_com.zip", "www-ec,inter2,inter1", "leaf,intermediate,intermediate", 3, NULL, NULL,
	 "part 2 (www_example_com.zip): www_example_com.crt"},
	{"DigiCert ZIP, names not in chain order", ATTACHMENT, PARTS "www_example_com_digicert.zip",
	 "www_example_com.zip", "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4,
	 NULL, NULL, NULL},
	{"ZIP without a name: sniffed", ATTACHMENT, PARTS "www_example_com_digicert.zip", NULL,
	 "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4, NULL, NULL, NULL},
	{"ZIP named .bin: sniffed", ATTACHMENT, PARTS "www_example_com.zip", "download.bin",
	 "www-ec,inter2,inter1", "leaf,intermediate,intermediate", 3, NULL, NULL, NULL},
	{"DER without extension: sniffed", ATTACHMENT, PARTS "www_example_com.cer", "certificate",
	 "www-ec", "leaf", 1, NULL, NULL, NULL},
	{"PEM p7b named .txt: sniffed", ATTACHMENT, PARTS "certificate.p7b", "cert.txt",
	 "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4, NULL, NULL, NULL},
	{"ZIP in a ZIP is read", ATTACHMENT, PARTS "nested.zip", "nested.zip",
	 "www-ec,inter2,inter1", "leaf,intermediate,intermediate", 3, NULL, NULL,
	 "part 2 (nested.zip): inner.zip: www_example_com.crt"},
	{"ZIP in a ZIP in a ZIP is not", ATTACHMENT, PARTS "nested3.zip", "nested3.zip",
	 NULL, "", 0, NULL, "nested too deep", NULL},
	{"ZIP member names are only labels", ATTACHMENT, PARTS "traversal.zip", "www_example_com.zip",
	 "www-ec,inter2", "leaf,intermediate", 2, NULL, NULL,
	 "part 2 (www_example_com.zip): ../../www_example_com.crt"},
	{"zip bomb stops at max_unpacked_size", ATTACHMENT, PARTS "bomb.zip", "www_example_com.zip",
	 NULL, "", 0, "max_unpacked_size", "over max_unpacked_size", NULL},
	{"zip bomb with lying sizes stops at max_attachment_size", ATTACHMENT, PARTS "bomb-member.zip",
	 "www_example_com.zip", NULL, "", 0, "max_attachment_size", "more than max_attachment_size", NULL},
	{".crt that is not a certificate", ATTACHMENT, PARTS "junk.crt", "www_example_com.crt",
	 NULL, "", 0, NULL, "part 2 (www_example_com.crt): not a certificate", NULL},
	{"attachment named ../../etc/passwd", ATTACHMENT, PARTS "passwd", "../../etc/passwd",
	 NULL, "", 0, NULL, NULL, NULL},
	{"attachment named ../../tmp/x.crt", ATTACHMENT, PARTS "www_example_com.crt", "../../tmp/x.crt",
	 "www-ec", "leaf", 1, NULL, NULL, "part 2 (../../tmp/x.crt)"},
	{"too many certificates", TEXT, "tests/fixtures/hostile-cert-too-many.eml", NULL,
	 NULL, NULL, 32, "max_certificates", "more than 32 certificates", NULL},
	{"not a ZIP named .zip", ATTACHMENT, PARTS "junk.crt", "bundle.zip",
	 NULL, "", 0, NULL, "not a ZIP archive", NULL},
	/* SSL.com's bundle for nginx: PEM text named www_example_com.zip */
	{"PEM text named .zip: read as what it is", ATTACHMENT, PARTS "www_example_com_nginx.pem",
	 "www_example_com.zip", "www-ec,inter2,inter1", "leaf,intermediate,intermediate", 3, NULL, NULL,
	 "part 2 (www_example_com.zip)"},
	{"SSL.com ZIP, CA certificates named by their CN", ATTACHMENT, PARTS "www_example_com_sslcom.zip",
	 "www_example_com.zip", "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4,
	 NULL, NULL, NULL},
	{"SSL.com chain in the text, subjects listed before it", TEXT, "tests/fixtures/cert-sslcom-zip.eml",
	 NULL, "www-ec,inter2,inter1,root", "leaf,intermediate,intermediate,root", 4, NULL, NULL, "part 1"},
};

/* pki_pem - the PEM file PKI/NAME.EXT opened as a BIO, or NULL */
static BIO *pki_pem(const char *name, const char *ext)
{
	char    path[256];

	snprintf(path, sizeof(path), PKI "%s.%s", name, ext);
	return BIO_new_file(path, "r");
}

static X509 *pki_cert(const char *name)
{
	BIO    *bio = pki_pem(name, "crt");
	X509   *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return cert;
}

static EVP_PKEY *pki_key(const char *name)
{
	BIO    *bio = pki_pem(name, "key");
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return key;
}

/* impostor_pem - inter1's name, key identifiers and extensions on another
 * key, signed by the root: only a signature tells it from inter1 as
 * issuer of www-rsa */
static void impostor_pem(struct strbuf *out)
{
	X509   *inter1 = pki_cert("inter1");
	X509   *fake = inter1 ? X509_dup(inter1) : NULL;
	EVP_PKEY *other = pki_key("other-root");
	EVP_PKEY *root = pki_key("root");
	BIO    *bio = BIO_new(BIO_s_mem());
	char   *data;
	long    len;

	sb_reset(out);
	if (fake && other && root && bio && X509_set_pubkey(fake, other) == 1
	    && X509_sign(fake, root, EVP_sha256()) > 0 && PEM_write_bio_X509(bio, fake) == 1
	    && (len = BIO_get_mem_data(bio, &data)) > 0)
		sb_append(out, data, (size_t) len);
	else
		printf("# cannot make the impostor intermediate\n");
	BIO_free(bio);
	EVP_PKEY_free(root);
	EVP_PKEY_free(other);
	X509_free(fake);
	X509_free(inter1);
}

static void pki_sha256(const char *name, char out[SHA256_HEX_LEN + 1])
{
	X509   *cert = pki_cert(name);

	strcpy(out, "(no such PKI file)");
	if (cert != NULL)
		cert_sha256_hex(cert, out);
	X509_free(cert);
}

/* chain_names - the PKI names (of those in want) of the bundle's
 * certificates, in the bundle's order; "?" for any other */
static void chain_names(const struct certbundle *bundle, const char *want, struct strbuf *out)
{
	char    sha[SHA256_HEX_LEN + 1];
	char    name[64];
	const char *label;
	const char *p;
	size_t  len;
	size_t  i;

	sb_reset(out);
	for (i = 0; i < bundle->count; i++) {
		label = "?";
		for (p = want; *p; p += len + (p[len] == ',')) {
			len = strcspn(p, ",");
			snprintf(name, sizeof(name), "%.*s", (int) len, p);
			pki_sha256(name, sha);
			if (strcmp(sha, bundle->certs[i].sha256) == 0) {
				label = name;
				break;
			}
		}
		sb_appendf(out, "%s%s", i ? "," : "", label);
	}
}

static void roles_of(const struct certbundle *bundle, struct strbuf *out)
{
	size_t  i;

	sb_reset(out);
	for (i = 0; i < bundle->count; i++)
		sb_appendf(out, "%s%s", i ? "," : "", cert_role_name(bundle->certs[i].role));
}

static const char *note_with(const struct certbundle *bundle, const char *part)
{
	size_t  i;

	for (i = 0; i < bundle->notes.count; i++)
		if (strstr(bundle->notes.items[i], part))
			return bundle->notes.items[i];
	return bundle->notes.count ? bundle->notes.items[0] : "(no notes)";
}

static void run_case(const struct bundle_case *c)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf data = STRBUF_INIT;
	struct strbuf got = STRBUF_INIT;
	char    name[300];

	parse_limits_default(&limits);
	certbundle_init(&bundle);
	check_read_file(c->path, &data);
	if (c->input == TEXT)
		certbundle_add_text(&bundle, data.data, data.len, "part 1", &limits);
	else
		certbundle_add_attachment(&bundle, c->filename, (const unsigned char *) data.data,
					  data.len, "part 2", &limits);
	certbundle_order(&bundle);

	snprintf(name, sizeof(name), "%s: count", c->name);
	check_int((long long) bundle.count, (long long) c->count, name);
	if (c->chain) {
		chain_names(&bundle, c->chain, &got);
		snprintf(name, sizeof(name), "%s: chain order", c->name);
		check_str(sb_str(&got), c->chain, name);
	}
	if (c->roles) {
		roles_of(&bundle, &got);
		snprintf(name, sizeof(name), "%s: roles", c->name);
		check_str(sb_str(&got), c->roles, name);
	}
	snprintf(name, sizeof(name), "%s: limit_hit", c->name);
	check_str(bundle.limit_hit, c->limit_hit, name);
	if (c->note) {
		snprintf(name, sizeof(name), "%s: note", c->name);
		check_contains(note_with(&bundle, c->note), c->note, name);
	}
	if (c->source && bundle.count > 0) {
		snprintf(name, sizeof(name), "%s: source", c->name);
		check_str(bundle.certs[0].source, c->source, name);
	}
	snprintf(name, sizeof(name), "%s: unpacked within max_unpacked_size", c->name);
	check_true(bundle.unpacked_total <= limits.max_unpacked_size, name);
	certbundle_free(&bundle);
	sb_free(&data);
	sb_free(&got);
}

/* test_fields - what is said about one certificate */
static void test_fields(void)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf data = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	char    spki[SHA256_HEX_LEN + 1] = "";
	EVP_PKEY *key;
	const struct cert_found *leaf;

	parse_limits_default(&limits);
	certbundle_init(&bundle);
	check_read_file(PKI "www-ec.crt", &data);
	certbundle_add_text(&bundle, data.data, data.len, "part 1", &limits);
	check_read_file(PKI "localhost.crt", &data);
	certbundle_add_text(&bundle, data.data, data.len, "part 2", &limits);
	if (!check_int((long long) bundle.count, 2, "fields: two certificates"))
		goto out;
	leaf = &bundle.certs[0];
	check_str(leaf->subject, "CN=www.example.com", "fields: subject in RFC 2253");
	check_str(leaf->issuer, "O=mailcert test PKI,CN=mailcert Test Issuing CA 2",
		  "fields: issuer in RFC 2253");
	check_int((long long) leaf->names.count, 2, "fields: two DNS names");
	if (leaf->names.count == 2) {
		check_str(leaf->names.items[0], "www.example.com", "fields: first name");
		check_str(leaf->names.items[1], "example.com", "fields: second name");
	}
	check_int((long long) leaf->not_before, 1704067200LL, "fields: notBefore 2024-01-01");
	check_int((long long) leaf->not_after, 2335219200LL, "fields: notAfter 2044-01-01");
	if ((key = key_read_file(PKI "leaf-ec.key", &err)) != NULL) {
		pkey_spki_sha256_hex(key, spki);
		EVP_PKEY_free(key);
	}
	check_str(leaf->spki_sha256, spki, "fields: spki_sha256 is the key's");
	check_str(leaf->source, "part 1", "fields: source");
	check_int((long long) bundle.certs[1].names.count, 2, "fields: localhost has two names");
	if (bundle.certs[1].names.count == 2)
		check_str(bundle.certs[1].names.items[1], "127.0.0.1", "fields: IP address as text");
out:
	certbundle_free(&bundle);
	sb_free(&data);
	sb_free(&err);
}

/* test_duplicates - one certificate however often it comes */
static void test_duplicates(void)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf crt = STRBUF_INIT;
	struct strbuf zip = STRBUF_INIT;

	parse_limits_default(&limits);
	certbundle_init(&bundle);
	check_read_file(PARTS "www_example_com.crt", &crt);
	check_read_file(PARTS "www_example_com.zip", &zip);
	certbundle_add_text(&bundle, crt.data, crt.len, "part 1", &limits);
	certbundle_add_attachment(&bundle, "a.crt", (const unsigned char *) crt.data, crt.len,
				  "part 2", &limits);
	certbundle_add_attachment(&bundle, "b.zip", (const unsigned char *) zip.data, zip.len,
				  "part 3", &limits);
	check_int((long long) bundle.count, 3, "duplicates: kept once");
	check_str(bundle.limit_hit, NULL, "duplicates: no limit");
	certbundle_free(&bundle);
	sb_free(&crt);
	sb_free(&zip);
}

/* test_mail_text - PEM quoted, broken with <br>, or broken */
static void test_mail_text(void)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf pem = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT;
	const char *p;
	const char *nl;

	parse_limits_default(&limits);
	check_read_file(PKI "www-ec.crt", &pem);
	for (p = pem.data; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		sb_appendf(&text, "> %.*s<br>\r\n", (int) (nl - p), p);
	certbundle_init(&bundle);
	certbundle_add_text(&bundle, text.data, text.len, "part 1", &limits);
	check_int((long long) bundle.count, 1, "quoted with > and <br>: found");
	certbundle_free(&bundle);

	certbundle_init(&bundle);
	sb_reset(&text);
	sb_appends(&text, "-----BEGIN CERTIFICATE-----\nthis is not base64!\n-----END CERTIFICATE-----\n"
		   "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
		   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		   "-----BEGIN CERTIFICATE-----\nAAAA\n");
	certbundle_add_text(&bundle, text.data, text.len, "part 1", &limits);
	check_int((long long) bundle.count, 0, "broken PEM blocks: nothing kept");
	check_contains(note_with(&bundle, "base64"), "part 1: PEM block 1 is not valid base64",
		       "broken PEM: bad base64 noted");
	check_contains(note_with(&bundle, "block 2"), "PEM block 2 is not a certificate",
		       "broken PEM: not a certificate noted");
	check_contains(note_with(&bundle, "END"), "PEM block 3 has no END line",
		       "broken PEM: missing END noted, private key block passed over");
	certbundle_free(&bundle);

	certbundle_init(&bundle);
	sb_reset(&text);
	for (int i = 0; i < 200; i++)
		sb_appends(&text, "-----BEGIN CERTIFICATE-----\n!\n-----END CERTIFICATE-----\n");
	certbundle_add_text(&bundle, text.data, text.len, "part 1", &limits);
	check_int((long long) bundle.notes.count, CERTBUNDLE_MAX_NOTES + 1, "notes are bounded");
	certbundle_free(&bundle);
	sb_free(&pem);
	sb_free(&text);
}

/* test_small_limits - every limit stops what it bounds */
static void test_small_limits(void)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf data = STRBUF_INIT;

	parse_limits_default(&limits);
	limits.max_zip_entries = 2;
	check_read_file(PARTS "www_example_com_digicert.zip", &data);
	certbundle_init(&bundle);
	certbundle_add_attachment(&bundle, "x.zip", (const unsigned char *) data.data, data.len,
				  "part 2", &limits);
	check_int((long long) bundle.count, 2, "max_zip_entries 2: two members read");
	check_str(bundle.limit_hit, "max_zip_entries", "max_zip_entries: limit named");
	certbundle_free(&bundle);

	parse_limits_default(&limits);
	limits.max_attachment_size = 100;
	check_read_file(PARTS "www_example_com.crt", &data);
	certbundle_init(&bundle);
	certbundle_add_attachment(&bundle, "x.crt", (const unsigned char *) data.data, data.len,
				  "part 2", &limits);
	certbundle_add_text(&bundle, data.data, data.len, "part 1", &limits);
	check_int((long long) bundle.count, 0, "max_attachment_size: attachment and text not read");
	check_str(bundle.limit_hit, "max_attachment_size", "max_attachment_size: limit named");
	certbundle_free(&bundle);

	/* The unpacked total is the message's: a second ZIP is not read. */
	parse_limits_default(&limits);
	check_read_file(PARTS "bomb.zip", &data);
	certbundle_init(&bundle);
	certbundle_add_attachment(&bundle, "x.zip", (const unsigned char *) data.data, data.len,
				  "part 2", &limits);
	check_read_file(PARTS "www_example_com.zip", &data);
	certbundle_add_attachment(&bundle, "y.zip", (const unsigned char *) data.data, data.len,
				  "part 3", &limits);
	check_read_file(PARTS "www_example_com.crt", &data);
	certbundle_add_attachment(&bundle, "z.crt", (const unsigned char *) data.data, data.len,
				  "part 4", &limits);
	check_int((long long) bundle.count, 1, "after a zip bomb: a plain .crt is still read");
	check_contains(note_with(&bundle, "already reached"), "part 3 (y.zip)",
		       "after a zip bomb: the next ZIP is not read");
	certbundle_free(&bundle);
	sb_free(&data);
}

/* add_pki_certs - PKI/NAME.crt of each name, as text parts named NAME */
static void add_pki_certs(struct certbundle *bundle, const char *const *names,
			  const struct parse_limits *limits)
{
	struct strbuf data = STRBUF_INIT;
	char    path[256];
	size_t  i;

	for (i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), PKI "%s.crt", names[i]);
		check_read_file(path, &data);
		certbundle_add_text(bundle, data.data, data.len, names[i], limits);
	}
	sb_free(&data);
}

/* test_order_shapes - several leaves, no leaf, look-alike issuers, nothing */
static void test_order_shapes(void)
{
	static const char *scrambled[] = {"root", "inter2", "www-rsa", "inter1", "www-ec", NULL};
	static const char *no_leaf[] = {"inter1", "root", "inter2", NULL};
	static const char *look_alike[] = {"www-rsa", "root", "inter1", NULL};
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf data = STRBUF_INIT;
	struct strbuf got = STRBUF_INIT;

	parse_limits_default(&limits);
	certbundle_init(&bundle);
	add_pki_certs(&bundle, scrambled, &limits);
	certbundle_order(&bundle);
	chain_names(&bundle, "www-rsa,inter1,www-ec,inter2,root", &got);
	check_str(sb_str(&got), "www-rsa,inter1,www-ec,inter2,root", "two leaves: each with its issuers");
	roles_of(&bundle, &got);
	check_str(sb_str(&got), "leaf,intermediate,leaf,intermediate,root", "two leaves: roles");
	certbundle_free(&bundle);

	certbundle_init(&bundle);
	add_pki_certs(&bundle, no_leaf, &limits);
	certbundle_order(&bundle);
	chain_names(&bundle, "inter2,inter1,root", &got);
	check_str(sb_str(&got), "inter2,inter1,root", "no leaf: intermediates in issuer order, root last");
	certbundle_free(&bundle);

	/* Two intermediates by the name www-rsa names as its issuer: the
	 * one whose key signed it is placed after it, wherever it was. */
	certbundle_init(&bundle);
	impostor_pem(&data);
	certbundle_add_text(&bundle, data.data, data.len, "impostor", &limits);
	add_pki_certs(&bundle, look_alike, &limits);
	certbundle_order(&bundle);
	chain_names(&bundle, "www-rsa,inter1,root", &got);
	check_str(sb_str(&got), "www-rsa,inter1,?,root",
		  "same-name intermediates: the signer follows the leaf, the impostor after");
	certbundle_free(&bundle);

	certbundle_init(&bundle);
	certbundle_order(&bundle);
	check_int((long long) bundle.count, 0, "empty bundle orders");
	certbundle_free(&bundle);

	check_str(cert_role_name(CERT_ROLE_LEAF), "leaf", "role name leaf");
	check_str(cert_role_name(CERT_ROLE_INTERMEDIATE), "intermediate", "role name intermediate");
	check_str(cert_role_name(CERT_ROLE_ROOT), "root", "role name root");
	check_str(cert_role_name(CERT_ROLE_UNKNOWN), "unknown", "role name unknown");
	sb_free(&data);
	sb_free(&got);
}

int main(void)
{
	size_t  i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_fields();
	test_duplicates();
	test_mail_text();
	test_small_limits();
	test_order_shapes();
	return check_done();
}
