/*
 * NAME
 *	web_pages - the HTML pages of mailcert serve
 * SYNOPSIS
 *	#include "web.h"
 *
 *	int web_page(const struct web_request *req, struct web_reply *reply)
 *	void web_escape(struct strbuf *out, const char *text)
 * DESCRIPTION
 *	Server-rendered pages, no script, one small stylesheet (/style.css),
 *	readable on a phone:
 *
 *	/orders		the orders, newest first, with state, CA and expiry
 *			(days left), filtered as "mailcert orders" is:
 *			?state= &domain= &expiring=DAYS &limit=
 *	/order/ID	one order's timeline: ordered, approval mail,
 *			approved, issued, installed; then every event and
 *			message in time; the certificate's lifetime as a bar
 *	/approvals	the approvals that wait for a person, with the
 *			warning about the reject link the notify mail has
 *	/failures	orders whose install failed, with the reason
 *	/messages	the newest messages with their verdicts (?limit=)
 *	/installers	the installers of every host (live, silent, stopped)
 *			and the targets of orders no live one serves
 *
 *	An order that waits for an installer (open or installed, and no
 *	live installer serves its target) says so on /orders and its page.
 *
 *	Everything from the ledger is escaped (web_escape(): controls and
 *	bidirectional marks made visible, then HTML's five).  A link from a
 *	mail is shown as text, never as a link, except the approval link of
 *	a believed approval on /approvals, which is opened without referrer.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "approve.h"
#include "ledger_json.h"
#include "mymalloc.h"
#include "printable.h"
#include "web.h"

#define DAY		86400
#define TIMELINE_MAX	500	/* events and messages shown of one order */

static const char style_css[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}"
	"header{background:#243b53;color:#fff;padding:.6em 1em}"
	"header a{color:#fff;margin-right:1em;text-decoration:none}"
	"header strong{margin-right:1.5em}"
	"main{padding:1em;max-width:72em}"
	"table{border-collapse:collapse;width:100%;background:#fff}"
	"th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #ddd;vertical-align:top}"
	"th{background:#eef2f6}td:first-child{white-space:nowrap}"
	"code{font:13px ui-monospace,monospace;word-break:break-all}"
	".state{font-weight:600}.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.6em}"
	".bad{color:#b00020}.ok{color:#1b7f3b}.muted{color:#666}"
	"ol.steps{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5em}"
	"ol.steps li{background:#fff;border:1px solid #ccd;border-radius:4px;padding:.4em .7em}"
	"ol.steps li.done{border-color:#1b7f3b}"
	"progress{width:100%;height:1.2em}"
	"form{margin:0 0 1em}form input,form select{margin-right:.5em}"
	"@media (max-width:40em){td,th{display:block}tr{display:block;border-bottom:2px solid #ccc}}";

void web_escape(struct strbuf *out, const char *text)
{
	char   *safe = printable_dup(text, PRINTABLE_ESCAPE);
	const char *p;

	for (p = safe; *p; p++) {
		switch (*p) {
		case '&':
			sb_appends(out, "&amp;");
			break;
		case '<':
			sb_appends(out, "&lt;");
			break;
		case '>':
			sb_appends(out, "&gt;");
			break;
		case '"':
			sb_appends(out, "&quot;");
			break;
		case '\'':
			sb_appends(out, "&#39;");
			break;
		default:
			sb_append(out, p, 1);
		}
	}
	free(safe);
}

static void esc(struct strbuf *out, const char *text)
{
	web_escape(out, text ? text : "");
}

