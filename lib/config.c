/*
 * NAME
 *	config - load and check mailcert.conf
 * SYNOPSIS
 *	int config_load(const char *path, struct config **out, struct strbuf *err)
 *	struct config *config_defaults(void)
 *	const char *config_mail_route(const struct config *cfg)
 *	const struct target_config *config_find_target(cfg, name)
 *	const struct imap_config *config_find_imap(cfg, name)
 *	size_t config_warn_days(cfg, int *days, size_t max)
 *	int config_split_command(const char *line, struct strlist *argv)
 *	void config_free(struct config *cfg)
 * DESCRIPTION
 *	The file is read with libinih.  Every key of every fixed section is
 *	one row of config_keys[] below, with its type, its default and where
 *	it is stored: that table is the whole of what mailcert.conf may say
 *	besides the named sections [target NAME] and [imap NAME], which have
 *	their own tables.  Targets are also kept in a sorted index, so that a
 *	configuration of ten thousand targets is looked up quickly.
 *
 *	An unknown section or key, a bad value, a key given twice, a line
 *	that is too long or a missing required key makes config_load() fail
 *	with "FILE:LINE: what is wrong" in err.  Nothing is half-loaded: on
 *	failure *out is untouched.
 * SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "mymalloc.h"
#include "parse_error.h"

#define CONFIG_MAX_LINE		200	/* INI_MAX_LINE of libinih */

enum config_type {
	CT_STRING,			/* any non-empty string */
	CT_PATH,			/* an absolute path */
	CT_SIZE,			/* bytes, with optional k/m/g suffix */
	CT_INT,				/* a positive number */
	CT_INT0,			/* zero or a positive number */
	CT_BOOL,			/* yes/no/true/false/1/0 */
	CT_LIST,			/* words separated by commas or space */
	CT_LOCALPARTS,			/* a list of local parts, no '@' */
	CT_ADDRESSES,			/* a list of mail addresses */
	CT_ADDRESS,			/* one mail address */
	CT_DAYS,			/* a list of whole numbers of days */
	CT_COMMAND,			/* an argument vector, no shell */
	CT_SOCKET,			/* unix:/path, local:/path, inet:port@host */
	CT_APPROVE_MODE,		/* notify | auto | manual */
	CT_ON_ERROR,			/* accept | tempfail */
	CT_LOG,				/* syslog | stderr | /path */
	CT_LISTEN,			/* host:port or unix:/path */
	CT_AFTER,			/* seen | delete | move:FOLDER */
	CT_URL,				/* scheme://... */
	CT_PGURL,			/* postgresql://... (libpq's URI) */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	const char *default_value;	/* NULL: no default */
	size_t  offset;			/* into struct config, target_config or imap_config */
};

#define CFG(field) offsetof(struct config, field)
#define TGT(field) offsetof(struct target_config, field)
#define IMAP(field) offsetof(struct imap_config, field)

