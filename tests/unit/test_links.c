/*
 * test_links - the strict check of approval links (look-alike hosts, user
 * information, schemes, ports, backslashes, percent-encoding, IDN), and
 * how links are found in plain text and in HTML.
 */
#include <string.h>

#include "check.h"
#include "html.h"
#include "links.h"

static const struct {
	const char *url;
	int     ok;
	const char *why;		/* part of the reason when refused */
} check_cases[] = {
	{"https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890", 1, NULL},
	{"HTTPS://SECURE.TRUST-PROVIDER.COM/products/EnterDCVCode?orderNumber=1", 1, NULL},
	{"https://secure.trust-provider.com", 1, NULL},
	{"https://secure.trust-provider.com?orderNumber=1", 1, NULL},
	{"https://secure.trust-provider.com#top", 1, NULL},
	{"https://secure.comodo.net/products/EnterDCVCode?orderNumber=1", 1, NULL},
	{"https://alt.example.com:8443/x", 1, NULL},
	{"https://alt.example.com/x", 0, "not on the profile's link_hosts"},
	{"https://secure.trust-provider.com:443/x", 0, "not on the profile's link_hosts"},
	{"https://secure.trust-provider.com:8443/x", 0, "not on the profile's link_hosts"},
	{"https://secure.trust-provider.com:/x", 0, "empty port"},
	{"https://secure.trust-provider.com:44x/x", 0, "bad port"},
	{"http://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1", 0, "not https"},
	{"javascript:location='https://secure.trust-provider.com/'", 0, "not https"},
	{"JavaScript:alert(1)//https://secure.trust-provider.com/", 0, "not https"},
	{"data:text/html,https://secure.trust-provider.com/", 0, "not https"},
	{"//secure.trust-provider.com/products/EnterDCVCode", 0, "not https"},
	{"/products/EnterDCVCode?orderNumber=1", 0, "not https"},
	{"https:/secure.trust-provider.com/x", 0, "not https"},
	{"https:///secure.trust-provider.com/x", 0, "no host"},
	{"https://", 0, "no host"},
	{"", 0, "not https"},
	{"https://secure.trust-provider.com.evil.example/products/EnterDCVCode", 0, "not on the profile's link_hosts"},
	{"https://evil.example/secure.trust-provider.com/products/EnterDCVCode", 0, "not on the profile's link_hosts"},
	{"https://evil.example?secure.trust-provider.com", 0, "not on the profile's link_hosts"},
	{"https://trust-provider.com/products/EnterDCVCode", 0, "not on the profile's link_hosts"},
	{"https://x.secure.trust-provider.com/products/EnterDCVCode", 0, "not on the profile's link_hosts"},
	{"https://securetrust-provider.com/", 0, "not on the profile's link_hosts"},
	{"https://secure.trust-provider.com@evil.example/products/EnterDCVCode", 0, "user information"},
	{"https://evil.example@secure.trust-provider.com/products/EnterDCVCode", 0, "user information"},
	{"https://user:pass@secure.trust-provider.com/", 0, "user information"},
	{"https://secure.trust-provider.com\\@evil.example/", 0, "backslash"},
	{"https://evil.example\\secure.trust-provider.com/", 0, "backslash"},
	{"https://secure.trust-provider.com/products\\..\\x", 0, "backslash"},
	{"https://secure.trust-provider%2Ecom/", 0, "percent-encoding"},
	{"https://%73ecure.trust-provider.com/", 0, "percent-encoding"},
	{"https://secure.trust-provider.com./products/EnterDCVCode", 0, "dot"},
	{"https://.secure.trust-provider.com/", 0, "dot"},
	{"https://secure.trust-pr\xd0\xbevider.com/", 0, "non-ASCII"},	/* Cyrillic o */
	{"https://secure\xef\xbc\x8etrust-provider.com/", 0, "non-ASCII"},	/* fullwidth dot */
	{"https://secure.xn--trust-prvider-9fj.com/", 0, "not on the profile's link_hosts"},
	{"https://secure.trust-provider.com /x", 0, "white space"},
	{"https://secure.trust-provider.com\t/x", 0, "white space"},
	{" https://secure.trust-provider.com/", 0, "white space"},
	{"https://secure.trust-provider.com\r\n.evil.example/", 0, "white space"},
	{"https://[::1]/", 0, "characters other than"},
	{"https://secure_trust-provider.com/", 0, "characters other than"},
};

static void check_link_check(void)
{
	struct strlist hosts = STRLIST_INIT;
	char    why[256];
	char    name[512];
	size_t  i;
	int     rc;

	strlist_add(&hosts, "secure.trust-provider.com");
	strlist_add(&hosts, "secure.comodo.net");
	strlist_add(&hosts, "alt.example.com:8443");
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		why[0] = 0;
		rc = link_check(check_cases[i].url, &hosts, why, sizeof(why));
		snprintf(name, sizeof(name), "link_check \"%.120s\" %s", check_cases[i].url,
			 check_cases[i].ok ? "accepted" : "refused");
		for (char *p = name; *p; p++)
			if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
				*p = '?';
		check_int(rc == 0, check_cases[i].ok, name);
		if (!check_cases[i].ok) {
			strcat(name, ": why");
			check_contains(why, check_cases[i].why, name);
		}
	}
	strlist_free(&hosts);
}

