/*
 * NAME
 *	callbacks - the libmilter callbacks of mailcert-milter
 * SYNOPSIS
 *	struct smfiDesc mailcert_filter
 *	void callbacks_init(struct intake *intake, struct watch *watch,
 *			    int spool_dirfd)
 * DESCRIPTION
 *	One struct connctx per SMTP connection (created at negotiation, set
 *	with smfi_setpriv, freed at close) holds at most one struct msgctx,
 *	created at MAIL FROM and freed when the message ends: at DATA when
 *	no recipient is watched, at end of message, at abort, at close.
 *
 *	mlfi_negotiate asks only for what is used: adding (and removing
 *	forged) X-Mailcert headers; no CONNECT, HELO or unknown commands;
 *	no reply at MAIL FROM, RCPT TO, each header and end of headers,
 *	where mailcert never stops a message, so the MTA does not wait for
 *	one (libmilter stands in for an MTA that cannot do without); and
 *	SMFIS_SKIP when the MTA understands it; of the macros, only the queue
 *	id ("i") at MAIL FROM and RCPT TO.  Each recipient is checked
 *	against the in-memory watch set at RCPT TO (watch.c: never the
 *	ledger, never a wait); at DATA a message with no watched recipient
 *	is accepted at once, so the MTA sends neither headers nor body.  A
 *	watched message is kept in memory up to [milter] memory_size and in
 *	a spool file beyond (message_buf.c), up to max_message_size; at end
 *	of message it is handed to a parser thread (slots.c: niced, at most
 *	max_parsers, waiting at most parse_wait seconds for one, else "not
 *	parsed: busy"), parsed without any lock held and recorded by the
 *	intake rules (intake.c) there; it is always delivered
 *	with one X-Mailcert header saying what mailcert did.  Only a ledger
 *	failure with [milter] on_error = tempfail holds mail back.  After an
 *	install request the installer is woken, after an approval the
 *	approver (a datagram each, wake.c).
 *
 *	Every log line starts with the queue id (macro "i"), or NOQUEUE.
 *	callbacks_init() hands in the intake, the watch set and the spool
 *	directory before smfi_main() runs.
 * SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "message_buf.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "printable.h"
#include "wake.h"

#define QUEUE_ID_UNKNOWN	"NOQUEUE"
#define HEADER_COPY_MAX		998	/* bytes kept of Message-ID or Subject */

/* Steps the MTA need not wait for: mailcert lets every message go on. */
#define NO_REPLY_STEPS	(SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH)

struct msgctx {
	struct settings *mctx_settings;	/* held until the message ends */
	char    mctx_queue_id[MILTER_QUEUE_ID_MAX];
	char   *mctx_sender;
	struct strbuf mctx_rcpts;	/* watched recipients, comma separated */
	size_t  mctx_rcpt_count;
	int     mctx_watched;
	struct message_buf mctx_data;	/* the message as received */
	char   *mctx_message_id;
	char   *mctx_subject;
	int     mctx_forged;		/* X-Mailcert headers that came with it */
	int     mctx_headers;		/* header fields read */
};

struct connctx {
	unsigned long cctx_no_reply;	/* SMFIP_NR_* the MTA agreed to */
	int     cctx_can_skip;		/* the MTA understands SMFIS_SKIP */
	int     cctx_can_chghdrs;	/* the MTA lets us remove headers */
	struct msgctx *cctx_msg;
};

static struct intake *shared_intake;
static struct watch *shared_watch;
static int shared_spool = -1;

void callbacks_init(struct intake *intake, struct watch *watch, int spool_dirfd)
{
	shared_intake = intake;
	shared_watch = watch;
	shared_spool = spool_dirfd;
}

/* Contexts ------------------------------------------------------------- */

