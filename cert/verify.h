/*
 * verify.h - the checks on a certificate before the installer touches a
 * file, and the chain it writes.
 *
 * verify.c: cert_verify_for_order() (key, names, dates, chain to the
 * trust store) and cert_verify_chain(); install_chain.c: the PEM of the
 * verified chain's leaf and intermediates in issuer order, root left out.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_VERIFY_H
#define MAILCERT_VERIFY_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certbundle.h"

#define CERT_AUTH_LEVEL		2	/* OpenSSL security level of a chain */
#define CERT_MAX_CHAIN_DEPTH	8	/* intermediates above the leaf */
#include "strbuf.h"
#include "strlist.h"

/* The trust anchors of a file or hashed directory, loaded once by a
 * long-running process and shared by its threads (X509_STORE_free). */
X509_STORE *trust_store_load(const char *trust_store, struct strbuf *why);

/* cert_verify_for_order() and cert_verify_chain() with anchors already
 * loaded by trust_store_load(). */
int cert_verify_for_order_in(const struct certbundle *bundle, EVP_PKEY *order_key,
			     const struct strlist *order_names, X509_STORE *anchors,
			     time_t now, struct cert_found **leaf_out,
			     STACK_OF(X509) **chain_out, struct strbuf *why);
int cert_verify_chain_in(const struct certbundle *bundle, const struct cert_found *leaf,
			 X509_STORE *anchors, time_t now, STACK_OF(X509) **chain_out,
			 struct strbuf *why);

/* 0 when a certificate of bundle has order_key's public key (order_key may
 * be private or public), names every order name (X509_check_host, no
 * common-name fallback), is valid at now and verifies to trust_store (a
 * file or a hashed directory) for a TLS server at time now, with the
 * bundle's other certificates as untrusted intermediates; of several that
 * do, the one that expires last (then: issued last); *leaf_out then
 * points into bundle and *chain_out, when chain_out is not NULL, is the
 * verified chain (leaf first, trust anchor last; sk_X509_pop_free(chain,
 * X509_free)).  Else -1 and why says which check failed. */
int cert_verify_for_order(const struct certbundle *bundle, EVP_PKEY *order_key,
			  const struct strlist *order_names, const char *trust_store,
			  time_t now, struct cert_found **leaf_out, STACK_OF(X509) **chain_out,
			  struct strbuf *why);

/* The chain check alone: 0 with the verified chain (leaf first, trust
 * anchor last; caller frees with sk_X509_pop_free(chain, X509_free)) when
 * chain_out is not NULL; else -1 and why. */
int cert_verify_chain(const struct certbundle *bundle, const struct cert_found *leaf,
		      const char *trust_store, time_t now, STACK_OF(X509) **chain_out,
		      struct strbuf *why);

/* leaf_pem: chain[0], the leaf; chain_pem: the others but self-signed
 * ones (the root), leaf's issuer first.  chain is one cert_verify_chain()
 * or cert_verify_for_order() handed out.  Both are reset first.  0, or -1
 * when PEM cannot be written. */
int chain_write_pem(STACK_OF(X509) *chain, struct strbuf *leaf_pem, struct strbuf *chain_pem);

#endif
