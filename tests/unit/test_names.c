/*
 * test_names - which domain names and addresses mailcert accepts from an
 * operator, and how envelope addresses are normalised.
 * SPDX-License-Identifier: ISC
 */
#include <stdlib.h>

#include "check.h"
#include "names.h"

static const struct {
	const char *name;
	int     wildcard;
	int     want;
} domain_cases[] = {
	{"example.com", 0, 1},
	{"www.example.co.uk", 0, 1},
	{"xn--bcher-kva.example", 0, 1},
	{"*.example.com", 1, 1},
	{"*.example.com", 0, 0},
	{"example", 0, 0},			/* one label */
	{"-bad.example.com", 0, 0},
	{"bad-.example.com", 0, 0},
	{"exa mple.com", 0, 0},
	{"example.com.", 0, 0},
	{"a..example.com", 0, 0},
	{"../../etc/passwd", 0, 0},
	{"example.com/evil", 0, 0},
	{"192.168.1.1", 0, 0},			/* numeric top label */
	{"", 0, 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com", 0, 0},
};

static const struct {
	const char *addr;
	int     want;
} address_cases[] = {
	{"admin@example.com", 1},
	{"ops+certs@example.com", 1},
	{"admin@", 0},
	{"@example.com", 0},
	{"admin example@example.com", 0},
	{"admin@example.com\r\nBcc: x@evil.example", 0},
	{"<admin@example.com>", 0},
	{"noat.example.com", 0},
};

int main(void)
{
	char name[300];
	char local[65];
	char *norm;
	size_t i;

	for (i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
		snprintf(name, sizeof(name), "domain \"%s\"%s %s", domain_cases[i].name,
			 domain_cases[i].wildcard ? " (wildcards allowed)" : "",
			 domain_cases[i].want ? "accepted" : "refused");
		check_int(valid_domain_name(domain_cases[i].name, domain_cases[i].wildcard),
			  domain_cases[i].want, name);
	}
	for (i = 0; i < sizeof(address_cases) / sizeof(address_cases[0]); i++) {
		snprintf(name, sizeof(name), "address \"%s\" %s", address_cases[i].addr,
			 address_cases[i].want ? "accepted" : "refused");
		for (char *p = name; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = '~';
		check_int(valid_mail_address(address_cases[i].addr), address_cases[i].want, name);
	}
	norm = normalize_address(" <Admin+x@Example.COM> ");
	check_str(norm, "admin+x@example.com", "envelope address normalised");
	check_str(address_domain(norm), "example.com", "domain of an address");
	check_int(address_local_part(norm, local, sizeof(local)), 0, "local part found");
	check_str(local, "admin", "local part without +extension");
	free(norm);
	check_true(normalize_address("<>") == NULL, "null sender has no address");
	check_true(domain_is_within("www.example.com", "example.com"), "sub-domain is within");
	check_true(domain_is_within("EXAMPLE.com", "example.COM"), "same domain, any case");
	check_true(!domain_is_within("badexample.com", "example.com"), "suffix without a dot is not within");
	check_true(!domain_is_within("example.com.evil.example", "example.com"), "look-alike is not within");
	return check_done();
}
