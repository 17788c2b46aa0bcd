/*
 * NAME
 *	intake_cert - a certificate delivery into the ledger
 * SYNOPSIS
 *	#include "intake_int.h"
 *
 *	int intake_record_certificate(struct intake_run *run)
 * DESCRIPTION
 *	A certificate is matched to orders by the SHA-256 of its public key
 *	(book_orders_with_key()), never by what the mail says; open orders
 *	come before installed ones, cancelled and superseded orders get
 *	nothing.  In three steps, so that the ledger lock is never held
 *	while a signature is checked:
 *
 *	1. under the lock, the candidate orders of each leaf are read;
 *	2. without it, each (leaf, order) pair, at most
 *	   INTAKE_CERT_CANDIDATES, is verified for the order: all its names,
 *	   valid now, chaining to [ca] trust_store at OpenSSL security
 *	   level 2 (verify.c);
 *	3. under the lock, in one transaction: the order is read again (it
 *	   may have been cancelled meanwhile), and certificates only move
 *	   forward: the same certificate again changes nothing and says so;
 *	   another one is taken only when it is newer than the newest the
 *	   order has (recorded by the intake, if that record's own PEM still
 *	   verifies for the order's key: a rewritten row does not count; or
 *	   installed by the installer):
 *	   issued later and expiring later, whatever its lifetime.  Then the
 *	   certificate (the chain verification built, root left out), the
 *	   order's progress issued and an install request for the installer,
 *	   which checks all of it again as root.  Anything else is an event
 *	   with the reason, and nothing changes.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "intake_int.h"
#include "msg.h"
#include "mymalloc.h"
#include "printable.h"
#include "verify.h"

/* One leaf with one order that has its key. */
struct candidate {
	const struct cert_found *leaf;
	struct order order;
};

/* What step 2 found. */
struct cert_choice {
	struct candidate cands[INTAKE_CERT_CANDIDATES];
	size_t  count;
	size_t  leaves;
	const struct cert_found *found;	/* the verified leaf, in the bundle */
	const struct order *order;	/* its order */
	STACK_OF(X509) *chain;		/* as X509_verify_cert() built it */
	long long refused_order;	/* the first order a check refused */
	struct strbuf why;		/* and why */
	long long closed_order;		/* an order with the key that is closed */
};

static void choice_free(struct cert_choice *c)
{
	size_t  i;

	for (i = 0; i < c->count; i++)
		order_clear(&c->cands[i].order);
	sk_X509_pop_free(c->chain, X509_free);
	sb_free(&c->why);
}

/* add_candidates - the orders with leaf's key: open first, then installed */

static int add_candidates(struct intake_run *run, const struct cert_found *leaf,
			  struct cert_choice *c)
{
	struct order *orders;
	size_t  count;
	size_t  i;
	int     pass;

	if (book_orders_with_key(run->ledger, leaf->spki_sha256, &orders, &count) < 0)
		return -1;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < count && c->count < INTAKE_CERT_CANDIDATES; i++) {
			if (orders[i].status != (pass == 0 ? BOOK_OPEN : BOOK_INSTALLED)) {
				if (pass == 0 && orders[i].status != BOOK_INSTALLED && c->closed_order == 0)
					c->closed_order = orders[i].id;
				continue;
			}
			c->cands[c->count].leaf = leaf;
			c->cands[c->count].order = orders[i];
			memset(&orders[i], 0, sizeof(orders[i]));
			c->count++;
		}
	}
	orders_free(orders, count);
	return 0;
}

static int read_candidates(struct intake_run *run, struct cert_choice *c)
{
	const struct certbundle *bundle = &run->verdict->certs;
	size_t  i;
	int     rc = 0;

	intake_run_take(run);
	for (i = 0; i < bundle->count && rc == 0; i++) {
		if (bundle->certs[i].role != CERT_ROLE_LEAF)
			continue;
		c->leaves++;
		rc = add_candidates(run, &bundle->certs[i], c);
	}
	return intake_run_give(run, rc);
}

static void order_names(const struct order *order, struct strlist *names)
{
	strlist_add(names, order->domain);
	strlist_copy(names, &order->alt_names);
}

