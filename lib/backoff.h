/*
 * backoff.h - when to try again after a failure that may pass.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_BACKOFF_H
#define MAILCERT_BACKOFF_H

#include <time.h>

#define BACKOFF_MAX		86400	/* never more than a day between tries */
#define BACKOFF_MAX_SHIFT	16	/* retry_base * 2^16 at most */

/* now + retry_base * 2^(attempts - 1), at most BACKOFF_MAX seconds. */
long long backoff_next_try(time_t now, int attempts, int retry_base);

#endif
