/*
 * NAME
 *	cert_describe - what the ledger and the verdict say about a certificate
 * SYNOPSIS
 *	#include "certbundle_int.h"
 *
 *	int cert_describe(struct cert_found *found, X509 *cert, const char *source)
 *	int cert_acceptable(X509 *cert, char *why, size_t why_len)
 *	void cert_found_clear(struct cert_found *found)
 * DESCRIPTION
 *	cert_describe() fills found from cert, whose reference it takes in
 *	every case: the SHA-256 of the DER certificate and of its public key,
 *	subject and issuer on one line in RFC 2253 form, the DNS names and IP
 *	addresses (as text) of its subjectAltName, notBefore and notAfter as
 *	time_t, and a copy of source.  A name holding anything but printable
 *	ASCII is left out.  Returns 0, or -1 (found cleared) when the
 *	certificate cannot even be hashed.
 *
 *	cert_found_clear() frees what found holds and zeroes it.
 *
 *	cert_acceptable() says, before any signature is checked with it,
 *	whether a certificate of a mail is one mailcert takes at all: an RSA
 *	key of CERT_MIN_RSA_BITS to CERT_MAX_RSA_BITS with an odd exponent of
 *	at most CERT_MAX_RSA_EXPONENT (a huge exponent makes each check
 *	slow), an EC key of at least CERT_MIN_EC_BITS, Ed25519 or Ed448; and,
 *	unless the certificate is self-issued (a root, trusted or not by the
 *	trust store alone), a signature of at least CERT_MIN_SIG_BITS bits
 *	of security (no SHA-1: OpenSSL security level 2).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <stdio.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "certbundle_int.h"
#include "mymalloc.h"

/* name_line - X509_NAME in RFC 2253 form, on one line */
static char *name_line(const X509_NAME *name)
{
	BIO    *bio;
	char   *text;
	char   *data;
	long    len;

	if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return xstrdup("");
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		len = 0;
	else
		len = BIO_get_mem_data(bio, &data);
	text = len > 0 ? xstrndup(data, (size_t) len) : xstrdup("");
	BIO_free(bio);
	return text;
}

/* asn1_time_t - an ASN1_TIME as time_t, 0 when unreadable */
static time_t asn1_time_t(const ASN1_TIME *when)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (when == NULL || ASN1_TIME_to_tm(when, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* printable_ascii - is the string all printable ASCII, without NUL? */
static int printable_ascii(const unsigned char *data, int len)
{
	int     i;

	if (len <= 0)
		return 0;
	for (i = 0; i < len; i++)
		if (data[i] < 0x21 || data[i] > 0x7e)
			return 0;
	return 1;
}

static void add_dns_name(struct strlist *names, const ASN1_IA5STRING *dns)
{
	const unsigned char *data = ASN1_STRING_get0_data(dns);
	int     len = ASN1_STRING_length(dns);

	if (printable_ascii(data, len))
		strlist_add_owned(names, xstrndup((const char *) data, (size_t) len));
}

static void add_ip_address(struct strlist *names, const ASN1_OCTET_STRING *ip)
{
	char    text[INET6_ADDRSTRLEN];
	const unsigned char *data = ASN1_STRING_get0_data(ip);
	int     len = ASN1_STRING_length(ip);

	if (len == 4 && inet_ntop(AF_INET, data, text, sizeof(text)))
		strlist_add(names, text);
	else if (len == 16 && inet_ntop(AF_INET6, data, text, sizeof(text)))
		strlist_add(names, text);
}

/* san_names - the DNS names and IP addresses of subjectAltName */
static void san_names(X509 *cert, struct strlist *names)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *gen;
	int     i;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type == GEN_DNS)
			add_dns_name(names, gen->d.dNSName);
		else if (gen->type == GEN_IPADD)
			add_ip_address(names, gen->d.iPAddress);
	}
	GENERAL_NAMES_free(gens);
}

int cert_describe(struct cert_found *found, X509 *cert, const char *source)
{
	memset(found, 0, sizeof(*found));
	found->x509 = cert;
	if (cert_sha256_hex(cert, found->sha256) != 0) {
		cert_found_clear(found);
		return -1;
	}
	if (cert_spki_sha256_hex(cert, found->spki_sha256) != 0)
		found->spki_sha256[0] = 0;
	found->subject = name_line(X509_get_subject_name(cert));
	found->issuer = name_line(X509_get_issuer_name(cert));
	san_names(cert, &found->names);
	found->not_before = asn1_time_t(X509_get0_notBefore(cert));
	found->not_after = asn1_time_t(X509_get0_notAfter(cert));
	found->role = CERT_ROLE_UNKNOWN;
	found->source = xstrdup(source ? source : "");
	return 0;
}

/* rsa_key_ok - size and exponent of an RSA key, before it verifies anything */
static int rsa_key_ok(EVP_PKEY *key, char *why, size_t why_len)
{
	BIGNUM *e = NULL;
	int     bits = EVP_PKEY_get_bits(key);
	int     ok;

	if (bits < CERT_MIN_RSA_BITS || bits > CERT_MAX_RSA_BITS) {
		snprintf(why, why_len, "an RSA key of %d bits (%d to %d are accepted)", bits,
			 CERT_MIN_RSA_BITS, CERT_MAX_RSA_BITS);
		return 0;
	}
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || e == NULL) {
		snprintf(why, why_len, "an RSA key whose exponent cannot be read");
		return 0;
	}
	ok = BN_num_bits(e) <= 32 && BN_get_word(e) <= CERT_MAX_RSA_EXPONENT && BN_is_odd(e);
	BN_free(e);
	if (!ok)
		snprintf(why, why_len, "an RSA key with a public exponent over %lu",
			 (unsigned long) CERT_MAX_RSA_EXPONENT);
	return ok;
}

static int key_ok(X509 *cert, char *why, size_t why_len)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);

	if (key == NULL) {
		snprintf(why, why_len, "a key that cannot be read");
		return 0;
	}
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		return rsa_key_ok(key, why, why_len);
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_bits(key) >= CERT_MIN_EC_BITS)
			return 1;
		snprintf(why, why_len, "an EC key of %d bits", EVP_PKEY_get_bits(key));
		return 0;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return 1;
	default:
		snprintf(why, why_len, "a key of a kind mailcert does not accept (%s)",
			 OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
		return 0;
	}
}

int cert_acceptable(X509 *cert, char *why, size_t why_len)
{
	int     secbits = 0;
	int     ok;

	ok = key_ok(cert, why, why_len);
	if (ok && !cert_is_self_issued(cert)
	    && (X509_get_signature_info(cert, NULL, NULL, &secbits, NULL) != 1
		|| secbits < CERT_MIN_SIG_BITS)) {
		snprintf(why, why_len, "a signature of %d bits of security (SHA-1 or weaker; "
			 "at least %d are accepted)", secbits, CERT_MIN_SIG_BITS);
		ok = 0;
	}
	ERR_clear_error();
	return ok;
}

void cert_found_clear(struct cert_found *found)
{
	X509_free(found->x509);
	free(found->subject);
	free(found->issuer);
	strlist_free(&found->names);
	free(found->source);
	memset(found, 0, sizeof(*found));
}
