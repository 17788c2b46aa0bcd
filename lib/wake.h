/*
 * wake.h - one datagram that makes a daemon look at the ledger now.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_WAKE_H
#define MAILCERT_WAKE_H

#include <sys/types.h>

#include "strbuf.h"

#define WAKE_MESSAGE	"wake"

/* Send one datagram to the socket at path without blocking.  0 when sent
 * or nobody listens (the work is in the ledger either way), -1 with why
 * on any other error (EACCES: a socket the sender may not reach). */
int wake_send(const char *path, struct strbuf *why);

/* Bind the datagram socket at path, mode 0666 (a datagram carries
 * nothing; it only makes the daemon look sooner); a stale socket is
 * replaced; the directory must exist.  A descriptor, or -1 with why. */
int wake_listen(const char *path, struct strbuf *why);

/* Read and drop every waiting datagram. */
void wake_drain(int fd);

#define WAKE_MIN_INTERVAL_MS	1000	/* between passes, whatever wakes */

/* Wait for a datagram on fd or for other_fd (-1: none) to be readable, at
 * most timeout_ms; a pass then starts no sooner than WAKE_MIN_INTERVAL_MS
 * after the last (*last_pass_ms, updated).  1 woken, 0 timed out. */
int wake_wait(int fd, int other_fd, int timeout_ms, long long *last_pass_ms);

#endif
