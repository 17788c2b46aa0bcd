/*
 * test_install - the installer below the command line, on the order book
 * (LEDGER_ROLE_BOOK) as root has it:
 *
 * every refusal leaves nothing written (wrong key, wrong name, no
 * subjectAltName, expired, not yet valid, untrusted chain); a chain
 * received in the wrong order is installed in issuer order without the
 * root; file modes (0600 key, 0640 with group, 0644 certificates); a job
 * runs once, the order becomes installed, the contact gets a mail;
 * certificates only move forward (an older one, or one not both issued and
 * expiring later, is refused; a renewal supersedes its predecessor); the
 * key only from [installer] key_dir by its hash (a link, a readable file,
 * a file holding another key refused); the backup set under [installer]
 * state_dir restores the previous files byte for byte when test_command
 * or reload_command fails (also one left open by an installer that
 * died), but trusts its manifest no further than it must (no setuid bit,
 * no foreign owner, no file outside the target); files are reached
 * without following links and not in directories others may write;
 * run_command's clean environment, run_as, input, output bound and
 * timeout; the confirmation mail and header injection (mail_compose);
 * the new key and CSR of "order new".  Uses the test PKI in
 * tests/fixtures/pki and makes a few leaves of its own under inter2.
 * Runs as root (chown, run_as).
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "check_ledger.h"
#include "config.h"
#include "fingerprint.h"
#include "install.h"
#include "ledger.h"
#include "mymalloc.h"
#include "run_command.h"
#include "sendmail.h"

#define PKI "tests/fixtures/pki/"

static char tmp[] = "/tmp/mailcert-test-install.XXXXXX";
static char cwd[1024];

/* What every test of the installer works on. */
struct fixture {
	struct ledger *book;		/* LEDGER_ROLE_BOOK: the installer's */
	struct ledger *view;		/* LEDGER_ROLE_INTAKE: the orders' whole state */
	struct config *cfg;
};

/* Helpers -------------------------------------------------------------- */

static char *path_in(const char *fmt, const char *name)
{
	static char buf[4][1200];
	static int next;
	char *out = buf[next++ % 4];

	snprintf(out, sizeof(buf[0]), fmt, name);
	return out;
}

static char *tpath(const char *name)
{
	static char buf[8][600];
	static int next;
	char *out = buf[next++ % 8];

	snprintf(out, sizeof(buf[0]), "%s/%s", tmp, name);
	return out;
}

/* slurp - the whole file, or NULL; *len its length */

static char *slurp(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct stat st;
	char *data = NULL;

	if (file_read_bounded(path, 1 << 20, &sb, &st, &why) == 0) {
		*len = sb.len;
		data = sb_steal(&sb);
	}
	sb_free(&sb);
	sb_free(&why);
	return data;
}

static int same_contents(const char *path, const char *want)
{
	size_t len = 0;
	char *got = slurp(path, &len);
	int same = got && len == strlen(want) && memcmp(got, want, len) == 0;

	free(got);
	return same;
}

static int file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int) (st.st_mode & 07777);
}

static long long file_uid(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long long) st.st_uid;
}

static long long file_gid(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long long) st.st_gid;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void put(const char *path, const char *text, mode_t mode)
{
	struct strbuf why = STRBUF_INIT;

	if (file_write_atomic(path, text, strlen(text), mode, (uid_t) -1, (gid_t) -1, &why) < 0)
		printf("# put %s: %s\n", path, why.data);
	sb_free(&why);
}

static void make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
		printf("# mkdir %s failed\n", path);
}

static X509 *read_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	if (fp == NULL)
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

/* pem_x509 - a certificate as OpenSSL writes it, appended to out */

static void pem_x509(X509 *x, struct strbuf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (x && PEM_write_bio_X509(bio, x) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0)
		sb_append(out, data, (size_t) len);
	BIO_free(bio);
}

static void pem_of(const char *name, struct strbuf *out)
{
	X509 *x = read_cert(path_in(PKI "%s", name));

	pem_x509(x, out);
	X509_free(x);
}

static void key_pem_of(const char *name, struct strbuf *out)
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *pkey = key_read_file(path_in(PKI "%s", name), &why);

	if (pkey)
		private_key_pem(pkey, out);
	EVP_PKEY_free(pkey);
	sb_free(&why);
}

static long long asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (long long) timegm(&tm);
}

static time_t utc(int year, int month, int day)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	return timegm(&tm);
}

static const struct passwd *nobody(void)
{
	static struct passwd pw;
	static int looked;
	struct passwd *found;

	if (!looked++ && (found = getpwnam("nobody")) != NULL)
		pw = *found;
	return pw.pw_name ? &pw : NULL;
}

static const char *nobody_group(void)
{
	struct group *gr = nobody() ? getgrgid(nobody()->pw_gid) : NULL;

	return gr ? gr->gr_name : "nogroup";
}

static const char *group_name(void)
{
	struct group *gr = getgrgid(getgid());

	return gr ? gr->gr_name : "root";
}

/* Configuration and stores --------------------------------------------- */

static void write_targets(FILE *fp)
{
	fprintf(fp, "[target web]\ncert = %s/web/cert.pem\nchain = %s/web/chain.pem\n"
		"fullchain = %s/web/fullchain.pem\nkey = %s/web/key.pem\n"
		"test_command = /bin/true\nreload_command = /usr/bin/touch %s/web-reloaded\n",
		tmp, tmp, tmp, tmp, tmp);
	fprintf(fp, "[target grp]\nfullchain = %s/grp/fullchain.pem\nkey = %s/grp/key.pem\n"
		"combined = %s/grp/combined.pem\ngroup = %s\n", tmp, tmp, tmp, group_name());
	fprintf(fp, "[target t]\nfullchain = %s/t/fullchain.pem\nkey = %s/t/key.pem\n"
		"test_command = /bin/true\nreload_command = /usr/bin/touch %s/t-reloaded\n", tmp, tmp, tmp);
	fprintf(fp, "[target failtest]\nfullchain = %s/t/fullchain.pem\nkey = %s/t/key.pem\n"
		"test_command = /bin/false\nreload_command = /usr/bin/touch %s/t-reloaded\n", tmp, tmp, tmp);
	fprintf(fp, "[target failreload]\nfullchain = %s/t/fullchain.pem\nkey = %s/t/key.pem\n"
		"cert = %s/t/new-file.pem\ntest_command = /bin/true\n"
		"reload_command = /bin/sh -c \"echo reload failed; touch %s/t-reloaded; exit 3\"\n",
		tmp, tmp, tmp, tmp);
	fprintf(fp, "[target fw]\nfullchain = %s/fw/fullchain.pem\nkey = %s/fw/key.pem\n", tmp, tmp);
	fprintf(fp, "[target r]\nfullchain = %s/r/fullchain.pem\nkey = %s/r/key.pem\n"
		"test_command = /bin/false\n", tmp, tmp);
	fprintf(fp, "[target own]\nfullchain = %s/own/fullchain.pem\nkey = %s/own/key.pem\n"
		"owner = nobody\ngroup = %s\ntest_command = /bin/false\n", tmp, tmp, nobody_group());
	fprintf(fp, "[target symdir]\nfullchain = %s/link/fullchain.pem\nkey = %s/link/key.pem\n"
		"reload_command = /usr/bin/touch %s/symdir-reloaded\n", tmp, tmp, tmp);
	fprintf(fp, "[target runas]\nfullchain = %s/ra/fullchain.pem\nkey = %s/ra/key.pem\n"
		"test_command = /usr/bin/id -u\nrun_as = nobody\n", tmp, tmp);
}

static int write_config(void)
{
	FILE   *fp;
	struct check_where w;

	if (check_ledger_where(tmp, "install", &w) < 0)
		return -1;
	fp = fopen(tpath("mailcert.conf"), "w");
	fprintf(fp, "[milter]\nauthserv_id = mx.example.net\n");
	if (w.where.url)
		fprintf(fp, "[ledger]\nurl = %s\n", w.where.url);
	else
		fprintf(fp, "[ledger]\npath = %s\norders = %s\n", w.intake, w.book);
	fprintf(fp, "[ca]\ntrust_store = %s/" PKI "root.crt\n", cwd);
	fprintf(fp, "[notify]\nsendmail = %s/fake-sendmail\nfrom = mailcert@host.example\n", tmp);
	fprintf(fp, "[installer]\nkey_dir = %s/keys\nstate_dir = %s/state\n"
		"command_timeout = 5\nmax_attempts = 3\nretry_base = 1\n", tmp, tmp);
	write_targets(fp);
	fclose(fp);
	return 0;
}

/* write_sendmail - a sendmail(1) that keeps what it is given */

static void write_sendmail(void)
{
	FILE *fp = fopen(tpath("fake-sendmail"), "w");

	fprintf(fp, "#!/bin/sh\necho \"$*\" > %s/sendmail-args\ncat > %s/sent.eml\n", tmp, tmp);
	fclose(fp);
	chmod(tpath("fake-sendmail"), 0755);
}

