/*
 * NAME
 *	ledger_json - the JSON of ledger records: --json and the web view's /api/
 * SYNOPSIS
 *	#include "ledger_json.h"
 *
 *	json_t *order_to_json(const struct order *order)
 *	json_t *event_to_json(const struct event *event)
 *	json_t *message_to_json(const struct message_record *msg)
 *	int approval_is_the_orders(const struct approval *a,
 *				   const struct order *o)
 *	json_t *approval_to_json(const struct approval *a,
 *				 const struct order *o)
 *	json_t *waiting_approval_to_json(const struct approval *a,
 *					 const struct order *o)
 *	int waiting_approval_append(void *array, const struct approval *a,
 *				    const struct order *o)
 *	int order_details_load(struct ledger *ledger, long long id,
 *			       struct order_details *d)
 *	json_t *order_details_json(struct ledger *ledger,
 *				   const struct order_details *d)
 *	void order_details_free(struct order_details *d)
 *	void order_json_waits(json_t *obj, const struct served_targets *s,
 *			      const struct order *o)
 *	json_t *installer_to_json(const struct installer_record *r,
 *				  long long now)
 *	const char *installer_state(const struct installer_record *r,
 *				    long long now)
 *	json_t *installers_report_json(struct ledger *ledger, long long now)
 *	json_t *json_time(long long when)
 * DESCRIPTION
 *	One form of each record for every reader, so that "mailcert show
 *	--json" and /api/order/ID say the same.  Every string goes through
 *	json_text(): what came from a mail is made valid UTF-8 and JSON
 *	escapes its control characters.  Times are ISO 8601 UTC strings,
 *	null for none.
 *
 *	approval_to_json() shows an approval's link and code only when
 *	approval_is_the_orders(): a believed approval whose CA order number
 *	is the order's own, confirmed (not waiting for the operator's
 *	number).  Any other (an order without a CA order number, a CA order
 *	of our domain that may be a stranger's, a number the operator has
 *	since set otherwise) shows that it exists and its CA order number,
 *	never its link or code, in every output: show, the web view, the
 *	API.  waiting_approval_to_json() is an approval that waits for a
 *	person, with its order.
 *
 *	order_details_load() reads one order with its latest approval,
 *	certificate and install job (0, LEDGER_NOT_FOUND or -1; free it
 *	either way); order_details_json() is that with its newest
 *	ORDER_EVENTS_SHOWN events (strangers can add events without end),
 *	NULL when the ledger failed.  Both say "waits_for_installer": true
 *	when the order is open or installed and no live installer serves its
 *	target (order_json_waits(), from one served_targets_load() per
 *	listing).  installer_to_json() is one installer's heartbeat, its
 *	state "live", "silent" or "stopped" (installer_state()).
 *	installers_report_json() is what "mailcert installers --json",
 *	/api/installers and /installers show: {"installers": [...],
 *	"unserved_targets": [{target, orders, first_order}] (targets of
 *	open or installed orders that no live installer serves),
 *	"shared_targets": [names] (served by live installers of two hosts:
 *	a job goes to whichever takes it, and only one has the key)}; NULL
 *	when the ledger failed.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_text.h"
#include "mymalloc.h"
#include "ledger_json.h"

json_t *json_time(long long when)
{
	char    buf[32];
	time_t  t = (time_t) when;
	struct tm tm;

	if (when == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *order_to_json(const struct order *order)
{
	json_t *obj = json_object();
	json_t *names = json_array();
	size_t  i;

	for (i = 0; i < order->alt_names.count; i++)
		json_array_append_new(names, json_text(order->alt_names.items[i]));
	json_object_set_new(obj, "id", json_integer(order->id));
	json_object_set_new(obj, "domain", json_text(order->domain));
	json_object_set_new(obj, "alt_names", names);
	json_object_set_new(obj, "ca", json_text(order->ca));
	json_object_set_new(obj, "ca_order", json_text(order->ca_order));
	json_object_set_new(obj, "approver", json_text(order->approver));
	json_object_set_new(obj, "state", json_string(order_state_name(order->state)));
	json_object_set_new(obj, "status", json_string(book_status_name(order->status)));
	json_object_set_new(obj, "target", json_text(order->target));
	json_object_set_new(obj, "contact", json_text(order->contact));
	json_object_set_new(obj, "key_sha256", json_text(order->key_sha256));
	json_object_set_new(obj, "key_origin", json_text(order->key_origin));
	json_object_set_new(obj, "approve_mode", json_text(order->approve_mode));
	json_object_set_new(obj, "predecessor", order->predecessor ? json_integer(order->predecessor)
			    : json_null());
	json_object_set_new(obj, "successor", order->successor ? json_integer(order->successor)
			    : json_null());
	json_object_set_new(obj, "closed_reason", json_text(order->closed_reason));
	json_object_set_new(obj, "expires_at", json_time(order->expires_at));
	json_object_set_new(obj, "created_at", json_time(order->created_at));
	json_object_set_new(obj, "updated_at", json_time(order->updated_at));
	return obj;
}

json_t *event_to_json(const struct event *event)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "id", json_integer(event->id));
	json_object_set_new(obj, "order_id", event->order_id ? json_integer(event->order_id) : json_null());
	json_object_set_new(obj, "at", json_time(event->at));
	json_object_set_new(obj, "kind", json_text(event->kind));
	json_object_set_new(obj, "detail", json_text(event->detail));
	json_object_set_new(obj, "by", json_string(event->from_book ? "root" : "intake"));
	return obj;
}

json_t *message_to_json(const struct message_record *m)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "id", json_integer(m->id));
	json_object_set_new(obj, "message_id", json_text(m->message_id));
	json_object_set_new(obj, "queue_id", json_text(m->queue_id));
	json_object_set_new(obj, "from", json_text(m->mail_from));
	json_object_set_new(obj, "to", json_text(m->rcpt_to));
	json_object_set_new(obj, "subject", json_text(m->subject));
	json_object_set_new(obj, "verdict", json_text(m->verdict));
	json_object_set_new(obj, "reason", json_text(m->reason));
	json_object_set_new(obj, "order_id", m->order_id ? json_integer(m->order_id) : json_null());
	json_object_set_new(obj, "received_at", json_time(m->received_at));
	return obj;
}

int approval_is_the_orders(const struct approval *a, const struct order *o)
{
	return a->authenticated && o->ca_order && a->ca_order && strcmp(o->ca_order, a->ca_order) == 0
	    && a->order_id == o->id && strncmp(a->action_state ? a->action_state : "", "unconfirmed", 11) != 0;
}

json_t *approval_to_json(const struct approval *a, const struct order *o)
{
	json_t *obj = json_object();
	int     shown = approval_is_the_orders(a, o);

	json_object_set_new(obj, "id", json_integer(a->id));
	json_object_set_new(obj, "order_id", json_integer(a->order_id));
	json_object_set_new(obj, "link", shown ? json_text(a->link) : json_null());
	json_object_set_new(obj, "code", shown ? json_text(a->code) : json_null());
	json_object_set_new(obj, "ca_order", json_text(a->ca_order));
	json_object_set_new(obj, "domain", json_text(a->domain));
	json_object_set_new(obj, "authenticated", json_boolean(a->authenticated));
	json_object_set_new(obj, "action_state", json_text(a->action_state));
	json_object_set_new(obj, "attempts", json_integer(a->attempts));
	json_object_set_new(obj, "last_error", json_text(a->last_error));
	json_object_set_new(obj, "received_at", json_time(a->received_at));
	return obj;
}

json_t *waiting_approval_to_json(const struct approval *a, const struct order *o)
{
	json_t *j = approval_to_json(a, o);

	json_object_set_new(j, "order", json_pack("{s:I, s:s, s:s, s:s?, s:s}", "id", (json_int_t) o->id,
						  "domain", o->domain, "ca", o->ca, "ca_order",
						  o->ca_order, "state", order_state_name(o->state)));
	return j;
}

static int found(int rc, int *flag)
{
	*flag = rc == 0;
	return rc < 0 ? -1 : 0;
}

int order_details_load(struct ledger *ledger, long long id, struct order_details *d)
{
	struct served_targets served;
	int     rc;

	memset(d, 0, sizeof(*d));
	if ((rc = ledger_get_order(ledger, id, &d->order)) != 0)
		return rc;
	if (found(intake_latest_approval(ledger, id, &d->approval), &d->has_approval) < 0
	    || found(intake_latest_certificate(ledger, id, &d->cert), &d->has_cert) < 0
	    || found(book_install_latest(ledger, id, &d->job), &d->has_job) < 0)
		return -1;
	rc = served_targets_load(ledger, (long long) time(NULL), &served);
	d->waits_for_installer = rc == 0 && order_waits_for_installer(&served, &d->order);
	served_targets_free(&served);
	return rc;
}

void order_json_waits(json_t *obj, const struct served_targets *s, const struct order *o)
{
	json_object_set_new(obj, "waits_for_installer", json_boolean(order_waits_for_installer(s, o)));
}

const char *installer_state(const struct installer_record *r, long long now)
{
	return r->stopped_at ? "stopped" : installer_is_live(r, now) ? "live" : "silent";
}

json_t *installer_to_json(const struct installer_record *r, long long now)
{
	json_t *obj = json_object();
	json_t *targets = json_array();
	const char *word = r->targets ? r->targets : "";
	size_t  len;

	for (; *word; word += len + (word[len] == ' ')) {	/* its targets, ' ' between */
		len = strcspn(word, " ");
		if (len)
			json_array_append_new(targets, json_stringn(word, len));
	}
	json_object_set_new(obj, "name", json_text(r->name));
	json_object_set_new(obj, "host", json_text(r->host));
	json_object_set_new(obj, "version", json_text(r->version));
	json_object_set_new(obj, "state", json_string(installer_state(r, now)));
	json_object_set_new(obj, "targets", targets);
	json_object_set_new(obj, "key_dir", json_text(r->key_dir));
	json_object_set_new(obj, "poll_interval", json_integer(r->poll_interval));
	json_object_set_new(obj, "started_at", json_time(r->started_at));
	json_object_set_new(obj, "last_pass", json_time(r->last_pass));
	json_object_set_new(obj, "stopped_at", json_time(r->stopped_at));
	return obj;
}

