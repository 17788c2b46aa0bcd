/*
 * NAME
 *	safe_path - open what root writes or reads, trusting no link and no
 *	directory that others can write
 * SYNOPSIS
 *	#include "safe_path.h"
 *
 *	int safe_dir_open(const char *dir, int create, mode_t mode,
 *			  struct strbuf *why)
 *	int safe_file_open(int dirfd, const char *name, struct stat *st,
 *			   struct strbuf *why)
 *	int safe_path_split(const char *path, char **dir, char **base)
 * DESCRIPTION
 *	The installer writes certificates and keys as root.  Postfix's
 *	safe_open() refuses a link and a file with more than one hard link;
 *	these functions do the same for every directory on the way as well:
 *
 *	safe_dir_open() starts at "/" and opens each component of dir with
 *	openat(O_NOFOLLOW | O_DIRECTORY), so a symbolic link anywhere on the
 *	path is refused, not followed, and a directory renamed meanwhile
 *	cannot redirect the walk.  Each directory must be owned by root (or
 *	by the effective user) and not writable by group or others; a
 *	root-owned directory with the sticky bit (/tmp) is accepted, since
 *	nobody else may rename or remove what is in it and whatever they put
 *	in it is refused in turn.  With create, a missing component is made
 *	(mkdirat, mode) and checked like the others.  On failure errno is
 *	that of the step that failed: ENOENT when a component is missing.
 *
 *	safe_file_open() opens name in such a directory for reading with
 *	O_NOFOLLOW and refuses anything but a regular file with one link.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mymalloc.h"
#include "safe_path.h"

/* trusted_dir - owned by root or us, and nobody else may change it */

static int trusted_dir(const struct stat *st, const char *where, struct strbuf *why)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		sb_appendf(why, "%s is owned by uid %lu, not by root", where, (unsigned long) st->st_uid);
		return 0;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_uid == 0 && (st->st_mode & S_ISVTX))) {
		sb_appendf(why, "%s may be written by others than its owner (mode %04o)", where,
			   (unsigned) (st->st_mode & 07777));
		return 0;
	}
	return 1;
}

/* open_component - name in dirfd as a directory, made when missing */

static int open_component(int dirfd, const char *name, int create, mode_t mode,
			  const char *where, struct strbuf *why)
{
	struct stat st;
	int     fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST) {
			sb_appendf(why, "mkdir %s: %s", where, strerror(errno));
			return -1;
		}
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		int     saved = errno;

		if (errno == ELOOP || errno == ENOTDIR)
			sb_appendf(why, "%s is a symbolic link or not a directory; not followed", where);
		else
			sb_appendf(why, "%s: %s", where, strerror(errno));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !trusted_dir(&st, where, why)) {
		if (why->len == 0)
			sb_appendf(why, "%s: %s", where, strerror(errno));
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int safe_dir_open(const char *dir, int create, mode_t mode, struct strbuf *why)
{
	struct strbuf where = STRBUF_INIT;
	char   *copy;
	char   *name;
	char   *next;
	int     fd;
	int     sub;
	int     saved;
	int     depth = 0;

	if (dir == NULL || dir[0] != '/') {
		sb_appendf(why, "%s is not an absolute path", dir ? dir : "(none)");
		return -1;
	}
	if ((fd = open_component(AT_FDCWD, "/", 0, 0, "/", why)) < 0)
		return -1;
	copy = xstrdup(dir);
	for (name = copy + 1; name && *name; name = next) {
		if ((next = strchr(name, '/')) != NULL)
			*next++ = 0;
		if (*name == 0)
			continue;
		if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || ++depth > SAFE_PATH_DEPTH_MAX) {
			sb_appendf(why, "%s: \".\" and \"..\" are not allowed in the path", dir);
			close(fd);
			fd = -1;
			break;
		}
		sb_appendf(&where, "/%s", name);
		sub = open_component(fd, name, create, mode, where.data, why);
		saved = errno;
		close(fd);
		errno = saved;
		if ((fd = sub) < 0)
			break;
	}
	saved = errno;
	free(copy);
	sb_free(&where);
	errno = saved;
	return fd;
}

int safe_file_open(int dirfd, const char *name, struct stat *st, struct strbuf *why)
{
	int     fd;

	if (strchr(name, '/') != NULL || *name == 0) {
		sb_appendf(why, "%s is not a file name", name);
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return -2;
		if (errno == ELOOP)
			sb_appendf(why, "%s is a symbolic link; mailcert replaces files, not links", name);
		else
			sb_appendf(why, "open %s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		sb_appendf(why, "%s is not a regular file", name);
		close(fd);
		return -1;
	}
	if (st->st_nlink != 1) {
		sb_appendf(why, "%s has %lu hard links; refused", name, (unsigned long) st->st_nlink);
		close(fd);
		return -1;
	}
	return fd;
}

int safe_path_split(const char *path, char **dir, char **base)
{
	const char *slash;

	*dir = *base = NULL;
	if (path == NULL || path[0] != '/' || (slash = strrchr(path, '/')) == NULL || slash[1] == 0)
		return -1;
	*dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t) (slash - path));
	*base = xstrdup(slash + 1);
	return 0;
}
