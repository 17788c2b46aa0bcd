/*
 * install.h - the installer: root, no network, no mail.
 *
 * What it takes from the network side is only "certificate X for order
 * N" (an install request of the intake's ledger), and that through an
 * unprivileged helper (install_requests.c): root never opens a file the
 * intake can write.  Everything else it derives again from what only root
 * can write: the order from the order book, the key from [installer]
 * key_dir by the order's key hash (key_store.c), the target from the
 * configuration.  One attempt (install_attempt.c): the key is loaded, the
 * certificate verified against it, the order's names and the trust store,
 * and it must be newer than what the order has installed; the target's
 * files are planned (install_plan.c), the previous ones kept in a backup
 * set under [installer] state_dir (backup_set.c), the new ones written
 * atomically without following links (file_write.c, safe_path.c), the
 * test and reload commands run with a clean environment as [target]
 * run_as (run_command.c); on failure the backup set is restored and the
 * server reloaded (install_target.c).  The outcome goes to the book, with
 * a retry later or not (install_job.c); the contact gets a confirmation
 * and the operator a failure notice (notify_mail.c).  installer_loop.c
 * runs it all once or as a daemon; install_lock.c keeps two installers of
 * one host apart; expiry.c watches what every target serves.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_INSTALL_H
#define MAILCERT_INSTALL_H


#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>

#include "config.h"
#include "ledger.h"
#include "run_command.h"
#include "strbuf.h"
#include "strlist.h"

/* Limits of the installer (the rest is [installer] configuration). */
#define INSTALL_EVENT_OUTPUT	1024	/* bytes of a command's output in an event */
#define INSTALL_MAX_FILE	(1024 * 1024)	/* bytes of a target file backed up */
#define INSTALL_BATCH		50	/* jobs handled per install_run_due() */
#define INSTALL_REQUESTS_BATCH	200	/* install requests taken per pass */
#define INSTALL_REQUEST_MAX	(256 * 1024)	/* bytes of one request's line */
#define INSTALL_KEY_MAX		(64 * 1024)	/* bytes of a key file */
#define INSTALLER_NAME_MAX	(256 + 4096 + 2)	/* HOST:CONFIGURATION */

/* Outcome of one attempt. */
#define INSTALL_DONE		0	/* installed (or already in place) */
#define INSTALL_RETRY		1	/* may work later: files, commands */
#define INSTALL_REFUSE		2	/* never will: the certificate is wrong */
#define INSTALL_NOT_CLAIMED	3	/* not due, or another installer has it */

/* What the files of a target hold, in a fixed order. */
enum install_role {
	ROLE_CERT = 0,			/* leaf */
	ROLE_CHAIN,			/* intermediates, issuer order, no root */
	ROLE_FULLCHAIN,			/* leaf + chain */
	ROLE_KEY,			/* the private key */
	ROLE_COMBINED,			/* key + leaf + chain */
	INSTALL_ROLES,
};

struct install_file {
	enum install_role role;
	const char *path;		/* from the target; not owned */
	struct strbuf content;
	mode_t  mode;
};

struct install_plan {
	struct install_file files[INSTALL_ROLES];
	size_t  count;
	uid_t   uid;			/* (uid_t) -1: leave as created */
	gid_t   gid;			/* (gid_t) -1: leave as created */
};

/* The files of a target as they were before an attempt wrote them. */
struct backup_entry {
	enum install_role role;
	char   *path;
	int     present;		/* 0: the file did not exist */
	struct strbuf content;
	mode_t  mode;
	uid_t   uid;
	gid_t   gid;
};

struct backup_set {
	char   *dir;			/* state_dir/backup/<target>/job-<id> */
	struct backup_entry entries[INSTALL_ROLES];
	size_t  count;
	int     reused;			/* left open by an attempt that died */
};

/* One attempt at one job, as the pieces below need to know it. */
struct install_run {
	struct ledger *ledger;		/* the book */
	const struct config *cfg;
	const struct target_config *target;
	long long order_id;
	long long job_id;
	int     attempt;
	time_t  now;
};

/* file_write.c */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      uid_t uid, gid_t gid, struct strbuf *why);
int file_read_bounded(const char *path, size_t max, struct strbuf *out, struct stat *st,
		      struct strbuf *why);
int file_remove_durably(const char *path, struct strbuf *why);
int dir_make_safe(const char *path, mode_t mode, struct strbuf *why);

/* install_plan.c */
int install_plan_make(const struct target_config *target, const char *key_pem,
		      const char *leaf_pem, const char *chain_pem, struct install_plan *plan,
		      struct strbuf *why);
