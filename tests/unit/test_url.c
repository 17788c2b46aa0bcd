/*
 * test_url - the one URL parser (url.c): the normal form links are
 * compared in (RFC 3986 6.2.2: case, escapes, dot segments, default
 * port, the fragment split off), what url_parse() refuses outright
 * (backslash, white space, controls, non-ASCII, percent in the host),
 * and url_check_https_host(): https, no user information, a plain host
 * exactly on the list, "host" meaning port 443.
 *
 * Table-driven.  The parser reads hostile text, so each case runs in a
 * child process: a crash is that case failing, said as such, and the
 * other cases still run.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "url.h"

#define STP "secure.trust-provider.com"

/* isolated - fn(arg) in a child process; its checks print there, and a
 * child that dies or exits otherwise than the checks say is one failure */

static void isolated(const char *name, void (*fn) (const void *), const void *arg)
{
	char    detail[128];
	pid_t   pid;
	int     status;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		check_report(0, name, "cannot fork");
		return;
	}
	if (pid == 0) {
		check_failures = 0;
		fn(arg);
		exit(check_failures ? 3 : 0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		check_report(0, name, "cannot wait for the child");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		check_failures++;	/* the child said which check */
		return;
	}
	if (WIFSIGNALED(status))
		snprintf(detail, sizeof(detail), "crashed with signal %d", WTERMSIG(status));
	else
		snprintf(detail, sizeof(detail), "exited with status %d (a sanitizer report?)",
			 WEXITSTATUS(status));
	check_report(0, name, detail);
}

/* The normal form ------------------------------------------------------------ */

struct normal_case {
	const char *name;
	const char *text;
	const char *host;
	int     port;
	int     port_given;
	const char *path;
	const char *query;		/* NULL: none */
	const char *fragment;		/* NULL: none */
	const char *normal;
	int     userinfo;
};

static const struct normal_case normal_cases[] = {
	{"dot segment \".\" removed", "https://" STP "/products/./RejectDCVCode",
	 STP, 443, 0, "/products/RejectDCVCode", NULL, NULL,
	 "https://" STP "/products/RejectDCVCode", 0},
	{"dot segment \"..\" removed", "https://" STP "/x/../products/RejectDCVCode",
	 STP, 443, 0, "/products/RejectDCVCode", NULL, NULL,
	 "https://" STP "/products/RejectDCVCode", 0},
	{"\"..\" after the approval path", "https://" STP "/products/EnterDCVCode/../RejectDCVCode",
	 STP, 443, 0, "/products/RejectDCVCode", NULL, NULL,
	 "https://" STP "/products/RejectDCVCode", 0},
	{"escape of an unreserved letter decoded", "https://" STP "/products/%52ejectDCVCode",
	 STP, 443, 0, "/products/RejectDCVCode", NULL, NULL,
	 "https://" STP "/products/RejectDCVCode", 0},
	{"escaped dots are dot segments", "https://" STP "/a/%2e%2E/products/%2E/x",
	 STP, 443, 0, "/products/x", NULL, NULL, "https://" STP "/products/x", 0},
	{"more \"..\" than segments", "https://" STP "/a/b/../../../c",
	 STP, 443, 0, "/c", NULL, NULL, "https://" STP "/c", 0},
	{"trailing \"..\"", "https://" STP "/a/..", STP, 443, 0, "/", NULL, NULL, "https://" STP "/", 0},
	{"%2F stays escaped", "https://" STP "/products%2FRejectDCVCode",
	 STP, 443, 0, "/products%2FRejectDCVCode", NULL, NULL,
	 "https://" STP "/products%2FRejectDCVCode", 0},
	{"%2f upper-cased, not decoded", "https://" STP "/a%2fb",
	 STP, 443, 0, "/a%2Fb", NULL, NULL, "https://" STP "/a%2Fb", 0},
	{"%7e becomes ~", "https://" STP "/%7euser/%7E", STP, 443, 0, "/~user/~", NULL, NULL,
	 "https://" STP "/~user/~", 0},
	{"other escapes upper-cased", "https://" STP "/caf%c3%a9", STP, 443, 0, "/caf%C3%A9", NULL, NULL,
	 "https://" STP "/caf%C3%A9", 0},
	{"scheme and host case folded, path case kept", "HTTPS://SECURE.Trust-Provider.COM/Products/X",
	 STP, 443, 0, "/Products/X", NULL, NULL, "https://" STP "/Products/X", 0},
	{"no path is \"/\"", "https://" STP, STP, 443, 0, "/", NULL, NULL, "https://" STP "/", 0},
	{"query kept, escapes upper-cased, not decoded", "https://" STP "/p?orderNumber=1&x=%2f%41",
	 STP, 443, 0, "/p", "orderNumber=1&x=%2F%41", NULL, "https://" STP "/p?orderNumber=1&x=%2F%41", 0},
	{"query holding a path is not the path", "https://" STP "/other?x=/products/EnterDCVCode",
	 STP, 443, 0, "/other", "x=/products/EnterDCVCode", NULL,
	 "https://" STP "/other?x=/products/EnterDCVCode", 0},
	{"fragment split off", "https://" STP "/other#/products/EnterDCVCode",
	 STP, 443, 0, "/other", NULL, "/products/EnterDCVCode", "https://" STP "/other", 0},
	{"query kept, fragment split off", "https://" STP "/a?b=1#c?d",
	 STP, 443, 0, "/a", "b=1", "c?d", "https://" STP "/a?b=1", 0},
	{"default port dropped", "https://" STP ":443/x", STP, 443, 1, "/x", NULL, NULL,
	 "https://" STP "/x", 0},
	{"other port kept", "https://" STP ":8443/x", STP, 8443, 1, "/x", NULL, NULL,
	 "https://" STP ":8443/x", 0},
	{"port with a leading zero", "https://127.0.0.1:08443/x", "127.0.0.1", 8443, 1, "/x", NULL, NULL,
	 "https://127.0.0.1:8443/x", 0},
	{"http default port dropped", "http://" STP ":80/x", STP, 80, 1, "/x", NULL, NULL,
	 "http://" STP "/x", 0},
	{"user@host", "https://user@" STP "/x", STP, 443, 0, "/x", NULL, NULL, "https://user@" STP "/x", 1},
	{"user:pw@host", "https://user:pw@" STP "/x", STP, 443, 0, "/x", NULL, NULL,
	 "https://user:pw@" STP "/x", 1},
	{":pw@host", "https://:pw@" STP "/x", STP, 443, 0, "/x", NULL, NULL, "https://:pw@" STP "/x", 1},
	{"allowed host as user name", "https://" STP "@evil.example/x", "evil.example", 443, 0, "/x",
	 NULL, NULL, "https://" STP "@evil.example/x", 1},
	{"user@host with a port", "https://u@" STP ":8443/x", STP, 8443, 1, "/x", NULL, NULL,
	 "https://u@" STP ":8443/x", 1},
};

