/*
 * NAME
 *	write_all - write a whole buffer, across short writes and signals
 * SYNOPSIS
 *	#include "write_all.h"
 *
 *	int write_all(int fd, const char *data, size_t len)
 * DESCRIPTION
 *	Used wherever a file or a pipe must receive all of a buffer: the
 *	installer's files, keys, the message handed to sendmail.  Returns 0,
 *	or -1 with errno set by the write(2) that failed.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <unistd.h>

#include "write_all.h"

int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t) n;
	}
	return 0;
}
