/*
 * NAME
 *	web_data - /metrics (Prometheus) and /api/ (JSON) of mailcert serve
 * SYNOPSIS
 *	#include "web.h"
 *
 *	int web_metrics(const struct web_request *req, struct web_reply *reply)
 *	int web_api(const struct web_request *req, struct web_reply *reply)
 * DESCRIPTION
 *	/metrics is the Prometheus text format (version 0.0.4):
 *
 *	mailcert_messages_total{verdict}	messages the intakes recorded
 *	mailcert_orders{state}			orders by state
 *	mailcert_install_jobs{state}		install jobs by state
 *	mailcert_install_attempts_total		install attempts made
 *	mailcert_install_failures_total		jobs that gave up or were refused
 *	mailcert_approvals{state}		approval actions by where they are
 *	mailcert_installer_last_seen_timestamp_seconds{installer,host}
 *		the last pass of each installer that recorded a heartbeat
 *	mailcert_installer_up{installer,host}	1 while it is live
 *	mailcert_orders_waiting_for_installer	open or installed orders whose
 *						target no live installer serves
 *	mailcert_certificate_expiry_timestamp_seconds{order,domain,target}
 *		the notAfter of each open or installed order's newest
 *		certificate, as cert-manager and x509-certificate-exporter
 *		export it (an absolute time, so alerts compare with time())
 *
 *	/api/ mirrors the --json outputs, with the same builders
 *	(ledger_json.c): /api/orders (the filters of /orders; every order
 *	when no limit is given, streamed WEB_BATCH at a time in constant
 *	memory), /api/order/ID, /api/approvals, /api/messages (?limit=),
 *	/api/installers (installers_report_json()).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_json.h"
#include "mymalloc.h"
#include "web.h"

#define DAY	86400

/* Streaming orders ------------------------------------------------------------ */

/* A listing read a piece at a time: JSON elements, or expiry gauges. */
struct order_stream {
	struct ledger *ledger;
	struct order_filter filter;
	long long remaining;		/* orders still to give, 0: no limit */
	int     limited;
	int     started;
	int     metrics;		/* expiry gauges rather than JSON */
	long long last_id;
	size_t  given;			/* in all */
	struct strbuf *out;
	size_t  batch;			/* in this piece */
	struct served_targets served;	/* read at the first piece */
};

static void label_value(struct strbuf *out, const char *text)
{
	for (const char *p = text ? text : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			sb_appendf(out, "\\%c", *p);
		else if (*p == '\n')
			sb_appends(out, "\\n");
		else if ((unsigned char) *p >= 0x20 && (unsigned char) *p < 0x7f)
			sb_append(out, p, 1);
	}
}

static int stream_one(void *ctx, const struct order *o)
{
	struct order_stream *s = ctx;
	json_t *j;
	char   *text;

	s->last_id = o->id;
	s->batch++;
	if (s->metrics) {
		if (o->expires_at == 0 || (o->status != BOOK_OPEN && o->status != BOOK_INSTALLED))
			return 0;
		sb_appendf(s->out, "mailcert_certificate_expiry_timestamp_seconds{order=\"%lld\",domain=\"",
			   o->id);
		label_value(s->out, o->domain);
		sb_appends(s->out, "\",target=\"");
		label_value(s->out, o->target);
		sb_appendf(s->out, "\"} %lld\n", o->expires_at);
		return 0;
	}
	j = order_to_json(o);
	order_json_waits(j, &s->served, o);
	text = json_dumps(j, JSON_COMPACT);
	sb_appendf(s->out, "%s%s", s->given++ ? ",\n" : "", text ? text : "null");
	free(text);
	json_decref(j);
	return 0;
}

/* fill_orders - the next piece: 1 while there is more, 0 at the end */

static int fill_orders(void *state, struct strbuf *out)
{
	struct order_stream *s = state;
	struct order_filter f = s->filter;

	if (!s->started) {
		s->started = 1;
		if (!s->metrics)
			sb_appends(out, "[\n");
		if (!s->metrics && served_targets_load(s->ledger, (long long) time(NULL), &s->served) < 0)
			return -1;
	}
	s->out = out;
	s->batch = 0;
	f.before_id = s->last_id;
	f.limit = s->limited && s->remaining < WEB_BATCH ? s->remaining : WEB_BATCH;
	if (ledger_each_order(s->ledger, &f, stream_one, s) < 0)
		return -1;
	if (s->limited)
		s->remaining -= (long long) s->batch;
	if (s->batch == (size_t) f.limit && (!s->limited || s->remaining > 0))
		return 1;
	if (!s->metrics)
		sb_appends(out, "\n]\n");
	return 0;
}

static void free_order_stream(void *state)
{
	struct order_stream *s = state;

	served_targets_free(&s->served);
	free(s);
}

