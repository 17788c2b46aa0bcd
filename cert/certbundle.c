/*
 * NAME
 *	certbundle - the certificates found in one message
 * SYNOPSIS
 *	#include "certbundle.h"
 *
 *	void certbundle_init(struct certbundle *bundle)
 *	void certbundle_add_text(struct certbundle *bundle, const char *text,
 *				 size_t len, const char *where,
 *				 const struct parse_limits *limits)
 *	void certbundle_add_attachment(struct certbundle *bundle,
 *				       const char *filename,
 *				       const unsigned char *data, size_t len,
 *				       const char *where,
 *				       const struct parse_limits *limits)
 *	void certbundle_free(struct certbundle *bundle)
 *	const char *cert_role_name(enum cert_role role)
 * DESCRIPTION
 *	certbundle_add_text() keeps the certificates of every PEM block
 *	(CERTIFICATE, PKCS7) in a text part, lines ending in CRLF or LF,
 *	indented or quoted.  where names the part ("part 3") for source
 *	labels and notes.
 *
 *	certbundle_add_attachment() keeps the certificates of one attachment.
 *	The file name says what to expect (.crt .cer .cert .pem .der
 *	.ca-bundle: certificates, PEM or DER; .p7b .p7c: PKCS#7, PEM or DER;
 *	.zip: a ZIP whose members are read the same way); without a known
 *	extension the content decides (ZIP magic, PEM text, a DER SEQUENCE),
 *	and so it does for a .zip that is not one (SSL.com names its PEM
 *	bundle for nginx .zip).
 *	The name is only a label: nothing touches the file system.  A file
 *	that claims to be a certificate and holds none gets the note
 *	"WHERE (NAME): not a certificate".
 *
 *	Decoding costs more than anything else here, so it is bounded before
 *	it is done: once max_certificates are kept nothing more is decoded,
 *	and at most CERTBUNDLE_DECODES_PER_KEPT times max_certificates
 *	certificates are decoded at all, refused ones included
 *	(certbundle_may_decode(), asked before each).
 *
 *	A certificate whose key or signature mailcert does not accept
 *	(cert_acceptable(): too small or too large a key, an exponent meant
 *	to make checks slow, a SHA-1 signature) is not kept, with a note:
 *	no signature is ever checked with such a key.  A certificate already
 *	kept (same SHA-256) is kept once.  Past
 *	limits->max_certificates nothing more is kept and limit_hit is
 *	"max_certificates"; an attachment over max_attachment_size is
 *	skipped with limit_hit "max_attachment_size".  limit_hit names the
 *	first limit reached; notes say what was skipped and why (at most
 *	CERTBUNDLE_MAX_NOTES of them).
 *
 *	certbundle_free() frees the certificates and notes; the bundle may
 *	be initialised and used again.
 * SEE ALSO
 *	cert_decode.c (PEM, DER, PKCS#7), zip_bundle.c (ZIP),
 *	chain_order.c (certbundle_order), cert_describe.c (the fields).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certbundle_int.h"
#include "mymalloc.h"
#include "strbuf.h"

enum file_kind {
	FILE_UNKNOWN = 0,		/* sniff the content */
	FILE_CERTS,			/* certificates or PKCS#7, PEM or DER */
	FILE_ZIP,
};

/* What a file name promises, by extension (compared without case). */
static const struct {
	const char *ext;
	enum file_kind kind;
} file_kinds[] = {
	{".crt", FILE_CERTS},
	{".cer", FILE_CERTS},
	{".cert", FILE_CERTS},
	{".pem", FILE_CERTS},
	{".der", FILE_CERTS},
	{".ca-bundle", FILE_CERTS},
	{".p7b", FILE_CERTS},
	{".p7c", FILE_CERTS},
	{".zip", FILE_ZIP},
};

void certbundle_init(struct certbundle *bundle)
{
	memset(bundle, 0, sizeof(*bundle));
}

void certbundle_free(struct certbundle *bundle)
{
	size_t  i;

	for (i = 0; i < bundle->count; i++)
		cert_found_clear(&bundle->certs[i]);
	free(bundle->certs);
	strlist_free(&bundle->notes);
	memset(bundle, 0, sizeof(*bundle));
}

