/*
 * test_config - mailcert.conf: values, defaults and the errors an
 * operator sees (FILE:LINE: what is wrong).
 * SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

#define DIR "tests/fixtures/config/"

static void test_good_file(void)
{
	struct config *cfg = NULL;
	struct strbuf err = STRBUF_INIT;
	const struct target_config *web;
	const struct target_config *proxy;

	if (!check_int(config_load(DIR "good.conf", &cfg, &err), 0, "good.conf loads")) {
		printf("# %s\n", sb_str(&err));
		sb_free(&err);
		return;
	}
	check_str(cfg->milter_socket, "inet:8891@127.0.0.1", "socket");
	check_int((long long) cfg->max_message_size, 2 * 1024 * 1024, "max_message_size 2m");
	check_int((long long) cfg->watch_local_parts.count, 2, "two local parts");
	check_str(cfg->watch_local_parts.items[1], "hostmaster", "second local part");
	check_int((long long) cfg->watch_addresses.count, 2, "continuation line appends an address");
	check_str(cfg->watch_addresses.items[1], "certs@example.net", "continued address");
	check_str(cfg->authserv_id, "mx.example.net", "authserv_id");
	check_int(cfg->require_dkim, 1, "require_dkim");
	check_str(cfg->approve_mode, "manual", "approve mode");
	check_str(cfg->key_dir, "/etc/mailcert/keys", "installer key_dir default");
	web = config_find_target(cfg, "web");
	proxy = config_find_target(cfg, "proxy");
	check_true(web != NULL && proxy != NULL, "both targets found");
	if (web && proxy) {
		check_str(web->group, "www-data", "target group");
		check_int((long long) web->test_command.count, 3, "test_command split in three");
		check_str(web->test_command.items[2], "-q", "last word of test_command");
		check_true(web->test_command.items[3] == NULL, "argument vector NULL-terminated");
		check_str(proxy->reload_command.items[2], "haproxy.service", "quotes removed");
	}
	check_true(config_find_target(cfg, "nosuch") == NULL, "unknown target not found");
	config_free(cfg);
	sb_free(&err);
}

static void test_defaults(void)
{
	struct config *cfg = config_defaults();

	check_int((long long) cfg->watch_local_parts.count, 5, "five constructed approver mailboxes");
	check_true(strlist_contains_nocase(&cfg->watch_local_parts, "administrator"), "administrator watched");
	check_int(cfg->require_dkim, 1, "require_dkim defaults to yes");
	check_str(cfg->trust_store, "/etc/ssl/certs/ca-certificates.crt", "system trust store");
	check_str(cfg->approve_mode, "notify", "approve mode defaults to notify");
	check_str(cfg->on_error, "accept", "mail flows on internal error");
	config_free(cfg);
}

static const struct bad_case {
	const char *file;
	const char *want;			/* the message, after "FILE:" */
} bad_cases[] = {
	{"bad-socket.conf", "3: [milter] socket = /tmp/milter.sock: must be unix:/path"},
	{"bad-twice.conf", "6: [ledger] path is given twice"},
	{"bad-localpart.conf", "3: [milter] watch_local_parts = admin@example.com: takes local parts only"},
	{"bad-command.conf", "5: [target web] reload_command = nginx -s reload: must start with an absolute"},
	{"bad-size.conf", "3: [milter] max_message_size = 10 parsecs: must be a size"},
	{"bad-target-name.conf", "3: bad target name \"../etc\""},
	{"bad-target-dots.conf", "3: bad target name \"..\""},
	{"bad-syntax.conf", "3: syntax error"},
	{"bad-long-line.conf", "3: line longer than"},
	{"nonexistent.conf", " cannot open"},
};

static void test_bad_files(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct config *cfg = NULL;
		struct strbuf err = STRBUF_INIT;
		char want[512];
		char name[300];

		snprintf(want, sizeof(want), DIR "%s:%s", bad_cases[i].file, bad_cases[i].want);
		char path[256];

		snprintf(path, sizeof(path), DIR "%s", bad_cases[i].file);
		snprintf(name, sizeof(name), "%s is refused", bad_cases[i].file);
		check_int(config_load(path, &cfg, &err), -1, name);
		snprintf(name, sizeof(name), "%s names file, line and problem", bad_cases[i].file);
		check_contains(sb_str(&err), want, name);
		check_true(cfg == NULL, "nothing half-loaded");
		sb_free(&err);
	}
}

static void test_split_command(void)
{
	struct strlist argv = STRLIST_INIT;

	check_int(config_split_command("/bin/sh -c 'echo hi; rm -rf /'", &argv), 0, "split quoted");
	check_int((long long) argv.count, 3, "quoted words stay one argument");
	check_str(argv.items[2], "echo hi; rm -rf /", "no shell meaning given to ;");
	strlist_free(&argv);
	check_int(config_split_command("/bin/echo \"unbalanced", &argv), -1, "unbalanced quote refused");
	strlist_free(&argv);
	check_int(config_split_command("/bin/printf ''", &argv), 0, "empty quoted word");
	check_int((long long) argv.count, 2, "empty quoted word is an argument");
	strlist_free(&argv);
}

int main(void)
{
	test_good_file();
	test_defaults();
	test_bad_files();
	test_split_command();
	return check_done();
}
