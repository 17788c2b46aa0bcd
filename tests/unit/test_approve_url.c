/*
 * test_approve_url - which URLs the approval worker may request
 * (approve_url.c) and how it reads the CA's pages (approve_page.c).
 *
 * Table-driven: each case is a URL, the profile's link_hosts and the
 * verdict; a refusal must also say why.
 */
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "check.h"

#define SECTIGO "secure.trust-provider.com"

struct url_case {
	const char *name;
	const char *url;
	const char *hosts;		/* space-separated link_hosts */
	int     ok;
	const char *host;		/* when ok */
	int     port;
};

static const struct url_case url_cases[] = {
	{"sectigo link accepted", "https://" SECTIGO "/products/EnterDCVCode?orderNumber=123",
	 SECTIGO, 1, SECTIGO, 443},
	{"host compared without case", "https://SECURE.Trust-Provider.COM/products/EnterDCVCode",
	 SECTIGO, 1, SECTIGO, 443},
	{"list entry compared without case", "https://" SECTIGO "/x", "Secure.Trust-Provider.com",
	 1, SECTIGO, 443},
	{"explicit port 443 accepted", "https://" SECTIGO ":443/x", SECTIGO, 1, SECTIGO, 443},
	{"port on the list accepted", "https://127.0.0.1:8443/x", "127.0.0.1:8443", 1, "127.0.0.1", 8443},
	{"http refused", "http://" SECTIGO "/products/EnterDCVCode", SECTIGO, 0, NULL, 0},
	{"HTTPS upper case scheme accepted", "HTTPS://" SECTIGO "/x", SECTIGO, 1, SECTIGO, 443},
	{"ftp refused", "ftp://" SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"javascript refused", "javascript:alert(1)", SECTIGO, 0, NULL, 0},
	{"no scheme refused", "//" SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"bare host refused", SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"other host refused", "https://evil.example/products/EnterDCVCode", SECTIGO, 0, NULL, 0},
	{"suffix trick refused", "https://" SECTIGO ".evil.example/x", SECTIGO, 0, NULL, 0},
	{"prefix trick refused", "https://evil" SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"sub-domain refused", "https://www." SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"trailing dot refused", "https://" SECTIGO "./x", SECTIGO, 0, NULL, 0},
	{"userinfo refused", "https://user@" SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"user and password refused", "https://u:p@" SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"allowed host as userinfo refused", "https://" SECTIGO "@evil.example/x", SECTIGO, 0, NULL, 0},
	{"backslash userinfo refused", "https://evil.example\\@" SECTIGO "/x", SECTIGO, 0, NULL, 0},
	{"other port refused", "https://" SECTIGO ":8443/x", SECTIGO, 0, NULL, 0},
	{"port not on the list refused", "https://127.0.0.1:8444/x", "127.0.0.1:8443", 0, NULL, 0},
	{"host:port entry does not allow 443", "https://127.0.0.1/x", "127.0.0.1:8443", 0, NULL, 0},
	{"IPv6 literal refused", "https://[::1]/x", "::1", 0, NULL, 0},
	{"percent-encoded host refused", "https://secure%2etrust-provider.com/x", SECTIGO, 0, NULL, 0},
	{"backslash in host refused", "https://" SECTIGO "\\x/y", SECTIGO, 0, NULL, 0},
	{"space refused", "https://" SECTIGO "/a b", SECTIGO, 0, NULL, 0},
	{"CR LF refused", "https://" SECTIGO "/x\r\nHost: evil", SECTIGO, 0, NULL, 0},
	{"non-ASCII refused", "https://secure.trust-prov\xc3\xaf" "der.com/x", SECTIGO, 0, NULL, 0},
	{"empty refused", "", SECTIGO, 0, NULL, 0},
	{"empty host list refuses all", "https://" SECTIGO "/x", "", 0, NULL, 0},
	{NULL, NULL, NULL, 0, NULL, 0},
};

static void split_hosts(const char *text, struct strlist *hosts)
{
	char *copy = strdup(text);
	char *save = NULL;
	char *word;

	for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save))
		strlist_add(hosts, word);
	free(copy);
}

static void test_url_cases(void)
{
	const struct url_case *c;
	struct strlist hosts = STRLIST_INIT;
	struct approve_url url;
	struct strbuf why = STRBUF_INIT;
	char name[200];
	int rc;

	for (c = url_cases; c->name; c++) {
		strlist_clear(&hosts);
		split_hosts(c->hosts, &hosts);
		sb_reset(&why);
		rc = approve_url_check(c->url, &hosts, &url, &why);
		if (!check_int(rc, c->ok ? 0 : -1, c->name)) {
			printf("# why: %s\n", sb_str(&why));
			if (rc == 0)
				approve_url_clear(&url);
			continue;
		}
		snprintf(name, sizeof(name), "%s: %s", c->name, c->ok ? "host" : "says why");
		if (c->ok) {
			check_str(url.host, c->host, name);
			snprintf(name, sizeof(name), "%s: port", c->name);
			check_int(url.port, c->port, name);
		} else {
			check_true(why.len > 0, name);
		}
		approve_url_clear(&url);
	}
	strlist_free(&hosts);
	sb_free(&why);
}