static int field_ok(const char *got, const char *want, const struct normal_case *c,
		    const char *field)
{
	char    name[200];

	snprintf(name, sizeof(name), "url_parse %s: %s", c->name, field);
	return check_str(got, want, name);
}

static void one_normal_case(const void *arg)
{
	const struct normal_case *c = arg;
	struct strbuf why = STRBUF_INIT;
	struct url url;
	char    name[200];

	snprintf(name, sizeof(name), "url_parse %s: parses", c->name);
	if (!check_int(url_parse(c->text, &url, &why), 0, name)) {
		printf("# why: %s\n", sb_str(&why));
		sb_free(&why);
		return;
	}
	field_ok(url.scheme, strncmp(c->normal, "http:", 5) == 0 ? "http" : "https", c, "scheme");
	field_ok(url.host, c->host, c, "host");
	field_ok(url.path, c->path, c, "path");
	field_ok(url.query, c->query, c, "query");
	field_ok(url.fragment, c->fragment, c, "fragment");
	field_ok(url.normal, c->normal, c, "normal form");
	snprintf(name, sizeof(name), "url_parse %s: port", c->name);
	check_int(url.port, c->port, name);
	snprintf(name, sizeof(name), "url_parse %s: port given", c->name);
	check_int(url.port_given, c->port_given, name);
	snprintf(name, sizeof(name), "url_parse %s: user information", c->name);
	check_int(url.has_userinfo, c->userinfo, name);
	url_clear(&url);
	sb_free(&why);
}

static void test_normal_form(void)
{
	size_t  i;

	for (i = 0; i < sizeof(normal_cases) / sizeof(normal_cases[0]); i++)
		isolated(normal_cases[i].name, one_normal_case, &normal_cases[i]);
}

/* Links: url_parse() then url_check_https_host() --------------------------------- */

struct link_case {
	const char *url;
	int     ok;
	const char *why;		/* part of the reason when refused */
};

/* What the list allows; the odd entries are there so that only the
 * plain-host rule can refuse those hosts. */
static const char *const link_hosts[] = {
	STP, "Secure.Comodo.Net", "alt.example.com:8443", "127.0.0.1:8443", "port443.example:443",
	STP ".", ".lead.example", "secure_trust-provider.com", "[::1]", "a..b.example",
};

