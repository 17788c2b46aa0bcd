/*
 * NAME
 *	notify_mail - the installer's mails: a confirmation, a failure notice
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_compose_mail(const struct order *order,
 *				 const struct install_outcome *out,
 *				 const char *host, struct strbuf *body,
 *				 struct strbuf *subject)
 *	int install_notify(const struct order *order,
 *			   const struct install_outcome *out,
 *			   const struct config *cfg, struct strbuf *why)
 *	int notify_operator_once(struct ledger *ledger,
 *				 const struct config *cfg, const char *kind,
 *				 const char *ref, const char *subject,
 *				 const char *body)
 * DESCRIPTION
 *	install_notify() tells the order's contact that the certificate is
 *	installed: host, target, names, expiry, fingerprint (also as colon
 *	pairs, as browsers show it).  Everything in it comes from the book,
 *	the configuration and the verified certificate; the one composer
 *	(sendmail.c) checks every header value.
 *
 *	notify_operator_once() mails [notify] operator once per kind and
 *	ref (book notices): a failed install, an approval that gave up.
 *	Without an operator address it only logs.  0 sent or nothing to do,
 *	-1 when the mail could not be sent (logged).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "install.h"
#include "msg.h"
#include "sendmail.h"

#define HOST_MAX	256

static void colon_fingerprint(const char *hex, struct strbuf *out)
{
	size_t  i;

	for (i = 0; hex[i] && hex[i + 1]; i += 2)
		sb_appendf(out, "%s%c%c", i ? ":" : "", hex[i] >= 'a' ? hex[i] - 32 : hex[i],
			   hex[i + 1] >= 'a' ? hex[i + 1] - 32 : hex[i + 1]);
}

int install_compose_mail(const struct order *order, const struct install_outcome *out,
			 const char *host, struct strbuf *body, struct strbuf *subject)
{
	time_t  t = (time_t) out->not_after;
	struct tm tm;
	char    when[40];

	when[0] = 0;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_appendf(subject, "[mailcert] certificate for %s installed on %s", order->domain, host);
	sb_appendf(body, "The certificate of mailcert order %lld is installed.\n\n", order->id);
	sb_appendf(body, "  host:        %s\n", host);
	sb_appendf(body, "  target:      %s\n", order->target);
	sb_appendf(body, "  names:       %s\n", out->host_names ? out->host_names : "");
	sb_appendf(body, "  expires:     %s\n", when);
	sb_appendf(body, "  SHA-256:     %s\n", out->sha256);
	sb_appends(body, "               ");
	colon_fingerprint(out->sha256, body);
	sb_appendf(body, "\n\n%s\n\n-- \nmailcert\n",
		   out->unchanged ? "The files already held this certificate; nothing was reloaded."
		   : "The files are written; the target's test and reload commands, if any, succeeded.");
	return 0;
}

int install_notify(const struct order *order, const struct install_outcome *out,
		   const struct config *cfg, struct strbuf *why)
{
	struct strbuf body = STRBUF_INIT;
	struct strbuf subject = STRBUF_INIT;
	struct mail_out m;
	char    host[HOST_MAX + 1];
	int     rc;

	memset(host, 0, sizeof(host));
	if (gethostname(host, HOST_MAX) < 0)
		snprintf(host, sizeof(host), "localhost");
	install_compose_mail(order, out, host, &body, &subject);
	m.from = cfg->notify_from;
	m.to = order->contact;
	m.subject = subject.data;
	m.body = body.data;
	rc = mail_send(config_mail_route(cfg), &m, cfg->command_timeout, why);
	sb_free(&body);
	sb_free(&subject);
	return rc;
}

int notify_operator_once(struct ledger *ledger, const struct config *cfg, const char *kind,
			 const char *ref, const char *subject, const char *body)
{
	struct strbuf why = STRBUF_INIT;
	struct mail_out m;
	int     rc;

	if (cfg->notify_operator == NULL) {
		msg_info("%s %s: no [notify] operator to tell", kind, ref);
		return 0;
	}
	if ((rc = book_notice_once(ledger, kind, ref, cfg->notify_operator)) <= 0)
		return rc < 0 ? -1 : 0;
	m.from = cfg->notify_from;
	m.to = cfg->notify_operator;
	m.subject = subject;
	m.body = body;
	if ((rc = mail_send(config_mail_route(cfg), &m, cfg->command_timeout, &why)) < 0)
		msg_warn("%s %s: the operator was not told: %s", kind, ref, sb_str(&why));
	else
		msg_info("%s %s: the operator (%s) was told", kind, ref, cfg->notify_operator);
	sb_free(&why);
	return rc;
}