static void msgctx_free(struct msgctx *mctx)
{
	if (mctx == NULL)
		return;
	settings_release(mctx->mctx_settings);
	free(mctx->mctx_sender);
	sb_free(&mctx->mctx_rcpts);
	message_buf_free(&mctx->mctx_data);
	free(mctx->mctx_message_id);
	free(mctx->mctx_subject);
	free(mctx);
}

static struct connctx *connctx_get(SMFICTX *ctx)
{
	struct connctx *cctx = smfi_getpriv(ctx);

	if (cctx == NULL) {
		cctx = xcalloc(1, sizeof(*cctx));
		if (smfi_setpriv(ctx, cctx) != MI_SUCCESS) {
			free(cctx);
			return NULL;
		}
	}
	return cctx;
}

static void message_end(struct connctx *cctx)
{
	msgctx_free(cctx->cctx_msg);
	cctx->cctx_msg = NULL;
}

/* note_queue_id - the queue id once the MTA has one; letters and digits */

static void note_queue_id(SMFICTX *ctx, struct msgctx *mctx)
{
	const char *qid = smfi_getsymval(ctx, "i");
	size_t  i = 0;

	if (qid == NULL || *qid == 0)
		return;
	for (; *qid && i + 1 < sizeof(mctx->mctx_queue_id); qid++)
		if (isalnum((unsigned char) *qid))
			mctx->mctx_queue_id[i++] = *qid;
	if (i > 0)
		mctx->mctx_queue_id[i] = 0;
}

/* reply - r, or no reply at all at a step the MTA agreed not to wait at */
static sfsistat reply(const struct connctx *cctx, unsigned long nr_step, sfsistat r)
{
	if (cctx != NULL && (cctx->cctx_no_reply & nr_step) != 0)
		return SMFIS_NOREPLY;
	return r;
}

/* The message is over for mailcert; the MTA delivers it (at once, or at
 * end of message when this step gets no reply). */
static sfsistat accept_message(struct connctx *cctx, unsigned long nr_step)
{
	if (cctx == NULL)
		return SMFIS_ACCEPT;
	message_end(cctx);
	return reply(cctx, nr_step, SMFIS_ACCEPT);
}

/* Callbacks --------------------------------------------------------------- */

/* ask_for_queue_id_only - of the macros the MTA sends at MAIL FROM and
 * RCPT TO (sender and recipient details, SASL login) only the queue id is
 * used; DATA and end of message bring only that by default */
static void ask_for_queue_id_only(SMFICTX *ctx)
{
	if (smfi_setsymlist(ctx, SMFIM_ENVFROM, "i") != MI_SUCCESS
	    || smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i") != MI_SUCCESS)
		msg_warn("cannot ask the MTA for fewer macros; it sends them all");
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			               unsigned long f2, unsigned long f3, unsigned long *pf0,
			               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct connctx *cctx;
	unsigned long steps = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_SKIP
	    | NO_REPLY_STEPS;

	if ((cctx = connctx_get(ctx)) == NULL)
		return SMFIS_ACCEPT;
	if ((f0 & SMFIF_ADDHDRS) == 0)
		msg_warn("the MTA does not let filters add headers; X-Mailcert is not added");
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST);
	if (*pf0 & SMFIF_SETSYMLIST)
		ask_for_queue_id_only(ctx);
	*pf1 = f1 & steps;
	*pf2 = 0;
	*pf3 = 0;
	cctx->cctx_can_skip = (f1 & SMFIP_SKIP) != 0;
	cctx->cctx_no_reply = f1 & NO_REPLY_STEPS;
	cctx->cctx_can_chghdrs = (f0 & SMFIF_CHGHDRS) != 0;
	(void) f2;
	(void) f3;
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct connctx *cctx;
	struct msgctx *mctx;

	if ((cctx = connctx_get(ctx)) == NULL)
		return SMFIS_ACCEPT;
	message_end(cctx);			/* one left over after an early accept */
	mctx = xcalloc(1, sizeof(*mctx));
	strcpy(mctx->mctx_queue_id, QUEUE_ID_UNKNOWN);
	if ((mctx->mctx_settings = settings_acquire()) == NULL) {
		msgctx_free(mctx);			/* no message: accepted at DATA */
		return reply(cctx, SMFIP_NR_MAIL, SMFIS_ACCEPT);
	}
	mctx->mctx_sender = xstrdup(argv && argv[0] ? argv[0] : "");
	message_buf_init(&mctx->mctx_data, shared_spool, mctx->mctx_settings->cfg->memory_size,
			 mctx->mctx_settings->cfg->max_message_size);
	note_queue_id(ctx, mctx);
	cctx->cctx_msg = mctx;
	return reply(cctx, SMFIP_NR_MAIL, SMFIS_CONTINUE);
}

