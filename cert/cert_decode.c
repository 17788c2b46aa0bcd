/*
 * NAME
 *	cert_decode - certificates out of PEM text, DER and PKCS#7
 * SYNOPSIS
 *	#include "certbundle_int.h"
 *
 *	size_t cert_decode_pem_text(struct certbundle *bundle, const char *text,
 *				    size_t len, const char *label,
 *				    const struct parse_limits *limits)
 *	size_t cert_decode_der(struct certbundle *bundle, const unsigned char *der,
 *			       size_t len, const char *label,
 *			       const struct parse_limits *limits)
 * DESCRIPTION
 *	cert_decode_pem_text() finds every PEM block labelled CERTIFICATE,
 *	X509 CERTIFICATE, TRUSTED CERTIFICATE, PKCS7 or PKCS #7 SIGNED DATA
 *	in text as a mail shows it: lines ending in CRLF or LF, indented,
 *	quoted with "> ", or broken with HTML tags such as <br>.  Blocks of
 *	other labels (keys, requests) are passed over.  A block that is not
 *	base64 or not a certificate gets a note.
 *
 *	cert_decode_der() reads one or more DER certificates one after the
 *	other, or else one DER PKCS#7 (a degenerate, certificates-only
 *	SignedData).
 *
 *	Certificates are decoded through the bundle's cert_cache (when it
 *	has one), so a CA's intermediates are decoded once per parser.
 *	Both hand what they find to certbundle_take() under label and return
 *	how many certificates they decoded.  Nothing is read past len, and no
 *	OpenSSL error is left in the thread's queue.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#include "certbundle_int.h"
#include "mymalloc.h"
#include "strbuf.h"

enum pem_kind {
	PEM_OTHER = 0,
	PEM_X509,
	PEM_X509_AUX,
	PEM_PKCS7,
};

static const struct {
	const char *label;
	enum pem_kind kind;
} pem_labels[] = {
	{"CERTIFICATE", PEM_X509},
	{"X509 CERTIFICATE", PEM_X509},
	{"TRUSTED CERTIFICATE", PEM_X509_AUX},
	{"PKCS7", PEM_PKCS7},
	{"PKCS #7 SIGNED DATA", PEM_PKCS7},
};

#define PEM_MAX_LABEL	64

/* find - first occurrence of needle in [from, end), or NULL */
static const char *find(const char *from, const char *end, const char *needle)
{
	size_t  nlen = strlen(needle);

	for (; from + nlen <= end; from++)
		if (*from == *needle && memcmp(from, needle, nlen) == 0)
			return from;
	return NULL;
}

static enum pem_kind pem_kind_of(const char *label, size_t len)
{
	size_t  i;

	for (i = 0; i < sizeof(pem_labels) / sizeof(pem_labels[0]); i++)
		if (strlen(pem_labels[i].label) == len && memcmp(pem_labels[i].label, label, len) == 0)
			return pem_labels[i].kind;
	return PEM_OTHER;
}

static int is_base64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
	    || c == '+' || c == '/' || c == '=';
}

/*
 * pem_body_base64 - the base64 characters of a PEM body as a mail shows
 * it: white space, CR, HTML tags and "> " quote marks at the start of a
 * line dropped.  -1 when anything else is in it.
 */
static int pem_body_base64(const char *body, const char *end, struct strbuf *b64)
{
	int     line_start = 1;
	const char *p;

	for (p = body; p < end; p++) {
		if (*p == '\n') {
			line_start = 1;
		} else if (*p == ' ' || *p == '\t' || *p == '\r') {
			continue;
		} else if (*p == '<') {
			if ((p = memchr(p, '>', (size_t) (end - p))) == NULL)
				return -1;
		} else if (*p == '>' && line_start) {
			continue;
		} else if (is_base64_char((unsigned char) *p)) {
			sb_append(b64, p, 1);
			line_start = 0;
		} else {
			return -1;
		}
	}
	return b64->len > 0 ? 0 : -1;
}

/* base64_to_der - decode b64 into der; -1 when it is not base64 */
static int base64_to_der(const struct strbuf *b64, struct strbuf *der)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char *out;
	int     out_len = 0;
	int     final_len = 0;
	int     ok;

	if (b64->len > 0x3fffffff || (ctx = EVP_ENCODE_CTX_new()) == NULL)
		return -1;
	out = xmalloc(b64->len / 4 * 3 + 80);
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, out, &out_len, (const unsigned char *) b64->data,
			      (int) b64->len) >= 0
	    && EVP_DecodeFinal(ctx, out + out_len, &final_len) == 1;
	if (ok)
		sb_append(der, out, (size_t) (out_len + final_len));
	free(out);
	EVP_ENCODE_CTX_free(ctx);
	return ok && der->len > 0 ? 0 : -1;
}