static const struct config_key config_keys[] = {
	{"log", "to", CT_LOG, NULL, CFG(log_to)},
	{"milter", "socket", CT_SOCKET, "unix:/run/mailcert/milter/milter.sock", CFG(milter_socket)},
	{"milter", "socket_group", CT_STRING, NULL, CFG(milter_socket_group)},
	{"milter", "user", CT_STRING, "mailcert", CFG(milter_user)},
	{"milter", "max_message_size", CT_SIZE, "1m", CFG(max_message_size)},
	{"milter", "memory_size", CT_SIZE, "64k", CFG(memory_size)},
	{"milter", "spool_dir", CT_PATH, "/var/lib/mailcert/intake/spool", CFG(spool_dir)},
	{"milter", "max_parsers", CT_INT0, "0", CFG(max_parsers)},
	{"milter", "parse_wait", CT_INT, "10", CFG(parse_wait)},
	{"milter", "watch_local_parts", CT_LOCALPARTS,
	"admin administrator hostmaster postmaster webmaster", CFG(watch_local_parts)},
	{"milter", "watch_addresses", CT_ADDRESSES, "", CFG(watch_addresses)},
	{"milter", "authserv_id", CT_STRING, NULL, CFG(authserv_id)},
	{"milter", "require_dkim", CT_BOOL, "yes", CFG(require_dkim)},
	{"milter", "on_error", CT_ON_ERROR, "accept", CFG(on_error)},
	{"ledger", "path", CT_PATH, "/var/lib/mailcert/intake/ledger.db", CFG(ledger_path)},
	{"ledger", "orders", CT_PATH, "/var/lib/mailcert/orders.db", CFG(orders_path)},
	{"ledger", "url", CT_PGURL, NULL, CFG(ledger_url)},
	{"ledger", "busy_timeout", CT_INT, "5000", CFG(busy_timeout_ms)},
	{"ca", "trust_store", CT_PATH, "/etc/ssl/certs/ca-certificates.crt", CFG(trust_store)},
	{"ca", "profiles", CT_PATH, NULL, CFG(profiles_dir)},
	{"notify", "sendmail", CT_PATH, "/usr/sbin/sendmail", CFG(notify_sendmail)},
	{"notify", "smtp", CT_URL, NULL, CFG(notify_smtp)},
	{"notify", "from", CT_STRING, "mailcert", CFG(notify_from)},
	{"notify", "operator", CT_ADDRESS, NULL, CFG(notify_operator)},
	{"approve", "user", CT_STRING, "mailcert-approver", CFG(approve_user)},
	{"approve", "wake_socket", CT_PATH, "/run/mailcert/approver/wake.sock", CFG(approve_wake_socket)},
	{"approve", "mode", CT_APPROVE_MODE, "notify", CFG(approve_mode)},
	{"approve", "trust_store", CT_PATH, NULL, CFG(approve_trust_store)},
	{"approve", "timeout", CT_INT, "30", CFG(approve_timeout)},
	{"approve", "max_attempts", CT_INT, "5", CFG(approve_max_attempts)},
	{"approve", "max_response_size", CT_SIZE, "1m", CFG(approve_max_response)},
	{"approve", "retry_base", CT_INT, "60", CFG(approve_retry_base)},
	{"approve", "poll_interval", CT_INT, "300", CFG(approve_poll_interval)},
	{"installer", "key_dir", CT_PATH, "/etc/mailcert/keys", CFG(key_dir)},
	{"installer", "state_dir", CT_PATH, "/var/lib/mailcert/installer", CFG(state_dir)},
	{"installer", "wake_socket", CT_PATH, "/run/mailcert/installer/wake.sock", CFG(wake_socket)},
	{"installer", "command_timeout", CT_INT, "60", CFG(command_timeout)},
	{"installer", "max_attempts", CT_INT, "5", CFG(install_max_attempts)},
	{"installer", "retry_base", CT_INT, "60", CFG(install_retry_base)},
	{"installer", "poll_interval", CT_INT, "300", CFG(poll_interval)},
	{"installer", "lease", CT_INT, "600", CFG(install_lease)},
	{"expiry", "warn_days", CT_DAYS, "30 14 7 3 1", CFG(warn_days)},
	{"expiry", "interval", CT_INT, "3600", CFG(expiry_interval)},
	{"web", "listen", CT_LISTEN, "127.0.0.1:8025", CFG(web_listen)},
	{"web", "user", CT_STRING, "mailcert-web", CFG(web_user)},
	{"web", "password_file", CT_PATH, NULL, CFG(web_password_file)},
	{NULL, NULL, 0, NULL, 0},
};

static const struct config_key target_keys[] = {
	{"target", "cert", CT_PATH, NULL, TGT(cert)},
	{"target", "chain", CT_PATH, NULL, TGT(chain)},
	{"target", "fullchain", CT_PATH, NULL, TGT(fullchain)},
	{"target", "key", CT_PATH, NULL, TGT(key)},
	{"target", "combined", CT_PATH, NULL, TGT(combined)},
	{"target", "owner", CT_STRING, NULL, TGT(owner)},
	{"target", "group", CT_STRING, NULL, TGT(group)},
	{"target", "test_command", CT_COMMAND, NULL, TGT(test_command)},
	{"target", "reload_command", CT_COMMAND, NULL, TGT(reload_command)},
	{"target", "run_as", CT_STRING, NULL, TGT(run_as)},
	{NULL, NULL, 0, NULL, 0},
};

