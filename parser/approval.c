/*
 * NAME
 *	approval - the approval link, code, CA order number and domain
 * SYNOPSIS
 *	#include "classify.h"
 *
 *	enum link_kind approval_link_kind(const struct ca_profile *profile,
 *					  const char *link, char **normal)
 *	void approval_find_links(const struct ca_profile *profile,
 *				 const struct mail *mail,
 *				 struct strlist *candidates,
 *				 struct strlist *reasons)
 *	void approval_extract(const struct ca_profile *profile,
 *			      const struct mail *mail, const char *link,
 *			      struct verdict *verdict)
 * DESCRIPTION
 *	approval_link_kind() reads one link of the mail with the one URL
 *	parser (url.c) and decides in its normal form: a link whose normal
 *	form, or that form with every escape decoded, matches one of the
 *	profile's reject patterns is a reject link, whatever else it
 *	matches; a link whose normal path matches an approval pattern is an
 *	approval link (the query and the fragment are not the path); a link
 *	the parser refuses but whose text, from one of its first slashes to
 *	the query, would be the approval path is a bad approval link, for
 *	trust.c to refuse with the reason.
 *	*normal is the normal form (or the text, when it does not parse).
 *
 *	approval_find_links() puts the normal form of every approval link
 *	of the mail, once each, into candidates: the profile's normal form,
 *	without the presentation parameters it names (lang), so that the
 *	link of the text and the same one of the HTML part with &lang=en are
 *	one link.  Two different ones make the mail ambiguous (trust.c).
 *
 *	approval_query_check() reads an approval link's query as the CA's
 *	server would (parameters split at '&' and ';', names decoded until
 *	stable): a parameter named twice, or one the profile does not list
 *	in approval_params (when it lists them), makes the link say two
 *	things: the mail is ambiguous, and the approver never follows it.
 *
 *	approval_extract() fills the verdict from the profile's [extract]
 *	patterns.  Every capture of every pattern counts, and a capture is
 *	taken whole or not at all: when the character right before or after
 *	it could continue it, the pattern's bound cut a longer value, which
 *	is refused and noted.  The CA order number comes from the approval
 *	link, the subject and the text: every value found must be the same,
 *	and the link may name it only once; otherwise the mail is ambiguous.
 *	Only an approval whose link names the number (link_names_order) is
 *	an order's own: text around a link may hold what a customer wrote
 *	(an organisation or team name), and a link that names no order
 *	cannot say whose it approves.
 *	The code comes from the links (a code in a query, when the profile's
 *	patterns take one there) and the text; two different codes, case
 *	counting, are ambiguous too.  The domain comes from the
 *	subject, else the text.  A code is printable ASCII without spaces,
 *	an order number letters, digits and '-', a domain a valid DNS name
 *	(a leading "*." is removed).  The text searched was normalised once
 *	(text_norm.c): a non-breaking hyphen inside a code is a hyphen.
 *	Values unseen could disagree with those seen, so a source that holds
 *	more than APPROVAL_MAX_CAPTURES captures of a code or an order
 *	number, or in which a pattern ran into its match limit, refuses it:
 *	ambiguous.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "mymalloc.h"
#include "names.h"
#include "printable.h"
#include "url.h"

#define APPROVAL_MAX_VALUE	64	/* bytes of a code or order number */
#define APPROVAL_MAX_CAPTURES	16	/* captures looked at per field and source */
#define APPROVAL_MAX_SLASHES	32	/* slashes of a refused link looked from */

/* What could continue a value of each kind. */
#define TOKEN_CODE	"-*_%"		/* '%': an escape inside a code in a link */
#define TOKEN_ORDER	"-_"
#define TOKEN_DOMAIN	"-_"

static int pattern_matches(const struct pattern_list *list, const char *text)
{
	return text && pattern_list_match(list, text, strlen(text)) >= 0;
}