/* pkcs7_certs - the certificates of a SignedData */
static size_t pkcs7_certs(struct certbundle *bundle, PKCS7 *p7, const char *label,
			  const struct parse_limits *limits)
{
	STACK_OF(X509) *certs;
	X509   *cert;
	size_t  seen = 0;
	int     i;

	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL || (certs = p7->d.sign->cert) == NULL)
		return 0;
	for (i = 0; i < sk_X509_num(certs); i++) {
		cert = sk_X509_value(certs, i);
		if (X509_up_ref(cert) != 1)
			continue;
		certbundle_take(bundle, cert, label, limits);
		seen++;
	}
	return seen;
}

static size_t pkcs7_der(struct certbundle *bundle, const unsigned char *der, size_t len,
			const char *label, const struct parse_limits *limits)
{
	const unsigned char *p = der;
	PKCS7  *p7;
	size_t  seen;

	if (len > 0x7fffffff || (p7 = d2i_PKCS7(NULL, &p, (long) len)) == NULL)
		return 0;
	seen = pkcs7_certs(bundle, p7, label, limits);
	PKCS7_free(p7);
	return seen;
}

size_t cert_decode_der(struct certbundle *bundle, const unsigned char *der, size_t len,
		       const char *label, const struct parse_limits *limits)
{
	const unsigned char *p = der;
	const unsigned char *end = der + len;
	X509   *cert;
	size_t  seen = 0;

	if (len > 0x7fffffff)
		return 0;
	while (p < end && *p == 0x30 && certbundle_may_decode(bundle, label, limits)) {
		if ((cert = cert_cache_d2i(bundle->cache, &p, (long) (end - p))) == NULL)
			break;
		certbundle_take(bundle, cert, label, limits);
		seen++;
	}
	if (seen == 0)
		seen = pkcs7_der(bundle, der, len, label, limits);
	ERR_clear_error();
	return seen;
}

/* pem_block - decode one block's body, of the given kind */
static size_t pem_block(struct certbundle *bundle, enum pem_kind kind, const char *body,
			const char *end, size_t block_no, const char *label,
			const struct parse_limits *limits)
{
	struct strbuf b64 = STRBUF_INIT;
	struct strbuf der = STRBUF_INIT;
	const unsigned char *p;
	X509   *cert = NULL;
	size_t  seen = 0;

	if (pem_body_base64(body, end, &b64) != 0 || base64_to_der(&b64, &der) != 0) {
		certbundle_note(bundle, "%s: PEM block %zu is not valid base64", label, block_no);
		goto out;
	}
	p = (const unsigned char *) der.data;
	if (der.len > 0x7fffffff)
		goto out;
	if (kind == PEM_X509)
		cert = cert_cache_d2i(bundle->cache, &p, (long) der.len);
	else if (kind == PEM_X509_AUX)
		cert = d2i_X509_AUX(NULL, &p, (long) der.len);
	if (cert != NULL) {
		certbundle_take(bundle, cert, label, limits);
		seen = 1;
	} else if (kind == PEM_PKCS7) {
		seen = pkcs7_der(bundle, (const unsigned char *) der.data, der.len, label, limits);
	}
	if (seen == 0)
		certbundle_note(bundle, "%s: PEM block %zu is not a certificate", label, block_no);
	ERR_clear_error();
out:
	sb_free(&b64);
	sb_free(&der);
	return seen;
}

size_t cert_decode_pem_text(struct certbundle *bundle, const char *text, size_t len,
			    const char *label, const struct parse_limits *limits)
{
	const char *end = text + len;
	const char *pos = text;
	const char *begin;
	const char *name;
	const char *name_end;
	const char *footer;
	char    end_line[PEM_MAX_LABEL + 16];
	enum pem_kind kind;
	size_t  seen = 0;
	size_t  block_no = 0;

	while ((begin = find(pos, end, "-----BEGIN ")) != NULL) {
		name = begin + strlen("-----BEGIN ");
		name_end = find(name, end - name > PEM_MAX_LABEL + 5 ? name + PEM_MAX_LABEL + 5 : end,
				"-----");
		if (name_end == NULL) {
			pos = name;
			continue;
		}
		pos = name_end + 5;
		if ((kind = pem_kind_of(name, (size_t) (name_end - name))) == PEM_OTHER)
			continue;
		block_no++;
		snprintf(end_line, sizeof(end_line), "-----END %.*s-----",
			 (int) (name_end - name), name);
		if ((footer = find(pos, end, end_line)) == NULL) {
			certbundle_note(bundle, "%s: PEM block %zu has no END line", label, block_no);
			break;
		}
		if (!certbundle_may_decode(bundle, label, limits))
			break;
		seen += pem_block(bundle, kind, pos, footer, block_no, label, limits);
		pos = footer + strlen(end_line);
	}
	return seen;
}
