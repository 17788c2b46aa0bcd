/*
 * NAME
 *	approve_url - which URLs the approver may request for the operator
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_url_check(const char *url, const struct approve_action *action,
 *			      struct approve_url *out, struct strbuf *why)
 *	int approve_link_check(const char *url, const struct approve_action *action,
 *			       struct approve_url *out, struct strbuf *why)
 *	int approve_url_derive(const struct approve_url *base, const char *path,
 *			       const struct approve_action *action,
 *			       struct approve_url *out, struct strbuf *why)
 *	void approve_url_clear(struct approve_url *url)
 * DESCRIPTION
 *	approve_url_check() reads url with the parser's own URL reader
 *	(url.c: libcurl's URL API, the normal form of RFC 3986) and accepts
 *	it only when url_check_https_host() does (https, no user
 *	information, a plain host on the profile's link_hosts, its port) and
 *	the profile's approval_link_kind() does not call it a reject link
 *	(its normal form, or that form fully decoded, matches a reject
 *	pattern): such a URL is never requested, whatever the mode.  On
 *	success out holds the normal form, parsed again for curl (so the
 *	host checked is the host connected to and the path requested is the
 *	normal path), and 0 is returned; otherwise -1 with why.
 *
 *	approve_link_check() is that and more, for the approval link itself
 *	(what auto mode requests first, what a person is mailed or shown):
 *	its normal form must be the profile's approval link (its path the
 *	approval path), as the parser decided when it chose it.  A row of the
 *	intake's ledger that was rewritten to another page of a CA host is so
 *	never requested, mailed or shown as a link.  Redirects on the way are
 *	checked with approve_url_check() only.
 *
 *	approve_url_derive() is the same URL with its path replaced by path
 *	and no query or fragment, checked the same way: where a form is
 *	posted.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "classify.h"
#include "mymalloc.h"
#include "url.h"

void approve_url_clear(struct approve_url *url)
{
	if (url->handle)
		curl_url_cleanup(url->handle);
	free(url->text);
	free(url->host);
	memset(url, 0, sizeof(*url));
}

int approve_url_check(const char *text, const struct approve_action *action,
		      struct approve_url *out, struct strbuf *why)
{
	struct url url;
	char   *normal = NULL;
	int     rc = -1;

	memset(out, 0, sizeof(*out));
	if (text == NULL || strlen(text) > APPROVE_MAX_URL) {
		sb_appends(why, "no URL, or one longer than the approver takes");
		return -1;
	}
	if (url_parse(text, &url, why) < 0)
		return -1;
	if (url_check_https_host(&url, action->link_hosts, why) < 0)
		goto out;
	if (action->ca && approval_link_kind(action->ca, text, &normal) == LINK_REJECT) {
		sb_appends(why, "is a reject link of the CA; never requested");
		goto out;
	}
	if ((out->handle = curl_url()) == NULL
	    || curl_url_set(out->handle, CURLUPART_URL, url.normal, 0) != CURLUE_OK) {
		sb_appends(why, "cannot hand the URL to libcurl");
		goto out;
	}
	out->text = xstrdup(url.normal);
	out->host = xstrdup(url.host);
	out->port = url.port;
	rc = 0;
out:
	free(normal);
	url_clear(&url);
	if (rc < 0)
		approve_url_clear(out);
	return rc;
}

int approve_link_check(const char *text, const struct approve_action *action,
		       struct approve_url *out, struct strbuf *why)
{
	struct strlist reasons = STRLIST_INIT;
	char   *normal = NULL;
	enum link_kind kind;

	if (approve_url_check(text, action, out, why) < 0)
		return -1;
	kind = action->ca ? approval_link_kind(action->ca, out->text, &normal) : LINK_OTHER;
	free(normal);
	if (kind != LINK_APPROVAL) {
		sb_appends(why, "is not the CA's approval link (its path is not the profile's approval path)");
		approve_url_clear(out);
		return -1;
	}
	if (approval_query_check(action->ca, out->text, &reasons) < 0) {
		sb_appendf(why, "says two things: %s", reasons.items[0]);
		strlist_free(&reasons);
		approve_url_clear(out);
		return -1;
	}
	return 0;
}

int approve_url_derive(const struct approve_url *base, const char *path,
		       const struct approve_action *action, struct approve_url *out,
		       struct strbuf *why)
{
	struct strbuf text = STRBUF_INIT;
	int     rc;

	memset(out, 0, sizeof(*out));
	if (path == NULL || *path != '/' || path[1] == '/' || strpbrk(path, "?#") != NULL) {
		sb_appends(why, "the profile's post path is not an absolute path");
		return -1;
	}
	sb_appendf(&text, "https://%s", base->host);
	if (base->port != 443)
		sb_appendf(&text, ":%d", base->port);
	sb_appends(&text, path);
	rc = approve_url_check(text.data, action, out, why);
	sb_free(&text);
	return rc;
}
