/*
 * test_profiles - the shipped CA profiles load, [ca] profiles = DIR adds
 * and overrides them, the approval worker's fields are there, and every
 * kind of bad profile is refused with FILE:LINE.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "check_parser.h"
#include "config.h"
#include "mymalloc.h"
#include "parser.h"
#include "profiles.h"

static char dir[] = "/tmp/test_profiles.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char    path[256];
	FILE   *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

static void remove_file(const char *name)
{
	char    path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* load - parser_new() with [ca] profiles = profiles_dir; err filled */

static struct parser *load(const char *profiles_dir, struct strbuf *err)
{
	struct config *cfg = config_defaults();
	struct parser *parser;

	cfg->authserv_id = xstrdup("mx.example.net");
	cfg->profiles_dir = profiles_dir ? xstrdup(profiles_dir) : NULL;
	sb_reset(err);
	parser = parser_new(cfg, err);
	config_free(cfg);
	return parser;
}

static void check_builtins(void)
{
	static const char *names[] = {"sectigo", "digicert", "globalsign", "godaddy", "certum", "sslcom", "actalis"};
	struct strbuf err = STRBUF_INIT;
	struct strlist list = STRLIST_INIT;
	const struct ca_profile *p;
	struct parser *parser;
	char    name[128];
	size_t  i;

	if (!check_true((parser = load(NULL, &err)) != NULL, "built-in profiles compile")) {
		printf("#   %s\n", sb_str(&err));
		sb_free(&err);
		return;
	}
	parser_profile_names(parser, &list);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(name, sizeof(name), "built-in profile %s is loaded", names[i]);
		check_true(strlist_contains_nocase(&list, names[i]), name);
	}
	p = parser_find_profile(parser, "sectigo");
	if (check_true(p != NULL, "parser_find_profile finds sectigo")) {
		check_int(p->approve_method, PROFILE_APPROVE_FORM_POST, "sectigo: approve method form_post");
		check_str(p->approve_post_path, "/products/EnterDCVCode2", "sectigo: post path");
		check_str(p->approve_order_field, "orderNumber", "sectigo: order field");
		check_str(p->approve_code_field, "dcvCode", "sectigo: code field");
		check_true(strlist_contains_nocase(&p->approve_fixed_fields, "postPaymentPage=N"),
			   "sectigo: fixed field postPaymentPage=N");
		check_true(strlist_contains_nocase(&p->link_hosts, "secure.trust-provider.com"),
			   "sectigo: link host secure.trust-provider.com");
		check_true(strlist_contains_nocase(&p->link_hosts, "secure.comodo.com"),
			   "sectigo: link host secure.comodo.com");
		check_true(p->reject_link.sources.count > 0, "sectigo: reject link patterns for the worker");
		check_true(p->approve_success.sources.count > 0 && p->approve_failure.sources.count > 0,
			   "sectigo: success and failure patterns");
		check_true(p->approve_mode == NULL, "sectigo: no mode override");
		check_str(p->origin, "builtin/sectigo.conf", "sectigo: origin");
	}
	p = parser_find_profile(parser, "digicert");
	if (check_true(p != NULL, "parser_find_profile finds digicert"))
		check_str(p->approve_mode, "notify", "digicert: a person must approve (mode notify)");
	check_true(parser_find_profile(parser, "nosuchca") == NULL, "parser_find_profile: unknown name is NULL");
	check_true(parser_find_profile(parser, NULL) == NULL, "parser_find_profile: NULL name is NULL");
	strlist_free(&list);
	parser_free(parser);
	sb_free(&err);
}

static const char override_text[] =
    "# A site's own idea of Sectigo: another host.\n"
    "[profile]\n"
    "name = sectigo\n"
    "senders = trust-provider.com\n"
    "link_hosts = dcv.example-ca.test\n"
    "[links]\n"
    "approval = /products/\n"
    "  EnterDCVCode\\b\n"
    "reject = /products/Reject\n";

