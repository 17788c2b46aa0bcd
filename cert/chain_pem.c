/*
 * NAME
 *	install_chain - the PEM the installer writes: leaf and intermediates
 * SYNOPSIS
 *	#include "verify.h"
 *
 *	int chain_write_pem(STACK_OF(X509) *chain, struct strbuf *leaf_pem,
 *			    struct strbuf *chain_pem)
 * DESCRIPTION
 *	chain_write_pem() resets leaf_pem and chain_pem, writes chain[0]
 *	(the leaf) into leaf_pem and the rest of chain into chain_pem in
 *	the order given, which for a chain X509_verify_cert() built is
 *	issuer order (the leaf's issuer first).  A self-signed certificate,
 *	the root, is left out: servers send the chain without it.
 *
 *	The chain is the one cert_verify_for_order() or cert_verify_chain()
 *	handed out, so what is written is what was verified, including an
 *	intermediate that only the trust store had; the order the mail
 *	had does not matter, and no signature is checked again here.
 *
 *	It returns 0, or -1 when PEM cannot be written.
 * LICENSE
 *	SPDX-License-Identifier: ISC
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

int chain_write_pem(STACK_OF(X509) *chain, struct strbuf *leaf_pem, struct strbuf *chain_pem)
{
	X509   *cert;
	int     i;

	sb_reset(leaf_pem);
	sb_reset(chain_pem);
	if (chain == NULL || sk_X509_num(chain) < 1
	    || pem_append(leaf_pem, sk_X509_value(chain, 0)) != 0)
		return -1;
	for (i = 1; i < sk_X509_num(chain); i++) {
		cert = sk_X509_value(chain, i);
		if (cert_is_self_issued(cert))	/* the chain is verified */
			continue;
		if (pem_append(chain_pem, cert) != 0)
			return -1;
	}
	return 0;
}
