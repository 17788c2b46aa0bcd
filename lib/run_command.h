/*
 * run_command.h - the one way mailcert runs a program: execve with an
 * argument vector, a clean environment, a timeout, maybe another user.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_RUN_COMMAND_H
#define MAILCERT_RUN_COMMAND_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"
#include "strlist.h"

#define COMMAND_MAX_OUTPUT	8192	/* bytes of a command's output kept */
#define COMMAND_PATH		"/usr/sbin:/usr/bin:/sbin:/bin"	/* its PATH */

/* What to run. */
struct command_spec {
	const struct strlist *argv;	/* argv->items[0]: an absolute path */
	int     timeout;		/* seconds; the process group is killed after */
	const char *input;		/* written to its standard input; NULL: /dev/null */
	size_t  input_len;
	const char *run_as;		/* a user name to run as, NULL: as we are */
	size_t  max_output;		/* bytes of output kept, 0: COMMAND_MAX_OUTPUT */
};

/* What a finished command did. */
struct command_result {
	int     exited;			/* exited normally with exit_status */
	int     exit_status;
	int     signal;			/* killed by this signal, else 0 */
	int     timed_out;		/* killed by us after the timeout */
	int     start_failed;		/* fork, pipe, user or exec failed */
	struct strbuf output;		/* stdout and stderr, at most max_output */
	size_t  dropped;		/* output bytes beyond that */
	size_t  max_output;
};

/* 0 when it exited with status 0, else -1; res says what happened. */
int run_command(const struct command_spec *spec, struct command_result *res);

/* "exit status 1", "killed by signal 9", "timed out, killed", "could not
 * be started" */
void command_result_describe(const struct command_result *res, struct strbuf *text);
void command_result_clear(struct command_result *res);

#endif
