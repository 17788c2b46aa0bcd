/*
 * test_cert_cache - CA certificates decoded once and shared; leaves never
 * kept; what a caller holds survives eviction; several threads at once.
 * SPDX-License-Identifier: ISC
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "cert_cache.h"
#include "check.h"
#include "strbuf.h"

#define PKI	"tests/fixtures/pki/"
#define THREADS	4
#define ROUNDS	200

/* pki_der - the DER of PKI certificate name, appended to out */
static void pki_der(const char *name, struct strbuf *out)
{
	char    path[256];
	FILE   *fp;
	X509   *cert = NULL;
	unsigned char *der = NULL;
	int     len;

	snprintf(path, sizeof(path), PKI "%s.crt", name);
	if ((fp = fopen(path, "r")) != NULL) {
		cert = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (cert == NULL || (len = i2d_X509(cert, &der)) <= 0) {
		printf("# cannot read %s\n", path);
	} else {
		sb_append(out, der, (size_t) len);
		OPENSSL_free(der);
	}
	X509_free(cert);
}

/* decode - one certificate of der; checks that all of der was read */
static X509 *decode(struct cert_cache *cache, const struct strbuf *der, const char *name)
{
	const unsigned char *p = (const unsigned char *) der->data;
	X509   *cert = cert_cache_d2i(cache, &p, (long) der->len);
	char    label[200];

	snprintf(label, sizeof(label), "%s: decoded, read to its end", name);
	check_true(cert != NULL && p == (const unsigned char *) der->data + der->len, label);
	return cert;
}

static void test_sharing(void)
{
	struct strbuf inter1 = STRBUF_INIT;
	struct strbuf leaf = STRBUF_INIT;
	struct cert_cache *cache = cert_cache_new(CERT_CACHE_SLOTS);
	X509   *a;
	X509   *b;

	pki_der("inter1", &inter1);
	pki_der("www-rsa", &leaf);
	a = decode(cache, &inter1, "intermediate, first time");
	b = decode(cache, &inter1, "intermediate, second time");
	check_true(a != NULL && a == b, "an intermediate is decoded once and shared");
	X509_free(a);
	X509_free(b);
	a = decode(cache, &leaf, "leaf, first time");
	b = decode(cache, &leaf, "leaf, second time");
	check_true(a != NULL && b != NULL && a != b, "a leaf is decoded every time, never kept");
	check_true(a && b && X509_cmp(a, b) == 0, "both decodings of the leaf are the leaf");
	X509_free(a);
	X509_free(b);
	a = decode(NULL, &inter1, "no cache");
	b = decode(NULL, &inter1, "no cache, again");
	check_true(a != NULL && b != NULL && a != b, "without a cache every decoding is new");
	X509_free(a);
	X509_free(b);
	cert_cache_free(cache);
	sb_free(&inter1);
	sb_free(&leaf);
}

static void test_concatenated_and_bad(void)
{
	struct strbuf both = STRBUF_INIT;
	struct strbuf one = STRBUF_INIT;
	struct cert_cache *cache = cert_cache_new(4);
	const unsigned char *p;
	const unsigned char *end;
	X509   *first;
	X509   *second;
	X509   *bad;

	pki_der("inter1", &both);
	sb_append(&one, both.data, both.len);
	pki_der("root", &both);
	p = (const unsigned char *) both.data;
	end = p + both.len;
	first = cert_cache_d2i(cache, &p, (long) (end - p));
	check_true(p == (const unsigned char *) both.data + one.len,
		   "two certificates one after the other: the first is read to its end");
	second = cert_cache_d2i(cache, &p, (long) (end - p));
	check_true(first != NULL && second != NULL && p == end,
		   "two certificates one after the other: the second is read to the end");
	check_true(first && second && X509_cmp(first, second) != 0,
		   "two certificates one after the other: they differ");
	X509_free(first);
	X509_free(second);

	p = (const unsigned char *) one.data;
	bad = cert_cache_d2i(cache, &p, (long) one.len - 10);
	check_true(bad == NULL, "a truncated certificate is no certificate");
	p = (const unsigned char *) "\x30\x03\x02\x01\x00";
	bad = cert_cache_d2i(cache, &p, 5);
	check_true(bad == NULL, "a DER sequence that is not a certificate is none");
	p = (const unsigned char *) "garbage";
	bad = cert_cache_d2i(cache, &p, 7);
	check_true(bad == NULL, "bytes that are not DER are no certificate");
	cert_cache_free(cache);
	sb_free(&both);
	sb_free(&one);
}

/* test_eviction - with two slots, the oldest gives way; a reference the
 * caller holds stays good */
static void test_eviction(void)
{
	struct strbuf inter1 = STRBUF_INIT;
	struct strbuf inter2 = STRBUF_INIT;
	struct strbuf root = STRBUF_INIT;
	struct cert_cache *cache = cert_cache_new(2);
	X509   *held;
	X509   *again;
	X509   *x;

	pki_der("inter1", &inter1);
	pki_der("inter2", &inter2);
	pki_der("root", &root);
	held = decode(cache, &inter1, "eviction: inter1");
	x = decode(cache, &root, "eviction: root");
	X509_free(x);
	x = decode(cache, &inter2, "eviction: inter2");
	X509_free(x);
	again = decode(cache, &inter1, "eviction: inter1 again");
	check_true(held != NULL && again != NULL && again != held,
		   "the oldest of two slots gave way: inter1 is decoded again");
	cert_cache_free(cache);
	check_true(held && again && X509_cmp(held, again) == 0,
		   "a reference held across eviction and cache_free is still inter1");
	X509_free(held);
	X509_free(again);
	sb_free(&inter1);
	sb_free(&inter2);
	sb_free(&root);
}

struct worker {
	struct cert_cache *cache;
	struct strbuf *der[3];
	X509   *want[3];
	int     wrong;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	const unsigned char *p;
	X509   *x;
	int     i;

	for (i = 0; i < ROUNDS; i++) {
		p = (const unsigned char *) w->der[i % 3]->data;
		x = cert_cache_d2i(w->cache, &p, (long) w->der[i % 3]->len);
		if (x == NULL || X509_cmp(x, w->want[i % 3]) != 0)
			w->wrong++;
		X509_free(x);
	}
	return NULL;
}

/* test_threads - several threads through two slots for three certificates */
static void test_threads(void)
{
	static const char *names[3] = {"inter1", "root", "www-rsa"};
	struct strbuf der[3] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	struct cert_cache *cache = cert_cache_new(2);
	const unsigned char *p;
	int     wrong = 0;
	int     i;
	int     j;

	memset(w, 0, sizeof(w));
	for (j = 0; j < 3; j++)
		pki_der(names[j], &der[j]);
	for (i = 0; i < THREADS; i++) {
		w[i].cache = cache;
		for (j = 0; j < 3; j++) {
			w[i].der[j] = &der[j];
			p = (const unsigned char *) der[j].data;
			w[i].want[j] = d2i_X509(NULL, &p, (long) der[j].len);
		}
		pthread_create(&tid[i], NULL, work, &w[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		wrong += w[i].wrong;
		for (j = 0; j < 3; j++)
			X509_free(w[i].want[j]);
	}
	check_int(wrong, 0, "4 threads, 2 slots, 3 certificates: every decoding is right");
	cert_cache_free(cache);
	for (j = 0; j < 3; j++)
		sb_free(&der[j]);
}

int main(void)
{
	test_sharing();
	test_concatenated_and_bad();
	test_eviction();
	test_threads();
	return check_done();
}
