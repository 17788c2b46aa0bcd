/*
 * NAME
 *	mail_headers - From, Subject, Message-ID and Authentication-Results
 * SYNOPSIS
 *	#include "mail.h"
 *
 *	void mail_read_headers(GMimeMessage *message,
 *			       const struct parse_limits *limits,
 *			       struct mail *mail)
 * DESCRIPTION
 *	Reads the top-level header of message into mail: the first mailbox
 *	of From (lower case), Return-Path, the decoded Subject, the
 *	Message-ID without <>, and the body of every Authentication-Results
 *	field, unfolded: in mail->authres when the field is named exactly
 *	"Authentication-Results:", in mail->authres_odd when it is written
 *	another way ("Authentication-Results :", a tab before the colon),
 *	which a site's header_checks rule may not remove and trust.c never
 *	believes.  Only the top-level header counts: a message inside the
 *	message cannot vouch for itself.  The subject's Unicode punctuation
 *	is normalised (text_norm.c), as the body's is.
 *
 *	At most max_headers fields are looked at; a field longer than
 *	max_header_length is skipped whole (From, Subject, Message-ID too).
 *	Each is noted with mail_limit().
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail.h"
#include "mymalloc.h"
#include "names.h"
#include "text_norm.h"

/* Header fields read through GMime's accessors, skipped when too long. */
struct skipped {
	int     from;
	int     subject;
	int     message_id;
};

static char *unfold(const char *value)
{
	char   *copy = xstrdup(value);
	char   *p;

	for (p = copy; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return copy;
}

static void note_too_long(const char *name, struct skipped *skipped, struct mail *mail)
{
	char    what[128];

	snprintf(what, sizeof(what), "a %.40s header field was skipped", name);
	mail_limit(mail, "max_header_length", what);
	if (strcasecmp(name, "From") == 0)
		skipped->from = 1;
	else if (strcasecmp(name, "Subject") == 0)
		skipped->subject = 1;
	else if (strcasecmp(name, "Message-ID") == 0)
		skipped->message_id = 1;
}

/* read_fields - Authentication-Results and Return-Path, and the limits */

static void read_fields(GMimeHeaderList *list, const struct parse_limits *limits,
			struct mail *mail, struct skipped *skipped)
{
	GMimeHeader *header;
	const char *name;
	const char *raw;
	int     count = g_mime_header_list_get_count(list);
	int     i;

	for (i = 0; i < count; i++) {
		if ((size_t) i >= limits->max_headers) {
			mail_limit(mail, "max_headers", "header fields past the limit were not read");
			break;
		}
		header = g_mime_header_list_get_header_at(list, i);
		name = g_mime_header_get_name(header);
		raw = g_mime_header_get_raw_value(header);
		if (name == NULL || raw == NULL)
			continue;
		if (strlen(raw) > limits->max_header_length) {
			note_too_long(name, skipped, mail);
			continue;
		}
		if (strcasecmp(name, "Authentication-Results") == 0) {
			const char *raw_name = g_mime_header_get_raw_name(header);

			if (raw_name && strcasecmp(raw_name, "Authentication-Results") == 0)
				strlist_add_owned(&mail->authres, unfold(raw));
			else
				strlist_add_owned(&mail->authres_odd, unfold(raw));
		}
		else if (strcasecmp(name, "Return-Path") == 0 && mail->return_path == NULL)
			mail->return_path = normalize_address(raw);
	}
}

static char *first_mailbox(InternetAddressList *list)
{
	InternetAddress *addr;
	const char *text;
	int     i;

	for (i = 0; list && i < internet_address_list_length(list); i++) {
		addr = internet_address_list_get_address(list, i);
		if (!INTERNET_ADDRESS_IS_MAILBOX(addr))
			continue;
		text = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(addr));
		if (text)
			return normalize_address(text);
	}
	return NULL;
}

static char *bounded_copy(const char *value, size_t max)
{
	if (value == NULL || strlen(value) > max)
		return NULL;
	return xstrdup(value);
}

static char *normalised_copy(const char *value, size_t max)
{
	struct strbuf sb = STRBUF_INIT;

	if (value == NULL || strlen(value) > max)
		return NULL;
	text_normalize(value, strlen(value), &sb);
	return sb_steal(&sb);
}

void mail_read_headers(GMimeMessage *message, const struct parse_limits *limits, struct mail *mail)
{
	struct skipped skipped = {0, 0, 0};

	read_fields(g_mime_object_get_header_list(GMIME_OBJECT(message)), limits, mail, &skipped);
	if (!skipped.from)
		mail->from = first_mailbox(g_mime_message_get_from(message));
	if (!skipped.subject)
		mail->subject = normalised_copy(g_mime_message_get_subject(message), limits->max_header_length);
	if (!skipped.message_id)
		mail->message_id = bounded_copy(g_mime_message_get_message_id(message),
						limits->max_header_length);
}
