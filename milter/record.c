/*
 * NAME
 *	record - one message into the ledger, in one transaction
 * SYNOPSIS
 *	int record_mail(struct milter_ledger *ml, struct watch *watch,
 *			const struct settings *settings, const struct mail_facts *facts,
 *			const struct verdict *verdict, struct strbuf *what,
 *			long long *job_id)
 *	void header_safe_text(const char *text, char *out, size_t len)
 * DESCRIPTION
 *	record_mail() records what the parser found in one message, together
 *	with its effect on an order, in one BEGIN IMMEDIATE ... COMMIT, so
 *	that a crash or a full disk leaves either all of it or none:
 *
 *	approval	matched to an open order by CA profile, CA order number
 *			when both are known, and domain (the mail's domain is
 *			one of the order's names, a parent of one, or below
 *			one).  Authenticated: the approval is recorded and the
 *			order becomes approval_received.  Not: an event with
 *			the reasons; the order is unchanged.
 *	certificate	matched by the SHA-256 of each leaf's public key to the
 *			open orders with that key, then verified for the order
 *			(all its names, valid now, chaining to [ca] trust_store).
 *			Only then: the certificate, order -> issued and an
 *			install job (*job_id).  Else an event with the reason.
 *	decline		matched like an approval; authenticated: the order is
 *			declined.
 *	notice		recorded, with an event on the order it matches.
 *	none		recorded when it is CA mail; other mail is not recorded.
 *
 *	A message is recorded once per Message-ID.  verdict is NULL when the
 *	message was not parsed (facts->too_big says why).  On return what
 *	holds a short text for the X-Mailcert header.  The result is 0, or
 *	-1 when the ledger failed (logged here with the queue id, nothing
 *	recorded).
 *
 *	header_safe_text() copies text into out as printable ASCII, at most
 *	len - 1 characters: nothing from a stranger reaches a header raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509.h>

#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "names.h"
#include "verify.h"

#define REASON_MAX	1000		/* characters of a recorded reason */

struct record_run {
	struct ledger *ledger;
	const struct config *cfg;
	X509_STORE *trust_anchors;
	const struct mail_facts *facts;
	const struct verdict *verdict;
	struct message_record msg;
	struct strbuf *what;
	long long *job_id;
	int     orders_changed;
};

/* The open orders a CA mail is about (not a certificate: that goes by key). */
struct matches {
	struct order *orders;
	size_t  count;
	size_t  index[MILTER_MATCHES_MAX];
	size_t  n;
};

void header_safe_text(const char *text, char *out, size_t len)
{
	size_t  i = 0;

	if (len == 0)
		return;
	for (; text && *text && i + 1 < len; text++) {
		if (*text == '\r' || *text == '\n' || *text == '\t')
			out[i++] = ' ';
		else
			out[i++] = (*text >= 0x20 && *text < 0x7f) ? *text : '?';
	}
	out[i] = 0;
}

static void reasons_text(const struct verdict *v, struct strbuf *sb)
{
	size_t  i;

	for (i = 0; v && i < v->reasons.count && sb->len < REASON_MAX; i++) {
		if (i)
			sb_appends(sb, "; ");
		sb_appends(sb, v->reasons.items[i]);
	}
	if (sb->len > REASON_MAX) {
		sb->len = REASON_MAX;
		sb->data[sb->len] = 0;
	}
}

/* distrust_reason - the parser lists what it found, good and bad; the
 * header wants the first bad one ("no ...", "... not ..."), else the last */

static const char *distrust_reason(const struct verdict *v)
{
	const char *r;
	size_t  i;

	for (i = 0; i < v->reasons.count; i++) {
		r = v->reasons.items[i];
		if (strncmp(r, "no ", 3) == 0 || strstr(r, " not ") != NULL)
			return r;
	}
	return v->reasons.count ? v->reasons.items[v->reasons.count - 1] : "no reason given";
}

/* insert_message - the message row, with the order it is about */

static int insert_message(struct record_run *run, long long order_id, const char *reason)
{
	int     is_new;

	run->msg.order_id = order_id;
	free(run->msg.reason);
	run->msg.reason = xstrdup(reason);
	if (ledger_record_message(run->ledger, &run->msg, &is_new) < 0)
		return -1;
	return 0;
}

/* Matching CA mail to orders ----------------------------------------- */

static int name_matches_domain(const char *name, const char *domain)
{
	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	return domain_is_within(name, domain) || domain_is_within(domain, name);
}

