/*
 * test_approve_notify - the mail that tells a person what to click
 * (approve_notify.c): what it carries, and what it refuses to write.
 */
#include <stdlib.h>
#include <string.h>

#include "approve.h"
#include "check.h"
#include "sendmail.h"

#define LINK "https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=123456789"

static void make_order(struct order *order, const char *contact)
{
	memset(order, 0, sizeof(*order));
	order->id = 7;
	order->domain = (char *) "example.com";
	order->ca = (char *) "sectigo";
	order->ca_order = (char *) "123456789";
	order->contact = (char *) contact;
}

static void make_approval(struct approval *a)
{
	memset(a, 0, sizeof(*a));
	a->id = 3;
	a->order_id = 7;
	a->link = (char *) LINK;
	a->code = (char *) "a1B2-c3*D4";
	a->authenticated = 1;
	a->received_at = 1795000000;
}

static void test_notice(struct config *cfg)
{
	struct order order;
	struct approval a;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;

	make_order(&order, "ops@example.com");
	make_approval(&a);
	if (!check_int(approve_compose_notice(&order, &a, cfg, &mail, &why), 0, "notice composed"))
		goto out;
	check_true(strncmp(sb_str(&mail), "From: mailcert\n", 15) == 0, "From: first, from [notify] from");
	check_contains(sb_str(&mail), "\nTo: ops@example.com\n", "To: is the contact");
	check_contains(sb_str(&mail), "\nSubject: [mailcert] approve CA order 123456789 for example.com\n",
		       "subject names CA order and domain");
	check_contains(sb_str(&mail), "\n\n" LINK "\n\n", "link exactly, on a line of its own");
	check_contains(sb_str(&mail), "\na1B2-c3*D4\n", "code exactly, on a line of its own");
	check_contains(sb_str(&mail), "CA order number:  123456789", "CA order number in the body");
	check_contains(sb_str(&mail), "mailcert approve 7 --done", "what to run afterwards");
	check_contains(sb_str(&mail), "REJECTS", "warns about the reject link");
out:
	sb_free(&mail);
	sb_free(&why);
}

struct refusal {
	const char *name;
	const char *contact;
	const char *link;
	const char *code;
};

static const struct refusal refusals[] = {
	{"no contact refused", NULL, LINK, "x"},
	{"LF in contact refused", "ops@example.com\nBcc: victim@evil.example", LINK, "x"},
	{"CR in contact refused", "ops@example.com\rBcc: victim@evil.example", LINK, "x"},
	{"two recipients refused", "ops@example.com, victim@evil.example", LINK, "x"},
	{"display name refused", "Ops <ops@example.com>", LINK, "x"},
	{"non-ASCII contact refused", "op\xc3\xa9@example.com", LINK, "x"},
	{"LF in link refused", "ops@example.com", LINK "\nBcc: x@evil.example", "x"},
	{"space in link refused", "ops@example.com", LINK " x", "x"},
	{"LF in code refused", "ops@example.com", LINK, "x\n\nmore"},
	{NULL, NULL, NULL, NULL},
};

static void test_refusals(struct config *cfg)
{
	const struct refusal *r;
	struct order order;
	struct approval a;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	char name[160];

	for (r = refusals; r->name; r++) {
		make_order(&order, r->contact);
		make_approval(&a);
		a.link = (char *) r->link;
		a.code = (char *) r->code;
		sb_reset(&mail);
		sb_reset(&why);
		check_int(approve_compose_notice(&order, &a, cfg, &mail, &why), -1, r->name);
		snprintf(name, sizeof(name), "%s: nothing written", r->name);
		check_int((long long) mail.len, 0, name);
		snprintf(name, sizeof(name), "%s: says why", r->name);
		check_true(why.len > 0, name);
	}
	sb_free(&mail);
	sb_free(&why);
}

static void test_header_values(void)
{
	char long_value[MAIL_HEADER_VALUE_MAX + 2];

	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = 0;
	check_true(mail_header_value_ok("ops@example.com"), "plain value accepted");
	check_true(!mail_header_value_ok("a\r\nb"), "CR LF refused");
	check_true(!mail_header_value_ok("a\tb"), "TAB refused");
	check_true(!mail_header_value_ok(""), "empty refused");
	check_true(!mail_header_value_ok(NULL), "NULL refused");
	check_true(!mail_header_value_ok(long_value), "over MAIL_HEADER_VALUE_MAX refused");
}

static void test_unsafe_from(struct config *cfg)
{
	struct order order;
	struct approval a;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	char *saved = cfg->notify_from;

	make_order(&order, "ops@example.com");
	make_approval(&a);
	cfg->notify_from = (char *) "mailcert\nBcc: victim@evil.example";
	check_int(approve_compose_notice(&order, &a, cfg, &mail, &why), -1, "LF in [notify] from refused");
	cfg->notify_from = saved;
	sb_free(&mail);
	sb_free(&why);
}

int main(void)
{
	struct config *cfg = config_defaults();

	test_notice(cfg);
	test_refusals(cfg);
	test_header_values();
	test_unsafe_from(cfg);
	config_free(cfg);
	return check_done();
}