static const char *when(long long t, char *buf, size_t size)
{
	time_t  tt = (time_t) t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return "—";
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

static void page_begin(struct strbuf *b, const char *title)
{
	sb_appends(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		   "<title>");
	esc(b, title);
	sb_appends(b, " — mailcert</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n"
		   "<body><header><strong>mailcert</strong><a href=\"/orders\">Orders</a>"
		   "<a href=\"/approvals\">Approvals</a><a href=\"/failures\">Install failures</a>"
		   "<a href=\"/messages\">Messages</a><a href=\"/installers\">Installers</a>"
		   "<a href=\"/metrics\">Metrics</a></header>\n<main><h1>");
	esc(b, title);
	sb_appends(b, "</h1>\n");
}

static void page_end(struct strbuf *b)
{
	sb_appends(b, "</main></body></html>\n");
}

static void html_reply(struct web_reply *reply, int status)
{
	reply->status = status;
	reply->content_type = "text/html; charset=utf-8";
}

void web_not_found(struct web_reply *reply, const char *what)
{
	sb_reset(&reply->body);
	html_reply(reply, 404);
	page_begin(&reply->body, "Not found");
	sb_appends(&reply->body, "<p>");
	esc(&reply->body, what);
	sb_appends(&reply->body, "</p>\n");
	page_end(&reply->body);
}

static void expiry_cell(struct strbuf *b, long long expires_at, long long now)
{
	char    buf[32];
	long long days;

	if (expires_at == 0) {
		sb_appends(b, "<td class=\"muted\">—</td>");
		return;
	}
	days = (expires_at - now) / DAY;
	sb_appendf(b, "<td class=\"%s\">%s (%s%lld days)</td>", days < 14 ? "bad" : "ok",
		   when(expires_at, buf, sizeof(buf)), days < 0 ? "expired " : "", days < 0 ? -days : days);
}

/* /orders ---------------------------------------------------------------- */

struct order_rows {
	struct strbuf *b;
	long long now;
	size_t  n;
	struct served_targets served;
};

static int order_row(void *ctx, const struct order *o)
{
	struct order_rows *r = ctx;
	char    buf[32];

	sb_appendf(r->b, "<tr><td><a href=\"/order/%lld\">%lld</a></td><td>", o->id, o->id);
	esc(r->b, o->domain);
	sb_appends(r->b, "</td><td>");
	esc(r->b, o->ca);
	sb_appendf(r->b, "</td><td class=\"state\">%s%s</td>", order_state_name(o->state),
		   order_waits_for_installer(&r->served, o)
		   ? " <a class=\"bad\" href=\"/installers\">no installer</a>" : "");
	expiry_cell(r->b, o->expires_at, r->now);
	sb_appendf(r->b, "<td>%s</td></tr>\n", when(o->updated_at, buf, sizeof(buf)));
	r->n++;
	return 0;
}

static int read_filter(const struct web_request *req, struct order_filter *f, struct strbuf *b)
{
	const char *state = web_arg(req, "state");

	memset(f, 0, sizeof(*f));
	f->any_state = 1;
	if (state) {
		if (order_state_from_name(state, &f->state) < 0) {
			sb_appends(b, "<p class=\"bad\">No such state: ");
			esc(b, state);
			sb_appends(b, "</p>");
			return -1;
		}
		f->any_state = 0;
	}
	f->domain = web_arg(req, "domain");
	if (web_arg(req, "expiring"))
		f->expiring_before = (long long) time(NULL) + web_arg_int(req, "expiring", 30, 36500) * DAY;
	f->limit = web_arg_int(req, "limit", WEB_PAGE_LIMIT, WEB_LIMIT_MAX);
	return 0;
}

static void filter_form(struct strbuf *b, const struct web_request *req)
{
	static const char *const states[] = {"awaiting_approval", "approval_received", "approved",
		"issued", "installed", "install_failed", "install_retrying", "declined", "cancelled", "superseded",
		NULL};
	const char *now = web_arg(req, "state");

	sb_appends(b, "<form method=\"get\" action=\"/orders\"><select name=\"state\">"
		   "<option value=\"\">any state</option>");
	for (int i = 0; states[i]; i++)
		sb_appendf(b, "<option%s>%s</option>", now && strcmp(now, states[i]) == 0 ? " selected" : "",
			   states[i]);
	sb_appends(b, "</select><input name=\"domain\" placeholder=\"domain\" value=\"");
	esc(b, web_arg(req, "domain"));
	sb_appends(b, "\"><input name=\"expiring\" size=\"4\" placeholder=\"days\" value=\"");
	esc(b, web_arg(req, "expiring"));
	sb_appends(b, "\"><button>Show</button></form>\n");
}

static int page_orders(const struct web_request *req, struct web_reply *reply)
{
	struct strbuf *b = &reply->body;
	struct order_filter f;
	struct order_rows rows = {b, (long long) time(NULL), 0, {STRLIST_INIT}};
	int     rc;

	html_reply(reply, 200);
	page_begin(b, "Orders");
	filter_form(b, req);
	if (read_filter(req, &f, b) < 0) {
		reply->status = 400;
		page_end(b);
		return 0;
	}
	sb_appends(b, "<table><tr><th>order</th><th>domain</th><th>CA</th><th>state</th>"
		   "<th>expires</th><th>last change</th></tr>\n");
	rc = served_targets_load(req->ledger, rows.now, &rows.served) < 0
	    || ledger_each_order(req->ledger, &f, order_row, &rows) < 0 ? -1 : 0;
	served_targets_free(&rows.served);
	if (rc < 0)
		return -1;
	sb_appends(b, "</table>\n");
	sb_appendf(b, "<p class=\"muted\">%zu order%s shown (at most %lld; ?limit= for more)</p>\n",
		   rows.n, rows.n == 1 ? "" : "s", f.limit);
	page_end(b);
	return 0;
}

/* /order/ID: the timeline ------------------------------------------------------ */

/* One line of the timeline. */
struct moment {
	long long at;
	int     is_message;
	char   *kind;
	char   *text;
};

struct moments {
	struct moment *m;
	size_t  n;
	size_t  cap;
	long long approved_at;
};

static void add_moment(struct moments *ms, long long at, int is_message, const char *kind,
		       const char *text)
{
	if (ms->n >= TIMELINE_MAX)
		return;
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 32;
		ms->m = xrealloc(ms->m, ms->cap * sizeof(*ms->m));
	}
	ms->m[ms->n].at = at;
	ms->m[ms->n].is_message = is_message;
	ms->m[ms->n].kind = xstrdup(kind ? kind : "");
	ms->m[ms->n].text = xstrdup(text ? text : "");
	ms->n++;
}

