/*
 * NAME
 *	wake - tell the installer that an install job is waiting
 * SYNOPSIS
 *	void wake_installer(const char *socket_path, const char *queue_id)
 * DESCRIPTION
 *	Sends one datagram ("wake") to the installer's unix datagram socket
 *	([installer] wake_socket) without blocking.  The install job is
 *	already durable in the ledger and the installer polls it anyway, so
 *	an installer that is not running (ENOENT, ECONNREFUSED) or busy
 *	(EAGAIN) is not an error; anything else is logged with the queue id.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "milter.h"
#include "msg.h"

#define WAKE_MESSAGE	"wake"

void wake_installer(const char *socket_path, const char *queue_id)
{
	struct sockaddr_un addr;
	int     fd;

	if (socket_path == NULL || strlen(socket_path) >= sizeof(addr.sun_path)) {
		msg_warn("%s: cannot wake the installer: bad wake_socket path", queue_id);
		return;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		msg_warn("%s: cannot wake the installer: socket: %s", queue_id, strerror(errno));
		return;
	}
	if (sendto(fd, WAKE_MESSAGE, sizeof(WAKE_MESSAGE) - 1, 0,
		   (struct sockaddr *) &addr, sizeof(addr)) < 0) {
		if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN
		    && errno != EWOULDBLOCK)
			msg_warn("%s: cannot wake the installer at %s: %s", queue_id, socket_path,
				 strerror(errno));
	} else {
		msg_debug("%s: installer woken at %s", queue_id, socket_path);
	}
	close(fd);
}
