/*
 * test_approve_url - which URLs the approver may request (approve_url.c:
 * the profile's link_hosts through url.c, never a reject link of the
 * profile), where a form is posted (approve_url_derive), what the action
 * of a loaded profile holds (approve_profile.c) and how the CA's pages
 * are read (approve_page.c: the one HTML converter, compiled patterns
 * with match limits).
 *
 * Table-driven with the sectigo profile as parser_new() loads it; a
 * refusal must also say why.
 * SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "check.h"
#include "parser.h"
#include "profiles.h"

#define STP "secure.trust-provider.com"

struct url_case {
	const char *name;
	const char *url;
	const char *why;		/* NULL: accepted; else part of the reason */
	const char *text;		/* when accepted: the normal form requested */
	int     port;
};

#define NOT_LISTED "not on the profile's link_hosts"
#define REJECT "reject link"

static const struct url_case sectigo_cases[] = {
	{"sectigo link accepted", "https://" STP "/products/EnterDCVCode?orderNumber=123", NULL,
	 "https://" STP "/products/EnterDCVCode?orderNumber=123", 443},
	{"host compared without case", "https://SECURE.Trust-Provider.COM/products/EnterDCVCode", NULL,
	 "https://" STP "/products/EnterDCVCode", 443},
	{"HTTPS upper case scheme accepted", "HTTPS://" STP "/x", NULL, "https://" STP "/x", 443},
	{"explicit port 443 accepted, dropped", "https://" STP ":443/x", NULL, "https://" STP "/x", 443},
	{"the normal form is requested", "https://" STP "/a/../products/./%45nterDCVCode?orderNumber=1#top",
	 NULL, "https://" STP "/products/EnterDCVCode?orderNumber=1", 443},
	{"an older host of the profile accepted", "https://secure.comodo.net/products/EnterDCVCode", NULL,
	 "https://secure.comodo.net/products/EnterDCVCode", 443},
	{"http refused", "http://" STP "/products/EnterDCVCode", "not https", NULL, 0},
	{"ftp refused", "ftp://" STP "/x", "not https", NULL, 0},
	{"javascript refused", "javascript:alert(1)", "not an absolute URL", NULL, 0},
	{"no scheme refused", "//" STP "/x", "not an absolute URL", NULL, 0},
	{"bare host refused", STP "/x", "not an absolute URL", NULL, 0},
	{"other host refused", "https://evil.example/products/EnterDCVCode", NOT_LISTED, NULL, 0},
	{"suffix trick refused", "https://" STP ".evil.example/x", NOT_LISTED, NULL, 0},
	{"prefix trick refused", "https://evil" STP "/x", NOT_LISTED, NULL, 0},
	{"sub-domain refused", "https://www." STP "/x", NOT_LISTED, NULL, 0},
	{"other port refused", "https://" STP ":8443/x", NOT_LISTED, NULL, 0},
	{"trailing dot refused", "https://" STP "./x", "not a plain host name", NULL, 0},
	{"IPv6 literal refused", "https://[::1]/x", "not a plain host name", NULL, 0},
	{"userinfo refused", "https://user@" STP "/x", "user information", NULL, 0},
	{"user and password refused", "https://u:p@" STP "/x", "user information", NULL, 0},
	{"allowed host as userinfo refused", "https://" STP "@evil.example/x", "user information", NULL, 0},
	{"backslash userinfo refused", "https://evil.example\\@" STP "/x", "backslash", NULL, 0},
	{"percent-encoded host refused", "https://secure%2etrust-provider.com/x", "percent-encoding",
	 NULL, 0},
	{"space refused", "https://" STP "/a b", "white space", NULL, 0},
	{"CR LF refused", "https://" STP "/x\r\nHost: evil", "white space", NULL, 0},
	{"non-ASCII refused", "https://secure.trust-prov\xc3\xaf" "der.com/x", "non-ASCII", NULL, 0},
	{"empty refused", "", NULL, NULL, 0},
	{"reject link refused", "https://" STP "/products/RejectDCVCode?orderNumber=1&dcvCode=x", REJECT,
	 NULL, 0},
	{"reject link refused without case", "https://" STP "/products/rejectdcvcode?x", REJECT, NULL, 0},
	{"\"./\" reject link refused", "https://" STP "/products/./RejectDCVCode?orderNumber=1", REJECT,
	 NULL, 0},
	{"percent-encoded reject link refused", "https://" STP "/products/%52ejectDCVCode?x", REJECT,
	 NULL, 0},
	{"doubly encoded reject link refused", "https://" STP "/products/%2552ejectDCVCode?x", REJECT,
	 NULL, 0},
	{"\"..\" from the approval path to Reject refused",
	 "https://" STP "/products/EnterDCVCode/../RejectDCVCode?orderNumber=1", REJECT, NULL, 0},
	{"action=reject refused", "https://" STP "/products/EnterDCVCode?orderNumber=1&action=reject",
	 REJECT, NULL, 0},
	{"reject path in the fragment refused",
	 "https://" STP "/products/EnterDCVCode#/products/RejectDCVCode", REJECT, NULL, 0},
};

