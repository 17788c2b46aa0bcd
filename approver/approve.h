/*
 * approve.h - acting on a recorded approval link: notify, auto, manual.
 *
 * The milter records an approval (link, code, CA order number) and wakes
 * the worker; the worker, outside any SMTP session, does what the mode
 * says: mail the order's contact (notify), follow the link for the
 * operator (auto: https only, to hosts of the CA profile, never a reject
 * link), or nothing but the ledger (manual).  mailcert(1) "approvals",
 * "approve ID" and "approve ID --done" use the same functions.
 *
 * The approver is a process of its own, as its own user ([approve] user),
 * never root: it alone speaks HTTP to the CA and mails a person about an
 * approval.  It reads the order book and writes only the intake's ledger.
 *
 * Files: approver_loop.c (the daemon), approve_worker.c (the ledger side),
 * approve_auto.c (one auto attempt), approve_http.c (libcurl),
 * approve_url.c (which URLs may be requested), approve_page.c (what a page
 * says), approve_notify.c (the mails to a person), approve_profile.c (the
 * CA profile's description).
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_APPROVE_H
#define MAILCERT_APPROVE_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "ledger.h"
#include "pattern.h"
#include "strbuf.h"
#include "strlist.h"

struct parser;
struct ca_profile;

/* Limits of the approval worker (the rest is [approve] configuration). */
#define APPROVE_MAX_URL		2048	/* bytes of a link or Location */
#define APPROVE_MAX_REDIRECTS	5	/* hops, each checked like the link */
#define APPROVE_MAX_STATUS_LINE	200	/* bytes of "HTTP/1.1 500 ..." kept */
#define APPROVE_MAX_MAIL_LINE	900	/* a link longer than this is not mailed */
#define APPROVE_BATCH		50	/* approvals handled per approval_run_due() */

/* Outcome of one attempt. */
#define APPROVE_DONE		0	/* it worked */
#define APPROVE_RETRY		1	/* may work later: network, HTTP error */
#define APPROVE_REFUSED		2	/* will never work: policy or the CA said no */

enum approve_method {
	APPROVE_GET = 0,		/* request the link itself */
	APPROVE_FORM_POST,		/* post the form the link's page would */
};

/* What a CA profile says about acting on its approval links.  Nothing
 * here is owned: it points into the profile (see approve_profile.c). */
struct approve_action {
	const char *profile;		/* the profile's name, for messages */
	const char *mode;		/* the profile's override, or NULL */
	enum approve_method method;
	const char *post_path;		/* FORM_POST: path on the link's host */
	const char *order_field;	/* FORM_POST: field for the CA order */
	const char *code_field;		/* FORM_POST: field for the code */
	const struct strlist *fixed_fields;	/* FORM_POST: "name=value" */
	const struct strlist *link_hosts;	/* "host" (port 443) or "host:port" */
	const struct pattern_list *success;	/* on the page text, with limits */
	const struct pattern_list *failure;
	const struct ca_profile *ca;	/* its reject links: never requested */
};

/* A URL that passed approve_url_check(). */
struct approve_url {
	CURLU  *handle;			/* the normal form, parsed for curl */
	char   *text;			/* its normal form (url.c) */
	char   *host;			/* lower-case */
	int     port;			/* 443 unless given */
};

/* What came back from the CA's site. */
struct approve_response {
	long    status;			/* HTTP status of the last response, 0: none */
	char    status_line[APPROVE_MAX_STATUS_LINE + 1];
	struct strbuf body;		/* at most max_response bytes */
	char   *final_url;		/* the URL of the last response */
	int     hops;			/* redirects followed */
};

/* Limits and trust of one exchange, from [approve]. */
struct approve_http_options {
	const char *trust_store;	/* file or directory; NULL: the system's */
	long    timeout;		/* seconds for the whole exchange */
	size_t  max_response;		/* bytes of a body */
};

/* approve_url.c */
int approve_url_check(const char *url, const struct approve_action *action,
		      struct approve_url *out, struct strbuf *why);
/* approve_url_check() and the profile's approval link (not only a page of
 * the CA's host): for the recorded link itself. */
int approve_link_check(const char *url, const struct approve_action *action,
		       struct approve_url *out, struct strbuf *why);
int approve_url_derive(const struct approve_url *base, const char *path,
		       const struct approve_action *action, struct approve_url *out,
		       struct strbuf *why);
void approve_url_clear(struct approve_url *url);

/* approve_page.c */
int approve_patterns_match(const struct pattern_list *patterns, const char *text,
			   char *what, size_t what_len);
char *approve_page_text(const char *html, size_t len);

/* approve_http.c */
int approve_http_exchange(const struct approve_url *url, const char *post_body,
			  const struct approve_action *action,
			  const struct approve_http_options *opts,
			  struct approve_response *resp, struct strbuf *why);
void approve_response_clear(struct approve_response *resp);

/* approve_auto.c */
int approve_auto(const struct approve_action *action, const struct order *order,
		 const struct approval *approval, const struct config *cfg, struct strbuf *why);

/* approve_notify.c */
int approve_compose_notice(const struct order *order, const struct approval *approval,
			   struct strbuf *subject, struct strbuf *body, struct strbuf *why);
int approve_notify(const struct order *order, const struct approval *approval,
		   const struct config *cfg, struct strbuf *why);
/* The contact is told a CA order number only, to confirm or not. */
int approve_compose_confirmation(const struct order *order, const struct approval *approval,
				 struct strbuf *subject, struct strbuf *body, struct strbuf *why);
int approve_notify_confirmation(const struct order *order, const struct approval *approval,
				const struct config *cfg, struct strbuf *why);
int approve_notify_operator(const struct config *cfg, const char *subject, const char *body);

/* approve_profile.c */
int approve_action_for(const struct parser *parser, const char *ca, struct approve_action *action);

/* approve_worker.c */
int approval_run_due(struct ledger *ledger, const struct config *cfg,
		     const struct parser *parser, time_t now);
/* approver_loop.c: the daemon ("mailcert approver") */
int approver_watch(struct ledger *ledger, const struct config *cfg, const struct parser *parser);
int approval_perform_now(struct ledger *ledger, const struct config *cfg,
			 const struct parser *parser, long long order_id, time_t now,
			 struct strbuf *result);
int approval_mark_done(struct ledger *ledger, long long order_id, const char *who,
		       struct strbuf *result);
const char *approval_mode_for(const struct order *order, const struct approve_action *action,
			      const struct config *cfg);

#endif
