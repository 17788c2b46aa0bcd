/*
 * test_install - the installer below the command line: every refusal
 * leaves nothing written (wrong key, wrong name, no subjectAltName,
 * expired, not yet valid, untrusted chain), a chain received in the wrong
 * order is installed in issuer order without the root, file modes (0600
 * key, 0640 with group, 0644 certificates), a job runs once, the backup
 * set restores the previous files byte for byte when test_command or
 * reload_command fails (also one left open by an installer that died),
 * files already in place are not written again, run_command's output
 * bound and timeout, the confirmation mail and header injection, the new
 * key and CSR of "order new".  Uses the test PKI in tests/fixtures/pki.
 */
#define _GNU_SOURCE
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
#include "config.h"
#include "fingerprint.h"
#include "install.h"
#include "ledger.h"
#include "mymalloc.h"

#define PKI "tests/fixtures/pki/"

static char tmp[] = "/tmp/mailcert-test-install.XXXXXX";
static char cwd[1024];

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
	static char buf[4][600];
	static int next;
	char *out = buf[next++ % 4];

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

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void put(const char *path, const char *text, mode_t mode)
{
	struct strbuf why = STRBUF_INIT;

	if (file_write_atomic(path, text, strlen(text), mode, (uid_t) -1, (gid_t) -1, &why) < 0)
		printf("# put %s: %s\n", path, why.data);
	sb_free(&why);
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

/* pem_of - a fixture certificate as OpenSSL writes it */

static void pem_of(const char *name, struct strbuf *out)
{
	X509 *x = read_cert(path_in(PKI "%s", name));
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (x && PEM_write_bio_X509(bio, x) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0)
		sb_append(out, data, (size_t) len);
	X509_free(x);
	BIO_free(bio);
}

static void key_pem_of(const char *name, struct strbuf *out)
{
	struct strbuf why = STRBUF_INIT;
	EVP_PKEY *pkey = load_private_key(path_in(PKI "%s", name), &why);

	if (pkey)
		private_key_pem(pkey, out);
	EVP_PKEY_free(pkey);
	sb_free(&why);
}

static const char *group_name(void)
{
	struct group *gr = getgrgid(getgid());

	return gr ? gr->gr_name : "root";
}

static void write_config(void)
{
	FILE *fp = fopen(tpath("mailcert.conf"), "w");

	fprintf(fp, "[milter]\nauthserv_id = mx.example.net\n");
	fprintf(fp, "[ledger]\npath = %s/ledger.db\n", tmp);
	fprintf(fp, "[ca]\ntrust_store = %s/" PKI "root.crt\n", cwd);
	fprintf(fp, "[notify]\nsendmail = /bin/false\nfrom = mailcert@host.example\n");
	fprintf(fp, "[installer]\nkey_dir = %s/keys\nbackup_dir = %s/backup\n"
		"command_timeout = 5\nmax_attempts = 3\nretry_base = 1\n", tmp, tmp);
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
	fclose(fp);
}

/* add_order - an order for a fixture key; its id */

static long long add_order(struct ledger *ledger, const char *key, const char *target)
{
	struct strbuf why = STRBUF_INIT;
	struct order order;
	char sha[SHA256_HEX_LEN + 1] = "";
	char key_path[1200];
	EVP_PKEY *pkey = load_private_key(path_in(PKI "%s", key), &why);

	if (pkey)
		pkey_spki_sha256_hex(pkey, sha);
	EVP_PKEY_free(pkey);
	sb_free(&why);
	memset(&order, 0, sizeof(order));
	order.domain = (char *) "www.example.com";
	strlist_add(&order.alt_names, "example.com");
	order.ca = (char *) "sectigo";
	snprintf(key_path, sizeof(key_path), "%s/" PKI "%s", cwd, key);
	order.key_path = key_path;
	order.key_sha256 = sha;
	order.target = (char *) target;
	if (ledger_add_order(ledger, &order) < 0)
		printf("# %s\n", ledger_error(ledger));
	strlist_free(&order.alt_names);
	return order.id;
}

/* add_cert_job - a certificate (PEM of fixtures) for the order; the job id */

static long long add_cert_job(struct ledger *ledger, long long order_id, const char *leaf,
			      const char *const *chain)
{
	struct cert_record c;
	struct strbuf pem = STRBUF_INIT;
	struct strbuf chain_pem = STRBUF_INIT;
	X509 *x = read_cert(path_in(PKI "%s", leaf));
	char sha[SHA256_HEX_LEN + 1] = "";
	long long job = 0;
	int is_new;

	memset(&c, 0, sizeof(c));
	if (x)
		cert_sha256_hex(x, sha);
	pem_of(leaf, &pem);
	for (; chain && *chain; chain++)
		pem_of(*chain, &chain_pem);
	c.order_id = order_id;
	c.sha256 = xstrdup(sha);
	c.spki_sha256 = xstrdup("00");
	c.leaf_pem = sb_steal(&pem);
	c.chain_pem = sb_steal(&chain_pem);
	c.not_after = 2000000000;
	if (ledger_record_certificate(ledger, &c, &is_new) < 0
	    || ledger_set_order_state(ledger, order_id, ORDER_ISSUED, "test") < 0
	    || ledger_add_install_job(ledger, order_id, c.id, &job, &is_new) < 0)
		printf("# %s\n", ledger_error(ledger));
	cert_record_clear(&c);
	X509_free(x);
	return job;
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

static int run_job(struct ledger *ledger, const struct config *cfg, long long job)
{
	long long next = 0;
	time_t now = time(NULL);

	return install_job_run(ledger, cfg, job, now, (long long) now + 1, &next);
}

static const char *job_state(struct ledger *ledger, long long id)
{
	struct install_job job;
	const char *name = "none";

	if (ledger_get_install_job(ledger, id, &job) == 0)
		name = job_state_name(job.state);
	install_job_clear(&job);
	return name;
}

static const char *order_state(struct ledger *ledger, long long id)
{
	struct order order;
	const char *name = "none";

	if (ledger_get_order(ledger, id, &order) == 0)
		name = order_state_name(order.state);
	order_clear(&order);
	return name;
}

/* Refusals: nothing written --------------------------------------------- */

static void test_refusals(struct ledger *ledger, const struct config *cfg)
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
		order = add_order(ledger, "leaf-ec.key", "web");
		job = add_cert_job(ledger, order, cases[i].leaf, cases[i].chain);
		check_int(run_job(ledger, cfg, job), INSTALL_REFUSED, cases[i].name);
		snprintf(name, sizeof(name), "%s: nothing written", cases[i].name);
		check_true(!exists(tpath("web/cert.pem")) && !exists(tpath("web/key.pem"))
			   && !exists(tpath("web/chain.pem")) && !exists(tpath("web/fullchain.pem"))
			   && !exists(tpath("web/.cert.pem.mailcert-tmp")), name);
		snprintf(name, sizeof(name), "%s: nothing run", cases[i].name);
		check_true(!exists(tpath("web-reloaded")), name);
		snprintf(name, sizeof(name), "%s: job failed at once", cases[i].name);
		check_str(job_state(ledger, job), "failed", name);
		snprintf(name, sizeof(name), "%s: order install_failed", cases[i].name);
		check_str(order_state(ledger, order), "install_failed", name);
	}
}