/* add_watched_rcpt - remember the address, without <>, for the ledger */

static void add_watched_rcpt(struct msgctx *mctx, const char *rcpt)
{
	const char *addr = rcpt + strspn(rcpt, "<");

	mctx->mctx_watched = 1;
	if (mctx->mctx_rcpt_count++ >= MILTER_RCPTS_RECORDED)
		return;
	if (mctx->mctx_rcpts.len)
		sb_appends(&mctx->mctx_rcpts, ",");
	sb_append(&mctx->mctx_rcpts, addr, strcspn(addr, ">"));
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct connctx *cctx = smfi_getpriv(ctx);
	struct msgctx *mctx;

	if (cctx == NULL || (mctx = cctx->cctx_msg) == NULL || argv == NULL || argv[0] == NULL)
		return reply(cctx, SMFIP_NR_RCPT, SMFIS_CONTINUE);
	note_queue_id(ctx, mctx);
	if (watch_recipient(shared_watch, mctx->mctx_settings->cfg, argv[0])) {
		msg_debug("%s: to=%s is watched", mctx->mctx_queue_id, argv[0]);
		add_watched_rcpt(mctx, argv[0]);
	}
	return reply(cctx, SMFIP_NR_RCPT, SMFIS_CONTINUE);
}

static sfsistat mlfi_data(SMFICTX *ctx)
{
	struct connctx *cctx = smfi_getpriv(ctx);
	struct msgctx *mctx;

	if (cctx == NULL || (mctx = cctx->cctx_msg) == NULL)
		return SMFIS_ACCEPT;
	note_queue_id(ctx, mctx);
	if (!mctx->mctx_watched) {
		msg_debug("%s: no watched recipient, accepted", mctx->mctx_queue_id);
		return accept_message(cctx, 0);
	}
	return SMFIS_CONTINUE;
}

/* buffer - keep the message while it fits in max_message_size */

static void buffer(struct msgctx *mctx, const void *data, size_t len)
{
	int     was_big = mctx->mctx_data.too_big;

	message_buf_add(&mctx->mctx_data, data, len);
	if (mctx->mctx_data.too_big && !was_big)
		msg_info("%s: message over max_message_size (%zu bytes), not parsed",
			 mctx->mctx_queue_id, mctx->mctx_data.max_size);
}

