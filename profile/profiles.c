/*
 * NAME
 *	profiles - load and compile the CA profiles
 * SYNOPSIS
 *	#include "profiles.h"
 *
 *	int profile_set_load(struct profile_set *set, const char *dir,
 *			     struct strbuf *err)
 *	struct ca_profile *profile_parse(const char *text, const char *origin,
 *					 struct strbuf *err)
 *	const struct ca_profile *profile_set_find(const struct profile_set *set,
 *						  const char *name)
 *	void profile_set_free(struct profile_set *set)
 *	void profile_free(struct ca_profile *profile)
 * DESCRIPTION
 *	A profile is an INI file read with libinih; profile_keys[] below is
 *	the whole of what it may say.  Lines are at most PROFILE_MAX_LINE
 *	characters (libinih's limit): a long pattern continues on indented
 *	lines, which are appended to it as they are (leading and trailing
 *	white space dropped, so write \s or [ ] where a space is meant, and
 *	never " ;", which starts a comment).  A key of a list (domains, hosts,
 *	fields) or of patterns may be given again: each pattern line is one
 *	more pattern, tried in order.
 *
 *	profile_parse() builds one profile from the text of a file and
 *	compiles its patterns.  An unknown section or key, a bad value, a
 *	pattern that does not compile, or a missing required key makes it
 *	return NULL with "ORIGIN:LINE: what is wrong" in err.
 *
 *	profile_set_load() loads the built-in profiles (tools/embed), then
 *	every *.conf file of dir in name order: a profile whose name is
 *	already loaded from the built-ins replaces it; two files of dir with
 *	the same name are an error.  A file that says "extends = NAME"
 *	instead of "name = NAME" adds its lines to that profile, after every
 *	file of its own name was read (a reseller's
 *	sender, a link host, a pattern the CA's new template needs), without
 *	a copy of the rest: lists and patterns only, since a value of
 *	[approve] (mode, method, post_path, fields) would replace the
 *	profile's, which is a profile of its own.  On error set is left empty.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <arpa/inet.h>

#include <ini.h>

#include "builtin_profiles.h"
#include "mymalloc.h"
#include "names.h"
#include "parse_error.h"
#include "profiles.h"

#define PROFILE_MAX_LINE	197	/* INI_MAX_LINE of libinih, less CR LF NUL */

enum profile_key_type {
	PK_NAME,			/* [a-z0-9_-], the verdict's ca */
	PK_DOMAINS,			/* domain names */
	PK_HOSTS,			/* host or host:port */
	PK_PATTERNS,			/* PCRE2 patterns, one per line */
	PK_MODE,			/* notify | auto | manual */
	PK_METHOD,			/* get | form_post */
	PK_PATH,			/* an absolute URL path */
	PK_FIELDS,			/* form fields: name={order} name={code} name=value */
	PK_PARAMS,			/* query parameter names */
};

struct profile_key {
	const char *section;
	const char *name;
	enum profile_key_type type;
	size_t  offset;			/* into struct ca_profile */
};

#define PF(field) offsetof(struct ca_profile, field)

static const struct profile_key profile_keys[] = {
	{"profile", "name", PK_NAME, PF(name)},
	{"profile", "extends", PK_NAME, PF(extends)},
	{"profile", "senders", PK_DOMAINS, PF(senders)},
	{"profile", "dkim_domains", PK_DOMAINS, PF(dkim_domains)},
	{"profile", "link_hosts", PK_HOSTS, PF(link_hosts)},
	{"match", "subject", PK_PATTERNS, PF(subject)},
	{"match", "body", PK_PATTERNS, PF(body)},
	{"match", "decline", PK_PATTERNS, PF(decline)},
	{"match", "notice", PK_PATTERNS, PF(notice)},
	{"links", "approval", PK_PATTERNS, PF(approval_link)},
	{"links", "reject", PK_PATTERNS, PF(reject_link)},
	{"links", "approval_params", PK_PARAMS, PF(approval_params)},
	{"links", "presentation_params", PK_PARAMS, PF(presentation_params)},
	{"extract", "code", PK_PATTERNS, PF(code)},
	{"extract", "order_number", PK_PATTERNS, PF(order_number)},
	{"extract", "domain", PK_PATTERNS, PF(domain)},
	{"approve", "mode", PK_MODE, PF(approve_mode)},
	{"approve", "method", PK_METHOD, PF(approve_method)},
	{"approve", "post_path", PK_PATH, PF(approve_post_path)},
	{"approve", "fields", PK_FIELDS, 0},
	{"approve", "success", PK_PATTERNS, PF(approve_success)},
	{"approve", "failure", PK_PATTERNS, PF(approve_failure)},
	{NULL, NULL, 0, 0},
};

