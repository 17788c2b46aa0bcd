/*
 * NAME
 *	message_buf - a message in memory while small, then in a spool file
 * SYNOPSIS
 *	#include "message_buf.h"
 *
 *	int spool_dir_open(const char *path, struct strbuf *why)
 *	void message_buf_init(struct message_buf *mb, int spool_dirfd,
 *			      size_t memory_size, size_t max_size)
 *	void message_buf_add(struct message_buf *mb, const void *data, size_t len)
 *	int message_buf_flush(struct message_buf *mb)
 *	void message_buf_free(struct message_buf *mb)
 * DESCRIPTION
 *	Strangers decide how large the watched mail is and how much of it
 *	arrives at once, so an intake keeps at most [milter] memory_size of
 *	a message in memory; the rest goes to a file of the spool directory
 *	([milter] spool_dir), from which the parser reads it (GMime reads
 *	the file, parser_parse_fd()).  The memory of a hundred messages in
 *	flight is then a hundred times memory_size, whatever they hold.
 *
 *	spool_dir_open() makes the directory when missing (mode 0700),
 *	opens it without following a link, and refuses one that is not the
 *	process's own or that others may enter; every "msg.*" file in it is
 *	left over from a crash and removed.
 *
 *	Once spooled, what arrives is gathered in memory and written in
 *	pieces of SPOOL_WRITE_CHUNK (a message of many small header fields
 *	is not a write each); message_buf_flush() writes the rest, before
 *	the file is read.
 *
 *	A spool file is made with O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600,
 *	under a name of the process id and a counter, and unlinked by
 *	message_buf_free() at the end of the message, at an abort and at
 *	close.  Past max_size nothing more is kept (too_big); a spool file
 *	that cannot be written marks the message failed (it is delivered
 *	unparsed, as too big is).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message_buf.h"
#include "msg.h"
#include "write_all.h"

#define SPOOL_DIR_MODE	0700
#define SPOOL_FILE_MODE	0600

static void remove_leftovers(int dirfd)
{
	struct dirent *de;
	DIR    *dir;
	int     fd;
	int     removed = 0;

	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, SPOOL_PREFIX, strlen(SPOOL_PREFIX)) == 0
		    && unlinkat(dirfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(dir);
	if (removed)
		msg_info("removed %d spool file%s left by a crash", removed, removed == 1 ? "" : "s");
}

int spool_dir_open(const char *path, struct strbuf *why)
{
	struct stat st;
	int     fd;

	if (mkdir(path, SPOOL_DIR_MODE) < 0 && errno != EEXIST) {
		sb_appendf(why, "[milter] spool_dir %s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		sb_appendf(why, "[milter] spool_dir %s: %s", path,
			   errno == ELOOP ? "a symbolic link, not followed" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		sb_appendf(why, "[milter] spool_dir %s must be the intake user's own, mode 0700 "
			   "(it is uid %lu, mode %04o)", path, (unsigned long) st.st_uid,
			   (unsigned) (st.st_mode & 07777));
		close(fd);
		return -1;
	}
	remove_leftovers(fd);
	return fd;
}

void message_buf_init(struct message_buf *mb, int spool_dirfd, size_t memory_size,
		      size_t max_size)
{
	memset(mb, 0, sizeof(*mb));
	mb->fd = -1;
	mb->dirfd = spool_dirfd;
	mb->memory_size = memory_size;
	mb->max_size = max_size;
}

/* spill - the memory so far into a new spool file */

static int spill(struct message_buf *mb)
{
	static unsigned long counter;
	int     tries;

	if (mb->dirfd < 0)
		return -1;
	for (tries = 0; tries < 100; tries++) {
		snprintf(mb->name, sizeof(mb->name), SPOOL_PREFIX "%ld.%lu", (long) getpid(),
			 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
		mb->fd = openat(mb->dirfd, mb->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				SPOOL_FILE_MODE);
		if (mb->fd >= 0 || errno != EEXIST)
			break;
	}
	if (mb->fd < 0) {
		msg_warn("cannot make a spool file: %s", strerror(errno));
		mb->name[0] = 0;
		return -1;
	}
	if (write_all(mb->fd, mb->mem.data ? mb->mem.data : "", mb->mem.len) < 0) {
		msg_warn("cannot write a spool file: %s", strerror(errno));
		return -1;
	}
	sb_reset(&mb->mem);
	return 0;
}

void message_buf_add(struct message_buf *mb, const void *data, size_t len)
{
	mb->size += len;
	if (mb->too_big || mb->failed)
		return;
	if (mb->size > mb->max_size) {
		mb->too_big = 1;
		message_buf_free(mb);
		mb->size = mb->max_size + 1;
		mb->too_big = 1;
		return;
	}
	if (mb->fd < 0 && mb->mem.len + len > mb->memory_size && spill(mb) < 0) {
		mb->failed = 1;
		return;
	}
	sb_append(&mb->mem, data, len);
	if (mb->fd >= 0 && mb->mem.len >= SPOOL_WRITE_CHUNK)
		message_buf_flush(mb);
}

int message_buf_flush(struct message_buf *mb)
{
	if (mb->fd < 0 || mb->failed || mb->too_big || mb->mem.len == 0)
		return mb->failed ? -1 : 0;
	if (write_all(mb->fd, mb->mem.data, mb->mem.len) < 0) {
		msg_warn("cannot write a spool file: %s", strerror(errno));
		mb->failed = 1;
		return -1;
	}
	sb_reset(&mb->mem);
	return 0;
}

void message_buf_free(struct message_buf *mb)
{
	if (mb->fd >= 0) {
		close(mb->fd);
		mb->fd = -1;
	}
	if (mb->name[0] && mb->dirfd >= 0)
		unlinkat(mb->dirfd, mb->name, 0);
	mb->name[0] = 0;
	sb_free(&mb->mem);
}
