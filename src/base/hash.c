/* sha256 and md5 through OpenSSL's EVP interface. */
#include <openssl/evp.h>
#include <pthread.h>

#include "base.h"

static void digest_hex(const EVP_MD *md, const void *p, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(p, n, d, &len, md, NULL))
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
