/*
 * NAME
 *	explain - mailcert parse --explain: what each profile made of a mail
 * SYNOPSIS
 *	#include "classify.h"
 *
 *	void explain_profile(struct strbuf *out, const struct ca_profile *p,
 *			     const struct mail *mail, const char *authserv_id,
 *			     int require_dkim, int topmost_only, int chosen)
 * DESCRIPTION
 *	For an operator whose CA changed its template: one profile's look at
 *	a mail that was read, in the order the parser decides, each step with
 *	the pattern (by its text and the file it came from) that matched, or
 *	that none did: the sender, the links (approval, reject, other, with
 *	the reasons an approval link is refused), which [match] patterns the
 *	subject and text meet, what [extract] takes (code, CA order number,
 *	domain, and why a value is refused or ambiguous), and the
 *	authentication.  chosen says whether this is the profile the verdict
 *	is made with (the first whose sender it is, else the first whose link
 *	it is); the verdict itself is printed by the caller.
 *
 *	Everything that came from the mail is made printable ASCII here, so
 *	the caller prints the text as it is (a pattern's backslashes as the
 *	profile file has them).
 *
 *	Nothing here decides anything: it calls what decide() in parser.c
 *	calls, with the same arguments, one profile at a time.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "mymalloc.h"
#include "printable.h"

#define EXPLAIN_SHOWN_MAX	160	/* bytes of a link or pattern shown */

static void put_shown(struct strbuf *out, const char *text)
{
	printable_append(out, text, strlen(text), EXPLAIN_SHOWN_MAX, PRINTABLE_ASCII | PRINTABLE_SPACES
			 | PRINTABLE_ELLIPSIS);
}

/* explain_list - which pattern of list the subject or the text meets */

static void explain_list(struct strbuf *out, const char *key, const struct pattern_list *list,
			 const struct mail *mail)
{
	int     in_subject = mail->subject ? pattern_list_match(list, mail->subject, strlen(mail->subject)) : -1;
	int     in_text = mail->text.len ? pattern_list_match(list, mail->text.data, mail->text.len) : -1;
	int     which = in_subject >= 0 ? in_subject : in_text;

	sb_appendf(out, "  %-14s", key);
	if (list->sources.count == 0) {
		sb_appends(out, "(none in the profile)\n");
		return;
	}
	if (which < 0) {
		sb_appendf(out, "none of its %zu pattern%s matches\n", list->sources.count,
			   list->sources.count == 1 ? "" : "s");
		return;
	}
	sb_appendf(out, "line %d", list->lines[which]);
	if (list->files.items[which][0])
		sb_appendf(out, " of %s", list->files.items[which]);
	sb_appends(out, " \"");
	put_shown(out, list->sources.items[which]);
	sb_appendf(out, "\" matches the %s\n", in_subject >= 0 ? "subject" : "text");
}

static const char *link_kind_name(enum link_kind kind)
{
	switch (kind) {
	case LINK_APPROVAL:
		return "approval link";
	case LINK_REJECT:
		return "reject link (never taken, never followed)";
	case LINK_BAD_APPROVAL:
		return "has the approval form but does not parse";
	default:
		return "no approval or reject pattern matches its path";
	}
}

/* explain_links - each link's kind; the approval link the parser would
 * take (a copy), or NULL with why */

static char *explain_links(struct strbuf *out, const struct ca_profile *p, const struct mail *mail,
			   struct strlist *why)
{
	struct strlist candidates = STRLIST_INIT;
	struct strlist found = STRLIST_INIT;
	const char *chosen = NULL;
	char   *taken;
	enum link_kind kind;
	char   *normal;
	int     ambiguous = 0;
	size_t  i;

	for (i = 0; i < mail->links.count; i++) {
		kind = approval_link_kind(p, mail->links.items[i], &normal);
		sb_appends(out, "  link          ");
		put_shown(out, mail->links.items[i]);
		sb_appendf(out, ": %s\n", link_kind_name(kind));
		free(normal);
	}
	if (mail->links.count == 0)
		sb_appends(out, "  links         the mail has none\n");
	approval_find_links(p, mail, &candidates, &found);
	if (candidates.count)
		trust_links(p, &candidates, &chosen, &ambiguous, why);
	taken = chosen ? xstrdup(chosen) : NULL;
	strlist_free(&candidates);
	strlist_free(&found);
	return taken;
}

static void explain_value(struct strbuf *out, const char *key, const char *value)
{
	sb_appendf(out, "  %-14s", key);
	if (value)
		put_shown(out, value);
	else
		sb_appends(out, "none taken");
	sb_appends(out, "\n");
}

static void put_reasons(struct strbuf *out, const char *key, const struct strlist *reasons)
{
	size_t  i;

	for (i = 0; i < reasons->count; i++) {
		sb_appendf(out, "  %-14s", key);
		put_shown(out, reasons->items[i]);
		sb_appends(out, "\n");
	}
}

void explain_profile(struct strbuf *out, const struct ca_profile *p, const struct mail *mail,
		     const char *authserv_id, int require_dkim, int topmost_only, int chosen)
{
	struct strlist why = STRLIST_INIT;
	struct verdict v;
	const char *sender = classify_sender(p, mail);
	char   *link;

	sb_appendf(out, "profile %s (%s)%s\n", p->name, p->origin,
		   chosen ? ": the verdict is made with this one" : "");
	sb_appendf(out, "  %-14s", "sender");
	if (sender) {
		put_shown(out, sender);
		sb_appends(out, " is one of its senders\n");
	}
	else
		sb_appendf(out, "neither From nor Return-Path is one of its %zu sender domains\n",
			   p->senders.count);
	link = explain_links(out, p, mail, &why);
	put_reasons(out, "approval link", &why);
	strlist_free(&why);
	explain_list(out, "subject", &p->subject, mail);
	explain_list(out, "body", &p->body, mail);
	explain_list(out, "decline", &p->decline, mail);
	explain_list(out, "notice", &p->notice, mail);
	verdict_init(&v);
	v.kind = VERDICT_APPROVAL;	/* extract everything an approval would */
	approval_extract(p, mail, link, &v);
	explain_value(out, "code", v.code);
	explain_value(out, "CA order", v.ca_order);
	explain_value(out, "domain", v.domain);
	put_reasons(out, "extract", &v.reasons);
	verdict_free(&v);
	free(link);
	trust_dkim(authserv_id, require_dkim, topmost_only, p, mail, &why);
	put_reasons(out, "authenticated", &why);
	strlist_free(&why);
}
