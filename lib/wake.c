/*
 * NAME
 *	wake - tell a daemon that work is waiting in the ledger
 * SYNOPSIS
 *	#include "wake.h"
 *
 *	int wake_send(const char *path, struct strbuf *why)
 *	int wake_listen(const char *path, struct strbuf *why)
 *	void wake_drain(int fd)
 *	int wake_wait(int fd, int other_fd, int timeout_ms,
 *		      long long *last_pass_ms)
 * DESCRIPTION
 *	The intake wakes the installer after recording an install request
 *	and the approver after recording an approval; the operator command
 *	wakes them after a change that concerns them.  The datagram says
 *	nothing but "wake": the work itself is durable in the ledger, and
 *	the daemons poll it anyway, so an absent daemon (ENOENT,
 *	ECONNREFUSED) or a full queue (EAGAIN) is not an error.  Anything
 *	else is, with the path named: a socket the sender may not reach is
 *	a setup mistake an administrator must see.
 *
 *	wake_listen() binds the socket in a directory that must already
 *	exist (systemd's RuntimeDirectory, owned by the daemon's user).
 *
 *	wake_wait() is a daemon's wait between passes: for a datagram on fd,
 *	for other_fd to be readable (a PostgreSQL session's notifications;
 *	-1: none) or for timeout_ms.  The sockets are 0666, so anybody on the
 *	host may send: whatever arrives, a pass starts at most once per
 *	WAKE_MIN_INTERVAL_MS after the one before (*last_pass_ms, set here
 *	when it returns), the datagrams of the wait drained.  1 when woken,
 *	0 when the time ran out.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "wake.h"

#define WAKE_SOCKET_MODE	0666

static int fill_address(const char *path, struct sockaddr_un *addr, struct strbuf *why)
{
	if (path == NULL || *path != '/' || strlen(path) >= sizeof(addr->sun_path)) {
		sb_appendf(why, "%s: not an absolute socket path of at most %zu bytes",
			   path ? path : "(none)", sizeof(addr->sun_path) - 1);
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, strlen(path) + 1);
	return 0;
}

int wake_send(const char *path, struct strbuf *why)
{
	struct sockaddr_un addr;
	int     fd;
	int     rc = 0;

	if (fill_address(path, &addr, why) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		sb_appendf(why, "socket: %s", strerror(errno));
		return -1;
	}
	if (sendto(fd, WAKE_MESSAGE, sizeof(WAKE_MESSAGE) - 1, 0, (struct sockaddr *) &addr,
		   sizeof(addr)) < 0 && errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN
	    && errno != EWOULDBLOCK) {
		sb_appendf(why, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

int wake_listen(const char *path, struct strbuf *why)
{
	struct sockaddr_un addr;
	struct stat st;
	mode_t  old_mask;
	int     fd;
	int     rc;

	if (fill_address(path, &addr, why) < 0)
		return -1;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		sb_appendf(why, "socket: %s", strerror(errno));
		return -1;
	}
	old_mask = umask(0777 & ~WAKE_SOCKET_MODE);
	rc = bind(fd, (struct sockaddr *) &addr, sizeof(addr));
	umask(old_mask);
	if (rc < 0) {
		sb_appendf(why, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void wake_drain(int fd)
{
	char    buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wake_wait(int fd, int other_fd, int timeout_ms, long long *last_pass_ms)
{
	struct pollfd pfd[2];
	nfds_t  n = 0;
	long long rest;
	int     woken;

	pfd[n].fd = fd;
	pfd[n++].events = POLLIN;
	if (other_fd >= 0) {
		pfd[n].fd = other_fd;
		pfd[n++].events = POLLIN;
	}
	woken = poll(pfd, n, timeout_ms) > 0;
	if (woken) {
		wake_drain(fd);
		rest = *last_pass_ms + WAKE_MIN_INTERVAL_MS - monotonic_ms();
		if (rest > 0)
			poll(NULL, 0, (int) rest);
		wake_drain(fd);
	}
	*last_pass_ms = monotonic_ms();
	return woken;
}
