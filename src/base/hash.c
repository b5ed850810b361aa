/* sha256 and md5 through OpenSSL's EVP interface. */
#include <openssl/evp.h>

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

void sha256_hex(const void *p, size_t n, char out[65]) { digest_hex(EVP_sha256(), p, n, out); }
void md5_hex(const void *p, size_t n, char out[33]) { digest_hex(EVP_md5(), p, n, out); }
