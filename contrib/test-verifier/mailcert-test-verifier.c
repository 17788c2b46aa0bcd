/*
 * NAME
 *	mailcert-test-verifier - a stand-in DKIM verifier for a test bed
 * SYNOPSIS
 *	mailcert-test-verifier -s SOCKET -a AUTHSERV_ID -d DOMAIN [-d DOMAIN]...
 * DESCRIPTION
 *	FOR A TEST BED ONLY.  It checks no signature: it adds
 *
 *		Authentication-Results: AUTHSERV_ID; dkim=pass header.d=DOMAIN
 *
 *	on top of every message whose From: address is at one of the
 *	DOMAINs given, as a real verifier (OpenDKIM) would for a valid
 *	signature of that domain.  With it, a fixture of a CA's mail sent
 *	with swaks on a test box is believed by mailcert-milter, listed after
 *	it in smtpd_milters; the header_checks rule of contrib/postfix still
 *	removes whatever Authentication-Results came with the mail.
 *
 *	Never installed by make install, never built into a package: on a
 *	real mail server it would let anyone claim to be the CA.
 *
 *	-s SOCKET	libmilter's form: inet:PORT@HOST, unix:/path
 *	-a ID		the authserv-id ([milter] authserv_id of mailcert)
 *	-d DOMAIN	a sender domain to vouch for (up to MAX_DOMAINS)
 * LICENSE
 *	SPDX-License-Identifier: ISC
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define MAX_DOMAINS	16
#define MAX_DOMAIN_LEN	253
#define AR_HEADER	"Authentication-Results"

static const char *authserv_id;
static const char *domains[MAX_DOMAINS];
static int domain_count;

/* One message: the From: domain it claims, if it is one we vouch for. */
struct message {
	char    from_domain[MAX_DOMAIN_LEN + 1];
};

/* from_domain - the domain of the address in a From: value, or "" */

static void from_domain(const char *value, char *out, size_t size)
{
	const char *at = strrchr(value, '@');
	size_t  len = 0;

	out[0] = 0;
	if (at == NULL)
		return;
	for (at++; at[len] && (isalnum((unsigned char) at[len]) || at[len] == '.'
			       || at[len] == '-'); len++)
		continue;
	if (len == 0 || len >= size)
		return;
	memcpy(out, at, len);
	out[len] = 0;
}

static int vouched_for(const char *domain)
{
	int     i;

	for (i = 0; i < domain_count; i++)
		if (strcasecmp(domains[i], domain) == 0)
			return 1;
	return 0;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	struct message *m = calloc(1, sizeof(*m));

	(void) argv;
	if (m == NULL)
		return SMFIS_TEMPFAIL;
	smfi_setpriv(ctx, m);
	return SMFIS_CONTINUE;
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	struct message *m = smfi_getpriv(ctx);

	if (m && strcasecmp(name, "From") == 0 && m->from_domain[0] == 0)
		from_domain(value, m->from_domain, sizeof(m->from_domain));
	return SMFIS_CONTINUE;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct message *m = smfi_getpriv(ctx);
	char    value[MAX_DOMAIN_LEN * 2 + 64];

	if (m && m->from_domain[0] && vouched_for(m->from_domain)) {
		snprintf(value, sizeof(value), " %s; dkim=pass header.d=%s", authserv_id, m->from_domain);
		smfi_insheader(ctx, 0, AR_HEADER, value);
	}
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	return on_close(ctx);
}

static struct smfiDesc verifier = {
	"mailcert-test-verifier", SMFI_VERSION, SMFIF_ADDHDRS,
	NULL, NULL, on_envfrom, NULL, on_header, NULL, NULL, on_eom, on_abort, on_close,
	NULL, NULL, NULL,
};

static void usage(void)
{
	fprintf(stderr, "usage: mailcert-test-verifier -s SOCKET -a AUTHSERV_ID -d DOMAIN...\n"
		"FOR A TEST BED ONLY: vouches for DKIM of the DOMAINs without checking.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *socket = NULL;
	int     ch;

	while ((ch = getopt(argc, argv, "s:a:d:h")) != -1) {
		switch (ch) {
		case 's':
			socket = optarg;
			break;
		case 'a':
			authserv_id = optarg;
			break;
		case 'd':
			if (domain_count == MAX_DOMAINS || strlen(optarg) > MAX_DOMAIN_LEN)
				usage();
			domains[domain_count++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (socket == NULL || authserv_id == NULL || domain_count == 0 || optind != argc)
		usage();
	if (smfi_setconn((char *) socket) != MI_SUCCESS || smfi_register(verifier) != MI_SUCCESS
	    || smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "mailcert-test-verifier: cannot listen on %s\n", socket);
		return 1;
	}
	fprintf(stderr, "mailcert-test-verifier: listening on %s, vouching for %d domain%s "
		"(TEST BED ONLY)\n", socket, domain_count, domain_count == 1 ? "" : "s");
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
