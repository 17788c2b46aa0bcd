/*
 * NAME
 *	msg - logging to syslog (facility mail) or to stderr
 * SYNOPSIS
 *	void msg_open(const char *ident, int to_stderr)
 *	void msg_info(fmt, ...), msg_warn(fmt, ...), msg_error(fmt, ...)
 *	void msg_fatal(fmt, ...)
 * DESCRIPTION
 *	Every program of mailcert logs through these functions.  Until
 *	msg_open() is called, or when to_stderr is set, lines go to stderr
 *	prefixed with the program name and level; otherwise to syslog with
 *	facility LOG_MAIL.  The level says who must act: msg_fatal() is for
 *	"cannot continue at all" and exits with status 1.
 *
 *	The only state is the choice of destination, set once at start-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "msg.h"

static const char *msg_ident = "mailcert";
static int msg_to_syslog;
static int msg_verbose_level;

void msg_open(const char *ident, int to_stderr)
{
	msg_ident = ident;
	msg_to_syslog = !to_stderr;
	if (msg_to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void msg_set_verbose(int verbose)
{
	msg_verbose_level = verbose;
}

int msg_verbose(void)
{
	return msg_verbose_level;
}

static void msg_vlog(int priority, const char *label, const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (msg_to_syslog) {
		syslog(priority, "%s%s", label, line);
		return;
	}
	fprintf(stderr, "%s: %s%s\n", msg_ident, label, line);
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
