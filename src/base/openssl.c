/* OpenSSL's libcrypto and libssl, loaded the first time silt needs one of their functions
 * (base.h DYNLIB_FORWARD): sealing the store's secrets (AES-256-GCM), random tokens, webhook
 * signatures (HMAC-SHA256), package-lock hashes (SHA-1) and HTTPS. Linked, the two libraries'
 * ~19,000 relocations cost every start ~1 ms; parse and compile hash with hash.c's SHA-256 and
 * never load them. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "base.h"

static struct dynlib libcrypto = { "libcrypto.so.3", "libssl3", "OpenSSL (libcrypto)",
	                           PTHREAD_MUTEX_INITIALIZER, NULL };
static struct dynlib libssl = { "libssl.so.3", "libssl3", "HTTPS (libssl)", PTHREAD_MUTEX_INITIALIZER,
	                        NULL };

/* ---- libcrypto ---- */
DYNLIB_FORWARD(libcrypto, const EVP_MD *, EVP_sha256, (void), ())
DYNLIB_FORWARD(libcrypto, unsigned char *, HMAC,
               (const EVP_MD *md, const void *key, int key_len, const unsigned char *data,
                size_t data_len, unsigned char *out, unsigned int *out_len),
               (md, key, key_len, data, data_len, out, out_len))
DYNLIB_FORWARD(libcrypto, unsigned char *, SHA1, (const unsigned char *d, size_t n, unsigned char *md),
               (d, n, md))
DYNLIB_FORWARD(libcrypto, int, RAND_bytes, (unsigned char *buf, int num), (buf, num))
DYNLIB_FORWARD(libcrypto, int, CRYPTO_memcmp, (const void *a, const void *b, size_t len), (a, b, len))
DYNLIB_FORWARD(libcrypto, const EVP_CIPHER *, EVP_aes_256_gcm, (void), ())
DYNLIB_FORWARD(libcrypto, EVP_CIPHER_CTX *, EVP_CIPHER_CTX_new, (void), ())
DYNLIB_FORWARD(libcrypto, int, EVP_CIPHER_CTX_ctrl, (EVP_CIPHER_CTX *c, int type, int arg, void *ptr),
               (c, type, arg, ptr))
DYNLIB_FORWARD(libcrypto, int, EVP_EncryptInit_ex,
               (EVP_CIPHER_CTX *c, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key,
                const unsigned char *iv),
               (c, cipher, impl, key, iv))
DYNLIB_FORWARD(libcrypto, int, EVP_EncryptUpdate,
               (EVP_CIPHER_CTX *c, unsigned char *out, int *outl, const unsigned char *in, int inl),
               (c, out, outl, in, inl))
DYNLIB_FORWARD(libcrypto, int, EVP_EncryptFinal_ex, (EVP_CIPHER_CTX *c, unsigned char *out, int *outl),
               (c, out, outl))
DYNLIB_FORWARD(libcrypto, int, EVP_DecryptInit_ex,
               (EVP_CIPHER_CTX *c, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key,
                const unsigned char *iv),
               (c, cipher, impl, key, iv))
DYNLIB_FORWARD(libcrypto, int, EVP_DecryptUpdate,
               (EVP_CIPHER_CTX *c, unsigned char *out, int *outl, const unsigned char *in, int inl),
               (c, out, outl, in, inl))
DYNLIB_FORWARD(libcrypto, int, EVP_DecryptFinal_ex, (EVP_CIPHER_CTX *c, unsigned char *out, int *outl),
               (c, out, outl))
DYNLIB_FORWARD(libcrypto, unsigned long, ERR_get_error, (void), ())
DYNLIB_FORWARD(libcrypto, const char *, ERR_reason_error_string, (unsigned long e), (e))

/* A *_free function: NULL is nothing to free, and needs no library loaded. */
#define FORWARD_FREE(l, type, name)                                                              \
	void name(type *p)                                                                       \
	{                                                                                        \
		static void (*_Atomic fp)(type *);                                               \
		if (!p)                                                                          \
			return;                                                                  \
		void (*f)(type *) = fp;                                                          \
		if (!f)                                                                          \
			fp = f = (void (*)(type *))dynlib_sym(&(l), #name);                      \
		f(p);                                                                            \
	}

FORWARD_FREE(libcrypto, EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

/* Zeroing memory needs no library (the secrets sealed are wiped whether or not libcrypto was
 * loaded): explicit_bzero is not optimised away. */
void OPENSSL_cleanse(void *ptr, size_t len) { explicit_bzero(ptr, len); }

/* ---- libssl ---- */
DYNLIB_FORWARD(libssl, const SSL_METHOD *, TLS_client_method, (void), ())
DYNLIB_FORWARD(libssl, SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *m), (m))
DYNLIB_FORWARD(libssl, int, SSL_CTX_set_default_verify_paths, (SSL_CTX *c), (c))
DYNLIB_FORWARD(libssl, void, SSL_CTX_set_verify, (SSL_CTX *c, int mode, SSL_verify_cb cb), (c, mode, cb))
DYNLIB_FORWARD(libssl, SSL *, SSL_new, (SSL_CTX *c), (c))
DYNLIB_FORWARD(libssl, int, SSL_set_fd, (SSL *s, int fd), (s, fd))
DYNLIB_FORWARD(libssl, long, SSL_ctrl, (SSL *s, int cmd, long larg, void *parg), (s, cmd, larg, parg))
DYNLIB_FORWARD(libssl, int, SSL_set1_host, (SSL *s, const char *host), (s, host))
DYNLIB_FORWARD(libssl, int, SSL_connect, (SSL *s), (s))
DYNLIB_FORWARD(libssl, int, SSL_read, (SSL *s, void *buf, int num), (s, buf, num))
DYNLIB_FORWARD(libssl, int, SSL_write, (SSL *s, const void *buf, int num), (s, buf, num))
DYNLIB_FORWARD(libssl, int, SSL_shutdown, (SSL *s), (s))

FORWARD_FREE(libssl, SSL, SSL_free)
FORWARD_FREE(libssl, SSL_CTX, SSL_CTX_free)