static int take_event(void *ctx, const struct event *e)
{
	struct moments *ms = ctx;

	if ((strcmp(e->kind, "approval_approved") == 0 || strcmp(e->kind, "approval_done") == 0)
	    && ms->approved_at == 0)
		ms->approved_at = e->at;
	add_moment(ms, e->at, 0, e->kind, e->detail);
	return 0;
}

static int take_message(void *ctx, const struct message_record *m)
{
	struct strbuf text = STRBUF_INIT;

	sb_appendf(&text, "%s from %s: %s%s%s", m->message_id ? m->message_id : "(no Message-ID)",
		   m->mail_from ? m->mail_from : "?", m->subject ? m->subject : "",
		   m->reason ? " — " : "", m->reason ? m->reason : "");
	add_moment(ctx, m->received_at, 1, m->verdict, sb_str(&text));
	sb_free(&text);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct moment *x = a;
	const struct moment *y = b;

	return x->at < y->at ? -1 : x->at > y->at ? 1 : x->is_message - y->is_message;
}

static void step(struct strbuf *b, const char *name, long long at)
{
	char    buf[32];

	sb_appendf(b, "<li class=\"%s\">%s<br><span class=\"muted\">%s</span></li>", at ? "done" : "",
		   name, when(at, buf, sizeof(buf)));
}

