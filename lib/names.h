/*
 * names.h - checks on domain names and mail addresses from operators and mail.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_NAMES_H
#define MAILCERT_NAMES_H

#include <stddef.h>

/* A DNS host name (LDH labels, at least two labels, optional leading "*."
 * when allow_wildcard); no trailing dot. */
int valid_domain_name(const char *name, int allow_wildcard);

/* local@domain with a sane local part and a valid domain. */
int valid_mail_address(const char *addr);

/* Lower-case copy of an envelope address without <> and without any
 * surrounding white space; NULL when it is empty or has no '@'. */
char *normalize_address(const char *addr);

/* The domain part of a normalized address (points into addr). */
const char *address_domain(const char *addr);

/* Copy the local part of addr (up to '@', without "+extension") into buf. */
int address_local_part(const char *addr, char *buf, size_t len);

/* Is name equal to domain or a sub-domain of it (case-insensitive)? */
int domain_is_within(const char *name, const char *domain);

#endif
