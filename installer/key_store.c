/*
 * NAME
 *	key_store - the private keys of the orders, in [installer] key_dir
 * SYNOPSIS
 *	#include "install.h"
 *
 *	EVP_PKEY *key_generate(const char *key_type, struct strbuf *why)
 *	int key_store_add(const char *key_dir, EVP_PKEY *pkey, char sha256[65],
 *			  char **path_out, struct strbuf *why)
 *	EVP_PKEY *key_store_load(const char *key_dir, const char *key_sha256,
 *				 struct strbuf *why)
 *	EVP_PKEY *key_read_file(const char *path, struct strbuf *why)
 *	int private_key_pem(EVP_PKEY *pkey, struct strbuf *pem)
 * DESCRIPTION
 *	An order names its key only by the SHA-256 of the public key; the key
 *	itself is KEY_DIR/SHA256.key, root's, mode 0600.  The installer
 *	finds the key of an order there and nowhere else, so no row of any
 *	ledger can make it read another key of the host.
 *
 *	key_store_add() writes a key (new, or the operator's own that
 *	"order add --key" imports) under its hash: created with O_EXCL and
 *	mode 0600 in a directory reached without following links and
 *	writable by root only (safe_path.c), written and fsync()ed; a key
 *	already there under that name is left as it is.
 *
 *	key_store_load() opens KEY_DIR/SHA256.key the same way and refuses
 *	a link, a file with more than one link, one not owned by root (or
 *	by us), one that others may write or read; it then checks that the
 *	key's public half really has that hash.
 *
 *	key_generate() makes an ec256 (default), rsa2048 or rsa3072 key.
 *	key_read_file() reads the operator's key for "order add --key".
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "fingerprint.h"
#include "install.h"
#include "mymalloc.h"
#include "safe_path.h"
#include "write_all.h"

#define KEY_MODE	0600
#define KEY_DIR_MODE	0700

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

int private_key_pem(EVP_PKEY *pkey, struct strbuf *pem)
{
	BIO    *bio;
	char   *data;
	long    len;
	int     rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1
	    && (len = BIO_get_mem_data(bio, &data)) > 0) {
		sb_append(pem, data, (size_t) len);
		rc = 0;
	}
	BIO_free(bio);
	return rc;
}

static EVP_PKEY *key_from_pem(const struct strbuf *pem, const char *where, struct strbuf *why)
{
	BIO    *bio = BIO_new_mem_buf(pem->data, (int) pem->len);
	EVP_PKEY *pkey = NULL;

	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL)
		sb_appendf(why, "%s: not a private key in PEM (or one with a pass phrase)", where);
	ERR_clear_error();
	return pkey;
}

EVP_PKEY *key_read_file(const char *path, struct strbuf *why)
{
	struct strbuf pem = STRBUF_INIT;
	EVP_PKEY *pkey;
	char    buf[4096];
	ssize_t n;
	int     fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		sb_appendf(why, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && pem.len < INSTALL_KEY_MAX)
		sb_append(&pem, buf, (size_t) n);
	close(fd);
	if (n < 0 || pem.len >= INSTALL_KEY_MAX) {
		sb_appendf(why, "%s: %s", path, n < 0 ? strerror(errno) : "too large for a key");
		sb_free(&pem);
		return NULL;
	}
	pkey = key_from_pem(&pem, path, why);
	OPENSSL_cleanse(pem.data, pem.len);
	sb_free(&pem);
	return pkey;
}

static int write_key(int dirfd, const char *name, const struct strbuf *pem, const char *path,
		     struct strbuf *why)
{
	int     fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, KEY_MODE);
	if (fd < 0 && errno == EEXIST)
		return 1;			/* the same key by its name: checked */
	if (fd < 0) {
		sb_appendf(why, "create %s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, KEY_MODE) < 0 || write_all(fd, pem->data, pem->len) < 0 || fsync(fd) < 0) {
		sb_appendf(why, "write %s: %s", path, strerror(errno));
		close(fd);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	if (close(fd) < 0 || fsync(dirfd) < 0) {
		sb_appendf(why, "write %s: %s", path, strerror(errno));
		unlinkat(dirfd, name, 0);
		return -1;
	}
	return 0;
}

/* existing_key_ok - the file already named by the key's hash must be that
 * key, as the installer will load it (owner, mode, links, content) */

static int existing_key_ok(const char *key_dir, const char *sha256, const char *path,
			   struct strbuf *why)
{
	struct strbuf reason = STRBUF_INIT;
	EVP_PKEY *pkey;

	if ((pkey = key_store_load(key_dir, sha256, &reason)) == NULL) {
		sb_appendf(why, "%s exists and is not this key as the installer would read it: %s",
			   path, sb_str(&reason));
		sb_free(&reason);
		return -1;
	}
	EVP_PKEY_free(pkey);
	sb_free(&reason);
	return 0;
}

int key_store_add(const char *key_dir, EVP_PKEY *pkey, char sha256[65], char **path_out,
		  struct strbuf *why)
{
	struct strbuf pem = STRBUF_INIT;
	struct strbuf name = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	int     dirfd;
	int     rc = -1;

	*path_out = NULL;
	if (pkey_spki_sha256_hex(pkey, sha256) < 0) {
		sb_appends(why, "cannot hash the public key");
		return -1;
	}
	if ((dirfd = safe_dir_open(key_dir, 1, KEY_DIR_MODE, why)) < 0)
		return -1;
	if (private_key_pem(pkey, &pem) < 0) {
		sb_appends(why, "cannot write the key as PEM");
		close(dirfd);
		return -1;
	}
	sb_appendf(&name, "%s.key", sha256);
	sb_appendf(&path, "%s/%s", key_dir, name.data);
	rc = write_key(dirfd, name.data, &pem, path.data, why);
	if (rc == 1)
		rc = existing_key_ok(key_dir, sha256, path.data, why);
	if (rc == 0)
		*path_out = sb_steal(&path);
	close(dirfd);
	OPENSSL_cleanse(pem.data, pem.len);
	sb_free(&pem);
	sb_free(&name);
	sb_free(&path);
	return rc;
}

static int hex_hash(const char *text)
{
	size_t  i;

	for (i = 0; text && i < 64; i++)
		if (!isxdigit((unsigned char) text[i]) || isupper((unsigned char) text[i]))
			return 0;
	return text && text[64] == 0;
}

/* read_key_file - the file's contents after the owner and mode checks */

static int read_key_file(int fd, const struct stat *st, const char *path, struct strbuf *pem,
			 struct strbuf *why)
{
	char    buf[4096];
	ssize_t n;

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		sb_appendf(why, "%s is owned by uid %lu, not by root", path, (unsigned long) st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) {
		sb_appendf(why, "%s may be read or written by others (mode %04o)", path,
			   (unsigned) (st->st_mode & 07777));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && pem->len < INSTALL_KEY_MAX)
		sb_append(pem, buf, (size_t) n);
	if (n < 0 || pem->len >= INSTALL_KEY_MAX) {
		sb_appendf(why, "%s: %s", path, n < 0 ? strerror(errno) : "too large for a key");
		return -1;
	}
	return 0;
}

EVP_PKEY *key_store_load(const char *key_dir, const char *key_sha256, struct strbuf *why)
{
	struct strbuf pem = STRBUF_INIT;
	struct strbuf name = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	char    sha256[SHA256_HEX_LEN + 1];
	EVP_PKEY *pkey = NULL;
	struct stat st;
	int     dirfd;
	int     fd = -1;

	if (!hex_hash(key_sha256)) {
		sb_appends(why, "the order's key hash is not a SHA-256 in hex");
		return NULL;
	}
	if ((dirfd = safe_dir_open(key_dir, 0, 0, why)) < 0)
		return NULL;
	sb_appendf(&name, "%s.key", key_sha256);
	sb_appendf(&path, "%s/%s", key_dir, name.data);
	fd = safe_file_open(dirfd, name.data, &st, why);
	close(dirfd);
	if (fd == -2)
		sb_appendf(why, "%s does not exist: the order's key is not in [installer] key_dir",
			   path.data);
	if (fd >= 0 && read_key_file(fd, &st, path.data, &pem, why) == 0)
		pkey = key_from_pem(&pem, path.data, why);
	if (fd >= 0)
		close(fd);
	if (pkey && (pkey_spki_sha256_hex(pkey, sha256) < 0 || strcmp(sha256, key_sha256) != 0)) {
		sb_appendf(why, "%s does not hold the key its name says", path.data);
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pem.data)
		OPENSSL_cleanse(pem.data, pem.len);
	sb_free(&pem);
	sb_free(&name);
	sb_free(&path);
	return pkey;
}
