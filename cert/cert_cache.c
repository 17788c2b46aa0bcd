/*
 * NAME
 *	cert_cache - CA certificates decoded once, shared by a parser's threads
 * SYNOPSIS
 *	#include "cert_cache.h"
 *
 *	struct cert_cache *cert_cache_new(size_t slots)
 *	void cert_cache_free(struct cert_cache *cache)
 *	X509 *cert_cache_d2i(struct cert_cache *cache,
 *			     const unsigned char **der, long len)
 * DESCRIPTION
 *	Decoding a certificate is the dearest step of reading a
 *	certificate mail with OpenSSL 3.0: d2i_X509() builds a key decoder
 *	for the public key every time.  A CA sends the same intermediates
 *	(and often its root) with every certificate it issues, so the milter
 *	decodes each such CA certificate once and hands out references.
 *
 *	cert_cache_d2i() is d2i_X509(NULL, der, len): it decodes the
 *	certificate at *der, advances *der past it and returns a reference
 *	the caller frees with X509_free(), or NULL.  The key is the SHA-256
 *	of the certificate's DER, so a reference handed out is the decoding
 *	of exactly those bytes.  Only CA certificates (basicConstraints
 *	CA:TRUE) are kept: a leaf, different in every delivery, is decoded
 *	every time and never kept.  At most slots certificates are kept;
 *	then the oldest one gives way.  With cache NULL it is d2i_X509().
 *
 *	One mutex guards the slots; it is held for the lookup and the
 *	insert, never while decoding.  The certificates are not changed
 *	after they are kept: OpenSSL's own lock guards the extension flags
 *	it computes on first use, as for the certificates of an X509_STORE
 *	that threads share.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "cert_cache.h"
#include "mymalloc.h"

struct cert_slot {
	unsigned char sha256[SHA256_DIGEST_LENGTH];
	X509   *x509;			/* NULL: free slot */
};

struct cert_cache {
	pthread_mutex_t lock;
	struct cert_slot *slots;
	size_t  count;
	size_t  next;			/* the slot to fill next */
};

struct cert_cache *cert_cache_new(size_t slots)
{
	struct cert_cache *cache = xcalloc(1, sizeof(*cache));

	if (pthread_mutex_init(&cache->lock, NULL) != 0) {
		free(cache);
		return NULL;
	}
	cache->count = slots ? slots : 1;
	cache->slots = xcalloc(cache->count, sizeof(*cache->slots));
	return cache;
}

void cert_cache_free(struct cert_cache *cache)
{
	size_t  i;

	if (cache == NULL)
		return;
	for (i = 0; i < cache->count; i++)
		X509_free(cache->slots[i].x509);
	free(cache->slots);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

/* der_span - bytes of the DER element at der (header and content), or 0 */
static long der_span(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	long    content;
	int     tag;
	int     xclass;

	int     rc = ASN1_get_object(&p, &content, &tag, &xclass, len);

	if (rc & 0x80) {			/* not DER */
		ERR_clear_error();
		return 0;
	}
	if (rc & 0x01)				/* indefinite length: BER */
		return 0;
	if (tag != V_ASN1_SEQUENCE || content > len - (long) (p - der))
		return 0;
	return (long) (p - der) + content;
}

/* lookup - a new reference to the kept certificate with this hash, or NULL */
static X509 *lookup(struct cert_cache *cache, const unsigned char *sha256)
{
	X509   *found = NULL;
	size_t  i;

	pthread_mutex_lock(&cache->lock);
	for (i = 0; i < cache->count && found == NULL; i++)
		if (cache->slots[i].x509 != NULL
		    && memcmp(cache->slots[i].sha256, sha256, SHA256_DIGEST_LENGTH) == 0
		    && X509_up_ref(cache->slots[i].x509) == 1)
			found = cache->slots[i].x509;
	pthread_mutex_unlock(&cache->lock);
	return found;
}

/* keep - keep a reference to cert, unless another thread was quicker */
static void keep(struct cert_cache *cache, const unsigned char *sha256, X509 *cert)
{
	struct cert_slot *slot;
	X509   *old = NULL;
	size_t  i;

	pthread_mutex_lock(&cache->lock);
	for (i = 0; i < cache->count; i++)
		if (cache->slots[i].x509 != NULL
		    && memcmp(cache->slots[i].sha256, sha256, SHA256_DIGEST_LENGTH) == 0)
			break;
	if (i == cache->count && X509_up_ref(cert) == 1) {
		slot = &cache->slots[cache->next];
		cache->next = (cache->next + 1) % cache->count;
		old = slot->x509;
		memcpy(slot->sha256, sha256, SHA256_DIGEST_LENGTH);
		slot->x509 = cert;
	}
	pthread_mutex_unlock(&cache->lock);
	X509_free(old);
}

X509 *cert_cache_d2i(struct cert_cache *cache, const unsigned char **der, long len)
{
	unsigned char sha256[SHA256_DIGEST_LENGTH];
	const unsigned char *start = *der;
	long    span;
	X509   *cert;

	if (cache == NULL || (span = der_span(start, len)) == 0)
		return d2i_X509(NULL, der, len);
	SHA256(start, (size_t) span, sha256);
	if ((cert = lookup(cache, sha256)) != NULL) {
		*der = start + span;
		return cert;
	}
	if ((cert = d2i_X509(NULL, der, span)) == NULL)
		return NULL;
	if (X509_get_extension_flags(cert) & EXFLAG_CA)
		keep(cache, sha256, cert);
	return cert;
}