/* What one parse of one profile file needs to know. */
struct profile_parse {
	const char *next;		/* the reader's position in the text */
	int     line;			/* the line the reader last returned */
	int     continuation;		/* that line is indented: a continuation */
	int     line_too_long;		/* the first line that was too long, or 0 */
	struct ca_profile *profile;
	struct strlist seen;		/* "section.key" given so far */
	int     name_line;
	struct parse_error error;	/* "ORIGIN:LINE: what", the first only */
};

static const struct profile_key *find_key(const char *section, const char *name)
{
	const struct profile_key *key;

	for (key = profile_keys; key->name; key++)
		if (strcasecmp(key->section, section) == 0 && strcasecmp(key->name, name) == 0)
			return key;
	return NULL;
}

static int known_section(const char *section)
{
	const struct profile_key *key;

	for (key = profile_keys; key->name; key++)
		if (strcasecmp(key->section, section) == 0)
			return 1;
	return 0;
}

static int valid_profile_name(const char *name)
{
	const char *p;

	if (*name == 0 || strlen(name) > 32)
		return 0;
	for (p = name; *p; p++)
		if (!islower((unsigned char) *p) && !isdigit((unsigned char) *p) && !strchr("-_", *p))
			return 0;
	return 1;
}

/* valid_link_host - a DNS name, or an IPv4 address (for a test profile
 * naming 127.0.0.1:PORT; see tests/t-approve.sh) */

static int valid_link_host(const char *host)
{
	struct in_addr addr;

	return valid_domain_name(host, 0) || inet_pton(AF_INET, host, &addr) == 1;
}

/* valid_host_port - "host" or "host:port", the host a DNS name or IPv4 */

static int valid_host_port(const char *word)
{
	const char *colon = strchr(word, ':');
	char    host[256];
	char   *end;
	long    port;

	if (colon == NULL)
		return valid_link_host(word);
	if ((size_t) (colon - word) >= sizeof(host))
		return 0;
	memcpy(host, word, (size_t) (colon - word));
	host[colon - word] = 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || errno || port < 1 || port > 65535)
		return 0;
	return valid_link_host(host);
}

/* store_words - domains or hosts, separated by white space or commas */

static const char *store_words(struct strlist *list, const char *value, int hosts)
{
	char   *copy = xstrdup(value);
	char   *word;
	char   *save = NULL;
	char   *p;
	const char *problem = NULL;

	for (word = strtok_r(copy, " \t,", &save); word && !problem;
	     word = strtok_r(NULL, " \t,", &save)) {
		for (p = word; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		if (hosts ? !valid_host_port(word) : !valid_domain_name(word, 0))
			problem = hosts ? "not a host name (or host:port)" : "not a domain name";
		else if (!strlist_contains_nocase(list, word))
			strlist_add(list, word);
	}
	free(copy);
	return problem;
}

static int valid_field_name(const char *name, size_t len);

/* store_params - query parameter names, separated by white space or commas */

static const char *store_params(struct strlist *list, const char *value)
{
	char   *copy = xstrdup(value);
	char   *word;
	char   *save = NULL;
	const char *problem = NULL;

	for (word = strtok_r(copy, " \t,", &save); word && !problem;
	     word = strtok_r(NULL, " \t,", &save)) {
		if (!valid_field_name(word, strlen(word)))
			problem = "not a parameter name (letters, digits, - _ .)";
		else if (!strlist_contains_nocase(list, word))
			strlist_add(list, word);
	}
	free(copy);
	return problem;
}

static int valid_field_name(const char *name, size_t len)
{
	size_t  i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char) name[i]) && !strchr("-_.", name[i]))
			return 0;
	return 1;
}