static struct config *load_config(void)
{
	struct strbuf err = STRBUF_INIT;
	struct config *cfg = NULL;

	if (config_load(tpath("mailcert.conf"), &cfg, &err) < 0)
		printf("# %s\n", err.data);
	sb_free(&err);
	return cfg;
}

static struct ledger *open_store(const struct config *cfg, enum ledger_role role)
{
	struct ledger_location where;
	struct strbuf err = STRBUF_INIT;
	struct ledger *ledger = NULL;

	ledger_location_of(&where, cfg, "test_install");
	where.busy_timeout_ms = 2000;
	if (ledger_open(&where, role, &ledger, &err) < 0) {
		printf("# open the ledger: %s\n", sb_str(&err));
		ledger = NULL;
	}
	sb_free(&err);
	return ledger;
}

/* Orders and jobs ------------------------------------------------------- */

/* store_key - a fixture key into [installer] key_dir; its hash into sha */

static void store_key(const struct config *cfg, const char *name, char sha[SHA256_HEX_LEN + 1])
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *pkey = key_read_file(path_in(PKI "%s", name), &why);
	char *path = NULL;

	sha[0] = 0;
	if (pkey == NULL || key_store_add(cfg->key_dir, pkey, sha, &path, &why) < 0)
		printf("# store key %s: %s\n", name, sb_str(&why));
	free(path);
	EVP_PKEY_free(pkey);
	sb_free(&why);
}

static long long add_order_sha(const struct fixture *fx, const char *sha, const char *target,
			       const char *contact, long long predecessor)
{
	struct order order;

	memset(&order, 0, sizeof(order));
	order.domain = (char *) "www.example.com";
	strlist_add(&order.alt_names, "example.com");
	order.ca = (char *) "sectigo";
	order.key_sha256 = (char *) sha;
	order.target = (char *) target;
	order.contact = (char *) contact;
	order.predecessor = predecessor;
	if (book_add_order(fx->book, &order, "test_install") < 0)
		printf("# add order: %s\n", ledger_error(fx->book));
	strlist_free(&order.alt_names);
	return order.id;
}

/* add_order - an order for a fixture key, the key in key_dir; its id */

static long long add_order(const struct fixture *fx, const char *key, const char *target)
{
	char sha[SHA256_HEX_LEN + 1];

	store_key(fx->cfg, key, sha);
	return add_order_sha(fx, sha, target, NULL, 0);
}

/* add_job - an install job for leaf (and chain PEM) of the order */

static long long add_job(const struct fixture *fx, long long order_id, X509 *leaf,
			 const char *chain_pem, int *is_new)
{
	struct strbuf leaf_pem = STRBUF_INIT;
	struct install_job job;
	char sha[SHA256_HEX_LEN + 1] = "";
	long long id = 0;
	int fresh = 0;

	memset(&job, 0, sizeof(job));
	if (leaf && cert_sha256_hex(leaf, sha) == 0) {
		pem_x509(leaf, &leaf_pem);
		job.not_before = asn1_time(X509_get0_notBefore(leaf));
		job.not_after = asn1_time(X509_get0_notAfter(leaf));
	}
	job.order_id = order_id;
	job.cert_sha256 = sha;
	job.leaf_pem = (char *) sb_str(&leaf_pem);
	job.chain_pem = (char *) chain_pem;
	if (book_install_add(fx->book, &job, &id, &fresh) < 0)
		printf("# add install job: %s\n", ledger_error(fx->book));
	if (is_new)
		*is_new = fresh;
	sb_free(&leaf_pem);
	return id;
}

/* add_cert_job - a job for a fixture leaf and fixture chain */

static long long add_cert_job(const struct fixture *fx, long long order_id, const char *leaf,
			      const char *const *chain)
{
	struct strbuf chain_pem = STRBUF_INIT;
	X509 *x = read_cert(path_in(PKI "%s", leaf));
	long long job;

	for (; chain && *chain; chain++)
		pem_of(*chain, &chain_pem);
	job = add_job(fx, order_id, x, sb_str(&chain_pem), NULL);
	sb_free(&chain_pem);
	X509_free(x);
	return job;
}

static int run_job(const struct fixture *fx, long long job)
{
	long long next = 0;

	return install_job_run(fx->book, fx->cfg, job, time(NULL), &next);
}

static const char *job_state(const struct fixture *fx, long long id)
{
	struct install_job job;
	const char *name = "none";

	memset(&job, 0, sizeof(job));
	if (book_install_get(fx->book, id, &job) == 0)
		name = install_state_name(job.state);
	install_job_clear(&job);
	return name;
}

static int job_error_has(const struct fixture *fx, long long id, const char *text)
{
	struct install_job job;
	int found = 0;

	memset(&job, 0, sizeof(job));
	if (book_install_get(fx->book, id, &job) == 0)
		found = job.last_error && strstr(job.last_error, text);
	install_job_clear(&job);
	return found;
}

/* order_status - what the book says of the order */

static const char *order_status(const struct fixture *fx, long long id)
{
	struct order order;
	const char *name = "none";

	memset(&order, 0, sizeof(order));
	if (book_get_order(fx->book, id, &order) == 0)
		name = book_status_name(order.status);
	order_clear(&order);
	return name;
}

/* order_state - the whole picture (book, jobs, intake), as the views give it */

static const char *order_state(const struct fixture *fx, long long id)
{
	struct order order;
	const char *name = "none";

	memset(&order, 0, sizeof(order));
	if (fx->view && ledger_get_order(fx->view, id, &order) == 0)
		name = order_state_name(order.state);
	order_clear(&order);
	return name;
}

struct event_find {
	const char *kind;
	const char *text;
	int     found;
};

static int match_event(void *ctx, const struct event *e)
{
	struct event_find *f = ctx;

	if (e->kind && e->detail && strcmp(e->kind, f->kind) == 0 && strstr(e->detail, f->text))
		f->found = 1;
	return 0;
}

/* has_event - a book event of the order of that kind holding text */

static int has_event(const struct fixture *fx, long long order, const char *kind, const char *text)
{
	struct event_find f = {kind, text, 0};

	if (ledger_each_event(fx->book, order, 0, match_event, &f) < 0)
		return 0;
	return f.found;
}

/* Certificates of our own ---------------------------------------------- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int leaf_fields(X509 *x, X509 *ca, EVP_PKEY *key, time_t not_before, time_t not_after)
{
	static long serial = 7000;

	return X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), serial++)
	    && ASN1_TIME_set(X509_getm_notBefore(x), not_before)
	    && ASN1_TIME_set(X509_getm_notAfter(x), not_after)
	    && X509_set_pubkey(x, key) && X509_set_issuer_name(x, X509_get_subject_name(ca))
	    && X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					  (const unsigned char *) "www.example.com", -1, -1, 0)
	    && add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE")
	    && add_ext(x, ca, NID_key_usage, "critical,digitalSignature")
	    && add_ext(x, ca, NID_ext_key_usage, "serverAuth")
	    && add_ext(x, ca, NID_subject_key_identifier, "hash")
	    && add_ext(x, ca, NID_authority_key_identifier, "keyid:always")
	    && add_ext(x, ca, NID_subject_alt_name, "DNS:www.example.com,DNS:example.com");
}

/* make_leaf - www.example.com + example.com for leaf-ec.key, signed by
 * inter2 like www-ec.crt, valid from not_before to not_after */

static X509 *make_leaf(time_t not_before, time_t not_after)
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *key = key_read_file(PKI "leaf-ec.key", &why);
	EVP_PKEY *ca_key = key_read_file(PKI "inter2.key", &why);
	X509 *ca = read_cert(PKI "inter2.crt");
	X509 *x = X509_new();

	if (!key || !ca_key || !ca || !x || !leaf_fields(x, ca, key, not_before, not_after)
	    || X509_sign(x, ca_key, EVP_sha256()) <= 0) {
		printf("# cannot make a leaf: %s\n", sb_str(&why));
		X509_free(x);
		x = NULL;
	}
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	X509_free(ca);
	sb_free(&why);
	return x;
}

/* Refusals: nothing written --------------------------------------------- */

static int web_untouched(void)
{
	return !exists(tpath("web/cert.pem")) && !exists(tpath("web/key.pem"))
	    && !exists(tpath("web/chain.pem")) && !exists(tpath("web/fullchain.pem"))
	    && !exists(tpath("web/.cert.pem.mailcert-tmp"));
}

