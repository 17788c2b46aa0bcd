/*
 * test_links - which link of a mail is which (approval_link_kind() with
 * the sectigo profile: approval, reject, other, bad approval, decided in
 * the normal form of url.c; the URL rules themselves: test_url), and how
 * links are found in plain text (trailing punctuation, long runs of it,
 * one link repeated) and in HTML.
 * SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify.h"
#include "html.h"
#include "links.h"
#include "profiles.h"

/* Which link is which: approval_link_kind() with the sectigo profile ------------ */

#define STP "https://secure.trust-provider.com"
#define ORDER "?orderNumber=12345"

static const struct {
	const char *name;
	const char *link;
	enum link_kind kind;
	const char *normal;		/* what *normal must be */
} kind_cases[] = {
	{"the genuine link", STP "/products/EnterDCVCode" ORDER, LINK_APPROVAL,
	 STP "/products/EnterDCVCode" ORDER},
	{"the !EnterDCVCode form", STP "/products/!EnterDCVCode" ORDER, LINK_APPROVAL,
	 STP "/products/!EnterDCVCode" ORDER},
	{"an escaped letter of the approval path", STP "/products/%45nterDCVCode" ORDER, LINK_APPROVAL,
	 STP "/products/EnterDCVCode" ORDER},
	{"dot segments before the approval path", STP "/x/../products/./EnterDCVCode" ORDER,
	 LINK_APPROVAL, STP "/products/EnterDCVCode" ORDER},
	{"approval path without regard to case", STP "/PRODUCTS/enterdcvcode" ORDER, LINK_APPROVAL,
	 STP "/PRODUCTS/enterdcvcode" ORDER},
	{"another host's approval path (trust.c refuses the host)",
	 "https://evil.example/products/EnterDCVCode" ORDER, LINK_APPROVAL,
	 "https://evil.example/products/EnterDCVCode" ORDER},
	{"http approval path (trust.c refuses the scheme)",
	 "http://secure.trust-provider.com/products/EnterDCVCode" ORDER, LINK_APPROVAL,
	 "http://secure.trust-provider.com/products/EnterDCVCode" ORDER},
	{"\"./\" before Reject", STP "/products/./RejectDCVCode" ORDER "&dcvCode=x", LINK_REJECT,
	 STP "/products/RejectDCVCode" ORDER "&dcvCode=x"},
	{"an escaped R of Reject", STP "/products/%52ejectDCVCode" ORDER, LINK_REJECT,
	 STP "/products/RejectDCVCode" ORDER},
	{"\"..\" from the approval path to Reject", STP "/products/EnterDCVCode/../RejectDCVCode" ORDER,
	 LINK_REJECT, STP "/products/RejectDCVCode" ORDER},
	{"double-encoded R of Reject", STP "/products/%2552ejectDCVCode" ORDER, LINK_REJECT,
	 STP "/products/%2552ejectDCVCode" ORDER},
	{"escaped slash before Reject", STP "/products%2FRejectDCVCode" ORDER, LINK_REJECT,
	 STP "/products%2FRejectDCVCode" ORDER},
	{"Reject without regard to case", STP "/products/rejectdcvcode" ORDER, LINK_REJECT,
	 STP "/products/rejectdcvcode" ORDER},
	{"action=reject on the approval path", STP "/products/EnterDCVCode" ORDER "&action=reject",
	 LINK_REJECT, STP "/products/EnterDCVCode" ORDER "&action=reject"},
	{"Reject in the fragment", STP "/other#/products/RejectDCVCode", LINK_REJECT, STP "/other"},
	{"a reject link that does not parse", STP "/products/RejectDCVCode?x=\\", LINK_REJECT,
	 STP "/products/RejectDCVCode?x=\\"},
	{"approval path hidden in the query", STP "/other?x=/products/EnterDCVCode", LINK_OTHER,
	 STP "/other?x=/products/EnterDCVCode"},
	{"approval path hidden in the fragment", STP "/other#/products/EnterDCVCode", LINK_OTHER,
	 STP "/other"},
	{"approval path with more after it", STP "/products/EnterDCVCodeX" ORDER, LINK_OTHER,
	 STP "/products/EnterDCVCodeX" ORDER},
	{"approval path under another", STP "/x/products/EnterDCVCode" ORDER, LINK_OTHER,
	 STP "/x/products/EnterDCVCode" ORDER},
	{"an escaped ? is path", STP "/products/EnterDCVCode%3F" ORDER, LINK_OTHER,
	 STP "/products/EnterDCVCode%3F" ORDER},
	{"another page of the CA", STP "/products/Support", LINK_OTHER, STP "/products/Support"},
	{"a look-alike host that does not parse",
	 "https://secure.trust-pr\xd0\xbevider.com/products/EnterDCVCode" ORDER, LINK_BAD_APPROVAL,
	 "https://secure.trust-pr\xd0\xbevider.com/products/EnterDCVCode" ORDER},
	{"a backslash trick that does not parse",
	 "https://evil.example\\@secure.trust-provider.com/products/EnterDCVCode" ORDER,
	 LINK_BAD_APPROVAL, "https://evil.example\\@secure.trust-provider.com/products/EnterDCVCode" ORDER},
};

