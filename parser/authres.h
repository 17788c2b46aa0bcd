/*
 * authres.h - one Authentication-Results header field (RFC 8601), parsed.
 *
 * Fixed size, as in OpenDMARC: a header that does not parse is skipped by
 * the caller, never fatal; results beyond AUTHRES_MAX_RESULTS are dropped.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_AUTHRES_H
#define MAILCERT_AUTHRES_H

#include <stddef.h>

#define AUTHRES_MAX_RESULTS	16	/* resinfo kept from one header */
#define AUTHRES_MAX_TOKEN	64	/* method, result */
#define AUTHRES_MAX_VALUE	256	/* authserv-id, header.d, header.i */
#define AUTHRES_MAX_COMMENT	16	/* nesting of ( comments ) */

struct authres_result {
	char    method[AUTHRES_MAX_TOKEN];	/* "dkim", lower case */
	char    result[AUTHRES_MAX_TOKEN];	/* "pass", lower case */
	char    header_d[AUTHRES_MAX_VALUE];	/* header.d, or "" */
	char    header_i[AUTHRES_MAX_VALUE];	/* header.i, or "" */
};

struct authres {
	char    authserv_id[AUTHRES_MAX_VALUE];
	size_t  count;
	struct authres_result results[AUTHRES_MAX_RESULTS];
};

/* 0, or -1 when value is not an Authentication-Results field body. */
int authres_parse(const char *value, size_t len, struct authres *ar);

/* The signing domain of a dkim result: header.d, else the domain of
 * header.i; "" when neither is there. */
const char *authres_dkim_domain(const struct authres_result *res);

#endif
