/*
 * NAME
 *	nullmilter - a libmilter filter that asks for everything and does nothing
 * SYNOPSIS
 *	nullmilter -p SOCKET [-a STAGE] [-b BACKLOG]
 * DESCRIPTION
 *	The floor that mailcert-milter is measured against: every callback
 *	is set, option negotiation asks for every protocol step with a reply
 *	to each (no SMFIP_NO* and no SMFIP_NR_* flag) and for the right to
 *	add headers, every callback answers SMFIS_CONTINUE and the end of
 *	message SMFIS_ACCEPT.  No per-connection or per-message state is
 *	allocated.
 *
 *	-a STAGE answers SMFIS_ACCEPT earlier: at "connect" (the cheapest
 *	filter there can be: the MTA sends nothing more on that connection),
 *	or at "data" (a filter that needs only the envelope); "eom" is the
 *	default.
 *
 *	SOCKET is in libmilter's form (unix:/path, inet:PORT@HOST); a stale
 *	unix socket is removed.  BACKLOG is the listen backlog (default 128,
 *	as mailcert-milter).  libmilter stops the filter on SIGTERM, SIGINT
 *	or SIGHUP.  Exit status 0 after a clean stop, 1 when the socket
 *	cannot be opened, 2 for bad usage.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define NULLMILTER_BACKLOG	128

enum stage { STAGE_CONNECT, STAGE_DATA, STAGE_EOM };

static enum stage accept_at = STAGE_EOM;	/* set once, before smfi_main */

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			               unsigned long f2, unsigned long f3, unsigned long *pf0,
			               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void) ctx;
	(void) f1;
	(void) f2;
	(void) f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = 0;				/* every step, every reply */
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void) ctx;
	(void) host;
	(void) addr;
	return accept_at == STAGE_CONNECT ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat null_helo(SMFICTX *ctx, char *name)
{
	(void) ctx;
	(void) name;
	return SMFIS_CONTINUE;
}

static sfsistat null_envelope(SMFICTX *ctx, char **argv)
{
	(void) ctx;
	(void) argv;
	return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void) ctx;
	(void) name;
	(void) value;
	return SMFIS_CONTINUE;
}

static sfsistat null_step(SMFICTX *ctx)
{
	(void) ctx;
	return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void) ctx;
	(void) chunk;
	(void) len;
	return SMFIS_CONTINUE;
}

static sfsistat null_data(SMFICTX *ctx)
{
	(void) ctx;
	return accept_at == STAGE_DATA ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat null_eom(SMFICTX *ctx)
{
	(void) ctx;
	return SMFIS_ACCEPT;
}

static sfsistat null_unknown(SMFICTX *ctx, const char *cmd)
{
	(void) ctx;
	(void) cmd;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_filter = {
	"nullmilter",			/* filter name */
	SMFI_VERSION,			/* version code */
	SMFIF_ADDHDRS,			/* actions */
	null_connect,			/* connection info */
	null_helo,			/* HELO */
	null_envelope,			/* envelope sender */
	null_envelope,			/* envelope recipient */
	null_header,			/* header */
	null_step,			/* end of header */
	null_body,			/* body block */
	null_eom,			/* end of message */
	null_step,			/* message aborted */
	null_step,			/* connection closed */
	null_unknown,			/* unknown command */
	null_data,			/* DATA */
	null_negotiate,			/* option negotiation */
};

static void usage(void)
{
	fprintf(stderr, "usage: nullmilter -p SOCKET [-a connect|data|eom] [-b BACKLOG]\n");
	exit(2);
}

static enum stage parse_stage(const char *name)
{
	if (strcmp(name, "connect") == 0)
		return STAGE_CONNECT;
	if (strcmp(name, "data") == 0)
		return STAGE_DATA;
	if (strcmp(name, "eom") != 0)
		usage();
	return STAGE_EOM;
}

int main(int argc, char **argv)
{
	const char *socket = NULL;
	int     backlog = NULLMILTER_BACKLOG;
	int     ch;

	while ((ch = getopt(argc, argv, "p:a:b:")) != -1) {
		switch (ch) {
		case 'p': socket = optarg; break;
		case 'a': accept_at = parse_stage(optarg); break;
		case 'b': backlog = atoi(optarg); break;
		default: usage();
		}
	}
	if (socket == NULL || optind != argc || backlog < 1)
		usage();
	if (smfi_setconn((char *) socket) == MI_FAILURE
	    || smfi_setbacklog(backlog) == MI_FAILURE
	    || smfi_register(null_filter) == MI_FAILURE
	    || smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", socket);
		return 1;
	}
	fprintf(stderr, "nullmilter: listening on %s\n", socket);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
