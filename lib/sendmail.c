/*
 * NAME
 *	sendmail - the one mail composer of mailcert, and sendmail(1)
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	int mail_header_value_ok(const char *value)
 *	int mail_compose(const struct mail_out *m, struct strbuf *mail,
 *			 struct strbuf *why)
 *	int mail_send(const char *route, const struct mail_out *m,
 *		      int timeout, struct strbuf *why)
 * DESCRIPTION
 *	Every mail mailcert writes (an approval to act on, a confirmation,
 *	a failure, an expiry reminder) is composed here: From, To, Subject,
 *	Date, Message-ID, Auto-Submitted: auto-generated (RFC 3834, so that
 *	no vacation program answers), MIME-Version and a text/plain body,
 *	us-ascii and 7bit when the body is ASCII, else UTF-8 and 8bit.
 *
 *	Nothing from a stranger reaches a header: From, To and Subject must
 *	pass mail_header_value_ok() (printable ASCII, no CR or LF, bounded),
 *	To must be one plain address (no ',' ';' '"' '<'), and no body line
 *	may be longer than MAIL_BODY_LINE_MAX or hold a CR.  Any failure
 *	writes nothing.
 *
 *	mail_send() hands the message to ROUTE: a program run as "ROUTE -t
 *	-i" (recipients from the header; a line "." does not end the
 *	message) through run_command() (a clean environment, a timeout, no
 *	shell), or, for an smtp:// or smtps:// URL, that SMTP server through
 *	libcurl, envelope from From and to To: what a daemon whose systemd
 *	unit forbids new privileges uses, since Postfix's sendmail needs the
 *	setgid postdrop.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "run_command.h"
#include "sendmail.h"

#define HOST_MAX	256

int mail_header_value_ok(const char *value)
{
	size_t  len;
	size_t  i;

	if (value == NULL || (len = strlen(value)) == 0 || len > MAIL_HEADER_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char) value[i] < 0x20 || (unsigned char) value[i] > 0x7e)
			return 0;
	return 1;
}

static int plain_address(const char *addr)
{
	return mail_header_value_ok(addr) && strpbrk(addr, ",;\"<> ()") == NULL
	    && strchr(addr, '@') != NULL;
}

/* body_ok - lines bounded, no CR, no NUL; *ascii when all of it is ASCII */

static int body_ok(const char *body, int *ascii)
{
	const unsigned char *p;
	size_t  line = 0;

	*ascii = 1;
	for (p = (const unsigned char *) body; *p; p++) {
		if (*p == '\r')
			return 0;
		if (*p >= 0x80)
			*ascii = 0;
		line = *p == '\n' ? 0 : line + 1;
		if (line > MAIL_BODY_LINE_MAX)
			return 0;
	}
	return 1;
}

static void add_date_and_id(struct strbuf *mail)
{
	char    host[HOST_MAX + 1];
	char    date[64];
	struct tm tm;
	time_t  now = time(NULL);
	struct timespec ts;

	memset(host, 0, sizeof(host));
	if (gethostname(host, HOST_MAX) < 0 || !mail_header_value_ok(host)
	    || strpbrk(host, "<>@ ") != NULL)
		snprintf(host, sizeof(host), "localhost");
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&now, &tm) && strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm))
		sb_appendf(mail, "Date: %s\n", date);
	sb_appendf(mail, "Message-ID: <mailcert.%lld.%ld.%ld@%s>\n", (long long) ts.tv_sec,
		   (long) ts.tv_nsec, (long) getpid(), host);
}

/* add_body - the body, ending in a new line */

static void add_body(struct strbuf *mail, const char *body)
{
	size_t  len = strlen(body);

	sb_append(mail, body, len);
	if (len == 0 || body[len - 1] != '\n')
		sb_append(mail, "\n", 1);
}

