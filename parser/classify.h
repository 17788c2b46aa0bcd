/*
 * classify.h - from what was read (struct mail) to the verdict.
 *
 * classify.c picks the CA profile and the kind of mail; approval.c finds
 * the approval link and the code, order number and domain; trust.c decides
 * whether the mail is believed.  parser.c calls them in that order.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_CLASSIFY_H
#define MAILCERT_CLASSIFY_H

#include "config.h"
#include "mail.h"
#include "parser.h"
#include "profiles.h"

/* classify.c */
const struct ca_profile *classify_profile(const struct profile_set *set, const struct mail *mail,
					  struct strlist *reasons);
const char *classify_sender(const struct ca_profile *profile, const struct mail *mail);
enum verdict_kind classify_kind(const struct ca_profile *profile, const struct mail *mail,
				const struct certbundle *certs, int has_approval_link,
				struct strlist *reasons);

/* approval.c */
enum link_kind {
	LINK_OTHER = 0,
	LINK_APPROVAL,			/* its normal path has the approval form */
	LINK_REJECT,			/* a reject link: never taken, never followed */
	LINK_BAD_APPROVAL,		/* looks like one, but does not parse */
};
enum link_kind approval_link_kind(const struct ca_profile *profile, const char *link, char **normal);
void approval_find_links(const struct ca_profile *profile, const struct mail *mail,
			 struct strlist *candidates, struct strlist *reasons);
void approval_extract(const struct ca_profile *profile, const struct mail *mail,
		      const char *link, struct verdict *verdict);
/* The approval link's query says one thing: 0, or -1 with why. */
int approval_query_check(const struct ca_profile *profile, const char *link, struct strlist *why);
/* The CA order number an approval link names (one), else NULL and why. */
char *approval_link_order(const struct ca_profile *profile, const char *link, struct strlist *why);

/* explain.c: "mailcert parse --explain", one profile */
void explain_profile(struct strbuf *out, const struct ca_profile *profile, const struct mail *mail,
		     const char *authserv_id, int require_dkim, int topmost_only, int chosen);

/* trust.c */
int trust_dkim(const char *authserv_id, int require_dkim, int topmost_only,
	       const struct ca_profile *profile,
	       const struct mail *mail, struct strlist *reasons);
int trust_links(const struct ca_profile *profile, const struct strlist *candidates,
		const char **chosen, int *ambiguous, struct strlist *reasons);

#endif
