/*
 * NAME
 *	approval - the approval link, code, CA order number and domain
 * SYNOPSIS
 *	#include "classify.h"
 *
 *	void approval_find_links(const struct ca_profile *profile,
 *				 const struct mail *mail,
 *				 struct strlist *candidates,
 *				 struct strlist *reasons)
 *	void approval_extract(const struct ca_profile *profile,
 *			      const struct mail *mail, const char *link,
 *			      struct verdict *verdict)
 * DESCRIPTION
 *	approval_find_links() adds to candidates every link of the mail
 *	that matches one of the profile's approval link patterns and none of
 *	its reject link patterns.  A reject link is never a candidate,
 *	whatever else it matches; finding one is said in the reasons.
 *
 *	approval_extract() fills the verdict from the profile's [extract]
 *	patterns (first capture group of the first match): the order number
 *	from link, else the subject, else the text; the domain from the
 *	subject, else the text; the code from the text, for approvals only.
 *	Values that do not look like what they should be are dropped: a code
 *	is printable ASCII without spaces, an order number letters, digits
 *	and '-', a domain a valid DNS name (a leading "*." is removed).
 * LICENSE
 *	See the README of mailcert.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "mymalloc.h"
#include "names.h"

#define APPROVAL_MAX_VALUE	64	/* code, order number */

void approval_find_links(const struct ca_profile *p, const struct mail *mail,
			 struct strlist *candidates, struct strlist *reasons)
{
	const char *link;
	size_t  rejected = 0;
	size_t  i;

	for (i = 0; i < mail->links.count; i++) {
		link = mail->links.items[i];
		if (pattern_list_match(&p->reject_link, link, strlen(link)) >= 0)
			rejected++;
		else if (pattern_list_match(&p->approval_link, link, strlen(link)) >= 0)
			strlist_add(candidates, link);
	}
	if (rejected)
		strlist_addf(reasons, "%zu reject link%s of %s ignored (never taken, never followed)",
			     rejected, rejected == 1 ? "" : "s", p->name);
}

static int plain_value(const char *value, const char *extra)
{
	const char *p;

	if (*value == 0 || strlen(value) > APPROVAL_MAX_VALUE)
		return 0;
	for (p = value; *p; p++)
		if (!isalnum((unsigned char) *p) && !(extra && strchr(extra, *p)))
			return 0;
	return 1;
}

static int code_value(const char *value)
{
	const char *p;

	if (*value == 0 || strlen(value) > APPROVAL_MAX_VALUE)
		return 0;
	for (p = value; *p; p++)
		if (!isgraph((unsigned char) *p))
			return 0;
	return 1;
}

/* capture_in - the first of subject, link, text (in the order given) */

static char *capture_in(const struct pattern_list *list, const char *first, const char *second,
			const struct strbuf *text)
{
	char   *value = NULL;

	if (first)
		value = pattern_list_capture(list, first, strlen(first));
	if (value == NULL && second)
		value = pattern_list_capture(list, second, strlen(second));
	if (value == NULL && text->len)
		value = pattern_list_capture(list, text->data, text->len);
	return value;
}

static char *clean_domain(char *value)
{
	char   *p;
	char   *start = value;

	if (value == NULL)
		return NULL;
	if (strncmp(start, "*.", 2) == 0)
		start += 2;
	for (p = start; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	if (!valid_domain_name(start, 0)) {
		free(value);
		return NULL;
	}
	memmove(value, start, strlen(start) + 1);
	return value;
}

static char *checked(char *value, int ok)
{
	if (value && !ok) {
		free(value);
		return NULL;
	}
	return value;
}

void approval_extract(const struct ca_profile *p, const struct mail *mail, const char *link,
		      struct verdict *v)
{
	char   *value;

	value = capture_in(&p->order_number, link, mail->subject, &mail->text);
	v->ca_order = checked(value, value && plain_value(value, "-"));
	v->domain = clean_domain(capture_in(&p->domain, mail->subject, NULL, &mail->text));
	if (v->kind != VERDICT_APPROVAL)
		return;
	if (link)
		v->link = xstrdup(link);
	value = capture_in(&p->code, NULL, NULL, &mail->text);
	v->code = checked(value, value && code_value(value));
}
