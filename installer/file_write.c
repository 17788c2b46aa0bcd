/*
 * NAME
 *	file_write - replace a file whole or not at all
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int file_write_atomic(const char *path, const void *data, size_t len,
 *			      mode_t mode, uid_t uid, gid_t gid,
 *			      struct strbuf *why)
 *	int file_read_bounded(const char *path, size_t max, struct strbuf *out,
 *			      struct stat *st, struct strbuf *why)
 *	int file_remove_durably(const char *path, struct strbuf *why)
 *	int dir_make(const char *path, mode_t mode, struct strbuf *why)
 *	int dir_fsync(const char *dir, struct strbuf *why)
 * DESCRIPTION
 *	file_write_atomic() writes data to "DIR/.NAME.mailcert-tmp" in the
 *	directory of path, created with O_CREAT|O_EXCL|O_NOFOLLOW and
 *	exactly mode (the umask is cleared around the open(), the mode is
 *	never changed afterwards), gives it to uid and gid (-1: unchanged)
 *	with fchown(), writes and fsync()s it, renames it over path and
 *	fsync()s the directory.  Whoever reads path sees the old file or the
 *	new one, never a mix, also after a crash.  A temporary file left by
 *	an installer that died is removed first.  Returns 0, or -1 with why.
 *
 *	file_read_bounded() reads a regular file of at most max bytes into
 *	out (replacing its contents) and its status into st.  Returns 0, 1
 *	when the file does not exist, -1 with why otherwise (too big, not a
 *	regular file, a symbolic link: mailcert replaces files, not links).
 *
 *	file_remove_durably() unlinks path (absent is fine, and so is an
 *	absent directory) and fsync()s its directory.  dir_make() creates path and its missing parents with
 *	mode.  dir_fsync() makes a directory's entries durable.  All return
 *	0 or -1 with why.
 * LICENSE
 *	See the README of mailcert.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "mymalloc.h"
#include "write_all.h"

#define TMP_SUFFIX	".mailcert-tmp"

/* split_path - directory and base name of path, both allocated */

static void split_path(const char *path, char **dir, char **base)
{
	char   *copy1 = xstrdup(path);
	char   *copy2 = xstrdup(path);

	*dir = xstrdup(dirname(copy1));
	*base = xstrdup(basename(copy2));
	free(copy1);
	free(copy2);
}

int dir_fsync(const char *dir, struct strbuf *why)
{
	int fd;
	int rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		sb_appendf(why, "%s: %s", dir, strerror(errno));
		return -1;
	}
	rc = fsync(fd);
	if (rc < 0)
		sb_appendf(why, "fsync %s: %s", dir, strerror(errno));
	close(fd);
	return rc < 0 ? -1 : 0;
}


/* create_exclusive - the new file, with its final mode from the start */

static int create_exclusive(const char *tmp, mode_t mode)
{
	mode_t  old_mask;
	int     fd;

	if (unlink(tmp) < 0 && errno != ENOENT)
		return -1;
	old_mask = umask(0);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	umask(old_mask);
	return fd;
}

/* fill_temp - owner, contents, on disk */

static int fill_temp(int fd, const char *tmp, const void *data, size_t len,
		             uid_t uid, gid_t gid, struct strbuf *why)
{
	if ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchown(fd, uid, gid) < 0) {
		sb_appendf(why, "chown %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, data, len) < 0) {
		sb_appendf(why, "write %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fsync(fd) < 0) {
		sb_appendf(why, "fsync %s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		              uid_t uid, gid_t gid, struct strbuf *why)
{
	struct strbuf tmp = STRBUF_INIT;
	char   *dir;
	char   *base;
	int     fd;
	int     rc = -1;

	split_path(path, &dir, &base);
	sb_appendf(&tmp, "%s/.%s" TMP_SUFFIX, dir, base);
	if ((fd = create_exclusive(tmp.data, mode)) < 0) {
		sb_appendf(why, "create %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	if (fill_temp(fd, tmp.data, data, len, uid, gid, why) < 0) {
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.data, path) < 0) {
		sb_appendf(why, "rename %s to %s: %s", tmp.data, path, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	rc = dir_fsync(dir, why);
out:
	sb_free(&tmp);
	free(dir);
	free(base);
	return rc;
}

/* read_fd - the whole descriptor, at most max bytes */

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
	int fd;
	int rc;

	sb_reset(out);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			sb_appendf(why, "%s is a symbolic link; mailcert replaces files, not links", path);
		else
			sb_appendf(why, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		sb_appendf(why, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	rc = read_fd(fd, path, max, out, why);
	close(fd);
	return rc;
}

int file_remove_durably(const char *path, struct strbuf *why)
{
	char   *dir;
	char   *base;
	int     rc;

	struct stat st;

	if (unlink(path) < 0 && errno != ENOENT) {
		sb_appendf(why, "unlink %s: %s", path, strerror(errno));
		return -1;
	}
	split_path(path, &dir, &base);
	if (stat(dir, &st) < 0 && errno == ENOENT) {
		/* No directory, so no file was ever there: nothing to make durable. */
		free(dir);
		free(base);
		return 0;
	}
	rc = dir_fsync(dir, why);
	free(dir);
	free(base);
	return rc;
}

int dir_make(const char *path, mode_t mode, struct strbuf *why)
{
	char    buf[PATH_MAX];
	char   *p;
	char    saved;

	if (strlen(path) >= sizeof(buf)) {
		sb_appendf(why, "%s: path too long", path);
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != 0)
			continue;
		saved = *p;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			sb_appendf(why, "mkdir %s: %s", buf, strerror(errno));
			return -1;
		}
		*p = saved;
		if (saved == 0)
			return 0;
	}
}
