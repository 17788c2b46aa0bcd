/*
 * NAME
 *	fingerprint - SHA-256 of certificates and public keys
 * SYNOPSIS
 *	int pkey_spki_sha256_hex(EVP_PKEY *pkey, char out[65])
 *	int cert_sha256_hex(X509 *cert, char out[65])
 *	int cert_spki_sha256_hex(X509 *cert, char out[65])
 * DESCRIPTION
 *	An order is tied to its key by the SHA-256 of the key's DER
 *	SubjectPublicKeyInfo: a certificate belongs to an order when the
 *	hash of its public key is the order's.  The same hex form names a
 *	certificate in the ledger.  cert_spki_sha256_hex() hashes the
 *	certificate's own SubjectPublicKeyInfo, the same bytes that
 *	pkey_spki_sha256_hex() makes from a key, without OpenSSL's encoder
 *	machinery (the milter does this for every certificate it sees).
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "fingerprint.h"

static void hex_encode(const unsigned char *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[2 * len] = 0;
}

/* hash_der - SHA-256 hex of len DER bytes that OpenSSL allocated (len is
 * what the i2d_*() call returned); frees them */

static int hash_der(unsigned char *der, int len, char out[SHA256_HEX_LEN + 1])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	if (len <= 0)
		return -1;
	SHA256(der, (size_t) len, digest);
	OPENSSL_free(der);
	hex_encode(digest, sizeof(digest), out);
	return 0;
}

int pkey_spki_sha256_hex(EVP_PKEY *pkey, char out[SHA256_HEX_LEN + 1])
{
	unsigned char *der = NULL;

	int len;

	if (pkey == NULL)
		return -1;
	len = i2d_PUBKEY(pkey, &der);
	return hash_der(der, len, out);
}

int cert_spki_sha256_hex(X509 *cert, char out[SHA256_HEX_LEN + 1])
{
	unsigned char *der = NULL;
	int len;

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	return hash_der(der, len, out);
}

int cert_sha256_hex(X509 *cert, char out[SHA256_HEX_LEN + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (X509_digest(cert, EVP_sha256(), digest, &len) != 1 || len != SHA256_DIGEST_LENGTH)
		return -1;
	hex_encode(digest, len, out);
	return 0;
}

