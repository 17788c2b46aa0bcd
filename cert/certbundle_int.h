/*
 * certbundle_int.h - what the files of the certificate bundle share
 * (certbundle.c, cert_decode.c, zip_bundle.c); not for other callers.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CERTBUNDLE_INT_H
#define MAILCERT_CERTBUNDLE_INT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "certbundle.h"

/* A ZIP inside a ZIP is read; one more level is not. */
#define CERTBUNDLE_MAX_ZIP_DEPTH	1

/* Keep cert (one reference, always consumed) found at source; 1 when kept
 * or already there, 0 when a limit refused it. */
int certbundle_take(struct certbundle *bundle, X509 *cert, const char *source,
		    const struct parse_limits *limits);

/* Add a note (bounded by CERTBUNDLE_MAX_NOTES). */
void certbundle_note(struct certbundle *bundle, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record the first limit reached. */
void certbundle_limit(struct certbundle *bundle, const char *limit);
/* 1 when one more certificate may be decoded (and counts it), 0 when the
 * bundle is full or its decoding budget spent (noted once). */
int certbundle_may_decode(struct certbundle *bundle, const char *label,
			  const struct parse_limits *limits);

/* One file, named name (may be NULL), found at label; zip_depth is how many
 * ZIPs it sits in.  Returns the number of certificates decoded in it
 * (kept or not: duplicates and those over a limit count too). */
size_t certbundle_add_file(struct certbundle *bundle, const char *name,
			   const unsigned char *data, size_t len, const char *label,
			   int zip_depth, const struct parse_limits *limits);

/* cert_decode.c: certificates in PEM text, in DER (one or more X.509 or a
 * PKCS#7); each returns the number of certificates decoded. */
size_t cert_decode_pem_text(struct certbundle *bundle, const char *text, size_t len,
			    const char *label, const struct parse_limits *limits);
size_t cert_decode_der(struct certbundle *bundle, const unsigned char *der, size_t len,
		       const char *label, const struct parse_limits *limits);

/* zip_bundle.c: every member of a ZIP, bytes really unpacked counted. */
size_t zip_bundle_read(struct certbundle *bundle, const unsigned char *data, size_t len,
		       const char *label, int zip_depth, const struct parse_limits *limits);

/* cert_describe.c: fill found from cert (taking the reference): hashes,
 * subject and issuer, names, dates.  0, or -1 when cert cannot be hashed. */
int     cert_describe(struct cert_found *found, X509 *cert, const char *source);
void    cert_found_clear(struct cert_found *found);

/* A copy of name fit for a label or a log line: printable ASCII only,
 * at most CERTBUNDLE_MAX_LABEL bytes.  Caller frees. */
char   *certbundle_clean_name(const char *name);

#define CERTBUNDLE_MAX_LABEL	200

#endif
