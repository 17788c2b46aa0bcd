/*
 * write_all.h - write a whole buffer to a descriptor.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_WRITE_ALL_H
#define MAILCERT_WRITE_ALL_H

#include <stddef.h>

/* 0 when all len bytes were written, -1 (errno set) otherwise. */
int write_all(int fd, const char *data, size_t len);

#endif
