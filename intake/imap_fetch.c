/*
 * NAME
 *	imap_fetch - CA mail from an IMAP mailbox, through the intake rules
 * SYNOPSIS
 *	#include "imap_fetch.h"
 *
 *	int imap_fetch_pass(const struct imap_config *box,
 *			    const struct fetch_env *env,
 *			    struct fetch_result *out, struct strbuf *why)
 * DESCRIPTION
 *	One pass over one [imap NAME] mailbox, with libcurl's IMAP:
 *
 *	STATUS gives the mailbox's UIDVALIDITY; the ledger keeps, per
 *	mailbox, the UIDVALIDITY and the last UID taken.  When UIDVALIDITY
 *	changed the mailbox is read again from the start: a message taken
 *	before (by the SHA-256 of its text) is not recorded twice.  UID
 *	SEARCH finds the messages after the last UID; each one's size comes
 *	first (UID FETCH RFC822.SIZE): one larger than [milter]
 *	max_message_size is recorded as too large and not fetched whole.
 *	The others are fetched, parsed and handed to the intake rules
 *	(intake.c), as the milter's and mailcert deliver's are.  Only after
 *	the ledger has it is the message marked as [imap] after says (seen:
 *	\Seen; delete: \Deleted, expunged at the end of the pass;
 *	move:FOLDER: UID MOVE, the folder made when missing), and the UID
 *	recorded.  So a message is taken
 *	at least once, and what it carries is acted on once.
 *
 *	TLS is verified always (ca_file, else the system's roots); plain
 *	imap:// only with allow_plaintext, and only to a loopback address.
 *	The password file must be the process's own, readable by nobody
 *	else.  Every failure says what failed: the connection, the login,
 *	the server's certificate, a command.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "imap_fetch.h"
#include "mymalloc.h"
#include "msg.h"
#include "url.h"

#define IMAP_PASSWORD_MAX	1024
#define IMAP_TIMEOUT		60	/* seconds per command */
#define IMAP_UIDS_MAX		10000	/* messages taken per pass */
#define IMAP_REPLY_MAX		(1024 * 1024)	/* bytes of a command's answer */

/* One pass: the connection and what the commands answered. */
struct pass {
	const struct imap_config *box;
	const struct fetch_env *env;
	CURL   *curl;
	char   *base;			/* scheme://host[:port]/ */
	char   *mailbox;		/* the path of the URL, decoded: INBOX */
	char   *password;
	struct strbuf reply;		/* what the last command answered */
	size_t  reply_max;
	struct strbuf *why;
};

/* Setup ------------------------------------------------------------------ */