/* verify_candidates - step 2, without the lock */

static void verify_candidates(struct intake_run *run, struct cert_choice *c)
{
	struct strlist names = STRLIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct cert_found *found;
	size_t  i;

	for (i = 0; i < c->count && c->found == NULL; i++) {
		strlist_clear(&names);
		sb_reset(&why);
		order_names(&c->cands[i].order, &names);
		if (cert_verify_for_order_in(&run->verdict->certs, X509_get0_pubkey(c->cands[i].leaf->x509),
					     &names, run->anchors, time(NULL), &found, &c->chain, &why) == 0
		    && found) {
			c->found = found;
			c->order = &c->cands[i].order;
		} else if (c->refused_order == 0) {
			c->refused_order = c->cands[i].order.id;
			sb_appends(&c->why, why.len ? sb_str(&why) : "does not verify");
		}
	}
	strlist_free(&names);
	sb_free(&why);
}

/* Step 3 ------------------------------------------------------------------- */

/* verified_dates - the dates of a certificate row of the intake's ledger
 * as its own PEM says, when that PEM is the row's certificate, for the
 * order's key, and verifies to the trust store now: the row is the
 * intake's, and a row someone rewrote (a far-future date, another
 * certificate) must not hold back every genuine certificate to come */

static int verified_dates(struct intake_run *run, const struct cert_record *row,
			  const char *key_sha256, long long *not_before, long long *not_after)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf why = STRBUF_INIT;
	const struct cert_found *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	size_t  i;
	int     ok = 0;

	parse_limits_default(&limits);
	certbundle_init(&bundle);
	certbundle_add_text(&bundle, row->leaf_pem ? row->leaf_pem : "",
			    row->leaf_pem ? strlen(row->leaf_pem) : 0, "the recorded leaf", &limits);
	certbundle_add_text(&bundle, row->chain_pem ? row->chain_pem : "",
			    row->chain_pem ? strlen(row->chain_pem) : 0, "the recorded chain", &limits);
	for (i = 0; i < bundle.count && leaf == NULL; i++)
		if (row->sha256 && strcmp(bundle.certs[i].sha256, row->sha256) == 0)
			leaf = &bundle.certs[i];
	if (leaf && key_sha256 && strcmp(leaf->spki_sha256, key_sha256) == 0
	    && cert_verify_chain_in(&bundle, leaf, run->anchors, time(NULL), &chain, &why) == 0) {
		*not_before = (long long) leaf->not_before;
		*not_after = (long long) leaf->not_after;
		ok = 1;
	}
	if (chain)
		sk_X509_pop_free(chain, X509_free);
	certbundle_free(&bundle);
	sb_free(&why);
	return ok;
}

/* newest_known - the dates of the newest certificate the order has: its
 * latest in the intake's ledger (as its row says, unless trust_row is 0)
 * or the installer's newest installed one; *from_row says which */

static int newest_known(struct intake_run *run, const struct order *order, int trust_row,
			long long *not_before, long long *not_after, char *sha256, size_t sha_len,
			int *from_row)
{
	struct cert_record latest;
	struct install_job job;
	int     rc;

	*not_before = *not_after = 0;
	sha256[0] = 0;
	*from_row = 0;
	memset(&latest, 0, sizeof(latest));
	if (trust_row && (rc = intake_latest_certificate(run->ledger, order->id, &latest)) < 0)
		return -1;
	if (trust_row && rc == 0) {
		*not_before = latest.not_before;
		*not_after = latest.not_after;
		snprintf(sha256, sha_len, "%s", latest.sha256 ? latest.sha256 : "");
		*from_row = 1;
	}
	cert_record_clear(&latest);
	memset(&job, 0, sizeof(job));
	if ((rc = book_install_latest_done(run->ledger, order->id, &job)) < 0)
		return -1;
	if (rc == 0 && job.not_after > *not_after) {
		*not_before = job.not_before;
		*not_after = job.not_after;
		snprintf(sha256, sha_len, "%s", job.cert_sha256 ? job.cert_sha256 : "");
		*from_row = 0;
	}
	install_job_clear(&job);
	return 0;
}

