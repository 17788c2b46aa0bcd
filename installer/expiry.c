/*
 * NAME
 *	expiry - what expires, read from the targets' files and the book
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int expiry_each(struct ledger *ledger, const struct config *cfg,
 *			time_t now, expiry_fn fn, void *ctx)
 *	int expiry_remind(struct ledger *ledger, const struct config *cfg,
 *			  time_t now, int *sent)
 * DESCRIPTION
 *	expiry_each() hands fn every certificate that should not expire
 *	unseen, once each (by SHA-256):
 *
 *	the certificate each [target] actually serves, read from its files
 *	on disk (cert, else fullchain, else combined: the first certificate
 *	in it), whoever issued it (an ACME client's too); its contact is that
 *	of the open or installed order that installed it, else
 *	[notify] operator;
 *
 *	the newest certificate of every open or installed order the book
 *	knows (its newest install job), to its contact.
 *
 *	Cancelled and superseded orders are not watched: once a renewal is
 *	installed, the old certificate's reminders stop.
 *
 *	expiry_remind() mails at the [expiry] warn_days thresholds: when a
 *	certificate has N days left, the tightest threshold that N has
 *	crossed is mailed once (and the wider ones it crossed too are
 *	counted as told), and once more when it has expired.  Each mail is a
 *	book notice ("expiry", SHA256:DAYS) and an event, so a restart never
 *	mails twice; a mail that cannot be sent is tried again next time.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certbundle.h"
#include "install.h"
#include "msg.h"
#include "mymalloc.h"
#include "sendmail.h"

#define EXPIRY_MAX_THRESHOLDS	16
#define DAY			86400

/* What one walk has handed out already. */
struct walk {
	struct ledger *ledger;
	const struct config *cfg;
	time_t  now;
	expiry_fn fn;
	void   *ctx;
	struct strlist seen;		/* SHA-256 of the certificates given */
	int     stop;
};

static long long days_left(long long not_after, time_t now)
{
	long long left = not_after - (long long) now;

	return left >= 0 ? left / DAY : -((-left + DAY - 1) / DAY);
}

/* cert_names_text - its subjectAltName names, else its subject (an old
 * certificate with a common name only) */

static char *cert_names_text(const struct cert_found *cert)
{
	struct strbuf sb = STRBUF_INIT;
	size_t  i;

	for (i = 0; i < cert->names.count; i++)
		sb_appendf(&sb, "%s%s", i ? ", " : "", cert->names.items[i]);
	if (sb.data == NULL)
		sb_appends(&sb, cert->subject ? cert->subject : "(no name)");
	return sb_steal(&sb);
}

static char *order_names_text(const struct order *order)
{
	struct strbuf sb = STRBUF_INIT;
	size_t  i;

	sb_appends(&sb, order->domain);
	for (i = 0; i < order->alt_names.count; i++)
		sb_appendf(&sb, ", %s", order->alt_names.items[i]);
	return sb_steal(&sb);
}

static const char *target_file(const struct target_config *t)
{
	return t->cert ? t->cert : t->fullchain ? t->fullchain : t->combined;
}

/* target_item - the certificate a target serves, and who to tell */

static int give_target(struct walk *w, const struct target_config *t)
{
	struct parse_limits limits;
	struct certbundle bundle;
	struct strbuf pem = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct strbuf source = STRBUF_INIT;
	struct expiry_item item;
	struct install_job job;
	struct order order;
	struct stat st;
	int     rc = 0;

	memset(&item, 0, sizeof(item));
	memset(&order, 0, sizeof(order));
	memset(&job, 0, sizeof(job));
	parse_limits_default(&limits);
	certbundle_init(&bundle);
	if (file_read_bounded(target_file(t), INSTALL_MAX_FILE, &pem, &st, &why) != 0) {
		if (why.len)
			msg_warn("expiry watch: [target %s]: %s", t->name, sb_str(&why));
		goto out;
	}
	certbundle_add_text(&bundle, pem.data, pem.len, t->name, &limits);
	if (bundle.count == 0)
		goto out;
	strlist_add(&w->seen, bundle.certs[0].sha256);
	if (book_install_by_cert(w->ledger, bundle.certs[0].sha256, &job) == 0
	    && book_get_order(w->ledger, job.order_id, &order) == 0
	    && (order.status == BOOK_OPEN || order.status == BOOK_INSTALLED))
		item.order_id = order.id;
	item.target = t->name;
	memcpy(item.sha256, bundle.certs[0].sha256, sizeof(item.sha256));
	item.names = cert_names_text(&bundle.certs[0]);
	sb_appendf(&source, "target %s (%s)", t->name, target_file(t));
	item.source = sb_steal(&source);
	item.not_after = (long long) bundle.certs[0].not_after;
	item.days_left = days_left(item.not_after, w->now);
	item.contact = xstrdup(item.order_id && order.contact ? order.contact
			       : w->cfg->notify_operator ? w->cfg->notify_operator : "");
	rc = w->fn(w->ctx, &item);
	free(item.names);
	free(item.source);
	free(item.contact);
out:
	order_clear(&order);
	install_job_clear(&job);
	certbundle_free(&bundle);
	sb_free(&pem);
	sb_free(&why);
	sb_free(&source);
	return rc;
}

