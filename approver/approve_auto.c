/*
 * NAME
 *	approve_auto - approve one order on the CA's site, as a person would
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_auto(const struct approve_action *action,
 *			 const struct order *order,
 *			 const struct approval *approval,
 *			 const struct config *cfg, struct strbuf *why)
 * DESCRIPTION
 *	One attempt.  The recorded link must pass approve_link_check() against
 *	the profile's link_hosts and must not be a reject link; an approval
 *	whose mail was not authenticated is refused outright.  Then, as the
 *	profile says, the link is requested (GET) or the profile's form is
 *	posted to its post path on the link's host: the CA order number in
 *	order_field, the validation code, exactly as recorded, in
 *	code_field, and the fixed fields ("postPaymentPage=N").
 *
 *	The page that comes back is read as text: a failure pattern of the
 *	profile means the CA said no (APPROVE_REFUSED); a 2xx page with a
 *	success pattern means it is done (APPROVE_DONE); anything else (an
 *	HTTP error, a page that says neither) may pass later (APPROVE_RETRY).
 *	why receives what happened, for the ledger, in every case.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "mymalloc.h"

#define WHAT_LEN	160		/* bytes of a matched page text kept */

/* form_escape - application/x-www-form-urlencoded */

static void form_escape(struct strbuf *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char enc[3];

	for (p = (const unsigned char *) text; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '*') {
			sb_append(out, p, 1);
		} else if (*p == ' ') {
			sb_append(out, "+", 1);
		} else {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			sb_append(out, enc, 3);
		}
	}
}

static void form_add(struct strbuf *out, const char *name, size_t name_len, const char *value)
{
	char *n = xstrndup(name, name_len);

	if (out->len > 0)
		sb_append(out, "&", 1);
	form_escape(out, n);
	sb_append(out, "=", 1);
	form_escape(out, value);
	free(n);
}

/* form_body - the profile's fields with this approval's values */

static int form_body(const struct approve_action *action, const struct order *order,
		             const struct approval *approval, struct strbuf *body, struct strbuf *why)
{
	const char *ca_order = order->ca_order;	/* root's, equal to the mail's */
	const char *field;
	const char *eq;
	size_t i;

	if (action->order_field) {
		if (ca_order == NULL || *ca_order == 0) {
			sb_appends(why, "no CA order number recorded for the form");
			return -1;
		}
		form_add(body, action->order_field, strlen(action->order_field), ca_order);
	}
	if (action->code_field) {
		if (approval->code == NULL || *approval->code == 0) {
			sb_appends(why, "no validation code recorded for the form");
			return -1;
		}
		form_add(body, action->code_field, strlen(action->code_field), approval->code);
	}
	for (i = 0; action->fixed_fields && i < action->fixed_fields->count; i++) {
		field = action->fixed_fields->items[i];
		eq = strchr(field, '=');
		form_add(body, field, eq ? (size_t) (eq - field) : strlen(field), eq ? eq + 1 : "");
	}
	return 0;
}

/* read_page - what the CA's answer means */

static int read_page(const struct approve_action *action, const struct approve_response *resp,
		             struct strbuf *why)
{
	char what[WHAT_LEN];
	char *text;
	int rc;

	text = approve_page_text(resp->body.data ? resp->body.data : "", resp->body.len);
	if (approve_patterns_match(action->failure, text, what, sizeof(what)) > 0) {
		sb_appendf(why, "HTTP %ld, the CA said: %s", resp->status, what);
		rc = APPROVE_REFUSED;
	} else if (resp->status >= 200 && resp->status < 300
		   && approve_patterns_match(action->success, text, what, sizeof(what)) > 0) {
		sb_appendf(why, "HTTP %ld, the CA said: %s", resp->status, what);
		rc = APPROVE_DONE;
	} else if (resp->status >= 200 && resp->status < 300) {
		sb_appendf(why, "HTTP %ld, a page that says neither success nor failure", resp->status);
		rc = APPROVE_RETRY;
	} else {
		sb_appendf(why, "%s", resp->status_line[0] ? resp->status_line : "no HTTP status");
		rc = APPROVE_RETRY;
	}
	free(text);
	return rc;
}

/* check_link - the recorded link, parsed and judged */

static int check_link(const struct approve_action *action, const struct approval *approval,
		              struct approve_url *link, struct strbuf *why)
{
	struct strbuf reason = STRBUF_INIT;

	if (!approval->authenticated) {
		sb_appends(why, "the approval mail was not authenticated; nothing done");
		return APPROVE_REFUSED;
	}
	if (approval->link == NULL) {
		sb_appends(why, "no approval link recorded");
		return APPROVE_REFUSED;
	}
	if (approve_link_check(approval->link, action, link, &reason) < 0) {
		sb_appendf(why, "link refused: %s", sb_str(&reason));
		sb_free(&reason);
		return APPROVE_REFUSED;
	}
	return APPROVE_DONE;
}

int approve_auto(const struct approve_action *action, const struct order *order,
		         const struct approval *approval, const struct config *cfg, struct strbuf *why)
{
	struct approve_http_options opts;
	struct approve_response resp;
	struct approve_url link;
	struct approve_url post;
	struct strbuf body = STRBUF_INIT;
	int rc;

	memset(&post, 0, sizeof(post));
	memset(&resp, 0, sizeof(resp));
	if ((rc = check_link(action, approval, &link, why)) != APPROVE_DONE)
		return rc;
	rc = APPROVE_REFUSED;
	if (action->method == APPROVE_FORM_POST
	    && (approve_url_derive(&link, action->post_path, action, &post, why) < 0
		|| form_body(action, order, approval, &body, why) < 0))
		goto out;
	opts.trust_store = cfg->approve_trust_store;
	opts.timeout = cfg->approve_timeout;
	opts.max_response = cfg->approve_max_response;
	rc = approve_http_exchange(action->method == APPROVE_FORM_POST ? &post : &link,
				   action->method == APPROVE_FORM_POST ? sb_str(&body) : NULL,
				   action, &opts, &resp, why);
	if (rc == APPROVE_DONE)
		rc = read_page(action, &resp, why);
out:
	approve_response_clear(&resp);
	approve_url_clear(&post);
	approve_url_clear(&link);
	sb_free(&body);
	return rc;
}
