/*
 * reload.h - SIGHUP: a daemon of the mailcert command reads its
 * configuration again.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_RELOAD_H
#define MAILCERT_RELOAD_H

#include "strbuf.h"

/* What makes a configuration file good enough to start again with: 0, or
 * -1 with what is wrong and where in why. */
typedef int (*reload_check_fn) (const char *config_path, struct strbuf *why);

/* Keep main()'s argument vector (a copy: getopt may permute it). */
void reload_keep_argv(int argc, char **argv);

/* Make SIGHUP ask for a reload (a wait in poll() returns EINTR), checked
 * with check against config_path. */
void reload_catch(const char *config_path, reload_check_fn check);

/* Whether SIGHUP came since the last call. */
int reload_asked(void);

/* Check the file; when it is good, execute this program again with the
 * same arguments in the same process (does not return); otherwise log
 * what is wrong and return: the daemon goes on as it was. */
void reload_now(const char *who);

/* reload_asked(), then reload_now(): between two passes, holding nothing. */
void reload_if_asked(const char *who);

#endif