static void test_refusals(const struct fixture *fx)
{
	static const char *const good_chain[] = {"inter2.crt", "inter1.crt", NULL};
	static const char *const other_chain[] = {"other-root.crt", NULL};
	static const struct {
		const char *leaf;
		const char *const *chain;
		const char *name;
	} cases[] = {
		{"wrong-key.crt", good_chain, "certificate for another key refused"},
		{"wrong-name.crt", good_chain, "certificate without the order's names refused"},
		{"cn-only.crt", good_chain, "certificate naming the host only in its CN refused"},
		{"expired.crt", good_chain, "expired certificate refused"},
		{"not-yet-valid.crt", good_chain, "not yet valid certificate refused"},
		{"other-root-leaf.crt", other_chain, "certificate from an untrusted root refused"},
	};
	char name[200];
	long long order;
	long long job;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		order = add_order(fx, "leaf-ec.key", "web");
		job = add_cert_job(fx, order, cases[i].leaf, cases[i].chain);
		check_int(run_job(fx, job), INSTALL_REFUSE, cases[i].name);
		snprintf(name, sizeof(name), "%s: nothing written", cases[i].name);
		check_true(web_untouched(), name);
		snprintf(name, sizeof(name), "%s: nothing run", cases[i].name);
		check_true(!exists(tpath("web-reloaded")), name);
		snprintf(name, sizeof(name), "%s: job refused at once", cases[i].name);
		check_str(job_state(fx, job), "refused", name);
		snprintf(name, sizeof(name), "%s: an install_refused event", cases[i].name);
		check_true(has_event(fx, order, "install_refused", "not retried"), name);
		snprintf(name, sizeof(name), "%s: the order stays open in the book", cases[i].name);
		check_str(order_status(fx, order), "open", name);
		snprintf(name, sizeof(name), "%s: order install_failed", cases[i].name);
		check_str(order_state(fx, order), "install_failed", name);
	}
}

/* The certificate installed: order of the chain, modes, mail ------------ */

static void check_web_files(void)
{
	struct strbuf leaf = STRBUF_INIT;
	struct strbuf chain = STRBUF_INIT;
	struct strbuf full = STRBUF_INIT;
	struct strbuf key = STRBUF_INIT;

	pem_of("www-ec.crt", &leaf);
	pem_of("inter2.crt", &chain);
	pem_of("inter1.crt", &chain);
	sb_appends(&full, leaf.data);
	sb_appends(&full, chain.data);
	key_pem_of("leaf-ec.key", &key);
	check_true(same_contents(tpath("web/cert.pem"), leaf.data), "cert holds the leaf");
	check_true(same_contents(tpath("web/chain.pem"), chain.data),
		   "chain holds the intermediates in issuer order, no root");
	check_true(same_contents(tpath("web/fullchain.pem"), full.data), "fullchain holds leaf and chain");
	check_true(same_contents(tpath("web/key.pem"), key.data), "key holds the order's private key");
	check_int(file_mode(tpath("web/key.pem")), 0600, "key mode 0600");
	check_int(file_mode(tpath("web/cert.pem")), 0644, "cert mode 0644");
	check_int(file_mode(tpath("web/chain.pem")), 0644, "chain mode 0644");
	check_int(file_mode(tpath("web/fullchain.pem")), 0644, "fullchain mode 0644");
	sb_free(&leaf);
	sb_free(&chain);
	sb_free(&full);
	sb_free(&key);
}

static void check_confirmation(const struct fixture *fx, long long order)
{
	size_t len = 0;
	char *mail = slurp(tpath("sent.eml"), &len);

	check_contains(mail, "\nTo: ops@example.com\n", "confirmation mailed to the contact");
	check_contains(mail, "Subject: [mailcert] certificate for www.example.com installed on ",
		       "confirmation: subject names the domain");
	check_true(same_contents(tpath("sendmail-args"), "-t -i\n"), "sendmail run with -t -i");
	check_true(has_event(fx, order, "install_notify", "confirmation mailed to ops@example.com"),
		   "confirmation recorded in an event");
	free(mail);
}

static void test_install_web(const struct fixture *fx)
{
	static const char *const wrong_order[] = {"root.crt", "inter1.crt", "inter2.crt", NULL};
	char sha[SHA256_HEX_LEN + 1];
	char backup[1200];
	long long order;
	long long job;

	store_key(fx->cfg, "leaf-ec.key", sha);
	order = add_order_sha(fx, sha, "web", "ops@example.com", 0);
	job = add_cert_job(fx, order, "www-ec.crt", wrong_order);
	check_int(run_job(fx, job), INSTALL_DONE, "chain in the wrong order, with the root: installed");
	check_web_files();
	check_true(exists(tpath("web-reloaded")), "reload_command ran");
	check_str(job_state(fx, job), "done", "job done");
	check_str(order_status(fx, order), "installed", "order installed in the book");
	check_str(order_state(fx, order), "installed", "order installed");
	check_true(has_event(fx, order, "installed", "installed into target web"), "installed event");
	snprintf(backup, sizeof(backup), "%s/state/backup/web/job-%lld/manifest.closed", tmp, job);
	check_true(exists(backup), "backup set kept under state_dir, closed");
	check_confirmation(fx, order);
	unlink(tpath("web-reloaded"));
	check_int(run_job(fx, job), INSTALL_NOT_CLAIMED, "a done job is not run again");
	check_true(!exists(tpath("web-reloaded")), "a done job reloads nothing");
}

static void test_group_modes(const struct fixture *fx)
{
	static const char *const chain[] = {"inter1.crt", NULL};
	struct stat st;
	long long order = add_order(fx, "leaf-rsa.key", "grp");
	long long job = add_cert_job(fx, order, "www-rsa.crt", chain);

	check_int(run_job(fx, job), INSTALL_DONE, "target with group installed");
	check_int(file_mode(tpath("grp/key.pem")), 0640, "key mode 0640 with group");
	check_int(file_mode(tpath("grp/combined.pem")), 0640, "combined mode 0640 with group");
	check_int(file_mode(tpath("grp/fullchain.pem")), 0644, "fullchain 0644 with group");
	check_true(stat(tpath("grp/key.pem"), &st) == 0 && st.st_gid == getgid(), "key has the group");
	check_true(stat(tpath("grp/combined.pem"), &st) == 0 && st.st_size > 1000, "combined holds key and chain");
}

/* A key that is not in key_dir: nothing to install with, later maybe. */

static void test_missing_key(const struct fixture *fx)
{
	static const char *const chain[] = {"inter2.crt", "inter1.crt", NULL};
	struct strbuf why = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1] = "";
	EVP_PKEY *pkey = key_generate("ec256", &why);
	long long order;
	long long job;

	if (pkey)
		pkey_spki_sha256_hex(pkey, sha);
	order = add_order_sha(fx, sha, "fw", NULL, 0);
	job = add_cert_job(fx, order, "www-ec.crt", chain);
	check_int(run_job(fx, job), INSTALL_RETRY, "key not in key_dir: tried again later");
	check_str(job_state(fx, job), "pending", "key not in key_dir: job pending");
	check_true(job_error_has(fx, job, "does not exist"), "key not in key_dir: the job says so");
	check_true(!exists(tpath("fw/fullchain.pem")), "key not in key_dir: nothing written");
	EVP_PKEY_free(pkey);
	sb_free(&why);
}

/* Forward only ----------------------------------------------------------- */

/* fw_holds - target fw's fullchain is leaf + inter2 + inter1 */

static int fw_holds(X509 *leaf)
{
	struct strbuf full = STRBUF_INIT;
	int same;

	pem_x509(leaf, &full);
	pem_of("inter2.crt", &full);
	pem_of("inter1.crt", &full);
	same = leaf && same_contents(tpath("fw/fullchain.pem"), full.data);
	sb_free(&full);
	return same;
}

static void fw_chain(struct strbuf *chain)
{
	pem_of("inter2.crt", chain);
	pem_of("inter1.crt", chain);
}

/* test_not_newer - each certificate not both issued and expiring after
 * www-ec.crt (2024-01-01 to 2044-01-01) is refused */

static void test_not_newer(const struct fixture *fx, long long order, X509 *installed)
{
	static const struct {
		int     from_year, from_month, to_year, to_month;
		const char *name;
	} older[] = {
		{2023, 6, 2043, 6, "a certificate issued and expiring earlier is refused"},
		{2024, 6, 2043, 6, "a certificate issued later but expiring earlier is refused"},
		{2024, 1, 2044, 6, "a certificate issued at the same time, expiring later, is refused"},
	};
	struct strbuf chain = STRBUF_INIT;
	char name[200];
	long long job;
	size_t i;
	X509 *x;

	fw_chain(&chain);
	for (i = 0; i < sizeof(older) / sizeof(older[0]); i++) {
		x = make_leaf(utc(older[i].from_year, older[i].from_month, 1),
			      utc(older[i].to_year, older[i].to_month, 1));
		job = add_job(fx, order, x, chain.data, NULL);
		check_int(run_job(fx, job), INSTALL_REFUSE, older[i].name);
		snprintf(name, sizeof(name), "%s: job refused, says why", older[i].name);
		check_true(strcmp(job_state(fx, job), "refused") == 0
			   && job_error_has(fx, job, "is not newer than certificate"), name);
		snprintf(name, sizeof(name), "%s: the installed one stays", older[i].name);
		check_true(fw_holds(installed), name);
		X509_free(x);
	}
	sb_free(&chain);
}

