/*
 * NAME
 *	keygen - a new private key for an order, written once, mode 0600
 * SYNOPSIS
 *	#include "install.h"
 *
 *	EVP_PKEY *key_generate(const char *key_type, struct strbuf *why)
 *	int key_write_new(EVP_PKEY *pkey, const char *key_dir,
 *			  const char *stem, time_t now, char **path_out,
 *			  struct strbuf *why)
 * DESCRIPTION
 *	key_generate() makes a key with the OpenSSL 3 EVP interface:
 *	key_type "ec256" (EC P-256, the default when NULL), "rsa2048" or
 *	"rsa3072".  NULL with why for another type or a failure.
 *
 *	key_write_new() writes the key as unencrypted PKCS#8 PEM to a new
 *	file "KEY_DIR/STEM-YYYYMMDDTHHMMSSZ.key" (with "-2", "-3"... when
 *	that exists), created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600
 *	at open(), never changed afterwards; fsync()s it and the directory.
 *	key_dir is made (mode 0700) when missing.  stem is made by the
 *	caller from validated names only and may hold letters, digits, '.',
 *	'-' and '_'; anything else is refused.  *path_out is the allocated
 *	path.  Returns 0, or -1 with why (nothing left behind).
 * LICENSE
 *	See the README of mailcert.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "install.h"
#include "write_all.h"

#define KEY_MODE	0600
#define KEY_DIR_MODE	0700
#define MAX_TRIES	100		/* names tried in one second */
#define MAX_STEM	200

/* openssl_reason - the last OpenSSL error in words */

static const char *openssl_reason(void)
{
	const char *reason = ERR_reason_error_string(ERR_get_error());

	return reason ? reason : "unknown OpenSSL error";
}

EVP_PKEY *key_generate(const char *key_type, struct strbuf *why)
{
	EVP_PKEY *pkey = NULL;

	if (key_type == NULL || strcmp(key_type, "ec256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(key_type, "rsa2048") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	else if (strcmp(key_type, "rsa3072") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 3072);
	else {
		sb_appendf(why, "key type %s: must be ec256, rsa2048 or rsa3072", key_type);
		return NULL;
	}
	if (pkey == NULL)
		sb_appendf(why, "cannot generate a %s key: %s", key_type ? key_type : "ec256",
			   openssl_reason());
	return pkey;
}

static int stem_ok(const char *stem)
{
	const char *p;

	if (*stem == 0 || *stem == '.' || strlen(stem) > MAX_STEM)
		return 0;
	for (p = stem; *p; p++)
		if (!isalnum((unsigned char) *p) && !strchr(".-_", *p))
			return 0;
	return 1;
}

/* create_key_file - a file nobody else had, mode 0600 from the start */

static int create_key_file(const char *key_dir, const char *stem, time_t now, struct strbuf *path,
			           struct strbuf *why)
{
	char    stamp[32];
	struct tm tm;
	int     fd;
	int     n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (n = 1; n <= MAX_TRIES; n++) {
		sb_reset(path);
		if (n == 1)
			sb_appendf(path, "%s/%s-%s.key", key_dir, stem, stamp);
		else
			sb_appendf(path, "%s/%s-%s-%d.key", key_dir, stem, stamp, n);
		fd = open(path->data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, KEY_MODE);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		sb_appendf(why, "create %s: %s", path->data, strerror(errno));
	return fd;
}


int key_write_new(EVP_PKEY *pkey, const char *key_dir, const char *stem, time_t now,
		          char **path_out, struct strbuf *why)
{
	struct strbuf pem = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	int     fd;
	int     rc = -1;

	*path_out = NULL;
	if (!stem_ok(stem)) {
		sb_appendf(why, "cannot name a key file after \"%s\"", stem);
		return -1;
	}
	if (dir_make(key_dir, KEY_DIR_MODE, why) < 0)
		return -1;
	if (private_key_pem(pkey, &pem) < 0) {
		sb_appends(why, "cannot write the key as PEM");
		return -1;
	}
	if ((fd = create_key_file(key_dir, stem, now, &path, why)) < 0)
		goto out;
	if (write_all(fd, pem.data, pem.len) < 0 || fsync(fd) < 0) {
		sb_appendf(why, "write %s: %s", path.data, strerror(errno));
		close(fd);
		unlink(path.data);
		goto out;
	}
	if (close(fd) < 0 || dir_fsync(key_dir, why) < 0) {
		sb_appendf(why, "%swrite %s", why->len ? "; " : "", path.data);
		unlink(path.data);
		goto out;
	}
	*path_out = sb_steal(&path);
	rc = 0;
out:
	OPENSSL_cleanse(pem.data, pem.len);
	sb_free(&pem);
	sb_free(&path);
	return rc;
}
