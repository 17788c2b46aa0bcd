/*
 * NAME
 *	backoff - exponential retry times for install jobs and approvals
 * SYNOPSIS
 *	#include "backoff.h"
 *
 *	long long backoff_next_try(time_t now, int attempts, int retry_base)
 * DESCRIPTION
 *	The first retry comes retry_base seconds after the first attempt,
 *	each later one twice as long after the one before, never more than
 *	BACKOFF_MAX seconds.  A retry_base that is not positive counts as 60.
 * SPDX-License-Identifier: ISC
 */
#include "backoff.h"

long long backoff_next_try(time_t now, int attempts, int retry_base)
{
	int shift = attempts > 1 ? attempts - 1 : 0;
	long long delay;

	if (shift > BACKOFF_MAX_SHIFT)
		shift = BACKOFF_MAX_SHIFT;
	delay = (long long) (retry_base > 0 ? retry_base : 60) << shift;
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	return (long long) now + delay;
}