/* test_renewal - the newer certificate of a renewal is in place already:
 * installed without writing, the predecessor superseded */

static void test_renewal(const struct fixture *fx, long long predecessor, X509 *newer)
{
	struct strbuf chain = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	long long order;
	long long job;

	store_key(fx->cfg, "leaf-ec.key", sha);
	order = add_order_sha(fx, sha, "fw", NULL, predecessor);
	fw_chain(&chain);
	job = add_job(fx, order, newer, chain.data, NULL);
	check_int(run_job(fx, job), INSTALL_DONE, "renewal with the certificate in place: done");
	check_true(has_event(fx, order, "installed", "already held it"),
		   "renewal: the files already held it, nothing written");
	check_str(order_status(fx, order), "installed", "renewal installed");
	check_str(order_status(fx, predecessor), "superseded", "its predecessor superseded");
	check_str(order_state(fx, predecessor), "superseded", "its predecessor's state superseded");
	sb_free(&chain);
}

static void test_forward_only(const struct fixture *fx)
{
	struct strbuf chain = STRBUF_INIT;
	long long order = add_order(fx, "leaf-ec.key", "fw");
	X509 *first = read_cert(PKI "www-ec.crt");
	X509 *newer = make_leaf(utc(2024, 6, 1), utc(2044, 6, 1));
	long long first_job;
	long long job;
	int is_new = -1;

	fw_chain(&chain);
	first_job = add_job(fx, order, first, chain.data, NULL);
	check_int(run_job(fx, first_job), INSTALL_DONE, "forward: the first certificate installed");
	test_not_newer(fx, order, first);
	job = add_job(fx, order, newer, chain.data, NULL);
	check_int(run_job(fx, job), INSTALL_DONE, "a certificate issued and expiring later is installed");
	check_true(fw_holds(newer), "the newer certificate is in the files");
	job = add_job(fx, order, first, chain.data, &is_new);
	check_true(job == first_job && is_new == 0, "the first certificate again is its old job");
	check_int(run_job(fx, job), INSTALL_NOT_CLAIMED, "the first certificate again is not installed");
	check_true(fw_holds(newer), "the newer certificate stays");
	test_renewal(fx, order, newer);
	X509_free(first);
	X509_free(newer);
	sb_free(&chain);
}

/* Rollback ------------------------------------------------------------- */

static void old_files(void)
{
	put(tpath("t/fullchain.pem"), "OLD FULLCHAIN\n", 0644);
	put(tpath("t/key.pem"), "OLD KEY\n", 0600);
	unlink(tpath("t/new-file.pem"));
	unlink(tpath("t-reloaded"));
}

static int old_files_intact(void)
{
	return same_contents(tpath("t/fullchain.pem"), "OLD FULLCHAIN\n")
	    && same_contents(tpath("t/key.pem"), "OLD KEY\n")
	    && file_mode(tpath("t/fullchain.pem")) == 0644 && file_mode(tpath("t/key.pem")) == 0600
	    && !exists(tpath("t/new-file.pem")) && !exists(tpath("t/.key.pem.mailcert-tmp"));
}

static int install_plain(struct install_run *run, const char *target, long long job,
			 int *unchanged, struct strbuf *why)
{
	struct install_plan plan;
	int rc;

	run->target = config_find_target(run->cfg, target);
	run->job_id = job;
	sb_reset(why);
	if (install_plan_make(run->target, "NEW KEY\n", "NEW LEAF\n", "NEW CHAIN\n", &plan, why) < 0)
		return -1;
	rc = install_into_target(run, &plan, unchanged, why);
	install_plan_free(&plan);
	return rc;
}

static void start_run(const struct fixture *fx, struct install_run *run, const char *target)
{
	memset(run, 0, sizeof(*run));
	run->ledger = fx->book;
	run->cfg = fx->cfg;
	run->order_id = add_order(fx, "leaf-ec.key", target);
	run->attempt = 1;
	run->now = time(NULL);
}

/* open_set_of - the backup set an installer that died left for job */

static void open_set_of(const struct config *cfg, const char *target, long long job)
{
	struct strbuf why = STRBUF_INIT;
	const struct target_config *tc = config_find_target(cfg, target);
	struct install_plan plan;
	struct backup_set set;

	memset(&set, 0, sizeof(set));
	if (install_plan_make(tc, "NEW KEY\n", "NEW LEAF\n", "NEW CHAIN\n", &plan, &why) < 0
	    || backup_set_open(cfg->state_dir, tc, job, &plan, &set, &why) < 0)
		printf("# backup set of %s job %lld: %s\n", target, job, sb_str(&why));
	backup_set_free(&set);
	install_plan_free(&plan);
	sb_free(&why);
}

static void test_failing_commands(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	int unchanged;

	start_run(fx, &run, "t");
	old_files();
	check_int(install_plain(&run, "failtest", 1001, &unchanged, &why), INSTALL_RETRY,
		  "failing test_command: not installed");
	check_contains(why.data, "test_command exit status 1; previous files restored", "failing test_command: why");
	check_true(old_files_intact(), "failing test_command: old files restored byte for byte, modes too");
	check_true(!exists(tpath("t-reloaded")), "failing test_command: nothing reloaded");

	old_files();
	check_int(install_plain(&run, "failreload", 1002, &unchanged, &why), INSTALL_RETRY,
		  "failing reload_command: not installed");
	check_contains(why.data, "reload_command exit status 3; previous files restored, but reload_command "
		       "(after restoring) exit status 3", "failing reload_command: why");
	check_true(old_files_intact(), "failing reload_command: old files restored, new file removed");
	check_true(exists(tpath("t-reloaded")), "failing reload_command: reloaded again");
	check_true(has_event(fx, run.order_id, "install_command", "output: reload failed"),
		   "command output recorded in an event");

	old_files();
	check_int(install_plain(&run, "t", 1003, &unchanged, &why), INSTALL_DONE, "plain install done");
	check_true(same_contents(tpath("t/key.pem"), "NEW KEY\n")
		   && same_contents(tpath("t/fullchain.pem"), "NEW LEAF\nNEW CHAIN\n"), "plain install wrote");
	check_true(exists(tpath("t-reloaded")) && !unchanged, "plain install reloaded");
	unlink(tpath("t-reloaded"));
	check_int(install_plain(&run, "t", 1004, &unchanged, &why), INSTALL_DONE, "files in place: done");
	check_true(unchanged && !exists(tpath("t-reloaded")), "files in place: nothing written or run");
	sb_free(&why);
}

/* An installer died after writing: the open backup set is the truth. */

static void test_after_crash(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	int unchanged;

	start_run(fx, &run, "t");
	old_files();
	open_set_of(fx->cfg, "failtest", 1005);
	put(tpath("t/fullchain.pem"), "NEW LEAF\nNEW CHAIN\n", 0644);
	put(tpath("t/key.pem"), "NEW KEY\n", 0600);
	check_int(install_plain(&run, "failtest", 1005, &unchanged, &why), INSTALL_RETRY,
		  "after a crash, failing test: not installed");
	check_true(old_files_intact(), "after a crash: the files before the crash restored");
	check_true(exists(tpath("t-reloaded")), "after a crash: reloaded, the dead one may have");

	old_files();
	open_set_of(fx->cfg, "t", 1006);
	put(tpath("t/fullchain.pem"), "NEW LEAF\nNEW CHAIN\n", 0644);
	put(tpath("t/key.pem"), "NEW KEY\n", 0600);
	check_int(install_plain(&run, "t", 1006, &unchanged, &why), INSTALL_DONE,
		  "after a crash with the new files written: done");
	check_true(!unchanged && exists(tpath("t-reloaded")), "after a crash: reloaded even though in place");
	sb_free(&why);
}

/* The commands of a target run as its run_as user. */

static void test_target_run_as(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	char want[64];
	int unchanged;

	start_run(fx, &run, "runas");
	snprintf(want, sizeof(want), "exit status 0; output: %ld", nobody() ? (long) nobody()->pw_uid : -1L);
	check_int(install_plain(&run, "runas", 1101, &unchanged, &why), INSTALL_DONE,
		  "target with run_as installed");
	check_true(has_event(fx, run.order_id, "install_command", want),
		   "[target] run_as nobody: test_command ran as nobody");
	sb_free(&why);
}

/* A state_dir others may write holds no backup set: nothing is installed. */

static void test_unsafe_state_dir(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	struct config alt = *fx->cfg;
	int unchanged;

	make_dir(tpath("badstate"), 0777);
	alt.state_dir = tpath("badstate");
	start_run(fx, &run, "t");
	run.cfg = &alt;
	old_files();
	check_int(install_plain(&run, "t", 1201, &unchanged, &why), INSTALL_RETRY,
		  "state_dir writable by others: not installed");
	check_contains(why.data, "may be written by others", "state_dir writable by others: why");
	check_true(old_files_intact() && !exists(tpath("t-reloaded")),
		   "state_dir writable by others: nothing written, nothing run");
	check_true(!exists(tpath("badstate/backup")), "state_dir writable by others: no backup set in it");
	sb_free(&why);
}