void order_details_free(struct order_details *d)
{
	order_clear(&d->order);
	approval_clear(&d->approval);
	cert_record_clear(&d->cert);
	install_job_clear(&d->job);
}

static int add_event_json(void *ctx, const struct event *e)
{
	json_array_append_new(ctx, event_to_json(e));
	return 0;
}

static json_t *cert_to_json(const struct cert_record *c)
{
	json_t *part = json_object();
	json_t *names = json_array();

	for (size_t i = 0; i < c->names.count; i++)
		json_array_append_new(names, json_text(c->names.items[i]));
	json_object_set_new(part, "sha256", json_text(c->sha256));
	json_object_set_new(part, "subject", json_text(c->subject));
	json_object_set_new(part, "issuer", json_text(c->issuer));
	json_object_set_new(part, "names", names);
	json_object_set_new(part, "not_before", json_time(c->not_before));
	json_object_set_new(part, "not_after", json_time(c->not_after));
	return part;
}

static json_t *job_to_json(const struct install_job *job)
{
	json_t *part = json_object();

	json_object_set_new(part, "id", json_integer(job->id));
	json_object_set_new(part, "state", json_string(install_state_name(job->state)));
	json_object_set_new(part, "sha256", json_text(job->cert_sha256));
	json_object_set_new(part, "attempts", json_integer(job->attempts));
	json_object_set_new(part, "next_try", json_time(job->next_try));
	json_object_set_new(part, "last_error", json_text(job->last_error));
	return part;
}

