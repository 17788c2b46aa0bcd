/*
 * parse_limits.h - every bound the parser puts on hostile mail, in one place.
 *
 * Over a limit the parser stops that part of the work and the verdict
 * names the limit (verdict.limit_hit); nothing crashes, nothing is lost.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PARSE_LIMITS_H
#define MAILCERT_PARSE_LIMITS_H

#include <stddef.h>

struct parse_limits {
	size_t  max_message_size;	/* bytes of the whole message */
	size_t  max_mime_depth;		/* nesting of multiparts and message/rfc822 */
	size_t  max_parts;		/* MIME parts visited */
	size_t  max_header_length;	/* one header, unfolded */
	size_t  max_headers;		/* header fields of the top-level message */
	size_t  max_line_length;	/* a line of a text part that is searched */
	size_t  max_attachment_size;	/* decoded bytes of one part */
	size_t  max_unpacked_size;	/* bytes of all ZIP members together */
	size_t  max_zip_entries;	/* members of one ZIP */
	size_t  max_certificates;	/* certificates kept from one message */
	size_t  max_links;		/* candidate links examined */
};

#define LIMIT_MESSAGE_SIZE	(10 * 1024 * 1024)
#define LIMIT_MIME_DEPTH	16
#define LIMIT_PARTS		256
#define MAIL_DELIMITERS_PER_PART 4	/* lines starting "--" per part allowed */
#define LIMIT_HEADER_LENGTH	(64 * 1024)
#define LIMIT_HEADERS		1000
#define LIMIT_LINE_LENGTH	(64 * 1024)
#define LIMIT_ATTACHMENT_SIZE	(5 * 1024 * 1024)
#define LIMIT_UNPACKED_SIZE	(8 * 1024 * 1024)
#define LIMIT_ZIP_ENTRIES	64
#define LIMIT_CERTIFICATES	32
#define LIMIT_LINKS		512

void parse_limits_default(struct parse_limits *limits);

#endif