static char *read_password(const char *path, struct strbuf *why)
{
	char    buf[IMAP_PASSWORD_MAX];
	struct stat st;
	ssize_t n;
	int     fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		sb_appendf(why, "password_file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		sb_appendf(why, "password_file %s must be ours and readable by nobody else (mode 0600)", path);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		sb_appendf(why, "password_file %s is empty", path);
		return NULL;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	return xstrdup(buf);
}

/* plain_name - a mailbox or folder name that goes between IMAP quotes as
 * it is: printable ASCII, no quote, no backslash */

static int plain_name(const char *name)
{
	if (*name == 0)
		return 0;
	for (const char *p = name; *p; p++)
		if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* split_url - the connection's base URL and the mailbox */

static int split_url(struct pass *p, struct strbuf *why)
{
	struct strbuf err = STRBUF_INIT;
	struct url url;
	char   *m;

	if (url_parse(p->box->url, &url, &err) < 0) {
		sb_appendf(why, "[imap %s] url %s %s", p->box->name, p->box->url, sb_str(&err));
		sb_free(&err);
		return -1;
	}
	sb_free(&err);
	if (strcmp(url.scheme, "imap") != 0 && strcmp(url.scheme, "imaps") != 0) {
		sb_appendf(why, "[imap %s] url: not imaps:// (or imap://)", p->box->name);
		url_clear(&url);
		return -1;
	}
	if (strcmp(url.scheme, "imap") == 0 && !(p->box->allow_plaintext && url_host_is_loopback(url.host))) {
		sb_appendf(why, "[imap %s] url %s: plain imap:// only with allow_plaintext = yes, and only to "
			   "loopback; use imaps://", p->box->name, p->box->url);
		url_clear(&url);
		return -1;
	}
	{
		struct strbuf b = STRBUF_INIT;

		sb_appendf(&b, "%s://%s", url.scheme, url.host);
		if (url.port_given)
			sb_appendf(&b, ":%d", url.port);
		sb_appends(&b, "/");
		p->base = sb_steal(&b);
	}
	m = url_decode_all(url.path[0] == '/' ? url.path + 1 : url.path);
	p->mailbox = m[0] ? m : (free(m), xstrdup("INBOX"));
	url_clear(&url);
	if (!plain_name(p->mailbox) || (strncmp(p->box->after, "move:", 5) == 0
					 && !plain_name(p->box->after + 5))) {
		sb_appendf(why, "[imap %s]: the mailbox and the folder of after = move: must be printable "
			   "ASCII without quotes or backslashes", p->box->name);
		return -1;
	}
	return 0;
}

static size_t take_reply(char *data, size_t size, size_t n, void *ctx)
{
	struct pass *p = ctx;
	size_t  len = size * n;

	if (p->reply.len + len > p->reply_max)
		return 0;			/* stops the transfer: too large */
	sb_append(&p->reply, data, len);
	return len;
}

static int open_pass(struct pass *p, const struct imap_config *box, const struct fetch_env *env,
		     struct strbuf *why)
{
	memset(p, 0, sizeof(*p));
	p->box = box;
	p->env = env;
	p->why = why;
	if (split_url(p, why) < 0 || (p->password = read_password(box->password_file, why)) == NULL)
		return -1;
	if ((p->curl = curl_easy_init()) == NULL) {
		sb_appends(why, "cannot start libcurl");
		return -1;
	}
	curl_easy_setopt(p->curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(p->curl, CURLOPT_USERNAME, box->user);
	curl_easy_setopt(p->curl, CURLOPT_PASSWORD, p->password);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (box->ca_file)
		curl_easy_setopt(p->curl, CURLOPT_CAINFO, box->ca_file);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, (long) IMAP_TIMEOUT);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, take_reply);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
	return 0;
}

static void close_pass(struct pass *p)
{
	if (p->curl)
		curl_easy_cleanup(p->curl);
	if (p->password)
		OPENSSL_cleanse(p->password, strlen(p->password));
	free(p->password);
	free(p->base);
	free(p->mailbox);
	sb_free(&p->reply);
}

/* Commands ------------------------------------------------------------------ */

/* command - one IMAP command; the mailbox selected first when in_box.
 * 0, or -1 with why saying what failed. */

static int command(struct pass *p, int in_box, const char *path_tail, const char *request,
		   size_t max)
{
	struct strbuf url = STRBUF_INIT;
	char   *escaped = curl_easy_escape(p->curl, p->mailbox, 0);
	CURLcode rc;

	sb_appendf(&url, "%s%s%s", p->base, in_box ? escaped : "", path_tail ? path_tail : "");
	curl_free(escaped);
	sb_reset(&p->reply);
	p->reply_max = max;
	curl_easy_setopt(p->curl, CURLOPT_URL, url.data);
	curl_easy_setopt(p->curl, CURLOPT_CUSTOMREQUEST, request);
	rc = curl_easy_perform(p->curl);
	if (rc != CURLE_OK)
		sb_appendf(p->why, "[imap %s] %s: %s", p->box->name, request ? request : "FETCH",
			   rc == CURLE_LOGIN_DENIED ? "login refused (user or password)"
			   : rc == CURLE_PEER_FAILED_VERIFICATION ? "the server's certificate is not trusted"
			   : rc == CURLE_WRITE_ERROR ? "the answer is too large"
			   : curl_easy_strerror(rc));
	sb_free(&url);
	return rc == CURLE_OK ? 0 : -1;
}

static long long number_after(const char *text, const char *word)
{
	const char *p = text ? strstr(text, word) : NULL;

	return p ? strtoll(p + strlen(word), NULL, 10) : -1;
}

static int uidvalidity(struct pass *p, long long *value)
{
	char    req[600];

	snprintf(req, sizeof(req), "STATUS \"%s\" (UIDVALIDITY)", p->mailbox);
	if (command(p, 0, NULL, req, IMAP_REPLY_MAX) < 0)
		return -1;
	if ((*value = number_after(sb_str(&p->reply), "UIDVALIDITY ")) <= 0) {
		sb_appendf(p->why, "[imap %s] STATUS gave no UIDVALIDITY", p->box->name);
		return -1;
	}
	return 0;
}

static int by_number(const void *a, const void *b)
{
	long long x = *(const long long *) a;
	long long y = *(const long long *) b;

	return x < y ? -1 : x > y;
}

/* new_uids - the UIDs above last, ascending, at most IMAP_UIDS_MAX */

static int new_uids(struct pass *p, long long last, long long **uids, size_t *count)
{
	char    req[64];
	const char *s;
	char   *end;
	long long uid;

	*uids = NULL;
	*count = 0;
	snprintf(req, sizeof(req), "UID SEARCH UID %lld:*", last + 1);
	if (command(p, 1, NULL, req, IMAP_REPLY_MAX) < 0)
		return -1;
	if ((s = strstr(sb_str(&p->reply), "SEARCH")) == NULL)
		return 0;
	for (s += 6; *count < IMAP_UIDS_MAX; s = end) {
		uid = strtoll(s, &end, 10);
		if (end == s)
			break;
		if (uid > last) {		/* "N:*" also matches the last one below N */
			*uids = xrealloc(*uids, (*count + 1) * sizeof(**uids));
			(*uids)[(*count)++] = uid;
		}
	}
	if (*count)
		qsort(*uids, *count, sizeof(**uids), by_number);
	return 0;
}

/* make_folder - the folder messages are moved to, unless it is there (a
 * failure here shows at the move) */

static void make_folder(struct pass *p, const char *folder)
{
	struct strbuf ignored = STRBUF_INIT;
	struct strbuf *why = p->why;
	char    req[600];

	snprintf(req, sizeof(req), "CREATE \"%s\"", folder);
	p->why = &ignored;
	command(p, 0, NULL, req, IMAP_REPLY_MAX);
	p->why = why;
	sb_free(&ignored);
}

static int mark(struct pass *p, long long uid)
{
	const char *after = p->box->after;
	char    req[600];

	if (strcmp(after, "seen") == 0)
		snprintf(req, sizeof(req), "UID STORE %lld +FLAGS.SILENT (\\Seen)", uid);
	else if (strcmp(after, "delete") == 0)
		snprintf(req, sizeof(req), "UID STORE %lld +FLAGS.SILENT (\\Deleted)", uid);
	else if (strncmp(after, "move:", 5) == 0)
		snprintf(req, sizeof(req), "UID MOVE %lld \"%s\"", uid, after + 5);
	else
		return 0;
	return command(p, 1, NULL, req, IMAP_REPLY_MAX);
}

/* One message ----------------------------------------------------------------- */

static void digest_of(const struct strbuf *text, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(text->data ? text->data : "", text->len, md, &len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* take_one - fetch (unless too large), parse, record; 0, or -1 */

static int take_one(struct pass *p, long long uid, struct fetch_result *out)
{
	const struct fetch_env *env = p->env;
	struct intake_result res;
	struct intake_mail mail;
	struct verdict verdict;
	char    req[64];
	char    tail[64];
	char    qid[64];
	char    digest[65] = "";
	long long size;
	int     rc;

	snprintf(req, sizeof(req), "UID FETCH %lld (RFC822.SIZE)", uid);
	if (command(p, 1, NULL, req, IMAP_REPLY_MAX) < 0)
		return -1;
	size = number_after(sb_str(&p->reply), "RFC822.SIZE ");
	memset(&mail, 0, sizeof(mail));
	snprintf(qid, sizeof(qid), "imap:%s:%lld", p->box->name, uid);
	mail.queue_id = qid;
	mail.sender = "";
	mail.rcpts = p->box->user;
	verdict_init(&verdict);
	intake_result_init(&res);
	if (size > (long long) env->cfg->max_message_size) {
		snprintf(digest, sizeof(digest), "size:%lld:%lld", uid, size);
		mail.not_parsed = "over max_message_size";
		out->too_big++;
	} else {
		snprintf(tail, sizeof(tail), "/;UID=%lld", uid);
		if (command(p, 1, tail, NULL, env->cfg->max_message_size + 1) < 0) {
			intake_result_free(&res);
			return -1;
		}
		digest_of(&p->reply, digest);
	}
	if ((rc = intake_imap_known(env->ledger, p->box->name, digest)) != 0) {
		intake_result_free(&res);
		if (rc > 0)
			out->known++;
		return rc < 0 ? -1 : 0;
	}
	if (mail.not_parsed == NULL)
		parser_parse(env->parser, p->reply.data ? p->reply.data : "", p->reply.len, &verdict);
	rc = intake_record(env->intake, env->cfg, env->anchors, &mail, mail.not_parsed ? NULL : &verdict,
			   &res);
	if (rc == 0) {
		out->recorded++;
		out->install_request |= res.install_request > 0;
		out->wake_approver |= res.wake_approver;
		rc = intake_imap_seen(env->ledger, p->box->name, digest) < 0 ? -1 : 0;
	} else {
		sb_appendf(p->why, "[imap %s] UID %lld not recorded: %s", p->box->name, uid,
			   ledger_error(env->ledger));
	}
	verdict_free(&verdict);
	intake_result_free(&res);
	return rc;
}

int imap_fetch_pass(const struct imap_config *box, const struct fetch_env *env,
		    struct fetch_result *out, struct strbuf *why)
{
	struct pass p;
	long long validity = 0;
	long long known_validity;
	long long last;
	long long *uids = NULL;
	size_t  count = 0;
	int     rc = -1;

	memset(out, 0, sizeof(*out));
	if (open_pass(&p, box, env, why) < 0 || uidvalidity(&p, &validity) < 0)
		goto done;
	if (intake_imap_get(env->ledger, box->name, &known_validity, &last) < 0) {
		sb_appendf(why, "[imap %s] %s", box->name, ledger_error(env->ledger));
		goto done;
	}
	if (known_validity != validity) {
		if (known_validity)
			msg_info("[imap %s] UIDVALIDITY changed (%lld, was %lld): reading it again",
				 box->name, validity, known_validity);
		last = 0;
	}
	if (new_uids(&p, last, &uids, &count) < 0)
		goto done;
	if (count && strncmp(box->after, "move:", 5) == 0)
		make_folder(&p, box->after + 5);
	for (size_t i = 0; i < count; i++) {
		if (take_one(&p, uids[i], out) < 0 || mark(&p, uids[i]) < 0
		    || intake_imap_set(env->ledger, box->name, validity, uids[i]) < 0)
			goto done;
		out->fetched++;
	}
	if (count == 0 && intake_imap_set(env->ledger, box->name, validity, last) < 0)
		goto done;
	if (count && strcmp(box->after, "delete") == 0 && command(&p, 1, NULL, "EXPUNGE", IMAP_REPLY_MAX) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0 && why->len == 0)
		sb_appendf(why, "[imap %s] %s", box->name, ledger_error(env->ledger));
	free(uids);
	close_pass(&p);
	return rc;
}
