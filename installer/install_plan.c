/*
 * NAME
 *	install_plan - what each file of a target holds, with which mode
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_plan_make(const struct target_config *target,
 *			      const char *key_pem, const char *leaf_pem,
 *			      const char *chain_pem, struct install_plan *plan,
 *			      struct strbuf *why)
 *	int install_plan_in_place(const struct install_plan *plan)
 *	void install_plan_free(struct install_plan *plan)
 *	const char *install_role_name(enum install_role role)
 * DESCRIPTION
 *	install_plan_make() lists the files the target names, in the order
 *	cert, chain, fullchain, key, combined, with what each holds:
 *
 *	    cert       the leaf certificate                          0644
 *	    chain      the intermediates, leaf's issuer first, no root  0644
 *	    fullchain  leaf + chain                                  0644
 *	    key        the private key                     0600 (0640 with group)
 *	    combined   key + leaf + chain (haproxy)        0600 (0640 with group)
 *
 *	and the target's owner and group as uid and gid (-1 when not set).
 *	leaf_pem and chain_pem are PEM text (chain_pem may be empty), key_pem
 *	the private key as PEM.  Returns 0, or -1 with why when the owner or
 *	group does not exist.
 *
 *	install_plan_in_place() is 1 when every file of the plan exists with
 *	exactly the planned contents, mode, owner and group: the certificate
 *	is installed already.
 *
 *	install_role_name() is the configuration key of a role ("cert"...).
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include <openssl/crypto.h>

#include "install.h"

#define MODE_PUBLIC	0644
#define MODE_SECRET	0600
#define MODE_GROUP	0640

static const char *const role_names[INSTALL_ROLES] = {
	[ROLE_CERT] = "cert",
	[ROLE_CHAIN] = "chain",
	[ROLE_FULLCHAIN] = "fullchain",
	[ROLE_KEY] = "key",
	[ROLE_COMBINED] = "combined",
};

const char *install_role_name(enum install_role role)
{
	if ((int) role < 0 || role >= INSTALL_ROLES)
		return "unknown";
	return role_names[role];
}

static const char *role_path(const struct target_config *target, enum install_role role)
{
	switch (role) {
	case ROLE_CERT: return target->cert;
	case ROLE_CHAIN: return target->chain;
	case ROLE_FULLCHAIN: return target->fullchain;
	case ROLE_KEY: return target->key;
	case ROLE_COMBINED: return target->combined;
	default: return NULL;
	}
}

/* role_content - the PEM text of one role */

static void role_content(enum install_role role, const char *key_pem, const char *leaf_pem,
			         const char *chain_pem, struct strbuf *out)
{
	if (role == ROLE_KEY || role == ROLE_COMBINED)
		sb_appends(out, key_pem);
	if (role == ROLE_CERT || role == ROLE_FULLCHAIN || role == ROLE_COMBINED)
		sb_appends(out, leaf_pem);
	if (role == ROLE_CHAIN || role == ROLE_FULLCHAIN || role == ROLE_COMBINED)
		sb_appends(out, chain_pem);
}

int install_target_ids(const struct target_config *target, uid_t *uid, gid_t *gid,
		       struct strbuf *why)
{
	struct passwd *pw;
	struct group *gr;

	*uid = (uid_t) -1;
	*gid = (gid_t) -1;
	if (target->owner) {
		if ((pw = getpwnam(target->owner)) == NULL) {
			sb_appendf(why, "[target %s] owner %s: no such user", target->name, target->owner);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (target->group) {
		if ((gr = getgrnam(target->group)) == NULL) {
			sb_appendf(why, "[target %s] group %s: no such group", target->name, target->group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int install_plan_make(const struct target_config *target, const char *key_pem,
		              const char *leaf_pem, const char *chain_pem, struct install_plan *plan,
		              struct strbuf *why)
{
	struct install_file *file;
	int role;

	memset(plan, 0, sizeof(*plan));
	if (install_target_ids(target, &plan->uid, &plan->gid, why) < 0)
		return -1;
	for (role = 0; role < INSTALL_ROLES; role++) {
		if (role_path(target, role) == NULL)
			continue;
		file = &plan->files[plan->count++];
		file->role = role;
		file->path = role_path(target, role);
		sb_init(&file->content);
		role_content(role, key_pem, leaf_pem, chain_pem ? chain_pem : "", &file->content);
		if (role == ROLE_KEY || role == ROLE_COMBINED)
			file->mode = target->group ? MODE_GROUP : MODE_SECRET;
		else
			file->mode = MODE_PUBLIC;
	}
	return 0;
}

/* file_in_place - the file holds exactly the planned bytes, mode and owner */

static int file_in_place(const struct install_plan *plan, const struct install_file *file)
{
	struct strbuf now = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct stat st;
	int same;

	same = file_read_bounded(file->path, INSTALL_MAX_FILE, &now, &st, &why) == 0
	    && now.len == file->content.len
	    && memcmp(sb_str(&now), sb_str(&file->content), now.len) == 0
	    && (st.st_mode & 07777) == file->mode
	    && (plan->uid == (uid_t) -1 || st.st_uid == plan->uid)
	    && (plan->gid == (gid_t) -1 || st.st_gid == plan->gid);
	sb_free(&now);
	sb_free(&why);
	return same;
}

int install_plan_in_place(const struct install_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (!file_in_place(plan, &plan->files[i]))
			return 0;
	return plan->count > 0;
}

void install_plan_free(struct install_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++) {
		if (plan->files[i].content.data)
			OPENSSL_cleanse(plan->files[i].content.data, plan->files[i].content.len);
		sb_free(&plan->files[i].content);
	}
	memset(plan, 0, sizeof(*plan));
}