static void stream_orders(const struct web_request *req, struct web_reply *reply,
			  const struct order_filter *filter, int metrics)
{
	struct order_stream *s = xcalloc(1, sizeof(*s));

	s->ledger = req->ledger;
	s->filter = *filter;
	s->limited = filter->limit > 0;
	s->remaining = filter->limit;
	s->metrics = metrics;
	s->filter.limit = 0;
	reply->fill = fill_orders;
	reply->state = s;
	reply->free_state = free_order_stream;
}

/* /metrics ----------------------------------------------------------------------- */

static int counts(struct ledger *ledger, struct strbuf *out, const char *what, const char *metric,
		  const char *label, const char *type, const char *help)
{
	struct strlist names = STRLIST_INIT;
	struct strlist values = STRLIST_INIT;

	if (ledger_count_by(ledger, what, &names, &values) < 0)
		return -1;
	sb_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
	for (size_t i = 0; i < names.count; i++) {
		if (label) {
			sb_appendf(out, "%s{%s=\"", metric, label);
			label_value(out, names.items[i]);
			sb_appendf(out, "\"} %s\n", values.items[i]);
		} else {
			sb_appendf(out, "%s %s\n", metric, values.items[i]);
		}
	}
	strlist_free(&names);
	strlist_free(&values);
	return 0;
}

static long long failed_jobs(struct ledger *ledger)
{
	struct strlist names = STRLIST_INIT;
	struct strlist values = STRLIST_INIT;
	long long n = 0;

	if (ledger_count_by(ledger, "install", &names, &values) < 0)
		return -1;
	for (size_t i = 0; i < names.count; i++)
		if (strcmp(names.items[i], "failed") == 0 || strcmp(names.items[i], "refused") == 0)
			n += atoll(values.items[i]);
	strlist_free(&names);
	strlist_free(&values);
	return n;
}

/* The two gauges of every installer, written side by side. */
struct installer_gauges {
	long long now;
	struct strbuf seen;
	struct strbuf up;
};

static void installer_labels(struct strbuf *b, const char *metric, const struct installer_record *r)
{
	sb_appendf(b, "%s{installer=\"", metric);
	label_value(b, r->name);
	sb_appends(b, "\",host=\"");
	label_value(b, r->host);
	sb_appends(b, "\"} ");
}

static int add_installer_gauges(void *ctx, const struct installer_record *r)
{
	struct installer_gauges *g = ctx;

	installer_labels(&g->seen, "mailcert_installer_last_seen_timestamp_seconds", r);
	sb_appendf(&g->seen, "%lld\n", r->last_pass);
	installer_labels(&g->up, "mailcert_installer_up", r);
	sb_appendf(&g->up, "%d\n", installer_is_live(r, g->now));
	return 0;
}

/* installer_metrics - the installers and the orders no live one serves */

static int installer_metrics(const struct web_request *req, struct strbuf *b)
{
	struct installer_gauges g = {(long long) time(NULL), STRBUF_INIT, STRBUF_INIT};
	json_t *report;
	long long waiting = 0;
	json_t *u;
	size_t  i;
	int     rc;

	rc = book_each_installer(req->ledger, add_installer_gauges, &g);
	sb_appendf(b, "# HELP mailcert_installer_last_seen_timestamp_seconds The last pass of each "
		   "installer.\n# TYPE mailcert_installer_last_seen_timestamp_seconds gauge\n%s"
		   "# HELP mailcert_installer_up 1 while the installer is live (a pass within twice its "
		   "poll interval and a minute).\n# TYPE mailcert_installer_up gauge\n%s",
		   sb_str(&g.seen), sb_str(&g.up));
	sb_free(&g.seen);
	sb_free(&g.up);
	if (rc < 0 || (report = installers_report_json(req->ledger, g.now)) == NULL)
		return -1;
	json_array_foreach(json_object_get(report, "unserved_targets"), i, u)
		waiting += json_integer_value(json_object_get(u, "orders"));
	sb_appendf(b, "# HELP mailcert_orders_waiting_for_installer Open or installed orders whose target "
		   "no live installer serves.\n# TYPE mailcert_orders_waiting_for_installer gauge\n"
		   "mailcert_orders_waiting_for_installer %lld\n", waiting);
	json_decref(report);
	return 0;
}

