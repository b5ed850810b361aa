/* SHA-256 (FIPS 180-4) and MD5 (RFC 1321), here rather than from OpenSSL: a parse hashes every
 * file and a compile every node's SQL, and linking libcrypto (relocated at every start, ~1 ms)
 * only for that would cost every command. SHA-256 uses the CPU's SHA extensions when it has
 * them (x86-64 SHA-NI), else the portable rounds; md5 hashes short strings (a generic test's
 * unique id). */
#include <stdint.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "base.h"

/* ---- sha256 ---- */

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror32(uint32_t x, int c) { return x >> c | x << (32 - c); }

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* n blocks of 64 bytes, the portable way */
static void sha256_blocks_c(uint32_t h[8], const unsigned char *p, size_t n)
{
	for (; n; n--, p += 64) {
		uint32_t w[64];
		for (int i = 0; i < 16; i++)
			w[i] = be32(p + 4 * i);
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
			uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6],
		         hh = h[7];
		for (int i = 0; i < 64; i++) {
			uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			              ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
			uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
			              ((a & b) ^ (a & c) ^ (b & c));
			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
		h[5] += f;
		h[6] += g;
		h[7] += hh;
	}
}

#if defined(__x86_64__)
/* Four rounds: the message words m (plus their constants) through sha256rnds2 twice. */
#define SHA_ROUNDS4(m, k)                                                                   \
	do {                                                                                \
		__m128i wk = _mm_add_epi32((m), _mm_loadu_si128((const __m128i *)(k)));     \
		st1 = _mm_sha256rnds2_epu32(st1, st0, wk);                                  \
		st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(wk, 0x0e));         \
	} while (0)

/* n blocks with the SHA extensions: the state is kept as ABEF and CDGH, the message schedule
 * four words at a time (sha256msg1, then the alignr add, then sha256msg2). */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_blocks_ni(uint32_t h[8],
                                                                           const unsigned char *p,
                                                                           size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i t = _mm_loadu_si128((const __m128i *)&h[0]);   /* D C B A */
	__m128i st1 = _mm_loadu_si128((const __m128i *)&h[4]); /* H G F E */
	t = _mm_shuffle_epi32(t, 0xb1);                         /* C D A B */
	st1 = _mm_shuffle_epi32(st1, 0x1b);                     /* E F G H */
	__m128i st0 = _mm_alignr_epi8(t, st1, 8);               /* A B E F */
	st1 = _mm_blend_epi16(st1, t, 0xf0);                    /* C D G H */
	for (; n; n--, p += 64) {
		__m128i save0 = st0, save1 = st1;
		__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		__m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		__m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		__m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		SHA_ROUNDS4(m0, &sha256_k[0]);
		SHA_ROUNDS4(m1, &sha256_k[4]);
		SHA_ROUNDS4(m2, &sha256_k[8]);
		SHA_ROUNDS4(m3, &sha256_k[12]);
		for (int i = 16; i < 64; i += 16) {
			/* w[i..i+3] from the four previous groups, then the rounds that use them */
			m0 = _mm_sha256msg2_epu32(
			    _mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), _mm_alignr_epi8(m3, m2, 4)), m3);
			SHA_ROUNDS4(m0, &sha256_k[i]);
			m1 = _mm_sha256msg2_epu32(
			    _mm_add_epi32(_mm_sha256msg1_epu32(m1, m2), _mm_alignr_epi8(m0, m3, 4)), m0);
			SHA_ROUNDS4(m1, &sha256_k[i + 4]);
			m2 = _mm_sha256msg2_epu32(
			    _mm_add_epi32(_mm_sha256msg1_epu32(m2, m3), _mm_alignr_epi8(m1, m0, 4)), m1);
			SHA_ROUNDS4(m2, &sha256_k[i + 8]);
			m3 = _mm_sha256msg2_epu32(
			    _mm_add_epi32(_mm_sha256msg1_epu32(m3, m0), _mm_alignr_epi8(m2, m1, 4)), m2);
			SHA_ROUNDS4(m3, &sha256_k[i + 12]);
		}
		st0 = _mm_add_epi32(st0, save0);
		st1 = _mm_add_epi32(st1, save1);
	}
	t = _mm_shuffle_epi32(st0, 0x1b);                      /* F E B A */
	st1 = _mm_shuffle_epi32(st1, 0xb1);                    /* D C H G */
	st0 = _mm_blend_epi16(t, st1, 0xf0);                   /* D C B A */
	st1 = _mm_alignr_epi8(st1, t, 8);                      /* H G F E */
	_mm_storeu_si128((__m128i *)&h[0], st0);
	_mm_storeu_si128((__m128i *)&h[4], st1);
}
#undef SHA_ROUNDS4

static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	bool sha = b & (1u << 29);
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	return sha && (c & (1u << 19)) && (c & (1u << 9)); /* SSE4.1, SSSE3 */
}
#endif

/* Which compression runs: decided once, or by sha256_use (the tests, to run both). */
static void (*sha256_blocks)(uint32_t h[8], const unsigned char *p, size_t n);
static pthread_once_t sha_once = PTHREAD_ONCE_INIT;

static void sha_pick(void)
{
	if (sha256_blocks)
		return;
	sha256_blocks = sha256_blocks_c;
#if defined(__x86_64__)
	if (cpu_has_sha())
		sha256_blocks = sha256_blocks_ni;
#endif
}

bool sha256_use(bool extensions)
{
	pthread_once(&sha_once, sha_pick);
#if defined(__x86_64__)
	if (extensions && cpu_has_sha()) {
		sha256_blocks = sha256_blocks_ni;
		return true;
	}
#endif
	sha256_blocks = sha256_blocks_c;
	return !extensions;
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	pthread_once(&sha_once, sha_pick);
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	s->len += n;
	if (s->fill) {
		size_t take = 64 - s->fill < n ? 64 - s->fill : n;
		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill < 64)
			return;
		sha256_blocks(s->h, s->buf, 1);
		s->fill = 0;
	}
	if (n >= 64) {
		sha256_blocks(s->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	if (n)
		memcpy(s->buf, p, n);
	s->fill = n;
}

void sha256_final(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char tail[128] = {0};
	memcpy(tail, s->buf, s->fill);
	tail[s->fill] = 0x80;
	size_t tn = s->fill + 9 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tn - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_blocks(s->h, tail, tn / 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

void hex_of(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = 0;
}

void sha256_hex(const void *p, size_t n, char out[65])
{
	struct sha256 s;
	unsigned char d[32];
	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, d);
	hex_of(d, 32, out);
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
	unsigned char d[16]; /* (the words little-endian) */
	for (int i = 0; i < 16; i++)
		d[i] = (unsigned char)(h[i / 4] >> (8 * (i % 4)));
	hex_of(d, 16, out);
}