static const char extra_text[] =
    "[profile]\n"
    "name = testca\n"
    "senders = ca.test\n"
    "link_hosts = approve.ca.test:8443\n"
    "[match]\n"
    "subject = ^Approve\n"
    "subject = ^Please\\s+approve\n"
    "[approve]\n"
    "mode = auto\n"
    "method = form_post\n"
    "post_path = /approve\n"
    "fields = order={order} code={code} confirm=yes\n";

static void check_directory(void)
{
	struct strbuf err = STRBUF_INIT;
	const struct ca_profile *p;
	struct parser *parser;
	char    origin[256];

	write_file("sectigo.conf", override_text);
	write_file("testca.conf", extra_text);
	write_file("README", "not a profile: ignored\n");
	write_file(".hidden.conf", "garbage that would fail\n");
	if (!check_true((parser = load(dir, &err)) != NULL, "DIR: profiles load")) {
		printf("#   %s\n", sb_str(&err));
		sb_free(&err);
		return;
	}
	p = parser_find_profile(parser, "sectigo");
	snprintf(origin, sizeof(origin), "%s/sectigo.conf", dir);
	check_str(p ? p->origin : NULL, origin, "DIR: sectigo.conf replaces the built-in");
	check_true(p && strlist_contains_nocase(&p->link_hosts, "dcv.example-ca.test")
		   && p->link_hosts.count == 1, "DIR: the override's link_hosts only");
	check_str(p && p->approval_link.sources.count ? p->approval_link.sources.items[0] : NULL,
		  "/products/EnterDCVCode\\b", "DIR: a continuation line is appended to its pattern");
	check_true(p && p->approve_method == PROFILE_APPROVE_GET, "DIR: the override does not inherit [approve]");
	check_true(parser_find_profile(parser, "digicert") != NULL, "DIR: other built-ins stay");
	p = parser_find_profile(parser, "testca");
	if (check_true(p != NULL, "DIR: a new profile is added")) {
		check_int((long long) p->subject.sources.count, 2, "testca: a repeated pattern key adds a pattern");
		check_str(p->approve_mode, "auto", "testca: mode");
		check_str(p->approve_order_field, "order", "testca: {order} field");
		check_str(p->approve_code_field, "code", "testca: {code} field");
		check_true(strlist_contains_nocase(&p->approve_fixed_fields, "confirm=yes"), "testca: fixed field");
		check_true(strlist_contains_nocase(&p->link_hosts, "approve.ca.test:8443"), "testca: host:port");
		check_true(strlist_contains_nocase(&p->dkim_domains, "ca.test"), "testca: dkim_domains default to senders");
	}
	parser_free(parser);
	remove_file("sectigo.conf");
	remove_file("testca.conf");
	remove_file("README");
	remove_file(".hidden.conf");
	sb_free(&err);
}

/* An extension: a reseller that relays Sectigo's mail under its own
 * domain, named in four lines, and the built-in profile otherwise whole. */
