/*
 * NAME
 *	chain_order - put the certificates of a message in chain order
 * SYNOPSIS
 *	#include "certbundle.h"
 *
 *	void certbundle_order(struct certbundle *bundle)
 *	int cert_is_self_issued(X509 *cert)
 * DESCRIPTION
 *	certbundle_order() sets each certificate's role and reorders the
 *	bundle: every leaf followed by its issuer, that issuer's issuer and
 *	so on up to (not including) a root; then the intermediates that no
 *	leaf reaches, lowest first, each followed by its own issuers; then
 *	the roots.  A certificate already placed is not placed again (two
 *	leaves of one intermediate share it).
 *
 *	An issuer is found by name, never by file name or by the order the
 *	mail had: its subject is the child's issuer name and key
 *	identifiers and key usage agree (X509_check_issued()).  Only when
 *	several certificates of the message pass that does a signature
 *	check choose among them, at most CERT_MAX_SIGNATURE_CHECKS per
 *	message (after that the issuer is left unknown), and only with keys
 *	cert_acceptable() let into the bundle: a mail of many same-name
 *	issuers costs a bounded number of bounded checks.  This order is for reading; what is
 *	trusted and installed is the chain X509_verify_cert() builds
 *	(installer/verify.c), which checks every signature itself.
 *
 *	Roles: a self-issued certificate (its issuer name is its own
 *	subject, key identifiers agree) is a root; one with
 *	basicConstraints CA:TRUE is an intermediate; anything else is a leaf.
 *	cert_is_self_issued() is that test for a root, without a signature
 *	check: 1 or 0.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certbundle.h"
#include "mymalloc.h"

struct placing {
	const struct certbundle *bundle;
	int     checks_left;		/* signature checks this bundle may still make */
	long   *issuer;			/* index of each certificate's issuer, or -1 */
	char   *placed;
	size_t *order;			/* indexes in their new order */
	size_t  count;			/* of order */
};

/* may_have_issued - names, key identifiers and key usage agree */
static int may_have_issued(X509 *issuer, X509 *child)
{
	int     yes = X509_check_issued(issuer, child) == X509_V_OK;

	ERR_clear_error();
	return yes;
}

/* signed_by - issuer's key verifies child's signature */
static int signed_by(X509 *child, X509 *issuer)
{
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	int     yes = key != NULL && X509_verify(child, key) == 1;

	ERR_clear_error();
	return yes;
}

int cert_is_self_issued(X509 *cert)
{
	int     yes = X509_self_signed(cert, 0) == 1;

	ERR_clear_error();
	return yes;
}

static enum cert_role role_of(X509 *cert)
{
	if (cert_is_self_issued(cert))
		return CERT_ROLE_ROOT;
	if (X509_get_extension_flags(cert) & EXFLAG_CA)
		return CERT_ROLE_INTERMEDIATE;
	return CERT_ROLE_LEAF;
}

/* find_issuer - index of the certificate that issued certs[i], or -1: the
 * one candidate by name, or among several the first whose key signed it,
 * as long as the bundle's budget of signature checks lasts */
static long find_issuer(struct placing *pl, size_t i)
{
	const struct certbundle *bundle = pl->bundle;
	X509   *child = bundle->certs[i].x509;
	long    first = -1;
	size_t  candidates = 0;
	size_t  j;

	if (bundle->certs[i].role == CERT_ROLE_ROOT)
		return -1;
	for (j = 0; j < bundle->count; j++) {
		if (j == i || !may_have_issued(bundle->certs[j].x509, child))
			continue;
		if (candidates++ == 0)
			first = (long) j;
	}
	if (candidates <= 1)
		return first;
	for (j = 0; j < bundle->count && pl->checks_left > 0; j++) {
		if (j == i || !may_have_issued(bundle->certs[j].x509, child))
			continue;
		pl->checks_left--;
		if (signed_by(child, bundle->certs[j].x509))
			return (long) j;
	}
	return -1;
}

static void place(struct placing *pl, size_t i)
{
	pl->placed[i] = 1;
	pl->order[pl->count++] = i;
}

/* place_with_issuers - i, then its issuers up to a root or one placed */
static void place_with_issuers(struct placing *pl, size_t i)
{
	long    k;

	place(pl, i);
	for (k = pl->issuer[i]; k >= 0 && !pl->placed[k]; k = pl->issuer[k]) {
		if (pl->bundle->certs[k].role == CERT_ROLE_ROOT)
			break;
		place(pl, (size_t) k);
	}
}

/* issues_unplaced - did i issue a certificate not yet placed? */
static int issues_unplaced(const struct placing *pl, size_t i)
{
	size_t  j;

	for (j = 0; j < pl->bundle->count; j++)
		if (j != i && !pl->placed[j] && pl->issuer[j] == (long) i)
			return 1;
	return 0;
}

/* place_role - every certificate of this role not yet placed; with
 * bottom_first, first those that issued none of the others */
static void place_role(struct placing *pl, enum cert_role role, int with_issuers,
		       int bottom_first)
{
	size_t  i;

	for (i = 0; i < pl->bundle->count; i++) {
		if (pl->placed[i] || pl->bundle->certs[i].role != role)
			continue;
		if (bottom_first && issues_unplaced(pl, i))
			continue;
		if (with_issuers)
			place_with_issuers(pl, i);
		else
			place(pl, i);
	}
}

void certbundle_order(struct certbundle *bundle)
{
	struct placing pl;
	struct cert_found *sorted;
	size_t  i;

	if (bundle->count == 0)
		return;
	for (i = 0; i < bundle->count; i++)
		bundle->certs[i].role = role_of(bundle->certs[i].x509);
	memset(&pl, 0, sizeof(pl));
	pl.bundle = bundle;
	pl.checks_left = CERT_MAX_SIGNATURE_CHECKS;
	pl.issuer = xcalloc(bundle->count, sizeof(*pl.issuer));
	pl.placed = xcalloc(bundle->count, 1);
	pl.order = xcalloc(bundle->count, sizeof(*pl.order));
	for (i = 0; i < bundle->count; i++)
		pl.issuer[i] = find_issuer(&pl, i);
	place_role(&pl, CERT_ROLE_LEAF, 1, 0);
	place_role(&pl, CERT_ROLE_INTERMEDIATE, 1, 1);
	place_role(&pl, CERT_ROLE_INTERMEDIATE, 1, 0);
	place_role(&pl, CERT_ROLE_ROOT, 0, 0);
	place_role(&pl, CERT_ROLE_UNKNOWN, 0, 0);
	sorted = xcalloc(bundle->cap, sizeof(*sorted));
	for (i = 0; i < pl.count; i++)
		sorted[i] = bundle->certs[pl.order[i]];
	free(bundle->certs);
	bundle->certs = sorted;
	free(pl.issuer);
	free(pl.placed);
	free(pl.order);
}
