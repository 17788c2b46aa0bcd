/*
 * install.h - putting an issued certificate where the servers read it.
 *
 * An install job (one per certificate, added by the milter) is run by
 * "mailcert install --pending" or "--watch".  One attempt: the order's
 * private key is loaded, the certificate verified against it and the
 * trust store (verify.h), the target's files computed (install_plan.c),
 * the previous files kept as a backup set (backup_set.c), the new ones
 * written atomically (file_write.c), test_command and reload_command run
 * (run_command.c); on failure the backup set is restored and the server
 * reloaded again (install_target.c).  The outcome goes to the ledger,
 * with a retry later or not (install_job.c), and the contact gets a
 * confirmation mail (notify_mail.c).  installer_loop.c runs the due jobs
 * once or as a daemon woken by the milter; install_lock.c keeps two
 * installers from working at the same time.
 *
 * Files: install_job.c, install_attempt.c, install_target.c,
 * install_plan.c, backup_set.c, file_write.c, run_command.c,
 * notify_mail.c, install_lock.c, installer_loop.c; keys and CSRs for
 * "mailcert order new": keygen.c, csr.c.
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
#include "strbuf.h"
#include "strlist.h"

/* Limits of the installer (the rest is [installer] configuration). */
#define INSTALL_MAX_OUTPUT	8192	/* bytes of a command's output kept */
#define INSTALL_EVENT_OUTPUT	1024	/* bytes of it written to an event */
#define INSTALL_MAX_FILE	(1024 * 1024)	/* bytes of a target file backed up */
#define INSTALL_BATCH		50	/* jobs handled per install_run_due() */

/* Outcome of one attempt. */
#define INSTALL_DONE		0	/* installed (or already in place) */
#define INSTALL_RETRY		1	/* may work later: files, commands */
#define INSTALL_REFUSED		2	/* never will: the certificate is wrong */
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
	char   *dir;			/* backup_dir/<target>/job-<id> */
	struct backup_entry entries[INSTALL_ROLES];
	size_t  count;
	int     reused;			/* left open by an attempt that died */
};

/* What a finished command did. */
struct command_result {
	int     exited;			/* exited normally with exit_status */
	int     exit_status;
	int     signal;			/* killed by this signal, else 0 */
	int     timed_out;		/* killed by us after the timeout */
	int     start_failed;		/* fork, pipe or exec failed */
	struct strbuf output;		/* stdout and stderr, at most INSTALL_MAX_OUTPUT */
	size_t  dropped;		/* output bytes beyond that */
};

/* One attempt at one job, as the pieces below need to know it. */
struct install_run {
	struct ledger *ledger;
	const struct config *cfg;
	const struct target_config *target;
	long long order_id;
	long long job_id;
	int     attempt;
	time_t  now;
};

/* run_command.c */
int run_command(const struct strlist *argv, int timeout, struct command_result *res);
void command_result_describe(const struct command_result *res, struct strbuf *text);
void command_result_clear(struct command_result *res);

/* file_write.c */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      uid_t uid, gid_t gid, struct strbuf *why);
int file_read_bounded(const char *path, size_t max, struct strbuf *out, struct stat *st,
		      struct strbuf *why);
int file_remove_durably(const char *path, struct strbuf *why);
int dir_make(const char *path, mode_t mode, struct strbuf *why);
int dir_fsync(const char *dir, struct strbuf *why);

/* install_plan.c */
int install_plan_make(const struct target_config *target, const char *key_pem,
		      const char *leaf_pem, const char *chain_pem, struct install_plan *plan,
		      struct strbuf *why);
int install_plan_in_place(const struct install_plan *plan);
void install_plan_free(struct install_plan *plan);
const char *install_role_name(enum install_role role);

/* backup_set.c */
int backup_set_open(const char *backup_dir, const char *target, long long job_id,
		    const struct install_plan *plan, struct backup_set *set, struct strbuf *why);
int backup_set_restore(const struct backup_set *set, struct strbuf *why);
int backup_set_close(const struct backup_set *set, struct strbuf *why);
void backup_set_free(struct backup_set *set);

/* install_target.c */
int install_into_target(const struct install_run *run, const struct install_plan *plan,
			int *unchanged, struct strbuf *why);

/* install_attempt.c */
struct install_outcome {
	char   *host_names;		/* "a, b" of the certificate, for the mail */
	char    sha256[65];		/* of the installed leaf */
	long long not_after;
	int     unchanged;		/* the files already held it: no reload */
};
int install_attempt(const struct install_run *run, const struct order *order,
		    const struct cert_record *cert, struct install_outcome *out, struct strbuf *why);
void install_outcome_clear(struct install_outcome *out);
int private_key_pem(EVP_PKEY *pkey, struct strbuf *pem);

/* install_job.c */
int install_job_run(struct ledger *ledger, const struct config *cfg, long long job_id,
		    time_t now, long long stale_before, long long *next_try);

/* notify_mail.c */
int install_compose_mail(const struct order *order, const struct install_outcome *out,
			 const char *host, const struct config *cfg, struct strbuf *mail,
			 struct strbuf *why);
int install_notify(const struct order *order, const struct install_outcome *out,
		   const struct config *cfg, struct strbuf *why);

/* install_lock.c */
int install_lock_take(const struct config *cfg, int wait, struct strbuf *why);
void install_lock_release(int fd);

/* installer_loop.c */
int install_run_due(struct ledger *ledger, const struct config *cfg, time_t now,
		    int *failed, long long *next_due);
struct parser;
int install_watch(struct ledger *ledger, const struct config *cfg, const struct parser *parser);

/* keygen.c */
EVP_PKEY *key_generate(const char *key_type, struct strbuf *why);
int key_write_new(EVP_PKEY *pkey, const char *key_dir, const char *stem, time_t now,
		  char **path_out, struct strbuf *why);

/* csr.c */
int csr_make_pem(EVP_PKEY *pkey, const char *domain, const struct strlist *alt_names,
		 struct strbuf *pem, struct strbuf *why);

#endif