static void check_extension(void)
{
	struct strbuf err = STRBUF_INIT;
	const struct ca_profile *p;
	struct parser *parser;
	struct verdict v;
	char    origin[512];

	parser = load(NULL, &err);
	if (parser && parse_file(parser, "tests/fixtures/approval-reseller-relay.eml", &v) == 0) {
		check_str(v.ca, "sectigo", "reseller relay: Sectigo's by its link");
		check_true(!v.authenticated, "reseller relay: not believed before its sender is named");
		verdict_free(&v);
	}
	parser_free(parser);
	write_file("reseller.conf", "# Reseller SSL relays Sectigo's mail under its own domain\n"
		   "[profile]\nextends = sectigo\nsenders = ssl.reseller.example\n");
	if (!check_true((parser = load(dir, &err)) != NULL, "extension: loads")) {
		printf("#   %s\n", sb_str(&err));
		remove_file("reseller.conf");
		sb_free(&err);
		return;
	}
	p = parser_find_profile(parser, "sectigo");
	snprintf(origin, sizeof(origin), "builtin/sectigo.conf + %s/reseller.conf", dir);
	check_str(p ? p->origin : NULL, origin, "extension: the origin names both files");
	check_true(p && strlist_contains_nocase(&p->senders, "ssl.reseller.example")
		   && strlist_contains_nocase(&p->senders, "trust-provider.com"), "extension: a sender added, none lost");
	check_true(p && strlist_contains_nocase(&p->dkim_domains, "ssl.reseller.example"),
		   "extension: its senders are its dkim_domains, as in a profile");
	check_true(p && p->approve_method == PROFILE_APPROVE_FORM_POST && p->code.sources.count > 1,
		   "extension: the rest of the built-in stays");
	if (parse_file(parser, "tests/fixtures/approval-reseller-relay.eml", &v) == 0) {
		check_true(v.authenticated, "reseller relay: believed once its sender is named");
		check_str(v.code, "Rr8-Tt5Yy2Uu", "reseller relay: its code");
		check_str(v.ca_order, "7766554433", "reseller relay: its order");
		verdict_free(&v);
	}
	parser_free(parser);
	remove_file("reseller.conf");

	/* an extension read before the file that replaces its profile: kept */
	write_file("a-reseller.conf", "[profile]\nextends = sectigo\nsenders = ssl.reseller.example\n");
	write_file("sectigo.conf", override_text);
	if (check_true((parser = load(dir, &err)) != NULL, "extension and replacement: load")) {
		p = parser_find_profile(parser, "sectigo");
		check_true(p && strlist_contains_nocase(&p->senders, "ssl.reseller.example")
			   && strlist_contains_nocase(&p->link_hosts, "dcv.example-ca.test"),
			   "an extension read before the replacement of its profile extends the replacement");
	}
	parser_free(parser);
	remove_file("a-reseller.conf");
	remove_file("sectigo.conf");

	write_file("reseller.conf", "[profile]\nextends = nosuchca\nsenders = a.example\n");
	parser = load(dir, &err);
	check_true(parser == NULL, "extension of no profile: refused");
	check_contains(sb_str(&err), "extends nosuchca: no such profile", "extension of no profile: said");
	parser_free(parser);
	write_file("reseller.conf", "[profile]\nextends = sectigo\n[approve]\nmode = auto\n");
	parser = load(dir, &err);
	check_true(parser == NULL, "an extension that would replace [approve] mode: refused");
	check_contains(sb_str(&err), "[approve.mode] of an extension would replace sectigo's",
		       "an extension that would replace a value: said");
	parser_free(parser);
	write_file("reseller.conf", "[profile]\nextends = sectigo\nname = sectigo\n");
	parser = load(dir, &err);
	check_true(parser == NULL, "name and extends both: refused");
	parser_free(parser);
	remove_file("reseller.conf");
	sb_free(&err);
}

/* Actalis's link path is not public: the operator names it, in two lines,
 * once a real mail shows it, and the approval is believed with its link. */
static void check_actalis_path(void)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;
	struct verdict v;

	write_file("actalis-path.conf", "[profile]\nextends = actalis\n[links]\n"
		   "approval = ^/dcv/[0-9a-f]{20}$\n");
	if (!check_true((parser = load(dir, &err)) != NULL, "actalis path extension: loads"))
		printf("#   %s\n", sb_str(&err));
	if (parser && parse_file(parser, "tests/fixtures/approval-actalis-guess.eml", &v) == 0) {
		check_true(v.authenticated, "actalis: believed once its link's path is named");
		check_str(v.link, "https://portal.actalis.it/dcv/4f2a9c1e7b3d5a8c0e6f", "actalis: its link");
		verdict_free(&v);
	} else {
		check_true(0, "actalis: the fixture parses with the extension");
	}
	parser_free(parser);
	remove_file("actalis-path.conf");
	sb_free(&err);
}

/* A pattern that runs into its match limit may have hidden a value that
 * disagrees: the field is refused, never taken from what was seen. */
