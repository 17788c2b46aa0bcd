/*
 * cert_cache.h - CA certificates decoded once and shared (cert_cache.c).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CERT_CACHE_H
#define MAILCERT_CERT_CACHE_H

#include <stddef.h>

#include <openssl/x509.h>

struct cert_cache;

/* Certificates a parser keeps: a CA's intermediates and roots. */
#define CERT_CACHE_SLOTS	64

struct cert_cache *cert_cache_new(size_t slots);
void cert_cache_free(struct cert_cache *cache);

/* d2i_X509(NULL, der, len), from the cache when these bytes were a CA
 * certificate decoded before; cache may be NULL. */
X509 *cert_cache_d2i(struct cert_cache *cache, const unsigned char **der, long len);

#endif
