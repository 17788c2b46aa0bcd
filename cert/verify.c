/*
 * NAME
 *	verify - is this certificate the one to install for this order?
 * SYNOPSIS
 *	#include "verify.h"
 *
 *	int cert_verify_for_order(const struct certbundle *bundle,
 *				  EVP_PKEY *order_key,
 *				  const struct strlist *order_names,
 *				  const char *trust_store, time_t now,
 *				  struct cert_found **leaf_out,
 *				  STACK_OF(X509) **chain_out, struct strbuf *why)
 *	int cert_verify_chain(const struct certbundle *bundle,
 *			      const struct cert_found *leaf,
 *			      const char *trust_store, time_t now,
 *			      STACK_OF(X509) **chain_out, struct strbuf *why)
 *	X509_STORE *trust_store_load(const char *trust_store, struct strbuf *why)
 *	int cert_verify_for_order_in(bundle, order_key, order_names,
 *				     X509_STORE *anchors, now, leaf_out,
 *				     chain_out, why)
 *	int cert_verify_chain_in(bundle, leaf, X509_STORE *anchors, now,
 *				 chain_out, why)
 * DESCRIPTION
 *	The *_in() forms take trust anchors loaded once with
 *	trust_store_load(), for the milter, which checks many certificates
 *	and must not re-read the system bundle for each; the others load
 *	trust_store themselves for one use.
 *
 *	cert_verify_for_order() runs the installer's checks, in this order,
 *	on each certificate of bundle whose public key is order_key's
 *	(EVP_PKEY_eq(); order_key may be the private key):
 *
 *	it names every name of order_names: X509_check_host() with
 *	X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, so a certificate with only a
 *	common name names nothing; wildcards as X509_check_host() allows
 *	them; an order name that is an IP address is matched with
 *	X509_check_ip_asc();
 *
 *	it is valid at now: not before notBefore, not after notAfter;
 *
 *	cert_verify_chain() accepts it.
 *
 *	The first certificate passing all of them is the leaf: *leaf_out
 *	points to it in bundle, *chain_out (when chain_out is not NULL) is
 *	the chain X509_verify_cert() built for it, and 0 is returned.
 *	Otherwise -1, *chain_out is NULL, and why holds the first failure
 *	in words: "certificate is for another key",
 *	"certificate does not name NAME", "certificate expired on DATE",
 *	"certificate is not valid before DATE", "chain does not verify to
 *	the trust store: REASON" (REASON from OpenSSL), or what was wrong
 *	with the order or the trust store.
 *
 *	cert_verify_chain() builds and verifies the chain of leaf with
 *	X509_verify_cert(): the other certificates of bundle as untrusted
 *	intermediates, trust_store (a PEM file or a directory with hashed
 *	names) as the only trust anchors, purpose TLS server, time now
 *	(X509_V_FLAG_USE_CHECK_TIME), at OpenSSL security level
 *	CERT_AUTH_LEVEL (2: no SHA-1 signatures, no RSA key under 2048
 *	bits, no EC key under 224 bits, anywhere in the chain but the trust
 *	anchor's own signature) and at most CERT_MAX_CHAIN_DEPTH deep.  The
 *	order the mail had does not matter.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "verify.h"

/* when_text - a time as "2026-01-31 12:00:00 UTC" */
static void when_text(time_t when, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long) when);
}

static int has_order_key(const struct cert_found *cert, EVP_PKEY *order_key)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert->x509);
	int     same = pub != NULL && EVP_PKEY_eq(pub, order_key) == 1;

	ERR_clear_error();
	return same;
}

