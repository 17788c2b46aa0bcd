/*
 * NAME
 *	verdict - what the parser decided about one message, and its JSON
 * SYNOPSIS
 *	#include "parser.h"
 *
 *	void verdict_init(struct verdict *verdict)
 *	void verdict_free(struct verdict *verdict)
 *	const char *verdict_kind_name(enum verdict_kind kind)
 *	json_t *verdict_to_json(const struct verdict *verdict)
 * DESCRIPTION
 *	verdict_to_json() builds the object of "mailcert parse --json":
 *	kind, ca, authenticated, ambiguous, reasons, limit_hit, message_id, from,
 *	subject, ca_order and domain (what the mail names, of any kind: a
 *	delivery's subject names its order too), approval {link, code,
 *	ca_order, domain} (null unless kind is approval) and certificates [{sha256, subject, issuer, names,
 *	not_before, not_after, role}], times in ISO 8601 UTC.  Strings that
 *	came from the mail are made valid UTF-8 first (a bad byte becomes
 *	'?'), since jansson refuses anything else.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mymalloc.h"
#include "json_text.h"
#include "parser.h"

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	certbundle_init(&v->certs);
}

void verdict_free(struct verdict *v)
{
	free(v->ca);
	strlist_free(&v->reasons);
	free(v->message_id);
	free(v->from);
	free(v->subject);
	free(v->link);
	free(v->code);
	free(v->ca_order);
	free(v->domain);
	certbundle_free(&v->certs);
	memset(v, 0, sizeof(*v));
}

const char *verdict_kind_name(enum verdict_kind kind)
{
	switch (kind) {
	case VERDICT_APPROVAL:
		return "approval";
	case VERDICT_CERTIFICATE:
		return "certificate";
	case VERDICT_DECLINE:
		return "decline";
	case VERDICT_NOTICE:
		return "notice";
	default:
		return "none";
	}
}

static json_t *json_strings(const struct strlist *list)
{
	json_t *array = json_array();
	size_t  i;

	for (i = 0; i < list->count; i++)
		json_array_append_new(array, json_text(list->items[i]));
	return array;
}

static json_t *json_time(time_t t)
{
	struct tm tm;
	char    buf[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static json_t *json_certificate(const struct cert_found *c)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "sha256", json_text(c->sha256));
	json_object_set_new(obj, "subject", json_text(c->subject));
	json_object_set_new(obj, "issuer", json_text(c->issuer));
	json_object_set_new(obj, "names", json_strings(&c->names));
	json_object_set_new(obj, "not_before", json_time(c->not_before));
	json_object_set_new(obj, "not_after", json_time(c->not_after));
	json_object_set_new(obj, "role", json_string(cert_role_name(c->role)));
	return obj;
}

static json_t *json_approval(const struct verdict *v)
{
	json_t *obj;

	if (v->kind != VERDICT_APPROVAL)
		return json_null();
	obj = json_object();
	json_object_set_new(obj, "link", json_text(v->link));
	json_object_set_new(obj, "code", json_text(v->code));
	json_object_set_new(obj, "ca_order", json_text(v->ca_order));
	json_object_set_new(obj, "domain", json_text(v->domain));
	return obj;
}

json_t *verdict_to_json(const struct verdict *v)
{
	json_t *obj = json_object();
	json_t *certs = json_array();
	size_t  i;

	json_object_set_new(obj, "kind", json_string(verdict_kind_name(v->kind)));
	json_object_set_new(obj, "ca", json_text(v->ca));
	json_object_set_new(obj, "authenticated", json_boolean(v->authenticated));
	json_object_set_new(obj, "ambiguous", json_boolean(v->ambiguous));
	json_object_set_new(obj, "reasons", json_strings(&v->reasons));
	json_object_set_new(obj, "limit_hit", json_text(v->limit_hit));
	json_object_set_new(obj, "message_id", json_text(v->message_id));
	json_object_set_new(obj, "from", json_text(v->from));
	json_object_set_new(obj, "subject", json_text(v->subject));
	/* what the mail names, whatever its kind: a delivery names its order too */
	json_object_set_new(obj, "ca_order", json_text(v->ca_order));
	json_object_set_new(obj, "domain", json_text(v->domain));
	json_object_set_new(obj, "approval", json_approval(v));
	for (i = 0; i < v->certs.count; i++)
		json_array_append_new(certs, json_certificate(&v->certs.certs[i]));
	json_object_set_new(obj, "certificates", certs);
	return obj;
}
