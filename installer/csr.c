/*
 * NAME
 *	csr - the certificate signing request to paste into the CA's form
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int csr_make_pem(EVP_PKEY *pkey, const char *domain,
 *			 const struct strlist *alt_names, struct strbuf *pem,
 *			 struct strbuf *why)
 * DESCRIPTION
 *	Builds a PKCS#10 request for pkey, signed with SHA-256: subject
 *	CN=domain (left out when longer than the 64 characters X.520
 *	allows; the names are in the extension anyway), a subjectAltName
 *	extension with domain and every alternative name as dNSName, in that
 *	order, each once.  The names must have been validated by the caller
 *	(valid_domain_name()).  Appends the PEM to pem; 0, or -1 with why.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "install.h"

#define CN_MAX	64			/* ub-common-name */

/* openssl_reason - the last OpenSSL error in words */

static const char *openssl_reason(void)
{
	const char *reason = ERR_reason_error_string(ERR_get_error());

	return reason ? reason : "unknown OpenSSL error";
}

static int add_dns_name(GENERAL_NAMES *names, const char *name)
{
	GENERAL_NAME *gen;
	ASN1_IA5STRING *ia5;

	if ((gen = GENERAL_NAME_new()) == NULL)
		return -1;
	if ((ia5 = ASN1_IA5STRING_new()) == NULL || ASN1_STRING_set(ia5, name, -1) != 1) {
		ASN1_IA5STRING_free(ia5);
		GENERAL_NAME_free(gen);
		return -1;
	}
	GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
	if (sk_GENERAL_NAME_push(names, gen) <= 0) {
		GENERAL_NAME_free(gen);
		return -1;
	}
	return 0;
}

/* seen_before - name is domain or an earlier alternative name */

static int seen_before(const char *domain, const struct strlist *alt_names, size_t upto)
{
	size_t i;

	if (strcasecmp(domain, alt_names->items[upto]) == 0)
		return 1;
	for (i = 0; i < upto; i++)
		if (strcasecmp(alt_names->items[i], alt_names->items[upto]) == 0)
			return 1;
	return 0;
}

static int add_names(X509_REQ *req, const char *domain, const struct strlist *alt_names)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *names;
	size_t i;
	int rc = -1;

	if ((names = GENERAL_NAMES_new()) == NULL)
		return -1;
	if (add_dns_name(names, domain) < 0)
		goto out;
	for (i = 0; i < alt_names->count; i++)
		if (!seen_before(domain, alt_names, i) && add_dns_name(names, alt_names->items[i]) < 0)
			goto out;
	if (X509V3_add1_i2d(&exts, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = X509_REQ_add_extensions(req, exts) == 1 ? 0 : -1;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(names);
	return rc;
}

static int set_subject(X509_REQ *req, const char *domain)
{
	X509_NAME *subject = X509_REQ_get_subject_name(req);

	if (strlen(domain) > CN_MAX)
		return 0;
	return X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *) domain,
					  -1, -1, 0) == 1 ? 0 : -1;
}

static int append_pem(X509_REQ *req, struct strbuf *pem)
{
	BIO    *bio;
	char   *data;
	long    len;
	int     rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_X509_REQ(bio, req) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0) {
		sb_append(pem, data, (size_t) len);
		rc = 0;
	}
	BIO_free(bio);
	return rc;
}

int csr_make_pem(EVP_PKEY *pkey, const char *domain, const struct strlist *alt_names,
		         struct strbuf *pem, struct strbuf *why)
{
	X509_REQ *req;
	int     rc = -1;

	if ((req = X509_REQ_new()) == NULL) {
		sb_appends(why, "out of memory making the CSR");
		return -1;
	}
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1
	    || set_subject(req, domain) < 0
	    || X509_REQ_set_pubkey(req, pkey) != 1
	    || add_names(req, domain, alt_names) < 0
	    || X509_REQ_sign(req, pkey, EVP_sha256()) <= 0
	    || append_pem(req, pem) < 0)
		sb_appendf(why, "cannot make the CSR: %s", openssl_reason());
	else
		rc = 0;
	X509_REQ_free(req);
	return rc;
}