static void keep_header(char **slot, const char *value)
{
	if (*slot == NULL)
		*slot = xstrndup(value, strnlen(value, HEADER_COPY_MAX));
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct connctx *cctx = smfi_getpriv(ctx);
	struct msgctx *mctx;

	if (cctx == NULL || (mctx = cctx->cctx_msg) == NULL || !mctx->mctx_watched)
		return accept_message(cctx, SMFIP_NR_HDR);
	if (strcasecmp(name, MILTER_HEADER_NAME) == 0)
		mctx->mctx_forged++;
	if (++mctx->mctx_headers > MILTER_MAX_HEADERS)	/* counted, no longer kept */
		return reply(cctx, SMFIP_NR_HDR, SMFIS_CONTINUE);
	if (strcasecmp(name, "Message-ID") == 0)
		keep_header(&mctx->mctx_message_id, value);
	else if (strcasecmp(name, "Subject") == 0)
		keep_header(&mctx->mctx_subject, value);
	buffer(mctx, name, strlen(name));
	buffer(mctx, ": ", 2);
	buffer(mctx, value, strlen(value));
	buffer(mctx, "\r\n", 2);
	return reply(cctx, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct connctx *cctx = smfi_getpriv(ctx);
	struct msgctx *mctx;

	if (cctx == NULL || (mctx = cctx->cctx_msg) == NULL || !mctx->mctx_watched)
		return accept_message(cctx, SMFIP_NR_EOH);
	buffer(mctx, "\r\n", 2);
	return reply(cctx, SMFIP_NR_EOH, SMFIS_CONTINUE);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct connctx *cctx = smfi_getpriv(ctx);
	struct msgctx *mctx;

	if (cctx == NULL || (mctx = cctx->cctx_msg) == NULL)
		return SMFIS_CONTINUE;
	if (mctx->mctx_headers > MILTER_MAX_HEADERS)
		return cctx->cctx_can_skip ? SMFIS_SKIP : SMFIS_CONTINUE;
	buffer(mctx, chunk, len);
	if ((mctx->mctx_data.too_big || mctx->mctx_data.failed) && cctx->cctx_can_skip)
		return SMFIS_SKIP;
	return SMFIS_CONTINUE;
}

/* mark_message - drop X-Mailcert headers that came with the message, then
 * add ours */

static void mark_message(SMFICTX *ctx, struct connctx *cctx, struct msgctx *mctx,
			         const char *what)
{
	char    value[INTAKE_WHAT_MAX];
	int     i;

	for (i = mctx->mctx_forged; cctx->cctx_can_chghdrs && i > 0; i--)
		if (smfi_chgheader(ctx, MILTER_HEADER_NAME, i, NULL) != MI_SUCCESS)
			msg_warn("%s: cannot remove a forged %s header", mctx->mctx_queue_id,
				 MILTER_HEADER_NAME);
	printable_buf(value, sizeof(value), what, PRINTABLE_ASCII | PRINTABLE_SPACES);
	if (smfi_addheader(ctx, MILTER_HEADER_NAME, value) != MI_SUCCESS)
		msg_warn("%s: cannot add the %s header", mctx->mctx_queue_id, MILTER_HEADER_NAME);
}

#define TEXT_OF_(x) #x
#define TEXT_OF(x) TEXT_OF_(x)

/* not_parsed - why the message is delivered without being parsed */

static const char *not_parsed(const struct msgctx *mctx)
{
	if (mctx->mctx_headers > MILTER_MAX_HEADERS)
		return "more than " TEXT_OF(MILTER_MAX_HEADERS) " header fields";
	if (mctx->mctx_data.too_big)
		return "over max_message_size";
	if (mctx->mctx_data.failed)
		return "the spool file could not be written";
	return NULL;
}

/* One watched message handed to a parser thread (slots.c). */
struct parse_work {
	struct msgctx *mctx;
	const struct intake_mail *mail;
	struct intake_result *res;
	int     rc;
};

/* parse_and_record_now - on a parser thread: the verdict, then the intake
 * rules (chain checks, one short ledger transaction) */

static void parse_and_record_now(void *arg)
{
	struct parse_work *w = arg;
	const struct settings *settings = w->mctx->mctx_settings;
	struct message_buf *mb = &w->mctx->mctx_data;
	struct verdict verdict;

	verdict_init(&verdict);
	if (mb->fd >= 0)
		parser_parse_fd(settings->parser, mb->fd, mb->size, &verdict);
	else
		parser_parse(settings->parser, mb->mem.data ? mb->mem.data : "", mb->mem.len, &verdict);
	if (verdict.limit_hit)
		msg_info("%s: parser stopped at %s", w->mctx->mctx_queue_id, verdict.limit_hit);
	w->rc = intake_record(shared_intake, settings->cfg, settings->trust_anchors, w->mail, &verdict,
			      w->res);
	verdict_free(&verdict);
}

static int parse_and_record(struct msgctx *mctx, struct intake_result *res)
{
	const struct settings *settings = mctx->mctx_settings;
	const struct config *cfg = settings->cfg;
	struct intake_mail mail;
	struct parse_work work = {mctx, &mail, res, 0};

	memset(&mail, 0, sizeof(mail));
	mail.queue_id = mctx->mctx_queue_id;
	mail.sender = mctx->mctx_sender;
	mail.rcpts = sb_str(&mctx->mctx_rcpts);
	mail.message_id = mctx->mctx_message_id;
	mail.subject = mctx->mctx_subject;
	message_buf_flush(&mctx->mctx_data);
	mail.not_parsed = not_parsed(mctx);
	if (mail.not_parsed == NULL) {
		if (slot_run(cfg->parse_wait, parse_and_record_now, &work) == 0)
			return work.rc;
		msg_warn("%s: no parser free within %d s ([milter] max_parsers %d), not parsed",
			 mctx->mctx_queue_id, cfg->parse_wait, slots_max());
		mail.not_parsed = "busy";
	}
	return intake_record(shared_intake, cfg, settings->trust_anchors, &mail, NULL, res);
}

static void wake(const char *path, const char *whom, const char *queue_id)
{
	struct strbuf why = STRBUF_INIT;

	if (wake_send(path, &why) < 0)
		msg_warn("%s: cannot wake the %s: %s", queue_id, whom, sb_str(&why));
	sb_free(&why);
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct connctx *cctx = smfi_getpriv(ctx);
	struct msgctx *mctx;
	struct intake_result res;
	const struct config *cfg;
	sfsistat result = SMFIS_ACCEPT;

	if (cctx == NULL || (mctx = cctx->cctx_msg) == NULL || !mctx->mctx_watched)
		return accept_message(cctx, 0);
	note_queue_id(ctx, mctx);
	cfg = mctx->mctx_settings->cfg;
	intake_result_init(&res);
	if (parse_and_record(mctx, &res) < 0 && strcmp(cfg->on_error, "tempfail") == 0) {
		if (!res.down)
			msg_warn("%s: on_error = tempfail: the MTA will retry", mctx->mctx_queue_id);
		result = SMFIS_TEMPFAIL;
	}
	if (result == SMFIS_ACCEPT)
		mark_message(ctx, cctx, mctx, sb_str(&res.what));
	if (res.orders_changed)
		watch_invalidate(shared_watch);
	if (res.install_request > 0)
		wake(cfg->wake_socket, "installer", mctx->mctx_queue_id);
	if (res.wake_approver)
		wake(cfg->approve_wake_socket, "approver", mctx->mctx_queue_id);
	intake_result_free(&res);
	message_end(cctx);
	return result;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct connctx *cctx = smfi_getpriv(ctx);

	if (cctx)
		message_end(cctx);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct connctx *cctx = smfi_getpriv(ctx);

	if (cctx == NULL)
		return SMFIS_CONTINUE;
	message_end(cctx);
	free(cctx);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc mailcert_filter = {
	"mailcert",			/* filter name */
	SMFI_VERSION,			/* version code */
	SMFIF_ADDHDRS | SMFIF_CHGHDRS,	/* actions */
	NULL,				/* connection info: not used */
	NULL,				/* HELO: not used */
	mlfi_envfrom,			/* envelope sender */
	mlfi_envrcpt,			/* envelope recipient */
	mlfi_header,			/* header */
	mlfi_eoh,			/* end of header */
	mlfi_body,			/* body block */
	mlfi_eom,			/* end of message */
	mlfi_abort,			/* message aborted */
	mlfi_close,			/* connection closed */
	NULL,				/* unknown command: not used */
	mlfi_data,			/* DATA */
	mlfi_negotiate,			/* option negotiation */
};
