/*
 * NAME
 *	trust - is a CA mail believed?
 * SYNOPSIS
 *	#include "classify.h"
 *
 *	int trust_dkim(const char *authserv_id, int require_dkim,
 *		       const struct ca_profile *profile,
 *		       const struct mail *mail, struct strlist *reasons)
 *	int trust_links(const struct ca_profile *profile,
 *			const struct strlist *candidates, const char **chosen,
 *			struct strlist *reasons)
 * DESCRIPTION
 *	trust_dkim() is 1 when require_dkim is off, or when an
 *	Authentication-Results field of the top-level header, written by
 *	authserv_id (compared without regard to case), says dkim=pass for a
 *	domain within one of the profile's dkim_domains.  Fields of other
 *	authserv-ids (another host's, or forged) and fields that do not parse
 *	are ignored, each with a reason; so are DKIM results for other
 *	domains.  Sites must remove Authentication-Results fields with their
 *	own authserv-id from incoming mail (see contrib/).
 *
 *	trust_links() is 1 when there is at least one approval link and
 *	every one of them passes link_check() against the profile's
 *	link_hosts.  *chosen is the first that passed, else the first.
 * LICENSE
 *	See the README of mailcert.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "classify.h"
#include "links.h"
#include "names.h"

#define TRUST_MAX_QUOTED	80	/* bytes of a stranger's value in a reason */

/* printable - a stranger's value, safe and short, for a reason */

static void printable(const char *in, char *out, size_t size)
{
	size_t  i;

	for (i = 0; in[i] && i + 1 < size && i < TRUST_MAX_QUOTED; i++)
		out[i] = isprint((unsigned char) in[i]) ? in[i] : '?';
	out[i] = 0;
}

static int dkim_domain_ok(const struct ca_profile *p, const char *domain)
{
	size_t  i;

	for (i = 0; *domain && i < p->dkim_domains.count; i++)
		if (domain_is_within(domain, p->dkim_domains.items[i]))
			return 1;
	return 0;
}

/* dkim_results - the dkim results of one of our fields; 1 if one counts */

static int dkim_results(const struct ca_profile *p, const struct authres *ar,
			struct strlist *reasons)
{
	const struct authres_result *res;
	char    domain[TRUST_MAX_QUOTED + 1];
	char    result[TRUST_MAX_QUOTED + 1];
	int     ok = 0;
	size_t  i;

	for (i = 0; i < ar->count; i++) {
		res = &ar->results[i];
		if (strcmp(res->method, "dkim") != 0)
			continue;
		printable(authres_dkim_domain(res), domain, sizeof(domain));
		printable(res->result, result, sizeof(result));
		if (strcmp(res->result, "pass") == 0 && dkim_domain_ok(p, authres_dkim_domain(res))) {
			strlist_addf(reasons, "dkim=pass for %s by %s", domain, ar->authserv_id);
			ok = 1;
		} else {
			strlist_addf(reasons, "dkim=%s for %s does not count (not a pass for a domain of %s)",
				     result, *domain ? domain : "no domain", p->name);
		}
	}
	return ok;
}

int trust_dkim(const char *authserv_id, int require_dkim, const struct ca_profile *p,
	       const struct mail *mail, struct strlist *reasons)
{
	struct authres ar;
	char    id[TRUST_MAX_QUOTED + 1];
	const char *field;
	int     ok = 0;
	size_t  i;

	if (!require_dkim) {
		strlist_add(reasons, "require_dkim = no: DKIM is not checked");
		return 1;
	}
	if (authserv_id == NULL) {
		strlist_add(reasons, "no authserv_id is configured: no Authentication-Results can be believed");
		return 0;
	}
	for (i = 0; i < mail->authres.count; i++) {
		field = mail->authres.items[i];
		if (authres_parse(field, strlen(field), &ar) < 0) {
			strlist_addf(reasons, "Authentication-Results field %zu does not parse: ignored", i + 1);
		} else if (strcasecmp(ar.authserv_id, authserv_id) != 0) {
			printable(ar.authserv_id, id, sizeof(id));
			strlist_addf(reasons, "Authentication-Results by \"%s\" ignored: not our authserv-id %s",
				     id, authserv_id);
		} else if (dkim_results(p, &ar, reasons)) {
			ok = 1;
		}
	}
	if (!ok)
		strlist_addf(reasons, "no dkim=pass by %s for a domain of %s", authserv_id, p->name);
	return ok;
}

int trust_links(const struct ca_profile *p, const struct strlist *candidates, const char **chosen,
		struct strlist *reasons)
{
	char    why[256];
	char    shown[LINK_DESCRIBE_LENGTH + 1];
	int     ok = 1;
	size_t  i;

	*chosen = NULL;
	if (candidates->count == 0) {
		strlist_add(reasons, "no approval link found");
		return 0;
	}
	for (i = 0; i < candidates->count; i++) {
		link_describe(candidates->items[i], shown, sizeof(shown));
		if (link_check(candidates->items[i], &p->link_hosts, why, sizeof(why)) == 0) {
			if (*chosen == NULL)
				*chosen = candidates->items[i];
			strlist_addf(reasons, "approval link is https to a host of %s", p->name);
		} else {
			strlist_addf(reasons, "approval link %s %s", shown, why);
			ok = 0;
		}
	}
	if (*chosen == NULL)
		*chosen = candidates->items[0];
	return ok;
}