/* The backup set trusts its manifest no further than it must ------------ */

/* plant_set - a backup set of target/job as an installer that died left
 * it: copies of fullchain and key, and a manifest of two lines
 * "fullchain present MODE UID GID PATH" and "key present ..." */

static void plant_set(const struct config *cfg, const char *target, long long job,
		      const char *fullchain_line, const char *key_line)
{
	struct strbuf dir = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	struct strbuf manifest = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;

	sb_appendf(&dir, "%s/backup/%s/job-%lld", cfg->state_dir, target, job);
	if (dir_make_safe(dir.data, 0700, &why) < 0)
		printf("# %s\n", why.data);
	sb_appendf(&path, "%s/fullchain", dir.data);
	put(path.data, "PLANTED FULLCHAIN\n", 0600);
	sb_reset(&path);
	sb_appendf(&path, "%s/key", dir.data);
	put(path.data, "PLANTED KEY\n", 0600);
	sb_reset(&path);
	sb_appendf(&path, "%s/manifest", dir.data);
	sb_appendf(&manifest, "%s\n%s\n", fullchain_line, key_line);
	put(path.data, manifest.data, 0600);
	sb_free(&dir);
	sb_free(&path);
	sb_free(&manifest);
	sb_free(&why);
}

static void test_restore_masks(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	char full[1200];
	char key[1200];
	int unchanged;
	long foreign = nobody() ? (long) nobody()->pw_uid : 65534;

	snprintf(full, sizeof(full), "fullchain present 4755 %ld %ld %s/r/fullchain.pem", foreign,
		 foreign, tmp);
	snprintf(key, sizeof(key), "key present 6640 %ld %ld %s/r/key.pem", foreign, foreign, tmp);
	plant_set(fx->cfg, "r", 2001, full, key);
	start_run(fx, &run, "r");
	check_int(install_plain(&run, "r", 2001, &unchanged, &why), INSTALL_RETRY,
		  "planted manifest: failing test, restored from it");
	check_true(same_contents(tpath("r/fullchain.pem"), "PLANTED FULLCHAIN\n")
		   && same_contents(tpath("r/key.pem"), "PLANTED KEY\n"), "planted manifest: copies restored");
	check_int(file_mode(tpath("r/fullchain.pem")), 0755, "manifest mode 4755: restored without setuid");
	check_int(file_mode(tpath("r/key.pem")), 0640, "manifest mode 6640: restored without setuid, setgid");
	check_true(file_uid(tpath("r/fullchain.pem")) == 0 && file_uid(tpath("r/key.pem")) == 0,
		   "manifest naming a foreign owner: restored root's");
	check_true(file_gid(tpath("r/fullchain.pem")) == 0 && file_gid(tpath("r/key.pem")) == 0,
		   "manifest naming a foreign group: restored root's");
	sb_free(&why);
}

/* test_restore_owner - the target's own owner and group come back, a
 * foreign one does not */

static void test_restore_owner(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	char full[1200];
	char key[1200];
	int unchanged;
	long uid = nobody() ? (long) nobody()->pw_uid : 65534;
	long gid = nobody() ? (long) nobody()->pw_gid : 65534;

	snprintf(full, sizeof(full), "fullchain present 0644 %ld %ld %s/own/fullchain.pem", uid, gid, tmp);
	snprintf(key, sizeof(key), "key present 0640 1 1 %s/own/key.pem", tmp);
	plant_set(fx->cfg, "own", 2002, full, key);
	start_run(fx, &run, "own");
	check_int(install_plain(&run, "own", 2002, &unchanged, &why), INSTALL_RETRY,
		  "target with owner: failing test, restored");
	check_true(file_uid(tpath("own/fullchain.pem")) == uid && file_gid(tpath("own/fullchain.pem")) == gid,
		   "manifest naming the target's owner and group: given back");
	check_true(file_uid(tpath("own/key.pem")) == 0 && file_gid(tpath("own/key.pem")) == 0,
		   "manifest naming another owner than the target's: root's");
	sb_free(&why);
}

/* A manifest about another file than the target's is not taken up. */

static void test_restore_foreign_manifest(const struct fixture *fx)
{
	const struct target_config *r = config_find_target(fx->cfg, "r");
	struct strbuf why = STRBUF_INIT;
	struct install_plan plan;
	struct backup_set set;
	char full[1200];
	char key[1200];
	size_t i;
	int ours = 1;

	snprintf(full, sizeof(full), "fullchain present 0644 0 0 %s/elsewhere.pem", tmp);
	snprintf(key, sizeof(key), "key present 0600 0 0 %s/r/key.pem", tmp);
	plant_set(fx->cfg, "r", 2003, full, key);
	install_plan_make(r, "NEW KEY\n", "NEW LEAF\n", "NEW CHAIN\n", &plan, &why);
	check_int(backup_set_open(fx->cfg->state_dir, r, 2003, &plan, &set, &why), 0,
		  "manifest naming a foreign file: a backup set opened");
	check_int(set.reused, 0, "manifest naming a foreign file: not taken up");
	for (i = 0; i < set.count; i++)
		ours = ours && strcmp(set.entries[i].path, plan.files[i].path) == 0;
	check_true(ours && set.count == plan.count, "manifest naming a foreign file: the set is of the plan's files");
	check_int(backup_set_restore(&set, &plan, &why), 0, "that set restores");
	check_true(!exists(tpath("elsewhere.pem")), "manifest naming a foreign file: it is not written");
	backup_set_free(&set);
	install_plan_free(&plan);
	sb_free(&why);
}

static void add_entry(struct backup_set *set, enum install_role role, const char *path,
		      const char *content)
{
	struct backup_entry *e = &set->entries[set->count++];

	e->role = role;
	e->path = xstrdup(path);
	e->present = 1;
	sb_init(&e->content);
	sb_appends(&e->content, content);
	e->mode = 0644;
}

/* A backup set that names a path not of the plan: refused, the rest done. */

static void test_restore_foreign_path(const struct fixture *fx)
{
	const struct target_config *r = config_find_target(fx->cfg, "r");
	struct strbuf why = STRBUF_INIT;
	struct install_plan plan;
	struct backup_set set;

	memset(&set, 0, sizeof(set));
	install_plan_make(r, "NEW KEY\n", "NEW LEAF\n", "NEW CHAIN\n", &plan, &why);
	add_entry(&set, ROLE_FULLCHAIN, tpath("elsewhere.pem"), "EVIL\n");
	add_entry(&set, ROLE_KEY, tpath("r/key.pem"), "RESTORED KEY\n");
	check_int(backup_set_restore(&set, &plan, &why), -1, "backup entry outside the target: restore fails");
	check_contains(why.data, "not a file of the target", "backup entry outside the target: why");
	check_true(!exists(tpath("elsewhere.pem")), "backup entry outside the target: not written");
	check_true(same_contents(tpath("r/key.pem"), "RESTORED KEY\n"),
		   "backup entry outside the target: the others restored");
	backup_set_free(&set);
	install_plan_free(&plan);
	sb_free(&why);
}

/* Files without links, in directories nobody else may write ------------ */

static int write_refused(const char *path, const char *text, const char *name)
{
	struct strbuf why = STRBUF_INIT;
	char label[300];
	int refused = file_write_atomic(path, "X\n", 2, 0644, (uid_t) -1, (gid_t) -1, &why) == -1;

	check_true(refused, name);
	snprintf(label, sizeof(label), "%s: why", name);
	check_contains(why.data, text, label);
	sb_free(&why);
	return refused;
}

static int read_refused(const char *path, const char *text, const char *name)
{
	struct strbuf out = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct stat st;
	char label[300];
	int refused = file_read_bounded(path, 4096, &out, &st, &why) == -1;

	check_true(refused && out.len == 0, name);
	snprintf(label, sizeof(label), "%s: why", name);
	check_contains(why.data, text, label);
	sb_free(&out);
	sb_free(&why);
	return refused;
}

static void test_symlinked_dir(const struct fixture *fx)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	int unchanged;

	make_dir(tpath("real"), 0755);
	put(tpath("real/present.pem"), "PRESENT\n", 0644);
	if (symlink("real", tpath("link")) < 0)
		printf("# symlink failed\n");
	write_refused(tpath("link/cert.pem"), "symbolic link", "write into a symlinked directory refused");
	write_refused(tpath("link/sub/cert.pem"), "symbolic link", "directory made below a symlink refused");
	check_true(!exists(tpath("real/cert.pem")) && !exists(tpath("real/.cert.pem.mailcert-tmp"))
		   && !exists(tpath("real/sub")), "nothing written through the symlink");
	read_refused(tpath("link/present.pem"), "symbolic link", "read through a symlinked directory refused");
	start_run(fx, &run, "symdir");
	check_int(install_plain(&run, "symdir", 3001, &unchanged, &why), INSTALL_RETRY,
		  "target directory a symlink: not installed");
	check_true(!exists(tpath("real/fullchain.pem")) && !exists(tpath("real/key.pem"))
		   && !exists(tpath("symdir-reloaded")), "target directory a symlink: nothing written, nothing run");
	sb_free(&why);
}