const char *cert_role_name(enum cert_role role)
{
	switch (role) {
	case CERT_ROLE_LEAF:
		return "leaf";
	case CERT_ROLE_INTERMEDIATE:
		return "intermediate";
	case CERT_ROLE_ROOT:
		return "root";
	default:
		return "unknown";
	}
}

void certbundle_note(struct certbundle *bundle, const char *fmt, ...)
{
	va_list ap;
	char    line[512];

	if (bundle->notes.count > CERTBUNDLE_MAX_NOTES)
		return;
	if (bundle->notes.count == CERTBUNDLE_MAX_NOTES) {
		strlist_add(&bundle->notes, "more notes left out");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	strlist_add(&bundle->notes, line);
}

void certbundle_limit(struct certbundle *bundle, const char *limit)
{
	if (bundle->limit_hit == NULL)
		bundle->limit_hit = limit;
}

int certbundle_may_decode(struct certbundle *bundle, const char *label,
			  const struct parse_limits *limits)
{
	size_t  budget = limits->max_certificates * CERTBUNDLE_DECODES_PER_KEPT;

	if (bundle->count >= limits->max_certificates && bundle->limit_hit)
		return 0;			/* noted by certbundle_take() */
	if (bundle->decoded >= budget) {
		if (bundle->decoded++ == budget)
			certbundle_note(bundle, "%s: more than %zu certificates decoded, the rest not read",
					label, budget);
		certbundle_limit(bundle, "max_certificates");
		return 0;
	}
	bundle->decoded++;
	return 1;
}

char   *certbundle_clean_name(const char *name)
{
	char   *clean;
	size_t  i;

	if (name == NULL)
		return xstrdup("");
	clean = xstrndup(name, strnlen(name, CERTBUNDLE_MAX_LABEL));
	for (i = 0; clean[i]; i++)
		if ((unsigned char) clean[i] < 0x20 || (unsigned char) clean[i] > 0x7e)
			clean[i] = '?';
	return clean;
}

/* already_kept - index of the certificate with this hash, or -1 */
static long already_kept(const struct certbundle *bundle, const char *sha256)
{
	size_t  i;

	for (i = 0; i < bundle->count; i++)
		if (strcmp(bundle->certs[i].sha256, sha256) == 0)
			return (long) i;
	return -1;
}

int certbundle_take(struct certbundle *bundle, X509 *cert, const char *source,
		    const struct parse_limits *limits)
{
	struct cert_found found;
	char    why[160];

	if (!cert_acceptable(cert, why, sizeof(why))) {
		certbundle_note(bundle, "%s: a certificate with %s, refused", source, why);
		X509_free(cert);
		return 0;
	}
	if (cert_describe(&found, cert, source) != 0) {
		certbundle_note(bundle, "%s: a certificate that cannot be hashed", source);
		return 0;
	}
	if (already_kept(bundle, found.sha256) >= 0) {
		cert_found_clear(&found);
		return 1;
	}
	if (bundle->count >= limits->max_certificates) {
		if (bundle->limit_hit == NULL || strcmp(bundle->limit_hit, "max_certificates") != 0)
			certbundle_note(bundle, "%s: more than %zu certificates, the rest left out",
					source, limits->max_certificates);
		certbundle_limit(bundle, "max_certificates");
		cert_found_clear(&found);
		return 0;
	}
	if (bundle->count == bundle->cap) {
		bundle->cap = bundle->cap ? bundle->cap * 2 : 8;
		bundle->certs = xrealloc(bundle->certs, bundle->cap * sizeof(*bundle->certs));
	}
	bundle->certs[bundle->count++] = found;
	return 1;
}

/* kind_by_name - what the extension of name promises */
static enum file_kind kind_by_name(const char *name)
{
	size_t  len;
	size_t  ext_len;
	size_t  i;

	if (name == NULL)
		return FILE_UNKNOWN;
	len = strlen(name);
	for (i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++) {
		ext_len = strlen(file_kinds[i].ext);
		if (len > ext_len && strcasecmp(name + len - ext_len, file_kinds[i].ext) == 0)
			return file_kinds[i].kind;
	}
	return FILE_UNKNOWN;
}

/* has_pem_marker - does data hold a PEM "-----BEGIN " line? */
static int has_pem_marker(const unsigned char *data, size_t len)
{
	static const char marker[] = "-----BEGIN ";
	size_t  mlen = sizeof(marker) - 1;
	size_t  i;

	for (i = 0; i + mlen <= len; i++)
		if (data[i] == '-' && memcmp(data + i, marker, mlen) == 0)
			return 1;
	return 0;
}

static int is_zip(const unsigned char *data, size_t len)
{
	return len >= 4 && memcmp(data, "PK\003\004", 4) == 0;
}

/* certs_in_file - PEM text or DER, whichever it is */
static size_t certs_in_file(struct certbundle *bundle, const unsigned char *data, size_t len,
			    const char *label, const struct parse_limits *limits)
{
	if (has_pem_marker(data, len))
		return cert_decode_pem_text(bundle, (const char *) data, len, label, limits);
	if (len > 0 && data[0] == 0x30)
		return cert_decode_der(bundle, data, len, label, limits);
	return 0;
}

/* zip_in_file - a ZIP, unless nested too deep */
static size_t zip_in_file(struct certbundle *bundle, const unsigned char *data, size_t len,
			  const char *label, int zip_depth, const struct parse_limits *limits)
{
	if (zip_depth > CERTBUNDLE_MAX_ZIP_DEPTH) {
		certbundle_note(bundle, "%s: a ZIP nested too deep, not read", label);
		return 0;
	}
	return zip_bundle_read(bundle, data, len, label, zip_depth, limits);
}

size_t certbundle_add_file(struct certbundle *bundle, const char *name,
			   const unsigned char *data, size_t len, const char *label,
			   int zip_depth, const struct parse_limits *limits)
{
	enum file_kind kind = kind_by_name(name);
	size_t  seen;

	if (is_zip(data, len) && (kind == FILE_ZIP || kind == FILE_UNKNOWN))
		return zip_in_file(bundle, data, len, label, zip_depth, limits);
	seen = certs_in_file(bundle, data, len, label, limits);
	if (seen == 0 && kind == FILE_CERTS)
		certbundle_note(bundle, "%s: not a certificate", label);
	else if (seen == 0 && kind == FILE_ZIP)
		certbundle_note(bundle, "%s: not a ZIP archive, and no certificate in it", label);
	return seen;
}

void certbundle_add_text(struct certbundle *bundle, const char *text, size_t len,
			 const char *where, const struct parse_limits *limits)
{
	char   *label;

	label = certbundle_clean_name(where ? where : "text");
	if (len > limits->max_attachment_size) {
		certbundle_note(bundle, "%s: %zu bytes, over max_attachment_size, not searched",
				label, len);
		certbundle_limit(bundle, "max_attachment_size");
	} else if (has_pem_marker((const unsigned char *) text, len)) {
		cert_decode_pem_text(bundle, text, len, label, limits);
	}
	free(label);
}

void certbundle_add_attachment(struct certbundle *bundle, const char *filename,
			       const unsigned char *data, size_t len,
			       const char *where, const struct parse_limits *limits)
{
	char   *clean_where = certbundle_clean_name(where ? where : "attachment");
	char   *clean_name = certbundle_clean_name(filename);
	struct strbuf label = STRBUF_INIT;

	if (filename != NULL && *filename)
		sb_appendf(&label, "%s (%s)", clean_where, clean_name);
	else
		sb_appends(&label, clean_where);
	if (len > limits->max_attachment_size) {
		certbundle_note(bundle, "%s: %zu bytes, over max_attachment_size, not read",
				sb_str(&label), len);
		certbundle_limit(bundle, "max_attachment_size");
	} else {
		certbundle_add_file(bundle, filename, data, len, sb_str(&label), 0, limits);
	}
	sb_free(&label);
	free(clean_where);
	free(clean_name);
}