/* one_case - approve_url_check() as the case says; the accepted URL's
 * curl handle is its normal form */

static void one_case(const struct url_case *c, const struct approve_action *action)
{
	struct approve_url url;
	struct strbuf why = STRBUF_INIT;
	char    name[200];
	char   *curl_text = NULL;
	int     rc;

	memset(&url, 0x5a, sizeof(url));	/* what it does not set is seen */
	rc = approve_url_check(c->url, action, &url, &why);
	if (!check_int(rc, c->text ? 0 : -1, c->name)) {
		printf("# why: %s\n", sb_str(&why));
		if (rc == 0)
			approve_url_clear(&url);
		sb_free(&why);
		return;
	}
	if (c->text) {
		snprintf(name, sizeof(name), "%s: the normal form", c->name);
		check_str(url.text, c->text, name);
		snprintf(name, sizeof(name), "%s: port", c->name);
		check_int(url.port, c->port, name);
		snprintf(name, sizeof(name), "%s: what curl requests", c->name);
		if (curl_url_get(url.handle, CURLUPART_URL, &curl_text, 0) != CURLUE_OK)
			curl_text = NULL;
		check_str(curl_text, c->text, name);
		curl_free(curl_text);
		approve_url_clear(&url);
	} else {
		snprintf(name, sizeof(name), "%s: says why", c->name);
		if (c->why)
			check_contains(sb_str(&why), c->why, name);
		else
			check_true(why.len > 0, name);
		snprintf(name, sizeof(name), "%s: nothing kept", c->name);
		check_true(url.handle == NULL && url.text == NULL && url.host == NULL, name);
	}
	sb_free(&why);
}

static void test_sectigo_urls(const struct approve_action *sectigo)
{
	size_t  i;

	for (i = 0; i < sizeof(sectigo_cases) / sizeof(sectigo_cases[0]); i++)
		one_case(&sectigo_cases[i], sectigo);
}

/* With a list of its own: ports, and the reject rule without the hosts. */
static const struct url_case port_cases[] = {
	{"port on the list accepted", "https://127.0.0.1:8443/products/EnterDCVCode", NULL,
	 "https://127.0.0.1:8443/products/EnterDCVCode", 8443},
	{"port not on the list refused", "https://127.0.0.1:8444/x", NOT_LISTED, NULL, 0},
	{"host:port entry does not allow 443", "https://127.0.0.1/x", NOT_LISTED, NULL, 0},
	{"the profile's own host is not on this list", "https://" STP "/x", NOT_LISTED, NULL, 0},
	{"the profile's reject link refused on any host", "https://127.0.0.1:8443/products/RejectDCVCode",
	 REJECT, NULL, 0},
};

static void test_port_urls(const struct approve_action *sectigo)
{
	struct strlist hosts = STRLIST_INIT;
	struct approve_action action = *sectigo;
	size_t  i;

	strlist_add(&hosts, "127.0.0.1:8443");
	action.link_hosts = &hosts;
	for (i = 0; i < sizeof(port_cases) / sizeof(port_cases[0]); i++)
		one_case(&port_cases[i], &action);
	strlist_clear(&hosts);
	one_case(&(struct url_case) {"empty host list refuses all", "https://" STP "/x", NOT_LISTED, NULL, 0},
		 &action);
	strlist_free(&hosts);
}

