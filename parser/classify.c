/*
 * NAME
 *	classify - which CA a mail is from, and what kind of mail it is
 * SYNOPSIS
 *	#include "classify.h"
 *
 *	const struct ca_profile *classify_profile(const struct profile_set *set,
 *				const struct mail *mail, struct strlist *reasons)
 *	const char *classify_sender(const struct ca_profile *profile,
 *				const struct mail *mail)
 *	enum verdict_kind classify_kind(const struct ca_profile *profile,
 *				const struct mail *mail,
 *				const struct certbundle *certs,
 *				int has_approval_link, struct strlist *reasons)
 * DESCRIPTION
 *	classify_profile() is the first profile one of whose senders is the
 *	domain (or a parent of the domain) of From or Return-Path; failing
 *	that, the first profile whose approval link pattern matches a link of
 *	the mail, on any host (a reseller's template still links to the CA; a
 *	look-alike host is seen and refused later).  A reject pattern never
 *	picks a profile: a CA's reject path may be as plain as a shop's
 *	"/order/cancel", and a stranger's mail is then nobody's.  Subject
 *	wording alone never picks a profile.  NULL when none.
 *
 *	classify_sender() is the domain of From or Return-Path that is one of
 *	the profile's senders (or below one), NULL when neither is.
 *
 *	classify_kind(), in this order: certificates found: certificate (with
 *	or without a profile); no profile: none; an approval link: approval;
 *	a decline pattern on subject or text: decline; an approval subject or
 *	body pattern: approval (without a link: not believed, see trust.c);
 *	a notice pattern: notice; else none (CA mail we do not know).
 *	Each decision adds its reason.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "names.h"

static const char *sender_of(const struct ca_profile *p, const char *addr)
{
	const char *domain;
	size_t  i;

	if (addr == NULL)
		return NULL;
	domain = address_domain(addr);
	for (i = 0; i < p->senders.count; i++)
		if (domain_is_within(domain, p->senders.items[i]))
			return domain;
	return NULL;
}

static int link_matches(const struct ca_profile *p, const struct mail *mail)
{
	enum link_kind kind;
	char   *normal;
	size_t  i;

	for (i = 0; i < mail->links.count; i++) {
		kind = approval_link_kind(p, mail->links.items[i], &normal);
		free(normal);
		if (kind == LINK_APPROVAL || kind == LINK_BAD_APPROVAL)
			return 1;
	}
	return 0;
}

const char *classify_sender(const struct ca_profile *p, const struct mail *mail)
{
	const char *domain = sender_of(p, mail->from);

	return domain ? domain : sender_of(p, mail->return_path);
}

const struct ca_profile *classify_profile(const struct profile_set *set, const struct mail *mail,
					  struct strlist *reasons)
{
	const char *domain;
	size_t  i;

	for (i = 0; i < set->count; i++) {
		if ((domain = classify_sender(set->items[i], mail)) != NULL) {
			strlist_addf(reasons, "sender domain %s is one of CA profile %s", domain,
				     set->items[i]->name);
			return set->items[i];
		}
	}
	for (i = 0; i < set->count; i++) {
		if (link_matches(set->items[i], mail)) {
			strlist_addf(reasons, "a link has the form of CA profile %s (sender not one of its)",
				     set->items[i]->name);
			return set->items[i];
		}
	}
	return NULL;
}

static int matches_mail(const struct pattern_list *list, const struct mail *mail)
{
	if (mail->subject && pattern_list_match(list, mail->subject, strlen(mail->subject)) >= 0)
		return 1;
	return mail->text.len && pattern_list_match(list, mail->text.data, mail->text.len) >= 0;
}

static int approval_wording(const struct ca_profile *p, const struct mail *mail)
{
	if (mail->subject && pattern_list_match(&p->subject, mail->subject, strlen(mail->subject)) >= 0)
		return 1;
	return mail->text.len && pattern_list_match(&p->body, mail->text.data, mail->text.len) >= 0;
}

enum verdict_kind classify_kind(const struct ca_profile *p, const struct mail *mail,
				const struct certbundle *certs, int has_approval_link,
				struct strlist *reasons)
{
	if (certs->count > 0) {
		strlist_addf(reasons, "%zu certificate%s found", certs->count, certs->count == 1 ? "" : "s");
		return VERDICT_CERTIFICATE;
	}
	if (p == NULL) {
		strlist_add(reasons, "no CA profile knows the sender or the links");
		return VERDICT_NONE;
	}
	if (has_approval_link) {
		strlist_addf(reasons, "approval request: a link has the form of %s's approval link", p->name);
		return VERDICT_APPROVAL;
	}
	if (matches_mail(&p->decline, mail)) {
		strlist_addf(reasons, "decline or cancellation: wording of %s", p->name);
		return VERDICT_DECLINE;
	}
	if (approval_wording(p, mail)) {
		strlist_addf(reasons, "approval request by %s's wording, but without an approval link", p->name);
		return VERDICT_APPROVAL;
	}
	if (matches_mail(&p->notice, mail)) {
		strlist_addf(reasons, "notice: wording of %s (recorded, not acted on)", p->name);
		return VERDICT_NOTICE;
	}
	strlist_addf(reasons, "mail from %s that matches none of its patterns", p->name);
	return VERDICT_NONE;
}
