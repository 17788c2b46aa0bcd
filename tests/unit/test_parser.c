/*
 * test_parser - every approval, notice, decline and hostile fixture of
 * tests/fixtures with the verdict it must get; the JSON of a verdict; the
 * configuration switches require_dkim and authserv_id; input that is not
 * mail at all.  Run from the top of the repository.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_parser.h"
#include "config.h"
#include "mymalloc.h"
#include "parser.h"

#define F(name) "tests/fixtures/" name
#define T 1
#define N 0

static const char *const SEC = "https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=";

struct expect {
	const char *file;
	enum verdict_kind kind;
	const char *ca;
	int     authenticated;
	const char *link;		/* "SEC" + order: see link_of() */
	const char *code;
	const char *ca_order;
	const char *domain;
	const char *limit_hit;
	const char *reason;		/* one reason must contain this */
};

static const struct expect cases[] = {
	/* Sectigo, Comodo, ZeroSSL */
	{F("approval-sectigo-plain.eml"), VERDICT_APPROVAL, "sectigo", T, "SEC1234567890",
	 "Xy7kP2qR9mT4vW8z", "1234567890", "example.com", NULL, "reject link of sectigo ignored"},
	{F("approval-sectigo-qp-alternative.eml"), VERDICT_APPROVAL, "sectigo", T, "SEC2233445566",
	 "a8Xk-2Lp*Q9mZ7", "2233445566", "shop.example.org", NULL, "dkim=pass for trust-provider.com"},
	{F("approval-comodo-html-base64.eml"), VERDICT_APPROVAL, "sectigo", T,
	 "https://secure.comodo.net/products/EnterDCVCode?orderNumber=3456789012",
	 "Kq3Zt8Wn2Xr5Yp1L", "3456789012", "mail.example.net", NULL, "dkim=pass for comodo.com"},
	{F("approval-zerossl-base64.eml"), VERDICT_APPROVAL, "sectigo", T, "SEC4567890123",
	 "ZsL0-9fQ2-Tk7W", "4567890123", "www.example.com", NULL, NULL},
	/* the code only in the link's query */
	{F("approval-zerossl-code-in-link.eml"), VERDICT_APPROVAL, "sectigo", T,
	 "SEC4567890124", "Lk9-Pq2Z7xW3", "4567890124", "www.example.com", NULL, NULL},
	{F("approval-zerossl-html-code-in-href.eml"), VERDICT_APPROVAL, "sectigo", T,
	 "SEC4567890125", "Mn4-Rs7Tv9Wx", "4567890125", "www.example.com", NULL, NULL},
	/* the text part's link without the code, the HTML part's with it: one link */
	{F("approval-zerossl-alternative-code-in-html.eml"), VERDICT_APPROVAL, "sectigo", T,
	 "SEC4567890126", "Qw3-Er5Ty7", "4567890126", "www.example.com", NULL, NULL},
	/* the link's code and the text's differ (if only in case): ambiguous */
	{F("hostile-code-link-disagrees.eml"), VERDICT_APPROVAL, "sectigo", T,
	 "SEC5550003333", NULL, "5550003333", "www.example.com", NULL,
	 "ambiguous: the mail names validation code aa11-bb22-cc33 and Aa11-Bb22-Cc33"},
	/* a reseller's own sender: not believed unless named (test_profiles) */
	{F("approval-reseller-relay.eml"), VERDICT_APPROVAL, "sectigo", N, "SEC7766554433",
	 "Rr8-Tt5Yy2Uu", "7766554433", "shop.example.com", NULL, NULL},
	/* DigiCert, GeoTrust */
	{F("approval-digicert-plain.eml"), VERDICT_APPROVAL, "digicert", T,
	 "https://dcv.digicert.com/dcv/approve?token=3f9c2e7a81b44d0f9a6c5e1d2b7a8c90",
	 NULL, "87654321", "example.com", NULL, NULL},
	{F("approval-geotrust-html-qp.eml"), VERDICT_APPROVAL, "digicert", T,
	 "https://www.digicert.com/link/dcv/approve?t=8a7f6e5d4c3b2a19&order_id=55667788",
	 NULL, "55667788", "www.example.org", NULL, "dkim=pass for geotrust.com"},
	/* the order without '#', its leading zeros kept */
	{F("approval-digicert-order-no-hash.eml"), VERDICT_APPROVAL, "digicert", T,
	 "https://www.digicert.com/link/dcv/approve?t=ab12cd34ef56ab78", NULL, "00123456", "example.com", NULL, NULL},
	/* GeoTrust's own ORDER APPROVAL: its product host, its wording */
	{F("approval-geotrust-order-approval.eml"), VERDICT_APPROVAL, "digicert", T,
	 "https://products.geotrust.com/orders/A.do?p=AbCdEf123456", NULL, NULL, "www.example.net", NULL,
	 "dkim=pass for geotrust.com"},
	/* GlobalSign */
	{F("approval-globalsign-plain.eml"), VERDICT_APPROVAL, "globalsign", T,
	 "https://system.globalsign.com/dv/approve?token=9d8c7b6a5f4e3d2c1b0a",
	 NULL, "CE20261128001", "example.com", NULL, NULL},
	{F("approval-globalsign-alternative-base64.eml"), VERDICT_APPROVAL, "globalsign", T,
	 "https://system.globalsign.com/dv/approval?token=0a1b2c3d4e5f6a7b8c9d",
	 NULL, "CE20261128002", "www.example.de", NULL, NULL},
	/* GoDaddy, Starfield */
	{F("approval-godaddy-plain.eml"), VERDICT_APPROVAL, "godaddy", T,
	 "https://certs.godaddy.com/dav/verify?token=c29tZS10b2tlbi12YWx1ZQ&request_id=1122334455",
	 "7G4H-2K9Q", "1122334455", "example.com", NULL, NULL},
	{F("approval-starfield-qp.eml"), VERDICT_APPROVAL, "godaddy", T,
	 "https://certs.starfieldtech.com/dav/verify?token=c29tZS12ZXJ5LWxvbmctdG9rZW4tdmFsdWUtZm9yLXN0YXJmaWVsZA"
	 "&request_id=6677889900", "Q2W3-E4R5", "6677889900", "intranet.example.com", NULL, NULL},
	/* Certum */
	{F("approval-certum-plain.eml"), VERDICT_APPROVAL, "certum", T,
	 "https://cs.certum.pl/dv/verify?token=f00dbabe1234567890abcdef&order_id=3300112233",
	 NULL, "3300112233", "example.com", NULL, NULL},
	{F("approval-certum-html.eml"), VERDICT_APPROVAL, "certum", T,
	 "https://cs.certum.pl/dv/verify?token=0123456789abcdef0123&order_id=3300445566",
	 NULL, "3300445566", "sklep.example.pl", NULL, NULL},
	/* SSL.com: the link and a 20-character code; no order number in it */
	{F("approval-sslcom-plain.eml"), VERDICT_APPROVAL, "sslcom", T,
	 "https://secure.ssl.com/team/a1f-1kq2a3b/domains/dcv_all_validate",
	 "3fa9c07be2d4518a1kq2", NULL, "example.com", NULL, "dkim=pass for ssl.com"},
	/* SSL.com's deliveries: the text's "ref# co-..." is not taken (text a
	 * user chose could name anybody's order); the certificates find their
	 * order by key */
	{F("cert-sslcom-zip.eml"), VERDICT_CERTIFICATE, "sslcom", T, NULL, NULL, NULL,
	 "www.example.com", NULL, "4 certificates found"},
	{F("cert-sslcom-nginx.eml"), VERDICT_CERTIFICATE, "sslcom", T, NULL, NULL, NULL,
	 "www.example.com", NULL, "3 certificates found"},
	/* the order reference from the end of SSL.com's own subject */
	{F("notice-sslcom-validation-request.eml"), VERDICT_NOTICE, "sslcom", T, NULL, NULL,
	 "co-a21kq2a3b", "www.example.com", NULL, "notice: wording of sslcom"},
	/* not a decline: it names the invoice ("order #9c4e-..."), and may be answered */
	{F("notice-sslcom-not-approved.eml"), VERDICT_NOTICE, "sslcom", T, NULL, NULL,
	 NULL, "www.example.com", NULL, "notice: wording of sslcom"},
	/* a team name (text a user chose) in a genuine SSL.com mail: the approval
	 * link it holds makes an approval that names no order, so it changes
	 * none; its decline wording and order references are not taken */
	/* a notification group's name ends a reminder's subject: the order
	 * reference is taken only from the end of SSL.com's own subjects */
	{F("hostile-sslcom-reminder-name.eml"), VERDICT_APPROVAL, "sslcom", T,
	 "https://secure.ssl.com/domains/dcv_all_validate", NULL, NULL, NULL, NULL,
	 "approval request: a link has the form of sslcom's approval link"},
	{F("hostile-sslcom-team-name.eml"), VERDICT_APPROVAL, "sslcom", T,
	 "https://secure.ssl.com/domains/dcv_all_validate", "0123456789abcdefghij", NULL, "www.example.com",
	 NULL, "approval request: a link has the form of sslcom's approval link"},
	/* Actalis: a shape constructed from what Actalis publishes (a link, no
	 * code), with profiles/actalis.conf's guesses for the rest.  Its link's
	 * path is not public and not guessed: an approval by sender and
	 * wording, not believed until an extension names the path */
	{F("approval-actalis-guess.eml"), VERDICT_APPROVAL, "actalis", N, NULL, NULL, "4400556677",
	 "example.it", NULL, "approval request by actalis's wording, but without an approval link"},
	/* Notices and declines */
	{F("notice-sectigo-order-received.eml"), VERDICT_NOTICE, "sectigo", T, NULL, NULL,
	 "1234567890", "example.com", NULL, "notice: wording of sectigo"},
	{F("notice-sectigo-expiry.eml"), VERDICT_NOTICE, "sectigo", T, NULL, NULL,
	 "9988776655", "www.example.com", NULL, NULL},
	{F("notice-sectigo-order-confirmation.eml"), VERDICT_NOTICE, "sectigo", T, NULL, NULL,
	 "1234567891", "example.com", NULL, "notice: wording of sectigo"},
	{F("notice-digicert-action-required.eml"), VERDICT_NOTICE, "digicert", T, NULL, NULL,
	 NULL, NULL, NULL, "notice: wording of digicert"},
	{F("notice-geotrust-request-confirmation.eml"), VERDICT_NOTICE, "digicert", T, NULL, NULL,
	 NULL, "www.example.net", NULL, "notice: wording of digicert"},
	{F("notice-certum-request-created.eml"), VERDICT_NOTICE, "certum", T, NULL, NULL,
	 "3300112233", "example.com", NULL, NULL},
	{F("decline-sectigo-cancelled.eml"), VERDICT_DECLINE, "sectigo", T, NULL, NULL,
	 "1234567890", "example.com", NULL, "decline or cancellation"},
	{F("decline-digicert-rejected.eml"), VERDICT_DECLINE, "digicert", T, NULL, NULL,
	 "87654321", "example.com", NULL, NULL},
	/* Hostile: links */
	{F("hostile-lookalike-host.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://secure.trust-provider.com.evil.example/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "not on the profile's link_hosts"},
	{F("hostile-userinfo.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://secure.trust-provider.com@evil.example/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "user information"},
	{F("hostile-http-link.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "http://secure.trust-provider.com/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "is not https"},
	{F("hostile-javascript-link.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "javascript:window.location='https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=5550001111'",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "not an absolute URL"},
	{F("hostile-port.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://secure.trust-provider.com:8443/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "secure.trust-provider.com:8443, which is not"},
	{F("hostile-percent-host.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://secure.trust-provider%2Ecom/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "percent-encoding"},
	{F("hostile-backslash.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://evil.example\\@secure.trust-provider.com/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "backslash"},
	{F("hostile-punycode.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://secure.xn--trust-prvider-9fj.com/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "non-ASCII"},
	{F("hostile-entity-host.eml"), VERDICT_APPROVAL, "sectigo", N,
	 "https://secure.trust-provider.com.evil.example/products/EnterDCVCode?orderNumber=5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "not on the profile's link_hosts"},
	{F("hostile-two-links.eml"), VERDICT_APPROVAL, "sectigo", N, "SEC5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "secure-trust-provider.example"},
	{F("hostile-reject-only.eml"), VERDICT_APPROVAL, "sectigo", N, NULL,
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "no approval link found"},
	{F("hostile-unknown-sender.eml"), VERDICT_NONE, NULL, N, NULL, NULL, NULL, NULL, NULL,
	 "no CA profile knows the sender"},
	/* text a customer chose (an organisation name) names an order sixteen
	 * times before the CA's own number: values past those read could
	 * disagree, so the order number is refused, never the first one taken */
	{F("hostile-many-order-numbers.eml"), VERDICT_APPROVAL, "digicert", T,
	 "https://www.digicert.com/link/dcv/approve?t=ab12cd34ef56ab78", NULL, NULL, "example.com", NULL,
	 "holds more CA order number matches than are read (16)"},
	/* a stranger's links to cancel or reject something are nobody's: only
	 * a link of a CA's approval form picks a CA for a stranger's mail */
	{F("hostile-stranger-cancel-link.eml"), VERDICT_NONE, NULL, N, NULL, NULL, NULL, NULL, NULL,
	 "no CA profile knows the sender or the links"},
	/* Hostile: authentication */
	{F("hostile-dkim-fail.eml"), VERDICT_APPROVAL, "sectigo", N, "SEC5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "dkim=fail for trust-provider.com by mx.example.net"},
	{F("hostile-dkim-other-domain.eml"), VERDICT_APPROVAL, "sectigo", N, "SEC5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "trust-provider.com.evil.example does not count"},
	{F("hostile-forged-authres.eml"), VERDICT_APPROVAL, "sectigo", N, "SEC5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "names mx.example.net, but not as its authserv-id: forged"},
	{F("hostile-authres-comment.eml"), VERDICT_APPROVAL, "sectigo", N, "SEC5550001111",
	 "Hh7Jk2Lm9Np4Qr6S", "5550001111", "example.com", NULL, "dkim=pass for evil.example does not count"},
	/* Hostile: limits */
	{F("hostile-deep-nesting.eml"), VERDICT_APPROVAL, "sectigo", N, NULL, NULL, "5550002222",
	 "example.com", "max_mime_depth", "no approval link found"},
	{F("hostile-huge-header.eml"), VERDICT_APPROVAL, "sectigo", T, "SEC5550003333",
	 "Uu1Vv2Ww3Xx4Yy5Z", "5550003333", "example.com", "max_header_length", "Subject header field was skipped"},
	{F("hostile-many-parts.eml"), VERDICT_NONE, NULL, N, NULL, NULL, NULL, NULL, "max_parts",
	 "not parsed"},
};

static struct parser *test_parser(const char *authserv_id, int require_dkim, size_t max_size)
{
	struct config *cfg = config_defaults();
	struct strbuf err = STRBUF_INIT;
	struct parser *parser;

	cfg->authserv_id = authserv_id ? xstrdup(authserv_id) : NULL;
	cfg->require_dkim = require_dkim;
	if (max_size)
		cfg->max_message_size = max_size;
	parser = parser_new(cfg, &err);
	if (parser == NULL)
		printf("not ok - parser_new: %s\n", sb_str(&err));
	sb_free(&err);
	config_free(cfg);
	return parser;
}

static int has_reason(const struct verdict *v, const char *text)
{
	size_t  i;

	for (i = 0; i < v->reasons.count; i++)
		if (strstr(v->reasons.items[i], text))
			return 1;
	return 0;
}

static void link_of(const char *want, char *buf, size_t size)
{
	if (want && strncmp(want, "SEC", 3) == 0)
		snprintf(buf, size, "%s%s", SEC, want + 3);
	else
		snprintf(buf, size, "%s", want ? want : "");
}

static void check_case(const struct parser *parser, const struct expect *e)
{
	struct verdict v;
	char    name[512];
	char    link[512];
	const char *base = strrchr(e->file, '/') + 1;

	if (parse_file(parser, e->file, &v) < 0)
		return;
	link_of(e->link, link, sizeof(link));
#define NAME(what) (snprintf(name, sizeof(name), "%s: %s", base, what), name)
	check_str(verdict_kind_name(v.kind), verdict_kind_name(e->kind), NAME("kind"));
	check_str(v.ca, e->ca, NAME("ca"));
	check_int(v.authenticated, e->authenticated, NAME("authenticated"));
	check_str(v.link, e->link ? link : NULL, NAME("link"));
	check_str(v.code, e->code, NAME("code"));
	check_str(v.ca_order, e->ca_order, NAME("ca_order"));
	check_str(v.domain, e->domain, NAME("domain"));
	check_str(v.limit_hit, e->limit_hit, NAME("limit_hit"));
	if (e->reason && !check_true(has_reason(&v, e->reason), NAME("reason names the cause"))) {
		size_t  i;

		for (i = 0; i < v.reasons.count; i++)
			printf("#   reason: %s\n", v.reasons.items[i]);
	}
	check_true(e->kind != VERDICT_APPROVAL || v.link == NULL || strstr(v.link, "Reject") == NULL,
		   NAME("the approval link is never a reject link"));
#undef NAME
	verdict_free(&v);
}

/* check_json - the shape of verdict_to_json() for one approval */

static void check_json(const struct parser *parser)
{
	struct verdict v;
	json_t *j;
	json_t *approval;

	if (parse_file(parser, F("approval-sectigo-plain.eml"), &v) < 0)
		return;
	j = verdict_to_json(&v);
	check_str(json_string_value(json_object_get(j, "kind")), "approval", "json: kind");
	check_str(json_string_value(json_object_get(j, "ca")), "sectigo", "json: ca");
	check_true(json_is_true(json_object_get(j, "authenticated")), "json: authenticated");
	check_true(json_is_array(json_object_get(j, "reasons")), "json: reasons is an array");
	check_true(json_is_null(json_object_get(j, "limit_hit")), "json: limit_hit is null");
	check_str(json_string_value(json_object_get(j, "message_id")),
		  "dcv.1234567890.20261127101403@trust-provider.com", "json: message_id without <>");
	check_str(json_string_value(json_object_get(j, "from")), "noreply_support@trust-provider.com", "json: from");
	check_str(json_string_value(json_object_get(j, "subject")),
		  "ORDER #1234567890 - Domain Control Validation for example.com", "json: subject");
	approval = json_object_get(j, "approval");
	check_str(json_string_value(json_object_get(approval, "code")), "Xy7kP2qR9mT4vW8z", "json: approval.code");
	check_str(json_string_value(json_object_get(approval, "ca_order")), "1234567890", "json: approval.ca_order");
	check_str(json_string_value(json_object_get(approval, "domain")), "example.com", "json: approval.domain");
	check_true(json_is_string(json_object_get(approval, "link")), "json: approval.link");
	check_int((long long) json_array_size(json_object_get(j, "certificates")), 0, "json: no certificates");
	check_str(json_string_value(json_object_get(j, "ca_order")), "1234567890", "json: ca_order, of any kind");
	check_str(json_string_value(json_object_get(j, "domain")), "example.com", "json: domain, of any kind");
	check_int((long long) json_object_size(j), 13, "json: thirteen keys (with ambiguous, ca_order, domain)");
	json_decref(j);
	verdict_free(&v);

	/* a certificate delivery names its CA order number too */
	if (parse_file(parser, F("cert-zip-sectigo.eml"), &v) == 0) {
		j = verdict_to_json(&v);
		check_str(json_string_value(json_object_get(j, "kind")), "certificate", "json of a delivery: kind");
		check_str(json_string_value(json_object_get(j, "ca_order")), "1234567",
			  "json of a delivery: the CA order number its subject names");
		check_true(json_is_null(json_object_get(j, "approval")), "json of a delivery: no approval");
		json_decref(j);
		verdict_free(&v);
	}

	if (parse_file(parser, F("decline-sectigo-cancelled.eml"), &v) < 0)
		return;
	j = verdict_to_json(&v);
	check_true(json_is_null(json_object_get(j, "approval")), "json: approval is null for a decline");
	json_decref(j);
	verdict_free(&v);
}

/* check_settings - require_dkim = no, no authserv_id, max_message_size */

static void check_settings(void)
{
	struct parser *parser;
	struct verdict v;

	if ((parser = test_parser("mx.example.net", 0, 0)) != NULL) {
		if (parse_file(parser, F("hostile-dkim-fail.eml"), &v) == 0) {
			check_int(v.authenticated, 1, "require_dkim = no: dkim=fail with a good link is believed");
			verdict_free(&v);
		}
		if (parse_file(parser, F("hostile-lookalike-host.eml"), &v) == 0) {
			check_int(v.authenticated, 0, "require_dkim = no: a look-alike link is still refused");
			verdict_free(&v);
		}
		parser_free(parser);
	}
	if ((parser = test_parser(NULL, 1, 0)) != NULL) {
		if (parse_file(parser, F("approval-sectigo-plain.eml"), &v) == 0) {
			check_int(v.authenticated, 0, "no authserv_id: nothing is believed");
			check_true(has_reason(&v, "no authserv_id"), "no authserv_id: said in the reasons");
			verdict_free(&v);
		}
		parser_free(parser);
	}
	if ((parser = test_parser("MX.Example.NET", 1, 1000)) != NULL) {
		if (parse_file(parser, F("approval-sectigo-plain.eml"), &v) == 0) {
			check_str(v.limit_hit, "max_message_size", "max_message_size: the limit is named");
			check_str(verdict_kind_name(v.kind), "none", "max_message_size: kind none");
			verdict_free(&v);
		}
		parser_free(parser);
	}
	if ((parser = test_parser("MX.Example.NET", 1, 0)) != NULL) {
		if (parse_file(parser, F("approval-sectigo-plain.eml"), &v) == 0) {
			check_int(v.authenticated, 1, "authserv_id compared without regard to case");
			verdict_free(&v);
		}
		parser_free(parser);
	}
}

/* check_garbage - input that is not mail does not crash and gives none */

static void check_garbage(const struct parser *parser)
{
	static const struct {
		const char *name;
		const char *data;
		size_t  len;
	} inputs[] = {
		{"empty input", "", 0},
		{"binary input", "\0\x01\x02\xff\xfe\r\n\r\n\x80", 10},
		{"header only", "From: a@b.example\n", 18},
		{"unterminated multipart", "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html\n\n<a href=\"", 78},
		{"bad base64", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!!====\n", 69},
	};
	struct verdict v;
	char    name[128];
	size_t  i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		verdict_init(&v);
		parser_parse(parser, inputs[i].data, inputs[i].len, &v);
		snprintf(name, sizeof(name), "%s: kind none", inputs[i].name);
		check_str(verdict_kind_name(v.kind), "none", name);
		json_decref(verdict_to_json(&v));
		verdict_free(&v);
	}
}

int main(void)
{
	struct parser *parser;
	size_t  i;

	if ((parser = test_parser("mx.example.net", 1, 0)) == NULL)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(parser, &cases[i]);
	check_json(parser);
	check_garbage(parser);
	parser_free(parser);
	check_settings();
	return check_done();
}
