/*
 * NAME
 *	url - parse a URL with libcurl's CURLU and put it in normal form
 * SYNOPSIS
 *	#include "url.h"
 *
 *	int url_parse(const char *text, struct url *url, struct strbuf *why)
 *	int url_check_https_host(const struct url *url,
 *				 const struct strlist *hosts, struct strbuf *why)
 *	void url_query_names(const struct url *url, struct strlist *names)
 *	size_t url_query_count(const struct url *url, const char *name)
 *	char *url_normal_without(const struct url *url,
 *				 const struct strlist *drop)
 *	int url_host_is_loopback(const char *host)
 *	char *url_normal_path(const char *path)
 *	char *url_decode_all(const char *text)
 *	void url_clear(struct url *url)
 * DESCRIPTION
 *	The parser (which link of a mail is the approval link) and the
 *	approver (which URL it requests) read URLs with this one function,
 *	so both see the same host and the same path.
 *
 *	url_parse() refuses rather than guesses: the text must be printable
 *	ASCII of at most URL_MAX_LENGTH bytes without a backslash (a browser
 *	reads it as '/'), of the form scheme://authority (two slashes, no
 *	more, no fewer), its authority may hold no percent-encoding, and
 *	libcurl's URL API must accept it as an absolute URL.  The parts are
 *	then put in the normal form of RFC 3986 section 6.2.2: scheme and
 *	host in lower case; in the path, an escape of an unreserved
 *	character (ALPHA, DIGIT, "-", ".", "_", "~") decoded and every other
 *	escape in upper case; then the dot segments "." and ".." removed (so
 *	"/products/./%52eject" and "/x/../products/Reject" are both
 *	"/products/Reject"); the query's escapes likewise, without decoding;
 *	the fragment kept aside.  url->normal is the whole URL so, without
 *	the fragment: what a server is asked for.
 *
 *	url_check_https_host() is the rule for a link mailcert may believe
 *	or request: https, no user information, a plain host name or dotted
 *	IPv4 address (no IDN, no IPv6 literal, no trailing dot) that is on
 *	hosts exactly, compared without case, "host" meaning port 443.
 *
 *	url_query_names() reads the query as a server would: parameters
 *	split at '&' and at ';', each name decoded until nothing changes
 *	("order%254Eumber" is "orderNumber").  url_query_count() counts the
 *	parameters of one name so read: a CA's link names its order once.
 *	url_normal_without() is the normal form without some parameters
 *	(presentation parameters a CA adds), the rest joined with '&'.
 *
 *	url_host_is_loopback() is 1 for localhost, an address of
 *	127.0.0.0/8 and ::1 (bracketed or not): the one test of "this
 *	machine" for plain IMAP and the web view's Host.
 *
 *	url_decode_all() decodes every escape, again and again (at most
 *	URL_DECODE_ROUNDS times) until nothing changes: "%2552" is "R", as
 *	a server that decodes twice would read it.  It is for comparing with
 *	patterns, never for a URL to request.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "mymalloc.h"
#include "url.h"

void url_clear(struct url *url)
{
	free(url->scheme);
	free(url->host);
	free(url->path);
	free(url->query);
	free(url->fragment);
	free(url->normal);
	memset(url, 0, sizeof(*url));
}

static int printable_ascii(const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *) text; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/* authority_start - where the authority begins in "scheme://authority",
 * the only form taken (libcurl would also take one or three slashes, and
 * so read a host where no browser does); NULL for any other form */

