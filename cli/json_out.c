/*
 * NAME
 *	json_out - the JSON of ledger records, for --json
 * SYNOPSIS
 *	json_t *order_to_json(const struct order *order)
 *	json_t *event_to_json(const struct event *event)
 *	json_t *message_to_json(const struct message_record *msg)
 *	json_t *approval_to_json(const struct approval *a)
 *	json_t *json_time(long long when)
 * DESCRIPTION
 *	Every string goes through json_text(): what came from a mail is made
 *	valid UTF-8 and JSON escapes its control characters.  Times are ISO
 *	8601 UTC strings, null for none.
 * LICENSE
 *	See the README of mailcert.
 */
#include "cli.h"
#include "json_text.h"

json_t *json_time(long long when)
{
	char    buf[32];

	if (when == 0)
		return json_null();
	return json_string(cli_time(when, buf, sizeof(buf)));
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

json_t *approval_to_json(const struct approval *a)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "id", json_integer(a->id));
	json_object_set_new(obj, "order_id", json_integer(a->order_id));
	json_object_set_new(obj, "link", json_text(a->link));
	json_object_set_new(obj, "code", json_text(a->code));
	json_object_set_new(obj, "ca_order", json_text(a->ca_order));
	json_object_set_new(obj, "domain", json_text(a->domain));
	json_object_set_new(obj, "authenticated", json_boolean(a->authenticated));
	json_object_set_new(obj, "action_state", json_text(a->action_state));
	json_object_set_new(obj, "attempts", json_integer(a->attempts));
	json_object_set_new(obj, "last_error", json_text(a->last_error));
	json_object_set_new(obj, "received_at", json_time(a->received_at));
	return obj;
}
