/*
 * NAME
 *	backup_set - the files of a target as they were before an install
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int backup_set_open(const char *state_dir,
 *			    const struct target_config *target, long long job_id,
 *			    const struct install_plan *plan,
 *			    struct backup_set *set, struct strbuf *why)
 *	int backup_set_restore(const struct backup_set *set,
 *			       const struct install_plan *plan,
 *			       struct strbuf *why)
{
	struct strbuf one = STRBUF_INIT;
	const struct backup_entry *e;
	size_t i;
	int failed;
	int rc = 0;

	for (i = 0; i < set->count; i++) {
		e = &set->entries[i];
		sb_reset(&one);
		if (e->present)
			failed = file_write_atomic(e->path, sb_str(&e->content), e->content.len, e->mode,
						   e->uid, e->gid, &one) < 0;
		else
			failed = file_remove_durably(e->path, &one) < 0;
		if (failed) {
			sb_appendf(why, "%s%s", why->len ? "; " : "", sb_str(&one));
			rc = -1;
		}
	}
	sb_free(&one);
	return rc;
}

int backup_set_close(const struct backup_set *set, struct strbuf *why)
 *	void backup_set_free(struct backup_set *set)
 * DESCRIPTION
 *	A backup set lives in STATE_DIR/backup/TARGET/job-ID/ ([installer]
 *	state_dir, root's and nobody else's: it is refused when anyone else
 *	can write it, and every directory is reached without following a
 *	link, see safe_path.c; directories mode 0700): a copy of each file
 *	of the plan that exists, named after its
 *	role ("cert", "key", ...; mode 0600 whatever the original had, as it
 *	may be a key), and a "manifest" with one line per role:
 *
 *	    ROLE present MODE UID GID PATH     (MODE in octal)
 *	    ROLE absent - - - PATH
 *
 *	written last, atomically: a set without a manifest is incomplete and
 *	is made again.  The manifest is "open" while an attempt may have
 *	changed the files; backup_set_close() renames it "manifest.closed"
 *	when the attempt is over (installed, or the old files restored).
 *
 *	backup_set_open() finds an open set of the same job (the installer
 *	died during an attempt: the files may be new, half of them, or old)
 *	and loads it (set->reused = 1); otherwise it copies the files as
 *	they are now.  The copies are on disk before the first target file
 *	is touched.  Returns 0, or -1 with why.
 *
 *	backup_set_restore() writes every file of the set back, byte for
 *	byte, atomically (file_write.c), and removes the files that did not
 *	exist before.  The manifest is root's, yet a restore trusts it no
 *	further than it must: the mode is masked to 0777 (no setuid, setgid
 *	or sticky bit ever comes back), and a file goes back to its owner
 *	and group only when they are root or the target's owner and group;
 *	else it is root's.  A manifest line about a path that is not one of
 *	the plan's is refused.  It goes on after an error and returns -1
 *	with why if any file could not be restored.
 *
 *	Backup sets are never deleted by mailcert: the last one of each job
 *	stays for the operator.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install.h"
#include "msg.h"
#include "mymalloc.h"
#include "safe_path.h"

#define BACKUP_DIR_MODE		0700
#define BACKUP_FILE_MODE	0600
#define MANIFEST		"manifest"
#define MANIFEST_CLOSED		"manifest.closed"
#define MANIFEST_MAX		(16 * 1024)

static int role_from_name(const char *name)
{
	int role;

	for (role = 0; role < INSTALL_ROLES; role++)
		if (strcmp(name, install_role_name(role)) == 0)
			return role;
	return -1;
}

/* set_dir - STATE_DIR/backup/TARGET/job-ID, made if missing */

static int set_dir(const char *state_dir, const char *target, long long job_id,
		           struct backup_set *set, struct strbuf *why)
{
	struct strbuf dir = STRBUF_INIT;

	if (target[0] == '.' || strchr(target, '/') != NULL) {
		sb_appendf(why, "target name %s cannot name a backup directory", target);
		return -1;
	}
	sb_appendf(&dir, "%s/backup/%s/job-%lld", state_dir, target, job_id);
	set->dir = sb_steal(&dir);
	return dir_make_safe(set->dir, BACKUP_DIR_MODE, why);
}

