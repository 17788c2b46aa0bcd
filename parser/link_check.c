/*
 * NAME
 *	link_check - is an approval link https to a host of the CA profile?
 * SYNOPSIS
 *	#include "links.h"
 *
 *	int link_check(const char *url, const struct strlist *hosts,
 *		       char *why, size_t why_len)
 * DESCRIPTION
 *	A small, strict reading of a URL, made to refuse rather than to
 *	understand: the link must be printable ASCII without spaces or
 *	backslashes (a browser reads '\' as '/'), start with "https://", and
 *	its authority (up to the first '/', '?' or '#') must be exactly one
 *	of hosts, compared without regard to case.  So refused are:
 *	http: and javascript: links, relative links, user information
 *	("host@evil.example"), a port that the list does not name,
 *	percent-encoded or non-ASCII host names (IDN look-alikes must come
 *	as punycode, and then they are not on the list), a host with a
 *	trailing dot, and any host that merely begins or ends like a listed
 *	one ("secure.example.com.evil.example").
 *
 *	Returns 0 when the link may be believed, else -1 with why.
 * LICENSE
 *	See the README of mailcert.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "links.h"

static int fail(char *why, size_t why_len, const char *what)
{
	snprintf(why, why_len, "%s", what);
	return -1;
}

static int plain_ascii(const char *url)
{
	const unsigned char *p;

	for (p = (const unsigned char *) url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

static int host_chars_ok(const char *host, size_t len)
{
	size_t  i;

	for (i = 0; i < len; i++) {
		char    c = host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		      || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* check_authority - the host[:port] part, before comparing it to hosts */

static int check_authority(const char *auth, size_t len, char *why, size_t why_len)
{
	const char *colon = memchr(auth, ':', len);
	size_t  host_len = colon ? (size_t) (colon - auth) : len;
	size_t  i;

	if (len == 0)
		return fail(why, why_len, "has no host");
	if (memchr(auth, '@', len))
		return fail(why, why_len, "has user information before the host (user@host)");
	if (memchr(auth, '%', len))
		return fail(why, why_len, "has percent-encoding in the host");
	if (host_len == 0 || !host_chars_ok(auth, host_len))
		return fail(why, why_len, "has a host with characters other than letters, digits, '.' and '-'");
	if (auth[host_len - 1] == '.' || auth[0] == '.')
		return fail(why, why_len, "has a host that begins or ends with a dot");
	if (colon) {
		for (i = host_len + 1; i < len; i++)
			if (auth[i] < '0' || auth[i] > '9')
				return fail(why, why_len, "has a bad port");
		if (host_len + 1 == len)
			return fail(why, why_len, "has an empty port");
	}
	return 0;
}

int link_check(const char *url, const struct strlist *hosts, char *why, size_t why_len)
{
	const char *auth;
	size_t  len;
	size_t  i;

	if (!plain_ascii(url))
		return fail(why, why_len, "holds white space, control or non-ASCII characters");
	if (strchr(url, '\\'))
		return fail(why, why_len, "holds a backslash");
	if (strncasecmp(url, "https://", 8) != 0)
		return fail(why, why_len, "is not https");
	auth = url + 8;
	len = strcspn(auth, "/?#");
	if (check_authority(auth, len, why, why_len) < 0)
		return -1;
	for (i = 0; i < hosts->count; i++)
		if (strlen(hosts->items[i]) == len && strncasecmp(hosts->items[i], auth, len) == 0)
			return 0;
	snprintf(why, why_len, "goes to %.*s, which is not on the profile's link_hosts",
		 (int) (len < 200 ? len : 200), auth);
	return -1;
}