static int give_order(void *ctx, const struct order *order, const struct install_job *job)
{
	struct walk *w = ctx;
	struct strbuf source = STRBUF_INIT;
	struct expiry_item item;
	int     rc;

	if (w->stop || job->cert_sha256 == NULL || strlist_contains_nocase(&w->seen, job->cert_sha256))
		return w->stop;
	strlist_add(&w->seen, job->cert_sha256);
	memset(&item, 0, sizeof(item));
	item.order_id = order->id;
	item.target = job->state == INSTALL_JOB_DONE ? order->target : NULL;
	snprintf(item.sha256, sizeof(item.sha256), "%s", job->cert_sha256);
	item.names = order_names_text(order);
	sb_appendf(&source, "order %lld", order->id);
	item.source = sb_steal(&source);
	item.not_after = job->not_after;
	item.days_left = days_left(job->not_after, w->now);
	item.contact = xstrdup(order->contact ? order->contact
			       : w->cfg->notify_operator ? w->cfg->notify_operator : "");
	rc = w->fn(w->ctx, &item);
	free(item.names);
	free(item.source);
	free(item.contact);
	if (rc)
		w->stop = 1;
	return rc;
}

int expiry_each(struct ledger *ledger, const struct config *cfg, time_t now, expiry_fn fn,
		void *ctx)
{
	struct walk w;
	const struct target_config *t;
	int     rc = 0;

	memset(&w, 0, sizeof(w));
	w.ledger = ledger;
	w.cfg = cfg;
	w.now = now;
	w.fn = fn;
	w.ctx = ctx;
	for (t = cfg->targets; t && rc == 0; t = t->next)
		rc = give_target(&w, t);
	if (rc == 0 && book_each_latest_install(ledger, give_order, &w) < 0)
		rc = -1;
	strlist_free(&w.seen);
	return rc < 0 ? -1 : 0;
}

/* Reminders ------------------------------------------------------------------ */

struct remind {
	struct ledger *ledger;
	const struct config *cfg;
	int     days[EXPIRY_MAX_THRESHOLDS];
	size_t  n_days;
	int     sent;
};

static int send_reminder(struct remind *r, const struct expiry_item *item, const char *when)
{
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct mail_out m;
	int     rc;

	sb_appendf(&subject, "[mailcert] certificate for %.100s %s", item->names, when);
	sb_appendf(&body, "A certificate that mailcert watches %s.\n\n", when);
	sb_appendf(&body, "  names:       %s\n  where:       %s\n  SHA-256:     %s\n",
		   item->names, item->source, item->sha256);
	if (item->order_id)
		sb_appendf(&body, "\nRenew it with:  mailcert order renew %lld\n", item->order_id);
	sb_appends(&body, "\n-- \nmailcert\n");
	m.from = r->cfg->notify_from;
	m.to = item->contact;
	m.subject = subject.data;
	m.body = body.data;
	rc = mail_send(config_mail_route(r->cfg), &m, r->cfg->command_timeout, &why);
	if (rc < 0)
		msg_warn("expiry reminder for %s (%s) not sent: %s", item->sha256, item->source,
			 sb_str(&why));
	sb_free(&subject);
	sb_free(&body);
	sb_free(&why);
	return rc;
}

static int remind_one(void *ctx, const struct expiry_item *item)
{
	struct remind *r = ctx;
	char    ref[96];
	char    when[64];
	int     tightest = -1;
	size_t  i;
	int     rc;

	for (i = 0; i < r->n_days; i++)
		if (item->days_left <= r->days[i])
			tightest = r->days[i];	/* days are largest first */
	if (item->days_left < 0) {
		snprintf(ref, sizeof(ref), "%s:expired", item->sha256);
		snprintf(when, sizeof(when), "has expired");
	} else if (tightest >= 0) {
		snprintf(ref, sizeof(ref), "%s:%d", item->sha256, tightest);
		snprintf(when, sizeof(when), "expires in %lld day%s", item->days_left,
			 item->days_left == 1 ? "" : "s");
	} else {
		return 0;
	}
	if ((rc = book_notice_sent(r->ledger, "expiry", ref)) != 0)
		return rc < 0 ? -1 : 0;
	if (*item->contact == 0) {
		msg_info("expiry watch: %s (%s) %s; nobody to tell ([notify] operator)", item->sha256,
			 item->source, when);
	} else if (send_reminder(r, item, when) < 0) {
		return 0;			/* tried again next time */
	}
	if (book_notice_once(r->ledger, "expiry", ref, item->contact) < 0)
		return -1;
	for (i = 0; i < r->n_days; i++) {	/* the wider ones are told too */
		snprintf(ref, sizeof(ref), "%s:%d", item->sha256, r->days[i]);
		if (item->days_left <= r->days[i] && book_notice_once(r->ledger, "expiry", ref,
								     item->contact) < 0)
			return -1;
	}
	if (book_add_event(r->ledger, item->order_id, "expiry_reminder", "%s %s: mailed to %s",
			   item->source, when, *item->contact ? item->contact : "nobody") < 0)
		return -1;
	r->sent++;
	return 0;
}

int expiry_remind(struct ledger *ledger, const struct config *cfg, time_t now, int *sent)
{
	struct remind r;
	int     rc;

	memset(&r, 0, sizeof(r));
	r.ledger = ledger;
	r.cfg = cfg;
	r.n_days = config_warn_days(cfg, r.days, EXPIRY_MAX_THRESHOLDS);
	rc = expiry_each(ledger, cfg, now, remind_one, &r);
	*sent = r.sent;
	return rc;
}