json_t *order_details_json(struct ledger *ledger, const struct order_details *d)
{
	json_t *obj = order_to_json(&d->order);
	json_t *events = json_array();

	json_object_set_new(obj, "approval", d->has_approval ? approval_to_json(&d->approval, &d->order)
			    : json_null());
	json_object_set_new(obj, "certificate", d->has_cert ? cert_to_json(&d->cert) : json_null());
	json_object_set_new(obj, "install_job", d->has_job ? job_to_json(&d->job) : json_null());
	json_object_set_new(obj, "waits_for_installer", json_boolean(d->waits_for_installer));
	if (ledger_each_event(ledger, d->order.id, ORDER_EVENTS_SHOWN, add_event_json, events) < 0) {
		json_decref(events);
		json_decref(obj);
		return NULL;
	}
	json_object_set_new(obj, "events", events);
	return obj;
}

int waiting_approval_append(void *array, const struct approval *a, const struct order *o)
{
	json_array_append_new(array, waiting_approval_to_json(a, o));
	return 0;
}

/* The installers report ---------------------------------------------------- */

struct report {
	long long now;
	json_t *installers;
	json_t *unserved;
	json_t *shared;
	json_t *host_of;		/* target -> host of a live installer */
	struct served_targets served;
};

/* note_hosts - each target of a live installer, and whether another host's
 * live installer serves it too */

