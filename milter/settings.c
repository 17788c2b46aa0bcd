/*
 * NAME
 *	settings - the configuration and compiled profiles the milter runs with
 * SYNOPSIS
 *	struct settings *settings_load(const char *path, struct strbuf *err)
 *	void settings_install(struct settings *settings)
 *	struct settings *settings_acquire(void)
 *	void settings_release(struct settings *settings)
 *	void settings_shutdown(void)
 * DESCRIPTION
 *	settings_load() reads the configuration file, compiles the CA
 *	profiles and loads the [ca] trust_store once; on error it returns
 *	NULL with "FILE:LINE: what" (or the trust store's problem) in err.
 *
 *	settings_install() makes a loaded set the current one; it is the
 *	only global mutable state of the milter.  A reload (SIGHUP) loads a
 *	new set and installs it whole: a message keeps the set it started
 *	with (settings_acquire() at MAIL FROM, settings_release() when the
 *	message ends), and the old set is freed when its last user lets go.
 *
 *	settings_shutdown() drops the current set at exit.
 * SPDX-License-Identifier: ISC
 */
#include <pthread.h>
#include <stdlib.h>

#include "milter.h"
#include "mymalloc.h"
#include "verify.h"

static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct settings *settings_current;

static void settings_free(struct settings *settings);

struct settings *settings_load(const char *path, struct strbuf *err)
{
	struct settings *settings;
	struct config *cfg;
	struct parser *parser;

	if (config_load(path, &cfg, err) < 0)
		return NULL;
	if ((parser = parser_new(cfg, err)) == NULL) {
		config_free(cfg);
		return NULL;
	}
	settings = xcalloc(1, sizeof(*settings));
	settings->cfg = cfg;
	settings->parser = parser;
	if ((settings->trust_anchors = trust_store_load(cfg->trust_store, err)) == NULL) {
		settings_free(settings);
		return NULL;
	}
	settings->refs = 1;
	return settings;
}

static void settings_free(struct settings *settings)
{
	X509_STORE_free(settings->trust_anchors);
	parser_free(settings->parser);
	config_free(settings->cfg);
	free(settings);
}

void settings_install(struct settings *settings)
{
	struct settings *old;

	pthread_mutex_lock(&settings_lock);
	old = settings_current;
	settings_current = settings;
	pthread_mutex_unlock(&settings_lock);
	if (old)
		settings_release(old);
}

struct settings *settings_acquire(void)
{
	struct settings *settings;

	pthread_mutex_lock(&settings_lock);
	settings = settings_current;
	if (settings)
		settings->refs++;
	pthread_mutex_unlock(&settings_lock);
	return settings;
}

void settings_release(struct settings *settings)
{
	int     last;

	if (settings == NULL)
		return;
	pthread_mutex_lock(&settings_lock);
	last = --settings->refs == 0;
	pthread_mutex_unlock(&settings_lock);
	if (last)
		settings_free(settings);
}

void settings_shutdown(void)
{
	settings_install(NULL);
}
