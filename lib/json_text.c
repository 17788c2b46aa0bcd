/*
 * NAME
 *	json_text - a JSON string of a stranger's text
 * SYNOPSIS
 *	#include "json_text.h"
 *
 *	json_t *json_text(const char *s)
 * DESCRIPTION
 *	jansson refuses a string that is not valid UTF-8, and mail is not
 *	trusted to be: every byte that is not part of a valid sequence
 *	becomes '?'.  Control characters stay: JSON escapes them.  NULL
 *	gives null.  Used by every --json output and the web view's API.
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <stdlib.h>

#include "json_text.h"
#include "strbuf.h"

static size_t utf8_length(const unsigned char *s)
{
	size_t  need;
	size_t  i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 1, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 2, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 3, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))
	    || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need + 1;
}

json_t *json_text(const char *s)
{
	struct strbuf clean = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *) s;
	json_t *j;
	size_t  n;

	if (s == NULL)
		return json_null();
	while (*p) {
		n = utf8_length(p);
		sb_append(&clean, n ? (const char *) p : "?", n ? n : 1);
		p += n ? n : 1;
	}
	j = json_string(clean.data ? clean.data : "");
	sb_free(&clean);
	return j ? j : json_string("");
}
