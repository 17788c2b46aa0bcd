/*
 * NAME
 *	parser - one message in, one verdict out
 * SYNOPSIS
 *	#include "parser.h"
 *
 *	struct parser *parser_new(const struct config *cfg, struct strbuf *err)
 *	void parser_parse(const struct parser *parser, const char *data,
 *			  size_t len, struct verdict *verdict)
 *	void parser_parse_fd(const struct parser *parser, int fd, size_t len,
 *			     struct verdict *verdict)
 *	void parser_profile_names(const struct parser *parser,
 *				  struct strlist *names)
 *	const struct ca_profile *parser_find_profile(const struct parser *parser,
 *						     const char *name)
 *	void parser_set_authres(struct parser *parser, const char *authserv_id,
 *				int topmost_only)
 *	void parser_free(struct parser *parser)
 * DESCRIPTION
 *	parser_new() loads and compiles the CA profiles (built in, then
 *	[ca] profiles) and keeps what parsing needs of cfg: authserv_id,
 *	require_dkim and max_message_size (the other limits are those of
 *	parse_limits.h).  On error it returns NULL with "FILE:LINE: what" in
 *	err.  parser_set_authres() changes whose Authentication-Results
 *	count, and whether only the topmost field does (mailcert fetch: the
 *	mailbox's provider's own field, trust.c).
 *
 *	parser_parse() decides about one message (see classify.c, approval.c
 *	and trust.c for how); the verdict must have been through
 *	verdict_init().  It reads nothing but data and writes nothing but
 *	verdict (and the parser's cache of decoded CA certificates,
 *	cert_cache.c, which has its own lock), so one parser serves several
 *	threads at once.
 *
 *	The verdict's reasons say, in order: which profile and why, what kind
 *	and why, what was found about DKIM and the links, then what the
 *	reading and the certificate search skipped.
 *
 *	parser_find_profile() gives the approval worker a profile by name
 *	(the verdict's ca, an order's CA), or NULL.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "mail.h"
#include "mymalloc.h"
#include "parser.h"
#include "profiles.h"

struct parser {
	struct profile_set profiles;
	struct parse_limits limits;
	char   *authserv_id;		/* NULL: no Authentication-Results counts */
	int     authres_topmost;	/* only the topmost field (fetched mail) */
	int     require_dkim;
	struct cert_cache *cert_cache;	/* the CAs' certificates, decoded once */
};

struct parser *parser_new(const struct config *cfg, struct strbuf *err)
{
	struct parser *parser = xcalloc(1, sizeof(*parser));

	if (profile_set_load(&parser->profiles, cfg->profiles_dir, err) < 0) {
		free(parser);
		return NULL;
	}
	parse_limits_default(&parser->limits);
	if (cfg->max_message_size > 0)
		parser->limits.max_message_size = cfg->max_message_size;
	parser->authserv_id = cfg->authserv_id ? xstrdup(cfg->authserv_id) : NULL;
	parser->require_dkim = cfg->require_dkim;
	if ((parser->cert_cache = cert_cache_new(CERT_CACHE_SLOTS)) == NULL) {
		sb_appends(err, "cannot set up the certificate cache");
		parser_free(parser);
		return NULL;
	}
	return parser;
}

void parser_set_authres(struct parser *parser, const char *authserv_id, int topmost_only)
{
	free(parser->authserv_id);
	parser->authserv_id = authserv_id ? xstrdup(authserv_id) : NULL;
	parser->authres_topmost = topmost_only;
}

void parser_free(struct parser *parser)
{
	if (parser == NULL)
		return;
	profile_set_free(&parser->profiles);
	cert_cache_free(parser->cert_cache);
	free(parser->authserv_id);
	free(parser);
}

void parser_profile_names(const struct parser *parser, struct strlist *names)
{
	size_t  i;

	for (i = 0; i < parser->profiles.count; i++)
		strlist_add(names, parser->profiles.items[i]->name);
}

const struct ca_profile *parser_find_profile(const struct parser *parser, const char *name)
{
	return profile_set_find(&parser->profiles, name);
}

static char *copy_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* decide - profile, kind, extraction and trust for a message that was read */