static void test_refusal_reasons(const struct approve_action *sectigo)
{
	struct approve_url url;
	struct strbuf why = STRBUF_INIT;
	struct strbuf longer = STRBUF_INIT;

	approve_url_check("https://evil.example/x", sectigo, &url, &why);
	check_contains(sb_str(&why), "evil.example", "host refusal names the host");
	sb_reset(&why);
	approve_url_check("https://" STP ":8443/x", sectigo, &url, &why);
	check_contains(sb_str(&why), "trust-provider.com:8443", "port refusal names the port");
	sb_reset(&why);
	sb_appends(&longer, "https://" STP "/products/EnterDCVCode?x=");
	while (longer.len <= APPROVE_MAX_URL)
		sb_append(&longer, "a", 1);
	check_int(approve_url_check(longer.data, sectigo, &url, &why), -1,
		  "a URL longer than APPROVE_MAX_URL refused");
	check_true(why.len > 0, "a URL longer than APPROVE_MAX_URL: says why");
	sb_reset(&why);
	check_int(approve_url_check(NULL, sectigo, &url, &why), -1, "no URL refused");
	sb_free(&why);
	sb_free(&longer);
}

static void derive_is(const struct approve_url *base, const char *path,
		      const struct approve_action *action, const char *want, const char *name)
{
	struct approve_url post;
	struct strbuf why = STRBUF_INIT;
	char    label[200];
	int     rc = approve_url_derive(base, path, action, &post, &why);

	if (check_int(rc, want ? 0 : -1, name) && want) {
		snprintf(label, sizeof(label), "%s: URL", name);
		check_str(post.text, want, label);
	} else if (rc < 0) {
		snprintf(label, sizeof(label), "%s: says why", name);
		check_true(why.len > 0, label);
	}
	if (rc == 0)
		approve_url_clear(&post);
	sb_free(&why);
}

static void test_derive(const struct approve_action *sectigo)
{
	struct strlist hosts = STRLIST_INIT;
	struct approve_action action = *sectigo;
	struct approve_url link;
	struct strbuf why = STRBUF_INIT;

	if (check_int(approve_url_check("https://" STP "/products/EnterDCVCode?orderNumber=9#top",
					sectigo, &link, &why), 0, "derive: sectigo link parses")) {
		derive_is(&link, "/products/EnterDCVCode2", sectigo,
			  "https://" STP "/products/EnterDCVCode2", "derive: port 443 not written");
		approve_url_clear(&link);
	}
	strlist_add(&hosts, "127.0.0.1:8443");
	action.link_hosts = &hosts;
	if (!check_int(approve_url_check("https://127.0.0.1:8443/products/EnterDCVCode?orderNumber=9#top",
					 &action, &link, &why), 0, "derive: link parses"))
		goto out;
	derive_is(&link, "/products/EnterDCVCode2", &action,
		  "https://127.0.0.1:8443/products/EnterDCVCode2",
		  "derive: same host and port, new path, no query or fragment");
	derive_is(&link, "products/x", &action, NULL, "derive: relative post path refused");
	derive_is(&link, "//evil.example/x", &action, NULL, "derive: network-path post path refused");
	derive_is(&link, "/x?y=1", &action, NULL, "derive: post path with a query refused");
	derive_is(&link, "/x#y", &action, NULL, "derive: post path with a fragment refused");
	derive_is(&link, "/x/../products/RejectDCVCode", &action, NULL,
		  "derive: a post path that is a reject link refused");
	derive_is(&link, NULL, &action, NULL, "derive: no post path refused");
	approve_url_clear(&link);
out:
	strlist_free(&hosts);
	sb_free(&why);
}

static void test_action(const struct parser *parser, const struct approve_action *a)
{
	struct approve_action none;

	check_str(a->profile, "sectigo", "action: the profile's name");
	check_int(a->method, APPROVE_FORM_POST, "action: sectigo posts a form");
	check_str(a->post_path, "/products/EnterDCVCode2", "action: the post path");
	check_true(a->link_hosts && strlist_contains_nocase(a->link_hosts, STP),
		   "action: the profile's link_hosts");
	check_true(a->ca == parser_find_profile(parser, "sectigo"), "action: the profile, for reject links");
	check_int(a->success ? (long long) a->success->compiled : -1, 2,
		  "action: two success patterns, compiled");
	check_int(a->failure ? (long long) a->failure->compiled : -1, 2,
		  "action: two failure patterns, compiled");
	check_int(approve_action_for(parser, "no-such-ca", &none), -1, "action: unknown profile refused");
	check_int(approve_action_for(parser, NULL, &none), -1, "action: no profile name refused");
}