/* The certificate installed: order of the chain, modes ------------------ */

static void test_install_web(struct ledger *ledger, const struct config *cfg)
{
	static const char *const wrong_order[] = {"root.crt", "inter1.crt", "inter2.crt", NULL};
	struct strbuf leaf = STRBUF_INIT;
	struct strbuf chain = STRBUF_INIT;
	struct strbuf full = STRBUF_INIT;
	struct strbuf key = STRBUF_INIT;
	char backup[1200];
	long long order = add_order(ledger, "leaf-ec.key", "web");
	long long job = add_cert_job(ledger, order, "www-ec.crt", wrong_order);

	pem_of("www-ec.crt", &leaf);
	pem_of("inter2.crt", &chain);
	pem_of("inter1.crt", &chain);
	sb_appends(&full, leaf.data);
	sb_appends(&full, chain.data);
	key_pem_of("leaf-ec.key", &key);
	check_int(run_job(ledger, cfg, job), INSTALL_DONE, "chain in the wrong order, with the root: installed");
	check_true(same_contents(tpath("web/cert.pem"), leaf.data), "cert holds the leaf");
	check_true(same_contents(tpath("web/chain.pem"), chain.data),
		   "chain holds the intermediates in issuer order, no root");
	check_true(same_contents(tpath("web/fullchain.pem"), full.data), "fullchain holds leaf and chain");
	check_true(same_contents(tpath("web/key.pem"), key.data), "key holds the order's private key");
	check_int(file_mode(tpath("web/key.pem")), 0600, "key mode 0600");
	check_int(file_mode(tpath("web/cert.pem")), 0644, "cert mode 0644");
	check_int(file_mode(tpath("web/chain.pem")), 0644, "chain mode 0644");
	check_int(file_mode(tpath("web/fullchain.pem")), 0644, "fullchain mode 0644");
	check_true(exists(tpath("web-reloaded")), "reload_command ran");
	check_str(job_state(ledger, job), "done", "job done");
	check_str(order_state(ledger, order), "installed", "order installed");
	snprintf(backup, sizeof(backup), "%s/backup/web/job-%lld/manifest.closed", tmp, job);
	check_true(exists(backup), "backup set kept, closed");
	unlink(tpath("web-reloaded"));
	check_int(run_job(ledger, cfg, job), INSTALL_NOT_CLAIMED, "a done job is not run again");
	check_true(!exists(tpath("web-reloaded")), "a done job reloads nothing");
	sb_free(&leaf);
	sb_free(&chain);
	sb_free(&full);
	sb_free(&key);
}