static const char *kind_name(enum link_kind kind)
{
	switch (kind) {
	case LINK_APPROVAL:
		return "approval";
	case LINK_REJECT:
		return "reject";
	case LINK_BAD_APPROVAL:
		return "bad approval";
	default:
		return "other";
	}
}

static void check_link_kinds(const struct ca_profile *sectigo)
{
	static char unset[] = "(not set)";
	char    name[256];
	char   *normal;
	size_t  i;

	for (i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		normal = unset;
		snprintf(name, sizeof(name), "link kind: %s is %s", kind_cases[i].name,
			 kind_name(kind_cases[i].kind));
		check_str(kind_name(approval_link_kind(sectigo, kind_cases[i].link, &normal)),
			  kind_name(kind_cases[i].kind), name);
		snprintf(name, sizeof(name), "link kind: %s: its normal form", kind_cases[i].name);
		check_str(normal, kind_cases[i].normal, name);
		if (normal != unset)
			free(normal);
	}
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

/* text_with_run - prefix, n copies of c, suffix */

static void text_with_run(struct strbuf *text, const char *prefix, char c, size_t n,
			  const char *suffix)
{
	sb_reset(text);
	sb_appends(text, prefix);
	while (n-- > 0)
		sb_append(text, &c, 1);
	sb_appends(text, suffix);
}

static void check_long_runs(void)
{
	struct strbuf text = STRBUF_INIT;
	struct strlist links = STRLIST_INIT;

	text_with_run(&text, "see https://a.example/x", ')', 200 * 1024, " and more");
	links_in_text(text.data, text.len, &links, 10);
	check_int((long long) links.count, 1, "200 KB of ) after a link: one link");
	check_str(links.count ? links.items[0] : NULL, "https://a.example/x",
		  "200 KB of ) after a link: none of them kept");
	strlist_clear(&links);
	text_with_run(&text, "https://a.example/y", ')', 1024 * 1024, "");
	links_in_text(text.data, text.len, &links, 10);
	check_str(links.count ? links.items[0] : NULL, "https://a.example/y",
		  "a link followed by 1 MB of ) to the end: the link alone");
	strlist_clear(&links);
	text_with_run(&text, "https://a.example/wiki/(x", ')', 200 * 1024, ".");
	links_in_text(text.data, text.len, &links, 10);
	check_str(links.count ? links.items[0] : NULL, "https://a.example/wiki/(x)",
		  "200 KB of ) after an opened bracket: the one that closes it kept");
	strlist_free(&links);
	sb_free(&text);
}

static void check_repeats(void)
{
	struct strbuf text = STRBUF_INIT;
	struct strlist links = STRLIST_INIT;
	int     i;

	for (i = 0; i < 100000; i++)
		sb_appends(&text, "https://a.example/p?orderNumber=1 ");
	sb_appends(&text, "https://b.example/last");
	check_int(links_in_text(text.data, text.len, &links, 10), 1,
		  "one link 100000 times: the scan stops and says so");
	check_int((long long) links.count, 1, "one link 100000 times: one link");
	check_str(links.count ? links.items[0] : NULL, "https://a.example/p?orderNumber=1",
		  "one link 100000 times: that link");
	strlist_free(&links);
	sb_free(&text);
}

int main(void)
{
	struct profile_set set = {0};
	struct strbuf err = STRBUF_INIT;
	const struct ca_profile *sectigo;

	if (profile_set_load(&set, NULL, &err) < 0
	    || (sectigo = profile_set_find(&set, "sectigo")) == NULL) {
		check_report(0, "built-in profiles load", sb_str(&err));
		return 1;
	}
	check_link_kinds(sectigo);
	check_links_in_text();
	check_long_runs();
	check_repeats();
	check_hrefs();
	check_html_text();
	check_describe();
	profile_set_free(&set);
	sb_free(&err);
	return check_done();
}
