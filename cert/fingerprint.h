/*
 * fingerprint.h - SHA-256 fingerprints of certificates and public keys.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_FINGERPRINT_H
#define MAILCERT_FINGERPRINT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "strbuf.h"

#define SHA256_HEX_LEN 64

/* SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex; 0 or -1. */
int pkey_spki_sha256_hex(EVP_PKEY *pkey, char out[SHA256_HEX_LEN + 1]);

/* The same hash from a certificate's public key (cheaper than via EVP_PKEY). */
int cert_spki_sha256_hex(X509 *cert, char out[SHA256_HEX_LEN + 1]);

/* SHA-256 of the DER certificate, lower-case hex; 0 or -1. */
int cert_sha256_hex(X509 *cert, char out[SHA256_HEX_LEN + 1]);

/* Read a PEM private key; NULL with the reason in err. */

#endif