static void test_group_modes(struct ledger *ledger, const struct config *cfg)
{
	static const char *const chain[] = {"inter1.crt", NULL};
	struct stat st;
	long long order = add_order(ledger, "leaf-rsa.key", "grp");
	long long job = add_cert_job(ledger, order, "www-rsa.crt", chain);

	check_int(run_job(ledger, cfg, job), INSTALL_DONE, "target with group installed");
	check_int(file_mode(tpath("grp/key.pem")), 0640, "key mode 0640 with group");
	check_int(file_mode(tpath("grp/combined.pem")), 0640, "combined mode 0640 with group");
	check_int(file_mode(tpath("grp/fullchain.pem")), 0644, "fullchain 0644 with group");
	check_true(stat(tpath("grp/key.pem"), &st) == 0 && st.st_gid == getgid(), "key has the group");
	check_true(stat(tpath("grp/combined.pem"), &st) == 0 && st.st_size > 1000, "combined holds key and chain");
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

static int has_event(struct ledger *ledger, long long order, const char *kind, const char *text)
{
	struct event *events;
	size_t n;
	size_t i;
	int found = 0;

	if (ledger_list_events(ledger, order, &events, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(events[i].kind, kind) == 0 && strstr(events[i].detail, text))
			found = 1;
	events_free(events, n);
	return found;
}

static void test_rollback(struct ledger *ledger, const struct config *cfg)
{
	struct install_run run;
	struct strbuf why = STRBUF_INIT;
	struct install_plan plan;
	struct backup_set set;
	int unchanged;

	memset(&run, 0, sizeof(run));
	run.ledger = ledger;
	run.cfg = cfg;
	run.order_id = add_order(ledger, "leaf-ec.key", "t");
	run.attempt = 1;
	run.now = time(NULL);

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
	check_true(has_event(ledger, run.order_id, "install_command", "output: reload failed"),
		   "command output recorded in an event");

	old_files();
	check_int(install_plain(&run, "t", 1003, &unchanged, &why), INSTALL_DONE, "plain install done");
	check_true(same_contents(tpath("t/key.pem"), "NEW KEY\n")
		   && same_contents(tpath("t/fullchain.pem"), "NEW LEAF\nNEW CHAIN\n"), "plain install wrote");
	check_true(exists(tpath("t-reloaded")) && !unchanged, "plain install reloaded");
	unlink(tpath("t-reloaded"));
	check_int(install_plain(&run, "t", 1004, &unchanged, &why), INSTALL_DONE, "files in place: done");
	check_true(unchanged && !exists(tpath("t-reloaded")), "files in place: nothing written or run");

	/* An installer died after writing: the open backup set is the truth. */
	old_files();
	run.target = config_find_target(cfg, "failtest");
	install_plan_make(run.target, "NEW KEY\n", "NEW LEAF\n", "NEW CHAIN\n", &plan, &why);
	check_int(backup_set_open(cfg->backup_dir, "failtest", 1005, &plan, &set, &why), 0,
		  "backup set made");
	backup_set_free(&set);
	install_plan_free(&plan);
	put(tpath("t/fullchain.pem"), "NEW LEAF\nNEW CHAIN\n", 0644);
	put(tpath("t/key.pem"), "NEW KEY\n", 0600);
	check_int(install_plain(&run, "failtest", 1005, &unchanged, &why), INSTALL_RETRY,
		  "after a crash, failing test: not installed");
	check_true(old_files_intact(), "after a crash: the files before the crash restored");
	check_true(exists(tpath("t-reloaded")), "after a crash: reloaded, the dead one may have");
	old_files();
	put(tpath("t/fullchain.pem"), "NEW LEAF\nNEW CHAIN\n", 0644);
	put(tpath("t/key.pem"), "NEW KEY\n", 0600);
	run.target = config_find_target(cfg, "t");
	install_plan_make(run.target, "NEW KEY\n", "NEW LEAF\n", "NEW CHAIN\n", &plan, &why);
	backup_set_open(cfg->backup_dir, "t", 1006, &plan, &set, &why);
	backup_set_free(&set);
	install_plan_free(&plan);
	check_int(install_plain(&run, "t", 1006, &unchanged, &why), INSTALL_DONE,
		  "after a crash with the new files written: done");
	check_true(!unchanged && exists(tpath("t-reloaded")), "after a crash: reloaded even though in place");
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

static void test_run_command(void)
{
	struct strlist argv = STRLIST_INIT;
	struct command_result res;
	time_t start;
	long pid;

	strlist_add(&argv, "/bin/sh");
	strlist_add(&argv, "-c");
	strlist_add(&argv, "echo out; echo err >&2; exit 4");
	check_int(run_command(&argv, 5, &res), -1, "failing command fails");
	check_true(res.exited && res.exit_status == 4, "exit status reported");
	check_str(sb_str(&res.output), "out\nerr\n", "stdout and stderr captured");
	command_result_clear(&res);

	strlist_clear(&argv);
	strlist_add(&argv, "/bin/sh");
	strlist_add(&argv, "-c");
	strlist_add(&argv, "head -c 20000 /dev/zero");
	check_int(run_command(&argv, 5, &res), 0, "big output: exit 0");
	check_true(res.output.len == INSTALL_MAX_OUTPUT && res.dropped == 20000 - INSTALL_MAX_OUTPUT,
		   "output kept up to the bound, the rest counted");
	command_result_clear(&res);

	strlist_clear(&argv);
	strlist_add(&argv, "/bin/sh");
	strlist_add(&argv, "-c");
	strlist_add(&argv, "sleep 30 & echo $!; wait");
	start = time(NULL);
	check_int(run_command(&argv, 1, &res), -1, "command over its time fails");
	check_true(res.timed_out && time(NULL) - start < 5, "timeout kills it in time");
	pid = strtol(sb_str(&res.output), NULL, 10);
	usleep(100000);
	check_true(pid > 0 && !process_alive(pid), "the whole process group is killed");
	command_result_clear(&res);

	strlist_clear(&argv);
	strlist_add(&argv, "/nonexistent/program");
	check_int(run_command(&argv, 5, &res), -1, "missing program fails");
	check_true(res.start_failed, "missing program: could not be started");
	command_result_clear(&res);
	strlist_free(&argv);
}

/* The confirmation mail ------------------------------------------------- */

static void test_notify(void)
{
	static const struct {
		const char *contact;
		const char *domain;
		const char *host;
		const char *name;
	} bad[] = {
		{"ops@example.com\nBcc: victim@example.org", "www.example.com", "host1", "LF in the contact refused"},
		{"ops@example.com\r\nBcc: x@example.org", "www.example.com", "host1", "CRLF in the contact refused"},
		{"ops@example.com, victim@example.org", "www.example.com", "host1", "two contacts refused"},
		{"ops@example.com", "www.example.com\nBcc: x@example.org", "host1", "LF in the domain refused"},
		{"ops@example.com", "www.example.com", "host1\r\nBcc: x@example.org", "CRLF in the host refused"},
		{NULL, "www.example.com", "host1", "no contact refused"},
	};
	struct config *cfg = config_defaults();
	struct install_outcome out;
	struct order order;
	struct strbuf mail = STRBUF_INIT;
	struct strbuf why = STRBUF_INIT;
	size_t i;

	memset(&order, 0, sizeof(order));
	memset(&out, 0, sizeof(out));
	order.id = 7;
	order.target = (char *) "web";
	out.host_names = (char *) "www.example.com, example.com";
	strcpy(out.sha256, "ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01");
	out.not_after = 2019686400;	/* 2034-01-01 */
	order.contact = (char *) "ops@example.com";
	order.domain = (char *) "www.example.com";
	check_int(install_compose_mail(&order, &out, "host1.example.net", cfg, &mail, &why), 0, "mail composed");
	check_contains(mail.data, "\nTo: ops@example.com\n", "mail To: the contact");
	check_contains(mail.data, "\nSubject: [mailcert] certificate for www.example.com installed on host1.example.net\n",
		       "mail Subject: domain and host");
	check_contains(mail.data, "names:       www.example.com, example.com\n", "mail names the names");
	check_contains(mail.data, "expires:     2034-01-01 00:00:00 UTC\n", "mail says the expiry");
	check_contains(mail.data, "SHA-256:     ab01ab01", "mail gives the fingerprint");
	check_contains(mail.data, "AB:01:AB:01", "mail gives the fingerprint with colons");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sb_reset(&mail);
		sb_reset(&why);
		order.contact = (char *) bad[i].contact;
		order.domain = (char *) bad[i].domain;
		check_int(install_compose_mail(&order, &out, bad[i].host, cfg, &mail, &why), -1, bad[i].name);
		check_int((long long) mail.len, 0, bad[i].name);
	}
	sb_free(&mail);
	sb_free(&why);
	config_free(cfg);
}

/* order new: key and CSR ---------------------------------------------- */

static void test_key_and_csr(void)
{
	struct strbuf why = STRBUF_INIT;
	struct strbuf pem = STRBUF_INIT;
	struct strlist alt = STRLIST_INIT;
	GENERAL_NAMES *names;
	X509_REQ *req = NULL;
	EVP_PKEY *pkey;
	char *path1 = NULL;
	char *path2 = NULL;
	char *path3 = NULL;
	BIO *bio;

	pkey = key_generate("ec256", &why);
	check_true(pkey != NULL, "ec256 key generated");
	check_true(key_generate("dsa1024", &why) == NULL, "unknown key type refused");
	check_int(key_write_new(pkey, tpath("keys"), "www.example.com", 1700000000, &path1, &why), 0, "key written");
	check_str(path1, tpath("keys/www.example.com-20231114T221320Z.key"), "key file named after domain and time");
	check_int(file_mode(path1), 0600, "key file mode 0600");
	check_int(key_write_new(pkey, tpath("keys"), "www.example.com", 1700000000, &path2, &why), 0,
		  "second key in the same second written");
	check_str(path2, tpath("keys/www.example.com-20231114T221320Z-2.key"), "second key gets its own name");
	check_int(key_write_new(pkey, tpath("keys"), "../etc/passwd", 1700000000, &path3, &why), -1,
		  "key file name with a slash refused");
	strlist_add(&alt, "example.com");
	strlist_add(&alt, "WWW.example.com");
	check_int(csr_make_pem(pkey, "www.example.com", &alt, &pem, &why), 0, "CSR made");
	bio = BIO_new_mem_buf(pem.data, (int) pem.len);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	check_true(req && X509_REQ_verify(req, pkey) == 1, "CSR signed by the key");
	if (req) {
		STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
		int idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);

		names = idx >= 0 ? X509V3_EXT_d2i(X509v3_get_ext(exts, idx)) : NULL;
		check_int(names ? sk_GENERAL_NAME_num(names) : -1, 2, "CSR names each name once");
		GENERAL_NAMES_free(names);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		check_int(X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req), NID_commonName, -1) >= 0,
			  1, "CSR has the domain as CN");
	}
	X509_REQ_free(req);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	free(path1);
	free(path2);
	free(path3);
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

int main(void)
{
	struct ledger *ledger = NULL;
	struct strbuf err = STRBUF_INIT;
	struct config *cfg;

	if (getcwd(cwd, sizeof(cwd)) == NULL || mkdtemp(tmp) == NULL) {
		printf("not ok - setup: cannot make a temporary directory\n");
		return 1;
	}
	mkdir(tpath("web"), 0755);
	mkdir(tpath("grp"), 0755);
	mkdir(tpath("t"), 0755);
	write_config();
	cfg = load_config();
	if (cfg == NULL || ledger_open(cfg->ledger_path, 2000, &ledger, &err) < 0) {
		printf("not ok - setup: %s\n", sb_str(&err));
		return 1;
	}
	test_refusals(ledger, cfg);
	test_install_web(ledger, cfg);
	test_group_modes(ledger, cfg);
	test_rollback(ledger, cfg);
	test_run_command();
	test_notify();
	test_key_and_csr();
	test_missing_target_dir();
	ledger_close(ledger);
	config_free(cfg);
	sb_free(&err);
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