static const struct config_key imap_keys[] = {
	{"imap", "url", CT_URL, NULL, IMAP(url)},
	{"imap", "user", CT_STRING, NULL, IMAP(user)},
	{"imap", "authserv_id", CT_STRING, NULL, IMAP(authserv_id)},
	{"imap", "password_file", CT_PATH, NULL, IMAP(password_file)},
	{"imap", "poll_interval", CT_INT, "300", IMAP(poll_interval)},
	{"imap", "after", CT_AFTER, "seen", IMAP(after)},
	{"imap", "ca_file", CT_PATH, NULL, IMAP(ca_file)},
	{"imap", "allow_plaintext", CT_BOOL, "no", IMAP(allow_plaintext)},
	{NULL, NULL, 0, NULL, 0},
};

static void apply_defaults(const struct config_key *table, void *base);

/* What one parse of one file needs to know. */
struct config_parse {
	FILE   *fp;
	int     line;			/* the line the reader last returned */
	int     section_line;		/* the line of the last [section] */
	int     line_too_long;
	struct config *cfg;
	struct strlist seen;		/* "section.key" already given */
	struct target_config *last_target;	/* of the previous key */
	struct target_config **target_tail;
	struct parse_error error;	/* "FILE:LINE: what", the first only */
};

static int parse_bool(const char *value, int *out)
{
	static const char *yes[] = {"yes", "true", "on", "1", NULL};
	static const char *no[] = {"no", "false", "off", "0", NULL};
	int i;

	for (i = 0; yes[i]; i++)
		if (strcasecmp(value, yes[i]) == 0)
			return (*out = 1), 0;
	for (i = 0; no[i]; i++)
		if (strcasecmp(value, no[i]) == 0)
			return (*out = 0), 0;
	return -1;
}

static int parse_size(const char *value, size_t *out)
{
	char *end;
	unsigned long long n;
	unsigned long long mult = 1;

	if (!isdigit((unsigned char) *value))
		return -1;
	errno = 0;
	n = strtoull(value, &end, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char) *end)) {
	case 0:
		break;
	case 'k':
		mult = 1024ULL;
		end++;
		break;
	case 'm':
		mult = 1024ULL * 1024;
		end++;
		break;
	case 'g':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end || n == 0 || n > SIZE_MAX / mult)
		return -1;
	*out = (size_t) (n * mult);
	return 0;
}

static int parse_int(const char *value, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || *end || end == value || n <= 0 || n > INT_MAX)
		return -1;
	*out = (int) n;
	return 0;
}

static int parse_int0(const char *value, int *out)
{
	if (strcmp(value, "0") == 0) {
		*out = 0;
		return 0;
	}
	return parse_int(value, out);
}

static void parse_list(const char *value, struct strlist *list)
{
	const char *p = value;
	size_t len;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == 0)
			break;
		len = strcspn(p, ", \t");
		list->count < 4096 ? strlist_add_owned(list, xstrndup(p, len)) : (void) 0;
		p += len;
	}
}

int config_split_command(const char *line, struct strlist *argv)
{
	struct strbuf word = STRBUF_INIT;
	const char *p = line;
	char quote;
	int in_word = 0;

	for (;;) {
		if (*p == 0 || isspace((unsigned char) *p)) {
			if (in_word)
				strlist_add_owned(argv, sb_steal(&word));
			in_word = 0;
			if (*p++ == 0)
				break;
			continue;
		}
		in_word = 1;
		if (*p == '"' || *p == '\'') {
			quote = *p++;
			while (*p && *p != quote)
				sb_append(&word, p++, 1);
			if (*p != quote) {
				sb_free(&word);
				return -1;
			}
			if (word.data == NULL)
				sb_append(&word, "", 0);
			p++;
			continue;
		}
		sb_append(&word, p++, 1);
	}
	return 0;
}

