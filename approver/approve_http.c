/*
 * NAME
 *	approve_http - one exchange with the CA's site, with libcurl
 * SYNOPSIS
 *	#include "approve.h"
 *
 *	int approve_http_exchange(const struct approve_url *url,
 *				  const char *post_body,
 *				  const struct approve_action *action,
 *				  const struct approve_http_options *opts,
 *				  struct approve_response *resp, struct strbuf *why)
 *	void approve_response_clear(struct approve_response *resp)
 * DESCRIPTION
 *	approve_http_exchange() requests url (checked by approve_url_check())
 *	with GET, or with a form POST of post_body (already encoded), and
 *	follows redirects itself: curl's own following is off, and each
 *	Location goes through approve_url_check() like the link did (https,
 *	a host of the profile, not a reject link in normal form) before it
 *	is requested.  Only https is
 *	allowed to curl, for the request and for redirects; the peer's
 *	certificate and name are verified against opts->trust_store (a file
 *	or a directory of roots; NULL: the system's); the whole exchange
 *	has opts->timeout seconds; a body over opts->max_response bytes
 *	aborts the transfer.  A 301, 302 or 303 after a POST continues with
 *	GET, as browsers do.
 *
 *	Returns APPROVE_DONE when a final (non-redirect) response arrived:
 *	resp then holds its status, status line, body and URL, and the
 *	caller decides what the page means.  APPROVE_RETRY for what may
 *	pass later (network, TLS, timeout, size), APPROVE_REFUSED for what
 *	never will (a redirect off the list, to a reject link, too many):
 *	why says which.  resp is cleared with approve_response_clear().
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "approve.h"
#include "mymalloc.h"

#define USER_AGENT	"mailcert (domain control validation for its operator)"

/* What the callbacks of one transfer share. */
struct transfer {
	struct approve_response *resp;
	size_t  max_response;
	int     too_big;
};

void approve_response_clear(struct approve_response *resp)
{
	sb_free(&resp->body);
	free(resp->final_url);
	memset(resp, 0, sizeof(*resp));
}

static size_t on_body(char *data, size_t size, size_t count, void *arg)
{
	struct transfer *tr = arg;
	size_t len = size * count;

	if (len > tr->max_response || tr->resp->body.len > tr->max_response - len) {
		tr->too_big = 1;
		return 0;			/* aborts the transfer */
	}
	sb_append(&tr->resp->body, data, len);
	return len;
}

/* on_header - keep the last status line ("HTTP/1.1 500 Oops") */

static size_t on_header(char *data, size_t size, size_t count, void *arg)
{
	struct transfer *tr = arg;
	size_t len = size * count;
	size_t keep = len;
	size_t i;

	if (len < 5 || memcmp(data, "HTTP/", 5) != 0)
		return len;
	while (keep > 0 && (data[keep - 1] == '\r' || data[keep - 1] == '\n'))
		keep--;
	if (keep > APPROVE_MAX_STATUS_LINE)
		keep = APPROVE_MAX_STATUS_LINE;
	for (i = 0; i < keep; i++)
		tr->resp->status_line[i] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '?';
	tr->resp->status_line[keep] = 0;
	return len;
}

/* set_trust - verification on, with the configured roots */

static void set_trust(CURL *curl, const char *trust_store)
{
	struct stat st;

	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (trust_store == NULL)
		return;
	if (stat(trust_store, &st) == 0 && S_ISDIR(st.st_mode))
		curl_easy_setopt(curl, CURLOPT_CAPATH, trust_store);
	else
		curl_easy_setopt(curl, CURLOPT_CAINFO, trust_store);
}

/* set_fixed_options - what every request of the exchange shares */

static void set_fixed_options(CURL *curl, struct transfer *tr, const struct approve_http_options *opts,
			              char *errbuf)
{
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(curl, CURLOPT_COOKIEFILE, "");	/* in memory, this exchange only */
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) opts->max_response);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, tr);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, tr);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	set_trust(curl, opts->trust_store);
}