#define NOT_LISTED	"not on the profile's link_hosts"
#define NOT_PLAIN	"not a plain host name"
#define NOT_PARSED	"not an absolute URL"
#define UNPRINTABLE	"white space, control or non-ASCII"

static const struct link_case link_cases[] = {
	{"https://" STP "/products/EnterDCVCode?orderNumber=1234567890", 1, NULL},
	{"HTTPS://SECURE.TRUST-PROVIDER.COM/products/EnterDCVCode?orderNumber=1", 1, NULL},
	{"https://" STP, 1, NULL},
	{"https://" STP "?orderNumber=1", 1, NULL},
	{"https://" STP "#top", 1, NULL},
	{"https://secure.comodo.net/x", 1, NULL},
	{"https://" STP ":443/x", 1, NULL},
	{"https://alt.example.com:8443/x", 1, NULL},
	{"https://127.0.0.1:8443/x", 1, NULL},
	{"https://port443.example/x", 1, NULL},
	{"https://alt.example.com/x", 0, NOT_LISTED},
	{"https://" STP ":8443/x", 0, NOT_LISTED},
	{"https://127.0.0.1:8444/x", 0, NOT_LISTED},
	{"https://127.0.0.1/x", 0, NOT_LISTED},
	{"https://port443.example:8443/x", 0, NOT_LISTED},
	{"https://" STP ":44x/x", 0, NULL},
	{"https://" STP ":65536/x", 0, NULL},
	{"https://" STP ":0/x", 0, NULL},
	{"http://" STP "/products/EnterDCVCode?orderNumber=1", 0, "not https"},
	{"http://127.0.0.1:8443/x", 0, "not https"},
	{"ftp://" STP "/x", 0, "not https"},
	{"javascript:location='https://" STP "/'", 0, NOT_PARSED},
	{"JavaScript:alert(1)//https://" STP "/", 0, NOT_PARSED},
	{"data:text/html,https://" STP "/", 0, NOT_PARSED},
	{"//" STP "/products/EnterDCVCode", 0, NOT_PARSED},
	{"/products/EnterDCVCode?orderNumber=1", 0, NOT_PARSED},
	{STP "/products/EnterDCVCode", 0, NOT_PARSED},
	{"https://", 0, NOT_PARSED},
	{"", 0, NULL},
	{"https://" STP ".evil.example/products/EnterDCVCode", 0, NOT_LISTED},
	{"https://evil.example/" STP "/products/EnterDCVCode", 0, NOT_LISTED},
	{"https://evil.example?" STP, 0, NOT_LISTED},
	{"https://evil.example#" STP, 0, NOT_LISTED},
	{"https://trust-provider.com/products/EnterDCVCode", 0, NOT_LISTED},
	{"https://x." STP "/products/EnterDCVCode", 0, NOT_LISTED},
	{"https://securetrust-provider.com/", 0, NOT_LISTED},
	{"https://secure.xn--trust-prvider-9fj.com/", 0, NOT_LISTED},
	{"https://" STP "@evil.example/products/EnterDCVCode", 0, "user information"},
	{"https://evil.example@" STP "/products/EnterDCVCode", 0, "user information"},
	{"https://user:pass@" STP "/", 0, "user information"},
	{"https://@" STP "/", 0, "user information"},
	{"https://" STP "\\@evil.example/", 0, "backslash"},
	{"https://evil.example\\" STP "/", 0, "backslash"},
	{"https://" STP "/products\\..\\x", 0, "backslash"},
	{"https://secure.trust-provider%2Ecom/", 0, "percent-encoding"},
	{"https://%73ecure.trust-provider.com/", 0, "percent-encoding"},
	{"https://user%40x@" STP "/", 0, "percent-encoding"},
	{"https:/secure.trust-provider%2ecom/x", 0, "form scheme://host"},
	{"https://" STP "./products/EnterDCVCode", 0, NOT_PLAIN},
	{"https://.lead.example/", 0, NOT_PLAIN},
	{"https://a..b.example/", 0, NOT_PLAIN},
	{"https://secure_trust-provider.com/", 0, NOT_PLAIN},
	{"https://[::1]/", 0, NOT_PLAIN},
	{"https://secure.trust-pr\xd0\xbevider.com/", 0, UNPRINTABLE},	/* Cyrillic o */
	{"https://secure\xef\xbc\x8etrust-provider.com/", 0, UNPRINTABLE},	/* fullwidth dot */
	{"https://" STP "/caf\xc3\xa9", 0, UNPRINTABLE},
	{"https://" STP " /x", 0, UNPRINTABLE},
	{"https://" STP "\t/x", 0, UNPRINTABLE},
	{" https://" STP "/", 0, UNPRINTABLE},
	{"https://" STP "/x\r\nHost: evil.example", 0, UNPRINTABLE},
	{"https://" STP "/\x01x", 0, UNPRINTABLE},
	{"https://" STP "/\x7fx", 0, UNPRINTABLE},
};