static int valid_socket(const char *value)
{
	const char *at;

	if (strncmp(value, "unix:/", 6) == 0 || strncmp(value, "local:/", 7) == 0)
		return 1;
	if (strncmp(value, "inet:", 5) == 0 || strncmp(value, "inet6:", 6) == 0) {
		at = strchr(value, '@');
		return at == NULL || at[1] != 0;
	}
	return 0;
}

/* check_list_items - every item of an address or local-part list is sane */

static const char *check_list_items(enum config_type type, const struct strlist *list)
{
	size_t i;
	const char *at;

	for (i = 0; i < list->count; i++) {
		at = strchr(list->items[i], '@');
		if (type == CT_LOCALPARTS && at != NULL)
			return "takes local parts only (\"admin\", not \"admin@example.com\")";
		if (type == CT_ADDRESSES && (at == NULL || at == list->items[i] || at[1] == 0
					     || strchr(at + 1, '@') != NULL))
			return "takes mail addresses only (local@domain)";
		if (type == CT_DAYS && (strspn(list->items[i], "0123456789") != strlen(list->items[i])
					|| strlen(list->items[i]) > 4 || atoi(list->items[i]) < 1))
			return "takes whole numbers of days from 1 to 9999";
	}
	return NULL;
}

static int valid_log(const char *value)
{
	return strcmp(value, "syslog") == 0 || strcmp(value, "stderr") == 0 || value[0] == '/';
}

/* valid_listen - host:port (an IPv4 address or a name, or [IPv6]) or unix:/path */

static int valid_listen(const char *value)
{
	const char *colon;
	char   *end;
	long    port;

	if (strncmp(value, "unix:/", 6) == 0)
		return 1;
	if ((colon = strrchr(value, ':')) == NULL || colon == value)
		return 0;
	port = strtol(colon + 1, &end, 10);
	return *end == 0 && end != colon + 1 && port > 0 && port <= 65535;
}

static int valid_after(const char *value)
{
	return strcmp(value, "seen") == 0 || strcmp(value, "delete") == 0
	    || (strncmp(value, "move:", 5) == 0 && value[5] != 0 && strpbrk(value + 5, "\"\r\n") == NULL);
}

/* store_value - convert and store one value; returns an error text or NULL */

static const char *store_value(const struct config_key *key, void *base,
			               const char *value, int append)
{
	char   *field = (char *) base + key->offset;
	char  **str = (char **) field;

	switch (key->type) {
	case CT_PATH:
		if (value[0] != '/')
			return "must be an absolute path";
		break;
	case CT_SOCKET:
		if (!valid_socket(value))
			return "must be unix:/path, local:/path or inet:port@host";
		break;
	case CT_APPROVE_MODE:
		if (strcmp(value, "notify") && strcmp(value, "auto") && strcmp(value, "manual"))
			return "must be notify, auto or manual";
		break;
	case CT_ON_ERROR:
		if (strcmp(value, "accept") && strcmp(value, "tempfail"))
			return "must be accept or tempfail";
		break;
	case CT_LOG:
		if (!valid_log(value))
			return "must be syslog, stderr or an absolute file path";
		break;
	case CT_LISTEN:
		if (!valid_listen(value))
			return "must be HOST:PORT or unix:/path";
		break;
	case CT_AFTER:
		if (!valid_after(value))
			return "must be seen, delete or move:FOLDER";
		break;
	case CT_URL:
		if (strstr(value, "://") == NULL || strpbrk(value, " \t") != NULL)
			return "must be a URL (scheme://...)";
		break;
	case CT_PGURL:
		if ((strncmp(value, "postgresql://", 13) != 0 && strncmp(value, "postgres://", 11) != 0)
		    || strpbrk(value, " \t") != NULL)
			return "must be a PostgreSQL connection URI (postgresql://HOST/DATABASE?..., "
			    "postgresql:///DATABASE?host=/run/postgresql for a unix socket)";
		break;
	case CT_ADDRESS:
		if (strchr(value, '@') == NULL || value[0] == '@' || strpbrk(value, " ,;<>\"") != NULL)
			return "must be one mail address (local@domain)";
		break;
	case CT_INT0:
		return parse_int0(value, (int *) field) ? "must be 0 or a positive whole number" : NULL;
	case CT_SIZE:
		return parse_size(value, (size_t *) field) ? "must be a size such as 10m or 512k" : NULL;
	case CT_INT:
		return parse_int(value, (int *) field) ? "must be a positive whole number" : NULL;
	case CT_BOOL:
		return parse_bool(value, (int *) field) ? "must be yes or no" : NULL;
	case CT_LIST:
	case CT_LOCALPARTS:
	case CT_ADDRESSES:
	case CT_DAYS:
		if (!append)
			strlist_clear((struct strlist *) field);
		parse_list(value, (struct strlist *) field);
		return check_list_items(key->type, (struct strlist *) field);
	case CT_COMMAND:
		strlist_clear((struct strlist *) field);
		if (config_split_command(value, (struct strlist *) field) < 0)
			return "has an unbalanced quote";
		if (((struct strlist *) field)->count == 0)
			return NULL;
		if (((struct strlist *) field)->items[0][0] != '/')
			return "must start with an absolute program path (no shell is used)";
		return NULL;
	case CT_STRING:
		if (*value == 0)
			return "must not be empty";
		break;
	}
	free(*str);
	*str = xstrdup(value);
	return NULL;
}

