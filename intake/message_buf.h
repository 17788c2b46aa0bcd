/*
 * message_buf.h - one message as it arrives: in memory while small, then
 * in a private spool file.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_MESSAGE_BUF_H
#define MAILCERT_MESSAGE_BUF_H

#include <stddef.h>

#include "strbuf.h"

#define SPOOL_PREFIX	"msg."		/* the intake's spool files */
#define SPOOL_WRITE_CHUNK (64 * 1024)	/* bytes gathered per write once spooled */

struct message_buf {
	struct strbuf mem;		/* the message while it fits memory_size;
					 * then what is not yet written */
	int     fd;			/* the spool file, -1 while in memory */
	char    name[64];		/* its name in the spool directory */
	int     dirfd;			/* the spool directory (not owned) */
	size_t  size;			/* bytes received */
	size_t  memory_size;		/* [milter] memory_size */
	size_t  max_size;		/* [milter] max_message_size */
	int     too_big;		/* more than max_size came: dropped */
	int     failed;			/* the spool file could not be written */
};

/* Open (and make, mode 0700) the spool directory: ours, nobody else's,
 * not a link; spool files a crash left are removed.  A descriptor, or -1
 * with why. */
int spool_dir_open(const char *path, struct strbuf *why);

void message_buf_init(struct message_buf *mb, int spool_dirfd, size_t memory_size,
		      size_t max_size);
/* Add bytes; beyond memory_size they go to a new spool file (0600,
 * O_EXCL, O_NOFOLLOW); beyond max_size they are counted and dropped. */
void message_buf_add(struct message_buf *mb, const void *data, size_t len);
/* Write what is gathered to the spool file (before it is read); -1 when
 * that failed (the message is then marked failed). */
int message_buf_flush(struct message_buf *mb);
/* Remove the spool file, free the memory. */
void message_buf_free(struct message_buf *mb);

#endif