static int is_ip_address(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

/* check_names - does cert name every order name? */
static int check_names(const struct cert_found *cert, const struct strlist *names,
		       struct strbuf *why)
{
	const char *name;
	int     named;
	size_t  i;

	for (i = 0; i < names->count; i++) {
		name = names->items[i];
		if (is_ip_address(name))
			named = X509_check_ip_asc(cert->x509, name, 0) == 1;
		else
			named = X509_check_host(cert->x509, name, strlen(name),
						X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
		ERR_clear_error();
		if (!named) {
			sb_appendf(why, "certificate does not name %s", name);
			return -1;
		}
	}
	return 0;
}

/* check_dates - is cert valid at now? */
static int check_dates(const struct cert_found *cert, time_t now, struct strbuf *why)
{
	char    when[64];
	int     before = X509_cmp_time(X509_get0_notBefore(cert->x509), &now);
	int     after = X509_cmp_time(X509_get0_notAfter(cert->x509), &now);

	if (before == 0 || after == 0) {
		sb_appends(why, "certificate has unreadable validity dates");
		return -1;
	}
	if (before > 0) {
		when_text(cert->not_before, when, sizeof(when));
		sb_appendf(why, "certificate is not valid before %s", when);
		return -1;
	}
	if (after < 0) {
		when_text(cert->not_after, when, sizeof(when));
		sb_appendf(why, "certificate expired on %s", when);
		return -1;
	}
	return 0;
}

/* load_trust_store - the trust anchors, from a file or a hashed directory */
static int load_trust_store(X509_STORE *store, const char *trust_store, struct strbuf *why)
{
	struct stat st;
	int     ok;
	unsigned long err;

	if (trust_store == NULL || *trust_store == 0) {
		sb_appends(why, "no trust_store is configured");
		return -1;
	}
	if (stat(trust_store, &st) != 0) {
		sb_appendf(why, "trust store %s: %s", trust_store, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		ok = X509_STORE_load_path(store, trust_store) == 1;
	else
		ok = X509_STORE_load_file(store, trust_store) == 1;
	if (!ok) {
		err = ERR_peek_last_error();
		sb_appendf(why, "cannot load trust store %s: %s", trust_store,
			   ERR_reason_error_string(err) ? ERR_reason_error_string(err) : "no certificates");
	}
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* untrusted_certs - every certificate of bundle but leaf */
static STACK_OF(X509) *untrusted_certs(const struct certbundle *bundle,
				       const struct cert_found *leaf)
{
	STACK_OF(X509) *others = sk_X509_new_null();
	size_t  i;

	for (i = 0; others != NULL && i < bundle->count; i++)
		if (&bundle->certs[i] != leaf && bundle->certs[i].x509 != leaf->x509)
			sk_X509_push(others, bundle->certs[i].x509);
	return others;
}

X509_STORE *trust_store_load(const char *trust_store, struct strbuf *why)
{
	X509_STORE *store = X509_STORE_new();

	if (store == NULL) {
		sb_appends(why, "out of memory loading the trust store");
		return NULL;
	}
	if (load_trust_store(store, trust_store, why) != 0) {
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

int cert_verify_chain(const struct certbundle *bundle, const struct cert_found *leaf,
		      const char *trust_store, time_t now, STACK_OF(X509) **chain_out,
		      struct strbuf *why)
{
	X509_STORE *store;
	int     rc;

	if (chain_out)
		*chain_out = NULL;
	if ((store = trust_store_load(trust_store, why)) == NULL)
		return -1;
	rc = cert_verify_chain_in(bundle, leaf, store, now, chain_out, why);
	X509_STORE_free(store);
	return rc;
}

int cert_verify_chain_in(const struct certbundle *bundle, const struct cert_found *leaf,
			 X509_STORE *store, time_t now, STACK_OF(X509) **chain_out,
			 struct strbuf *why)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *others = untrusted_certs(bundle, leaf);
	int     rc = -1;

	if (chain_out)
		*chain_out = NULL;
	if (ctx == NULL || others == NULL) {
		sb_appends(why, "out of memory verifying the chain");
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, leaf->x509, others) != 1
	    || X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1) {
		sb_appends(why, "cannot set up chain verification");
		goto out;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), CERT_AUTH_LEVEL);
	X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), CERT_MAX_CHAIN_DEPTH);
	if (X509_verify_cert(ctx) != 1) {
		sb_appendf(why, "chain does not verify to the trust store: %s",
			   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (chain_out && (*chain_out = X509_STORE_CTX_get1_chain(ctx)) == NULL) {
		sb_appends(why, "out of memory copying the verified chain");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(others);
	return rc;
}

/* check_candidate - every check on one certificate with the order's key */
static int check_candidate(const struct certbundle *bundle, const struct cert_found *cert,
			   const struct strlist *names, X509_STORE *anchors, time_t now,
			   STACK_OF(X509) **chain_out, struct strbuf *why)
{
	if (check_names(cert, names, why) != 0 || check_dates(cert, now, why) != 0)
		return -1;
	return cert_verify_chain_in(bundle, cert, anchors, now, chain_out, why);
}

int cert_verify_for_order(const struct certbundle *bundle, EVP_PKEY *order_key,
			  const struct strlist *order_names, const char *trust_store,
			  time_t now, struct cert_found **leaf_out, STACK_OF(X509) **chain_out,
			  struct strbuf *why)
{
	X509_STORE *anchors;
	int     rc;

	if (leaf_out)
		*leaf_out = NULL;
	if (chain_out)
		*chain_out = NULL;
	if ((anchors = trust_store_load(trust_store, why)) == NULL)
		return -1;
	rc = cert_verify_for_order_in(bundle, order_key, order_names, anchors, now, leaf_out,
				      chain_out, why);
	X509_STORE_free(anchors);
	return rc;
}

/* later_than - the forward-only order: expiring later, then issued later */

static int later_than(const struct cert_found *a, const struct cert_found *b)
{
	return a->not_after != b->not_after ? a->not_after > b->not_after : a->not_before > b->not_before;
}

int cert_verify_for_order_in(const struct certbundle *bundle, EVP_PKEY *order_key,
			     const struct strlist *order_names, X509_STORE *anchors,
			     time_t now, struct cert_found **leaf_out,
			     STACK_OF(X509) **chain_out, struct strbuf *why)
{
	struct strbuf attempt = STRBUF_INIT;
	struct strbuf first_failure = STRBUF_INIT;
	struct cert_found *best = NULL;
	STACK_OF(X509) *best_chain = NULL;
	STACK_OF(X509) *chain;
	size_t  candidates = 0;
	size_t  i;

	if (leaf_out)
		*leaf_out = NULL;
	if (chain_out)
		*chain_out = NULL;
	if (order_key == NULL || order_names == NULL || order_names->count == 0) {
		sb_appends(why, order_key == NULL ? "the order has no key" : "the order has no names");
		return -1;
	}
	/* Every certificate for the key that passes; the one kept is valid
	 * now (all that pass are) and expires last. */
	for (i = 0; i < bundle->count; i++) {
		if (!has_order_key(&bundle->certs[i], order_key))
			continue;
		sb_reset(&attempt);
		chain = NULL;
		if (check_candidate(bundle, &bundle->certs[i], order_names, anchors, now,
				    chain_out ? &chain : NULL, &attempt) == 0) {
			if (best == NULL || later_than(&bundle->certs[i], best)) {
				best = &bundle->certs[i];
				if (best_chain)
					sk_X509_pop_free(best_chain, X509_free);
				best_chain = chain;
			} else if (chain) {
				sk_X509_pop_free(chain, X509_free);
			}
			continue;
		}
		if (candidates++ == 0)
			sb_appends(&first_failure, sb_str(&attempt));
	}
	sb_free(&attempt);
	if (best) {
		if (leaf_out)
			*leaf_out = best;
		if (chain_out)
			*chain_out = best_chain;
		sb_free(&first_failure);
		return 0;
	}
	sb_appends(why, candidates ? sb_str(&first_failure) : bundle->count
		   ? "certificate is for another key" : "no certificate to check");
	sb_free(&first_failure);
	return -1;
}