static void test_unsafe_dirs(void)
{
	make_dir(tpath("open"), 0777);
	write_refused(tpath("open/cert.pem"), "may be written by others", "directory mode 0777 refused");
	check_true(!exists(tpath("open/cert.pem")) && !exists(tpath("open/.cert.pem.mailcert-tmp")),
		   "nothing written into a directory mode 0777");
	write_refused(tpath("open/sub/cert.pem"), "may be written by others",
		      "directory below one of mode 0777 refused");
	make_dir(tpath("grpw"), 0775);
	write_refused(tpath("grpw/cert.pem"), "may be written by others", "group-writable directory refused");
	make_dir(tpath("theirs"), 0755);
	if (nobody() == NULL || chown(tpath("theirs"), nobody()->pw_uid, nobody()->pw_gid) < 0)
		printf("# chown to nobody failed\n");
	write_refused(tpath("theirs/cert.pem"), "not by root", "directory owned by another user refused");
	make_dir(tpath("sticky"), 01777);
	put(tpath("sticky/cert.pem"), "STICKY\n", 0644);
	check_true(same_contents(tpath("sticky/cert.pem"), "STICKY\n"),
		   "root-owned sticky directory (like /tmp) accepted");
}

static void test_unsafe_files(void)
{
	struct strbuf why = STRBUF_INIT;
	struct stat st;

	make_dir(tpath("h"), 0755);
	put(tpath("h/one.pem"), "ONE\n", 0644);
	if (link(tpath("h/one.pem"), tpath("h/two.pem")) < 0)
		printf("# link failed\n");
	read_refused(tpath("h/one.pem"), "hard links", "file with two hard links refused for reading");
	put(tpath("h/target.pem"), "TARGET\n", 0644);
	if (symlink("target.pem", tpath("h/link.pem")) < 0)
		printf("# symlink failed\n");
	read_refused(tpath("h/link.pem"), "symbolic link", "symlinked file refused for reading");
	check_int(file_write_atomic(tpath("h/link.pem"), "NEW\n", 4, 0644, (uid_t) -1, (gid_t) -1, &why), 0,
		  "writing over a symlinked file works");
	check_true(same_contents(tpath("h/target.pem"), "TARGET\n")
		   && lstat(tpath("h/link.pem"), &st) == 0 && S_ISREG(st.st_mode),
		   "writing over a symlink replaces the link, not what it points to");
	check_int(file_write_atomic(tpath("h/suid.pem"), "S\n", 2, 04755, (uid_t) -1, (gid_t) -1, &why), 0,
		  "file written with mode 04755");
	check_int(file_mode(tpath("h/suid.pem")), 0755, "no setuid bit on a written file");
	write_refused(tpath("web/../escape.pem"), "not allowed", "\"..\" in a path refused");
	check_true(!exists(tpath("escape.pem")), "nothing written by \"..\"");
	put(tpath("made/a/b.pem"), "B\n", 0644);
	check_true(file_mode(tpath("made")) == 0755 && file_mode(tpath("made/a")) == 0755
		   && same_contents(tpath("made/a/b.pem"), "B\n"), "missing directories made, mode 0755");
	sb_free(&why);
}

/* run_command ----------------------------------------------------------- */

/* process_alive - running, not a zombie waiting for init */

