/*
 * NAME
 *	message_file - a message file split the way Postfix hands it to a milter
 * SYNOPSIS
 *	#include "message_file.h"
 *
 *	int message_file_read(const char *path, struct message_file *msg,
 *			      struct strbuf *err)
 *	void message_file_free(struct message_file *msg)
 * DESCRIPTION
 *	message_file_read() reads one message (LF or CRLF line ends, at most
 *	MESSAGE_FILE_MAX bytes) into headers and body.  A header's value is
 *	everything after the colon, leading space included (the milter client
 *	removes one space unless the filter asked for SMFIP_HDR_LEADSPC);
 *	folded lines are joined with a bare "\n", as Postfix sends them.  The
 *	headers end at the first empty line, or at the first line that is not
 *	a header (which then starts the body, as in Postfix).  An mbox "From "
 *	line at the top is skipped.  The body gets CRLF after every line.
 *	msg->message_id is the index of the Message-ID header, or -1.
 *
 *	Returns 0, or -1 with the reason in err.
 *
 *	message_file_free() releases what message_file_read() allocated.
 * SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "message_file.h"
#include "mymalloc.h"

#define MESSAGE_FILE_MAX	(64 * 1024 * 1024)

static int slurp(const char *path, struct strbuf *data, struct strbuf *err)
{
	FILE   *fp;
	char    block[65536];
	size_t  n;

	if ((fp = fopen(path, "r")) == NULL) {
		sb_appendf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(block, 1, sizeof(block), fp)) > 0) {
		sb_append(data, block, n);
		if (data->len > MESSAGE_FILE_MAX) {
			sb_appendf(err, "%s: larger than %d bytes", path, MESSAGE_FILE_MAX);
			fclose(fp);
			return -1;
		}
	}
	if (ferror(fp)) {
		sb_appendf(err, "%s: read error", path);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* next_line - the line at *pos without its LF or CRLF; NULL at the end */

static const char *next_line(const struct strbuf *data, size_t *pos, size_t *len)
{
	const char *start = data->data + *pos;
	const char *nl;
	size_t  rest = data->len - *pos;

	if (*pos >= data->len)
		return NULL;
	nl = memchr(start, '\n', rest);
	*len = nl ? (size_t) (nl - start) : rest;
	*pos += *len + (nl != NULL);
	if (*len > 0 && start[*len - 1] == '\r')
		(*len)--;
	return start;
}

/* header_name_length - length of the name when the line is "Name:", else 0 */

static size_t header_name_length(const char *line, size_t len)
{
	size_t  i;

	for (i = 0; i < len && line[i] != ':'; i++)
		if (!isgraph((unsigned char) line[i]) && line[i] != ' ' && line[i] != '\t')
			return 0;
	if (i == 0 || i == len)
		return 0;
	while (i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t'))
		i--;
	return i;
}

static void add_header(struct message_file *msg, const char *line, size_t len, size_t name_len)
{
	struct mail_header *hdr;
	const char *colon = memchr(line, ':', len);

	msg->headers = xrealloc(msg->headers, (msg->header_count + 1) * sizeof(*msg->headers));
	hdr = msg->headers + msg->header_count++;
	hdr->name = xstrndup(line, name_len);
	hdr->value = xstrndup(colon + 1, len - (size_t) (colon + 1 - line));
	if (msg->message_id < 0 && strcasecmp(hdr->name, "Message-ID") == 0)
		msg->message_id = (int) msg->header_count - 1;
}

static void continue_header(struct message_file *msg, const char *line, size_t len)
{
	struct mail_header *hdr = msg->headers + msg->header_count - 1;
	size_t  old = strlen(hdr->value);

	hdr->value = xrealloc(hdr->value, old + 1 + len + 1);
	hdr->value[old] = '\n';
	memcpy(hdr->value + old + 1, line, len);
	hdr->value[old + 1 + len] = 0;
}

static void add_body_line(struct strbuf *body, const char *line, size_t len)
{
	sb_append(body, line, len);
	sb_append(body, "\r\n", 2);
}

int message_file_read(const char *path, struct message_file *msg, struct strbuf *err)
{
	struct strbuf data = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT;
	const char *line;
	size_t  pos = 0;
	size_t  len;
	size_t  name_len;
	int     in_headers = 1;

	memset(msg, 0, sizeof(*msg));
	msg->message_id = -1;
	if (slurp(path, &data, err) < 0) {
		sb_free(&data);
		return -1;
	}
	while ((line = next_line(&data, &pos, &len)) != NULL) {
		if (!in_headers) {
			add_body_line(&body, line, len);
		} else if (len == 0) {
			in_headers = 0;
		} else if (msg->header_count == 0 && len >= 5 && memcmp(line, "From ", 5) == 0) {
			continue;
		} else if ((line[0] == ' ' || line[0] == '\t') && msg->header_count > 0) {
			continue_header(msg, line, len);
		} else if ((name_len = header_name_length(line, len)) > 0) {
			add_header(msg, line, len, name_len);
		} else {
			in_headers = 0;
			add_body_line(&body, line, len);
		}
	}
	sb_free(&data);
	msg->body_len = body.len;
	msg->body = body.len ? sb_steal(&body) : xstrdup("");
	sb_free(&body);
	if (msg->header_count == 0) {
		sb_appendf(err, "%s: no headers", path);
		message_file_free(msg);
		return -1;
	}
	return 0;
}

void message_file_free(struct message_file *msg)
{
	size_t  i;

	for (i = 0; i < msg->header_count; i++) {
		free(msg->headers[i].name);
		free(msg->headers[i].value);
	}
	free(msg->headers);
	free(msg->body);
	memset(msg, 0, sizeof(*msg));
	msg->message_id = -1;
}
