/*
 * NAME
 *	trust - is a CA mail believed?
 * SYNOPSIS
 *	#include "classify.h"
 *
 *	int trust_dkim(const char *authserv_id, int require_dkim, int topmost_only,
 *		       const struct ca_profile *profile,
 *		       const struct mail *mail, struct strlist *reasons)
 *	int trust_links(const struct ca_profile *profile,
 *			const struct strlist *candidates, const char **chosen,
 *			int *ambiguous, struct strlist *reasons)
 * DESCRIPTION
 *	trust_dkim() is 1 when require_dkim is off, or when the top-level
 *	header holds Authentication-Results written by authserv_id that say
 *	dkim=pass for a domain within one of the profile's dkim_domains, and
 *	none of ours says anything else for such a domain.
 *
 *	Ours means exactly the form the documented Postfix rule removes from
 *	incoming mail (contrib/postfix/README.md): the field named exactly
 *	"Authentication-Results:" (mail_headers.c keeps no other spelling)
 *	whose body starts, after blanks, with authserv_id itself, followed by
 *	a blank, a ';' or the end.  A field that names our id any other way
 *	(after a comment, quoted, in a comment) is a forgery that slipped
 *	past the rule: the mail is not believed at all.  Several fields of
 *	ours that disagree (a pass and a fail for the CA's domain) are not
 *	believed either.  Fields of other authserv-ids and fields that do
 *	not parse are ignored, each with a reason.
 *
 *	With topmost_only (mail fetched from another provider's mailbox,
 *	which never passed our Postfix and its rule) only the topmost field
 *	counts: the one the provider's MTA added when it took the mail,
 *	under the provider's authserv-id; anything below it a stranger may
 *	have written.
 *
 *	trust_links() is 1 when there is exactly one approval link (in
 *	normal form) and it is https to a host of the profile's link_hosts
 *	(url_check_https_host()).  Two different approval links make the
 *	mail ambiguous (*ambiguous): recorded, never acted on.  *chosen is
 *	the link.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE			/* strcasestr() */

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "classify.h"
#include "links.h"
#include "names.h"
#include "printable.h"
#include "url.h"

#define TRUST_MAX_QUOTED	80	/* bytes of a stranger's value in a reason */

static void quoted(const char *in, char *out, size_t size)
{
	printable_buf(out, size < TRUST_MAX_QUOTED ? size : TRUST_MAX_QUOTED, in, PRINTABLE_ASCII);
}

static int dkim_domain_ok(const struct ca_profile *p, const char *domain)
{
	size_t  i;

	for (i = 0; *domain && i < p->dkim_domains.count; i++)
		if (domain_is_within(domain, p->dkim_domains.items[i]))
			return 1;
	return 0;
}

/* plain_id_first - the field body starts with id as the documented rule
 * matches it: blanks, id (with OpenDKIM's AuthservIDWithJobID, id/JOBID),
 * then a blank, ';' or the end */

static int plain_id_first(const char *field, const char *id)
{
	const char *p = field + strspn(field, " \t\r\n");
	size_t  len = strlen(id);
	size_t  job;

	if (strncasecmp(p, id, len) != 0)
		return 0;
	p += len;
	if (*p == '/') {
		job = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
		if (job == 0)
			return 0;
		p += 1 + job;
	}
	return *p == 0 || strchr(" \t\r\n;", *p) != NULL;
}

/* mentions_id - id anywhere in the field, as a whole word */

static int mentions_id(const char *field, const char *id)
{
	size_t  len = strlen(id);
	const char *p;

	for (p = field; (p = strcasestr(p, id)) != NULL; p++) {
		int     before = p == field || !(isalnum((unsigned char) p[-1]) || p[-1] == '.' || p[-1] == '-');
		int     after = !(isalnum((unsigned char) p[len]) || p[len] == '.' || p[len] == '-');

		if (before && after)
			return 1;
	}
	return 0;
}

/* The dkim results of our fields for the profile's domains: a field says
 * pass when one of its results is a pass for such a domain (a CA that signs
 * twice, one key not yet in DNS, gets a fail and a pass in one field of
 * our verifier: its mail is signed); other when it has only other
 * results for such a domain.  Fields that disagree are not believed. */
struct dkim_tally {
	int     pass;			/* fields that say pass */
	int     other;			/* fields that say something else */
};

static void tally_field(const struct ca_profile *p, const struct authres *ar,
			struct dkim_tally *tally, struct strlist *reasons)
{
	const struct authres_result *res;
	char    domain[TRUST_MAX_QUOTED + 1];
	char    result[TRUST_MAX_QUOTED + 1];
	int     pass = 0;
	int     other = 0;
	size_t  i;

	for (i = 0; i < ar->count; i++) {
		res = &ar->results[i];
		if (strcmp(res->method, "dkim") != 0)
			continue;
		quoted(authres_dkim_domain(res), domain, sizeof(domain));
		quoted(res->result, result, sizeof(result));
		if (!dkim_domain_ok(p, authres_dkim_domain(res))) {
			strlist_addf(reasons, "dkim=%s for %s does not count (not a domain of %s)",
				     result, *domain ? domain : "no domain", p->name);
		} else if (strcmp(res->result, "pass") == 0) {
			strlist_addf(reasons, "dkim=pass for %s by %s", domain, ar->authserv_id);
			pass++;
		} else {
			strlist_addf(reasons, "dkim=%s for %s by %s", result, domain, ar->authserv_id);
			other++;
		}
	}
	if (pass && other)
		strlist_add(reasons, "one field of our verifier with a pass and another result for the "
			    "CA: the signature that passes counts");
	if (pass)
		tally->pass++;
	else if (other)
		tally->other++;
}

