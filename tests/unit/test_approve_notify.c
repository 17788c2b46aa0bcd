/*
 * test_approve_notify - the mails the approver writes to a person
 * (approve_notify.c, headers by sendmail.c): the notice carries the link,
 * the code and the order's own CA order number; the confirmation, for an
 * order placed without one, carries the mail's CA order number and how to
 * confirm it, never the link or the code; what is refused is never sent.
 *
 * Sending goes through a stand-in sendmail written into a temporary
 * directory, which keeps what it is given.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "approve.h"
#include "check.h"
#include "mymalloc.h"
#include "sendmail.h"

#define LINK "https://secure.trust-provider.com/products/EnterDCVCode?orderNumber=123456789"
#define CODE "a1B2-c3*D4"

static char dir[] = "/tmp/test_approve_notify.XXXXXX";
static char sent_path[256];

static void make_order(struct order *order, const char *contact, const char *ca_order)
{
	memset(order, 0, sizeof(*order));
	order->id = 7;
	order->domain = (char *) "example.com";
	order->ca = (char *) "sectigo";
	order->ca_order = (char *) ca_order;
	order->contact = (char *) contact;
}

static void make_approval(struct approval *a, const char *ca_order)
{
	memset(a, 0, sizeof(*a));
	a->id = 3;
	a->order_id = 7;
	a->link = (char *) LINK;
	a->code = (char *) CODE;
	a->ca_order = (char *) ca_order;
	a->domain = (char *) "example.com";
	a->authenticated = 1;
	a->received_at = 1795000000;
}

/* whole_mail - subject and body composed, then the whole message as
 * mail_compose() writes it to contact; 0 or -1 */

static int whole_mail(const struct config *cfg, const char *to, const struct strbuf *subject,
		      const struct strbuf *body, struct strbuf *mail, struct strbuf *why)
{
	struct mail_out m;

	m.from = cfg->notify_from;
	m.to = to;
	m.subject = subject->data;
	m.body = body->data;
	return mail_compose(&m, mail, why);
}

static void test_notice(const struct config *cfg)
{
	struct order order;
	struct approval a;
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;

	make_order(&order, "ops@example.com", "123456789");
	make_approval(&a, "123456789");
	if (!check_int(approve_compose_notice(&order, &a, &subject, &body, &why), 0, "notice composed"))
		goto out;
	check_str(subject.data, "[mailcert] approve CA order 123456789 for example.com",
		  "subject names CA order and domain");
	check_contains(body.data, "\n\n" LINK "\n\n", "link exactly, on a line of its own");
	check_contains(body.data, "\n" CODE "\n", "code exactly, on a line of its own");
	check_contains(body.data, "CA order number:  123456789", "CA order number in the body");
	check_contains(body.data, "mailcert approve 7 --done", "what to run afterwards");
	check_contains(body.data, "REJECTS", "warns about the reject link");
	if (!check_int(whole_mail(cfg, order.contact, &subject, &body, &mail, &why), 0,
		       "notice mail composed"))
		goto out;
	check_true(strncmp(sb_str(&mail), "From: mailcert\n", 15) == 0, "From: first, from [notify] from");
	check_contains(sb_str(&mail), "\nTo: ops@example.com\n", "To: is the contact");
	check_contains(sb_str(&mail), "\nSubject: [mailcert] approve CA order 123456789 for example.com\n",
		       "Subject: header is the subject");
	check_contains(sb_str(&mail), "\nAuto-Submitted: auto-generated\n", "marked auto-generated");
	check_contains(sb_str(&mail), "\n\nThe CA (profile sectigo)", "body after one empty line");
out:
	sb_free(&subject);
	sb_free(&body);
	sb_free(&mail);
	sb_free(&why);
}

/* test_notice_order_number - the notice names the order's own CA order
 * number (root's book), not what the mail said */

static void test_notice_order_number(void)
{
	struct order order;
	struct approval a;
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;

	make_order(&order, "ops@example.com", "123456789");
	make_approval(&a, "999999");
	if (check_int(approve_compose_notice(&order, &a, &subject, &body, &why), 0,
		      "notice: another number in the mail, composed")) {
		check_contains(subject.data, "CA order 123456789",
			       "notice: the order's number in the subject");
		check_contains(body.data, "CA order number:  123456789",
			       "notice: the order's number in the body");
		check_true(strstr(body.data, "999999") == NULL && strstr(subject.data, "999999") == NULL,
			   "notice: the mail's number is not written");
	}
	sb_reset(&subject);
	sb_reset(&body);
	make_order(&order, "ops@example.com", NULL);
	if (check_int(approve_compose_notice(&order, &a, &subject, &body, &why), 0,
		      "notice: order without a CA order number, composed")) {
		check_str(subject.data, "[mailcert] approve the certificate for example.com",
			  "notice: no number, the subject names the domain");
		check_contains(body.data, "CA order number:  (none recorded)", "notice: no number, said so");
	}
	sb_free(&subject);
	sb_free(&body);
	sb_free(&why);
}

