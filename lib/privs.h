/*
 * privs.h - becoming the unprivileged user of a role.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_PRIVS_H
#define MAILCERT_PRIVS_H

#define ROLE_UMASK	007		/* a role's files: its group, never others */

#include <sys/types.h>

#include "strbuf.h"

struct role_user {
	char   *name;			/* NULL: not root, nothing to change */
	uid_t   uid;
	gid_t   gid;
};

/* Look the user up (only when we are root).  -1 with why when it does not
 * exist or is root: a role that faces strangers never runs as uid 0. */
int role_user_lookup(const char *name, struct role_user *user, struct strbuf *why);

/* initgroups, setgid, setuid, and make sure there is no way back; exits
 * through msg_fatal() when any of it fails.  Nothing when user->name is
 * NULL. */
void role_user_become(const struct role_user *user);

void role_user_clear(struct role_user *user);

/* As root: look name up and become it; not root: nothing.  -1 with why. */
int role_drop_to(const char *name, struct strbuf *why);

#endif