static const char *authority_start(const char *text)
{
	const char *p = text;

	if (!isalpha((unsigned char) *p))
		return NULL;
	while (isalnum((unsigned char) *p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0 || p[3] == '/' || p[3] == 0)
		return NULL;
	return p + 3;
}

/* plain_authority - no '%' between "//" and the path */

static int plain_authority(const char *authority)
{
	return memchr(authority, '%', strcspn(authority, "/?#")) == NULL;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* normal_escapes - decode escapes of unreserved characters (when decode
 * is set), upper-case the rest */

static void normal_escapes(const char *in, int decode, struct strbuf *out)
{
	const char *p;
	int     hi;
	int     lo;
	char    esc[8];

	for (p = in; *p; p++) {
		if (*p == '%' && (hi = hex_value((unsigned char) p[1])) >= 0
		    && (lo = hex_value((unsigned char) p[2])) >= 0) {
			int     c = hi * 16 + lo;

			if (decode && unreserved(c)) {
				char    ch = (char) c;

				sb_append(out, &ch, 1);
			} else {
				snprintf(esc, sizeof(esc), "%%%02X", (unsigned) c & 0xFFu);
				sb_append(out, esc, 3);
			}
			p += 2;
			continue;
		}
		sb_append(out, p, 1);
	}
	if (out->data == NULL)
		sb_append(out, "", 0);
}

/* remove_last_segment - "/a/b" becomes "/a" (RFC 3986 5.2.4) */

static void remove_last_segment(struct strbuf *out)
{
	while (out->len > 0 && out->data[out->len - 1] != '/')
		out->len--;
	if (out->len > 0)
		out->len--;
	out->data[out->len] = 0;
}

/* remove_dot_segments - RFC 3986 5.2.4, one pass over the input */

static char *remove_dot_segments(const char *in)
{
	struct strbuf out = STRBUF_INIT;
	const char *p = in;
	size_t  seg;

	sb_append(&out, "", 0);
	while (*p) {
		if (strncmp(p, "../", 3) == 0)
			p += 3;
		else if (strncmp(p, "./", 2) == 0)
			p += 2;
		else if (strncmp(p, "/./", 3) == 0)
			p += 2;
		else if (strcmp(p, "/.") == 0)
			p = "/";
		else if (strncmp(p, "/../", 4) == 0) {
			p += 3;
			remove_last_segment(&out);
		} else if (strcmp(p, "/..") == 0) {
			p = "/";
			remove_last_segment(&out);
		} else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
			p += strlen(p);
		else {
			seg = strcspn(p + 1, "/") + 1;
			sb_append(&out, p, seg);
			p += seg;
		}
	}
	if (out.len == 0)
		sb_append(&out, "/", 1);
	return sb_steal(&out);
}

char   *url_normal_path(const char *path)
{
	struct strbuf decoded = STRBUF_INIT;
	char   *normal;

	normal_escapes(path && *path ? path : "/", 1, &decoded);
	normal = remove_dot_segments(decoded.data);
	sb_free(&decoded);
	return normal;
}

/* decode_once - one pass of percent-decoding in place; 1 if it changed */

static int decode_once(char *text)
{
	char   *q = text;
	const char *p;
	int     changed = 0;
	int     hi;
	int     lo;

	for (p = text; *p; p++) {
		if (*p == '%' && (hi = hex_value((unsigned char) p[1])) >= 0
		    && (lo = hex_value((unsigned char) p[2])) >= 0) {
			*q = (char) (hi * 16 + lo);
			if (*q == 0)
				*q = '?';
			q++;
			p += 2;
			changed = 1;
			continue;
		}
		*q++ = *p;
	}
	*q = 0;
	return changed;
}

char   *url_decode_all(const char *text)
{
	char   *out = xstrdup(text);
	int     round;

	for (round = 0; round < URL_DECODE_ROUNDS && decode_once(out); round++)
		continue;
	return out;
}

/* part - one part of the parsed URL as written, or NULL */

static char *part(CURLU *h, CURLUPart which)
{
	char   *value = NULL;
	char   *copy;

	if (curl_url_get(h, which, &value, 0) != CURLUE_OK || value == NULL)
		return NULL;
	copy = xstrdup(value);
	curl_free(value);
	return copy;
}

static int has_part(CURLU *h, CURLUPart which)
{
	char   *text = part(h, which);

	free(text);
	return text != NULL;
}

static void lower_case(char *s)
{
	for (; s && *s; s++)
		*s = (char) tolower((unsigned char) *s);
}

static int default_port(const char *scheme)
{
	return strcmp(scheme, "https") == 0 ? 443 : strcmp(scheme, "http") == 0 ? 80 : -1;
}

/* append_userinfo - "user[:password][;options]@" as given: kept in the
 * normal form, so that whoever reads or parses it again sees it */

static void append_userinfo(CURLU *h, struct strbuf *sb)
{
	static const CURLUPart parts[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};
	static const char *const lead[] = {"", ":", ";"};
	char   *text;
	size_t  i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if ((text = part(h, parts[i])) != NULL) {
			sb_appendf(sb, "%s%s", lead[i], text);
			free(text);
		}
	sb_appends(sb, "@");
}

/* fill - the parts of h, normalised, into url */

static int fill(CURLU *h, struct url *url, struct strbuf *why)
{
	struct strbuf sb = STRBUF_INIT;
	char   *port;
	char   *raw_path;
	char   *end;
	char   *text;
	long    n;
	int     ok;

	url->scheme = part(h, CURLUPART_SCHEME);
	url->host = part(h, CURLUPART_HOST);
	if (url->scheme == NULL || url->host == NULL || *url->host == 0) {
		sb_appends(why, "not an absolute URL with a host");
		return -1;
	}
	lower_case(url->scheme);
	lower_case(url->host);
	url->has_userinfo = has_part(h, CURLUPART_USER) || has_part(h, CURLUPART_PASSWORD)
	    || has_part(h, CURLUPART_OPTIONS);
	url->port = default_port(url->scheme);
	if ((port = part(h, CURLUPART_PORT)) != NULL) {
		n = strtol(port, &end, 10);
		ok = *end == 0 && n > 0 && n <= 65535;
		free(port);
		if (!ok) {
			sb_appends(why, "has a bad port");
			return -1;
		}
		url->port = (int) n;
		url->port_given = 1;
	}
	raw_path = part(h, CURLUPART_PATH);
	url->path = url_normal_path(raw_path);
	free(raw_path);
	if ((text = part(h, CURLUPART_QUERY)) != NULL) {
		normal_escapes(text, 0, &sb);
		url->query = sb_steal(&sb);
		free(text);
	}
	url->fragment = part(h, CURLUPART_FRAGMENT);
	sb_appendf(&sb, "%s://", url->scheme);
	if (url->has_userinfo)
		append_userinfo(h, &sb);
	sb_appends(&sb, url->host);
	if (url->port_given && url->port != default_port(url->scheme))
		sb_appendf(&sb, ":%d", url->port);
	sb_appends(&sb, url->path);
	if (url->query)
		sb_appendf(&sb, "?%s", url->query);
	url->normal = sb_steal(&sb);
	return 0;
}

int url_parse(const char *text, struct url *url, struct strbuf *why)
{
	const char *authority;
	CURLU  *h;
	int     rc = -1;

	memset(url, 0, sizeof(*url));
	if (text == NULL || *text == 0 || strlen(text) > URL_MAX_LENGTH || !printable_ascii(text)) {
		sb_appends(why, "holds white space, control or non-ASCII characters, or is too long");
		return -1;
	}
	if (strchr(text, '\\')) {
		sb_appends(why, "holds a backslash");
		return -1;
	}
	if ((authority = authority_start(text)) == NULL) {
		sb_appends(why, "is not an absolute URL of the form scheme://host/path");
		return -1;
	}
	if (!plain_authority(authority)) {
		sb_appends(why, "has percent-encoding in the host");
		return -1;
	}
	if ((h = curl_url()) == NULL) {
		sb_appends(why, "out of memory");
		return -1;
	}
	if (curl_url_set(h, CURLUPART_URL, text, CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS)
	    != CURLUE_OK)
		sb_appends(why, "is not an absolute URL");
	else
		rc = fill(h, url, why);
	curl_url_cleanup(h);
	if (rc < 0)
		url_clear(url);
	return rc;
}

/* plain_host - LDH labels or a dotted IPv4 address, nothing else */

static int plain_host(const char *host)
{
	const char *p;
	size_t  label = 0;

	if (*host == 0 || strlen(host) > 253)
		return 0;
	for (p = host; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char) *p) && *p != '-')
			return 0;
		if ((*p == '-' && label == 0) || ++label > 63)
			return 0;
	}
	return label > 0 && p[-1] != '-';
}