static void check_limit_refuses(void)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;
	struct verdict v;
	char    path[512];

	write_file("slow.conf", "[profile]\nextends = sectigo\n[extract]\n"
		   "order_number = (?:x+x+)+[yz](\\d{4,16})\n");
	write_file("limit.eml", "From: noreply_support@trust-provider.com\n"
		   "Authentication-Results: mx.example.net; dkim=pass header.d=trust-provider.com\n"
		   "Subject: ORDER #1234567890 - Domain Control Validation for example.com\n\n"
		   "https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=1234567890\n"
		   "enter the following \"validation code\": Xy7kP2qR9mT4vW8z\n"
		   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	snprintf(path, sizeof(path), "%s/limit.eml", dir);
	if (!check_true((parser = load(dir, &err)) != NULL, "slow pattern extension: loads"))
		printf("#   %s\n", sb_str(&err));
	if (parser && parse_file(parser, path, &v) == 0) {
		check_true(v.ca_order == NULL && v.ambiguous, "a pattern at its match limit: order number refused");
		verdict_free(&v);
	} else {
		check_true(0, "a pattern at its match limit: the mail parses");
	}
	parser_free(parser);
	remove_file("slow.conf");
	remove_file("limit.eml");
	sb_free(&err);
}

/* The profiles' lines for the shapes of real mails (the fixtures say which). */
static void check_shapes(void)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser = load(NULL, &err);
	const struct ca_profile *s = parser ? parser_find_profile(parser, "sectigo") : NULL;
	const struct ca_profile *d = parser ? parser_find_profile(parser, "digicert") : NULL;
	const struct ca_profile *c = parser ? parser_find_profile(parser, "sslcom") : NULL;
	const struct ca_profile *a = parser ? parser_find_profile(parser, "actalis") : NULL;

	check_true(s && strlist_contains_nocase(&s->presentation_params, "dcvCode"),
		   "sectigo: the approval link may carry its code (dcvCode), left out of its normal form");
	check_true(d && strlist_contains_nocase(&d->link_hosts, "products.geotrust.com"),
		   "digicert: GeoTrust's order pages are a link host");
	check_true(c && strlist_contains_nocase(&c->link_hosts, "secure.ssl.com")
		   && strlist_contains_nocase(&c->senders, "ssl.com"),
		   "sslcom: its portal is the link host, ssl.com the sender");
	check_str(c ? c->approve_mode : NULL, "notify",
		  "sslcom: a person enters the code (the form needs the portal's session)");
	check_str(a ? a->approve_mode : NULL, "notify", "actalis: a person opens the link (mode notify)");
	check_true(a && strlist_contains_nocase(&a->senders, "actalis.it") && a->code.sources.count == 0,
		   "actalis: actalis.it sends it, and there is no code to take");
	parser_free(parser);
	sb_free(&err);
}

/* Bad profiles: the text, the line named in the error, a part of the text. */
static const struct {
	const char *name;
	const char *text;
	int     line;
	const char *what;
} bad_cases[] = {
	{"bad regex", "[profile]\nname = bad\nsenders = bad.example\n[match]\nsubject = (unclosed\n",
	 5, "bad pattern"},
	{"bad regex in a continuation", "[profile]\nname = bad\nlink_hosts = bad.example\n[links]\n"
	 "approval = /a/(b\n   c[\n", 5, "bad pattern \"/a/(bc[\""},
	{"unknown key", "[profile]\nname = bad\nfrobnicate = 1\n", 3, "unknown key \"frobnicate\""},
	{"unknown section", "[profile]\nname = bad\n[extras]\nx = 1\n", 4, "unknown section [extras]"},
	{"key given twice", "[profile]\nname = bad\nname = worse\n", 3, "given twice"},
	{"bad profile name", "[profile]\nname = Bad Name\n", 2, "profile name"},
	{"bad sender", "[profile]\nname = bad\nsenders = not_a_domain\n", 3, "not a domain name"},
	{"bad host", "[profile]\nname = bad\nlink_hosts = host.example:99999\n", 3, "not a host name"},
	{"bad method", "[profile]\nname = bad\nsenders = a.example\n[approve]\nmethod = put\n", 5, "get or form_post"},
	{"bad mode", "[profile]\nname = bad\nsenders = a.example\n[approve]\nmode = always\n", 5, "notify, auto"},
	{"bad field", "[profile]\nname = bad\nsenders = a.example\n[approve]\nfields = order={order} x\n", 5,
	 "a field is"},
	{"bad post path", "[profile]\nname = bad\nsenders = a.example\n[approve]\npost_path = //evil.example/x\n", 5,
	 "absolute path"},
	{"no name", "[profile]\nsenders = a.example\n", 2, "name is required"},
	{"no senders or hosts", "[profile]\nname = bad\n", 2, "needs senders or link_hosts"},
	{"approval links without hosts", "[profile]\nname = bad\nsenders = a.example\n[links]\napproval = /x\n", 5,
	 "needs [profile] link_hosts"},
	{"form_post without post_path", "[profile]\nname = bad\nsenders = a.example\n[approve]\nmethod = form_post\n"
	 "fields = a={code}\n", 6, "needs post_path"},
	{"syntax error", "[profile]\nname = bad\nthis line has no equals sign\n", 3, "syntax error"},
	{"key before any section", "name = bad\n", 1, "unknown section []"},
};