int install_plan_in_place(const struct install_plan *plan);
void install_plan_free(struct install_plan *plan);
const char *install_role_name(enum install_role role);
int install_target_ids(const struct target_config *target, uid_t *uid, gid_t *gid,
		       struct strbuf *why);

/* backup_set.c */
int backup_set_open(const char *state_dir, const struct target_config *target, long long job_id,
		    const struct install_plan *plan, struct backup_set *set, struct strbuf *why);
int backup_set_restore(const struct backup_set *set, const struct install_plan *plan,
		       struct strbuf *why);
int backup_set_close(const struct backup_set *set, struct strbuf *why);
void backup_set_free(struct backup_set *set);

/* install_target.c */
int install_into_target(const struct install_run *run, const struct install_plan *plan,
			int *unchanged, struct strbuf *why);

/* key_store.c: [installer] key_dir/SHA256.key, root's */
EVP_PKEY *key_generate(const char *key_type, struct strbuf *why);
int key_store_add(const char *key_dir, EVP_PKEY *pkey, char sha256[65], char **path_out,
		  struct strbuf *why);
EVP_PKEY *key_store_load(const char *key_dir, const char *key_sha256, struct strbuf *why);
int private_key_pem(EVP_PKEY *pkey, struct strbuf *pem);
EVP_PKEY *key_read_file(const char *path, struct strbuf *why);

/* install_attempt.c */
struct install_outcome {
	char   *host_names;		/* "a, b" of the certificate, for the mail */
	char    sha256[65];		/* of the installed leaf */
	long long not_before;
	long long not_after;
	int     unchanged;		/* the files already held it: no reload */
};
int install_attempt(const struct install_run *run, const struct order *order,
		    const struct install_job *job, struct install_outcome *out, struct strbuf *why);
void install_outcome_clear(struct install_outcome *out);

/* install_requests.c: what the intake asks for, read by an unprivileged
 * helper, checked and added to the book as install jobs */
int install_take_requests(struct ledger *book, const struct config *cfg, const char *self,
			  int *added, struct strbuf *why);
int install_requests_export(struct ledger *intake, size_t max);

/* install_job.c */
int install_job_run(struct ledger *ledger, const struct config *cfg, long long job_id,
		    time_t now, long long *next_try);

/* notify_mail.c */
int install_notify(const struct order *order, const struct install_outcome *out,
		   const struct config *cfg, struct strbuf *why);
int install_compose_mail(const struct order *order, const struct install_outcome *out,
			 const char *host, struct strbuf *body, struct strbuf *subject);
int notify_operator_once(struct ledger *ledger, const struct config *cfg, const char *kind,
			 const char *ref, const char *subject, const char *body);

/* install_lock.c */
int install_lock_take(const struct config *cfg, int wait, struct strbuf *why);
void install_lock_release(int fd);

/* installer_loop.c */
int install_run_due(struct ledger *ledger, const struct config *cfg, time_t now,
		    int *failed, long long *next_due);
int install_watch(struct ledger *ledger, const struct config *cfg, const char *self);
int install_pending(struct ledger *ledger, const struct config *cfg, const char *self,
		    int *ran, int *failed);

/* expiry.c */
struct expiry_item {
	long long order_id;		/* 0: a target's file no order installed */
	const char *target;		/* NULL: not installed into a target */
	char    sha256[65];
	char   *names;
	char   *source;			/* "order 7", "target web (/etc/...)" */
	long long not_after;
	long long days_left;
	char   *contact;		/* who is told */
};
typedef int (*expiry_fn) (void *ctx, const struct expiry_item *item);
int expiry_each(struct ledger *ledger, const struct config *cfg, time_t now, expiry_fn fn,
		void *ctx);
int expiry_remind(struct ledger *ledger, const struct config *cfg, time_t now, int *sent);

/* csr.c */
int csr_make_pem(EVP_PKEY *pkey, const char *domain, const struct strlist *alt_names,
		 struct strbuf *pem, struct strbuf *why);

/* Who this installer is (install_job.c): its host; its name in the book,
 * HOST:CONFIGURATION (its heartbeat); the name it gives a lease,
 * HOST:CONFIGURATION:PID; and the prefix of the leases of every run of it,
 * HOST:CONFIGURATION: (one that holds the lock of its state_dir knows such
 * a lease was left by a run that died). */
const char *installer_host(void);
const char *installer_name(const struct config *cfg);
const char *installer_claimant(const struct config *cfg);
const char *installer_mine_prefix(const struct config *cfg);

#endif
