/*
 * NAME
 *	file_write - replace a file whole or not at all, as root
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int file_write_atomic(const char *path, const void *data, size_t len,
 *			      mode_t mode, uid_t uid, gid_t gid,
 *			      struct strbuf *why)
 *	int file_read_bounded(const char *path, size_t max, struct strbuf *out,
 *			      struct stat *st, struct strbuf *why)
 *	int file_remove_durably(const char *path, struct strbuf *why)
 *	int dir_make_safe(const char *path, mode_t mode, struct strbuf *why)
 * DESCRIPTION
 *	Every file the installer touches is reached through safe_path.c: the
 *	directory is walked from "/" without following a link, and each
 *	directory on the way must be root's and writable by nobody else (a
 *	root-owned sticky directory excepted).  So no link, no directory a
 *	service account can write, and no rename during the walk can make
 *	root write or read somewhere else.
 *
 *	file_write_atomic() writes data to ".NAME.mailcert-tmp" in that
 *	directory, created with O_CREAT | O_EXCL | O_NOFOLLOW and exactly
 *	mode (never more than 0777: no setuid, setgid or sticky bit), gives
 *	it to uid and gid (-1: unchanged) with fchown(), writes and fsync()s
 *	it, renames it over NAME and fsync()s the directory.  Whoever reads
 *	the file sees the old one or the new one, never a mix, also after a
 *	crash.  A temporary file left by an installer that died is removed
 *	first.  Missing directories are made (0755, checked like the rest).
 *
 *	file_read_bounded() reads a regular file of at most max bytes with
 *	one link into out (replacing its contents) and its status into st.
 *	Returns 0, 1 when the file does not exist, -1 with why otherwise.
 *
 *	file_remove_durably() unlinks path (absent is fine, and so is an
 *	absent directory) and fsync()s its directory.  dir_make_safe()
 *	makes a directory and its missing parents, checked the same way.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "mymalloc.h"
#include "safe_path.h"
#include "write_all.h"

#define TMP_SUFFIX	".mailcert-tmp"
#define DIR_MODE	0755

/* parent_of - the safe descriptor of path's directory and its base name */

static int parent_of(const char *path, int create, char **base, struct strbuf *why)
{
	char   *dir;
	int     fd;
	int     saved;

	if (safe_path_split(path, &dir, base) < 0) {
		sb_appendf(why, "%s is not an absolute file path", path);
		errno = EINVAL;
		return -1;
	}
	fd = safe_dir_open(dir, create, DIR_MODE, why);
	saved = errno;
	free(dir);
	if (fd < 0) {
		free(*base);
		*base = NULL;
	}
	errno = saved;
	return fd;
}

static int fill_temp(int fd, const char *path, const void *data, size_t len, uid_t uid, gid_t gid,
		     struct strbuf *why)
{
	if ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchown(fd, uid, gid) < 0) {
		sb_appendf(why, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	if (write_all(fd, data, len) < 0) {
		sb_appendf(why, "write %s: %s", path, strerror(errno));
		return -1;
	}
	if (fsync(fd) < 0) {
		sb_appendf(why, "fsync %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      uid_t uid, gid_t gid, struct strbuf *why)
{
	struct strbuf tmp = STRBUF_INIT;
	mode_t  old_mask;
	char   *base;
	int     dirfd;
	int     fd;
	int     rc = -1;

	if ((dirfd = parent_of(path, 1, &base, why)) < 0)
		return -1;
	sb_appendf(&tmp, ".%s" TMP_SUFFIX, base);
	if (unlinkat(dirfd, tmp.data, 0) < 0 && errno != ENOENT) {
		sb_appendf(why, "remove %s/%s: %s", path, tmp.data, strerror(errno));
		goto out;
	}
	old_mask = umask(0);
	fd = openat(dirfd, tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	umask(old_mask);
	if (fd < 0) {
		sb_appendf(why, "create the temporary file of %s: %s", path, strerror(errno));
		goto out;
	}
	if (fill_temp(fd, path, data, len, uid, gid, why) < 0) {
		close(fd);
		unlinkat(dirfd, tmp.data, 0);
		goto out;
	}
	if (close(fd) < 0 || renameat(dirfd, tmp.data, dirfd, base) < 0) {
		sb_appendf(why, "rename over %s: %s", path, strerror(errno));
		unlinkat(dirfd, tmp.data, 0);
		goto out;
	}
	if (fsync(dirfd) < 0)
		sb_appendf(why, "fsync the directory of %s: %s", path, strerror(errno));
	else
		rc = 0;
out:
	close(dirfd);
	free(base);
	sb_free(&tmp);
	return rc;
}

static int read_fd(int fd, const char *path, size_t max, struct strbuf *out, struct strbuf *why)
{
	char    buf[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sb_appendf(why, "read %s: %s", path, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (out->len + (size_t) n > max) {
			sb_appendf(why, "%s: bigger than %zu bytes", path, max);
			return -1;
		}
		sb_append(out, buf, (size_t) n);
	}
}

int file_read_bounded(const char *path, size_t max, struct strbuf *out, struct stat *st,
		      struct strbuf *why)
{
	struct strbuf inner = STRBUF_INIT;
	char   *base;
	int     dirfd;
	int     fd;
	int     rc;

	sb_reset(out);
	if ((dirfd = parent_of(path, 0, &base, &inner)) < 0) {
		/* a directory that is not there holds no file */
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			sb_appends(why, sb_str(&inner));
		sb_free(&inner);
		return rc;
	}
	fd = safe_file_open(dirfd, base, st, &inner);
	close(dirfd);
	free(base);
	if (fd == -2) {
		sb_free(&inner);
		return 1;
	}
	if (fd < 0) {
		sb_appendf(why, "%s: %s", path, sb_str(&inner));
		sb_free(&inner);
		return -1;
	}
	sb_free(&inner);
	rc = read_fd(fd, path, max, out, why);
	close(fd);
	return rc;
}

int file_remove_durably(const char *path, struct strbuf *why)
{
	struct strbuf inner = STRBUF_INIT;
	char   *base;
	int     dirfd;
	int     rc = 0;

	if ((dirfd = parent_of(path, 0, &base, &inner)) < 0) {
		/* no directory, so no file was ever there */
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			sb_appends(why, sb_str(&inner));
		sb_free(&inner);
		return rc;
	}
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT) {
		sb_appendf(why, "unlink %s: %s", path, strerror(errno));
		rc = -1;
	} else if (fsync(dirfd) < 0) {
		sb_appendf(why, "fsync the directory of %s: %s", path, strerror(errno));
		rc = -1;
	}
	close(dirfd);
	free(base);
	sb_free(&inner);
	return rc;
}

int dir_make_safe(const char *path, mode_t mode, struct strbuf *why)
{
	int     fd = safe_dir_open(path, 1, mode, why);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
