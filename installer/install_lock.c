/*
 * NAME
 *	install_lock - one installer at work at a time
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_lock_take(const struct config *cfg, int wait,
 *			      struct strbuf *why)
 *	void install_lock_release(int fd)
 * DESCRIPTION
 *	install_lock_take() takes an exclusive flock() on
 *	"[installer] state_dir/.installer.lock" (the directory is made,
 *	mode 0700, when missing), waiting for it when wait is set.  It is
 *	held while an installer runs jobs, so two installers never write the
 *	same target at once, and whoever holds it knows that a job still
 *	marked running and claimed by this host was left by an installer
 *	that died: such a job is taken up again at once (a job claimed by
 *	another host waits for its lease to run out).  The kernel drops the lock when its holder
 *	dies, SIGKILL included.
 *
 *	Returns the descriptor holding the lock, or -1 with why (also when
 *	wait is not set and another installer holds it).
 *	install_lock_release() closes it.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "install.h"
#include "safe_path.h"

#define LOCK_NAME	".installer.lock"

int install_lock_take(const struct config *cfg, int wait, struct strbuf *why)
{
	struct strbuf path = STRBUF_INIT;
	int dirfd;
	int fd = -1;
	int rc;

	if ((dirfd = safe_dir_open(cfg->state_dir, 1, 0700, why)) < 0)
		return -1;
	sb_appendf(&path, "%s/" LOCK_NAME, cfg->state_dir);
	fd = openat(dirfd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dirfd);
	if (fd < 0) {
		sb_appendf(why, "open %s: %s", path.data, strerror(errno));
		sb_free(&path);
		return -1;
	}
	while ((rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		sb_appendf(why, "lock %s: %s", path.data,
			   errno == EWOULDBLOCK ? "another installer holds it" : strerror(errno));
		close(fd);
		fd = -1;
	}
	sb_free(&path);
	return fd;
}

void install_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
