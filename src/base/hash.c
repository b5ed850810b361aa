/* sha256 and md5 through OpenSSL's EVP interface. */
#include <openssl/evp.h>
#include <pthread.h>

#include "base.h"

/* Each thread keeps one digest context (freed when the thread ends): EVP_Digest allocates and
 * frees one per call, a good part of hashing a short string (a test's unique id). */
static pthread_key_t ctx_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *ctx) { EVP_MD_CTX_free(ctx); }

static void make_key(void)
{
	if (pthread_key_create(&ctx_key, ctx_free) != 0)
		silt_abort("pthread_key_create failed");
}

static EVP_MD_CTX *thread_ctx(void)
{
	pthread_once(&key_once, make_key);
	EVP_MD_CTX *ctx = pthread_getspecific(ctx_key);
	if (!ctx) {
		ctx = EVP_MD_CTX_new();
		if (!ctx || pthread_setspecific(ctx_key, ctx) != 0)
			silt_abort("out of memory");
	}
	return ctx;
}

static void digest_hex(const EVP_MD *md, const void *p, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = thread_ctx();
	if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, p, n) ||
	    !EVP_DigestFinal_ex(ctx, d, &len))
		silt_abort("EVP_Digest failed");
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * len] = 0;
}

/* The digests are fetched once: EVP_sha256() and EVP_md5() make OpenSSL 3 look the algorithm
 * up in its provider store (under a lock) on every call, which costs more than hashing a model
 * file. */
static EVP_MD *fetched_sha256, *fetched_md5;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	fetched_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	fetched_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	pthread_once(&fetch_once, fetch_digests);
	digest_hex(fetched_sha256 ? fetched_sha256 : EVP_sha256(), p, n, out);
}

void md5_hex(const void *p, size_t n, char out[33])
{
	pthread_once(&fetch_once, fetch_digests);
	digest_hex(fetched_md5 ? fetched_md5 : EVP_md5(), p, n, out);
}