/* store_field - name={order}, name={code} or name=value */

static const char *store_field(struct ca_profile *profile, const char *word)
{
	const char *eq = strchr(word, '=');
	const char *value;
	char  **slot = NULL;

	if (eq == NULL || !valid_field_name(word, (size_t) (eq - word)))
		return "a field is name={order}, name={code} or name=value";
	value = eq + 1;
	if (strcmp(value, "{order}") == 0)
		slot = &profile->approve_order_field;
	else if (strcmp(value, "{code}") == 0)
		slot = &profile->approve_code_field;
	else if (strchr(value, '{') || strchr(value, '}') || strchr(value, '&'))
		return "a fixed field value may not hold { } or &";
	if (slot == NULL) {
		strlist_add(&profile->approve_fixed_fields, word);
		return NULL;
	}
	if (*slot)
		return "{order} or {code} given twice";
	*slot = xstrndup(word, (size_t) (eq - word));
	return NULL;
}

static const char *store_fields(struct ca_profile *profile, const char *value)
{
	char   *copy = xstrdup(value);
	char   *word;
	char   *save = NULL;
	const char *problem = NULL;

	for (word = strtok_r(copy, " \t", &save); word && !problem; word = strtok_r(NULL, " \t", &save))
		problem = store_field(profile, word);
	free(copy);
	return problem;
}

static const char *store_path(char **slot, const char *value)
{
	const char *p;

	if (value[0] != '/' || value[1] == '/')
		return "not an absolute path";
	for (p = value; *p; p++)
		if (!isgraph((unsigned char) *p) || *p == '\\')
			return "a path is printable ASCII without spaces or backslashes";
	*slot = xstrdup(value);
	return NULL;
}

static const char *store_scalar(const struct profile_key *key, void *field, const char *value)
{
	static const char *modes[] = {"notify", "auto", "manual", NULL};
	int     i;

	switch (key->type) {
	case PK_NAME:
		if (!valid_profile_name(value))
			return "a profile name is lower-case letters, digits, - and _ (at most 32)";
		*(char **) field = xstrdup(value);
		return NULL;
	case PK_MODE:
		for (i = 0; modes[i]; i++)
			if (strcmp(value, modes[i]) == 0)
				return (*(char **) field = xstrdup(value)), NULL;
		return "expected notify, auto or manual";
	case PK_METHOD:
		if (strcmp(value, "get") == 0)
			*(enum profile_approve_method *) field = PROFILE_APPROVE_GET;
		else if (strcmp(value, "form_post") == 0)
			*(enum profile_approve_method *) field = PROFILE_APPROVE_FORM_POST;
		else
			return "expected get or form_post";
		return NULL;
	case PK_PATH:
		return store_path((char **) field, value);
	default:
		return "internal error: not a scalar";
	}
}

static int is_list_type(enum profile_key_type type)
{
	return type == PK_DOMAINS || type == PK_HOSTS || type == PK_PATTERNS || type == PK_FIELDS
	    || type == PK_PARAMS;
}

/* store_value - one key = value line, or an indented continuation of it */

static const char *store_value(struct profile_parse *pp, const struct profile_key *key,
			       const char *value)
{
	void   *field = (char *) pp->profile + key->offset;

	if (*value == 0)
		return "empty value";
	switch (key->type) {
	case PK_DOMAINS:
		return store_words(field, value, 0);
	case PK_HOSTS:
		return store_words(field, value, 1);
	case PK_FIELDS:
		return store_fields(pp->profile, value);
	case PK_PARAMS:
		return store_params(field, value);
	case PK_PATTERNS:
		if (pp->continuation)
			pattern_list_extend(field, value);
		else
			pattern_list_add(field, value, pp->line);
		return NULL;
	default:
		if (pp->continuation)
			return "this key takes one line";
		return store_scalar(key, field, value);
	}
}