static int order_has_domain(const struct order *order, const char *domain)
{
	size_t  i;

	if (name_matches_domain(order->domain, domain))
		return 1;
	for (i = 0; i < order->alt_names.count; i++)
		if (name_matches_domain(order->alt_names.items[i], domain))
			return 1;
	return 0;
}

static int same_ca_order(const struct order *order, const struct verdict *v)
{
	return order->ca_order && v->ca_order && strcmp(order->ca_order, v->ca_order) == 0;
}

static int order_matches_mail(const struct order *order, const struct verdict *v)
{
	if (v->ca == NULL || strcasecmp(order->ca, v->ca) != 0)
		return 0;
	if (order->ca_order && v->ca_order && strcmp(order->ca_order, v->ca_order) != 0)
		return 0;
	if (v->domain)
		return order_has_domain(order, v->domain);
	return same_ca_order(order, v);
}

/* narrow - keep the matches for which keep() holds, if any does */

static void narrow(struct matches *m, const struct verdict *v,
		           int (*keep)(const struct order *, const struct verdict *))
{
	size_t  kept = 0;
	size_t  i;

	for (i = 0; i < m->n; i++)
		if (keep(&m->orders[m->index[i]], v))
			m->index[kept++] = m->index[i];
	if (kept > 0)
		m->n = kept;
}

static int awaits_approval(const struct order *order, const struct verdict *v)
{
	return order->state == ORDER_AWAITING_APPROVAL;
}

static int find_matches(struct record_run *run, struct matches *m, int for_approval)
{
	size_t  i;

	memset(m, 0, sizeof(*m));
	if (ledger_list_open_orders(run->ledger, &m->orders, &m->count) < 0)
		return -1;
	for (i = 0; i < m->count && m->n < MILTER_MATCHES_MAX; i++)
		if (order_matches_mail(&m->orders[i], run->verdict))
			m->index[m->n++] = i;
	narrow(m, run->verdict, same_ca_order);
	if (for_approval)
		narrow(m, run->verdict, awaits_approval);
	return 0;
}

static void matches_free(struct matches *m)
{
	orders_free(m->orders, m->count);
	memset(m, 0, sizeof(*m));
}

static const struct order *single_match(const struct matches *m)
{
	return m->n == 1 ? &m->orders[m->index[0]] : NULL;
}

/* record_unmatched - no order, or several: the message alone, events on
 * the candidates */

