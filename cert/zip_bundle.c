/*
 * NAME
 *	zip_bundle - certificates in a ZIP, bytes really unpacked counted
 * SYNOPSIS
 *	#include "certbundle_int.h"
 *
 *	size_t zip_bundle_read(struct certbundle *bundle,
 *			       const unsigned char *data, size_t len,
 *			       const char *label, int zip_depth,
 *			       const struct parse_limits *limits)
 * DESCRIPTION
 *	Reads the ZIP in data (from memory, with libarchive) and hands each
 *	regular member to certbundle_add_file() as "LABEL: MEMBER", one ZIP
 *	level deeper.  Member names are labels only, cleaned of anything
 *	but printable ASCII: "../../etc/passwd" is as harmless as any other
 *	name, since nothing touches the file system.
 *
 *	The sizes a ZIP header claims are never believed: the bytes
 *	libarchive actually decompresses are counted as they come, against
 *	limits->max_attachment_size for one member and against
 *	limits->max_unpacked_size for all ZIPs of the message together
 *	(bundle->unpacked_total).  Members are counted against
 *	limits->max_zip_entries.  At a limit the ZIP is left, limit_hit names
 *	the limit and a note says where.  A damaged or encrypted ZIP gets a
 *	note; what was read before the damage is kept.
 *
 *	Returns the number of certificates decoded.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "certbundle_int.h"
#include "mymalloc.h"
#include "strbuf.h"

#define ZIP_CHUNK	16384

enum member_status {
	MEMBER_OK,
	MEMBER_BAD,			/* this member unreadable: go on */
	MEMBER_STOP,			/* a limit or a broken archive: leave */
};

/* unpack_member - the current member's bytes, counted as they come */
static enum member_status unpack_member(struct certbundle *bundle, struct archive *ar,
					const char *label, struct strbuf *out,
					const struct parse_limits *limits)
{
	unsigned char chunk[ZIP_CHUNK];
	la_ssize_t got;

	while ((got = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t) got > limits->max_attachment_size) {
			certbundle_note(bundle, "%s: unpacks to more than max_attachment_size (%zu bytes)",
					label, limits->max_attachment_size);
			certbundle_limit(bundle, "max_attachment_size");
			return MEMBER_STOP;
		}
		if (bundle->unpacked_total + (size_t) got > limits->max_unpacked_size) {
			certbundle_note(bundle, "%s: ZIP contents over max_unpacked_size (%zu bytes)",
					label, limits->max_unpacked_size);
			certbundle_limit(bundle, "max_unpacked_size");
			return MEMBER_STOP;
		}
		bundle->unpacked_total += (size_t) got;
		sb_append(out, chunk, (size_t) got);
	}
	if (got < 0) {
		certbundle_note(bundle, "%s: cannot unpack: %s", label,
				archive_error_string(ar) ? archive_error_string(ar) : "error");
		return got == ARCHIVE_FATAL ? MEMBER_STOP : MEMBER_BAD;
	}
	return MEMBER_OK;
}

/* member_label - "LABEL: MEMBER", the member's name cleaned */
static void member_label(struct strbuf *out, const char *label, struct archive_entry *entry)
{
	const char *name = archive_entry_pathname(entry);
	char   *clean = certbundle_clean_name(name ? name : "(no name)");

	sb_reset(out);
	sb_appendf(out, "%s: %s", label, clean);
	free(clean);
}

/* read_members - every member until the end, a limit or damage */
static size_t read_members(struct certbundle *bundle, struct archive *ar, const char *label,
			   int zip_depth, const struct parse_limits *limits)
{
	struct archive_entry *entry;
	struct strbuf name = STRBUF_INIT;
	struct strbuf data = STRBUF_INIT;
	enum member_status status = MEMBER_OK;
	size_t  entries = 0;
	size_t  seen = 0;
	int     rc;

	while ((rc = archive_read_next_header(ar, &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
		if (++entries > limits->max_zip_entries) {
			certbundle_note(bundle, "%s: more than max_zip_entries (%zu) members, the rest left out",
					label, limits->max_zip_entries);
			certbundle_limit(bundle, "max_zip_entries");
			break;
		}
		if (archive_entry_filetype(entry) != AE_IFREG)
			continue;
		member_label(&name, label, entry);
		sb_reset(&data);
		if ((status = unpack_member(bundle, ar, sb_str(&name), &data, limits)) == MEMBER_STOP)
			break;
		if (status == MEMBER_OK)
			seen += certbundle_add_file(bundle, archive_entry_pathname(entry),
						    (const unsigned char *) data.data, data.len,
						    sb_str(&name), zip_depth + 1, limits);
	}
	if (status != MEMBER_STOP && rc != ARCHIVE_EOF && rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		certbundle_note(bundle, "%s: damaged ZIP: %s", label,
				archive_error_string(ar) ? archive_error_string(ar) : "error");
	sb_free(&name);
	sb_free(&data);
	return seen;
}

size_t zip_bundle_read(struct certbundle *bundle, const unsigned char *data, size_t len,
		       const char *label, int zip_depth, const struct parse_limits *limits)
{
	struct archive *ar;
	size_t  seen = 0;

	if (bundle->unpacked_total >= limits->max_unpacked_size) {
		certbundle_note(bundle, "%s: max_unpacked_size already reached, ZIP not read", label);
		certbundle_limit(bundle, "max_unpacked_size");
		return 0;
	}
	if ((ar = archive_read_new()) == NULL)
		return 0;
	if (archive_read_support_format_zip(ar) != ARCHIVE_OK
	    || archive_read_open_memory(ar, data, len) != ARCHIVE_OK)
		certbundle_note(bundle, "%s: not a readable ZIP: %s", label,
				archive_error_string(ar) ? archive_error_string(ar) : "error");
	else
		seen = read_members(bundle, ar, label, zip_depth, limits);
	archive_read_free(ar);
	return seen;
}