static int profile_handler(void *user, const char *section, const char *name, const char *value)
{
	struct profile_parse *pp = user;
	const struct profile_key *key;
	const char *problem;
	char    seen_key[128];

	if (pp->error.failed)
		return 0;
	if (pp->line_too_long)
		return parse_error_set(&pp->error, pp->line_too_long, "line longer than %d characters "
				       "(continue a pattern on an indented line)", PROFILE_MAX_LINE);
	if (!known_section(section))
		return parse_error_set(&pp->error, pp->line, "unknown section [%s]", section);
	if ((key = find_key(section, name)) == NULL)
		return parse_error_set(&pp->error, pp->line, "unknown key \"%s\" in [%s]", name, section);
	snprintf(seen_key, sizeof(seen_key), "%s.%s", key->section, key->name);
	if (!pp->continuation && strlist_contains_nocase(&pp->seen, seen_key)
	    && !is_list_type(key->type))
		return parse_error_set(&pp->error, pp->line, "[%s] %s is given twice", section, name);
	strlist_add(&pp->seen, seen_key);
	if (key->type == PK_NAME)
		pp->name_line = pp->line;
	if ((problem = store_value(pp, key, value)) != NULL)
		return parse_error_set(&pp->error, pp->line, "[%s] %s = %s: %s",
				       section, name, value, problem);
	return 1;
}

/* profile_reader - fgets() over the text for libinih, counting lines and
 * noting indented (continuation) lines */

static char *profile_reader(char *str, int num, void *stream)
{
	struct profile_parse *pp = stream;
	const char *end;
	size_t  len;
	size_t  copy;
	size_t  indent;

	if (*pp->next == 0)
		return NULL;
	end = strchr(pp->next, '\n');
	len = end ? (size_t) (end - pp->next) + 1 : strlen(pp->next);
	copy = len < (size_t) num - 1 ? len : (size_t) num - 1;
	memcpy(str, pp->next, copy);
	str[copy] = 0;
	pp->line++;
	if (len - (end ? 1 : 0) > PROFILE_MAX_LINE && pp->line_too_long == 0)
		pp->line_too_long = pp->line;
	indent = strspn(pp->next, " \t");
	pp->continuation = indent > 0 && indent < len && !strchr(";#\r\n", pp->next[indent]);
	pp->next += len;
	return str;
}

/* profile_check - what a whole profile needs, once every line is read */

static int profile_check(struct profile_parse *pp)
{
	struct ca_profile *p = pp->profile;
	static const char *const replacing[] = {"approve.mode", "approve.method", "approve.post_path",
		"approve.fields", NULL};
	int     i;

	if (p->extends && p->name)
		return parse_error_set(&pp->error, pp->name_line, "[profile] give name (a profile of its own) "
				       "or extends (lines added to one), not both");
	if (p->extends) {
		for (i = 0; replacing[i]; i++)
			if (strlist_contains_nocase(&pp->seen, replacing[i]))
				return parse_error_set(&pp->error, pp->line, "[%s] of an extension would "
						       "replace %s's: copy the profile and give it name = instead",
						       replacing[i], p->extends);
		if (p->dkim_domains.count == 0)
			strlist_copy(&p->dkim_domains, &p->senders);
		return 1;
	}
	if (p->name == NULL)
		return parse_error_set(&pp->error, pp->line, "[profile] name is required (or extends, to add to a profile)");
	if (p->senders.count == 0 && p->link_hosts.count == 0)
		return parse_error_set(&pp->error, pp->line, "[profile] needs senders or link_hosts");
	if (p->approval_link.sources.count && p->link_hosts.count == 0)
		return parse_error_set(&pp->error, pp->line, "[links] approval needs [profile] link_hosts");
	if (p->approve_method == PROFILE_APPROVE_FORM_POST && p->approve_post_path == NULL)
		return parse_error_set(&pp->error, pp->line, "[approve] method = form_post needs post_path");
	if (p->approve_method == PROFILE_APPROVE_FORM_POST && p->approve_code_field == NULL
	    && p->approve_order_field == NULL)
		return parse_error_set(&pp->error, pp->line,
				       "[approve] method = form_post needs fields with {order} or {code}");
	if (p->dkim_domains.count == 0)
		strlist_copy(&p->dkim_domains, &p->senders);
	return 1;
}