static int process_alive(long pid)
{
	char path[64];
	char buf[512];
	char *paren;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* run - argv (NULL-terminated) with a timeout, as user, with input */

static int run(struct command_result *res, int timeout, const char *user, const char *input,
	       size_t input_len, size_t max_output, const char *const *argv)
{
	struct strlist args = STRLIST_INIT;
	struct command_spec spec;
	int rc;

	for (; *argv; argv++)
		strlist_add(&args, *argv);
	memset(&spec, 0, sizeof(spec));
	spec.argv = &args;
	spec.timeout = timeout;
	spec.run_as = user;
	spec.input = input;
	spec.input_len = input_len;
	spec.max_output = max_output;
	rc = run_command(&spec, res);
	strlist_free(&args);
	return rc;
}

static void test_run_basics(void)
{
	static const char *const fails[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 4", NULL};
	static const char *const big[] = {"/bin/sh", "-c", "head -c 20000 /dev/zero", NULL};
	static const char *const missing[] = {"/nonexistent/program", NULL};
	static const char *const relative[] = {"sh", "-c", "true", NULL};
	struct command_result res;

	check_int(run(&res, 5, NULL, NULL, 0, 0, fails), -1, "failing command fails");
	check_true(res.exited && res.exit_status == 4, "exit status reported");
	check_str(sb_str(&res.output), "out\nerr\n", "stdout and stderr captured");
	command_result_clear(&res);
	check_int(run(&res, 5, NULL, NULL, 0, 0, big), 0, "big output: exit 0");
	check_true(res.output.len == COMMAND_MAX_OUTPUT && res.dropped == 20000 - COMMAND_MAX_OUTPUT,
		   "output kept up to the bound, the rest counted");
	command_result_clear(&res);
	check_int(run(&res, 5, NULL, NULL, 0, 100, big), 0, "big output, max_output 100: exit 0");
	check_true(res.output.len == 100 && res.dropped == 19900, "output kept up to max_output");
	command_result_clear(&res);
	check_int(run(&res, 5, NULL, NULL, 0, 0, missing), -1, "missing program fails");
	check_true(res.start_failed, "missing program: could not be started");
	command_result_clear(&res);
	check_int(run(&res, 5, NULL, NULL, 0, 0, relative), -1, "program without an absolute path fails");
	check_true(res.start_failed, "program without an absolute path: not started");
	command_result_clear(&res);
}

static void test_run_timeout(void)
{
	static const char *const slow[] = {"/bin/sh", "-c", "sleep 30 & echo $!; wait", NULL};
	struct command_result res;
	time_t start = time(NULL);
	long pid;

	check_int(run(&res, 1, NULL, NULL, 0, 0, slow), -1, "command over its time fails");
	check_true(res.timed_out && time(NULL) - start < 5, "timeout kills it in time");
	pid = strtol(sb_str(&res.output), NULL, 10);
	usleep(100000);
	check_true(pid > 0 && !process_alive(pid), "the whole process group is killed");
	command_result_clear(&res);
}

/* env_names - the names of NAME=VALUE lines, one per line */

static void env_names(const char *env, struct strbuf *names)
{
	const char *line;
	const char *eq;

	for (line = env; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if ((eq = strchr(line, '=')) != NULL)
			sb_appendf(names, "%.*s ", (int) (eq - line), line);
	}
}

static void test_run_environment(void)
{
	static const char *const env[] = {"/usr/bin/env", NULL};
	struct command_result res;
	struct strbuf names = STRBUF_INIT;

	setenv("MAILCERT_SECRET", "x", 1);
	setenv("LD_PRELOAD", "", 1);
	check_int(run(&res, 5, NULL, NULL, 0, 0, env), 0, "env runs");
	check_true(strstr(sb_str(&res.output), "MAILCERT_SECRET") == NULL,
		   "the child sees no variable of the caller");
	check_true(strstr(sb_str(&res.output), "LD_PRELOAD") == NULL, "the child gets no LD_PRELOAD");
	check_contains(sb_str(&res.output), "PATH=" COMMAND_PATH "\n", "the child's PATH is the fixed one");
	check_contains(sb_str(&res.output), "LANG=C\n", "the child's LANG is C");
	env_names(sb_str(&res.output), &names);
	check_str(sb_str(&names), "PATH HOME LOGNAME USER LANG ",
		  "the child's environment: PATH, HOME, LOGNAME, USER, LANG only");
	command_result_clear(&res);
	unsetenv("MAILCERT_SECRET");
	unsetenv("LD_PRELOAD");
	sb_free(&names);
}

static void test_run_as(void)
{
	static const char *const id[] = {"/usr/bin/id", "-u", NULL};
	static const char *const env[] = {"/usr/bin/env", NULL};
	struct command_result res;
	char want[64];

	snprintf(want, sizeof(want), "%ld\n", nobody() ? (long) nobody()->pw_uid : -1L);
	check_int(run(&res, 5, "nobody", NULL, 0, 0, id), 0, "id as nobody runs");
	check_str(sb_str(&res.output), want, "run_as nobody runs as nobody");
	command_result_clear(&res);
	check_int(run(&res, 5, NULL, NULL, 0, 0, id), 0, "id as ourselves runs");
	check_str(sb_str(&res.output), "0\n", "without run_as it runs as we are (root)");
	command_result_clear(&res);
	run(&res, 5, "nobody", NULL, 0, 0, env);
	check_contains(sb_str(&res.output), "\nUSER=nobody\n", "run_as nobody: USER=nobody");
	check_contains(sb_str(&res.output), "\nLOGNAME=nobody\n", "run_as nobody: LOGNAME=nobody");
	command_result_clear(&res);
	check_int(run(&res, 5, "no-such-user-mailcert", NULL, 0, 0, id), -1, "run_as an unknown user fails");
	check_true(res.start_failed && res.output.len == 0, "run_as an unknown user: not started");
	command_result_clear(&res);
}

static void test_run_input(void)
{
	static const char *const cat[] = {"/bin/cat", NULL};
	struct command_result res;
	size_t big_len = 100000;
	char *big = xmalloc(big_len);

	check_int(run(&res, 5, NULL, "hello\nworld\n", 12, 0, cat), 0, "cat with input runs");
	check_str(sb_str(&res.output), "hello\nworld\n", "the input reaches its standard input");
	command_result_clear(&res);
	check_int(run(&res, 5, NULL, NULL, 0, 0, cat), 0, "cat without input ends");
	check_true(res.output.len == 0 && !res.timed_out, "without input its standard input is empty");
	command_result_clear(&res);
	memset(big, 'a', big_len);
	check_int(run(&res, 5, NULL, big, big_len, 0, cat), 0, "input larger than a pipe: cat ends");
	check_true(res.output.len == COMMAND_MAX_OUTPUT && res.dropped == big_len - COMMAND_MAX_OUTPUT,
		   "input larger than a pipe: all of it read back, output bounded");
	command_result_clear(&res);
	free(big);
}

/* test_run_descriptors - no descriptor of ours reaches the child */

static void test_run_descriptors(void)
{
	static const char *const ls[] = {"/bin/ls", "/proc/self/fd", NULL};
	struct command_result res;
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0 || dup2(fd, 40) < 0)
		printf("# cannot open a descriptor\n");
	run(&res, 5, NULL, NULL, 0, 0, ls);
	check_contains(sb_str(&res.output), "0\n1\n2\n", "the child has its standard descriptors");
	check_true(strstr(sb_str(&res.output), "\n40\n") == NULL, "the child keeps no descriptor of ours");
	command_result_clear(&res);
	close(40);
	if (fd >= 0)
		close(fd);
}

/* The mails -------------------------------------------------------------- */

static void fill_outcome(struct order *order, struct install_outcome *out)
{
	memset(order, 0, sizeof(*order));
	memset(out, 0, sizeof(*out));
	order->id = 7;
	order->target = (char *) "web";
	order->contact = (char *) "ops@example.com";
	order->domain = (char *) "www.example.com";
	out->host_names = (char *) "www.example.com, example.com";
	strcpy(out->sha256, "ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01");
	out->not_after = 2019686400;	/* 2034-01-01 */
}

static void test_compose(void)
{
	struct install_outcome out;
	struct order order;
	struct strbuf body = STRBUF_INIT;
	struct strbuf subject = STRBUF_INIT;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct mail_out m;

	fill_outcome(&order, &out);
	check_int(install_compose_mail(&order, &out, "host1.example.net", &body, &subject), 0, "mail composed");
	check_str(sb_str(&subject), "[mailcert] certificate for www.example.com installed on host1.example.net",
		  "mail subject: domain and host");
	check_contains(body.data, "names:       www.example.com, example.com\n", "mail names the names");
	check_contains(body.data, "expires:     2034-01-01 00:00:00 UTC\n", "mail says the expiry");
	check_contains(body.data, "SHA-256:     ab01ab01", "mail gives the fingerprint");
	check_contains(body.data, "AB:01:AB:01", "mail gives the fingerprint with colons");
	m.from = "mailcert@host.example";
	m.to = order.contact;
	m.subject = subject.data;
	m.body = body.data;
	check_int(mail_compose(&m, &mail, &why), 0, "whole mail composed");
	check_contains(mail.data, "From: mailcert@host.example\nTo: ops@example.com\n", "mail From and To");
	check_contains(mail.data, "\nSubject: [mailcert] certificate for www.example.com installed on "
		       "host1.example.net\n", "mail Subject header");
	check_contains(mail.data, "\nAuto-Submitted: auto-generated\n", "mail is auto-submitted");
	check_contains(mail.data, "\n\nThe certificate of mailcert order 7 is installed.\n", "body after the headers");
	sb_free(&body);
	sb_free(&subject);
	sb_free(&mail);
	sb_free(&why);
}

/* compose_refused - mail_compose of install_compose_mail's text fails and
 * writes nothing */

static void compose_refused(const char *from, const char *contact, const char *domain,
			    const char *host, const char *name)
{
	struct install_outcome out;
	struct order order;
	struct strbuf body = STRBUF_INIT;
	struct strbuf subject = STRBUF_INIT;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	struct mail_out m;
	char label[300];

	fill_outcome(&order, &out);
	order.domain = (char *) domain;
	install_compose_mail(&order, &out, host, &body, &subject);
	m.from = from;
	m.to = contact;
	m.subject = subject.data;
	m.body = body.data;
	check_int(mail_compose(&m, &mail, &why), -1, name);
	snprintf(label, sizeof(label), "%s: nothing composed", name);
	check_true(mail.len == 0 && why.len > 0, label);
	sb_free(&body);
	sb_free(&subject);
	sb_free(&mail);
	sb_free(&why);
}

static void test_header_injection(void)
{
	static const struct {
		const char *from;
		const char *contact;
		const char *domain;
		const char *host;
		const char *name;
	} bad[] = {
		{"m@h.example", "ops@example.com\nBcc: victim@example.org", "www.example.com", "host1",
		 "LF in the contact refused"},
		{"m@h.example", "ops@example.com\r\nBcc: x@example.org", "www.example.com", "host1",
		 "CRLF in the contact refused"},
		{"m@h.example", "ops@example.com, victim@example.org", "www.example.com", "host1",
		 "two contacts refused"},
		{"m@h.example", "ops@example.com", "www.example.com\nBcc: x@example.org", "host1",
		 "LF in the domain (subject) refused"},
		{"m@h.example", "ops@example.com\nBcc:victim@example.org", "www.example.com", "host1",
		 "LF in the contact, no space, refused"},
		{"m@h.example", "ops@example.com", "www.example.com\r\nBcc: x@example.org", "host1",
		 "CRLF in the domain (subject) refused"},
		{"m@h.example", "ops@example.com", "www.example.com", "host1\nBcc: x@example.org",
		 "LF in the host (subject) refused"},
		{"m@h.example", NULL, "www.example.com", "host1", "no contact refused"},
		{"m@h.example, victim@example.org", "ops@example.com", "www.example.com", "host1",
		 "From with a comma refused"},
		{"m@h.example\nBcc: x@example.org", "ops@example.com", "www.example.com", "host1",
		 "LF in the From refused"},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		compose_refused(bad[i].from, bad[i].contact, bad[i].domain, bad[i].host, bad[i].name);
}

static void test_mail_send(void)
{
	struct strbuf why = STRBUF_INIT;
	char long_line[1200];
	struct mail_out m = {"mailcert@host.example", "ops@example.com", "a subject", "a body\n"};
	size_t len = 0;
	char *sent;

	unlink(tpath("sent.eml"));
	check_int(mail_send(tpath("fake-sendmail"), &m, 5, &why), 0, "mail sent");
	sent = slurp(tpath("sent.eml"), &len);
	check_contains(sent, "\nSubject: a subject\n", "sendmail got the mail");
	check_contains(sent, "\n\na body\n", "sendmail got the body");
	free(sent);
	unlink(tpath("sent.eml"));
	m.to = "ops@example.com\nBcc: x@example.org";
	check_int(mail_send(tpath("fake-sendmail"), &m, 5, &why), -1, "mail with a bad To not sent");
	check_true(!exists(tpath("sent.eml")), "mail with a bad To: sendmail not run");
	m.to = "ops@example.com";
	m.body = "a line\r\nwith a CR\n";
	check_int(mail_send(tpath("fake-sendmail"), &m, 5, &why), -1, "body with a CR not sent");
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = 0;
	m.body = long_line;
	check_int(mail_send(tpath("fake-sendmail"), &m, 5, &why), -1, "body line over 998 bytes not sent");
	check_true(!exists(tpath("sent.eml")), "bad bodies: sendmail not run");
	m.body = "a body\n";
	sb_reset(&why);
	check_int(mail_send("/bin/false", &m, 5, &why), -1, "failing sendmail fails");
	check_contains(why.data, "exit status 1", "failing sendmail: why");
	sb_free(&why);
}

/* The key store ------------------------------------------------------------ */

static void load_refused(const char *dir, const char *sha, const char *text, const char *name)
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *pkey = key_store_load(dir, sha, &why);
	char label[300];

	check_true(pkey == NULL, name);
	snprintf(label, sizeof(label), "%s: why", name);
	check_contains(why.data, text, label);
	EVP_PKEY_free(pkey);
	sb_free(&why);
}

/* new_key - a generated key and its hash */

static EVP_PKEY *new_key(char sha[SHA256_HEX_LEN + 1])
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *pkey = key_generate("ec256", &why);

	sha[0] = 0;
	if (pkey)
		pkey_spki_sha256_hex(pkey, sha);
	sb_free(&why);
	return pkey;
}

