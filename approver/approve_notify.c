/*
 * NAME
 *	approve_notify - the approver's mails to a person
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_compose_notice(const struct order *order,
 *				   const struct approval *approval,
 *				   struct strbuf *subject, struct strbuf *body,
 *				   struct strbuf *why)
 *	int approve_notify(const struct order *order,
 *			   const struct approval *approval,
 *			   const struct config *cfg, struct strbuf *why)
 *	int approve_compose_confirmation(order, approval, subject, body, why)
 *	int approve_notify_confirmation(order, approval, cfg, why)
 *	int approve_notify_operator(const struct config *cfg,
 *				    const char *subject, const char *body)
 * DESCRIPTION
 *	approve_notify() mails the order's contact what to do with an
 *	approval of the order's own CA order number: the link to open (the
 *	checked normal form, one line), the code to type, the warning that
 *	the CA's mail also holds a link that rejects the order, and
 *	"mailcert approve ID --done" for afterwards.
 *
 *	approve_notify_confirmation() is for an order placed without a CA
 *	order number when a believed approval mail names a domain of it:
 *	the contact is told the mail's CA order number and how to confirm it
 *	is theirs ("mailcert order set ID --ca-order N"), and nothing else.
 *	No link and no code: the mail may be the CA's genuine approval of a
 *	stranger's order of our domain, which nobody here must approve.
 *
 *	approve_notify_operator() mails [notify] operator (an approval that
 *	gave up); nothing when there is none.
 *
 *	The link and the code came from a mail: they are written only when
 *	they are printable ASCII without spaces, of bounded length; the one
 *	composer (sendmail.c) checks every header value.  Each returns
 *	APPROVE_DONE, APPROVE_RETRY (sendmail failed) or APPROVE_REFUSED
 *	(nothing that can be sent), with why.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "approve.h"
#include "msg.h"
#include "sendmail.h"

#define MAX_CODE	256		/* bytes of a validation code we mail */

static int body_value_ok(const char *value, size_t max)
{
	size_t  len;
	size_t  i;

	if (value == NULL || (len = strlen(value)) == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char) value[i] <= 0x20 || (unsigned char) value[i] > 0x7e)
			return 0;
	return 1;
}

