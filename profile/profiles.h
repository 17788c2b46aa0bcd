/*
 * profiles.h - CA profiles: what a CA's mail looks like, as data.
 *
 * One profile per CA, from profiles/NAME.conf (compiled in) or from the
 * directory of [ca] profiles (a profile with the same name replaces the
 * built-in one).  See profiles/README for the keys.  The approval worker
 * reads the [approve] part through parser_find_profile().
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PROFILES_H
#define MAILCERT_PROFILES_H

#include <stddef.h>

#include "pattern.h"
#include "strbuf.h"
#include "strlist.h"

#define PROFILE_MAX_FILE	(256 * 1024)	/* bytes of one profile file */
#define PROFILE_MAX_COUNT	64		/* profiles loaded at once */

enum profile_approve_method {
	PROFILE_APPROVE_GET = 0,	/* request the approval link itself */
	PROFILE_APPROVE_FORM_POST,	/* post the form of the link's page */
};

struct ca_profile {
	char   *name;			/* "sectigo": the verdict's ca */
	char   *origin;			/* file it came from, for messages */
	char   *extends;		/* a file of [ca] profiles that adds lines
					 * to this profile, not one of its own */

	/* [profile] who sends it and where its links may go */
	struct strlist senders;		/* From / Return-Path domains */
	struct strlist dkim_domains;	/* dkim=pass for these is believed */
	struct strlist link_hosts;	/* exact hosts ("host" or "host:port") */

	/* [match] what kind of mail it is; applied to subject and text */
	struct pattern_list subject;	/* approval request subjects */
	struct pattern_list body;	/* approval request wording */
	struct pattern_list decline;	/* decline or cancellation notices */
	struct pattern_list notice;	/* order received, expiry warning... */

	/* [links] applied to every link of the mail */
	struct pattern_list approval_link;
	struct pattern_list reject_link;	/* never taken, never followed */
	struct strlist approval_params;	/* the query parameters an approval link
					 * may carry (none given: any, once each) */
	struct strlist presentation_params;	/* ones the CA adds that change
					 * nothing (lang): left out of the link's
					 * normal form, so equal links are one */

	/* [extract] first capture group of the first match */
	struct pattern_list code;
	struct pattern_list order_number;
	struct pattern_list domain;

	/* [approve] what the approval worker does with an approval */
	char   *approve_mode;		/* notify|auto|manual, NULL: [approve] mode */
	enum profile_approve_method approve_method;
	char   *approve_post_path;	/* FORM_POST: path on the link's host */
	char   *approve_order_field;	/* FORM_POST: field for the CA order */
	char   *approve_code_field;	/* FORM_POST: field for the code */
	struct strlist approve_fixed_fields;	/* "name=value" */
	struct pattern_list approve_success;	/* on the page text */
	struct pattern_list approve_failure;
};

struct profile_set {
	struct ca_profile **items;
	size_t  count;
};

/* Built-in profiles, then the *.conf files of dir (may be NULL). */
int profile_set_load(struct profile_set *set, const char *dir, struct strbuf *err);

/* One profile from the text of a file; origin names it in messages. */
struct ca_profile *profile_parse(const char *text, const char *origin, struct strbuf *err);

const struct ca_profile *profile_set_find(const struct profile_set *set, const char *name);
void profile_set_free(struct profile_set *set);
void profile_free(struct ca_profile *profile);

/* The accessor of the approval worker (parser.c). */
struct parser;
const struct ca_profile *parser_find_profile(const struct parser *parser, const char *name);

#endif
