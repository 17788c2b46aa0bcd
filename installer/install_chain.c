/*
 * NAME
 *	install_chain - the PEM the installer writes: leaf and intermediates
 * SYNOPSIS
 *	#include "verify.h"
 *
 *	int chain_for_install(const struct certbundle *bundle,
 *			      const struct cert_found *leaf,
 *			      struct strbuf *leaf_pem, struct strbuf *chain_pem)
 *	int chain_for_install_verified(const struct certbundle *bundle,
 *				       const struct cert_found *leaf,
 *				       const char *trust_store, time_t now,
 *				       struct strbuf *leaf_pem,
 *				       struct strbuf *chain_pem,
 *				       struct strbuf *why)
 * DESCRIPTION
 *	Both reset leaf_pem and chain_pem, write the leaf's PEM into
 *	leaf_pem and its intermediates into chain_pem in issuer order (the
 *	leaf's issuer first); a self-signed certificate (the root) is left
 *	out: servers send the chain without it.
 *
 *	chain_for_install() walks the bundle: each issuer is the certificate
 *	whose name and key made the signature (cert_issued_by()), wherever it
 *	was in the mail; the walk stops at a root, at a certificate without
 *	issuer in the bundle, or at a loop.  Call it after
 *	cert_verify_for_order() accepted leaf.
 *
 *	chain_for_install_verified() takes the chain X509_verify_cert()
 *	built (cert_verify_chain()), so an intermediate that only the trust
 *	store had is written too.
 *
 *	They return 0, or -1 (with why for the second) on failure.
 * LICENSE
 *	See the README of mailcert.
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "verify.h"

/* pem_append - cert in PEM at the end of out */
static int pem_append(struct strbuf *out, X509 *cert)
{
	BIO    *bio = BIO_new(BIO_s_mem());
	char   *data;
	long    len;
	int     rc = -1;

	if (bio != NULL && PEM_write_bio_X509(bio, cert) == 1
	    && (len = BIO_get_mem_data(bio, &data)) > 0) {
		sb_append(out, data, (size_t) len);
		rc = 0;
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* chain_pem_write - chain[0] to leaf_pem, the others but roots to chain_pem */
static int chain_pem_write(STACK_OF(X509) *chain, struct strbuf *leaf_pem,
			   struct strbuf *chain_pem)
{
	X509   *cert;
	int     i;

	sb_reset(leaf_pem);
	sb_reset(chain_pem);
	if (sk_X509_num(chain) < 1 || pem_append(leaf_pem, sk_X509_value(chain, 0)) != 0)
		return -1;
	for (i = 1; i < sk_X509_num(chain); i++) {
		cert = sk_X509_value(chain, i);
		if (cert_is_self_signed(cert))
			continue;
		if (pem_append(chain_pem, cert) != 0)
			return -1;
	}
	return 0;
}

/* in_chain - is cert on the chain already? */
static int in_chain(STACK_OF(X509) *chain, X509 *cert)
{
	int     i;

	for (i = 0; i < sk_X509_num(chain); i++)
		if (X509_cmp(sk_X509_value(chain, i), cert) == 0)
			return 1;
	return 0;
}

/* bundle_issuer - the certificate of bundle that issued cert, or NULL */
static X509 *bundle_issuer(const struct certbundle *bundle, X509 *cert, STACK_OF(X509) *chain)
{
	size_t  i;

	for (i = 0; i < bundle->count; i++)
		if (!in_chain(chain, bundle->certs[i].x509)
		    && cert_issued_by(cert, bundle->certs[i].x509))
			return bundle->certs[i].x509;
	return NULL;
}

int chain_for_install(const struct certbundle *bundle, const struct cert_found *leaf,
		      struct strbuf *leaf_pem, struct strbuf *chain_pem)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509   *cert = leaf->x509;
	int     rc;

	if (chain == NULL)
		return -1;
	sk_X509_push(chain, cert);
	while (!cert_is_self_signed(cert) && (cert = bundle_issuer(bundle, cert, chain)) != NULL)
		sk_X509_push(chain, cert);
	rc = chain_pem_write(chain, leaf_pem, chain_pem);
	sk_X509_free(chain);
	return rc;
}

int chain_for_install_verified(const struct certbundle *bundle, const struct cert_found *leaf,
			       const char *trust_store, time_t now, struct strbuf *leaf_pem,
			       struct strbuf *chain_pem, struct strbuf *why)
{
	STACK_OF(X509) *chain;
	int     rc;

	if (cert_verify_chain(bundle, leaf, trust_store, now, &chain, why) != 0)
		return -1;
	if ((rc = chain_pem_write(chain, leaf_pem, chain_pem)) != 0)
		sb_appends(why, "cannot write the chain as PEM");
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