static void lifetime(struct strbuf *b, const struct cert_record *c, long long now)
{
	char    from[32];
	char    to[32];
	long long total = c->not_after - c->not_before;
	long long used = now - c->not_before;

	if (total <= 0)
		return;
	if (used < 0)
		used = 0;
	if (used > total)
		used = total;
	sb_appendf(b, "<h2>Certificate</h2><p>valid %s to %s, %lld days; %lld days left</p>"
		   "<progress value=\"%lld\" max=\"%lld\">%lld%%</progress><p><code>",
		   when(c->not_before, from, sizeof(from)), when(c->not_after, to, sizeof(to)), total / DAY,
		   (c->not_after - now) / DAY, used / DAY, total / DAY, used * 100 / total);
	esc(b, c->sha256);
	sb_appends(b, "</code></p>\n");
}

static int waits_for_installer(struct ledger *ledger, const struct order *o)
{
	struct served_targets served;
	int     waits;

	waits = served_targets_load(ledger, (long long) time(NULL), &served) == 0
		&& order_waits_for_installer(&served, o);
	served_targets_free(&served);
	return waits;
}

static int page_order(const struct web_request *req, struct web_reply *reply, long long id)
{
	struct strbuf *b = &reply->body;
	struct moments ms = {NULL, 0, 0, 0};
	struct order o;
	struct approval a;
	struct cert_record c;
	struct install_job job;
	char    title[64];
	char    buf[32];
	int     has_a;
	int     has_c;
	int     has_job;
	int     rc;

	memset(&o, 0, sizeof(o));
	if ((rc = ledger_get_order(req->ledger, id, &o)) != 0) {
		if (rc < 0)
			return -1;
		web_not_found(reply, "No such order.");
		return 0;
	}
	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	memset(&job, 0, sizeof(job));
	has_a = intake_latest_approval(req->ledger, id, &a) == 0;
	has_c = intake_latest_certificate(req->ledger, id, &c) == 0;
	has_job = book_install_latest(req->ledger, id, &job) == 0;
	if (ledger_each_event(req->ledger, id, TIMELINE_MAX, take_event, &ms) < 0
	    || ledger_each_message(req->ledger, id, TIMELINE_MAX, take_message, &ms) < 0)
		rc = -1;
	qsort(ms.m, ms.n, sizeof(*ms.m), by_time);

	html_reply(reply, 200);
	snprintf(title, sizeof(title), "Order %lld", id);
	page_begin(b, title);
	sb_appends(b, "<p>");
	esc(b, o.domain);
	for (size_t i = 0; i < o.alt_names.count; i++) {
		sb_appends(b, ", ");
		esc(b, o.alt_names.items[i]);
	}
	sb_appends(b, " — CA ");
	esc(b, o.ca);
	sb_appends(b, o.ca_order ? ", CA order " : "");
	esc(b, o.ca_order);
	sb_appends(b, ", target ");
	esc(b, o.target);
	sb_appendf(b, " — <span class=\"state\">%s</span></p>\n<ol class=\"steps\">", order_state_name(o.state));
	step(b, "ordered", o.created_at);
	step(b, "approval mail", has_a ? a.received_at : 0);
	step(b, "approved", ms.approved_at);
	step(b, "issued", has_c ? c.received_at : 0);
	step(b, "installed", has_job && job.state == INSTALL_JOB_DONE ? job.updated_at : 0);
	sb_appends(b, "</ol>\n");
	if (has_c)
		lifetime(b, &c, (long long) time(NULL));
	if (waits_for_installer(req->ledger, &o))
		sb_appends(b, "<p class=\"warn\">No live installer serves this order's target: "
			   "nothing installs it or watches its expiry (see <a href=\"/installers\">"
			   "Installers</a>).</p>\n");
	if (has_job && job.last_error) {
		sb_appends(b, "<p class=\"bad\">Install: ");
		esc(b, job.last_error);
		sb_appends(b, "</p>\n");
	}
	sb_appends(b, "<h2>Timeline</h2><table><tr><th>when</th><th>what</th><th></th></tr>\n");
	for (size_t i = 0; i < ms.n; i++) {
		sb_appendf(b, "<tr><td>%s</td><td>%s", when(ms.m[i].at, buf, sizeof(buf)),
			   ms.m[i].is_message ? "mail: " : "");
		esc(b, ms.m[i].kind);
		sb_appends(b, "</td><td>");
		esc(b, ms.m[i].text);
		sb_appends(b, "</td></tr>\n");
		free(ms.m[i].kind);
		free(ms.m[i].text);
	}
	sb_appends(b, "</table>\n");
	page_end(b);
	free(ms.m);
	order_clear(&o);
	if (has_a)
		approval_clear(&a);
	if (has_c)
		cert_record_clear(&c);
	if (has_job)
		install_job_clear(&job);
	return rc;
}

