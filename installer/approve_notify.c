/*
 * NAME
 *	approve_notify - tell a person what to click and what to type
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_compose_notice(const struct order *order,
 *				   const struct approval *approval,
 *				   const struct config *cfg,
 *				   struct strbuf *mail, struct strbuf *why)
 *	int approve_notify(const struct order *order,
 *			   const struct approval *approval,
 *			   const struct config *cfg, struct strbuf *why)
 * DESCRIPTION
 *	Header values are checked with mail_header_value_ok() (sendmail.c).
 *
 *	approve_compose_notice() writes the whole mail (headers and body)
 *	to the order's contact: the approval link exactly as recorded, on a
 *	line of its own, the validation code, the CA's order number, the
 *	domain and names, what to do, and a warning about the reject link.
 *	It refuses (-1, why) a missing or unsafe contact (one address, see
 *	valid_mail_address(), and a safe header value), an unsafe From,
 *	domain or CA order number, and a link or code that is not printable
 *	ASCII of bounded length.
 *
 *	approve_notify() composes the mail and submits it with
 *	sendmail_submit() ([notify] sendmail, [approve] timeout):
 *	APPROVE_DONE when it was handed over, APPROVE_REFUSED when it cannot
 *	be composed (nothing will change that), APPROVE_RETRY when sendmail
 *	failed; why says what happened.
 * LICENSE
 *	See the README of mailcert.
 */
#include <string.h>
#include <time.h>

#include "approve.h"
#include "names.h"
#include "sendmail.h"

#define MAX_CODE	256		/* bytes of a validation code we mail */


/* body_value_ok - printable ASCII without spaces, at most max bytes */

static int body_value_ok(const char *value, size_t max)
{
	size_t len;
	size_t i;

	if (value == NULL || (len = strlen(value)) == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char) value[i] <= 0x20 || (unsigned char) value[i] > 0x7e)
			return 0;
	return 1;
}

/* check_values - everything the mail will carry, before a byte is written */

static int check_values(const struct order *order, const struct approval *approval,
			        const struct config *cfg, const char *ca_order, struct strbuf *why)
{
	if (order->contact == NULL) {
		sb_appends(why, "the order has no contact to notify");
		return -1;
	}
	if (!mail_header_value_ok(order->contact) || !valid_mail_address(order->contact)) {
		sb_appends(why, "the order's contact is not one plain mail address; nothing sent");
		return -1;
	}
	if (!mail_header_value_ok(cfg->notify_from) || strpbrk(cfg->notify_from, ",;\"") != NULL) {
		sb_appends(why, "[notify] from is not a safe header value");
		return -1;
	}
	if (!mail_header_value_ok(order->domain)
	    || (ca_order && !mail_header_value_ok(ca_order))) {
		sb_appends(why, "the domain or CA order number is not a safe header value");
		return -1;
	}
	if (!body_value_ok(approval->link, APPROVE_MAX_MAIL_LINE)) {
		sb_appends(why, "the approval link is not printable ASCII of bounded length");
		return -1;
	}
	if (approval->code && !body_value_ok(approval->code, MAX_CODE)) {
		sb_appends(why, "the validation code is not printable ASCII of bounded length");
		return -1;
	}
	return 0;
}

static void add_headers(struct strbuf *mail, const struct order *order, const struct config *cfg,
			        const char *ca_order)
{
	sb_appendf(mail, "From: %s\n", cfg->notify_from);
	sb_appendf(mail, "To: %s\n", order->contact);
	if (ca_order)
		sb_appendf(mail, "Subject: [mailcert] approve CA order %s for %s\n", ca_order, order->domain);
	else
		sb_appendf(mail, "Subject: [mailcert] approve the certificate for %s\n", order->domain);
	sb_appends(mail, "Auto-Submitted: auto-generated\n"
		   "MIME-Version: 1.0\n"
		   "Content-Type: text/plain; charset=us-ascii\n"
		   "Content-Transfer-Encoding: 7bit\n"
		   "\n");
}

static void add_facts(struct strbuf *mail, const struct order *order,
		              const struct approval *approval, const char *ca_order)
{
	char when[32];
	time_t t = (time_t) approval->received_at;
	struct tm tm;
	size_t i;

	when[0] = 0;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_appendf(mail, "The CA (profile %s) asks you to confirm that you control %s.\n\n",
		   order->ca, order->domain);
	sb_appendf(mail, "  mailcert order:   %lld\n", order->id);
	sb_appendf(mail, "  CA order number:  %s\n", ca_order ? ca_order : "(none recorded)");
	sb_appendf(mail, "  domain:           %s\n", order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		sb_appendf(mail, "  also:             %s\n", order->alt_names.items[i]);
	sb_appendf(mail, "  mail received:    %s\n\n", when);
}

static void add_instructions(struct strbuf *mail, const struct order *order,
			             const struct approval *approval)
{
	sb_appends(mail, "What to do:\n\n"
		   "1. Open this link in a web browser (it is one line; copy all of it):\n\n");
	sb_appendf(mail, "%s\n\n", approval->link);
	if (approval->code) {
		sb_appends(mail, "2. When the page asks for the validation code, enter exactly:\n\n");
		sb_appendf(mail, "%s\n\n", approval->code);
	} else {
		sb_appends(mail, "2. Confirm on the page (no validation code was found in the mail).\n\n");
	}
	sb_appends(mail, "3. When the CA's page says the code was correct, tell mailcert:\n\n");
	sb_appendf(mail, "   mailcert approve %lld --done\n\n", order->id);
	sb_appends(mail, "Only the link above approves the order.  The CA's own mail also holds a\n"
		   "link that REJECTS the order: never open that one.  If you did not expect\n"
		   "this order, do nothing: the request expires by itself.\n\n"
		   "-- \nmailcert\n");
}

int approve_compose_notice(const struct order *order, const struct approval *approval,
			           const struct config *cfg, struct strbuf *mail, struct strbuf *why)
{
	const char *ca_order = approval->ca_order ? approval->ca_order : order->ca_order;

	if (check_values(order, approval, cfg, ca_order, why) < 0)
		return -1;
	add_headers(mail, order, cfg, ca_order);
	add_facts(mail, order, approval, ca_order);
	add_instructions(mail, order, approval);
	return 0;
}

int approve_notify(const struct order *order, const struct approval *approval,
		           const struct config *cfg, struct strbuf *why)
{
	struct strbuf mail = STRBUF_INIT;
	int rc = APPROVE_REFUSED;

	if (approve_compose_notice(order, approval, cfg, &mail, why) == 0)
		rc = sendmail_submit(cfg->notify_sendmail, mail.data, mail.len,
				     cfg->approve_timeout, why) == 0 ? APPROVE_DONE : APPROVE_RETRY;
	sb_free(&mail);
	return rc;
}
