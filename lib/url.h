/*
 * url.h - the one URL parser of mailcert (libcurl's CURLU), and the
 * normal form links are compared in.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_URL_H
#define MAILCERT_URL_H

#include <stddef.h>

#include "strbuf.h"
#include "strlist.h"

#define URL_MAX_LENGTH		4096	/* bytes of a URL we look at */
#define URL_DECODE_ROUNDS	8	/* escapes of escapes decoded, at most */

struct url {
	char   *scheme;			/* lower case */
	char   *host;			/* lower case */
	int     port;			/* given, else the scheme's (443, 80) */
	int     port_given;
	char   *path;			/* normal form (see url.c), at least "/" */
	char   *query;			/* escapes in normal form, NULL when none */
	char   *fragment;		/* as written, NULL when none */
	char   *normal;			/* scheme://[userinfo@]host[:port]path[?query] */
	int     has_userinfo;		/* user, password or options were given */
};

/* Parse text strictly; 0, or -1 with why (the url is cleared). */
int url_parse(const char *text, struct url *url, struct strbuf *why);
void url_clear(struct url *url);

/* https, no user information, a plain host (LDH labels or dotted IPv4)
 * that is one of hosts ("host" for port 443, or "host:port"); 0, or -1
 * with why. */
int url_check_https_host(const struct url *url, const struct strlist *hosts, struct strbuf *why);

/* The names of the query's parameters, as a server reads them: split at
 * '&' and at ';', each name decoded until nothing changes (url_decode_all),
 * in order, repeats kept. */
void url_query_names(const struct url *url, struct strlist *names);
/* How many parameters named name (so read, case-insensitive) the query
 * has. */
size_t url_query_count(const struct url *url, const char *name);
/* url->normal without the parameters whose name (so read) is in drop; a
 * query left empty goes with its '?'. */
char *url_normal_without(const struct url *url, const struct strlist *drop);

/* The normal form of a path: escapes of unreserved characters decoded,
 * other escapes in upper case, dot segments removed (RFC 3986 6.2.2). */
char *url_normal_path(const char *path);

/* text with every %XX decoded (NUL as '?'), for refusing what a server
 * might decode further. */
char *url_decode_all(const char *text);
/* localhost, 127.0.0.0/8 or ::1 (bracketed or not) */
int url_host_is_loopback(const char *host);

#endif
