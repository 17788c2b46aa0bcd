/*
 * NAME
 *	mail - open one message with GMime
 * SYNOPSIS
 *	#include "mail.h"
 *
 *	void mail_init(struct mail *mail)
 *	int mail_read(const char *data, size_t len,
 *		      const struct parse_limits *limits, struct mail *mail,
 *		      struct certbundle *certs)
 *	int mail_read_fd(int fd, size_t len, const struct parse_limits *limits,
 *			 struct mail *mail, struct certbundle *certs)
 *	void mail_limit(struct mail *mail, const char *limit, const char *what)
 *	void mail_free(struct mail *mail)
 * DESCRIPTION
 *	mail_read() initialises GMime once per process (pthread_once), parses
 *	data from memory and hands the message to mail_read_headers() and
 *	mime_walk().  mail_read_fd() does the same with a spooled message:
 *	GMime reads the file itself (a persistent file stream: the parts
 *	stay in the file until they are decoded), so a large message is
 *	never all in memory.
 *
 *	GMime's parser recurses once per nested multipart or message, and each
 *	needs a Content-Type header line of its own; so before GMime sees the
 *	data, the lines that begin with "Content-Type" are counted, and more
 *	than max_parts of them stop the parse (limit max_parts).  This bounds
 *	GMime's recursion on hostile input; max_mime_depth then bounds ours.
 *
 *	mail_limit() records the first limit reached and a note for each.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "mail.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
	g_mime_init();
}

void mail_init(struct mail *mail)
{
	memset(mail, 0, sizeof(*mail));
}

void mail_free(struct mail *mail)
{
	free(mail->from);
	free(mail->return_path);
	free(mail->subject);
	free(mail->message_id);
	strlist_free(&mail->authres);
	strlist_free(&mail->authres_odd);
	sb_free(&mail->text);
	strlist_free(&mail->links);
	strlist_free(&mail->notes);
	memset(mail, 0, sizeof(*mail));
}

void mail_limit(struct mail *mail, const char *limit, const char *what)
{
	if (mail->limit_hit == NULL)
		mail->limit_hit = limit;
	strlist_addf(&mail->notes, "limit %s reached: %s", limit, what);
}

/* count_part_lines - lines that begin with "Content-Type" (any case), and
 * lines that begin with "--" (every MIME part starts after one: a part
 * needs no Content-Type) */

static void count_part_lines(const char *data, size_t len, size_t *ctypes, size_t *dashes)
{
	static const char name[] = "content-type";
	const size_t nlen = sizeof(name) - 1;
	size_t  i;

	*ctypes = *dashes = 0;
	for (i = 0; i < len; i++) {
		if (i != 0 && data[i - 1] != '\n' && data[i - 1] != '\r')
			continue;
		if (i + 2 <= len && data[i] == '-' && data[i + 1] == '-')
			(*dashes)++;
		else if (i + nlen <= len && strncasecmp(data + i, name, nlen) == 0)
			(*ctypes)++;
	}
}

static GMimeMessage *gmime_parse(GMimeStream *stream)
{
	GMimeParser *parser;
	GMimeMessage *message;

	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	return message;
}

/* read_stream - the message of stream, once its text passed the count */

static int read_stream(GMimeStream *stream, const struct parse_limits *limits,
		       struct mail *mail, struct certbundle *certs)
{
	GMimeMessage *message;

	if ((message = gmime_parse(stream)) == NULL) {
		strlist_add(&mail->notes, "not a message that GMime can read");
		return -1;
	}
	mail_read_headers(message, limits, mail);
	mime_walk(g_mime_message_get_mime_part(message), limits, mail, certs);
	g_object_unref(message);
	return 0;
}

/* too_many_parts - before GMime builds a tree of every part: more
 * Content-Type lines than max_parts, or more lines that could delimit a
 * part than MAIL_DELIMITERS_PER_PART times that (a PEM block has two),
 * and the mail is not parsed at all: its cost stays linear in its size
 * whatever the limit on the size is */

static int too_many_parts(const char *data, size_t len, const struct parse_limits *limits,
			  struct mail *mail)
{
	size_t  ctypes;
	size_t  dashes;

	count_part_lines(data, len, &ctypes, &dashes);
	if (ctypes > limits->max_parts) {
		mail_limit(mail, "max_parts", "more Content-Type lines than max_parts; not parsed");
		return 1;
	}
	if (dashes > limits->max_parts * MAIL_DELIMITERS_PER_PART) {
		mail_limit(mail, "max_parts", "more lines that could start a MIME part (\"--\") than "
			   "max_parts allows; not parsed");
		return 1;
	}
	return 0;
}

int mail_read(const char *data, size_t len, const struct parse_limits *limits,
	      struct mail *mail, struct certbundle *certs)
{
	GMimeStream *stream;
	int     rc;

	if (too_many_parts(data, len, limits, mail))
		return -1;
	pthread_once(&gmime_once, gmime_start);
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	rc = read_stream(stream, limits, mail, certs);
	g_object_unref(stream);
	return rc;
}

int mail_read_fd(int fd, size_t len, const struct parse_limits *limits, struct mail *mail,
		 struct certbundle *certs)
{
	GMimeStream *stream;
	void   *map;
	int     copy;
	int     rc;

	if (len == 0 || (map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		strlist_add(&mail->notes, "the spooled message cannot be read");
		return -1;
	}
	rc = too_many_parts(map, len, limits, mail);
	munmap(map, len);
	if (rc)
		return -1;
	if ((copy = dup(fd)) < 0 || lseek(copy, 0, SEEK_SET) < 0) {
		if (copy >= 0)
			close(copy);
		strlist_add(&mail->notes, "the spooled message cannot be read");
		return -1;
	}
	pthread_once(&gmime_once, gmime_start);
	stream = g_mime_stream_fs_new_with_bounds(copy, 0, (gint64) len);
	rc = read_stream(stream, limits, mail, certs);
	g_object_unref(stream);		/* closes copy */
	return rc;
}