static int host_on_list(const struct url *url, const struct strlist *hosts)
{
	char    want[300];
	size_t  i;

	snprintf(want, sizeof(want), "%s:%d", url->host, url->port);
	for (i = 0; hosts && i < hosts->count; i++) {
		if (url->port == 443 && strcasecmp(hosts->items[i], url->host) == 0)
			return 1;
		if (strcasecmp(hosts->items[i], want) == 0)
			return 1;
	}
	return 0;
}

int url_check_https_host(const struct url *url, const struct strlist *hosts, struct strbuf *why)
{
	if (strcmp(url->scheme, "https") != 0) {
		sb_appends(why, "is not https");
		return -1;
	}
	if (url->has_userinfo) {
		sb_appends(why, "has user information before the host (user@host)");
		return -1;
	}
	if (!plain_host(url->host)) {
		sb_appends(why, "has a host that is not a plain host name");
		return -1;
	}
	if (!host_on_list(url, hosts)) {
		sb_appendf(why, "goes to %.200s", url->host);
		if (url->port_given)
			sb_appendf(why, ":%d", url->port);
		sb_appends(why, ", which is not on the profile's link_hosts");
		return -1;
	}
	return 0;
}

int url_host_is_loopback(const char *host)
{
	struct in_addr a;
	struct in6_addr a6;
	char    inner[64];
	size_t  len = host ? strlen(host) : 0;

	if (len == 0)
		return 0;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(inner)) {
		memcpy(inner, host + 1, len - 2);
		inner[len - 2] = 0;
		return inet_pton(AF_INET6, inner, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* param_name - the name of one parameter (up to '='), decoded until
 * nothing changes */

static char *param_name(const char *param, size_t len)
{
	size_t  nlen = strcspn(param, "=");
	char   *raw = xstrndup(param, nlen < len ? nlen : len);
	char   *name = url_decode_all(raw);

	free(raw);
	return name;
}

/* each_param - fn for every parameter of the query: where it is, and its
 * name as a server reads it */

static void each_param(const char *query, void (*fn) (void *ctx, const char *param, size_t len,
						     const char *name), void *ctx)
{
	const char *p = query;
	size_t  len;
	char   *name;

	while (p && *p) {
		len = strcspn(p, "&;");
		if (len > 0) {
			name = param_name(p, len);
			fn(ctx, p, len, name);
			free(name);
		}
		p += len;
		if (*p)
			p++;
	}
}

static void add_name(void *ctx, const char *param, size_t len, const char *name)
{
	(void) param;
	(void) len;
	strlist_add(ctx, name);
}

void url_query_names(const struct url *url, struct strlist *names)
{
	each_param(url->query, add_name, names);
}

size_t url_query_count(const struct url *url, const char *name)
{
	struct strlist names = STRLIST_INIT;
	size_t  count = 0;
	size_t  i;

	url_query_names(url, &names);
	for (i = 0; i < names.count; i++)
		count += strcasecmp(names.items[i], name) == 0;
	strlist_free(&names);
	return count;
}

/* The query being rebuilt without some parameters. */
struct kept {
	const struct strlist *drop;
	struct strbuf query;
};

static void keep_param(void *ctx, const char *param, size_t len, const char *name)
{
	struct kept *k = ctx;

	if (strlist_contains_nocase(k->drop, name))
		return;
	if (k->query.len)
		sb_append(&k->query, "&", 1);
	sb_append(&k->query, param, len);
}

char   *url_normal_without(const struct url *url, const struct strlist *drop)
{
	struct kept k = {drop, STRBUF_INIT};
	struct strbuf out = STRBUF_INIT;
	const char *q = strchr(url->normal, '?');

	if (url->query == NULL || drop == NULL || drop->count == 0 || q == NULL)
		return xstrdup(url->normal);
	each_param(url->query, keep_param, &k);
	sb_append(&out, url->normal, (size_t) (q - url->normal));
	if (k.query.len)
		sb_appendf(&out, "?%s", sb_str(&k.query));
	sb_free(&k.query);
	return sb_steal(&out);
}
