/* sha256 through OpenSSL's EVP interface; md5 (RFC 1321) here: it hashes short strings (a
 * generic test's unique id), where EVP's set-up and finish cost more than the hashing. */
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

/* The digest is fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm
 * up in its provider store (under a lock) on every call, which costs more than hashing a model
 * file. */
static EVP_MD *fetched_sha256;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	fetched_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	pthread_once(&fetch_once, fetch_digests);
	digest_hex(fetched_sha256 ? fetched_sha256 : EVP_sha256(), p, n, out);
}

/* ---- md5 ---- */

static uint32_t rol32(uint32_t x, int c) { return x << c | x >> (32 - c); }

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One 64-byte block: RFC 1321's four rounds of sixteen steps, written out. */
#define MD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))
#define MD5_STEP(f, a, b, c, d, x, t, s) (a) = (b) + rol32((a) + f((b), (c), (d)) + (x) + (t), (s))

static void md5_block(uint32_t h[4], const unsigned char *p)
{
	uint32_t m[16];
	for (int i = 0; i < 16; i++)
		m[i] = le32(p + 4 * i);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	MD5_STEP(MD5_F, a, b, c, d, m[0], 0xd76aa478, 7);
	MD5_STEP(MD5_F, d, a, b, c, m[1], 0xe8c7b756, 12);
	MD5_STEP(MD5_F, c, d, a, b, m[2], 0x242070db, 17);
	MD5_STEP(MD5_F, b, c, d, a, m[3], 0xc1bdceee, 22);
	MD5_STEP(MD5_F, a, b, c, d, m[4], 0xf57c0faf, 7);
	MD5_STEP(MD5_F, d, a, b, c, m[5], 0x4787c62a, 12);
	MD5_STEP(MD5_F, c, d, a, b, m[6], 0xa8304613, 17);
	MD5_STEP(MD5_F, b, c, d, a, m[7], 0xfd469501, 22);
	MD5_STEP(MD5_F, a, b, c, d, m[8], 0x698098d8, 7);
	MD5_STEP(MD5_F, d, a, b, c, m[9], 0x8b44f7af, 12);
	MD5_STEP(MD5_F, c, d, a, b, m[10], 0xffff5bb1, 17);
	MD5_STEP(MD5_F, b, c, d, a, m[11], 0x895cd7be, 22);
	MD5_STEP(MD5_F, a, b, c, d, m[12], 0x6b901122, 7);
	MD5_STEP(MD5_F, d, a, b, c, m[13], 0xfd987193, 12);
	MD5_STEP(MD5_F, c, d, a, b, m[14], 0xa679438e, 17);
	MD5_STEP(MD5_F, b, c, d, a, m[15], 0x49b40821, 22);
	MD5_STEP(MD5_G, a, b, c, d, m[1], 0xf61e2562, 5);
	MD5_STEP(MD5_G, d, a, b, c, m[6], 0xc040b340, 9);
	MD5_STEP(MD5_G, c, d, a, b, m[11], 0x265e5a51, 14);
	MD5_STEP(MD5_G, b, c, d, a, m[0], 0xe9b6c7aa, 20);
	MD5_STEP(MD5_G, a, b, c, d, m[5], 0xd62f105d, 5);
	MD5_STEP(MD5_G, d, a, b, c, m[10], 0x02441453, 9);
	MD5_STEP(MD5_G, c, d, a, b, m[15], 0xd8a1e681, 14);
	MD5_STEP(MD5_G, b, c, d, a, m[4], 0xe7d3fbc8, 20);
	MD5_STEP(MD5_G, a, b, c, d, m[9], 0x21e1cde6, 5);
	MD5_STEP(MD5_G, d, a, b, c, m[14], 0xc33707d6, 9);
	MD5_STEP(MD5_G, c, d, a, b, m[3], 0xf4d50d87, 14);
	MD5_STEP(MD5_G, b, c, d, a, m[8], 0x455a14ed, 20);
	MD5_STEP(MD5_G, a, b, c, d, m[13], 0xa9e3e905, 5);
	MD5_STEP(MD5_G, d, a, b, c, m[2], 0xfcefa3f8, 9);
	MD5_STEP(MD5_G, c, d, a, b, m[7], 0x676f02d9, 14);
	MD5_STEP(MD5_G, b, c, d, a, m[12], 0x8d2a4c8a, 20);
	MD5_STEP(MD5_H, a, b, c, d, m[5], 0xfffa3942, 4);
	MD5_STEP(MD5_H, d, a, b, c, m[8], 0x8771f681, 11);
	MD5_STEP(MD5_H, c, d, a, b, m[11], 0x6d9d6122, 16);
	MD5_STEP(MD5_H, b, c, d, a, m[14], 0xfde5380c, 23);
	MD5_STEP(MD5_H, a, b, c, d, m[1], 0xa4beea44, 4);
	MD5_STEP(MD5_H, d, a, b, c, m[4], 0x4bdecfa9, 11);
	MD5_STEP(MD5_H, c, d, a, b, m[7], 0xf6bb4b60, 16);
	MD5_STEP(MD5_H, b, c, d, a, m[10], 0xbebfbc70, 23);
	MD5_STEP(MD5_H, a, b, c, d, m[13], 0x289b7ec6, 4);
	MD5_STEP(MD5_H, d, a, b, c, m[0], 0xeaa127fa, 11);
	MD5_STEP(MD5_H, c, d, a, b, m[3], 0xd4ef3085, 16);
	MD5_STEP(MD5_H, b, c, d, a, m[6], 0x04881d05, 23);
	MD5_STEP(MD5_H, a, b, c, d, m[9], 0xd9d4d039, 4);
	MD5_STEP(MD5_H, d, a, b, c, m[12], 0xe6db99e5, 11);
	MD5_STEP(MD5_H, c, d, a, b, m[15], 0x1fa27cf8, 16);
	MD5_STEP(MD5_H, b, c, d, a, m[2], 0xc4ac5665, 23);
	MD5_STEP(MD5_I, a, b, c, d, m[0], 0xf4292244, 6);
	MD5_STEP(MD5_I, d, a, b, c, m[7], 0x432aff97, 10);
	MD5_STEP(MD5_I, c, d, a, b, m[14], 0xab9423a7, 15);
	MD5_STEP(MD5_I, b, c, d, a, m[5], 0xfc93a039, 21);
	MD5_STEP(MD5_I, a, b, c, d, m[12], 0x655b59c3, 6);
	MD5_STEP(MD5_I, d, a, b, c, m[3], 0x8f0ccc92, 10);
	MD5_STEP(MD5_I, c, d, a, b, m[10], 0xffeff47d, 15);
	MD5_STEP(MD5_I, b, c, d, a, m[1], 0x85845dd1, 21);
	MD5_STEP(MD5_I, a, b, c, d, m[8], 0x6fa87e4f, 6);
	MD5_STEP(MD5_I, d, a, b, c, m[15], 0xfe2ce6e0, 10);
	MD5_STEP(MD5_I, c, d, a, b, m[6], 0xa3014314, 15);
	MD5_STEP(MD5_I, b, c, d, a, m[13], 0x4e0811a1, 21);
	MD5_STEP(MD5_I, a, b, c, d, m[4], 0xf7537e82, 6);
	MD5_STEP(MD5_I, d, a, b, c, m[11], 0xbd3af235, 10);
	MD5_STEP(MD5_I, c, d, a, b, m[2], 0x2ad7d2bb, 15);
	MD5_STEP(MD5_I, b, c, d, a, m[9], 0xeb86d391, 21);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void md5_hex(const void *data, size_t n, char out[33])
{
	uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	const unsigned char *p = data;
	size_t left = n;
	for (; left >= 64; p += 64, left -= 64)
		md5_block(h, p);
	unsigned char tail[128] = {0};
	if (left)
		memcpy(tail, p, left);
	tail[left] = 0x80;
	size_t tn = left + 9 <= 64 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;
	for (int i = 0; i < 8; i++)
		tail[tn - 8 + i] = (unsigned char)(bits >> (8 * i));
	md5_block(h, tail);
	if (tn == 128)
		md5_block(h, tail + 64);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		unsigned char byte = (unsigned char)(h[i / 4] >> (8 * (i % 4)));
		out[2 * i] = hex[byte >> 4];
		out[2 * i + 1] = hex[byte & 15];
	}
	out[32] = 0;
}
