/*
 * NAME
 *	cmd_deliver - mailcert deliver: one message from standard input
 * SYNOPSIS
 *	int cmd_deliver(struct cli *cli, int argc, char **argv)
 * DESCRIPTION
 *	An intake for mail that does not pass through the milter: a Postfix
 *	pipe transport (argv=/usr/bin/mailcert deliver -f ${sender}
 *	${recipient}), procmail, maildrop, a sieve "pipe".  It runs as
 *	[milter] user (mailcert drops to it when started as root), reads the
 *	whole message from standard input into a message buffer (memory up
 *	to [milter] memory_size, then the spool directory; past
 *	max_message_size the rest is read and dropped, and the message is
 *	recorded as not parsed), parses it and hands it to the same intake
 *	rules as the milter (intake.c), then wakes the installer or the
 *	approver when there is work for them.
 *
 *	It exits as sysexits.h says a delivery agent should: 0 when the
 *	message was recorded (whatever it was), EX_TEMPFAIL (75) when the
 *	ledger was busy or unavailable, so that the MTA tries again later,
 *	EX_DATAERR (65) for input that is no message at all (empty), and
 *	EX_USAGE (64) for wrong arguments.  What was done goes to standard
 *	output and the log.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cli.h"
#include "intake.h"
#include "message_buf.h"
#include "msg.h"
#include "parser.h"
#include "verify.h"
#include "wake.h"

static int read_stdin(struct message_buf *mb)
{
	char    buf[65536];
	ssize_t n;

	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("reading standard input: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		message_buf_add(mb, buf, (size_t) n);
	}
}

static void join_rcpts(int argc, char **argv, struct strbuf *rcpts)
{
	int     i;

	for (i = optind; i < argc; i++)
		sb_appendf(rcpts, "%s%s", rcpts->len ? "," : "", argv[i]);
}

/* deliver_one - parse and record; the sysexits code */

static int deliver_one(struct cli *cli, struct message_buf *mb, const char *sender,
		       const char *rcpts)
{
	struct strbuf err = STRBUF_INIT;
	struct intake_result res;
	struct intake_mail mail;
	struct intake intake;
	struct verdict verdict;
	struct parser *parser = NULL;
	X509_STORE *anchors = NULL;
	int     parsed = 0;
	int     rc = EX_TEMPFAIL;

	memset(&mail, 0, sizeof(mail));
	mail.queue_id = "stdin";
	mail.sender = sender;
	mail.rcpts = rcpts;
	mail.not_parsed = mb->too_big ? "over max_message_size"
	    : mb->failed ? "the spool file could not be written" : NULL;
	verdict_init(&verdict);
	intake_result_init(&res);
	if ((parser = parser_new(cli->cfg, &err)) == NULL
	    || (anchors = trust_store_load(cli->cfg->trust_store, &err)) == NULL) {
		cli_error("%s", sb_str(&err));
		goto out;
	}
	if (mail.not_parsed == NULL) {
		if (mb->fd >= 0)
			parser_parse_fd(parser, mb->fd, mb->size, &verdict);
		else
			parser_parse(parser, mb->mem.data ? mb->mem.data : "", mb->mem.len, &verdict);
		parsed = 1;
	}
	intake_init(&intake, cli->ledger);
	if (intake_record(&intake, cli->cfg, anchors, &mail, parsed ? &verdict : NULL, &res) == 0) {
		printf("%s\n", sb_str(&res.what));
		if (res.install_request > 0)
			cli_wake(cli->cfg->wake_socket, "installer");
		if (res.wake_approver)
			cli_wake(cli->cfg->approve_wake_socket, "approver");
		rc = EX_OK;
	}
	intake_destroy(&intake);
out:
	verdict_free(&verdict);
	intake_result_free(&res);
	X509_STORE_free(anchors);
	parser_free(parser);
	sb_free(&err);
	return rc;
}

int cmd_deliver(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{"from", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf why = STRBUF_INIT;
	struct strbuf rcpts = STRBUF_INIT;
	struct message_buf mb;
	const char *sender = "";
	int     spool;
	int     ch;
	int     rc;

	while ((ch = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		if (ch == 'f')
			sender = optarg;
		else if (cli_common_option(cli, ch, &rc))
			return rc == EXIT_USAGE ? EX_USAGE : rc;
	}
	join_rcpts(argc, argv, &rcpts);
	if (cli_open_ledger(cli) < 0)
		return EX_TEMPFAIL;
	if (msg_open("mailcert-deliver", cli->cfg->log_to ? cli->cfg->log_to : MSG_TO_STDERR, &why) < 0
	    || (spool = spool_dir_open(cli->cfg->spool_dir, &why)) < 0) {
		cli_error("%s", sb_str(&why));
		sb_free(&why);
		return EX_TEMPFAIL;
	}
	message_buf_init(&mb, spool, cli->cfg->memory_size, cli->cfg->max_message_size);
	if (read_stdin(&mb) < 0 || message_buf_flush(&mb) < 0) {
		rc = EX_TEMPFAIL;
	} else if (mb.size == 0) {
		cli_error("standard input is empty: no message");
		rc = EX_DATAERR;
	} else {
		rc = deliver_one(cli, &mb, sender, sb_str(&rcpts));
	}
	message_buf_free(&mb);
	close(spool);
	sb_free(&rcpts);
	sb_free(&why);
	return rc;
}