static int is_reject(const struct ca_profile *p, const char *text)
{
	char   *decoded;
	int     hit;

	if (pattern_matches(&p->reject_link, text))
		return 1;
	decoded = url_decode_all(text);
	hit = pattern_matches(&p->reject_link, decoded);
	/* a server takes ';' for '&' between parameters too */
	for (char *c = decoded; !hit && *c; c++)
		if (*c == ';')
			*c = '&';
	hit = hit || pattern_matches(&p->reject_link, decoded);
	free(decoded);
	return hit;
}

/* path_matches - text from one '/' up to the query, in normal form and
 * decoded, matches an approval pattern */

static int path_matches(const struct ca_profile *p, const char *from)
{
	char   *path = xstrndup(from, strcspn(from, "?#'\"\\ "));
	char   *normal = url_normal_path(path);
	char   *decoded = url_decode_all(normal);
	int     hit;

	hit = pattern_matches(&p->approval_link, normal) || pattern_matches(&p->approval_link, decoded);
	free(decoded);
	free(normal);
	free(path);
	return hit;
}

/* refused_link_kind - a link url_parse() refused: a reject link, or a
 * bad approval link when the text, from one of its first slashes on,
 * would be the approval path (a script link, a backslash trick) */

static enum link_kind refused_link_kind(const struct ca_profile *p, const char *link)
{
	const char *slash = link;
	int     tries;

	if (is_reject(p, link))
		return LINK_REJECT;
	for (tries = 0; tries < APPROVAL_MAX_SLASHES && (slash = strchr(slash, '/')) != NULL; tries++) {
		if (slash[1] != '/' && path_matches(p, slash))
			return LINK_BAD_APPROVAL;
		slash++;
	}
	return LINK_OTHER;
}

enum link_kind approval_link_kind(const struct ca_profile *p, const char *link, char **normal)
{
	struct strbuf why = STRBUF_INIT;
	struct url url;
	enum link_kind kind = LINK_OTHER;

	*normal = NULL;
	if (url_parse(link, &url, &why) < 0) {
		sb_free(&why);
		*normal = xstrdup(link);
		return refused_link_kind(p, link);
	}
	sb_free(&why);
	if (is_reject(p, url.normal) || (url.fragment && is_reject(p, url.fragment)))
		kind = LINK_REJECT;
	else if (pattern_matches(&p->approval_link, url.path))
		kind = LINK_APPROVAL;
	/* the profile's normal form: without what only changes the page's looks */
	*normal = kind == LINK_APPROVAL ? url_normal_without(&url, &p->presentation_params)
	    : xstrdup(url.normal);
	url_clear(&url);
	return kind;
}

/* approval_query_check - an approval link's query says one thing: no
 * parameter twice, none the profile does not expect for approval (when it
 * says which it expects), names read as the server reads them (both
 * separators, decoded until stable).  0, or -1 with why. */

int approval_query_check(const struct ca_profile *p, const char *link, struct strlist *why)
{
	struct strbuf err = STRBUF_INIT;
	struct strlist names = STRLIST_INIT;
	struct url url;
	char    name[APPROVAL_MAX_VALUE + 1];
	size_t  i;
	size_t  j;
	int     rc = 0;

	if (url_parse(link, &url, &err) < 0) {
		sb_free(&err);
		return 0;		/* a link that does not parse is refused elsewhere */
	}
	url_query_names(&url, &names);
	for (i = 0; i < names.count && rc == 0; i++) {
		printable_buf(name, sizeof(name), names.items[i], PRINTABLE_ASCII);
		for (j = 0; j < i; j++)
			if (strcasecmp(names.items[j], names.items[i]) == 0)
				break;
		if (j < i) {
			strlist_addf(why, "the approval link names %s more than once", name);
			rc = -1;
		} else if (p->approval_params.count
			   && !strlist_contains_nocase(&p->approval_params, names.items[i])
			   && !strlist_contains_nocase(&p->presentation_params, names.items[i])) {
			strlist_addf(why, "the approval link carries %s, which %s's approval link does "
				     "not", name, p->name);
			rc = -1;
		}
	}
	strlist_free(&names);
	url_clear(&url);
	sb_free(&err);
	return rc;
}

void approval_find_links(const struct ca_profile *p, const struct mail *mail,
			 struct strlist *candidates, struct strlist *reasons)
{
	size_t  rejected = 0;
	size_t  i;
	char   *normal;

