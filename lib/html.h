/*
 * html.h - what a person sees and clicks in an HTML part.
 * SPDX-License-Identifier: ISC
 */
#ifndef MAILCERT_HTML_H
#define MAILCERT_HTML_H

#include <stddef.h>

#include "strbuf.h"
#include "strlist.h"

#define HTML_MAX_ENTITY		12	/* bytes of "&name;" looked at */

/* Decode character references (&amp; &#38; &#x26; and a few names). */
void html_decode_entities(const char *text, size_t len, struct strbuf *out);

/* The text of the page: tags dropped (script and style with their
 * content), entities decoded, block ends as new lines. */
void html_to_text(const char *html, size_t len, struct strbuf *out);

/* The value of every href attribute, entities decoded, in page order;
 * at most max of them.  Returns 1 when more were left out, else 0. */
int html_hrefs(const char *html, size_t len, struct strlist *out, size_t max);

#endif
