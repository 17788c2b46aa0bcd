/*
 * NAME
 *	approve_url - which URLs mailcert may request for the operator
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_url_check(const char *url, const struct strlist *hosts,
 *			      struct approve_url *out, struct strbuf *why)
 *	int approve_url_derive(const struct approve_url *base, const char *path,
 *			       const struct strlist *hosts, struct approve_url *out,
 *			       struct strbuf *why)
 *	int approve_url_host_allowed(const char *host, int port,
 *				     const struct strlist *hosts)
 *	int approve_url_is_reject(const char *url, const struct strlist *reject)
 *	void approve_url_clear(struct approve_url *url)
 * DESCRIPTION
 *	approve_url_check() parses url with libcurl's URL API (the parser
 *	curl itself will use) and accepts it only when it is printable
 *	ASCII of at most APPROVE_MAX_URL bytes, its host part holds no
 *	percent-encoding and no backslash, its scheme is https, it has
 *	no user name, password or login options, its host is a plain DNS
 *	name or IPv4 address on the profile's list hosts, and its port is
 *	443 or, for a list entry "host:port", that port.  Host names are
 *	compared whole and without regard to case; there are no wildcards.
 *	On success out holds the parsed handle (given to curl as is, so the
 *	host checked is the host connected to) and returns 0; otherwise -1
 *	with the reason in why.
 *
 *	approve_url_derive() is the same URL with its path replaced by path
 *	and no query or fragment: where a form is posted.
 *
 *	approve_url_is_reject() is 1 when any PCRE2 pattern of reject
 *	matches the URL as given or its percent-decoded form, ignoring
 *	case (and when a pattern does not compile: fail closed): such a
 *	URL (a CA's "reject this order" link) is never requested, whatever
 *	the mode.
 * LICENSE
 *	See the README of mailcert.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "approve.h"
#include "mymalloc.h"

#define HTTPS_PORT	443

void approve_url_clear(struct approve_url *url)
{
	if (url->handle)
		curl_url_cleanup(url->handle);
	free(url->text);
	free(url->host);
	memset(url, 0, sizeof(*url));
}

/* printable_ascii - no controls, no spaces, no bytes above 0x7e */

static int printable_ascii(const char *text, size_t max)
{
	size_t len = strlen(text);
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char) text[i] <= 0x20 || (unsigned char) text[i] >= 0x7f)
			return 0;
	return 1;
}

/* plain_authority - the text between "://" and the path holds no
 * percent-encoding and no backslash: what curl and a browser would take
 * for the host must be the same */

static int plain_authority(const char *url)
{
	const char *p = strstr(url, "://");
	size_t len;

	if (p == NULL)
		return 1;			/* no authority: the parser refuses it */
	p += 3;
	len = strcspn(p, "/?#");
	return memchr(p, '%', len) == NULL && memchr(p, '\\', len) == NULL;
}

/* plain_host - LDH labels or a dotted IPv4 address; nothing else
 * (no IPv6 literal, no IDN, no trailing dot, no empty label) */