static void check_bad_profiles(void)
{
	struct strbuf err = STRBUF_INIT;
	struct ca_profile *p;
	char    name[256];
	char    where[64];
	size_t  i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		sb_reset(&err);
		p = profile_parse(bad_cases[i].text, "bad.conf", &err);
		snprintf(name, sizeof(name), "bad profile (%s) is refused", bad_cases[i].name);
		check_true(p == NULL, name);
		profile_free(p);
		snprintf(where, sizeof(where), "bad.conf:%d: ", bad_cases[i].line);
		snprintf(name, sizeof(name), "bad profile (%s): file and line", bad_cases[i].name);
		check_contains(sb_str(&err), where, name);
		snprintf(name, sizeof(name), "bad profile (%s): what", bad_cases[i].name);
		check_contains(sb_str(&err), bad_cases[i].what, name);
	}
	sb_free(&err);
}

static void check_long_line(void)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	struct ca_profile *p;
	int     i;

	sb_appends(&text, "[profile]\nname = long\nsenders = a.example\n[match]\nsubject = ");
	for (i = 0; i < 250; i++)
		sb_append(&text, "a", 1);
	sb_appends(&text, "\nbody = ok\n");
	p = profile_parse(text.data, "long.conf", &err);
	check_true(p == NULL, "a line over 197 characters is refused");
	check_contains(sb_str(&err), "long.conf:5: line longer than", "a long line: file and line");
	profile_free(p);
	sb_free(&text);
	sb_free(&err);
}

static void check_directory_errors(void)
{
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;
	char    where[256];

	write_file("a.conf", "[profile]\nname = same\nsenders = a.example\n");
	write_file("b.conf", "[profile]\nname = same\nsenders = b.example\n");
	parser = load(dir, &err);
	check_true(parser == NULL, "DIR: two files with one name are refused");
	check_contains(sb_str(&err), "also defined in", "DIR: the other file is named");
	parser_free(parser);
	remove_file("a.conf");
	remove_file("b.conf");

	write_file("broken.conf", "[profile]\nname = broken\nsenders = a.example\n\n[match]\nsubject = (unclosed\n");
	parser = load(dir, &err);
	check_true(parser == NULL, "DIR: a bad regex stops parser_new");
	snprintf(where, sizeof(where), "%s/broken.conf:6: bad pattern", dir);
	check_contains(sb_str(&err), where, "DIR: a bad regex names file and line");
	parser_free(parser);
	remove_file("broken.conf");

	parser = load("/nonexistent/mailcert-profiles", &err);
	check_true(parser == NULL, "DIR: a missing directory is an error");
	check_contains(sb_str(&err), "/nonexistent/mailcert-profiles", "DIR: the missing directory is named");
	parser_free(parser);
	sb_free(&err);
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	check_builtins();
	check_directory();
	check_bad_profiles();
	check_long_line();
	check_directory_errors();
	check_extension();
	check_shapes();
	check_actalis_path();
	check_limit_refuses();
	rmdir(dir);
	return check_done();
}
