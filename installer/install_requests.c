/*
 * NAME
 *	install_requests - take the intake's install requests into the book
 * SYNOPSIS
 *	#include "install.h"
 *
 *	int install_take_requests(struct ledger *book, const struct config *cfg,
 *				  const char *self, int *added, struct strbuf *why)
 *	int install_requests_export(struct ledger *intake, size_t max)
 * DESCRIPTION
 *	Root never opens a file the network side can write, so the installer
 *	does not read the intake's ledger itself: install_take_requests()
 *	runs "mailcert install-requests" (self, the running program) through
 *	run_command() (no shell, a clean environment, bounded in time and
 *	output), as [milter] user with SQLite, as root with PostgreSQL (whose
 *	server, not a file, holds the rows; root's role is the one that may
 *	mark them, and a web host has no milter user), and reads back one
 *	JSON line per request: {"request": ID, "order": N, "sha256": HEX,
 *	"leaf": PEM, "chain": PEM}.  That is all the network side can tell
 *	root: "certificate X for order N".
 *
 *	Each line is checked as coming from a stranger: bounded, of the
 *	right types, an order the book has and that is open or installed, a
 *	PEM whose leaf is the certificate the line names and has the public
 *	key of that order.  Then root keeps its own copy of the certificate
 *	in a new install job of the book (nothing happens twice: one job per
 *	order and certificate).  Either way the request is answered in the
 *	book (book.request_answers: the request, its order and certificate),
 *	a refusal with an event; the helper marks answered requests taken
 *	and lists only untaken ones.  There is no cursor over the intake's
 *	ids: whatever its user writes (ids pushed far ahead, rows rewritten,
 *	deleted, marked taken), a request made after is untaken and new to
 *	the book, so it is taken up.  A line that is not a request at all is
 *	told once.  The install attempt checks everything again.  *added
 *	counts the new jobs.
 *
 *	install_requests_export() is that helper's side: it prints the lines
 *	from the intake's ledger.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "certbundle.h"
#include "install.h"
#include "msg.h"
#include "mymalloc.h"
#include "printable.h"

#define HELPER_OUTPUT	(INSTALL_REQUESTS_BATCH * 64 * 1024)
#define PEM_MAX		(192 * 1024)

/* The helper's side -------------------------------------------------------- */

static int print_request(void *ctx, const struct install_request *r)
{
	json_t *obj = json_object();
	char   *line;

	(void) ctx;
	json_object_set_new(obj, "request", json_integer(r->id));
	json_object_set_new(obj, "order", json_integer(r->order_id));
	json_object_set_new(obj, "sha256", json_string(r->sha256 ? r->sha256 : ""));
	json_object_set_new(obj, "leaf", json_string(r->leaf_pem ? r->leaf_pem : ""));
	json_object_set_new(obj, "chain", json_string(r->chain_pem ? r->chain_pem : ""));
	line = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (line) {
		puts(line);
		free(line);
	}
	return 0;
}

int install_requests_export(struct ledger *intake, size_t max)
{
	if (intake_each_install_request(intake, max, print_request, NULL) < 0) {
		msg_error("listing install requests: %s", ledger_error(intake));
		return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

/* Root's side ---------------------------------------------------------------- */

static int hex64(const char *text)
{
	size_t  i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char) text[i]) || isupper((unsigned char) text[i]))
			return 0;
	return text[64] == 0;
}

/* One request as root reads it. */
struct request_line {
	long long request;
	long long order;
	const char *sha256;
	const char *leaf;
	const char *chain;
};

static int read_line(json_t *obj, struct request_line *r, const char **problem)
{
	json_t *v;

	memset(r, 0, sizeof(*r));
	*problem = "not an object with request, order, sha256, leaf and chain";
	if (!json_is_object(obj))
		return -1;
	if (!json_is_integer(v = json_object_get(obj, "request")) || (r->request = json_integer_value(v)) <= 0)
		return -1;
	if (!json_is_integer(v = json_object_get(obj, "order")) || (r->order = json_integer_value(v)) <= 0)
		return -1;
	if (!json_is_string(v = json_object_get(obj, "sha256")) || !hex64(r->sha256 = json_string_value(v)))
		return -1;
	if (!json_is_string(v = json_object_get(obj, "leaf")) || json_string_length(v) > PEM_MAX)
		return -1;
	r->leaf = json_string_value(v);
	if (!json_is_string(v = json_object_get(obj, "chain")) || json_string_length(v) > PEM_MAX)
		return -1;
	r->chain = json_string_value(v);
	return 0;
}

/* leaf_of - the certificate of the line that has its hash */

static const struct cert_found *leaf_of(const struct certbundle *bundle, const char *sha256)
{
	size_t  i;

	for (i = 0; i < bundle->count; i++)
		if (strcmp(bundle->certs[i].sha256, sha256) == 0)
			return &bundle->certs[i];
	return NULL;
}

/* add_job - the request as an install job of the book; 0 added or known
 * (*job_id), 1 refused (why), -1 ledger */