static void test_key_store_add(EVP_PKEY *pkey, const char *dir)
{
	struct strbuf why = STRBUF_INIT;
	char want[SHA256_HEX_LEN + 1] = "";
	char sha[SHA256_HEX_LEN + 1] = "";
	char name[600];
	char *path = NULL;
	char *again = NULL;
	EVP_PKEY *loaded;

	pkey_spki_sha256_hex(pkey, want);
	check_int(key_store_add(dir, pkey, sha, &path, &why), 0, "key stored");
	check_str(sha, want, "stored key named by the SHA-256 of its public key");
	snprintf(name, sizeof(name), "%s/%s.key", dir, want);
	check_str(path, name, "key file is KEY_DIR/SHA256.key");
	check_int(file_mode(name), 0600, "key file mode 0600");
	check_int(file_mode(dir), 0700, "key directory made mode 0700");
	check_int(key_store_add(dir, pkey, sha, &again, &why), 0, "the same key again: fine");
	check_str(again, name, "the same key again: the same file");
	loaded = key_store_load(dir, want, &why);
	check_true(loaded && EVP_PKEY_eq(loaded, pkey) == 1, "stored key loads, the same key");
	EVP_PKEY_free(loaded);
	free(path);
	free(again);
	sb_free(&why);
}

/* test_key_file_refusals - each refusal on the key file of pkey in dir */

static void test_key_file_refusals(const char *dir, const char *sha)
{
	char path[600];
	char other[600];

	snprintf(path, sizeof(path), "%s/%s.key", dir, sha);
	chmod(path, 0644);
	load_refused(dir, sha, "may be read", "key file mode 0644 refused");
	chmod(path, 0620);
	load_refused(dir, sha, "may be read or written", "key file mode 0620 (group may write) refused");
	chmod(path, 0600);
	if (nobody() && chown(path, nobody()->pw_uid, 0) == 0)
		load_refused(dir, sha, "not by root", "key file owned by another user refused");
	if (chown(path, 0, 0) < 0)
		printf("# chown back failed\n");
	snprintf(other, sizeof(other), "%s/hard-link", tmp);
	if (link(path, other) < 0)
		printf("# link failed\n");
	load_refused(dir, sha, "hard links", "key file with two links refused");
	unlink(other);
	chmod(dir, 0777);
	load_refused(dir, sha, "may be written by others", "key directory writable by others refused");
	chmod(dir, 0700);
}

static void test_key_symlink(const char *dir)
{
	struct strbuf why = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	char link_path[600];
	char *real = NULL;
	EVP_PKEY *pkey = new_key(sha);

	if (pkey == NULL || key_store_add(tpath("keys-elsewhere"), pkey, sha, &real, &why) < 0)
		printf("# %s\n", why.data);
	snprintf(link_path, sizeof(link_path), "%s/%s.key", dir, sha);
	if (real == NULL || symlink(real, link_path) < 0)
		printf("# symlink failed\n");
	load_refused(dir, sha, "symbolic link", "symlinked key file refused");
	EVP_PKEY_free(pkey);
	free(real);
	sb_free(&why);
}

/* test_key_other_content - a file whose name is one key's hash, holding
 * another key */

static void test_key_other_content(const char *dir)
{
	struct strbuf pem = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	char other_sha[SHA256_HEX_LEN + 1];
	char path[600];
	EVP_PKEY *named = new_key(sha);
	EVP_PKEY *other = new_key(other_sha);

	if (other)
		private_key_pem(other, &pem);
	snprintf(path, sizeof(path), "%s/%s.key", dir, sha);
	put(path, sb_str(&pem), 0600);
	load_refused(dir, sha, "does not hold the key its name says", "key file holding another key refused");
	EVP_PKEY_free(named);
	EVP_PKEY_free(other);
	sb_free(&pem);
}

static void test_key_store(void)
{
	struct strbuf why = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1] = "";
	char missing[SHA256_HEX_LEN + 1] = "";
	const char *dir = tpath("keystore");
	EVP_PKEY *pkey = new_key(sha);
	EVP_PKEY *unstored = new_key(missing);

	check_true(pkey != NULL && strlen(sha) == SHA256_HEX_LEN, "ec256 key generated");
	check_true(key_generate("dsa1024", &why) == NULL, "unknown key type refused");
	check_contains(why.data, "must be ec256, rsa2048 or rsa3072", "unknown key type: why");
	if (pkey) {
		test_key_store_add(pkey, dir);
		test_key_file_refusals(dir, sha);
	}
	test_key_symlink(dir);
	test_key_other_content(dir);
	load_refused(dir, missing, "does not exist", "key not in key_dir refused");
	load_refused(dir, "../../../../etc/ssl/private/x", "not a SHA-256", "key hash that is a path refused");
	load_refused(dir, "AB01", "not a SHA-256", "key hash of the wrong length refused");
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(unstored);
	sb_free(&why);
}

/* order new: the CSR -------------------------------------------------- */

static void check_csr_names(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	int idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
	GENERAL_NAMES *names = idx >= 0 ? X509V3_EXT_d2i(X509v3_get_ext(exts, idx)) : NULL;

	check_int(names ? sk_GENERAL_NAME_num(names) : -1, 2, "CSR names each name once");
	GENERAL_NAMES_free(names);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	check_int(X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req), NID_commonName, -1) >= 0,
		  1, "CSR has the domain as CN");
}

static void test_csr(void)
{
	struct strbuf why = STRBUF_INIT;
	struct strbuf pem = STRBUF_INIT;
	struct strlist alt = STRLIST_INIT;
	X509_REQ *req = NULL;
	EVP_PKEY *pkey = key_generate("ec256", &why);
	BIO *bio;

	strlist_add(&alt, "example.com");
	strlist_add(&alt, "WWW.example.com");
	check_int(pkey ? csr_make_pem(pkey, "www.example.com", &alt, &pem, &why) : -1, 0, "CSR made");
	bio = BIO_new_mem_buf(pem.data ? pem.data : "", (int) pem.len);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	check_true(req && X509_REQ_verify(req, pkey) == 1, "CSR signed by the key");
	if (req)
		check_csr_names(req);
	X509_REQ_free(req);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	strlist_free(&alt);
	sb_free(&pem);
	sb_free(&why);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void) st;
	(void) type;
	(void) ftw;
	return remove(path);
}

/* test_missing_target_dir - an install into a directory that does not
 * exist fails cleanly: the rollback of "no previous file" is no error */

static void test_missing_target_dir(void)
{
	struct strbuf why = STRBUF_INIT;

	check_int(file_remove_durably(tpath("nodir/cert.pem"), &why), 0,
		  "removing a file whose directory does not exist is no error");
	check_str(sb_str(&why), "", "and says nothing");
	sb_free(&why);
}

static int setup(struct fixture *fx)
{
	static const char *const dirs[] = {"web", "grp", "t", "fw", "r", "own", "ra", NULL};
	const char *const *d;

	memset(fx, 0, sizeof(*fx));
	if (getcwd(cwd, sizeof(cwd)) == NULL || mkdtemp(tmp) == NULL) {
		printf("not ok - setup: cannot make a temporary directory\n");
		return -1;
	}
	for (d = dirs; *d; d++)
		make_dir(tpath(*d), 0755);
	if (write_config() < 0) {
		printf("not ok - setup: no ledger\n");
		return -1;
	}
	write_sendmail();
	if ((fx->cfg = load_config()) == NULL || (fx->book = open_store(fx->cfg, LEDGER_ROLE_BOOK)) == NULL
	    || (fx->view = open_store(fx->cfg, LEDGER_ROLE_INTAKE)) == NULL) {
		printf("not ok - setup: no configuration or ledger\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	struct fixture fx;

	if (setup(&fx) < 0)
		return 1;
	test_refusals(&fx);
	test_install_web(&fx);
	test_group_modes(&fx);
	test_missing_key(&fx);
	test_forward_only(&fx);
	test_failing_commands(&fx);
	test_after_crash(&fx);
	test_target_run_as(&fx);
	test_unsafe_state_dir(&fx);
	test_restore_masks(&fx);
	test_restore_owner(&fx);
	test_restore_foreign_manifest(&fx);
	test_restore_foreign_path(&fx);
	test_symlinked_dir(&fx);
	test_unsafe_dirs();
	test_unsafe_files();
	test_run_basics();
	test_run_timeout();
	test_run_environment();
	test_run_as();
	test_run_input();
	test_run_descriptors();
	test_compose();
	test_header_injection();
	test_mail_send();
	test_key_store();
	test_csr();
	test_missing_target_dir();
	ledger_close(fx.view);
	ledger_close(fx.book);
	config_free(fx.cfg);
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