static const struct config_key *find_key(const struct config_key *table,
					         const char *section, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->section, section) == 0 && strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

static int known_section(const char *section)
{
	const struct config_key *key;

	for (key = config_keys; key->name; key++)
		if (strcmp(key->section, section) == 0)
			return 1;
	return 0;
}

/* named_section - "KIND NAME" gives NAME, anything else NULL */

static const char *named_section(const char *section, const char *kind)
{
	size_t  len = strlen(kind);
	const char *name;

	if (strncmp(section, kind, len) != 0 || !isspace((unsigned char) section[len]))
		return NULL;
	name = section + len;
	while (isspace((unsigned char) *name))
		name++;
	return name;
}

static int valid_target_name(const char *name)
{
	const char *p;

	if (*name == 0 || *name == '.' || strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char) *p) && !strchr("-_.", *p))
			return 0;
	return 1;
}

/* get_target - the section's target; the last one first, since the keys
 * of one section come together */

static struct target_config *get_target(struct config_parse *cp, const char *name, int line)
{
	struct target_config *t;

	if (cp->last_target && strcmp(cp->last_target->name, name) == 0)
		return cp->last_target;
	for (t = cp->cfg->targets; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return cp->last_target = t;
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->line = line;
	*cp->target_tail = t;
	cp->target_tail = &t->next;
	cp->cfg->target_count++;
	return cp->last_target = t;
}

static struct imap_config *get_imap(struct config_parse *cp, const char *name, int line)
{
	struct imap_config *m;
	struct imap_config **tail = &cp->cfg->imaps;