static int record_unmatched(struct record_run *run, const struct matches *m, const char *kind)
{
	const char *name = verdict_kind_name(run->verdict->kind);
	size_t  i;

	if (m->n == 0) {
		sb_appendf(run->what, "CA %s mail, no matching order", name);
		return insert_message(run, 0, "no open order matches");
	}
	sb_appendf(run->what, "CA %s mail matches %zu orders, not acted on", name, m->n);
	if (insert_message(run, 0, "matches several open orders") < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (ledger_add_event(run->ledger, m->orders[m->index[i]].id, kind,
				     "%s mail (message %lld) matches several orders; order unchanged",
				     name, run->msg.id) < 0)
			return -1;
	return 0;
}

/* record_untrusted - mail that would change an order but is not trusted */

static int record_untrusted(struct record_run *run, const struct order *order)
{
	struct strbuf reasons = STRBUF_INIT;
	int     rc;

	reasons_text(run->verdict, &reasons);
	sb_appendf(run->what, "not trusted: %s", distrust_reason(run->verdict));
	rc = insert_message(run, order->id, sb_str(&reasons));
	if (rc == 0)
		rc = ledger_add_event(run->ledger, order->id, "untrusted_mail",
				      "%s mail (message %lld) not trusted, order unchanged: %s",
				      verdict_kind_name(run->verdict->kind), run->msg.id, sb_str(&reasons));
	sb_free(&reasons);
	return rc;
}

/* Approval ------------------------------------------------------------ */

static int approve_order(struct record_run *run, const struct order *order)
{
	const struct verdict *v = run->verdict;
	struct approval approval;
	int     rc;

	if (insert_message(run, order->id, "approval request") < 0)
		return -1;
	if (order->state != ORDER_AWAITING_APPROVAL && order->state != ORDER_APPROVAL_RECEIVED) {
		sb_appendf(run->what, "approval mail for order %lld, which is already %s", order->id,
			   order_state_name(order->state));
		return ledger_add_event(run->ledger, order->id, "approval_ignored",
					"approval mail (message %lld) for an order already %s",
					run->msg.id, order_state_name(order->state));
	}
	memset(&approval, 0, sizeof(approval));
	approval.order_id = order->id;
	approval.message_row = run->msg.id;
	approval.link = v->link;
	approval.code = v->code;
	approval.ca_order = v->ca_order;
	approval.authenticated = 1;
	if ((rc = ledger_record_approval(run->ledger, &approval)) < 0)
		return -1;
	rc = ledger_set_order_state(run->ledger, order->id, ORDER_APPROVAL_RECEIVED, "approval mail");
	if (rc == 0) {
		run->orders_changed = 1;
		sb_appendf(run->what, "approval recorded for order %lld", order->id);
	}
	return rc;
}

static int record_approval(struct record_run *run)
{
	struct matches m;
	const struct order *order;
	int     rc;

	if (find_matches(run, &m, 1) < 0)
		return -1;
	if ((order = single_match(&m)) == NULL)
		rc = record_unmatched(run, &m, "approval_ambiguous");
	else if (!run->verdict->authenticated)
		rc = record_untrusted(run, order);
	else
		rc = approve_order(run, order);
	matches_free(&m);
	return rc;
}

/* Decline and notice ---------------------------------------------------- */

static int record_decline(struct record_run *run)
{
	struct matches m;
	const struct order *order;
	int     rc;

	if (find_matches(run, &m, 0) < 0)
		return -1;
	if ((order = single_match(&m)) == NULL) {
		rc = record_unmatched(run, &m, "decline_ambiguous");
	} else if (!run->verdict->authenticated) {
		rc = record_untrusted(run, order);
	} else {
		rc = insert_message(run, order->id, "declined by the CA");
		if (rc == 0)
			rc = ledger_set_order_state(run->ledger, order->id, ORDER_DECLINED,
						    "decline mail from the CA");
		if (rc == 0) {
			run->orders_changed = 1;
			sb_appendf(run->what, "order %lld declined by the CA", order->id);
		}
	}
	matches_free(&m);
	return rc;
}

static int record_notice(struct record_run *run)
{
	struct matches m;
	const struct order *order;
	char    subject[MILTER_HEADER_MAX];
	int     rc;

	if (find_matches(run, &m, 0) < 0)
		return -1;
	if ((order = single_match(&m)) == NULL) {
		rc = record_unmatched(run, &m, "notice_ambiguous");
	} else {
		header_safe_text(run->msg.subject, subject, sizeof(subject));
		sb_appendf(run->what, "CA notice for order %lld recorded", order->id);
		rc = insert_message(run, order->id, "CA notice");
		if (rc == 0)
			rc = ledger_add_event(run->ledger, order->id, "ca_notice", "message %lld: %s",
					      run->msg.id, subject);
	}
	matches_free(&m);
	return rc;
}

static int record_other(struct record_run *run)
{
	struct strbuf reasons = STRBUF_INIT;
	int     rc;

	if (run->verdict->ca == NULL) {
		sb_appends(run->what, "not CA mail");
		return 0;
	}
	reasons_text(run->verdict, &reasons);
	sb_appends(run->what, "CA mail, nothing to act on");
	rc = insert_message(run, 0, reasons.len ? sb_str(&reasons) : "not understood");
	sb_free(&reasons);
	return rc;
}

/* Certificates ---------------------------------------------------------- */

static void order_names(const struct order *order, struct strlist *names)
{
	size_t  i;

	strlist_add(names, order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		strlist_add(names, order->alt_names.items[i]);
}

static int store_certificate(struct record_run *run, const struct order *order,
			             const struct cert_found *leaf, STACK_OF(X509) *chain_verified)
{
	struct cert_record cert;
	struct strbuf pem = STRBUF_INIT;
	struct strbuf chain = STRBUF_INIT;
	long long job_id = 0;
	int     is_new;
	int     rc;

	memset(&cert, 0, sizeof(cert));
	if (chain_write_pem(chain_verified, &pem, &chain) < 0) {
		msg_warn("%s: cannot write the certificate as PEM", run->facts->queue_id);
		sb_free(&pem);
		sb_free(&chain);
		return -1;
	}
	cert.order_id = order->id;
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
	rc = ledger_record_certificate(run->ledger, &cert, &is_new);
	if (rc == 0)
		rc = ledger_set_order_state(run->ledger, order->id, ORDER_ISSUED, "certificate by mail");
	if (rc == 0)
		rc = ledger_add_install_job(run->ledger, order->id, cert.id, &job_id, &is_new);
	if (rc == 0) {
		run->orders_changed = 1;
		*run->job_id = job_id;
		sb_appendf(run->what, "certificate issued for order %lld, install job %lld",
			   order->id, job_id);
	}
	cert_record_clear(&cert);
	sb_free(&pem);
	sb_free(&chain);
	return rc;
}

/* verify_for_order - names, validity and chain; the leaf's own public key
 * is the one the order has, as ledger_find_orders_by_key() said */

static int verify_for_order(struct record_run *run, const struct order *order,
			            const struct cert_found *leaf, struct cert_found **found,
			            STACK_OF(X509) **chain, struct strbuf *why)
{
	struct strlist names = STRLIST_INIT;
	int     rc;

	order_names(order, &names);
	rc = cert_verify_for_order_in(&run->verdict->certs, X509_get0_pubkey(leaf->x509), &names,
				      run->trust_anchors, time(NULL), found, chain, why);
	strlist_free(&names);
	return rc;
}

/* The first failure is kept to explain why nothing was issued. */
struct cert_refusal {
	long long order_id;
	struct strbuf why;
};

static int try_leaf(struct record_run *run, const struct cert_found *leaf,
		            struct cert_refusal *refusal, int *done)
{
	struct order *orders;
	struct cert_found *found;
	STACK_OF(X509) *chain;
	struct strbuf why = STRBUF_INIT;
	size_t  count;
	size_t  i;
	int     rc = 0;

	if (ledger_find_orders_by_key(run->ledger, leaf->spki_sha256, &orders, &count) < 0)
		return -1;
	for (i = 0; i < count && !*done && rc == 0; i++) {
		sb_reset(&why);
		found = NULL;
		chain = NULL;
		if (verify_for_order(run, &orders[i], leaf, &found, &chain, &why) == 0 && found) {
			*done = 1;
			rc = insert_message(run, orders[i].id, "certificate for the order's key");
			if (rc == 0)
				rc = store_certificate(run, &orders[i], found, chain);
			sk_X509_pop_free(chain, X509_free);
		} else if (refusal->order_id == 0) {
			refusal->order_id = orders[i].id;
			sb_appends(&refusal->why, why.len ? sb_str(&why) : "does not verify");
		}
	}
	sb_free(&why);
	orders_free(orders, count);
	return rc;
}

static int record_refusal(struct record_run *run, struct cert_refusal *refusal)
{
	char    why[MILTER_HEADER_MAX];

	header_safe_text(sb_str(&refusal->why), why, sizeof(why));
	sb_appendf(run->what, "certificate for order %lld not accepted: %s", refusal->order_id, why);
	if (insert_message(run, refusal->order_id, sb_str(&refusal->why)) < 0)
		return -1;
	return ledger_add_event(run->ledger, refusal->order_id, "certificate_refused",
				"certificate in message %lld not accepted, order unchanged: %s",
				run->msg.id, sb_str(&refusal->why));
}

static int record_certificate(struct record_run *run)
{
	const struct certbundle *bundle = &run->verdict->certs;
	struct cert_refusal refusal;
	size_t  i;
	int     leaves = 0;
	int     done = 0;
	int     rc = 0;

	memset(&refusal, 0, sizeof(refusal));
	for (i = 0; i < bundle->count && !done && rc == 0; i++) {
		if (bundle->certs[i].role != CERT_ROLE_LEAF)
			continue;
		leaves++;
		rc = try_leaf(run, &bundle->certs[i], &refusal, &done);
	}
	if (rc == 0 && !done && refusal.order_id)
		rc = record_refusal(run, &refusal);
	else if (rc == 0 && !done) {
		sb_appends(run->what, leaves ? "certificate, no open order has its key"
			   : "certificate mail without a certificate");
		rc = insert_message(run, 0, leaves ? "no open order has the certificate's key"
				    : "no leaf certificate found");
	}
	sb_free(&refusal.why);
	return rc;
}

/* The dispatch --------------------------------------------------------- */

static const struct record_handler {
	enum verdict_kind kind;
	int     (*record) (struct record_run *run);
}       record_handlers[] = {
	{VERDICT_APPROVAL, record_approval},
	{VERDICT_CERTIFICATE, record_certificate},
	{VERDICT_DECLINE, record_decline},
	{VERDICT_NOTICE, record_notice},
	{VERDICT_NONE, record_other},
};

static int record_too_big(struct record_run *run)
{
	struct strbuf reason = STRBUF_INIT;
	int     rc;

	sb_appendf(&reason, "over %s", run->facts->too_big);
	sb_appendf(run->what, "not parsed: %s", sb_str(&reason));
	rc = insert_message(run, 0, sb_str(&reason));
	sb_free(&reason);
	return rc;
}

static int record_dispatch(struct record_run *run)
{
	size_t  i;

	if (run->verdict == NULL)
		return record_too_big(run);
	for (i = 0; i < sizeof(record_handlers) / sizeof(record_handlers[0]); i++)
		if (record_handlers[i].kind == run->verdict->kind)
			return record_handlers[i].record(run);
	return record_other(run);
}

/* message_id_for - the key of the message: its Message-ID, else one made
 * up from the queue id and the time (recorded, never deduplicated) */

static char *message_id_for(const struct mail_facts *facts, const struct verdict *v)
{
	struct strbuf sb = STRBUF_INIT;
	const char *id = v && v->message_id ? v->message_id : facts->message_id;
	size_t  len;

	if (id) {
		id += strspn(id, " \t<");
		len = strcspn(id, ">");
		while (len > 0 && (id[len - 1] == ' ' || id[len - 1] == '\t'))
			len--;
		if (len > 0)
			return xstrndup(id, len);
	}
	sb_appendf(&sb, "no-message-id.%s.%lld@mailcert.invalid", facts->queue_id,
		   (long long) time(NULL));
	return sb_steal(&sb);
}

static void run_init(struct record_run *run, struct ledger *ledger,
		             const struct settings *settings, const struct mail_facts *facts,
		             const struct verdict *v, struct strbuf *what, long long *job_id)
{
	const char *subject = v && v->subject ? v->subject : facts->subject;

	memset(run, 0, sizeof(*run));
	run->ledger = ledger;
	run->cfg = settings->cfg;
	run->trust_anchors = settings->trust_anchors;
	run->facts = facts;
	run->verdict = v;
	run->what = what;
	run->job_id = job_id;
	run->msg.message_id = message_id_for(facts, v);
	run->msg.queue_id = xstrdup(facts->queue_id);
	run->msg.mail_from = facts->sender ? xstrdup(facts->sender) : NULL;
	run->msg.rcpt_to = facts->rcpts ? xstrdup(facts->rcpts) : NULL;
	run->msg.subject = subject ? xstrdup(subject) : NULL;
	run->msg.verdict = xstrdup(v ? verdict_kind_name(v->kind) : "none");
}

/* record_in_transaction - the caller holds the ledger lock */

static int record_in_transaction(struct record_run *run)
{
	long long row;
	int     rc;

	if (ledger_begin(run->ledger) < 0)
		return -1;
	rc = ledger_message_seen(run->ledger, run->msg.message_id, &row);
	if (rc == 0) {
		ledger_rollback(run->ledger);
		sb_appendf(run->what, "already recorded as message %lld", row);
		return 0;
	}
	if (rc == LEDGER_NOT_FOUND)
		rc = record_dispatch(run);
	if (rc < 0) {
		ledger_rollback(run->ledger);
		return -1;
	}
	return ledger_commit(run->ledger);
}

int record_mail(struct milter_ledger *ml, struct watch *watch, const struct settings *settings,
		        const struct mail_facts *facts, const struct verdict *verdict,
		        struct strbuf *what, long long *job_id)
{
	struct record_run run;
	char    text[MILTER_HEADER_MAX];
	char    message_id[MILTER_HEADER_MAX];
	int     rc;

	*job_id = 0;
	run_init(&run, ml->ledger, settings, facts, verdict, what, job_id);
	pthread_mutex_lock(&ml->lock);
	rc = record_in_transaction(&run);
	if (rc < 0) {
		msg_warn("%s: message not recorded: ledger: %s", facts->queue_id,
			 ledger_error(ml->ledger));
		sb_reset(what);
		sb_appends(what, "not recorded: ledger unavailable");
		*job_id = 0;
	}
	pthread_mutex_unlock(&ml->lock);
	if (rc == 0 && run.orders_changed)
		watch_invalidate(watch);
	if (rc == 0 && run.msg.id) {
		header_safe_text(sb_str(what), text, sizeof(text));
		header_safe_text(run.msg.message_id, message_id, sizeof(message_id));
		msg_info("%s: message-id=<%s> %s: %s", facts->queue_id, message_id,
			 run.msg.verdict, text);
	}
	message_record_clear(&run.msg);
	return rc;
}