static void decide(const struct parser *parser, const struct mail *mail, struct verdict *v)
{
	struct strlist candidates = STRLIST_INIT;
	const struct ca_profile *p;
	const char *link = NULL;
	int     dkim_ok;
	int     links_ok = 1;
	int     ambiguous = 0;

	p = classify_profile(&parser->profiles, mail, &v->reasons);
	if (p)
		approval_find_links(p, mail, &candidates, &v->reasons);
	v->kind = classify_kind(p, mail, &v->certs, candidates.count > 0, &v->reasons);
	if (p == NULL) {
		if (v->kind == VERDICT_CERTIFICATE)
			strlist_add(&v->reasons, "sender unknown: the certificates must match an order's key");
		strlist_free(&candidates);
		return;
	}
	v->ca = xstrdup(p->name);
	dkim_ok = trust_dkim(parser->authserv_id, parser->require_dkim, parser->authres_topmost, p, mail,
			     &v->reasons);
	if (v->kind == VERDICT_APPROVAL)
		links_ok = trust_links(p, &candidates, &link, &ambiguous, &v->reasons);
	approval_extract(p, mail, link, v);
	v->authenticated = dkim_ok && links_ok;
	v->ambiguous |= ambiguous;
	strlist_free(&candidates);
}

static void add_notes(struct strlist *reasons, const struct strlist *notes, const char *prefix)
{
	size_t  i;

	for (i = 0; i < notes->count; i++)
		strlist_addf(reasons, "%s%s", prefix, notes->items[i]);
}

static void parse_any(const struct parser *parser, const char *data, int fd, size_t len,
		      struct verdict *v)
{
	struct mail mail;
	int     rc;

	v->kind = VERDICT_NONE;
	v->authenticated = 0;
	if (len > parser->limits.max_message_size) {
		v->limit_hit = "max_message_size";
		strlist_add(&v->reasons, "limit max_message_size reached: the message was not parsed");
		return;
	}
	mail_init(&mail);
	v->certs.cache = parser->cert_cache;
	if (data)
		rc = mail_read(data, len, &parser->limits, &mail, &v->certs);
	else
		rc = mail_read_fd(fd, len, &parser->limits, &mail, &v->certs);
	if (rc == 0) {
		v->message_id = copy_or_null(mail.message_id);
		v->from = copy_or_null(mail.from);
		v->subject = copy_or_null(mail.subject);
		certbundle_order(&v->certs);
		decide(parser, &mail, v);
	} else {
		strlist_add(&v->reasons, "the message could not be read");
	}
	add_notes(&v->reasons, &mail.notes, "");
	add_notes(&v->reasons, &v->certs.notes, "certificates: ");
	v->limit_hit = mail.limit_hit ? mail.limit_hit : v->certs.limit_hit;
	mail_free(&mail);
}

void parser_explain(const struct parser *parser, const char *data, size_t len, struct strbuf *out)
{
	struct strlist reasons = STRLIST_INIT;
	const struct ca_profile *chosen;
	struct verdict v;
	struct mail mail;
	size_t  i;

	verdict_init(&v);
	mail_init(&mail);
	v.certs.cache = parser->cert_cache;
	if (len > parser->limits.max_message_size || mail_read(data, len, &parser->limits, &mail, &v.certs) < 0) {
		sb_appends(out, "the message is not read: nothing to explain\n");
	} else {
		chosen = classify_profile(&parser->profiles, &mail, &reasons);
		for (i = 0; i < parser->profiles.count; i++)
			explain_profile(out, parser->profiles.items[i], &mail, parser->authserv_id,
					parser->require_dkim, parser->authres_topmost,
					parser->profiles.items[i] == chosen);
		if (chosen == NULL)
			sb_appends(out, "no profile: the sender is none of any profile's, and no link has "
				   "the form of any profile's approval link\n");
	}
	strlist_free(&reasons);
	mail_free(&mail);
	verdict_free(&v);
}

void parser_parse(const struct parser *parser, const char *data, size_t len, struct verdict *v)
{
	parse_any(parser, data ? data : "", -1, len, v);
}

void parser_parse_fd(const struct parser *parser, int fd, size_t len, struct verdict *v)
{
	parse_any(parser, NULL, fd, len, v);
}