static int profile_compile(struct ca_profile *p, const char *origin, struct strbuf *err)
{
	struct pattern_list *lists[] = {
		&p->subject, &p->body, &p->decline, &p->notice, &p->approval_link,
		&p->reject_link, &p->code, &p->order_number, &p->domain,
		&p->approve_success, &p->approve_failure,
	};
	size_t  i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (pattern_list_compile(lists[i], origin, err) < 0)
			return -1;
	return 0;
}

struct ca_profile *profile_parse(const char *text, const char *origin, struct strbuf *err)
{
	struct profile_parse pp;
	int     rc;

	memset(&pp, 0, sizeof(pp));
	pp.error.origin = origin;
	pp.next = text;
	pp.error.err = err;
	pp.profile = xcalloc(1, sizeof(*pp.profile));
	pp.profile->origin = xstrdup(origin);
	rc = ini_parse_stream(profile_reader, &pp, profile_handler, &pp);
	if (rc > 0 && !pp.error.failed)
		parse_error_set(&pp.error, rc,
				"syntax error (expected [section], key = value or an indented continuation)");
	else if (rc < 0 && !pp.error.failed)
		parse_error_set(&pp.error, 0, "cannot parse (out of memory)");
	if (pp.line_too_long && !pp.error.failed)
		parse_error_set(&pp.error, pp.line_too_long, "line longer than %d characters", PROFILE_MAX_LINE);
	if (!pp.error.failed)
		profile_check(&pp);
	if (!pp.error.failed && profile_compile(pp.profile, origin, err) < 0)
		pp.error.failed = 1;
	strlist_free(&pp.seen);
	if (pp.error.failed) {
		profile_free(pp.profile);
		return NULL;
	}
	return pp.profile;
}

void profile_free(struct ca_profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->origin);
	free(p->extends);
	strlist_free(&p->senders);
	strlist_free(&p->dkim_domains);
	strlist_free(&p->link_hosts);
	strlist_free(&p->approval_params);
	strlist_free(&p->presentation_params);
	pattern_list_free(&p->subject);
	pattern_list_free(&p->body);
	pattern_list_free(&p->decline);
	pattern_list_free(&p->notice);
	pattern_list_free(&p->approval_link);
	pattern_list_free(&p->reject_link);
	pattern_list_free(&p->code);
	pattern_list_free(&p->order_number);
	pattern_list_free(&p->domain);
	free(p->approve_mode);
	free(p->approve_post_path);
	free(p->approve_order_field);
	free(p->approve_code_field);
	strlist_free(&p->approve_fixed_fields);
	pattern_list_free(&p->approve_success);
	pattern_list_free(&p->approve_failure);
	free(p);
}

static ssize_t set_index(const struct profile_set *set, const char *name)
{
	size_t  i;

	for (i = 0; i < set->count; i++)
		if (strcmp(set->items[i]->name, name) == 0)
			return (ssize_t) i;
	return -1;
}

const struct ca_profile *profile_set_find(const struct profile_set *set, const char *name)
{
	ssize_t i;

	if (name == NULL || (i = set_index(set, name)) < 0)
		return NULL;
	return set->items[i];
}

/* set_put - add p, or replace the profile of the same name */

