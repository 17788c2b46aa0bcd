/*
 * parser.h - one message in, one verdict out.
 *
 * parser_new() compiles the CA profiles (built in, plus [ca] profiles = DIR)
 * once; parser_parse() then does no I/O and changes nothing but the verdict
 * and the parser's locked cache of decoded CA certificates: it is safe to
 * call from several threads at once on the same parser.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PARSER_H
#define MAILCERT_PARSER_H

#include <stddef.h>

#include <jansson.h>

#include "certbundle.h"
#include "config.h"
#include "parse_limits.h"
#include "strbuf.h"
#include "strlist.h"

enum verdict_kind {
	VERDICT_NONE = 0,		/* not CA mail we act on */
	VERDICT_APPROVAL,		/* a domain-control-validation request */
	VERDICT_CERTIFICATE,		/* a certificate delivery */
	VERDICT_DECLINE,		/* a decline or cancellation notice */
	VERDICT_NOTICE,			/* other CA mail: recorded, not acted on */
};

struct verdict {
	enum verdict_kind kind;
	char   *ca;			/* profile name, NULL when no profile matched */
	int     authenticated;		/* see parser.c: DKIM by our authserv-id
					 * for a profile domain, and links safe */
	int     ambiguous;		/* two approval links, order numbers or
					 * codes: recorded, never acted on */
	struct strlist reasons;		/* why, in words, for the ledger and -v */
	const char *limit_hit;		/* the limit that stopped parsing, or NULL */

	/* From the headers. */
	char   *message_id;		/* without <> */
	char   *from;			/* the From: address */
	char   *subject;

	/* Approval requests. */
	char   *link;			/* the approval link as a person would click it */
	char   *code;			/* the validation code, if any */
	char   *ca_order;		/* the CA's order number, if any */
	int     link_names_order;	/* the approval link names ca_order: only
					 * then is the approval an order's own */
	char   *domain;			/* the domain to approve */

	/* Certificate deliveries (also filled for other kinds when present). */
	struct certbundle certs;
};

struct parser;

struct parser *parser_new(const struct config *cfg, struct strbuf *err);
void parser_free(struct parser *parser);
/* Whose Authentication-Results count (NULL: none), and whether only the
 * topmost field does (mail fetched from another provider's mailbox). */
void parser_set_authres(struct parser *parser, const char *authserv_id, int topmost_only);

/* Parse one whole message (headers and body as they arrived). Always fills
 * verdict (kind NONE with a reason when the mail cannot be read). */
/* mailcert parse --explain: each profile's look at the mail, step by step
 * (explain.c), appended to out; the verdict is parser_parse()'s. */
void parser_explain(const struct parser *parser, const char *data, size_t len, struct strbuf *out);
void parser_parse(const struct parser *parser, const char *data, size_t len,
		  struct verdict *verdict);
/* The same for a message in a file of len bytes (read from its start). */
void parser_parse_fd(const struct parser *parser, int fd, size_t len, struct verdict *verdict);

void verdict_init(struct verdict *verdict);
void verdict_free(struct verdict *verdict);

/* "approval", "certificate", "decline", "notice", "none" */
const char *verdict_kind_name(enum verdict_kind kind);

/* The JSON of `mailcert parse --json` (see mailcert(1)). */
json_t *verdict_to_json(const struct verdict *verdict);

/* Names of the loaded profiles, for check-config and the milter's log. */
void parser_profile_names(const struct parser *parser, struct strlist *names);

#endif
