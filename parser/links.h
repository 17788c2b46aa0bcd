/*
 * links.h - the links of a mail, found as a person would see and click them
 * (url.c reads them; approval.c and trust.c decide about them).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_LINKS_H
#define MAILCERT_LINKS_H

#include <stddef.h>

#include "strlist.h"

#define LINK_MAX_LENGTH		4096	/* bytes of one link; longer ones are cut */
#define LINK_DESCRIBE_LENGTH	160	/* bytes of a link quoted in a reason */
#define LINKS_SEEN_FACTOR	4	/* links looked at per link kept, at most */

/* http:// and https:// URLs in plain text, trailing punctuation dropped;
 * added to out unless already there.  Returns 1 when max was reached. */
int links_in_text(const char *text, size_t len, struct strlist *out, size_t max);

/* Add link (an href) cleaned as a browser does (tabs and new lines removed,
 * surrounding spaces and controls dropped) unless empty or already there.
 * Returns 1 when max was reached. */
int links_add_href(struct strlist *out, const char *href, size_t max);

/* url cut to LINK_DESCRIBE_LENGTH, unprintable bytes as '?', for reasons. */
void link_describe(const char *url, char *buf, size_t size);

#endif