static void copy_path(const struct backup_set *set, const char *name, struct strbuf *out)
{
	sb_reset(out);
	sb_appendf(out, "%s/%s", set->dir, name);
}

/* parse_line - one manifest line into the next entry */

static int parse_line(struct backup_set *set, const char *line)
{
	struct backup_entry *entry = &set->entries[set->count];
	char role[16];
	char state[16];
	char mode[16];
	char uid[16];
	char gid[16];
	int consumed = 0;
	int r;

	if (set->count >= INSTALL_ROLES
	    || sscanf(line, "%15s %15s %15s %15s %15s %n", role, state, mode, uid, gid, &consumed) < 5
	    || consumed == 0 || line[consumed] == 0 || (r = role_from_name(role)) < 0)
		return -1;
	entry->role = r;
	entry->path = xstrdup(line + consumed);
	entry->present = strcmp(state, "present") == 0;
	if (entry->present) {
		entry->mode = (mode_t) strtoul(mode, NULL, 8) & 0777;
		entry->uid = (uid_t) strtoul(uid, NULL, 10);
		entry->gid = (gid_t) strtoul(gid, NULL, 10);
	}
	set->count++;
	return 0;
}

/* load_copies - the contents of the present entries */

static int load_copies(struct backup_set *set, struct strbuf *why)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	for (i = 0; i < set->count && rc == 0; i++) {
		if (!set->entries[i].present)
			continue;
		copy_path(set, install_role_name(set->entries[i].role), &path);
		if (file_read_bounded(path.data, INSTALL_MAX_FILE, &set->entries[i].content, &st, why) != 0) {
			sb_appendf(why, "%sbackup copy %s is missing", why->len ? "; " : "", path.data);
			rc = -1;
		}
	}
	sb_free(&path);
	return rc;
}

/* matches_plan - the set is about the same files as the plan */

static int matches_plan(const struct backup_set *set, const struct install_plan *plan)
{
	size_t i;

	if (set->count != plan->count)
		return 0;
	for (i = 0; i < set->count; i++)
		if (set->entries[i].role != plan->files[i].role
		    || strcmp(set->entries[i].path, plan->files[i].path) != 0)
			return 0;
	return 1;
}

static void clear_entries(struct backup_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++) {
		free(set->entries[i].path);
		sb_free(&set->entries[i].content);
	}
	memset(set->entries, 0, sizeof(set->entries));
	set->count = 0;
}

/* load_open_set - 1 when an open manifest was loaded, 0 when none, -1 */

static int load_open_set(struct backup_set *set, const struct install_plan *plan,
			         struct strbuf *why)
{
	struct strbuf path = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT;
	struct stat st;
	char *line;
	char *next;
	int rc;

	copy_path(set, MANIFEST, &path);
	rc = file_read_bounded(path.data, MANIFEST_MAX, &text, &st, why);
	if (rc == 1)
		rc = 0;
	else if (rc == 0) {
		rc = 1;
		for (line = text.data; rc == 1 && line && *line; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = 0;
			if (parse_line(set, line) < 0) {
				sb_appendf(why, "%s: bad line \"%.80s\"", path.data, line);
				rc = -1;
			}
		}
		if (rc == 1 && !matches_plan(set, plan)) {
			msg_warn("%s names other files than [target] now does; making a new backup set",
				 path.data);
			clear_entries(set);
			rc = 0;
		}
		if (rc == 1)
			rc = load_copies(set, why) < 0 ? -1 : 1;
	}
	sb_free(&path);
	sb_free(&text);
	return rc;
}

/* copy_current - one file of the plan as it is now */

static int copy_current(struct backup_set *set, const struct install_file *file,
			        struct strbuf *why)
{
	struct backup_entry *entry = &set->entries[set->count++];
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int rc;

	entry->role = file->role;
	entry->path = xstrdup(file->path);
	rc = file_read_bounded(file->path, INSTALL_MAX_FILE, &entry->content, &st, why);
	if (rc == 0) {
		entry->present = 1;
		entry->mode = st.st_mode & 0777;
		entry->uid = st.st_uid;
		entry->gid = st.st_gid;
		copy_path(set, install_role_name(file->role), &path);
		rc = file_write_atomic(path.data, sb_str(&entry->content), entry->content.len,
				       BACKUP_FILE_MODE, (uid_t) -1, (gid_t) -1, why);
	} else if (rc == 1) {
		rc = 0;
	}
	sb_free(&path);
	return rc;
}