static void hosts_list(struct strlist *hosts)
{
	size_t  i;

	for (i = 0; i < sizeof(link_hosts) / sizeof(link_hosts[0]); i++)
		strlist_add(hosts, link_hosts[i]);
}

static void link_name(char *name, size_t size, const struct link_case *c, const char *what)
{
	char   *p;

	snprintf(name, size, "link \"%.120s\" %s%s", c->url, c->ok ? "accepted" : "refused", what);
	for (p = name; *p; p++)
		if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
			*p = '?';
}

/* one_link_case - parsed and checked; a refusal says why, and a refusal
 * of the parser leaves the url cleared */

static void one_link_case(const void *arg)
{
	const struct link_case *c = arg;
	struct strlist hosts = STRLIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct url url;
	char    name[300];
	int     parsed;
	int     rc;

	hosts_list(&hosts);
	memset(&url, 0x5a, sizeof(url));
	parsed = url_parse(c->url, &url, &why) == 0;
	rc = parsed ? url_check_https_host(&url, &hosts, &why) : -1;
	link_name(name, sizeof(name), c, "");
	check_int(rc == 0, c->ok, name);
	if (!c->ok) {
		link_name(name, sizeof(name), c, ": says why");
		if (c->why)
			check_contains(sb_str(&why), c->why, name);
		else
			check_true(why.len > 0, name);
	}
	if (!parsed) {
		link_name(name, sizeof(name), c, ": url cleared");
		check_true(url.scheme == NULL && url.host == NULL && url.path == NULL
			   && url.normal == NULL, name);
	} else {
		url_clear(&url);
	}
	strlist_free(&hosts);
	sb_free(&why);
}

static void test_links(void)
{
	char    name[300];
	size_t  i;

	for (i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		link_name(name, sizeof(name), &link_cases[i], "");
		isolated(name, one_link_case, &link_cases[i]);
	}
}

/* The check alone, on hosts the parser never gives it ---------------------------- */

static int check_host(const char *scheme, const char *host, int port, int userinfo,
		      const char *listed)
{
	struct strlist hosts = STRLIST_INIT;
	struct strbuf why = STRBUF_INIT;
	struct url url;
	int     rc;

	memset(&url, 0, sizeof(url));
	url.scheme = (char *) scheme;
	url.host = (char *) host;
	url.port = port;
	url.has_userinfo = userinfo;
	if (listed)
		strlist_add(&hosts, listed);
	rc = url_check_https_host(&url, &hosts, &why);
	if (rc < 0 && why.len == 0)
		rc = -2;		/* refused without a reason */
	strlist_free(&hosts);
	sb_free(&why);
	return rc;
}

static void test_check_alone(void)
{
	check_int(check_host("https", "b\xc3\xbc.example", 443, 0, "b\xc3\xbc.example"), -1,
		  "check: an IDN host is refused, even when listed");
	check_int(check_host("https", "secure.trust-provider.com", 443, 0, "secure.trust-provider.com"),
		  0, "check: the same url with a plain host is accepted");
	check_int(check_host("https", "secure.trust-provider.com", 443, 1, "secure.trust-provider.com"),
		  -1, "check: user information is refused on a listed host");
	check_int(check_host("http", "secure.trust-provider.com", 443, 0, "secure.trust-provider.com"),
		  -1, "check: http is refused on port 443 of a listed host");
	check_int(check_host("https", "secure.trust-provider.com", 443, 0, NULL), -1,
		  "check: an empty list refuses every host");
	check_int(check_host("https", "a.example", 8443, 0, "a.example:8443"), 0,
		  "check: host:port entry allows that port");
	check_int(check_host("https", "a.example", 443, 0, "a.example:443"), 0,
		  "check: host:443 entry is the host alone");
}

/* Long URLs, queries, decoding ------------------------------------------------ */

