/*
 * test_authres - Authentication-Results as RFC 8601 writes them and as
 * verifiers and forgers do: versions, comments anywhere, several results,
 * quoting, and fields that must be refused.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "authres.h"
#include "check.h"

struct ar_case {
	const char *name;
	const char *value;
	int     rc;			/* authres_parse() */
	const char *authserv_id;
	size_t  count;			/* results kept */
	int     index;			/* the result checked below */
	const char *method;
	const char *result;
	const char *domain;		/* authres_dkim_domain() */
};

static const struct ar_case cases[] = {
	{"simple dkim pass", "mx.example.net; dkim=pass header.d=example.com",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"version and header.i", "mx.example.net 1; dkim=pass header.i=@mail.example.com",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "mail.example.com"},
	{"OpenDKIM style", "mx.example.net;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com "
	 "header.i=@example.com header.a=rsa-sha256 header.s=sel header.b=AbC+/d=",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"comments everywhere, nested", "mx.example.net (our (inner) verifier; v1); dkim=pass "
	 "(good (really) signature; trust me) header.d=example.com (the domain)",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"a comment does not make the authserv-id", "mx.evil.example (mx.example.net); dkim=pass header.d=example.com",
	 0, "mx.evil.example", 1, 0, "dkim", "pass", "example.com"},
	{"a domain in a comment does not count", "mx.example.net; dkim=pass (header.d=good.example) header.d=evil.example",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "evil.example"},
	{"several results: the third", "mx.example.net; spf=pass smtp.mailfrom=example.com; "
	 "dkim=fail header.d=a.example; dkim=pass header.d=b.example; dmarc=pass header.from=b.example",
	 0, "mx.example.net", 4, 2, "dkim", "pass", "b.example"},
	{"several results: the failing one", "mx.example.net; dkim=fail header.d=a.example; dkim=pass header.d=b.example",
	 0, "mx.example.net", 2, 0, "dkim", "fail", "a.example"},
	{"no result", "mx.example.net; none", 0, "mx.example.net", 0, -1, NULL, NULL, NULL},
	{"quoted authserv-id", "\"mx.example.net\"; dkim=pass header.d=example.com",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"spaces around =", "mx.example.net; dkim = pass header.d = example.com",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"method version, upper case", "mx.example.net; DKIM/1=PASS Header.D=Example.COM",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "Example.COM"},
	{"quoted reason with ;", "mx.example.net; dkim=fail reason=\"bad; signature\" header.d=example.com",
	 0, "mx.example.net", 1, 0, "dkim", "fail", "example.com"},
	{"a bad result is skipped, the next kept", "mx.example.net; dkim; dkim=pass header.d=example.com",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"folded over lines", "mx.example.net;\n dkim=pass\n  header.d=example.com",
	 0, "mx.example.net", 1, 0, "dkim", "pass", "example.com"},
	{"empty field", "", -1, NULL, 0, -1, NULL, NULL, NULL},
	{"no ';' at all", "mx.example.net dkim=pass", -1, NULL, 0, -1, NULL, NULL, NULL},
	{"unbalanced comment", "mx.example.net (oops; dkim=pass header.d=example.com", -1, NULL, 0, -1, NULL, NULL, NULL},
	{"unterminated quote", "\"mx.example.net; dkim=pass header.d=example.com", -1, NULL, 0, -1, NULL, NULL, NULL},
	{"comments nested too deep", "mx.example.net ((((((((((((((((((x)))))))))))))))))); dkim=pass header.d=a.example",
	 -1, NULL, 0, -1, NULL, NULL, NULL},
	{"a NUL byte", "mx.example.net; dkim=pass\0 header.d=example.com", -1, NULL, 0, -1, NULL, NULL, NULL},
};

static void check_case(const struct ar_case *c)
{
	struct authres ar;
	char    name[256];
	size_t  len = strlen(c->value);
	int     rc;

	if (strcmp(c->name, "a NUL byte") == 0)
		len = 48;
	rc = authres_parse(c->value, len, &ar);
	snprintf(name, sizeof(name), "%s: parses (%d)", c->name, c->rc);
	if (!check_int(rc, c->rc, name) || rc < 0)
		return;
	snprintf(name, sizeof(name), "%s: authserv-id", c->name);
	check_str(ar.authserv_id, c->authserv_id, name);
	snprintf(name, sizeof(name), "%s: results", c->name);
	check_int((long long) ar.count, (long long) c->count, name);
	if (c->index < 0 || (size_t) c->index >= ar.count)
		return;
	snprintf(name, sizeof(name), "%s: method", c->name);
	check_str(ar.results[c->index].method, c->method, name);
	snprintf(name, sizeof(name), "%s: result", c->name);
	check_str(ar.results[c->index].result, c->result, name);
	snprintf(name, sizeof(name), "%s: dkim domain", c->name);
	check_str(authres_dkim_domain(&ar.results[c->index]), c->domain, name);
}

/* check_long_values - a value too long for its field is "", never cut */

static void check_long_values(void)
{
	char    value[1024];
	char    domain[400];
	struct authres ar;
	int     i;

	for (i = 0; i < 300; i++)
		domain[i] = 'a';
	strcpy(domain + 300, ".example.com");
	snprintf(value, sizeof(value), "mx.example.net; dkim=pass header.d=%s", domain);
	check_int(authres_parse(value, strlen(value), &ar), 0, "long header.d: parses");
	check_str(ar.results[0].header_d, "", "long header.d: kept as empty, not cut");
	snprintf(value, sizeof(value), "%s; dkim=pass header.d=example.com", domain);
	check_int(authres_parse(value, strlen(value), &ar), -1, "long authserv-id: refused");
}

static void check_many_results(void)
{
	char    value[4096] = "mx.example.net";
	struct authres ar;
	int     i;

	for (i = 0; i < 40; i++)
		strcat(value, "; dkim=pass header.d=example.com");
	check_int(authres_parse(value, strlen(value), &ar), 0, "40 results: parses");
	check_int((long long) ar.count, AUTHRES_MAX_RESULTS, "40 results: the first AUTHRES_MAX_RESULTS kept");
}

int main(void)
{
	size_t  i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	check_long_values();
	check_many_results();
	return check_done();
}
