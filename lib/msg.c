/*
 * NAME
 *	msg - logging to syslog, to stderr or to a file
 * SYNOPSIS
 *	int msg_open(const char *ident, const char *destination,
 *		     struct strbuf *why)
 *	const char *msg_destination(void)
 *	void msg_info(fmt, ...), msg_warn(fmt, ...), msg_error(fmt, ...)
 *	void msg_fatal(fmt, ...)
 * DESCRIPTION
 *	Every program of mailcert logs through these functions, to the one
 *	destination chosen at start-up ([log] to, or -l): syslog with
 *	facility mail (each line "LEVEL: text" after the program's name and
 *	pid), standard error ("PROGRAM: LEVEL: text"), or a file, each line
 *	"YYYY-MM-DDTHH:MM:SSZ PROGRAM[PID]: LEVEL: text" appended with one
 *	write(), so lines of several threads and processes never mix.  Until
 *	msg_open() is called lines go to stderr.  The level says who must
 *	act: msg_fatal() is for "cannot continue at all" and exits with
 *	status 1.
 *
 *	The only state is the destination, set once at start-up.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define MSG_LINE_MAX	4096
#define MSG_FILE_MODE	0640

enum msg_target { TO_STDERR, TO_SYSLOG, TO_FILE };

static const char *msg_ident = "mailcert";
static enum msg_target msg_target = TO_STDERR;
static int msg_fd = -1;
static char msg_where[512] = "standard error";
static int msg_verbose_level;

int msg_open(const char *ident, const char *destination, struct strbuf *why)
{
	int     fd;

	msg_ident = ident;
	if (destination == NULL || strcmp(destination, MSG_TO_STDERR) == 0) {
		msg_target = TO_STDERR;
		snprintf(msg_where, sizeof(msg_where), "standard error");
		return 0;
	}
	if (strcmp(destination, MSG_TO_SYSLOG) == 0) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		msg_target = TO_SYSLOG;
		snprintf(msg_where, sizeof(msg_where), "syslog, facility mail");
		return 0;
	}
	if (destination[0] != '/') {
		sb_appendf(why, "log destination %s: syslog, stderr or an absolute file path", destination);
		return -1;
	}
	fd = open(destination, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, MSG_FILE_MODE);
	if (fd < 0) {
		sb_appendf(why, "log file %s: %s", destination, strerror(errno));
		return -1;
	}
	if (msg_fd >= 0)
		close(msg_fd);
	msg_fd = fd;
	msg_target = TO_FILE;
	snprintf(msg_where, sizeof(msg_where), "%s", destination);
	return 0;
}

const char *msg_destination(void)
{
	return msg_where;
}

void msg_set_verbose(int verbose)
{
	msg_verbose_level = verbose;
}

int msg_verbose(void)
{
	return msg_verbose_level;
}

static void write_file_line(const char *label, const char *text)
{
	char    line[MSG_LINE_MAX + 256];
	char    when[32];
	time_t  now = time(NULL);
	struct tm tm;
	int     n;

	if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long) now);
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s\n", when, msg_ident, (long) getpid(),
		     label, text);
	if (n > 0 && write(msg_fd, line, (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1) < 0)
		(void) 0;			/* nowhere left to say so */
}

static void msg_vlog(int priority, const char *label, const char *fmt, va_list ap)
{
	char    text[MSG_LINE_MAX];
	int     saved = errno;

	vsnprintf(text, sizeof(text), fmt, ap);
	switch (msg_target) {
	case TO_SYSLOG:
		syslog(priority, "%s%s", label, text);
		break;
	case TO_FILE:
		write_file_line(label, text);
		break;
	default:
		fprintf(stderr, "%s: %s%s\n", msg_ident, label, text);
		break;
	}
	errno = saved;
}

void msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (!msg_verbose_level)
		return;
	va_start(ap, fmt);
	msg_vlog(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void msg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}