int web_metrics(const struct web_request *req, struct web_reply *reply)
{
	struct strbuf *b = &reply->body;
	struct order_filter f;
	long long failures;

	reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (counts(req->ledger, b, "verdict", "mailcert_messages_total", "verdict", "counter",
		   "Messages the intakes recorded, by verdict.") < 0
	    || counts(req->ledger, b, "state", "mailcert_orders", "state", "gauge",
		      "Orders by state.") < 0
	    || counts(req->ledger, b, "install", "mailcert_install_jobs", "state", "gauge",
		      "Install jobs by state.") < 0
	    || counts(req->ledger, b, "install_attempts", "mailcert_install_attempts_total", NULL,
		      "counter", "Install attempts made.") < 0
	    || counts(req->ledger, b, "approval", "mailcert_approvals", "state", "gauge",
		      "Approval actions by state (approved, notified, failed ...).") < 0
	    || (failures = failed_jobs(req->ledger)) < 0 || installer_metrics(req, b) < 0)
		return -1;
	sb_appendf(b, "# HELP mailcert_install_failures_total Install jobs that gave up or were refused.\n"
		   "# TYPE mailcert_install_failures_total counter\nmailcert_install_failures_total %lld\n",
		   failures);
	sb_appends(b, "# HELP mailcert_certificate_expiry_timestamp_seconds The notAfter of each open or "
		   "installed order's newest certificate.\n"
		   "# TYPE mailcert_certificate_expiry_timestamp_seconds gauge\n");
	memset(&f, 0, sizeof(f));
	f.any_state = 1;
	stream_orders(req, reply, &f, 1);
	return 0;
}

/* /api/ ---------------------------------------------------------------------------- */

static void json_reply(struct web_reply *reply, json_t *value)
{
	char   *text = json_dumps(value, JSON_INDENT(2));

	reply->content_type = "application/json";
	sb_appendf(&reply->body, "%s\n", text ? text : "null");
	free(text);
	json_decref(value);
}

static void api_error(struct web_reply *reply, int status, const char *what)
{
	reply->status = status;
	json_reply(reply, json_pack("{s:s}", "error", what));
}

static int api_order(const struct web_request *req, struct web_reply *reply, long long id)
{
	struct order_details d;
	json_t *j;
	int     rc = order_details_load(req->ledger, id, &d);

	if (rc == LEDGER_NOT_FOUND) {
		order_details_free(&d);
		api_error(reply, 404, "no such order");
		return 0;
	}
	j = rc == 0 ? order_details_json(req->ledger, &d) : NULL;
	order_details_free(&d);
	if (j == NULL)
		return -1;
	json_reply(reply, j);
	return 0;
}

static int api_approvals(const struct web_request *req, struct web_reply *reply)
{
	json_t *array = json_array();

	if (ledger_each_waiting_approval(req->ledger, WEB_LIMIT_MAX, waiting_approval_append, array) < 0) {
		json_decref(array);
		return -1;
	}
	json_reply(reply, array);
	return 0;
}

static int add_message(void *ctx, const struct message_record *m)
{
	json_array_append_new(ctx, message_to_json(m));
	return 0;
}

static int api_messages(const struct web_request *req, struct web_reply *reply)
{
	json_t *array = json_array();

	if (ledger_each_message(req->ledger, 0, web_arg_int(req, "limit", WEB_PAGE_LIMIT, WEB_LIMIT_MAX),
				add_message, array) < 0) {
		json_decref(array);
		return -1;
	}
	json_reply(reply, array);
	return 0;
}

static int api_orders(const struct web_request *req, struct web_reply *reply)
{
	struct order_filter f;
	const char *state = web_arg(req, "state");

	memset(&f, 0, sizeof(f));
	f.any_state = 1;
	if (state && order_state_from_name(state, &f.state) < 0) {
		api_error(reply, 400, "no such state");
		return 0;
	}
	f.any_state = state == NULL;
	f.domain = web_arg(req, "domain");
	if (web_arg(req, "expiring"))
		f.expiring_before = (long long) time(NULL) + web_arg_int(req, "expiring", 30, 36500) * DAY;
	f.limit = web_arg_int(req, "limit", 0, LLONG_MAX);
	reply->content_type = "application/json";
	stream_orders(req, reply, &f, 0);
	return 0;
}

static int api_installers(const struct web_request *req, struct web_reply *reply)
{
	json_t *report = installers_report_json(req->ledger, (long long) time(NULL));

	if (report == NULL)
		return -1;
	json_reply(reply, report);
	return 0;
}

int web_api(const struct web_request *req, struct web_reply *reply)
{
	const char *path = req->path + strlen("/api");
	char   *end;
	long long id;

	if (strcmp(path, "/orders") == 0)
		return api_orders(req, reply);
	if (strncmp(path, "/order/", 7) == 0 && (id = strtoll(path + 7, &end, 10)) > 0 && *end == 0)
		return api_order(req, reply, id);
	if (strcmp(path, "/approvals") == 0)
		return api_approvals(req, reply);
	if (strcmp(path, "/messages") == 0)
		return api_messages(req, reply);
	if (strcmp(path, "/installers") == 0)
		return api_installers(req, reply);
	api_error(reply, 404, "no such endpoint");
	return 0;
}
