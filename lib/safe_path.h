/*
 * safe_path.h - open what root writes or reads without following links
 * and without trusting a directory that others can write.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_SAFE_PATH_H
#define MAILCERT_SAFE_PATH_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "strbuf.h"

#define SAFE_PATH_DEPTH_MAX	64	/* components of a path */

/* The directory dir (absolute), walked from "/" one component at a time
 * with openat(O_NOFOLLOW | O_DIRECTORY); every component must be owned by
 * root (or by us) and writable by nobody else, or be a root-owned sticky
 * directory such as /tmp.  Missing components are made with mode when
 * create is set.  A descriptor, or -1 with why. */
int safe_dir_open(const char *dir, int create, mode_t mode, struct strbuf *why);

/* An existing regular file name (no '/') in dirfd, for reading: not a
 * link, exactly one hard link; st filled.  A descriptor, -1 with why, or
 * -2 when it does not exist. */
int safe_file_open(int dirfd, const char *name, struct stat *st, struct strbuf *why);

/* Split an absolute path into its directory and last component (both
 * allocated); -1 when path is not absolute or ends in '/'. */
int safe_path_split(const char *path, char **dir, char **base);

#endif
