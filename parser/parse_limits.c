/*
 * NAME
 *	parse_limits - the default bounds on hostile mail
 * SYNOPSIS
 *	void parse_limits_default(struct parse_limits *limits)
 * DESCRIPTION
 *	Fills limits with the LIMIT_* values of parse_limits.h.  The milter lowers
 *	max_message_size to [milter] max_message_size.
 * SPDX-License-Identifier: ISC
 */
#include "parse_limits.h"

void parse_limits_default(struct parse_limits *limits)
{
	limits->max_message_size = LIMIT_MESSAGE_SIZE;
	limits->max_mime_depth = LIMIT_MIME_DEPTH;
	limits->max_parts = LIMIT_PARTS;
	limits->max_header_length = LIMIT_HEADER_LENGTH;
	limits->max_headers = LIMIT_HEADERS;
	limits->max_line_length = LIMIT_LINE_LENGTH;
	limits->max_attachment_size = LIMIT_ATTACHMENT_SIZE;
	limits->max_unpacked_size = LIMIT_UNPACKED_SIZE;
	limits->max_zip_entries = LIMIT_ZIP_ENTRIES;
	limits->max_certificates = LIMIT_CERTIFICATES;
	limits->max_links = LIMIT_LINKS;
}