/* trust_topmost - fetched mail: it never passed our Postfix, so only the
 * topmost Authentication-Results field, the one the mailbox's provider
 * added when it took the mail, may be believed; whatever lies below it a
 * stranger may have written */

static int trust_topmost(const char *authserv_id, const struct ca_profile *p,
			 const struct mail *mail, struct strlist *reasons)
{
	struct dkim_tally tally = {0, 0};
	struct authres ar;

	if (mail->authres.count == 0 || !plain_id_first(mail->authres.items[0], authserv_id)
	    || authres_parse(mail->authres.items[0], strlen(mail->authres.items[0]), &ar) < 0) {
		strlist_addf(reasons, "the topmost Authentication-Results field is not %s's: not believed "
			     "(fetched mail: only the provider's own field counts)", authserv_id);
		return 0;
	}
	tally_field(p, &ar, &tally, reasons);
	if (tally.pass > 0 && tally.other > 0) {
		strlist_addf(reasons, "the results of %s disagree: not believed", authserv_id);
		return 0;
	}
	if (tally.pass == 0)
		strlist_addf(reasons, "no dkim=pass by %s for a domain of %s", authserv_id, p->name);
	return tally.pass > 0;
}

int trust_dkim(const char *authserv_id, int require_dkim, int topmost_only,
	       const struct ca_profile *p, const struct mail *mail, struct strlist *reasons)
{
	struct dkim_tally tally = {0, 0};
	struct authres ar;
	char    id[TRUST_MAX_QUOTED + 1];
	const char *field;
	int     forged = 0;
	size_t  i;

	if (!require_dkim) {
		strlist_add(reasons, "require_dkim = no: DKIM is not checked");
		return 1;
	}
	if (authserv_id == NULL) {
		strlist_add(reasons, "no authserv_id is configured: no Authentication-Results can be believed");
		return 0;
	}
	if (topmost_only)
		return trust_topmost(authserv_id, p, mail, reasons);
	for (i = 0; i < mail->authres_odd.count; i++) {
		if (mentions_id(mail->authres_odd.items[i], authserv_id)) {
			strlist_addf(reasons, "an Authentication-Results field spelt another way names %s: "
				     "forged", authserv_id);
			forged = 1;
		}
	}
	for (i = 0; i < mail->authres.count; i++) {
		field = mail->authres.items[i];
		if (!plain_id_first(field, authserv_id)) {
			if (mentions_id(field, authserv_id)) {
				strlist_addf(reasons, "Authentication-Results field %zu names %s, but not as its "
					     "authserv-id: forged (our verifier writes only that form, and the "
					     "site's header_checks rule removes every field naming it)", i + 1,
					     authserv_id);
				forged = 1;
			} else if (authres_parse(field, strlen(field), &ar) == 0) {
				quoted(ar.authserv_id, id, sizeof(id));
				strlist_addf(reasons, "Authentication-Results by \"%s\" ignored: not our "
					     "authserv-id %s", id, authserv_id);
			} else {
				strlist_addf(reasons, "Authentication-Results field %zu does not parse: ignored", i + 1);
			}
			continue;
		}
		if (authres_parse(field, strlen(field), &ar) < 0) {
			strlist_addf(reasons, "Authentication-Results field %zu of %s does not parse: "
				     "not believed", i + 1, authserv_id);
			forged = 1;
			continue;
		}
		tally_field(p, &ar, &tally, reasons);
	}
	if (forged)
		return 0;
	if (tally.pass > 0 && tally.other > 0) {
		strlist_addf(reasons, "results of %s disagree (dkim=pass and not) for a domain of %s: "
			     "not believed", authserv_id, p->name);
		return 0;
	}
	if (tally.pass == 0)
		strlist_addf(reasons, "no dkim=pass by %s for a domain of %s", authserv_id, p->name);
	return tally.pass > 0;
}

/* query_says_two_things - approval_query_check(), its reasons marked
 * ambiguous */

static int query_says_two_things(const struct ca_profile *p, const char *link,
				 struct strlist *reasons)
{
	struct strlist why = STRLIST_INIT;
	size_t  i;
	int     bad = approval_query_check(p, link, &why) < 0;

	for (i = 0; i < why.count; i++)
		strlist_addf(reasons, "ambiguous: %s", why.items[i]);
	strlist_free(&why);
	return bad;
}

int trust_links(const struct ca_profile *p, const struct strlist *candidates, const char **chosen,
		int *ambiguous, struct strlist *reasons)
{
	struct strbuf why = STRBUF_INIT;
	struct url url;
	char    shown[LINK_DESCRIBE_LENGTH + 1];
	int     ok = 1;
	size_t  i;

	*chosen = NULL;
	*ambiguous = 0;
	if (candidates->count == 0) {
		strlist_add(reasons, "no approval link found");
		return 0;
	}
	if (candidates->count > 1) {
		strlist_addf(reasons, "ambiguous: %zu different approval links", candidates->count);
		*ambiguous = 1;
	}
	for (i = 0; i < candidates->count; i++) {
		link_describe(candidates->items[i], shown, sizeof(shown));
		sb_reset(&why);
		if (url_parse(candidates->items[i], &url, &why) == 0) {
			url_check_https_host(&url, &p->link_hosts, &why);
			url_clear(&url);
		}
		if (why.len == 0) {
			if (*chosen == NULL)
				*chosen = candidates->items[i];
			strlist_addf(reasons, "approval link is https to a host of %s", p->name);
			if (query_says_two_things(p, candidates->items[i], reasons))
				*ambiguous = 1;
		} else {
			strlist_addf(reasons, "approval link %s %s", shown, sb_str(&why));
			ok = 0;
		}
	}
	sb_free(&why);
	if (*chosen == NULL)
		*chosen = candidates->items[0];
	return ok;
}
