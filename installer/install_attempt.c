/*
 * NAME
 *	install_attempt - one attempt at installing one certificate
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_attempt(const struct install_run *run,
 *			    const struct order *order,
 *			    const struct cert_record *cert,
 *			    struct install_outcome *out, struct strbuf *why)
 *	void install_outcome_clear(struct install_outcome *out)
 *	int private_key_pem(EVP_PKEY *pkey, struct strbuf *pem)
 * DESCRIPTION
 *	install_attempt() loads the order's private key from key_path and
 *	checks that it is still the key the order was made for (key_sha256);
 *	reads the certificate and chain the ledger holds for it back into a
 *	certificate bundle; verifies them with cert_verify_for_order()
 *	(verify.c: the certificate is for this private key, names every
 *	name of the order, is valid at run->now and chains to [ca]
 *	trust_store for TLS servers); writes the chain that verification
 *	built with chain_write_pem() (intermediates in issuer order, no
 *	root); and
 *	hands the plan of the target's files to install_into_target().
 *	Nothing is written before every check has passed.
 *
 *	Returns INSTALL_DONE (out filled: names, expiry, fingerprint, and
 *	unchanged when the files already held the certificate),
 *	INSTALL_REFUSED when the certificate or key is wrong and will stay
 *	wrong, or INSTALL_RETRY; why says what failed.
 *
 *	private_key_pem() appends the key as unencrypted PKCS#8 PEM; 0 or -1.
 * LICENSE
 *	See the README of mailcert.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "certbundle.h"
#include "fingerprint.h"
#include "install.h"
#include "mymalloc.h"
#include "verify.h"

/* The PEM text the ledger holds for a certificate and what was made of it. */
struct verified_cert {
	struct strbuf leaf_pem;
	struct strbuf chain_pem;
};

int private_key_pem(EVP_PKEY *pkey, struct strbuf *pem)
{
	BIO    *bio;
	char   *data;
	long    len;
	int     rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1
	    && (len = BIO_get_mem_data(bio, &data)) > 0) {
		sb_append(pem, data, (size_t) len);
		rc = 0;
	}
	BIO_free(bio);
	return rc;
}

/* order_key - the order's private key, if it is still the order's */

static EVP_PKEY *order_key(const struct order *order, int *refused, struct strbuf *why)
{
	char    sha256[SHA256_HEX_LEN + 1];
	EVP_PKEY *pkey;

	*refused = 0;
	if ((pkey = load_private_key(order->key_path, why)) == NULL)
		return NULL;
	if (pkey_spki_sha256_hex(pkey, sha256) < 0 || strcmp(sha256, order->key_sha256) != 0) {
		sb_appendf(why, "%s no longer holds the key of order %lld", order->key_path, order->id);
		EVP_PKEY_free(pkey);
		*refused = 1;
		return NULL;
	}
	return pkey;
}

static void order_names(const struct order *order, struct strlist *names)
{
	size_t i;

	strlist_add(names, order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		strlist_add(names, order->alt_names.items[i]);
}

static void describe_leaf(const struct cert_found *leaf, struct install_outcome *out)
{
	struct strbuf names = STRBUF_INIT;
	size_t i;

	for (i = 0; i < leaf->names.count; i++)
		sb_appendf(&names, "%s%s", i ? ", " : "", leaf->names.items[i]);
	free(out->host_names);
	out->host_names = sb_steal(&names);
	memcpy(out->sha256, leaf->sha256, sizeof(out->sha256));
	out->not_after = (long long) leaf->not_after;
}

/* verify_cert - the ledger's certificate checked again, as it will be
 * installed; 0 or -1 with why */

static int verify_cert(const struct install_run *run, const struct order *order, EVP_PKEY *key,
		               const struct cert_record *cert, struct verified_cert *vc,
		               struct install_outcome *out, struct strbuf *why)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strlist names = STRLIST_INIT;
	struct cert_found *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	int     rc = -1;

	parse_limits_default(&limits);
	certbundle_init(&bundle);
	certbundle_add_text(&bundle, cert->leaf_pem, strlen(cert->leaf_pem), "the ledger's leaf", &limits);
	if (cert->chain_pem)
		certbundle_add_text(&bundle, cert->chain_pem, strlen(cert->chain_pem), "the ledger's chain",
				    &limits);
	certbundle_order(&bundle);
	order_names(order, &names);
	if (cert_verify_for_order(&bundle, key, &names, run->cfg->trust_store, run->now, &leaf,
				  &chain, why) != 0)
		goto out;
	if (strcmp(leaf->sha256, cert->sha256) != 0) {
		sb_appendf(why, "the ledger's PEM is not certificate %s", cert->sha256);
		goto out;
	}
	if (chain_write_pem(chain, &vc->leaf_pem, &vc->chain_pem) != 0) {
		sb_appends(why, "cannot write the certificate chain as PEM");
		goto out;
	}
	describe_leaf(leaf, out);
	rc = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	strlist_free(&names);
	certbundle_free(&bundle);
	return rc;
}

int install_attempt(const struct install_run *run, const struct order *order,
		            const struct cert_record *cert, struct install_outcome *out,
		            struct strbuf *why)
{
	struct verified_cert vc = {STRBUF_INIT, STRBUF_INIT};
	struct strbuf key_pem = STRBUF_INIT;
	struct install_plan plan;
	EVP_PKEY *key;
	int     refused;
	int     rc = INSTALL_REFUSED;

	memset(&plan, 0, sizeof(plan));
	if ((key = order_key(order, &refused, why)) == NULL)
		return refused ? INSTALL_REFUSED : INSTALL_RETRY;
	if (verify_cert(run, order, key, cert, &vc, out, why) < 0)
		goto out;
	rc = INSTALL_RETRY;
	if (private_key_pem(key, &key_pem) < 0) {
		sb_appendf(why, "cannot write the key of %s as PEM", order->key_path);
		goto out;
	}
	if (install_plan_make(run->target, key_pem.data, sb_str(&vc.leaf_pem), sb_str(&vc.chain_pem),
			      &plan, why) < 0)
		goto out;
	rc = install_into_target(run, &plan, &out->unchanged, why);
out:
	install_plan_free(&plan);
	if (key_pem.data)
		OPENSSL_cleanse(key_pem.data, key_pem.len);
	sb_free(&key_pem);
	sb_free(&vc.leaf_pem);
	sb_free(&vc.chain_pem);
	EVP_PKEY_free(key);
	return rc;
}

void install_outcome_clear(struct install_outcome *out)
{
	free(out->host_names);
	memset(out, 0, sizeof(*out));
}