static void check_absent(const char *text, const char *what, const char *name)
{
	char    detail[512];
	int     ok = text != NULL && strstr(text, what) == NULL;

	snprintf(detail, sizeof(detail), "\"%s\" is in it", what);
	check_report(ok, name, detail);
}

static void test_confirmation(const struct config *cfg)
{
	struct order order;
	struct approval a;
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;

	make_order(&order, "ops@example.com", NULL);
	make_approval(&a, "555123");
	if (!check_int(approve_compose_confirmation(&order, &a, &subject, &body, &why), 0,
		       "confirmation composed"))
		goto out;
	check_contains(subject.data, "555123", "confirmation: the mail's CA order number in the subject");
	check_contains(body.data, "CA order 555123", "confirmation: the mail's CA order number in the body");
	check_contains(body.data, "mailcert order set 7 --ca-order 555123", "confirmation: how to confirm");
	check_contains(body.data, "example.com", "confirmation: the domain");
	if (!check_int(whole_mail(cfg, order.contact, &subject, &body, &mail, &why), 0,
		       "confirmation mail composed"))
		goto out;
	check_absent(sb_str(&mail), LINK, "confirmation: not the link");
	check_absent(sb_str(&mail), "EnterDCVCode", "confirmation: no part of the link");
	check_absent(sb_str(&mail), "https://", "confirmation: no link at all");
	check_absent(sb_str(&mail), CODE, "confirmation: not the code");
	check_absent(sb_str(&mail), "a1B2", "confirmation: no part of the code");
	check_absent(sb_str(&mail), "approve 7 --done", "confirmation: not the notice's instructions");
out:
	sb_free(&subject);
	sb_free(&body);
	sb_free(&mail);
	sb_free(&why);
}

static const struct {
	const char *name;
	const char *ca_order;
	const char *domain;
	const char *absent;		/* NULL: refused; else accepted without this text */
} confirmation_cases[] = {
	{"confirmation: no CA order number in the mail refused", NULL, "example.com", NULL},
	{"confirmation: LF in the CA order number refused", "555\nBcc: victim@evil.example", "example.com",
	 NULL},
	{"confirmation: space in the CA order number refused", "555 123", "example.com", NULL},
	{"confirmation: an overlong CA order number refused",
	 "12345678901234567890123456789012345678901234567890123456789012345", "example.com", NULL},
	{"confirmation: a domain from the mail that is no DNS name is not written", "555123",
	 "example.com\n\nOpen https://evil.example/products/EnterDCVCode now", "evil.example"},
};

static void test_confirmation_refusals(void)
{
	struct order order;
	struct approval a;
	struct strbuf subject = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	char    name[200];
	size_t  i;
	int     rc;

	for (i = 0; i < sizeof(confirmation_cases) / sizeof(confirmation_cases[0]); i++) {
		make_order(&order, "ops@example.com", NULL);
		make_approval(&a, confirmation_cases[i].ca_order);
		a.domain = (char *) confirmation_cases[i].domain;
		sb_reset(&subject);
		sb_reset(&body);
		sb_reset(&why);
		rc = approve_compose_confirmation(&order, &a, &subject, &body, &why);
		if (confirmation_cases[i].absent == NULL) {
			check_int(rc, -1, confirmation_cases[i].name);
			snprintf(name, sizeof(name), "%s: says why", confirmation_cases[i].name);
			check_true(why.len > 0, name);
		} else if (rc == 0) {
			check_absent(body.data, confirmation_cases[i].absent, confirmation_cases[i].name);
		} else {
			check_true(why.len > 0, confirmation_cases[i].name);
		}
	}
	sb_free(&subject);
	sb_free(&body);
	sb_free(&why);
}

/* Refusals of the notice: what came from the mail (composer) and the
 * contact (mail_compose). */
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
	{"no @ in contact refused", "ops", LINK, "x"},
	{"no link refused", "ops@example.com", NULL, "x"},
	{"LF in link refused", "ops@example.com", LINK "\nBcc: x@evil.example", "x"},
	{"space in link refused", "ops@example.com", LINK " x", "x"},
	{"non-ASCII link refused", "ops@example.com", LINK "\xc3\xa9", "x"},
	{"LF in code refused", "ops@example.com", LINK, "x\n\nmore"},
	{"space in code refused", "ops@example.com", LINK, "x y"},
};

/* sent_count - how many mails the stand-in sendmail kept */

static int sent_count(void)
{
	char    path[300];
	int     n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "%s.%d", sent_path, n + 1);
		if (access(path, F_OK) != 0)
			return n;
		n++;
	}
}

