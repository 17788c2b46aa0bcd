/*
 * NAME
 *	mime_walk - visit every part of a message, within the limits
 * SYNOPSIS
 *	#include "mail.h"
 *
 *	void mime_walk(GMimeObject *top, const struct parse_limits *limits,
 *		       struct mail *mail, struct certbundle *certs)
 * DESCRIPTION
 *	Visits multiparts and embedded messages depth first, at most
 *	max_mime_depth deep and max_parts parts in all.  Each leaf part is
 *	decoded (base64, quoted-printable, uuencode: GMime) and then:
 *
 *	an attachment	(a file name, Content-Disposition: attachment, or
 *			any application/ type) goes to certbundle_add_attachment(),
 *			at most max_attachment_size bytes of it;
 *	a text part	is converted to UTF-8 and goes to certbundle_add_text();
 *			text/plain and text/html are also read as a person
 *			would: their text, its Unicode punctuation normalised
 *			(text_norm.c) once, is added to mail->text (lines cut at
 *			max_line_length) and their links to mail->links (at
 *			most max_links; for HTML the hrefs, entities decoded,
 *			and the URLs of the visible text).
 *
 *	S/MIME signatures (application/pkcs7-signature) are not certificate
 *	deliveries and are skipped; other types (images...) are ignored.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "links.h"
#include "mail.h"
#include "text_norm.h"

#define WHERE_MAX	128		/* bytes of a part's description */

/* One walk over one message. */
struct walk {
	const struct parse_limits *limits;
	struct mail *mail;
	struct certbundle *certs;
	int     stopped;		/* max_parts reached: visit no more */
};

/* Leaf part facts. */
struct leaf {
	GMimePart *part;
	const char *type;		/* media type, e.g. "text" */
	const char *subtype;
	const char *filename;		/* from the header, untrusted, or NULL */
	char    where[WHERE_MAX];	/* printable description for notes */
};

/* describe - "part N" (the certificate search adds the file name) or
 * "part N (type/subtype)" */

static void describe(struct leaf *leaf, size_t number)
{
	if (leaf->filename)
		snprintf(leaf->where, sizeof(leaf->where), "part %zu", number);
	else
		snprintf(leaf->where, sizeof(leaf->where), "part %zu (%.30s/%.30s)", number,
			 leaf->type, leaf->subtype);
}

static int is_signature(const struct leaf *leaf)
{
	return strcasecmp(leaf->type, "application") == 0
	    && (strcasecmp(leaf->subtype, "pkcs7-signature") == 0
		|| strcasecmp(leaf->subtype, "x-pkcs7-signature") == 0);
}

static int is_attachment(const struct leaf *leaf)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(GMIME_OBJECT(leaf->part));

	if (leaf->filename && *leaf->filename)
		return 1;
	if (disp && g_mime_content_disposition_is_attachment(disp))
		return 1;
	return strcasecmp(leaf->type, "application") == 0;
}

/* decoded_bytes - the content without transfer encoding; *keep is the
 * stream that holds it, for the caller to unref */

static GByteArray *decoded_bytes(GMimePart *part, GMimeStream **keep)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem;

	if (content == NULL)
		return NULL;
	mem = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(content, mem) < 0) {
		g_object_unref(mem);
		return NULL;
	}
	*keep = mem;
	return g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
}

static void read_attachment(struct walk *w, struct leaf *leaf)
{
	GMimeStream *mem = NULL;
	GByteArray *bytes = decoded_bytes(leaf->part, &mem);
	size_t  len;

	if (bytes == NULL) {
		strlist_addf(&w->mail->notes, "%s: could not be decoded", leaf->where);
		return;
	}
	len = bytes->len;
	if (len > w->limits->max_attachment_size) {
		char    what[WHERE_MAX + 64];

		snprintf(what, sizeof(what), "%s was cut to max_attachment_size", leaf->where);
		mail_limit(w->mail, "max_attachment_size", what);
		len = w->limits->max_attachment_size;
	}
	certbundle_add_attachment(w->certs, leaf->filename ? leaf->filename : "", bytes->data, len,
				  leaf->where, w->limits);
	g_object_unref(mem);
}

/* append_lines - text to mail->text, each line cut at max_line_length */

