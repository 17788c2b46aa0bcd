/*
 * NAME
 *	install_attempt - one attempt at installing one certificate
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_attempt(const struct install_run *run,
 *			    const struct order *order,
 *			    const struct install_job *job,
 *			    struct install_outcome *out, struct strbuf *why)
 *	void install_outcome_clear(struct install_outcome *out)
 * DESCRIPTION
 *	Everything is derived again here from what only root can write: the
 *	order from the book (its names, its key hash, its target), the key
 *	from [installer] key_dir by that hash (key_store.c), the target from
 *	the configuration, and the certificate from root's own copy of it in
 *	the job, which it checks like the intake did and more:
 *	cert_verify_for_order() (the certificate is for this private key,
 *	names every name of the order, is valid at run->now and chains to
 *	[ca] trust_store at OpenSSL security level 2); its SHA-256 is the
 *	job's; and it is newer than the newest certificate installed for the
 *	order (issued later and expiring later), so no mail moves an order
 *	back.  It then writes the chain that verification built
 *	(chain_write_pem(): intermediates in issuer order, no root) and hands
 *	the plan of the target's files to install_into_target().  Nothing is
 *	written before every check has passed.
 *
 *	Returns INSTALL_DONE (out filled: names, dates, fingerprint, and
 *	unchanged when the files already held it), INSTALL_REFUSE when the
 *	certificate or key is wrong and will stay wrong, or INSTALL_RETRY;
 *	why says what failed.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certbundle.h"
#include "install.h"
#include "mymalloc.h"
#include "verify.h"

/* The PEM that is written, as verification built it. */
struct verified_cert {
	struct strbuf leaf_pem;
	struct strbuf chain_pem;
};

static void order_names(const struct order *order, struct strlist *names)
{
	strlist_add(names, order->domain);
	strlist_copy(names, &order->alt_names);
}

static void describe_leaf(const struct cert_found *leaf, struct install_outcome *out)
{
	struct strbuf names = STRBUF_INIT;
	size_t  i;

	for (i = 0; i < leaf->names.count; i++)
		sb_appendf(&names, "%s%s", i ? ", " : "", leaf->names.items[i]);
	free(out->host_names);
	out->host_names = sb_steal(&names);
	memcpy(out->sha256, leaf->sha256, sizeof(out->sha256));
	out->not_before = (long long) leaf->not_before;
	out->not_after = (long long) leaf->not_after;
}

/* verify_cert - the job's certificate checked again, as it will be installed */

static int verify_cert(const struct install_run *run, const struct order *order, EVP_PKEY *key,
		       const struct install_job *job, struct verified_cert *vc,
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
	certbundle_add_text(&bundle, job->leaf_pem ? job->leaf_pem : "",
			    job->leaf_pem ? strlen(job->leaf_pem) : 0, "the job's leaf", &limits);
	if (job->chain_pem)
		certbundle_add_text(&bundle, job->chain_pem, strlen(job->chain_pem), "the job's chain",
				    &limits);
	certbundle_order(&bundle);
	order_names(order, &names);
	if (cert_verify_for_order(&bundle, key, &names, run->cfg->trust_store, run->now, &leaf,
				  &chain, why) != 0)
		goto out;
	if (strcmp(leaf->sha256, job->cert_sha256) != 0) {
		sb_appendf(why, "the job's PEM is not certificate %s", job->cert_sha256);
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

/* not_older - newer than what the order has installed, or that very one */

static int not_older(const struct install_run *run, const struct install_outcome *out,
		     struct strbuf *why)
{
	struct install_job done;
	int     rc;

	memset(&done, 0, sizeof(done));
	if ((rc = book_install_latest_done(run->ledger, run->order_id, &done)) < 0) {
		sb_appendf(why, "reading what order %lld has installed: %s", run->order_id,
			   ledger_error(run->ledger));
		return INSTALL_RETRY;
	}
	rc = INSTALL_DONE;
	if (done.id && done.id != run->job_id && strcmp(done.cert_sha256, out->sha256) != 0
	    && !(out->not_before > done.not_before && out->not_after > done.not_after)) {
		sb_appendf(why, "certificate %s is not newer than certificate %s, installed for the "
			   "order; it is not installed", out->sha256, done.cert_sha256);
		rc = INSTALL_REFUSE;
	}
	install_job_clear(&done);
	return rc;
}

int install_attempt(const struct install_run *run, const struct order *order,
		    const struct install_job *job, struct install_outcome *out, struct strbuf *why)
{
	struct verified_cert vc = {STRBUF_INIT, STRBUF_INIT};
	struct strbuf key_pem = STRBUF_INIT;
	struct install_plan plan;
	EVP_PKEY *key;
	int     rc;

	memset(&plan, 0, sizeof(plan));
	if ((key = key_store_load(run->cfg->key_dir, order->key_sha256, why)) == NULL)
		return INSTALL_RETRY;
	rc = INSTALL_REFUSE;
	if (verify_cert(run, order, key, job, &vc, out, why) < 0)
		goto out;
	if ((rc = not_older(run, out, why)) != INSTALL_DONE)
		goto out;
	rc = INSTALL_RETRY;
	if (private_key_pem(key, &key_pem) < 0) {
		sb_appends(why, "cannot write the order's key as PEM");
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
