/*
 * NAME
 *	web_auth - the users of [web] password_file
 * SYNOPSIS
 *	#include "web.h"
 *
 *	struct web_users *web_users_load(const char *path, struct strbuf *why)
 *	int web_users_check(const struct web_users *users, const char *user,
 *			    const char *password)
 *	void web_users_free(struct web_users *users)
 * DESCRIPTION
 *	The file has one "user:hash" line per user (blank lines and "#"
 *	comments aside), the hash as crypt(3) writes it with a salt:
 *	yescrypt ($y$), bcrypt ($2b$, as htpasswd -B makes it), SHA-512
 *	($6$) or SHA-256 ($5$).  A line with anything else (a plain
 *	password, DES) is refused, and so is a file others may write.
 *	Passwords are compared through crypt_r() and CRYPTO_memcmp(), and an
 *	unknown user name is hashed too: the time taken says nothing of how
 *	close a guess was, nor whether the user exists.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "mymalloc.h"
#include "web.h"

#define WEB_LINE_MAX	512

struct web_users {
	struct strlist names;
	struct strlist hashes;
};

static int salted_hash(const char *hash)
{
	static const char *const prefixes[] = {"$y$", "$2b$", "$2y$", "$6$", "$5$", NULL};

	for (int i = 0; prefixes[i]; i++)
		if (strncmp(hash, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static int take_line(struct web_users *u, char *line, const char *path, int n, struct strbuf *why)
{
	char   *colon;

	line[strcspn(line, "\r\n")] = 0;
	if (*line == 0 || *line == '#')
		return 0;
	if ((colon = strchr(line, ':')) == NULL || colon == line || !salted_hash(colon + 1)) {
		sb_appendf(why, "%s:%d: not user:hash with a salted crypt(3) hash ($y$, $2b$, $6$, $5$)",
			   path, n);
		return -1;
	}
	if (u->names.count >= WEB_MAX_USERS) {
		sb_appendf(why, "%s:%d: more than %d users", path, n, WEB_MAX_USERS);
		return -1;
	}
	*colon = 0;
	strlist_add(&u->names, line);
	strlist_add(&u->hashes, colon + 1);
	return 0;
}

struct web_users *web_users_load(const char *path, struct strbuf *why)
{
	struct web_users *u = xcalloc(1, sizeof(*u));
	char    line[WEB_LINE_MAX];
	struct stat st;
	FILE   *fp;
	int     n = 0;
	int     rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		sb_appendf(why, "[web] password_file %s: %s", path, strerror(errno));
		free(u);
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 002)) {
		sb_appendf(why, "[web] password_file %s: others may write it", path);
		rc = -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp))
		rc = take_line(u, line, path, ++n, why);
	fclose(fp);
	if (rc == 0 && u->names.count == 0) {
		sb_appendf(why, "[web] password_file %s: no user in it", path);
		rc = -1;
	}
	if (rc < 0) {
		web_users_free(u);
		return NULL;
	}
	return u;
}

int web_users_check(const struct web_users *u, const char *user, const char *password)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *hash = u->hashes.items[0];	/* an unknown user costs the same */
	const char *got;
	int     known = 0;
	int     ok;

	for (size_t i = 0; i < u->names.count && !known; i++)
		if (strcmp(u->names.items[i], user) == 0) {
			hash = u->hashes.items[i];
			known = 1;
		}
	got = crypt_r(password, hash, data);
	ok = known && got && got[0] != '*' && strlen(got) == strlen(hash)
	    && CRYPTO_memcmp(got, hash, strlen(got)) == 0;
	OPENSSL_cleanse(data, sizeof(*data));
	free(data);
	return ok;
}

void web_users_free(struct web_users *u)
{
	if (u == NULL)
		return;
	strlist_free(&u->names);
	strlist_free(&u->hashes);
	free(u);
}