static int set_put(struct profile_set *set, struct ca_profile *p, struct strbuf *err)
{
	ssize_t i = set_index(set, p->name);

	if (i >= 0) {
		profile_free(set->items[i]);
		set->items[i] = p;
		return 0;
	}
	if (set->count >= PROFILE_MAX_COUNT) {
		sb_appendf(err, "%s: more than %d profiles", p->origin, PROFILE_MAX_COUNT);
		profile_free(p);
		return -1;
	}
	set->items = xrealloc(set->items, (set->count + 1) * sizeof(*set->items));
	set->items[set->count++] = p;
	return 0;
}

/* put_once - set_put(), but a name given twice at one level is an error */

static int put_once(struct profile_set *set, struct ca_profile *p, struct strlist *level,
		    struct strbuf *err)
{
	const struct ca_profile *other;

	if (strlist_contains_nocase(level, p->name)) {
		other = profile_set_find(set, p->name);
		sb_appendf(err, "%s: profile \"%s\" is also defined in %s", p->origin, p->name,
			   other ? other->origin : "another file");
		profile_free(p);
		return -1;
	}
	strlist_add(level, p->name);
	return set_put(set, p, err);
}

static int load_builtins(struct profile_set *set, struct strbuf *err)
{
	struct strlist level = STRLIST_INIT;
	struct ca_profile *p;
	char    origin[256];
	unsigned i;
	int     rc = 0;

	for (i = 0; i < builtin_profile_count && rc == 0; i++) {
		snprintf(origin, sizeof(origin), "builtin/%s", builtin_profiles[i].name);
		if ((p = profile_parse(builtin_profiles[i].text, origin, err)) == NULL)
			rc = -1;
		else
			rc = put_once(set, p, &level, err);
	}
	strlist_free(&level);
	return rc;
}

/* read_profile_file - the whole text of a file, bounded, without NULs */

static char *read_profile_file(const char *path, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	char    buf[8192];
	size_t  n;
	FILE   *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		sb_appendf(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 && text.len <= PROFILE_MAX_FILE)
		sb_append(&text, buf, n);
	if (ferror(fp) || text.len > PROFILE_MAX_FILE || (text.len && memchr(text.data, 0, text.len))) {
		sb_appendf(err, "%s: %s", path, ferror(fp) ? strerror(errno)
			   : text.len > PROFILE_MAX_FILE ? "file too large" : "file holds NUL bytes");
		fclose(fp);
		sb_free(&text);
		return NULL;
	}
	fclose(fp);
	if (text.data == NULL)
		sb_appends(&text, "");
	return sb_steal(&text);
}