/* set_request - the URL, the method and what is left of the time */

static void set_request(CURL *curl, const struct approve_url *url, const char *post_body,
			        time_t deadline)
{
	long left = (long) (deadline - time(NULL));

	if (left < 1)
		left = 1;
	curl_easy_setopt(curl, CURLOPT_CURLU, url->handle);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, left);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, left);
	if (post_body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long) strlen(post_body));
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
}

static int is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* next_hop - check the Location of a redirect; APPROVE_DONE with next set */

static int next_hop(CURL *curl, const struct approve_action *action, struct approve_response *resp,
		            struct approve_url *next, struct strbuf *why)
{
	char *location = NULL;
	struct strbuf reason = STRBUF_INIT;

	curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
	if (location == NULL) {
		sb_appendf(why, "HTTP %ld redirect without a usable Location", resp->status);
		return APPROVE_RETRY;
	}
	if (++resp->hops > APPROVE_MAX_REDIRECTS) {
		sb_appendf(why, "more than %d redirects", APPROVE_MAX_REDIRECTS);
		return APPROVE_REFUSED;
	}
	if (approve_url_check(location, action, next, &reason) < 0) {
		sb_appendf(why, "redirect to %.300s not followed: %s", location, sb_str(&reason));
		sb_free(&reason);
		return APPROVE_REFUSED;
	}
	return APPROVE_DONE;
}

/* perform_one - one request; APPROVE_DONE when a response arrived */

static int perform_one(CURL *curl, struct transfer *tr, const char *errbuf, struct strbuf *why)
{
	CURLcode rc;

	sb_reset(&tr->resp->body);
	tr->resp->status_line[0] = 0;
	tr->resp->status = 0;
	rc = curl_easy_perform(curl);
	if (tr->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		sb_appendf(why, "response larger than %zu bytes", tr->max_response);
		return APPROVE_RETRY;
	}
	if (rc != CURLE_OK) {
		sb_appendf(why, "%s%s%s", curl_easy_strerror(rc), *errbuf ? ": " : "", errbuf);
		return APPROVE_RETRY;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &tr->resp->status);
	return APPROVE_DONE;
}

int approve_http_exchange(const struct approve_url *url, const char *post_body,
			          const struct approve_action *action,
			          const struct approve_http_options *opts,
			          struct approve_response *resp, struct strbuf *why)
{
	char errbuf[CURL_ERROR_SIZE];
	struct transfer tr;
	struct approve_url hop;
	struct approve_url next;
	const struct approve_url *cur = url;
	time_t deadline = time(NULL) + (opts->timeout > 0 ? opts->timeout : 30);
	CURL *curl;
	int rc;

	memset(resp, 0, sizeof(*resp));
	memset(&hop, 0, sizeof(hop));
	memset(&tr, 0, sizeof(tr));
	tr.resp = resp;
	tr.max_response = opts->max_response;
	errbuf[0] = 0;
	if ((curl = curl_easy_init()) == NULL) {
		sb_appends(why, "cannot start libcurl");
		return APPROVE_RETRY;
	}
	set_fixed_options(curl, &tr, opts, errbuf);
	for (;;) {
		set_request(curl, cur, post_body, deadline);
		if ((rc = perform_one(curl, &tr, errbuf, why)) != APPROVE_DONE)
			break;
		if (!is_redirect(resp->status))
			break;
		if ((rc = next_hop(curl, action, resp, &next, why)) != APPROVE_DONE)
			break;
		if (resp->status != 307 && resp->status != 308)
			post_body = NULL;
		approve_url_clear(&hop);
		hop = next;
		cur = &hop;
	}
	if (rc == APPROVE_DONE)
		resp->final_url = xstrdup(cur->text);
	curl_easy_cleanup(curl);
	approve_url_clear(&hop);
	return rc;
}