static void test_length(void)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct url url;

	sb_appends(&text, "https://" STP "/");
	while (text.len < URL_MAX_LENGTH)
		sb_append(&text, "a", 1);
	if (check_int(url_parse(text.data, &url, &why), 0, "url_parse: URL_MAX_LENGTH bytes accepted"))
		url_clear(&url);
	sb_append(&text, "a", 1);
	check_int(url_parse(text.data, &url, &why), -1, "url_parse: one byte more refused");
	check_contains(sb_str(&why), "too long", "url_parse: the refusal says too long");
	sb_reset(&why);
	check_int(url_parse(NULL, &url, &why), -1, "url_parse: NULL refused");
	check_true(why.len > 0, "url_parse: NULL refusal says why");
	sb_free(&text);
	sb_free(&why);
}

static void test_query_count(void)
{
	struct strbuf why = STRBUF_INIT;
	struct url url;

	if (!check_int(url_parse("https://" STP "/p?orderNumber=1&x=2&ORDERNUMBER=3;orderNumber"
				 "&orderNumberX=4&xorderNumber=5#orderNumber=6", &url, &why), 0,
		       "query count: parses"))
		goto out;
	check_int((long long) url_query_count(&url, "orderNumber"), 3,
		  "query count: named three times, any case, with or without value");
	check_int((long long) url_query_count(&url, "x"), 1,
		  "query count: a name that starts another is not it");
	check_int((long long) url_query_count(&url, "dcvCode"), 0, "query count: a name not there");
	url_clear(&url);
	if (check_int(url_parse("https://" STP "/p", &url, &why), 0, "query count: no query parses")) {
		check_int((long long) url_query_count(&url, "orderNumber"), 0, "query count: no query");
		url_clear(&url);
	}
out:
	sb_free(&why);
}

/* test_query_names - as a server reads the query: both separators, names
 * decoded until stable; and the normal form without some parameters */

static void test_query_names(void)
{
	struct strbuf why = STRBUF_INIT;
	struct strlist names = STRLIST_INIT;
	struct strlist drop = STRLIST_INIT;
	struct url url;
	char   *without;

	if (!check_int(url_parse("https://" STP "/p?orderNumber=1;order%4Eumber=2&%2561ction=reject"
				 "&lang=en&&x", &url, &why), 0, "query names: parses"))
		goto out;
	url_query_names(&url, &names);
	check_int((long long) names.count, 5, "query names: five parameters, the empty one skipped");
	check_str(names.count > 1 ? names.items[1] : NULL, "orderNumber",
		  "query names: after ';', an encoded name decoded");
	check_str(names.count > 2 ? names.items[2] : NULL, "action",
		  "query names: a name encoded twice decoded twice");
	check_int((long long) url_query_count(&url, "orderNumber"), 2,
		  "query count: an encoded repeat counts");
	strlist_add(&drop, "lang");
	without = url_normal_without(&url, &drop);
	check_str(without, "https://" STP "/p?orderNumber=1&order%4Eumber=2&%2561ction=reject&x",
		  "normal form without lang: the rest joined with '&'");
	free(without);
	url_clear(&url);
	if (check_int(url_parse("https://" STP "/p?lang=en", &url, &why), 0, "only lang: parses")) {
		without = url_normal_without(&url, &drop);
		check_str(without, "https://" STP "/p", "a query left empty goes with its '?'");
		free(without);
		url_clear(&url);
	}
out:
	strlist_free(&names);
	strlist_free(&drop);
	sb_free(&why);
}

static void decoded_is(const char *text, const char *want, const char *name)
{
	char   *got = url_decode_all(text);

	check_str(got, want, name);
	free(got);
}

static void test_decode_all(void)
{
	decoded_is("/products/%52eject%2FDCV%2fCode", "/products/Reject/DCV/Code",
		   "decode all: unreserved and reserved escapes, any case");
	decoded_is("/a%00b", "/a?b", "decode all: NUL as ?");
	decoded_is("/a%zz%4", "/a%zz%4", "decode all: what is not an escape is kept");
	decoded_is("", "", "decode all: empty");
}

static void normal_path_is(const char *path, const char *want, const char *name)
{
	char   *got = url_normal_path(path);

	check_str(got, want, name);
	free(got);
}

static void test_normal_path(void)
{
	normal_path_is("/products/./%52ejectDCVCode", "/products/RejectDCVCode",
		       "normal path: \".\" and an escaped letter");
	normal_path_is("/x/../products/Reject", "/products/Reject", "normal path: \"..\"");
	normal_path_is("", "/", "normal path: empty is /");
	normal_path_is(NULL, "/", "normal path: none is /");
	normal_path_is("/a//b/", "/a//b/", "normal path: empty segments kept");
}

int main(void)
{
	test_normal_form();
	test_links();
	test_check_alone();
	test_length();
	test_query_count();
	test_query_names();
	test_decode_all();
	test_normal_path();
	return check_done();
}