	for (m = cp->cfg->imaps; m; m = m->next) {
		if (strcmp(m->name, name) == 0)
			return m;
		tail = &m->next;
	}
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->line = line;
	apply_defaults(imap_keys, m);
	*tail = m;
	return m;
}

/* check_repeat - 1 the first time a key is seen, 2 for a continuation of
 * a list, 0 (an error) for a scalar given twice */

static int check_repeat(struct config_parse *cp, const char *section,
			        const char *name, enum config_type type)
{
	char seen_key[256];

	snprintf(seen_key, sizeof(seen_key), "%s.%s", section, name);
	if (!strlist_contains_nocase(&cp->seen, seen_key)) {
		strlist_add(&cp->seen, seen_key);
		return 1;
	}
	if (type == CT_LIST || type == CT_LOCALPARTS || type == CT_ADDRESSES || type == CT_DAYS)
		return 2;
	return parse_error_set(&cp->error, cp->line, "[%s] %s is given twice", section, name);
}

static int config_handler(void *user, const char *section, const char *name,
			          const char *value)
{
	struct config_parse *cp = user;
	const struct config_key *key;
	const char *target_name;
	const char *problem;
	void   *base = cp->cfg;
	int     repeat;

	if (cp->error.failed)
		return 0;
	if (cp->line_too_long)
		return parse_error_set(&cp->error, cp->line, "line longer than %d characters",
				       CONFIG_MAX_LINE - 2);
	if ((target_name = named_section(section, "target")) != NULL
	    || (target_name = named_section(section, "imap")) != NULL) {
		int     is_target = strncmp(section, "target", 6) == 0;

		if (!valid_target_name(target_name))
			return parse_error_set(&cp->error, cp->section_line, "bad %s name \"%s\" "
					       "(letters, digits, - _ . only, not starting with .)",
					       is_target ? "target" : "imap", target_name);
		if (is_target) {
			key = find_key(target_keys, "target", name);
			base = get_target(cp, target_name, cp->section_line);
		} else {
			key = find_key(imap_keys, "imap", name);
			base = get_imap(cp, target_name, cp->section_line);
		}
	} else if (!known_section(section)) {
		return parse_error_set(&cp->error, cp->section_line, "unknown section [%s]", section);
	} else {
		key = find_key(config_keys, section, name);
	}
	if (key == NULL)
		return parse_error_set(&cp->error, cp->line, "unknown key \"%s\" in [%s]", name, section);
	if ((repeat = check_repeat(cp, section, name, key->type)) == 0)
		return 0;
	if ((problem = store_value(key, base, value, repeat == 2)) != NULL)
		return parse_error_set(&cp->error, cp->line, "[%s] %s = %s: %s",
				       section, name, value, problem);
	return 1;
}

/* config_reader - fgets() for libinih that counts lines for messages */

static char *config_reader(char *str, int num, void *stream)
{
	struct config_parse *cp = stream;
	size_t len;

	if (fgets(str, num, cp->fp) == NULL)
		return NULL;
	len = strlen(str);
	cp->line++;
	if (str[strspn(str, " \t")] == '[')
		cp->section_line = cp->line;
	if (len > 0 && str[len - 1] != '\n' && !feof(cp->fp)) {
		int c;

		cp->line_too_long = 1;
		while ((c = fgetc(cp->fp)) != EOF && c != '\n')
			 /* skip the rest of the line */ ;
	}
	return str;
}

static void apply_defaults(const struct config_key *table, void *base)
{
	const struct config_key *key;
	const char *problem;

	for (key = table; key->name; key++) {
		if (key->default_value == NULL)
			continue;
		problem = store_value(key, base, key->default_value, 0);
		if (problem)
			abort();		/* a bad default is a programming error */
	}
}

static void free_fields(const struct config_key *table, void *base)
{
	const struct config_key *key;
	char   *field;

	for (key = table; key->name; key++) {
		field = (char *) base + key->offset;
		switch (key->type) {
		case CT_LIST:
		case CT_LOCALPARTS:
		case CT_ADDRESSES:
		case CT_DAYS:
		case CT_COMMAND:
			strlist_free((struct strlist *) field);
			break;
		case CT_SIZE:
		case CT_INT:
		case CT_INT0:
		case CT_BOOL:
			break;
		default:
			free(*(char **) field);
			break;
		}
	}
}

const char *config_mail_route(const struct config *cfg)
{
	return cfg->notify_smtp ? cfg->notify_smtp : cfg->notify_sendmail;
}

struct config *config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	apply_defaults(config_keys, cfg);
	cfg->path = xstrdup("(defaults)");
	return cfg;
}

static int check_targets(struct config_parse *cp)
{
	struct target_config *t;

	for (t = cp->cfg->targets; t; t = t->next)
		if (!t->cert && !t->fullchain && !t->combined)
			return parse_error_set(&cp->error, t->line,
					       "[target %s] needs at least one of cert, fullchain, combined",
					       t->name);
	return 1;
}

static int check_imaps(struct config_parse *cp)
{
	struct imap_config *m;

	for (m = cp->cfg->imaps; m; m = m->next)
		if (!m->url || !m->user || !m->password_file)
			return parse_error_set(&cp->error, m->line,
					       "[imap %s] needs url, user and password_file", m->name);
	return 1;
}

static int compare_targets(const void *a, const void *b)
{
	return strcmp((*(struct target_config *const *) a)->name,
		      (*(struct target_config *const *) b)->name);
}

/* index_targets - a sorted array of the targets, for config_find_target() */