/* row_still_verifies - before a certificate is refused as not newer than
 * the intake's own latest row: does that row's PEM still verify? */

static int row_still_verifies(struct intake_run *run, const struct order *order)
{
	struct cert_record latest;
	long long nb;
	long long na;
	int     ok = 0;

	memset(&latest, 0, sizeof(latest));
	if (intake_latest_certificate(run->ledger, order->id, &latest) == 0)
		ok = verified_dates(run, &latest, order->key_sha256, &nb, &na)
		    && nb == latest.not_before && na == latest.not_after;
	if (!ok)
		msg_warn("order %lld: the intake's latest certificate row %lld does not verify now as "
			 "the order's (expired, or rewritten): it does not count", order->id, latest.id);
	cert_record_clear(&latest);
	return ok;
}

static int store_certificate(struct intake_run *run, const struct cert_choice *c)
{
	const struct cert_found *leaf = c->found;
	struct cert_record cert;
	struct strbuf pem = STRBUF_INIT;
	struct strbuf chain = STRBUF_INIT;
	long long request = 0;
	int     is_new;
	int     rc;

	memset(&cert, 0, sizeof(cert));
	if (chain_write_pem(c->chain, &pem, &chain) < 0) {
		sb_free(&pem);
		sb_free(&chain);
		return ledger_refuse(run->ledger, "cannot write the certificate as PEM");
	}
	cert.order_id = c->order->id;
	cert.message_row = run->msg.id;
	cert.sha256 = xstrdup(leaf->sha256);
	cert.spki_sha256 = xstrdup(leaf->spki_sha256);
	cert.leaf_pem = sb_steal(&pem);
	cert.chain_pem = chain.len ? sb_steal(&chain) : xstrdup("");
	cert.subject = leaf->subject ? xstrdup(leaf->subject) : NULL;
	cert.issuer = leaf->issuer ? xstrdup(leaf->issuer) : NULL;
	strlist_copy(&cert.names, &leaf->names);
	cert.not_before = (long long) leaf->not_before;
	cert.not_after = (long long) leaf->not_after;
	rc = intake_add_certificate(run->ledger, &cert, &is_new);
	if (rc == 0 && !is_new) {
		intake_what(run, "certificate already recorded (another order's); nothing changes");
	} else if (rc == 0) {
		rc = intake_set_progress(run->ledger, c->order->id, ORDER_ISSUED, "certificate by mail");
		if (rc == 0)
			rc = intake_add_install_request(run->ledger, c->order->id, cert.id, &request, &is_new);
		if (rc == 0) {
			run->res->orders_changed = 1;
			run->res->install_request = request;
			intake_what(run, "certificate issued for order %lld, install request %lld",
				    c->order->id, request);
		}
	}
	cert_record_clear(&cert);
	sb_free(&pem);
	sb_free(&chain);
	return rc;
}

/* accept_verified - the order again, then forward only */

