/*
 * NAME
 *	notify_mail - tell the order's contact that the certificate is installed
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_compose_mail(const struct order *order,
 *				 const struct install_outcome *out,
 *				 const char *host, const struct config *cfg,
 *				 struct strbuf *mail, struct strbuf *why)
 *	int install_notify(const struct order *order,
 *			   const struct install_outcome *out,
 *			   const struct config *cfg, struct strbuf *why)
 * DESCRIPTION
 *	Header values are checked with mail_header_value_ok() (sendmail.c).
 *
 *	install_compose_mail() writes the whole confirmation (headers and
 *	body): which host (host, from gethostname()), which order and
 *	target, the certificate's names, expiry and SHA-256 fingerprint.
 *	Every value that comes from the ledger or the system is checked
 *	before a byte is written: the contact must be one plain address
 *	(valid_mail_address()) and a safe header value, [notify] from, the
 *	domain and the host safe header values, the names printable.
 *	Returns 0, or -1 with why (nothing composed).
 *
 *	install_notify() composes the mail and submits it with
 *	sendmail_submit() ([notify] sendmail -t -i, [installer]
 *	command_timeout).  0 when handed over, -1 with why.
 * LICENSE
 *	See the README of mailcert.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "install.h"
#include "names.h"
#include "sendmail.h"

#define MAX_NAMES_TEXT	4096		/* bytes of the names line */
#define HOST_MAX	256

static int printable_bounded(const char *text, size_t max)
{
	size_t len;
	size_t i;

	if (text == NULL || (len = strlen(text)) > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char) text[i] < 0x20 || (unsigned char) text[i] > 0x7e)
			return 0;
	return 1;
}

static int check_values(const struct order *order, const struct install_outcome *out,
			        const char *host, const struct config *cfg, struct strbuf *why)
{
	if (!mail_header_value_ok(order->contact) || !valid_mail_address(order->contact)) {
		sb_appends(why, "the order's contact is not one plain mail address");
		return -1;
	}
	if (!mail_header_value_ok(cfg->notify_from) || strpbrk(cfg->notify_from, ",;\"") != NULL) {
		sb_appends(why, "[notify] from is not a safe header value");
		return -1;
	}
	if (!mail_header_value_ok(order->domain) || !mail_header_value_ok(host)) {
		sb_appends(why, "the domain or the host name is not a safe header value");
		return -1;
	}
	if (!printable_bounded(out->host_names, MAX_NAMES_TEXT)
	    || !printable_bounded(order->target, MAIL_HEADER_VALUE_MAX)) {
		sb_appends(why, "the certificate's names or the target are not printable text");
		return -1;
	}
	return 0;
}

/* colon_fingerprint - "AB:CD:..." as browsers show it */

static void colon_fingerprint(const char *hex, struct strbuf *out)
{
	size_t i;

	for (i = 0; hex[i] && hex[i + 1]; i += 2)
		sb_appendf(out, "%s%c%c", i ? ":" : "", hex[i] >= 'a' ? hex[i] - 32 : hex[i],
			   hex[i + 1] >= 'a' ? hex[i + 1] - 32 : hex[i + 1]);
}

static void add_body(struct strbuf *mail, const struct order *order,
		             const struct install_outcome *out, const char *host)
{
	time_t  t = (time_t) out->not_after;
	struct tm tm;
	char    when[40];

	when[0] = 0;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_appendf(mail, "The certificate of mailcert order %lld is installed.\n\n", order->id);
	sb_appendf(mail, "  host:        %s\n", host);
	sb_appendf(mail, "  target:      %s\n", order->target);
	sb_appendf(mail, "  names:       %s\n", out->host_names);
	sb_appendf(mail, "  expires:     %s\n", when);
	sb_appendf(mail, "  SHA-256:     %s\n", out->sha256);
	sb_appends(mail, "               ");
	colon_fingerprint(out->sha256, mail);
	sb_appendf(mail, "\n\n%s\n\n-- \nmailcert\n",
		   out->unchanged ? "The files already held this certificate; nothing was reloaded."
		   : "The files are written; the target's test and reload commands, if any, succeeded.");
}

int install_compose_mail(const struct order *order, const struct install_outcome *out,
			         const char *host, const struct config *cfg, struct strbuf *mail,
			         struct strbuf *why)
{
	if (check_values(order, out, host, cfg, why) < 0)
		return -1;
	sb_appendf(mail, "From: %s\n", cfg->notify_from);
	sb_appendf(mail, "To: %s\n", order->contact);
	sb_appendf(mail, "Subject: [mailcert] certificate for %s installed on %s\n", order->domain, host);
	sb_appends(mail, "Auto-Submitted: auto-generated\n"
		   "MIME-Version: 1.0\n"
		   "Content-Type: text/plain; charset=us-ascii\n"
		   "Content-Transfer-Encoding: 7bit\n"
		   "\n");
	add_body(mail, order, out, host);
	return 0;
}

int install_notify(const struct order *order, const struct install_outcome *out,
		           const struct config *cfg, struct strbuf *why)
{
	struct strbuf mail = STRBUF_INIT;
	char    host[HOST_MAX + 1];
	int     rc = -1;

	memset(host, 0, sizeof(host));
	if (gethostname(host, HOST_MAX) < 0) {
		sb_appends(why, "gethostname failed");
		return -1;
	}
	if (install_compose_mail(order, out, host, cfg, &mail, why) == 0)
		rc = sendmail_submit(cfg->notify_sendmail, mail.data, mail.len, cfg->command_timeout, why);
	sb_free(&mail);
	return rc;
}