static void index_targets(struct config *cfg)
{
	struct target_config *t;
	size_t  i = 0;

	free(cfg->target_index);
	cfg->target_index = xcalloc(cfg->target_count + 1, sizeof(*cfg->target_index));
	for (t = cfg->targets; t; t = t->next)
		cfg->target_index[i++] = t;
	qsort(cfg->target_index, i, sizeof(*cfg->target_index), compare_targets);
}

/* check_required - keys without a default that the rest of the file needs;
 * reported at the end of the file, where they were still missing */

static int check_required(struct config_parse *cp)
{
	struct config *cfg = cp->cfg;

	if (cfg->require_dkim && cfg->authserv_id == NULL)
		return parse_error_set(&cp->error, cp->line,
				       "[milter] authserv_id is required while require_dkim = yes "
				       "(the name your DKIM verifier writes in Authentication-Results)");
	if (cfg->ledger_url && (strlist_contains_nocase(&cp->seen, "ledger.path")
				|| strlist_contains_nocase(&cp->seen, "ledger.orders")))
		return parse_error_set(&cp->error, cp->line,
				       "[ledger] path and orders do not go with url: with url the "
				       "whole ledger is in PostgreSQL (remove them)");
	return 1;
}

int config_load(const char *path, struct config **out, struct strbuf *err)
{
	struct config_parse cp;
	int rc;

	memset(&cp, 0, sizeof(cp));
	cp.error.origin = path;
	cp.error.err = err;
	if ((cp.fp = fopen(path, "r")) == NULL) {
		sb_appendf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	cp.cfg = config_defaults();
	cp.target_tail = &cp.cfg->targets;
	free(cp.cfg->path);
	cp.cfg->path = xstrdup(path);
	rc = ini_parse_stream(config_reader, &cp, config_handler, &cp);
	fclose(cp.fp);
	if (rc > 0 && !cp.error.failed)
		parse_error_set(&cp.error, rc, "syntax error (expected [section] or key = value)");
	else if (rc < 0 && !cp.error.failed)
		parse_error_set(&cp.error, 0, "cannot read the file");
	if (!cp.error.failed)
		check_targets(&cp);
	if (!cp.error.failed)
		check_imaps(&cp);
	if (!cp.error.failed)
		check_required(&cp);
	strlist_free(&cp.seen);
	if (cp.error.failed) {
		config_free(cp.cfg);
		return -1;
	}
	index_targets(cp.cfg);
	*out = cp.cfg;
	return 0;
}

const struct target_config *config_find_target(const struct config *cfg, const char *name)
{
	size_t  lo = 0;
	size_t  hi = cfg->target_count;
	int     c;

	if (name == NULL || cfg->target_index == NULL)
		return NULL;
	while (lo < hi) {
		size_t  mid = (lo + hi) / 2;

		if ((c = strcmp(cfg->target_index[mid]->name, name)) == 0)
			return cfg->target_index[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct imap_config *config_find_imap(const struct config *cfg, const char *name)
{
	const struct imap_config *m;

	for (m = cfg->imaps; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static int compare_days_desc(const void *a, const void *b)
{
	return *(const int *) b - *(const int *) a;
}

size_t config_warn_days(const struct config *cfg, int *days, size_t max)
{
	size_t  n = 0;
	size_t  i;

	for (i = 0; i < cfg->warn_days.count && n < max; i++)
		days[n++] = atoi(cfg->warn_days.items[i]);
	qsort(days, n, sizeof(int), compare_days_desc);
	return n;
}

void config_free(struct config *cfg)
{
	struct target_config *t;
	struct target_config *next;

	if (cfg == NULL)
		return;
	for (t = cfg->targets; t; t = next) {
		next = t->next;
		free_fields(target_keys, t);
		free(t->name);
		free(t);
	}
	for (struct imap_config *m = cfg->imaps, *mnext; m; m = mnext) {
		mnext = m->next;
		free_fields(imap_keys, m);
		free(m->name);
		free(m);
	}
	free(cfg->target_index);
	free_fields(config_keys, cfg);
	free(cfg->path);
	free(cfg);
}