static int is_profile_file(const char *name)
{
	size_t  len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int list_profile_files(const char *dir, struct strlist *names, struct strbuf *err)
{
	struct dirent *entry;
	DIR    *dp;

	if ((dp = opendir(dir)) == NULL) {
		sb_appendf(err, "%s: cannot open the profile directory: %s", dir, strerror(errno));
		return -1;
	}
	while ((entry = readdir(dp)) != NULL)
		if (is_profile_file(entry->d_name))
			strlist_add(names, entry->d_name);
	closedir(dp);
	if (names->count)
		qsort(names->items, names->count, sizeof(char *), compare_names);
	return 0;
}

/* add_words, add_patterns - an extension's lines after the profile's */

static void add_words(struct strlist *to, const struct strlist *more)
{
	size_t  i;

	for (i = 0; i < more->count; i++)
		if (!strlist_contains_nocase(to, more->items[i]))
			strlist_add(to, more->items[i]);
}

static int add_patterns(struct pattern_list *to, const struct pattern_list *more, const char *origin,
			struct strbuf *err)
{
	size_t  i;

	for (i = 0; i < more->sources.count; i++)
		pattern_list_add_from(to, more->sources.items[i], more->lines[i], origin);
	return pattern_list_compile(to, origin, err);
}

/* profile_extend - ext's lists and patterns added to the profile it names */

static int profile_extend(struct profile_set *set, struct ca_profile *ext, struct strbuf *err)
{
	struct ca_profile *p;
	ssize_t i = set_index(set, ext->extends);
	char   *origin;
	int     rc = 0;

	if (i < 0) {
		sb_appendf(err, "%s: extends %s: no such profile (built in, or in an earlier file)",
			   ext->origin, ext->extends);
		return -1;
	}
	p = set->items[i];
	add_words(&p->senders, &ext->senders);
	add_words(&p->dkim_domains, &ext->dkim_domains);
	add_words(&p->link_hosts, &ext->link_hosts);
	add_words(&p->approval_params, &ext->approval_params);
	add_words(&p->presentation_params, &ext->presentation_params);
	rc |= add_patterns(&p->subject, &ext->subject, ext->origin, err);
	rc |= add_patterns(&p->body, &ext->body, ext->origin, err);
	rc |= add_patterns(&p->decline, &ext->decline, ext->origin, err);
	rc |= add_patterns(&p->notice, &ext->notice, ext->origin, err);
	rc |= add_patterns(&p->approval_link, &ext->approval_link, ext->origin, err);
	rc |= add_patterns(&p->reject_link, &ext->reject_link, ext->origin, err);
	rc |= add_patterns(&p->code, &ext->code, ext->origin, err);
	rc |= add_patterns(&p->order_number, &ext->order_number, ext->origin, err);
	rc |= add_patterns(&p->domain, &ext->domain, ext->origin, err);
	rc |= add_patterns(&p->approve_success, &ext->approve_success, ext->origin, err);
	rc |= add_patterns(&p->approve_failure, &ext->approve_failure, ext->origin, err);
	origin = xmalloc(strlen(p->origin) + strlen(ext->origin) + 4);
	sprintf(origin, "%s + %s", p->origin, ext->origin);
	free(p->origin);
	p->origin = origin;
	return rc ? -1 : 0;
}

static void keep_extension(struct profile_set *extensions, struct ca_profile *ext)
{
	extensions->items = xrealloc(extensions->items, (extensions->count + 1) * sizeof(*extensions->items));
	extensions->items[extensions->count++] = ext;
}

static int load_directory(struct profile_set *set, const char *dir, struct strbuf *err)
{
	struct strlist names = STRLIST_INIT;
	struct strlist level = STRLIST_INIT;
	struct profile_set extensions = {NULL, 0};
	struct ca_profile *p;
	char   *path;
	char   *text;
	size_t  i;
	int     rc = 0;

	if (list_profile_files(dir, &names, err) < 0)
		return -1;
	for (i = 0; i < names.count && rc == 0; i++) {
		path = xmalloc(strlen(dir) + strlen(names.items[i]) + 2);
		sprintf(path, "%s/%s", dir, names.items[i]);
		if ((text = read_profile_file(path, err)) == NULL)
			rc = -1;
		else if ((p = profile_parse(text, path, err)) == NULL)
			rc = -1;
		else if (p->extends)
			keep_extension(&extensions, p);
		else
			rc = put_once(set, p, &level, err);
		free(text);
		free(path);
	}
	/* after every profile of the directory: one that replaces a built-in
	 * would otherwise drop what an earlier file added to it */
	for (i = 0; i < extensions.count; i++)
		if (rc == 0)
			rc = profile_extend(set, extensions.items[i], err);
	profile_set_free(&extensions);
	strlist_free(&names);
	strlist_free(&level);
	return rc;
}

int profile_set_load(struct profile_set *set, const char *dir, struct strbuf *err)
{
	memset(set, 0, sizeof(*set));
	if (load_builtins(set, err) < 0 || (dir && load_directory(set, dir, err) < 0)) {
		profile_set_free(set);
		return -1;
	}
	return 0;
}

void profile_set_free(struct profile_set *set)
{
	size_t  i;

	for (i = 0; i < set->count; i++)
		profile_free(set->items[i]);
	free(set->items);
	memset(set, 0, sizeof(*set));
}