	for (i = 0; i < mail->links.count; i++) {
		switch (approval_link_kind(p, mail->links.items[i], &normal)) {
		case LINK_REJECT:
			rejected++;
			break;
		case LINK_APPROVAL:
		case LINK_BAD_APPROVAL:
			if (!strlist_contains_nocase(candidates, normal))
				strlist_add(candidates, normal);
			break;
		default:
			break;
		}
		free(normal);
	}
	if (rejected)
		strlist_addf(reasons, "%zu reject link%s of %s ignored (never taken, never followed)",
			     rejected, rejected == 1 ? "" : "s", p->name);
}

/* Captures ------------------------------------------------------------------- */

/* One field being extracted from several sources. */
struct field {
	const char *name;		/* "code", "CA order number", "domain" */
	const char *token;		/* characters that could continue a value */
	int     is_domain;
	int     is_code;		/* compared as written, case and all */
	struct strlist values;		/* the distinct whole values */
	size_t  seen;			/* captures, repeats included */
	int     refused;		/* a capture was cut by the pattern's bound */
	struct strlist *reasons;
};

static int continues(const struct field *f, const char *text, size_t len, size_t at, int after)
{
	unsigned char c;

	if (after ? at >= len : at == 0)
		return 0;
	c = (unsigned char) text[after ? at : at - 1];
	if (isalnum(c) || strchr(f->token, c))
		return 1;
	/* a domain goes on past a dot that is followed by a label */
	return f->is_domain && after && c == '.' && at + 1 < len
	    && isalnum((unsigned char) text[at + 1]);
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

/* clean_value - the value as the field keeps it, or NULL when it is not one */

static char *clean_value(const struct field *f, const char *text, size_t len)
{
	char   *value = xstrndup(text, len);
	char   *start = value;
	int     ok;

	if (f->is_domain) {
		if (strncmp(start, "*.", 2) == 0)
			start += 2;
		for (char *p = start; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		memmove(value, start, strlen(start) + 1);
		ok = valid_domain_name(value, 0);
	} else if (strcmp(f->token, TOKEN_CODE) == 0) {
		ok = code_value(value);
	} else {
		ok = plain_value(value, "-");
	}
	if (!ok) {
		free(value);
		return NULL;
	}
	return value;
}

/* capture_from - every capture of list in text into the field */

static void capture_from(struct field *f, const struct pattern_list *list, const char *text,
			 const char *where)
{
	struct pattern_span spans[APPROVAL_MAX_CAPTURES];
	size_t  len;
	size_t  n;
	size_t  i;
	char   *value;
	int     more;

	if (text == NULL)
		return;
	len = strlen(text);
	n = pattern_list_find_all(list, text, len, spans, APPROVAL_MAX_CAPTURES, &more);
	if (more && !f->is_domain) {	/* values unseen could disagree (the
					 * domain is the first one found) */
		if (!f->refused)
			strlist_addf(f->reasons, "the %s holds more %s matches than are read (%d), or a "
				     "pattern ran into its limit: refused", where, f->name,
				     APPROVAL_MAX_CAPTURES);
		f->refused = 1;
	}
	for (i = 0; i < n; i++) {
		if (spans[i].end <= spans[i].start)
			continue;
		if (continues(f, text, len, spans[i].start, 0) || continues(f, text, len, spans[i].end, 1)) {
			if (!f->refused)
				strlist_addf(f->reasons, "the %s in the %s goes on past what the profile's pattern "
					     "takes: refused, never cut", f->name, where);
			f->refused = 1;
			continue;
		}
		if ((value = clean_value(f, text + spans[i].start, spans[i].end - spans[i].start)) == NULL)
			continue;
		f->seen++;
		if (f->is_code ? !strlist_contains(&f->values, value) : !strlist_contains_nocase(&f->values, value))
			strlist_add(&f->values, value);	/* codes differ by case: kept apart */
		free(value);
	}
}

static void field_init(struct field *f, const char *name, const char *token, int is_domain,
		       struct strlist *reasons)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->token = token;
	f->is_domain = is_domain;
	f->reasons = reasons;
}

/* single_value - the one value of the field, or NULL (ambiguous noted) */

static char *single_value(struct field *f, struct verdict *v)
{
	char    a[APPROVAL_MAX_VALUE + 1];
	char    b[APPROVAL_MAX_VALUE + 1];

	if (f->values.count == 1 && !f->refused)
		return xstrdup(f->values.items[0]);
	if (f->values.count > 1) {
		printable_buf(a, sizeof(a), f->values.items[0], PRINTABLE_ASCII);
		printable_buf(b, sizeof(b), f->values.items[1], PRINTABLE_ASCII);
		strlist_addf(&v->reasons, "ambiguous: the mail names %s %s and %s", f->name, a, b);
		v->ambiguous = 1;
	} else if (f->refused) {
		v->ambiguous = 1;
	}
	return NULL;
}

static void extract_order_number(const struct ca_profile *p, const struct mail *mail,
				 const char *link, struct verdict *v)
{
	struct field f;
	size_t  in_link;

	field_init(&f, "CA order number", TOKEN_ORDER, 0, &v->reasons);
	capture_from(&f, &p->order_number, link, "approval link");
	if ((in_link = f.seen) > 1) {
		strlist_add(&v->reasons, "ambiguous: the approval link names its order more than once");
		v->ambiguous = 1;
	}
	capture_from(&f, &p->order_number, mail->subject, "subject");
	capture_from(&f, &p->order_number, mail->text.data, "text");
	v->ca_order = single_value(&f, v);
	v->link_names_order = v->ca_order != NULL && in_link == 1;
	if (v->ca_order && link && in_link == 0)
		strlist_add(&v->reasons, "the approval link does not name the CA order number: the "
			    "mail is noted, never acted on");
	strlist_free(&f.values);
}

static void extract_domain(const struct ca_profile *p, const struct mail *mail, struct verdict *v)
{
	struct field f;

	field_init(&f, "domain", TOKEN_DOMAIN, 1, &v->reasons);
	capture_from(&f, &p->domain, mail->subject, "subject");
	if (f.values.count == 0)
		capture_from(&f, &p->domain, mail->text.data, "text");
	if (f.values.count > 0)
		v->domain = xstrdup(f.values.items[0]);
	strlist_free(&f.values);
}

static void extract_code(const struct ca_profile *p, const struct mail *mail, struct verdict *v)
{
	struct field f;

	field_init(&f, "validation code", TOKEN_CODE, 0, &v->reasons);
	f.is_code = 1;
	/* the links (an HTML part's href is in no text; the approval link's
	 * normal form leaves a filled-in code out) and the text: one code */
	for (size_t i = 0; i < mail->links.count; i++)
		capture_from(&f, &p->code, mail->links.items[i], "link");
	capture_from(&f, &p->code, mail->text.data, "text");
	v->code = single_value(&f, v);
	strlist_free(&f.values);
}

/* approval_link_order - the CA order number an approval link names, by
 * the profile's patterns: the one value, or NULL when it names none, more
 * than one, or one that goes on past what the pattern takes (why) */

char   *approval_link_order(const struct ca_profile *p, const char *link, struct strlist *why)
{
	struct field f;
	char   *value = NULL;

	field_init(&f, "CA order number", TOKEN_ORDER, 0, why);
	capture_from(&f, &p->order_number, link, "approval link");
	if (f.seen == 1 && f.values.count == 1 && !f.refused)
		value = xstrdup(f.values.items[0]);
	else if (!f.refused)
		strlist_add(why, f.seen == 0 ? "the approval link names no CA order number"
			    : "the approval link names its order more than once");
	strlist_free(&f.values);
	return value;
}

void approval_extract(const struct ca_profile *p, const struct mail *mail, const char *link,
		      struct verdict *v)
{
	extract_order_number(p, mail, link, v);
	extract_domain(p, mail, v);
	if (v->kind != VERDICT_APPROVAL)
		return;
	if (link)
		v->link = xstrdup(link);
	extract_code(p, mail, v);
}