static int add_job(struct ledger *book, const struct request_line *r, int *added,
		   long long *job_id, struct strbuf *why)
{
	struct parse_limits limits;
	struct certbundle bundle;
	const struct cert_found *leaf;
	struct install_job job;
	struct order order;
	long long id;
	int     is_new;
	int     rc;

	memset(&order, 0, sizeof(order));
	if ((rc = book_get_order(book, r->order, &order)) != 0) {
		sb_appendf(why, "order %lld is not in the book", r->order);
		return rc < 0 ? -1 : 1;
	}
	rc = 1;
	parse_limits_default(&limits);
	certbundle_init(&bundle);
	certbundle_add_text(&bundle, r->leaf, strlen(r->leaf), "the request's leaf", &limits);
	if (order.status != BOOK_OPEN && order.status != BOOK_INSTALLED)
		sb_appendf(why, "order %lld is %s", r->order, book_status_name(order.status));
	else if ((leaf = leaf_of(&bundle, r->sha256)) == NULL)
		sb_appendf(why, "its PEM is not certificate %s", r->sha256);
	else if (strcmp(leaf->spki_sha256, order.key_sha256) != 0)
		sb_appendf(why, "certificate %s is not for order %lld's key", r->sha256, r->order);
	else {
		memset(&job, 0, sizeof(job));
		job.order_id = r->order;
		job.cert_sha256 = (char *) r->sha256;
		job.request_id = r->request;
		job.not_before = (long long) leaf->not_before;
		job.not_after = (long long) leaf->not_after;
		job.leaf_pem = (char *) r->leaf;
		job.chain_pem = (char *) r->chain;
		rc = book_install_add(book, &job, &id, &is_new);
		*job_id = id;
		if (rc == 0 && is_new) {
			*added += 1;
			rc = book_add_event(book, r->order, "install_job", "install job %lld for certificate "
					    "%s (intake request %lld)", id, r->sha256, r->request);
		}
	}
	certbundle_free(&bundle);
	order_clear(&order);
	return rc;
}

/* bad_line - told once per line: a helper that prints something else
 * would otherwise be told every pass */

static void bad_line(struct ledger *book, const char *line, size_t len, const char *problem)
{
	unsigned char digest[32];
	char    ref[65];
	int     i;

	SHA256((const unsigned char *) line, len, digest);
	for (i = 0; i < 32; i++)
		snprintf(ref + 2 * i, 3, "%02x", digest[i]);
	if (book_notice_once(book, "install_request_bad_line", ref, NULL) == 1)
		book_add_event(book, 0, "install_request_refused", "a line from the intake: %s", problem);
}

/* take_line - one request: answered before (nothing), or checked, made a
 * job or refused, and answered, in one transaction */

static int take_line(struct ledger *book, const struct request_line *r, int *added)
{
	struct strbuf why = STRBUF_INIT;
	long long job_id = 0;
	int     rc;

	if ((rc = book_request_answered(book, r->request, r->order, r->sha256)) != 0)
		return rc < 0 ? -1 : 0;
	if (ledger_begin(book) < 0)
		return -1;
	rc = add_job(book, r, added, &job_id, &why);
	if (rc == 1)
		rc = book_add_event(book, r->order, "install_request_refused",
				    "intake request %lld refused: %s", r->request, sb_str(&why));
	if (rc == 0)
		rc = book_answer_request(book, r->request, r->order, r->sha256, job_id);
	sb_free(&why);
	if (rc < 0) {
		ledger_rollback(book);
		return -1;
	}
	return ledger_commit(book);
}

/* take_lines - every complete line of the helper's output */

static int take_lines(struct ledger *book, const char *out, size_t len, int *added)
{
	struct request_line r;
	json_error_t error;
	const char *problem;
	const char *p = out;
	const char *line;
	const char *nl;
	json_t *obj;
	int     rc = 0;

	while (rc >= 0 && (nl = memchr(p, '\n', len - (size_t) (p - out))) != NULL) {
		line = p;
		p = nl + 1;
		if (*line != '{') {			/* the helper's own complaint */
			struct strbuf sb = STRBUF_INIT;

			printable_append(&sb, line, (size_t) (nl - line), 299, PRINTABLE_ASCII);
			msg_warn("mailcert install-requests: %s", sb_str(&sb));
			sb_free(&sb);
			continue;
		}
		obj = json_loadb(line, (size_t) (nl - line), JSON_REJECT_DUPLICATES, &error);
		if (obj == NULL || read_line(obj, &r, &problem) < 0)
			bad_line(book, line, (size_t) (nl - line), obj ? problem : "not JSON");
		else
			rc = take_line(book, &r, added);
		json_decref(obj);
	}
	return rc;
}

int install_take_requests(struct ledger *book, const struct config *cfg, const char *self,
			  int *added, struct strbuf *why)
{
	struct strlist argv = STRLIST_INIT;
	struct command_spec spec;
	struct command_result res;
	int     rc;

	*added = 0;
	strlist_add(&argv, self);
	strlist_add(&argv, "-c");
	strlist_add(&argv, cfg->path);
	strlist_add(&argv, "install-requests");
	strlist_add(&argv, "--max");
	strlist_addf(&argv, "%d", INSTALL_REQUESTS_BATCH);
	memset(&spec, 0, sizeof(spec));
	spec.argv = &argv;
	spec.timeout = cfg->command_timeout;
	spec.run_as = geteuid() == 0 && cfg->ledger_url == NULL ? cfg->milter_user : NULL;
	spec.max_output = HELPER_OUTPUT;
	if (run_command(&spec, &res) < 0) {
		sb_appends(why, "reading the intake's install requests: mailcert install-requests ");
		command_result_describe(&res, why);
		if (res.output.len)
			printable_append(why, res.output.data, res.output.len, 300,
					 PRINTABLE_ASCII | PRINTABLE_SPACES | PRINTABLE_ELLIPSIS);
		rc = -1;
	} else {
		rc = take_lines(book, sb_str(&res.output), res.output.len, added);
		if (rc < 0)
			sb_appendf(why, "recording install jobs: %s", ledger_error(book));
	}
	command_result_clear(&res);
	strlist_free(&argv);
	return rc;
}