/* /approvals -------------------------------------------------------------------- */

/* believed_link - the one link a page makes clickable: a believed
 * approval's, not refused by the worker, and the CA's approval link as
 * the approver checks it (approve_link_check(): its host and its path),
 * in the checked normal form; NULL for any other */

static char *believed_link(const struct web_request *req, const struct approval *a,
			   const struct order *o)
{
	struct approve_action action;
	struct approve_url url;
	struct strbuf why = STRBUF_INIT;
	char   *link = NULL;

	if (!approval_is_the_orders(a, o) || a->link == NULL || strcmp(a->action_state, "failed") == 0
	    || approve_action_for(req->parser, o->ca, &action) < 0)
		return NULL;
	if (approve_link_check(a->link, &action, &url, &why) == 0) {
		link = url.text;
		url.text = NULL;
		approve_url_clear(&url);
	}
	sb_free(&why);
	return link;
}

static void approval_row(const struct web_request *req, struct strbuf *b, const struct approval *a,
			 const struct order *o)
{
	char   *link;

	sb_appendf(b, "<tr><td><a href=\"/order/%lld\">%lld</a></td><td>", o->id, o->id);
	esc(b, o->domain);
	sb_appends(b, "</td><td>");
	esc(b, o->ca);
	sb_appends(b, "</td><td>");
	esc(b, a->action_state);
	sb_appends(b, "</td><td>");
	esc(b, a->ca_order);
	sb_appends(b, "</td><td>");
	if (strncmp(a->action_state, "unconfirmed", 11) == 0) {
		sb_appendf(b, "the order has no CA order number: <code>mailcert order set %lld "
			   "--ca-order ", o->id);
		esc(b, a->ca_order);
		sb_appends(b, "</code> if it is yours");
	} else if ((link = believed_link(req, a, o)) != NULL) {
		sb_appends(b, "<a rel=\"noreferrer noopener\" href=\"");
		esc(b, link);
		sb_appends(b, "\">");
		esc(b, link);
		sb_appends(b, "</a><br>code: <code>");
		esc(b, a->code);
		sb_appends(b, "</code>");
		free(link);
	} else if (!approval_is_the_orders(a, o)) {
		sb_appends(b, "not this order's approval: its link and code are not shown (");
		esc(b, a->last_error ? a->last_error : "another CA order");
		sb_appends(b, ")");
	} else {
		sb_appends(b, "<code>");
		esc(b, a->link);
		sb_appends(b, "</code> (not followed: ");
		esc(b, a->last_error ? a->last_error : "not believed");
		sb_appends(b, ")");
	}
	sb_appends(b, "</td></tr>\n");
}

/* One approvals page being written. */
struct approval_rows {
	const struct web_request *req;
	struct strbuf *b;
	size_t  n;
};

static int take_approval_row(void *ctx, const struct approval *a, const struct order *o)
{
	struct approval_rows *r = ctx;

	approval_row(r->req, r->b, a, o);
	r->n++;
	return 0;
}

static int page_approvals(const struct web_request *req, struct web_reply *reply)
{
	struct strbuf *b = &reply->body;
	struct approval_rows rows = {req, b, 0};

	html_reply(reply, 200);
	page_begin(b, "Approvals waiting for a person");
	sb_appends(b, "<p class=\"warn\">Only the link shown here approves the order. The CA's own "
		   "mail also holds a link that <strong>rejects</strong> the order: never open that one. "
		   "When the CA's page says the code was correct, run <code>mailcert approve ID "
		   "--done</code>.</p>\n<table><tr><th>order</th><th>domain</th><th>CA</th><th>state</th>"
		   "<th>CA order</th><th>link and code</th></tr>\n");
	if (ledger_each_waiting_approval(req->ledger, WEB_LIMIT_MAX, take_approval_row, &rows) < 0)
		return -1;
	sb_appendf(b, "</table><p class=\"muted\">%zu waiting</p>\n", rows.n);
	page_end(b);
	return 0;
}