static int write_manifest(struct backup_set *set, struct strbuf *why)
{
	struct strbuf text = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	const struct backup_entry *e;
	size_t i;
	int rc;

	for (i = 0; i < set->count; i++) {
		e = &set->entries[i];
		if (e->present)
			sb_appendf(&text, "%s present %04o %lu %lu %s\n", install_role_name(e->role),
				   (unsigned) e->mode, (unsigned long) e->uid, (unsigned long) e->gid, e->path);
		else
			sb_appendf(&text, "%s absent - - - %s\n", install_role_name(e->role), e->path);
	}
	copy_path(set, MANIFEST, &path);
	rc = file_write_atomic(path.data, sb_str(&text), text.len, BACKUP_FILE_MODE,
			       (uid_t) -1, (gid_t) -1, why);
	sb_free(&text);
	sb_free(&path);
	return rc;
}

int backup_set_open(const char *state_dir, const struct target_config *target, long long job_id,
		            const struct install_plan *plan, struct backup_set *set,
		            struct strbuf *why)
{
	size_t i;
	int rc;

	memset(set, 0, sizeof(*set));
	if (set_dir(state_dir, target->name, job_id, set, why) < 0)
		return -1;
	if ((rc = load_open_set(set, plan, why)) != 0) {
		set->reused = rc == 1;
		return rc < 0 ? -1 : 0;
	}
	for (i = 0; i < plan->count; i++)
		if (copy_current(set, &plan->files[i], why) < 0)
			return -1;
	return write_manifest(set, why);
}

/* in_plan - the entry is about one of the plan's files */

static int in_plan(const struct backup_entry *e, const struct install_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->files[i].role == e->role && strcmp(plan->files[i].path, e->path) == 0)
			return 1;
	return 0;
}

/* restore_owner - the recorded owner when it is root or the target's */

static void restore_owner(const struct backup_entry *e, const struct install_plan *plan,
			  uid_t *uid, gid_t *gid)
{
	*uid = e->uid == 0 || (plan->uid != (uid_t) -1 && e->uid == plan->uid) ? e->uid : 0;
	*gid = e->gid == 0 || (plan->gid != (gid_t) -1 && e->gid == plan->gid) ? e->gid : 0;
}

int backup_set_restore(const struct backup_set *set, const struct install_plan *plan,
		       struct strbuf *why)
{
	const struct backup_entry *e;
	uid_t uid;
	gid_t gid;
	size_t i;
	int rc = 0;

	for (i = 0; i < set->count; i++) {
		e = &set->entries[i];
		if (why->len && rc < 0)
			sb_appends(why, "; ");
		if (!in_plan(e, plan)) {
			sb_appendf(why, "the backup set names %s, which is not a file of the target", e->path);
			rc = -1;
		} else if (e->present) {
			restore_owner(e, plan, &uid, &gid);
			if (file_write_atomic(e->path, sb_str(&e->content), e->content.len, e->mode & 0777,
					      uid, gid, why) < 0)
				rc = -1;
		} else if (file_remove_durably(e->path, why) < 0) {
			rc = -1;
		}
	}
	return rc;
}

int backup_set_close(const struct backup_set *set, struct strbuf *why)
{
	struct strbuf from = STRBUF_INIT;
	struct strbuf to = STRBUF_INIT;
	int rc = 0;
	int fd;

	copy_path(set, MANIFEST, &from);
	copy_path(set, MANIFEST_CLOSED, &to);
	if (rename(from.data, to.data) < 0) {
		sb_appendf(why, "rename %s: %s", from.data, strerror(errno));
		rc = -1;
	} else if ((fd = safe_dir_open(set->dir, 0, 0, why)) < 0) {
		rc = -1;
	} else {
		if (fsync(fd) < 0) {
			sb_appendf(why, "fsync %s: %s", set->dir, strerror(errno));
			rc = -1;
		}
		close(fd);
	}
	sb_free(&from);
	sb_free(&to);
	return rc;
}

void backup_set_free(struct backup_set *set)
{
	clear_entries(set);
	free(set->dir);
	set->dir = NULL;
}
