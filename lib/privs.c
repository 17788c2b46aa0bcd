/*
 * NAME
 *	privs - becoming the unprivileged user of a role
 * SYNOPSIS
 *	#include "privs.h"
 *
 *	int role_user_lookup(const char *name, struct role_user *user,
 *			     struct strbuf *why)
 *	void role_user_become(const struct role_user *user)
 *	int role_drop_to(const char *name, struct strbuf *why)
 *	void role_user_clear(struct role_user *user)
 * DESCRIPTION
 *	The milter, mailcert deliver and fetch (the intake), the approver and
 *	the web view start as root only to open what needs root, then become
 *	their own user for good.  As Postfix's mail_params refuses a
 *	configured run-as user with uid 0, role_user_lookup() refuses a user
 *	that is root.  role_user_become() sets the supplementary groups, the
 *	group and the user, and then checks that setuid(0) fails.  It also
 *	sets the umask to ROLE_UMASK: what a role makes (the intake's ledger,
 *	spool files) its group may share, others never read.
 *
 *	When the process is not root they change no user: it already is who
 *	it is going to be (tests, a user's own instance, a unit's User=).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "privs.h"

int role_user_lookup(const char *name, struct role_user *user, struct strbuf *why)
{
	struct passwd *pw;

	memset(user, 0, sizeof(*user));
	if (geteuid() != 0)
		return 0;
	if (name == NULL || (pw = getpwnam(name)) == NULL) {
		sb_appendf(why, "user %s: no such user", name ? name : "(none)");
		return -1;
	}
	if (pw->pw_uid == 0) {
		sb_appendf(why, "user %s has uid 0; a role that reads mail from strangers never runs as root",
			   name);
		return -1;
	}
	user->name = xstrdup(pw->pw_name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	return 0;
}

void role_user_become(const struct role_user *user)
{
	umask(ROLE_UMASK);
	if (user->name == NULL)
		return;
	if (initgroups(user->name, user->gid) < 0 || setgid(user->gid) < 0 || setuid(user->uid) < 0)
		msg_fatal("cannot become user %s: %s", user->name, strerror(errno));
	if (setuid(0) == 0 || seteuid(0) == 0)
		msg_fatal("could become root again after dropping to %s", user->name);
}

void role_user_clear(struct role_user *user)
{
	free(user->name);
	memset(user, 0, sizeof(*user));
}

int role_drop_to(const char *name, struct strbuf *why)
{
	struct role_user user;

	if (role_user_lookup(name, &user, why) < 0)
		return -1;
	role_user_become(&user);
	role_user_clear(&user);
	return 0;
}