static void note_hosts(struct report *rp, const struct installer_record *r)
{
	const char *word = r->targets ? r->targets : "";
	const char *host;
	char   *target;
	size_t  len;
	size_t  i;
	json_t *v;
	int     seen;

	for (; *word; word += len + (word[len] == ' ')) {
		if ((len = strcspn(word, " ")) == 0)
			continue;
		target = xstrndup(word, len);
		host = json_string_value(json_object_get(rp->host_of, target));
		if (host == NULL)
			json_object_set_new(rp->host_of, target, json_string(r->host));
		else if (strcmp(host, r->host) != 0) {
			seen = 0;
			json_array_foreach(rp->shared, i, v)
				seen |= strcmp(json_string_value(v), target) == 0;
			if (!seen)
				json_array_append_new(rp->shared, json_string(target));
		}
		free(target);
	}
}

static int add_installer(void *ctx, const struct installer_record *r)
{
	struct report *rp = ctx;

	if (installer_is_live(r, rp->now))
		note_hosts(rp, r);
	json_array_append_new(rp->installers, installer_to_json(r, rp->now));
	return 0;
}

static int add_unserved(void *ctx, const char *target, long long orders, long long first_id)
{
	struct report *rp = ctx;

	if (!strlist_contains_nocase(&rp->served.targets, target))
		json_array_append_new(rp->unserved, json_pack("{s:o,s:I,s:I}", "target", json_text(target),
							       "orders", (json_int_t) orders,
							       "first_order", (json_int_t) first_id));
	return 0;
}

json_t *installers_report_json(struct ledger *ledger, long long now)
{
	struct report rp;
	json_t *obj = NULL;

	memset(&rp, 0, sizeof(rp));
	rp.now = now;
	rp.installers = json_array();
	rp.unserved = json_array();
	rp.shared = json_array();
	rp.host_of = json_object();
	if (book_each_installer(ledger, add_installer, &rp) == 0
	    && served_targets_load(ledger, now, &rp.served) == 0
	    && book_each_target_in_use(ledger, add_unserved, &rp) == 0)
		obj = json_pack("{s:O,s:O,s:O}", "installers", rp.installers, "unserved_targets", rp.unserved,
				"shared_targets", rp.shared);
	served_targets_free(&rp.served);
	json_decref(rp.installers);
	json_decref(rp.unserved);
	json_decref(rp.shared);
	json_decref(rp.host_of);
	return obj;
}