static int plain_host(const char *host)
{
	const char *p;
	size_t label = 0;

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
		if (*p == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && p[-1] != '-';
}

int approve_url_host_allowed(const char *host, int port, const struct strlist *hosts)
{
	char want[300];
	size_t i;

	if (hosts == NULL)
		return 0;
	snprintf(want, sizeof(want), "%s:%d", host, port);
	for (i = 0; i < hosts->count; i++) {
		if (port == HTTPS_PORT && strcasecmp(hosts->items[i], host) == 0)
			return 1;
		if (strcasecmp(hosts->items[i], want) == 0)
			return 1;
	}
	return 0;
}

/* url_part_absent - the part is not in the URL at all */

static int url_part_absent(CURLU *h, CURLUPart part)
{
	char *value = NULL;
	CURLUcode rc;

	rc = curl_url_get(h, part, &value, 0);
	curl_free(value);
	return rc != CURLUE_OK;
}

/* url_port - the explicit port, HTTPS_PORT when none, -1 when bad */

static int url_port(CURLU *h)
{
	char *value = NULL;
	char *end;
	long port;

	if (curl_url_get(h, CURLUPART_PORT, &value, 0) != CURLUE_OK)
		return HTTPS_PORT;
	port = strtol(value, &end, 10);
	if (*end || end == value || port <= 0 || port > 65535)
		port = -1;
	curl_free(value);
	return (int) port;
}

/* check_parsed - the rules on a parsed URL; fills out's host and port */

static int check_parsed(CURLU *h, const struct strlist *hosts, struct approve_url *out,
			        struct strbuf *why)
{
	char *scheme = NULL;
	char *host = NULL;
	char *p;
	int rc = -1;

	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
	    || strcasecmp(scheme, "https") != 0) {
		sb_appendf(why, "scheme %s is not https", scheme ? scheme : "(none)");
		goto out;
	}
	if (!url_part_absent(h, CURLUPART_USER) || !url_part_absent(h, CURLUPART_PASSWORD)
	    || !url_part_absent(h, CURLUPART_OPTIONS)) {
		sb_appends(why, "a user name or password in the URL");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !plain_host(host)) {
		sb_appendf(why, "host \"%s\" is not a plain host name", host ? host : "");
		goto out;
	}
	for (p = host; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	if ((out->port = url_port(h)) < 0) {
		sb_appends(why, "bad port");
		goto out;
	}
	if (!approve_url_host_allowed(host, out->port, hosts)) {
		sb_appendf(why, "host %s port %d is not on the CA profile's link_hosts", host, out->port);
		goto out;
	}
	out->host = xstrdup(host);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	return rc;
}

/* finish - take the handle and its normalized text into out */

static int finish(CURLU *h, struct approve_url *out, struct strbuf *why)
{
	char *text = NULL;

	if (curl_url_get(h, CURLUPART_URL, &text, 0) != CURLUE_OK) {
		sb_appends(why, "cannot rebuild the URL");
		return -1;
	}
	out->text = xstrdup(text);
	curl_free(text);
	out->handle = h;
	return 0;
}

int approve_url_check(const char *url, const struct strlist *hosts, struct approve_url *out,
		              struct strbuf *why)
{
	CURLU *h;

	memset(out, 0, sizeof(*out));
	if (url == NULL || !printable_ascii(url, APPROVE_MAX_URL)) {
		sb_appends(why, "not a printable ASCII URL of bounded length");
		return -1;
	}
	if (!plain_authority(url)) {
		sb_appends(why, "percent-encoding or a backslash in the host part");
		return -1;
	}
	if ((h = curl_url()) == NULL) {
		sb_appends(why, "out of memory");
		return -1;
	}
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
		sb_appends(why, "not a URL");
		goto fail;
	}
	if (check_parsed(h, hosts, out, why) < 0 || finish(h, out, why) < 0)
		goto fail;
	return 0;
fail:
	curl_url_cleanup(h);
	approve_url_clear(out);
	return -1;
}

int approve_url_derive(const struct approve_url *base, const char *path,
		               const struct strlist *hosts, struct approve_url *out, struct strbuf *why)
{
	CURLU *h;

	memset(out, 0, sizeof(*out));
	if (path == NULL || *path != '/' || path[1] == '/' || !printable_ascii(path, APPROVE_MAX_URL)) {
		sb_appends(why, "the profile's post path is not an absolute path");
		return -1;
	}
	if ((h = curl_url_dup(base->handle)) == NULL) {
		sb_appends(why, "out of memory");
		return -1;
	}
	if (curl_url_set(h, CURLUPART_PATH, path, 0) != CURLUE_OK
	    || curl_url_set(h, CURLUPART_QUERY, NULL, 0) != CURLUE_OK
	    || curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK) {
		sb_appends(why, "cannot build the post URL");
		goto fail;
	}
	if (check_parsed(h, hosts, out, why) < 0 || finish(h, out, why) < 0)
		goto fail;
	return 0;
fail:
	curl_url_cleanup(h);
	approve_url_clear(out);
	return -1;
}

/* decoded - the URL with %XX sequences decoded, NULs kept out */

static char *decoded(const char *url)
{
	char *out = xmalloc(strlen(url) + 1);
	char *q = out;
	const char *p;
	char hex[3] = {0, 0, 0};

	for (p = url; *p; p++) {
		if (*p == '%' && isxdigit((unsigned char) p[1]) && isxdigit((unsigned char) p[2])) {
			hex[0] = p[1];
			hex[1] = p[2];
			*q = (char) strtol(hex, NULL, 16);
			if (*q == 0)
				*q = '?';
			q++;
			p += 2;
			continue;
		}
		*q++ = *p;
	}
	*q = 0;
	return out;
}

int approve_url_is_reject(const char *url, const struct strlist *reject)
{
	char *plain;
	char *twice;
	int hit;

	if (url == NULL || reject == NULL || reject->count == 0)
		return 0;
	plain = decoded(url);
	twice = decoded(plain);
	hit = approve_patterns_match(reject, url, NULL, 0) != 0
	    || approve_patterns_match(reject, plain, NULL, 0) != 0
	    || approve_patterns_match(reject, twice, NULL, 0) != 0;
	free(plain);
	free(twice);
	return hit;
}
