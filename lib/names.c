/*
 * NAME
 *	names - domain names and mail addresses
 * SYNOPSIS
 *	int valid_domain_name(const char *name, int allow_wildcard)
 *	int valid_mail_address(const char *addr)
 *	char *normalize_address(const char *addr)
 *	const char *address_domain(const char *addr)
 *	int address_local_part(const char *addr, char *buf, size_t len)
 *	int domain_is_within(const char *name, const char *domain)
 * DESCRIPTION
 *	The one place that decides what a host name or an address looks like.
 *	Used for operator input (order add) and for envelope addresses.
 * SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mymalloc.h"
#include "names.h"

#define MAX_DOMAIN_LEN	253
#define MAX_LABEL_LEN	63
#define MAX_LOCAL_LEN	64

static int valid_label(const char *label, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_LABEL_LEN)
		return 0;
	if (label[0] == '-' || label[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char) label[i]) && label[i] != '-')
			return 0;
	return 1;
}

int valid_domain_name(const char *name, int allow_wildcard)
{
	const char *p;
	const char *dot;
	int labels = 0;
	int all_digits = 1;

	if (allow_wildcard && strncmp(name, "*.", 2) == 0)
		name += 2;
	if (*name == 0 || strlen(name) > MAX_DOMAIN_LEN)
		return 0;
	for (p = name;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!valid_label(p, dot ? (size_t) (dot - p) : strlen(p)))
			return 0;
		labels++;
		if (dot == NULL)
			break;
	}
	if (labels < 2)
		return 0;
	for (p = strrchr(name, '.') + 1; *p; p++)
		if (!isdigit((unsigned char) *p))
			all_digits = 0;
	return !all_digits;
}

int valid_mail_address(const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *p;

	if (at == NULL || at == addr || (size_t) (at - addr) > MAX_LOCAL_LEN)
		return 0;
	for (p = addr; p < at; p++)
		if (!isgraph((unsigned char) *p) || strchr("<>()[]\\,;:\"@", *p))
			return 0;
	return valid_domain_name(at + 1, 0);
}

char *normalize_address(const char *addr)
{
	size_t len;
	char *copy;
	char *p;

	while (isspace((unsigned char) *addr) || *addr == '<')
		addr++;
	len = strlen(addr);
	while (len > 0 && (isspace((unsigned char) addr[len - 1]) || addr[len - 1] == '>'))
		len--;
	if (len == 0 || memchr(addr, '@', len) == NULL)
		return NULL;
	copy = xstrndup(addr, len);
	for (p = copy; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return copy;
}

const char *address_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

int address_local_part(const char *addr, char *buf, size_t len)
{
	const char *at = strrchr(addr, '@');
	size_t n;

	if (at == NULL)
		return -1;
	n = strcspn(addr, "+@");
	if (n >= len)
		return -1;
	memcpy(buf, addr, n);
	buf[n] = 0;
	return 0;
}

int domain_is_within(const char *name, const char *domain)
{
	size_t nlen = strlen(name);
	size_t dlen = strlen(domain);

	if (nlen == dlen)
		return strcasecmp(name, domain) == 0;
	if (nlen < dlen + 1 || name[nlen - dlen - 1] != '.')
		return 0;
	return strcasecmp(name + nlen - dlen, domain) == 0;
}
