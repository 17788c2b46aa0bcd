/*
 * NAME
 *	json_out - ledger records as JSON for --json output
 * SYNOPSIS
 *	json_t *order_to_json(const struct order *order)
 *	json_t *event_to_json(const struct event *event)
 *	json_t *json_string_or_null(const char *text)
 *	json_t *json_time(long long when)
 * DESCRIPTION
 *	The field names here are the documented interface of `mailcert
 *	orders --json`, `show --json` and `ledger --json` (mailcert(1)).
 *	Times are ISO 8601 in UTC, or null when unset.
 */
#include "cli.h"

json_t *json_string_or_null(const char *text)
{
	return text ? json_string(text) : json_null();
}

json_t *json_time(long long when)
{
	char buf[32];

	if (when == 0)
		return json_null();
	return json_string(cli_time(when, buf, sizeof(buf)));
}

json_t *order_to_json(const struct order *order)
{
	json_t *obj = json_object();
	json_t *names = json_array();
	size_t i;

	for (i = 0; i < order->alt_names.count; i++)
		json_array_append_new(names, json_string(order->alt_names.items[i]));
	json_object_set_new(obj, "id", json_integer(order->id));
	json_object_set_new(obj, "domain", json_string(order->domain));
	json_object_set_new(obj, "alt_names", names);
	json_object_set_new(obj, "ca", json_string(order->ca));
	json_object_set_new(obj, "ca_order", json_string_or_null(order->ca_order));
	json_object_set_new(obj, "approver", json_string_or_null(order->approver));
	json_object_set_new(obj, "state", json_string(order_state_name(order->state)));
	json_object_set_new(obj, "target", json_string(order->target));
	json_object_set_new(obj, "contact", json_string_or_null(order->contact));
	json_object_set_new(obj, "key_path", json_string(order->key_path));
	json_object_set_new(obj, "key_sha256", json_string(order->key_sha256));
	json_object_set_new(obj, "approve_mode", json_string_or_null(order->approve_mode));
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
	json_object_set_new(obj, "kind", json_string(event->kind));
	json_object_set_new(obj, "detail", json_string(event->detail));
	return obj;
}