static const struct {
	const char *name;
	const char *text;
	const char *first;		/* the first link found, or NULL */
	size_t  count;
} text_cases[] = {
	{"sentence end", "see https://a.example/x.", "https://a.example/x", 1},
	{"in parentheses", "(https://a.example/x)", "https://a.example/x", 1},
	{"balanced parentheses kept", "https://a.example/wiki/Foo_(bar) ok", "https://a.example/wiki/Foo_(bar)", 1},
	{"in angle brackets", "<https://a.example/y>", "https://a.example/y", 1},
	{"query and comma", "Click: https://a.example/z?x=1&y=2, thanks", "https://a.example/z?x=1&y=2", 1},
	{"quoted", "\"https://a.example/q\"", "https://a.example/q", 1},
	{"code with * kept", "https://a.example/c?dcvCode=ab-c*", "https://a.example/c?dcvCode=ab-c*", 1},
	{"twice, once", "https://a.example/ and https://a.example/", "https://a.example/", 1},
	{"upper case scheme", "HTTP://A.EXAMPLE/", "HTTP://A.EXAMPLE/", 1},
	{"two links", "https://a.example/1\nhttp://b.example/2", "https://a.example/1", 2},
	{"javascript is not linked in text", "javascript:alert(1)", NULL, 0},
	{"scheme alone", "https:// and http://", NULL, 0},
	{"non-ASCII kept for the check", "https://b\xc3\xbc.example/x y", "https://b\xc3\xbc.example/x", 1},
	{"after a word", "xhttps://a.example/", "https://a.example/", 1},
};

static void check_links_in_text(void)
{
	struct strlist links = STRLIST_INIT;
	char    name[256];
	size_t  i;

	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		strlist_clear(&links);
		links_in_text(text_cases[i].text, strlen(text_cases[i].text), &links, 10);
		snprintf(name, sizeof(name), "links_in_text %s: count", text_cases[i].name);
		check_int((long long) links.count, (long long) text_cases[i].count, name);
		snprintf(name, sizeof(name), "links_in_text %s: link", text_cases[i].name);
		check_str(links.count ? links.items[0] : NULL, text_cases[i].first, name);
	}
	strlist_clear(&links);
	check_int(links_in_text("https://a.example/1 https://a.example/2 https://a.example/3", 59, &links, 2), 1,
		  "links_in_text: max reached is said");
	check_int((long long) links.count, 2, "links_in_text: at most max kept");
	strlist_free(&links);
}

static void check_hrefs(void)
{
	static const char html[] =
	    "<html><body><!-- <a href=\"https://hidden.example/\"> -->\n"
	    "<p>Go <a href=\"https://a.example/?a=1&amp;b=2\">here</a></p>\n"
	    "<A HREF='https://b.example/&#x3F;q&#61;1'>b</A>\n"
	    "<a href=https://c.example/x>c</a>\n"
	    "<a title=\"x > y\" href=\"https://d.example/&#46;d\">d</a>\n"
	    "<a href=\" \thttps://e.example/\n  path \">e</a>\n"
	    "<a href=\"javascript:void(0)\">f</a>\n"
	    "<a href=\"https://g.example/&ampx&bogus;\">g</a>\n"
	    "<script>var s = '<a href=\"https://script.example/\">';</script>\n"
	    "</body></html>\n";
	static const char *want[] = {
		"https://a.example/?a=1&b=2", "https://b.example/?q=1", "https://c.example/x",
		"https://d.example/.d", "https://e.example/  path", "javascript:void(0)",
		"https://g.example/&ampx&bogus;",
	};
	struct strlist hrefs = STRLIST_INIT;
	struct strlist links = STRLIST_INIT;
	char    name[128];
	size_t  i;

	html_hrefs(html, strlen(html), &hrefs, 20);
	for (i = 0; i < hrefs.count; i++)
		links_add_href(&links, hrefs.items[i], 20);
	check_int((long long) links.count, (long long) (sizeof(want) / sizeof(want[0])),
		  "html_hrefs: every href, none from comments or scripts");
	for (i = 0; i < sizeof(want) / sizeof(want[0]) && i < links.count; i++) {
		snprintf(name, sizeof(name), "html_hrefs: href %zu decoded and cleaned", i + 1);
		check_str(links.items[i], want[i], name);
	}
	strlist_clear(&hrefs);
	check_int(html_hrefs(html, strlen(html), &hrefs, 2), 1, "html_hrefs: max reached is said");
	check_int((long long) hrefs.count, 2, "html_hrefs: at most max kept");
	strlist_free(&hrefs);
	strlist_free(&links);
}

static void check_html_text(void)
{
	static const char html[] =
	    "<html><head><style>p { color: red }</style><title>T</title></head><body>"
	    "<p>Enter&nbsp;the &quot;validation code&quot;:<br><b>Ab1-*Z</b></p>"
	    "<script>document.write('hidden')</script><p>caf&#233; &#x1F512; &bogus; AT&T</p></body></html>";
	struct strbuf text = STRBUF_INIT;

	html_to_text(html, strlen(html), &text);
	check_contains(text.data, "Enter the \"validation code\":\nAb1-*Z", "html_to_text: entities, <br> as a new line");
	check_true(strstr(text.data, "hidden") == NULL, "html_to_text: no script");
	check_true(strstr(text.data, "color") == NULL, "html_to_text: no style");
	check_contains(text.data, "caf\xc3\xa9 \xf0\x9f\x94\x92 &bogus; AT&T", "html_to_text: numeric references as UTF-8");
	sb_free(&text);
}

static void check_describe(void)
{
	char    buf[LINK_DESCRIBE_LENGTH + 1];
	char    longer[400];

	link_describe("https://a.example/\x01x", buf, sizeof(buf));
	check_str(buf, "https://a.example/?x", "link_describe: unprintable as ?");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	link_describe(longer, buf, sizeof(buf));
	check_int((long long) strlen(buf), LINK_DESCRIBE_LENGTH, "link_describe: cut");
	check_contains(buf, "...", "link_describe: cut is shown");
}

int main(void)
{
	check_link_check();
	check_links_in_text();
	check_hrefs();
	check_html_text();
	check_describe();
	return check_done();
}
