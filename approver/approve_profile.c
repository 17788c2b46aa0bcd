/*
 * NAME
 *	approve_profile - the approval action a CA profile describes
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_action_for(const struct parser *parser, const char *ca,
 *			       struct approve_action *action)
 * DESCRIPTION
 *	Fills action from the [approve] and [links] parts of the profile
 *	named ca (parser_find_profile(): built in, or from [ca] profiles):
 *	its mode override, method, post path and fields, success and
 *	failure patterns, link_hosts and reject_link patterns.  Nothing is
 *	copied: action points into the profile and lives as long as the
 *	parser.  -1 when there is no such profile.
 *
 *	This file is the only one of the worker that knows the profile's
 *	layout; the patterns are taken as text and compiled by
 *	approve_page.c.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "approve.h"
#include "profiles.h"

int approve_action_for(const struct parser *parser, const char *ca, struct approve_action *action)
{
	const struct ca_profile *p;

	memset(action, 0, sizeof(*action));
	if (parser == NULL || ca == NULL || (p = parser_find_profile(parser, ca)) == NULL)
		return -1;
	action->profile = p->name;
	action->mode = p->approve_mode;
	action->method = p->approve_method == PROFILE_APPROVE_FORM_POST ? APPROVE_FORM_POST : APPROVE_GET;
	action->post_path = p->approve_post_path;
	action->order_field = p->approve_order_field;
	action->code_field = p->approve_code_field;
	action->fixed_fields = &p->approve_fixed_fields;
	action->link_hosts = &p->link_hosts;
	action->success = &p->approve_success;
	action->failure = &p->approve_failure;
	action->ca = p;
	return 0;
}