static void test_page(const struct approve_action *a)
{
	const char html[] = "<html><body><p>You have <b>entered</b>\n\t the correct&nbsp;Domain "
	    "Control Validation code.</p></body></html>";
	const char hidden[] = "<html><head><style>p:after{content:'Your certificate will now be "
	    "issued'}</style><script>var s='You have entered the correct Domain Control Validation "
	    "code';</script></head><body><!-- Your certificate will now be issued -->"
	    "<p>Invalid&#32;Validation\n Code</p></body></html>";
	char    what[80];
	char   *text;

	text = approve_page_text(html, sizeof(html) - 1);
	check_str(text, "You have entered the correct Domain Control Validation code.",
		  "page text: tags dropped, spaces collapsed, entities decoded");
	check_int(approve_patterns_match(a->success, text, what, sizeof(what)), 1, "success pattern matches");
	check_str(what, "You have entered the correct Domain Control Validation code",
		  "matched text returned");
	check_int(approve_patterns_match(a->failure, text, NULL, 0), 0, "success page is no failure");
	free(text);
	text = approve_page_text(hidden, sizeof(hidden) - 1);
	check_str(text, "Invalid Validation Code", "page text: no style, script or comment");
	check_int(approve_patterns_match(a->success, text, NULL, 0), 0,
		  "success words in a script, style or comment do not count");
	check_int(approve_patterns_match(a->failure, text, what, sizeof(what)), 1, "failure page matches");
	check_str(what, "Invalid Validation Code", "failure text returned");
	free(text);
	check_int(approve_patterns_match(a->success, "YOUR CERTIFICATE WILL NOW BE ISSUED", NULL, 0), 1,
		  "patterns ignore case");
	check_int(approve_patterns_match(a->success, NULL, NULL, 0), 0, "no text matches nothing");
	check_int(approve_patterns_match(NULL, "anything", NULL, 0), 0, "no patterns match nothing");
	text = approve_page_text("text <b unclosed", 16);
	check_str(text, "text", "unclosed tag dropped to the end");
	free(text);
}

/* test_match_limits - a match that needs more steps than
 * PATTERN_MATCH_LIMIT is no match (PCRE2's own default limit would let
 * this one match, after about a million steps), and the next pattern of
 * the list still runs */

static void test_match_limits(void)
{
	struct pattern_list list;
	struct strbuf err = STRBUF_INIT;
	char    text[32];
	char    what[16];

	memset(text, 'a', 20);
	strcpy(text + 20, "c");
	pattern_list_init(&list);
	pattern_list_add(&list, "^(?:(a+)+x|a+c$)", 1);
	if (!check_int(pattern_list_compile(&list, "test", &err), 0, "limits: patterns compile"))
		goto out;
	check_int(approve_patterns_match(&list, text, NULL, 0), 0,
		  "limits: a match past PATTERN_MATCH_LIMIT is no match");
	pattern_list_add(&list, "a{3}c$", 2);
	if (!check_int(pattern_list_compile(&list, "test", &err), 0, "limits: a second pattern compiles"))
		goto out;
	check_int(approve_patterns_match(&list, text, what, sizeof(what)), 1,
		  "limits: the next pattern is still tried");
	check_str(what, "aaac", "limits: what the next pattern matched");
out:
	pattern_list_free(&list);
	sb_free(&err);
}

int main(void)
{
	struct config *cfg = config_defaults();
	struct strbuf err = STRBUF_INIT;
	struct parser *parser = parser_new(cfg, &err);
	struct approve_action sectigo;

	if (parser == NULL || approve_action_for(parser, "sectigo", &sectigo) < 0) {
		check_report(0, "the sectigo profile loads", sb_str(&err));
		return 1;
	}
	test_action(parser, &sectigo);
	test_sectigo_urls(&sectigo);
	test_port_urls(&sectigo);
	test_refusal_reasons(&sectigo);
	test_derive(&sectigo);
	test_page(&sectigo);
	test_match_limits();
	parser_free(parser);
	config_free(cfg);
	sb_free(&err);
	return check_done();
}