static void append_lines(struct walk *w, const char *text, size_t len)
{
	struct strbuf *out = &w->mail->text;
	size_t  max = w->limits->max_line_length;
	size_t  i = 0;
	size_t  line;
	int     cut = 0;

	if (out->len)
		sb_append(out, "\n\n", 2);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t  end = nl ? (size_t) (nl - text) + 1 : len;

		line = end - i;
		if (line > max) {
			sb_append(out, text + i, max);
			sb_append(out, "\n", 1);
			cut = 1;
		} else {
			sb_append(out, text + i, line);
		}
		i = end;
	}
	if (out->data == NULL)
		sb_append(out, "", 0);
	if (cut)
		mail_limit(w->mail, "max_line_length", "a line of a text part was cut");
}

static void note_links_full(struct walk *w, int full)
{
	if (full)
		mail_limit(w->mail, "max_links", "links past the limit were not examined");
}

static void read_html(struct walk *w, const char *html, size_t len)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf plain = STRBUF_INIT;
	struct strlist hrefs = STRLIST_INIT;
	size_t  i;
	int     full;

	full = html_hrefs(html, len, &hrefs, w->limits->max_links);
	for (i = 0; i < hrefs.count && !full; i++)
		full = links_add_href(&w->mail->links, hrefs.items[i], w->limits->max_links);
	html_to_text(html, len, &text);
	text_normalize(text.data, text.len, &plain);
	if (!full)
		full = links_in_text(plain.data, plain.len, &w->mail->links, w->limits->max_links);
	note_links_full(w, full);
	append_lines(w, plain.data, plain.len);
	sb_free(&text);
	sb_free(&plain);
	strlist_free(&hrefs);
}

static void read_plain(struct walk *w, const char *text, size_t len)
{
	struct strbuf plain = STRBUF_INIT;

	text_normalize(text, len, &plain);
	note_links_full(w, links_in_text(plain.data, plain.len, &w->mail->links, w->limits->max_links));
	append_lines(w, plain.data, plain.len);
	sb_free(&plain);
}

static void read_text(struct walk *w, struct leaf *leaf)
{
	char   *text;
	size_t  len;

	if (!GMIME_IS_TEXT_PART(leaf->part))
		return read_attachment(w, leaf);
	if ((text = g_mime_text_part_get_text(GMIME_TEXT_PART(leaf->part))) == NULL)
		return;
	len = strlen(text);
	if (len > w->limits->max_attachment_size) {
		mail_limit(w->mail, "max_attachment_size", "a text part was cut to max_attachment_size");
		len = w->limits->max_attachment_size;
	}
	certbundle_add_text(w->certs, text, len, leaf->where, w->limits);
	if (strcasecmp(leaf->subtype, "html") == 0) {
		read_html(w, text, len);
	} else if (strcasecmp(leaf->subtype, "plain") == 0) {
		read_plain(w, text, len);
	}
	g_free(text);
}

static void read_leaf(struct walk *w, GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	struct leaf leaf;

	memset(&leaf, 0, sizeof(leaf));
	leaf.part = part;
	leaf.type = ct ? g_mime_content_type_get_media_type(ct) : "text";
	leaf.subtype = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
	leaf.type = leaf.type ? leaf.type : "application";
	leaf.subtype = leaf.subtype ? leaf.subtype : "octet-stream";
	leaf.filename = g_mime_part_get_filename(part);
	describe(&leaf, w->mail->parts);
	if (is_signature(&leaf))
		strlist_addf(&w->mail->notes, "%s: an S/MIME signature, not a delivery", leaf.where);
	else if (is_attachment(&leaf))
		read_attachment(w, &leaf);
	else if (strcasecmp(leaf.type, "text") == 0)
		read_text(w, &leaf);
}

static void walk_object(struct walk *w, GMimeObject *obj, size_t depth)
{
	GMimeMessage *inner;
	int     i;

	if (obj == NULL || w->stopped)
		return;
	if (depth > w->limits->max_mime_depth) {
		mail_limit(w->mail, "max_mime_depth", "parts nested deeper were not read");
		return;
	}
	if (++w->mail->parts > w->limits->max_parts) {
		mail_limit(w->mail, "max_parts", "parts past the limit were not read");
		w->stopped = 1;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		for (i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
			walk_object(w, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner)
			walk_object(w, g_mime_message_get_mime_part(inner), depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		read_leaf(w, GMIME_PART(obj));
	}
}

void mime_walk(GMimeObject *top, const struct parse_limits *limits, struct mail *mail,
	       struct certbundle *certs)
{
	struct walk w;

	w.limits = limits;
	w.mail = mail;
	w.certs = certs;
	w.stopped = 0;
	walk_object(&w, top, 0);
}