static void add_facts(struct strbuf *body, const struct order *order,
		      const struct approval *approval, const char *ca_order)
{
	char    when[32];
	time_t  t = (time_t) approval->received_at;
	struct tm tm;
	size_t  i;

	when[0] = 0;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_appendf(body, "  mailcert order:   %lld\n", order->id);
	sb_appendf(body, "  CA order number:  %s\n", ca_order ? ca_order : "(none recorded)");
	sb_appendf(body, "  domain:           %s\n", order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		sb_appendf(body, "  also:             %s\n", order->alt_names.items[i]);
	sb_appendf(body, "  mail received:    %s\n\n", when);
}

int approve_compose_notice(const struct order *order, const struct approval *approval,
			   struct strbuf *subject, struct strbuf *body, struct strbuf *why)
{
	if (!body_value_ok(approval->link, APPROVE_MAX_MAIL_LINE)) {
		sb_appends(why, "the approval link is not printable ASCII of bounded length");
		return -1;
	}
	if (approval->code && !body_value_ok(approval->code, MAX_CODE)) {
		sb_appends(why, "the validation code is not printable ASCII of bounded length");
		return -1;
	}
	if (order->ca_order && !body_value_ok(order->ca_order, 64)) {
		sb_appends(why, "the CA order number is not printable");
		return -1;
	}
	if (order->ca_order)
		sb_appendf(subject, "[mailcert] approve CA order %s for %s", order->ca_order, order->domain);
	else
		sb_appendf(subject, "[mailcert] approve the certificate for %s", order->domain);
	sb_appendf(body, "The CA (profile %s) asks you to confirm that you control %s.\n\n",
		   order->ca, order->domain);
	add_facts(body, order, approval, order->ca_order);
	sb_appends(body, "What to do:\n\n"
		   "1. Open this link in a web browser (it is one line; copy all of it):\n\n");
	sb_appendf(body, "%s\n\n", approval->link);
	if (approval->code) {
		sb_appends(body, "2. When the page asks for the validation code, enter exactly:\n\n");
		sb_appendf(body, "%s\n\n", approval->code);
	} else {
		sb_appends(body, "2. Confirm on the page (no validation code was found in the mail).\n\n");
	}
	sb_appends(body, "3. When the CA's page says the code was correct, tell mailcert:\n\n");
	sb_appendf(body, "   mailcert approve %lld --done\n\n", order->id);
	sb_appends(body, "Only the link above approves the order.  The CA's own mail also holds a\n"
		   "link that REJECTS the order: never open that one.  If you did not expect\n"
		   "this order, do nothing: the request expires by itself.\n\n"
		   "-- \nmailcert\n");
	return 0;
}

/* ca_order_ok - letters, digits, '-' and '_' only, as the parser takes
 * them: the approval row is the intake's, and its number goes into a
 * mail and a command line the operator is to type */

static int ca_order_ok(const char *value)
{
	size_t  i;

	if (value == NULL || *value == 0 || strlen(value) > 64)
		return 0;
	for (i = 0; value[i]; i++)
		if (!isalnum((unsigned char) value[i]) && value[i] != '-' && value[i] != '_')
			return 0;
	return 1;
}

/* order_name - the approval's domain when it is one of the order's names
 * (the book's, which root wrote), else the order's domain */

static const char *order_name(const struct order *order, const struct approval *approval)
{
	if (approval->domain && (strcasecmp(approval->domain, order->domain) == 0
				 || strlist_contains_nocase(&order->alt_names, approval->domain)))
		return approval->domain;
	return order->domain;
}

int approve_compose_confirmation(const struct order *order, const struct approval *approval,
				 struct strbuf *subject, struct strbuf *body, struct strbuf *why)
{
	if (!ca_order_ok(approval->ca_order)) {
		sb_appends(why, "the mail's CA order number is not letters, digits and '-'");
		return -1;
	}
	sb_appendf(subject, "[mailcert] is CA order %s yours? (%s)", approval->ca_order, order->domain);
	sb_appendf(body, "The CA (profile %s) mailed an approval request for CA order %s,\n"
		   "which names %s, a domain of mailcert order %lld.\n\n"
		   "Order %lld was placed without a CA order number, so mailcert cannot\n"
		   "tell whether this request is for it or for somebody else's order of\n"
		   "the same domain.  mailcert does nothing with it until you say.\n\n",
		   order->ca, approval->ca_order, order_name(order, approval),
		   order->id, order->id);
	add_facts(body, order, approval, approval->ca_order);
	sb_appendf(body, "If CA order %s is the one you placed for order %lld (compare it with\n"
		   "the order number the CA showed you when you ordered), run:\n\n"
		   "   mailcert order set %lld --ca-order %s\n\n"
		   "and mailcert will act on the request as for any approval of yours.\n"
		   "If it is not yours, do nothing: approving it would approve a\n"
		   "certificate for somebody else.\n\n-- \nmailcert\n",
		   approval->ca_order, order->id, order->id, approval->ca_order);
	return 0;
}

typedef int (*compose_fn) (const struct order *, const struct approval *, struct strbuf *,
			   struct strbuf *, struct strbuf *);

static int send_composed(compose_fn compose, const struct order *order,
			 const struct approval *approval, const struct config *cfg,
			 struct strbuf *why)
{
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	struct strbuf whole = STRBUF_INIT;
	struct mail_out m;
	int     rc = APPROVE_REFUSED;

	if (order->contact == NULL) {
		sb_appends(why, "the order has no contact to notify");
		return APPROVE_REFUSED;
	}
	if (compose(order, approval, &subject, &body, why) == 0) {
		m.from = cfg->notify_from;
		m.to = order->contact;
		m.subject = subject.data;
		m.body = body.data;
		if (mail_compose(&m, &whole, why) < 0)
			rc = APPROVE_REFUSED;	/* an unsafe value: never sendable */
		else
			rc = mail_send(config_mail_route(cfg), &m, cfg->approve_timeout, why) == 0
			    ? APPROVE_DONE : APPROVE_RETRY;
	}
	sb_free(&subject);
	sb_free(&body);
	sb_free(&whole);
	return rc;
}

int approve_notify(const struct order *order, const struct approval *approval,
		   const struct config *cfg, struct strbuf *why)
{
	return send_composed(approve_compose_notice, order, approval, cfg, why);
}

int approve_notify_confirmation(const struct order *order, const struct approval *approval,
				const struct config *cfg, struct strbuf *why)
{
	return send_composed(approve_compose_confirmation, order, approval, cfg, why);
}

int approve_notify_operator(const struct config *cfg, const char *subject, const char *body)
{
	struct strbuf why = STRBUF_INIT;
	struct mail_out m;
	int     rc;

	if (cfg->notify_operator == NULL)
		return 0;
	m.from = cfg->notify_from;
	m.to = cfg->notify_operator;
	m.subject = subject;
	m.body = body;
	if ((rc = mail_send(config_mail_route(cfg), &m, cfg->approve_timeout, &why)) < 0)
		msg_warn("the operator was not told: %s", sb_str(&why));
	sb_free(&why);
	return rc;
}