int mail_compose(const struct mail_out *m, struct strbuf *mail, struct strbuf *why)
{
	int     ascii;

	if (!mail_header_value_ok(m->from) || strpbrk(m->from, ",;\"\n") != NULL) {
		sb_appends(why, "[notify] from is not a safe header value");
		return -1;
	}
	if (!plain_address(m->to)) {
		sb_appends(why, "the recipient is not one plain mail address");
		return -1;
	}
	if (!mail_header_value_ok(m->subject)) {
		sb_appends(why, "the subject is not printable ASCII of bounded length");
		return -1;
	}
	if (m->body == NULL || !body_ok(m->body, &ascii)) {
		sb_appends(why, "the body has a line that is too long or holds a CR");
		return -1;
	}
	sb_appendf(mail, "From: %s\nTo: %s\nSubject: %s\n", m->from, m->to, m->subject);
	add_date_and_id(mail);
	sb_appendf(mail, "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
		   "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n",
		   ascii ? "us-ascii" : "utf-8", ascii ? "7bit" : "8bit");
	add_body(mail, m->body);
	return 0;
}

/* One SMTP upload: the message with CRLF line ends. */
struct upload {
	const char *data;
	size_t  len;
	size_t  at;
};

static size_t upload_read(char *buf, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t  max = size * n;
	size_t  got = u->len - u->at;

	if (got > max)
		got = max;
	memcpy(buf, u->data + u->at, got);
	u->at += got;
	return got;
}

static void crlf(const struct strbuf *in, struct strbuf *out)
{
	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] == '\n' && (i == 0 || in->data[i - 1] != '\r'))
			sb_append(out, "\r", 1);
		sb_append(out, in->data + i, 1);
	}
}

/* send_smtp - to an SMTP server (libcurl): for a daemon whose unit may
 * not run a setgid program such as Postfix's postdrop */

static int send_smtp(const char *url, const struct mail_out *m, const struct strbuf *mail,
		     int timeout, struct strbuf *why)
{
	struct strbuf wire = STRBUF_INIT;
	struct strbuf from = STRBUF_INIT;
	struct strbuf to = STRBUF_INIT;
	struct curl_slist *rcpt = NULL;
	struct upload u;
	CURL   *curl;
	CURLcode rc;

	if ((curl = curl_easy_init()) == NULL) {
		sb_appends(why, "cannot start libcurl");
		return -1;
	}
	crlf(mail, &wire);
	u.data = wire.data;
	u.len = wire.len;
	u.at = 0;
	sb_appendf(&from, "<%s>", m->from);
	sb_appendf(&to, "<%s>", m->to);
	rcpt = curl_slist_append(rcpt, to.data);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.data);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long) timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		sb_appendf(why, "SMTP to %s: %s", url, curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	sb_free(&wire);
	sb_free(&from);
	sb_free(&to);
	return rc == CURLE_OK ? 0 : -1;
}

static int send_program(const char *program, const struct strbuf *mail, int timeout,
			struct strbuf *why)
{
	struct strlist argv = STRLIST_INIT;
	struct command_spec spec;
	struct command_result res;
	int     rc;

	strlist_add(&argv, program);
	strlist_add(&argv, "-t");
	strlist_add(&argv, "-i");
	memset(&spec, 0, sizeof(spec));
	spec.argv = &argv;
	spec.timeout = timeout;
	spec.input = mail->data;
	spec.input_len = mail->len;
	rc = run_command(&spec, &res);
	if (rc < 0) {
		sb_appendf(why, "%s ", program);
		command_result_describe(&res, why);
		if (res.output.len)
			sb_appendf(why, ": %.200s", res.output.data);
	}
	command_result_clear(&res);
	strlist_free(&argv);
	return rc;
}

int mail_send(const char *route, const struct mail_out *m, int timeout, struct strbuf *why)
{
	struct strbuf mail = STRBUF_INIT;
	int     rc;

	if (mail_compose(m, &mail, why) < 0) {
		sb_free(&mail);
		return -1;
	}
	if (strncmp(route, "smtp://", 7) == 0 || strncmp(route, "smtps://", 8) == 0)
		rc = send_smtp(route, m, &mail, timeout, why);
	else
		rc = send_program(route, &mail, timeout, why);
	sb_free(&mail);
	return rc;
}