static void test_refusal_reasons(void)
{
	struct strlist hosts = STRLIST_INIT;
	struct approve_url url;
	struct strbuf why = STRBUF_INIT;

	strlist_add(&hosts, SECTIGO);
	approve_url_check("http://" SECTIGO "/x", &hosts, &url, &why);
	check_contains(sb_str(&why), "not https", "http refusal names the scheme");
	sb_reset(&why);
	approve_url_check("https://evil.example/x", &hosts, &url, &why);
	check_contains(sb_str(&why), "evil.example port 443 is not on", "host refusal names the host");
	strlist_free(&hosts);
	sb_free(&why);
}

static void test_derive(void)
{
	struct strlist hosts = STRLIST_INIT;
	struct approve_url link;
	struct approve_url post;
	struct strbuf why = STRBUF_INIT;

	strlist_add(&hosts, "127.0.0.1:8443");
	if (!check_int(approve_url_check("https://127.0.0.1:8443/products/EnterDCVCode?orderNumber=9#top",
					 &hosts, &link, &why), 0, "derive: link parses"))
		goto out;
	check_int(approve_url_derive(&link, "/products/EnterDCVCode2", &hosts, &post, &why), 0,
		  "derive: post URL built");
	check_str(post.text, "https://127.0.0.1:8443/products/EnterDCVCode2",
		  "derive: same host and port, new path, no query or fragment");
	approve_url_clear(&post);
	check_int(approve_url_derive(&link, "products/x", &hosts, &post, &why), -1,
		  "derive: relative post path refused");
	check_int(approve_url_derive(&link, "//evil.example/x", &hosts, &post, &why), -1,
		  "derive: network-path post path refused");
	approve_url_clear(&post);
	approve_url_clear(&link);
out:
	strlist_free(&hosts);
	sb_free(&why);
}

static void test_reject(void)
{
	struct strlist reject = STRLIST_INIT;
	struct strlist bad = STRLIST_INIT;

	strlist_add(&reject, "/products/RejectDCVCode");
	check_true(approve_url_is_reject("https://" SECTIGO "/products/RejectDCVCode?orderNumber=1&dcvCode=x",
					 &reject), "reject link recognised");
	check_true(approve_url_is_reject("https://" SECTIGO "/products/rejectdcvcode?x", &reject),
		   "reject link recognised without case");
	check_true(approve_url_is_reject("https://" SECTIGO "/products/%52ejectDCVCode?x", &reject),
		   "percent-encoded reject link recognised");
	check_true(approve_url_is_reject("https://" SECTIGO "/products/%2552ejectDCVCode?x", &reject),
		   "doubly encoded reject link recognised");
	check_true(!approve_url_is_reject("https://" SECTIGO "/products/EnterDCVCode?orderNumber=1",
					  &reject), "approval link is not a reject link");
	check_true(!approve_url_is_reject("https://" SECTIGO "/x", NULL), "no patterns: nothing rejected");
	strlist_add(&bad, "([unclosed");
	check_true(approve_url_is_reject("https://" SECTIGO "/products/EnterDCVCode", &bad),
		   "a reject pattern that does not compile fails closed");
	strlist_free(&reject);
	strlist_free(&bad);
}

static void test_page(void)
{
	struct strlist ok = STRLIST_INIT;
	const char html[] = "<html><body><p>You have <b>entered</b>\n\t the correct&nbsp;Domain "
	    "Control Validation code.</p></body></html>";
	char what[80];
	char *text;

	text = approve_page_text(html, sizeof(html) - 1);
	check_str(text, "You have entered the correct Domain Control Validation code. ",
		  "page text: tags dropped, spaces collapsed, entities decoded");
	strlist_add(&ok, "You have entered the correct Domain Control Validation code");
	strlist_add(&ok, "Your certificate will now be issued");
	check_int(approve_patterns_match(&ok, text, what, sizeof(what)), 1, "success pattern matches");
	check_str(what, "You have entered the correct Domain Control Validation code",
		  "matched text returned");
	check_int(approve_patterns_match(&ok, "Invalid Validation Code!", what, sizeof(what)), 0,
		  "failure page does not match success");
	check_int(approve_patterns_match(&ok, "YOUR CERTIFICATE WILL NOW BE ISSUED", NULL, 0), 1,
		  "patterns ignore case");
	free(text);
	text = approve_page_text("text <b unclosed", 16);
	check_str(text, "text ", "unclosed tag dropped to the end");
	free(text);
	strlist_free(&ok);
}

int main(void)
{
	test_url_cases();
	test_refusal_reasons();
	test_derive();
	test_reject();
	test_page();
	return check_done();
}