/* /failures ---------------------------------------------------------------------- */

struct failure_rows {
	struct ledger *ledger;
	struct strbuf *b;
	size_t  n;
};

static int failure_row(void *ctx, const struct order *o)
{
	struct failure_rows *r = ctx;
	struct install_job job;
	char    buf[32];

	memset(&job, 0, sizeof(job));
	sb_appendf(r->b, "<tr><td><a href=\"/order/%lld\">%lld</a></td><td>", o->id, o->id);
	esc(r->b, o->domain);
	sb_appends(r->b, "</td><td>");
	esc(r->b, o->target);
	sb_appends(r->b, "</td><td>");
	if (book_install_latest(r->ledger, o->id, &job) == 0) {
		sb_appendf(r->b, "%s, attempt %d, %s: ", install_state_name(job.state), job.attempts,
			   when(job.updated_at, buf, sizeof(buf)));
		esc(r->b, job.last_error);
		install_job_clear(&job);
	}
	sb_appends(r->b, "</td></tr>\n");
	r->n++;
	return 0;
}

static int page_failures(const struct web_request *req, struct web_reply *reply)
{
	struct strbuf *b = &reply->body;
	/* given up or refused, then failed and waiting for the next attempt */
	static const enum order_state failing[] = {ORDER_INSTALL_FAILED, ORDER_INSTALL_RETRYING};
	struct order_filter f;
	struct failure_rows rows = {req->ledger, b, 0};
	size_t  i;

	memset(&f, 0, sizeof(f));
	f.limit = web_arg_int(req, "limit", WEB_PAGE_LIMIT, WEB_LIMIT_MAX);
	html_reply(reply, 200);
	page_begin(b, "Install failures");
	sb_appends(b, "<table><tr><th>order</th><th>domain</th><th>target</th><th>the last attempt</th></tr>\n");
	for (i = 0; i < sizeof(failing) / sizeof(failing[0]); i++) {
		f.state = failing[i];
		if (ledger_each_order(req->ledger, &f, failure_row, &rows) < 0)
			return -1;
	}
	sb_appendf(b, "</table><p class=\"muted\">%zu order%s</p>\n", rows.n, rows.n == 1 ? "" : "s");
	page_end(b);
	return 0;
}

/* /messages ----------------------------------------------------------------------- */

static int message_row(void *ctx, const struct message_record *m)
{
	struct strbuf *b = ctx;
	char    buf[32];

	sb_appendf(b, "<tr><td>%s</td><td>", when(m->received_at, buf, sizeof(buf)));
	esc(b, m->verdict);
	sb_appends(b, "</td><td>");
	esc(b, m->mail_from);
	sb_appends(b, "</td><td>");
	esc(b, m->subject);
	sb_appends(b, "<br><span class=\"muted\">");
	esc(b, m->message_id);
	sb_appends(b, "</span></td><td>");
	esc(b, m->reason);
	sb_appends(b, "</td><td>");
	if (m->order_id)
		sb_appendf(b, "<a href=\"/order/%lld\">%lld</a>", m->order_id, m->order_id);
	sb_appends(b, "</td></tr>\n");
	return 0;
}

static int page_messages(const struct web_request *req, struct web_reply *reply)
{
	struct strbuf *b = &reply->body;

	html_reply(reply, 200);
	page_begin(b, "Messages");
	sb_appends(b, "<table><tr><th>received</th><th>verdict</th><th>from</th><th>subject</th>"
		   "<th>what was done</th><th>order</th></tr>\n");
	if (ledger_each_message(req->ledger, 0, web_arg_int(req, "limit", WEB_PAGE_LIMIT, WEB_LIMIT_MAX),
				message_row, b) < 0)
		return -1;
	sb_appends(b, "</table>\n");
	page_end(b);
	return 0;
}

