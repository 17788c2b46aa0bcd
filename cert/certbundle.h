/*
 * certbundle.h - certificates found in one message, wherever the CA put them.
 *
 * The MIME walker (parser.c) hands every text part and every attachment to
 * certbundle_add_*(); certbundle_order() then builds the chain by issuer and
 * subject (never by file name) and marks leaf, intermediates and root.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CERTBUNDLE_H
#define MAILCERT_CERTBUNDLE_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "cert_cache.h"
#include "fingerprint.h"
#include "parse_limits.h"
#include "strlist.h"

enum cert_role {
	CERT_ROLE_UNKNOWN = 0,
	CERT_ROLE_LEAF,			/* not a CA: the one to install */
	CERT_ROLE_INTERMEDIATE,		/* a CA certificate, not self-signed */
	CERT_ROLE_ROOT,			/* self-signed CA certificate */
};

struct cert_found {
	X509   *x509;			/* owned */
	char    sha256[SHA256_HEX_LEN + 1];	/* of the certificate DER */
	char    spki_sha256[SHA256_HEX_LEN + 1];	/* of its public key */
	char   *subject;		/* one line, RFC 2253 */
	char   *issuer;
	struct strlist names;		/* DNS names and IP addresses (text)
					 * of subjectAltName */
	time_t  not_before;
	time_t  not_after;
	enum cert_role role;
	char   *source;			/* where it was found, for messages */
};

struct certbundle {
	struct cert_found *certs;	/* after certbundle_order(): each leaf
					 * followed by its issuers, issuer order,
					 * roots last */
	size_t  count;
	size_t  cap;
	const char *limit_hit;		/* name of the limit reached, or NULL */
	struct strlist notes;		/* why something was skipped */
	size_t  unpacked_total;		/* ZIP bytes unpacked so far */
	size_t  decoded;		/* certificates decoded (certbundle_may_decode) */
	struct cert_cache *cache;	/* decoded CA certificates, shared and
					 * not owned; NULL decodes everything */
};

/* Certificates decoded at most, per certificate kept at most. */
#define CERTBUNDLE_DECODES_PER_KEPT	2

/* Notes kept at most (one more says that others were left out). */
#define CERTBUNDLE_MAX_NOTES	32

/* What a certificate of a mail may be, before any signature is checked. */
#define CERT_MIN_RSA_BITS	2048	/* security level 2 */
#define CERT_MAX_RSA_BITS	8192	/* a larger key is only slow */
#define CERT_MAX_RSA_EXPONENT	0xFFFFFFFFUL	/* 65537 in practice */
#define CERT_MIN_EC_BITS	256
#define CERT_MIN_SIG_BITS	112	/* security bits of the signature (no SHA-1) */
#define CERT_MAX_SIGNATURE_CHECKS 8	/* per message, to choose between issuers */

void certbundle_init(struct certbundle *bundle);

/* PEM blocks (CERTIFICATE, PKCS7) anywhere in a text part. */
void certbundle_add_text(struct certbundle *bundle, const char *text, size_t len,
			 const char *where, const struct parse_limits *limits);

/* An attachment: .crt .cer .pem .der .p7b .p7c .zip (and content sniffing
 * when the name says nothing), PEM or DER, whatever its MIME type says.
 * The file name is only a hint; it is never used as a path. */
void certbundle_add_attachment(struct certbundle *bundle, const char *filename,
			       const unsigned char *data, size_t len,
			       const char *where, const struct parse_limits *limits);

/* Order by issuer/subject and set roles. */
void certbundle_order(struct certbundle *bundle);

void certbundle_free(struct certbundle *bundle);

/* chain_order.c: does cert name itself as issuer, key identifiers
 * agreeing (a root)?  Its signature is not checked. */
int cert_is_self_issued(X509 *cert);

/* cert_describe.c: is the key of cert one mailcert accepts (RSA of
 * CERT_MIN_RSA_BITS to CERT_MAX_RSA_BITS with an exponent of at most
 * CERT_MAX_RSA_EXPONENT, EC of at least CERT_MIN_EC_BITS, Ed25519, Ed448)
 * and, unless it is self-issued, its signature of at least
 * CERT_MIN_SIG_BITS?  1, or 0 with why. */
int cert_acceptable(X509 *cert, char *why, size_t why_len);

/* "leaf", "intermediate", "root", "unknown" */
const char *cert_role_name(enum cert_role role);

#endif