static int accept_verified(struct intake_run *run, const struct cert_choice *c)
{
	const struct cert_found *leaf = c->found;
	struct order now;
	char    sha[65];
	long long nb;
	long long na;
	int     from_row;
	int     rc;

	if (intake_insert_message(run, c->order->id, "certificate for the order's key") < 0)
		return -1;
	if ((rc = book_get_order(run->ledger, c->order->id, &now)) != 0)
		return rc < 0 ? -1 : intake_add_event(run->ledger, c->order->id, "certificate_refused",
						      "message %lld: the order is gone", run->msg.id);
	rc = now.status;
	order_clear(&now);
	if (rc != BOOK_OPEN && rc != BOOK_INSTALLED) {
		intake_what(run, "certificate for order %lld, which is %s: not accepted", c->order->id,
			    book_status_name((enum book_status) rc));
		return intake_add_event(run->ledger, c->order->id, "certificate_refused",
					"message %lld: the order is %s", run->msg.id,
					book_status_name((enum book_status) rc));
	}
	if (newest_known(run, c->order, 1, &nb, &na, sha, sizeof(sha), &from_row) < 0)
		return -1;
	/* The intake's own row holds a certificate back only if it verifies
	 * (checked only then: it costs a chain verification). */
	if (na != 0 && from_row && strcmp(sha, leaf->sha256) != 0
	    && !((long long) leaf->not_before > nb && (long long) leaf->not_after > na)
	    && !row_still_verifies(run, c->order)
	    && newest_known(run, c->order, 0, &nb, &na, sha, sizeof(sha), &from_row) < 0)
		return -1;
	if (strcmp(sha, leaf->sha256) == 0) {
		intake_what(run, "certificate already recorded for order %lld; nothing changes",
			    c->order->id);
		return intake_add_event(run->ledger, c->order->id, "certificate_again",
					"message %lld repeats certificate %s; nothing changes", run->msg.id,
					leaf->sha256);
	}
	if (na != 0 && !((long long) leaf->not_before > nb && (long long) leaf->not_after > na)) {
		intake_what(run, "certificate for order %lld is not newer than the one it has; "
			    "not accepted", c->order->id);
		return intake_add_event(run->ledger, c->order->id, "certificate_not_newer",
					"message %lld: certificate %s (valid %lld to %lld) is not newer than "
					"%s (valid %lld to %lld); nothing changes", run->msg.id,
					leaf->sha256, (long long) leaf->not_before,
					(long long) leaf->not_after, sha, nb, na);
	}
	return store_certificate(run, c);
}

static int record_refusal(struct intake_run *run, const struct cert_choice *c)
{
	char    why[INTAKE_WHAT_MAX];

	printable_buf(why, sizeof(why), sb_str(&c->why), PRINTABLE_ASCII | PRINTABLE_SPACES);
	intake_what(run, "certificate for order %lld not accepted: %s", c->refused_order, why);
	if (intake_insert_message(run, c->refused_order, sb_str(&c->why)) < 0)
		return -1;
	return intake_add_event(run->ledger, c->refused_order, "certificate_refused",
				"certificate in message %lld not accepted, order unchanged: %s",
				run->msg.id, sb_str(&c->why));
}

/* record_no_leaf - a certificate mail without a leaf mailcert would take:
 * the parser's first note says why (a refused key or signature) */

static int record_no_leaf(struct intake_run *run)
{
	const struct strlist *notes = &run->verdict->certs.notes;
	char    why[200];

	if (notes->count == 0) {
		intake_what(run, "certificate mail without a certificate");
		return intake_insert_message(run, 0, "no leaf certificate found");
	}
	printable_buf(why, sizeof(why), notes->items[0], PRINTABLE_ASCII | PRINTABLE_SPACES);
	intake_what(run, "certificate mail without an acceptable certificate: %s", why);
	return intake_insert_message(run, 0, notes->items[0]);
}

static int record_choice(struct intake_run *run, const struct cert_choice *c)
{
	if (c->found)
		return accept_verified(run, c);
	if (c->refused_order)
		return record_refusal(run, c);
	if (c->closed_order) {
		intake_what(run, "certificate for order %lld, which is closed: not accepted",
			    c->closed_order);
		if (intake_insert_message(run, c->closed_order, "the order is closed") < 0)
			return -1;
		return intake_add_event(run->ledger, c->closed_order, "certificate_refused",
					"message %lld: a certificate for the key of a closed order",
					run->msg.id);
	}
	if (c->leaves) {
		intake_what(run, "certificate, no open order has its key");
		return intake_insert_message(run, 0, "no open order has the certificate's key");
	}
	return record_no_leaf(run);
}

int intake_record_certificate(struct intake_run *run)
{
	struct cert_choice c;
	int     rc;

	memset(&c, 0, sizeof(c));
	if (read_candidates(run, &c) < 0) {
		choice_free(&c);
		return -1;
	}
	verify_candidates(run, &c);
	intake_run_take(run);
	rc = ledger_begin(run->ledger);
	if (rc == 0 && record_choice(run, &c) < 0) {
		ledger_rollback(run->ledger);
		rc = -1;
	} else if (rc == 0) {
		rc = ledger_commit(run->ledger);
	}
	intake_run_give(run, rc);
	choice_free(&c);
	return rc;
}