static void test_refusals(const struct config *cfg)
{
	const struct refusal *r;
	struct order order;
	struct approval a;
	struct strbuf why = STRBUF_INIT;
	char    name[160];
	int     before;

	for (r = refusals; r < refusals + sizeof(refusals) / sizeof(refusals[0]); r++) {
		make_order(&order, r->contact, "123456789");
		make_approval(&a, "123456789");
		a.link = (char *) r->link;
		a.code = (char *) r->code;
		sb_reset(&why);
		before = sent_count();
		check_int(approve_notify(&order, &a, cfg, &why), APPROVE_REFUSED, r->name);
		snprintf(name, sizeof(name), "%s: nothing sent", r->name);
		check_int(sent_count(), before, name);
		snprintf(name, sizeof(name), "%s: says why", r->name);
		check_true(why.len > 0, name);
	}
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
	long_value[MAIL_HEADER_VALUE_MAX] = 0;
	check_true(mail_header_value_ok(long_value), "MAIL_HEADER_VALUE_MAX accepted");
}

static void test_unsafe_from(struct config *cfg)
{
	struct order order;
	struct approval a;
	struct strbuf why = STRBUF_INIT;
	char   *saved = cfg->notify_from;
	int     before = sent_count();

	make_order(&order, "ops@example.com", "123456789");
	make_approval(&a, "123456789");
	cfg->notify_from = (char *) "mailcert\nBcc: victim@evil.example";
	check_int(approve_notify(&order, &a, cfg, &why), APPROVE_REFUSED, "LF in [notify] from refused");
	check_int(sent_count(), before, "LF in [notify] from: nothing sent");
	cfg->notify_from = saved;
	sb_free(&why);
}

static int read_sent(int n, struct strbuf *text)
{
	char    path[300];

	snprintf(path, sizeof(path), "%s.%d", sent_path, n);
	return check_read_file(path, text);
}

static void test_send(struct config *cfg)
{
	struct order order;
	struct approval a;
	struct strbuf why = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT;
	char   *saved = cfg->notify_sendmail;
	int     before = sent_count();

	make_order(&order, "ops@example.com", "123456789");
	make_approval(&a, "123456789");
	check_int(approve_notify(&order, &a, cfg, &why), APPROVE_DONE, "notice sent");
	if (check_int(sent_count(), before + 1, "notice: one mail handed to sendmail")
	    && read_sent(before + 1, &text) == 0) {
		check_contains(text.data, "ARGS: -t -i\n", "notice: sendmail -t -i");
		check_contains(text.data, "\nTo: ops@example.com\n", "notice: to the contact");
		check_contains(text.data, "\n" LINK "\n", "notice: the link sent");
	}
	make_order(&order, "ops@example.com", NULL);
	make_approval(&a, "555123");
	check_int(approve_notify_confirmation(&order, &a, cfg, &why), APPROVE_DONE, "confirmation sent");
	if (check_int(sent_count(), before + 2, "confirmation: one mail handed to sendmail")
	    && read_sent(before + 2, &text) == 0) {
		check_contains(text.data, "--ca-order 555123", "confirmation: how to confirm, sent");
		check_absent(text.data, "EnterDCVCode", "confirmation: no link sent");
		check_absent(text.data, CODE, "confirmation: no code sent");
	}
	cfg->notify_sendmail = (char *) "/bin/false";
	make_order(&order, "ops@example.com", "123456789");
	make_approval(&a, "123456789");
	sb_reset(&why);
	check_int(approve_notify(&order, &a, cfg, &why), APPROVE_RETRY, "sendmail failing: try again later");
	check_true(why.len > 0, "sendmail failing: says why");
	cfg->notify_sendmail = saved;
	sb_free(&why);
	sb_free(&text);
}

/* stand_in_sendmail - a script that keeps its arguments and its input in
 * DIR/sent.N */

static int stand_in_sendmail(struct config *cfg)
{
	char    path[300];
	FILE   *fp;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(sent_path, sizeof(sent_path), "%s/sent", dir);
	snprintf(path, sizeof(path), "%s/sendmail", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		return -1;
	}
	fprintf(fp, "#!/bin/sh\nn=1\nwhile [ -e '%s.'$n ]; do n=$((n + 1)); done\n"
		"{ echo \"ARGS: $*\"; cat; } >'%s.'$n\n", sent_path, sent_path);
	if (fclose(fp) != 0 || chmod(path, 0755) != 0) {
		perror(path);
		return -1;
	}
	free(cfg->notify_sendmail);
	cfg->notify_sendmail = xstrdup(path);
	return 0;
}

static void remove_dir(void)
{
	char    path[300];
	int     n;

	for (n = sent_count(); n > 0; n--) {
		snprintf(path, sizeof(path), "%s.%d", sent_path, n);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sendmail", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct config *cfg = config_defaults();

	if (stand_in_sendmail(cfg) < 0) {
		check_report(0, "stand-in sendmail written", "cannot write it");
		config_free(cfg);
		return 1;
	}
	test_notice(cfg);
	test_notice_order_number();
	test_confirmation(cfg);
	test_confirmation_refusals();
	test_refusals(cfg);
	test_header_values();
	test_unsafe_from(cfg);
	test_send(cfg);
	remove_dir();
	config_free(cfg);
	return check_done();
}
