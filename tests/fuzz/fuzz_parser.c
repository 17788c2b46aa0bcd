/*
 * fuzz_parser - libFuzzer target: one input is one whole message.
 *
 * The parser is built once, with the built-in profiles, the default
 * configuration and authserv_id "mx.example.net" (so that the
 * Authentication-Results paths are reached); each input is parsed, turned
 * into JSON and freed.  "make fuzz" runs it; "make check" replays the
 * corpus and the fixtures through tests/fuzz/replay_main.c under ASan.
 * SPDX-License-Identifier: ISC
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "mymalloc.h"
#include "parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct parser *fuzz_parser;

static void fuzz_free(void)
{
	parser_free(fuzz_parser);
}

static struct parser *get_parser(void)
{
	struct strbuf err = STRBUF_INIT;
	struct config *cfg;

	if (fuzz_parser)
		return fuzz_parser;
	cfg = config_defaults();
	cfg->authserv_id = xstrdup("mx.example.net");
	fuzz_parser = parser_new(cfg, &err);
	config_free(cfg);
	if (fuzz_parser == NULL)
		abort();		/* the built-in profiles must compile */
	sb_free(&err);
	atexit(fuzz_free);
	return fuzz_parser;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict verdict;
	json_t *json;

	verdict_init(&verdict);
	parser_parse(get_parser(), (const char *) data, size, &verdict);
	json = verdict_to_json(&verdict);
	json_decref(json);
	verdict_free(&verdict);
	return 0;
}