/* /installers --------------------------------------------------------------------- */

static void installer_row(struct strbuf *b, json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "state"));
	size_t  i;
	json_t *t;

	sb_appends(b, "<tr><td>");
	esc(b, json_string_value(json_object_get(r, "name")));
	sb_appendf(b, "</td><td class=\"%s\">%s</td><td>", strcmp(state, "live") == 0 ? "ok" : "bad", state);
	esc(b, json_string_value(json_object_get(r, "last_pass")));
	sb_appends(b, "</td><td>");
	esc(b, json_string_value(json_object_get(r, "version")));
	sb_appends(b, "</td><td>");
	json_array_foreach(json_object_get(r, "targets"), i, t) {
		sb_appends(b, i ? " " : "");
		esc(b, json_string_value(t));
	}
	sb_appends(b, "</td></tr>\n");
}

static void unserved_row(struct strbuf *b, json_t *u)
{
	long long first = json_integer_value(json_object_get(u, "first_order"));

	sb_appends(b, "<tr><td>");
	esc(b, json_string_value(json_object_get(u, "target")));
	sb_appendf(b, "</td><td>%lld</td><td><a href=\"/order/%lld\">%lld</a></td></tr>\n",
		   (long long) json_integer_value(json_object_get(u, "orders")), first, first);
}

static int page_installers(const struct web_request *req, struct web_reply *reply)
{
	struct strbuf *b = &reply->body;
	json_t *report = installers_report_json(req->ledger, (long long) time(NULL));
	json_t *v;
	size_t  i;

	if (report == NULL)
		return -1;
	html_reply(reply, 200);
	page_begin(b, "Installers");
	sb_appends(b, "<table><tr><th>installer</th><th>state</th><th>last pass</th><th>version</th>"
		   "<th>targets</th></tr>\n");
	json_array_foreach(json_object_get(report, "installers"), i, v)
		installer_row(b, v);
	sb_appends(b, "</table>\n<h2>Targets no live installer serves</h2>\n<table><tr><th>target</th>"
		   "<th>orders waiting</th><th>first order</th></tr>\n");
	json_array_foreach(json_object_get(report, "unserved_targets"), i, v)
		unserved_row(b, v);
	sb_appends(b, "</table>\n");
	json_array_foreach(json_object_get(report, "shared_targets"), i, v) {
		sb_appends(b, "<p class=\"warn\">Target ");
		esc(b, json_string_value(v));
		sb_appends(b, " is served by live installers of two hosts: its jobs go to whichever takes "
			   "them, and only the host with the key installs.</p>\n");
	}
	page_end(b);
	json_decref(report);
	return 0;
}

/* Routing ------------------------------------------------------------------------- */

static long long order_id_of(const char *path)
{
	char   *end;
	long long id = strtoll(path, &end, 10);

	return *end == 0 && id > 0 ? id : 0;
}

int web_page(const struct web_request *req, struct web_reply *reply)
{
	const char *path = req->path;

	if (strcmp(path, "/style.css") == 0) {
		reply->content_type = "text/css; charset=utf-8";
		sb_appends(&reply->body, style_css);
		return 0;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/orders") == 0)
		return page_orders(req, reply);
	if (strncmp(path, "/order/", 7) == 0 && order_id_of(path + 7))
		return page_order(req, reply, order_id_of(path + 7));
	if (strcmp(path, "/approvals") == 0)
		return page_approvals(req, reply);
	if (strcmp(path, "/failures") == 0)
		return page_failures(req, reply);
	if (strcmp(path, "/messages") == 0)
		return page_messages(req, reply);
	if (strcmp(path, "/installers") == 0)
		return page_installers(req, reply);
	web_not_found(reply, "No such page.");
	return 0;
}
