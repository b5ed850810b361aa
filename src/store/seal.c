/* Sealing secrets: AES-256-GCM (libcrypto) under the store key — 64 hex digits from
 * SILT_STORE_KEY, else the 0600 file ~/.silt/key, created with a random key on first use. A
 * sealed value is nonce (12 bytes) || ciphertext || tag (16 bytes); the caller's `aad` names the
 * row, so a value copied to another row does not open. The store keeps a sealed check value in
 * store_meta, so a wrong key is refused before anything is sealed with it. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define CHECK_AAD "silt:key-check"
#define CHECK_TEXT "silt store key check"

static int gcm_seal(const unsigned char key[32], const char *aad, struct str plain, struct buf *out)
{
	unsigned char nonce[NONCE_LEN], tag[TAG_LEN];
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -1;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		silt_abort("EVP_CIPHER_CTX_new");
	buf_reset(out);
	buf_grow(out, NONCE_LEN + plain.n + TAG_LEN + 16);
	memcpy(out->p, nonce, NONCE_LEN);
	int len = 0, fin = 0, ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
	                           EVP_EncryptUpdate(c, NULL, &len, (const unsigned char *)aad,
	                                             (int)strlen(aad)) == 1 &&
	                           EVP_EncryptUpdate(c, (unsigned char *)out->p + NONCE_LEN, &len,
	                                             (const unsigned char *)plain.p, (int)plain.n) == 1 &&
	                           EVP_EncryptFinal_ex(c, (unsigned char *)out->p + NONCE_LEN + len,
	                                               &fin) == 1 &&
	                           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return -1;
	out->n = NONCE_LEN + (size_t)len + (size_t)fin;
	buf_append(out, tag, TAG_LEN);
	return 0;
}

/* The plain text (NUL-terminated) in out; -1 when the key or aad does not match. */
static int gcm_open(const unsigned char key[32], const char *aad, const unsigned char *blob,
                    size_t n, struct buf *out)
{
	if (n < NONCE_LEN + TAG_LEN)
		return -1;
	size_t clen = n - NONCE_LEN - TAG_LEN;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		silt_abort("EVP_CIPHER_CTX_new");
	buf_reset(out);
	buf_grow(out, clen + 16);
	unsigned char tag[TAG_LEN];
	memcpy(tag, blob + n - TAG_LEN, TAG_LEN);
	int len = 0, fin = 0;
	int ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, blob) == 1 &&
	         EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	         EVP_DecryptUpdate(c, (unsigned char *)out->p, &len, blob + NONCE_LEN, (int)clen) == 1 &&
	         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1 &&
	         EVP_DecryptFinal_ex(c, (unsigned char *)out->p + len, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		OPENSSL_cleanse(out->p, out->cap);
		buf_reset(out);
		return -1;
	}
	out->n = (size_t)len + (size_t)fin;
	out->p[out->n] = 0;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 64 hex digits, then only whitespace. */
static int parse_key(const char *h, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		int hi = hexval(h[2 * i]), lo = hi < 0 ? -1 : hexval(h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	for (h += 64; *h; h++)
		if (*h != '\n' && *h != '\r' && *h != ' ' && *h != '\t')
			return -1;
	return 0;
}

static int read_key_file(struct store *s, int fd, struct diag *d)
{
	struct stat st;
	char text[130];
	if (fstat(fd, &st) < 0) {
		serr(d, "%s: %s", s->key_file, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		serr(d, "%s: the store key is readable by other users (mode %03o); run `chmod 600 %s`",
		     s->key_file, (unsigned)(st.st_mode & 0777), s->key_file);
		return -1;
	}
	ssize_t n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		serr(d, "%s: %s", s->key_file, strerror(errno));
		return -1;
	}
	text[n] = 0;
	int rc = parse_key(text, s->key);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc < 0)
		serr(d, "%s: a store key file holds 64 hexadecimal digits (a 256-bit key)", s->key_file);
	return rc;
}

static int make_key_file(struct store *s, struct diag *d)
{
	struct buf dir = BUF_INIT;
	buf_printf(&dir, "%s/.silt", s->home);
	if (mkdir(dir.p, 0700) < 0 && errno != EEXIST) {
		serr(d, "%s: cannot create the folder for the store key: %s", dir.p, strerror(errno));
		buf_release(&dir);
		return -1;
	}
	buf_release(&dir);
	int fd = open(s->key_file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return errno == EEXIST ? 1 : (serr(d, "%s: cannot create the store key: %s",
		                                   s->key_file, strerror(errno)),
		                              -1);
	if (RAND_bytes(s->key, 32) != 1)
		silt_abort("RAND_bytes");
	char text[66];
	for (int i = 0; i < 32; i++)
		snprintf(text + 2 * i, 3, "%02x", s->key[i]);
	text[64] = '\n';
	int ok = write(fd, text, 65) == 65 && fsync(fd) == 0;
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	if (!ok) {
		unlink(s->key_file);
		serr(d, "%s: cannot write the store key", s->key_file);
		return -1;
	}
	return 0;
}

/* Loads the key (creating the key file when `create`) and checks it against the store's. */
static int load_key(struct store *s, bool create, struct diag *d)
{
	if (s->have_key)
		return 0;
	const char *hex = s->key_hex ? s->key_hex : getenv("SILT_STORE_KEY");
	if (hex && *hex) {
		s->key_source = "SILT_STORE_KEY";
		if (parse_key(hex, s->key) < 0) {
			serr(d, "SILT_STORE_KEY must be 64 hexadecimal digits (a 256-bit key, e.g. from "
			        "`openssl rand -hex 32`)");
			return -1;
		}
	} else {
		if (!*s->home) {
			serr(d, "no store key: set SILT_STORE_KEY, or HOME so that silt can keep one in "
			        "~/.silt/key");
			return -1;
		}
		if (!s->key_file) {
			struct buf f = BUF_INIT;
			buf_printf(&f, "%s/.silt/key", s->home);
			s->key_file = buf_detach(&f, NULL);
		}
		s->key_source = s->key_file;
		for (int tries = 0;; tries++) {
			int fd = open(s->key_file, O_RDONLY);
			if (fd >= 0) {
				int rc = read_key_file(s, fd, d);
				close(fd);
				if (rc < 0)
					return -1;
				break;
			}
			if (errno != ENOENT) {
				serr(d, "%s: cannot read the store key: %s", s->key_file, strerror(errno));
				return -1;
			}
			if (!create) {
				serr(d, "no store key: %s does not exist and SILT_STORE_KEY is not set, so "
				        "the store's secrets cannot be opened",
				     s->key_file);
				return -1;
			}
			int rc = make_key_file(s, d);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
			if (tries > 2) /* created by someone else meanwhile: read it */
				return -1;
		}
	}
	/* the store's check value */
	struct st *st = st_prep(s, d, "SELECT value FROM store_meta WHERE key = 'key_check'", NULL);
	int rc = st ? st_row(s, d, st) : -1;
	if (rc < 0)
		goto fail;
	struct buf b = BUF_INIT;
	if (rc == 1) {
		size_t bn;
		const void *v = st_blob(st, 0, &bn);
		int bad = gcm_open(s->key, CHECK_AAD, v, bn, &b) < 0 ||
		          strcmp(buf_cstr(&b), CHECK_TEXT) != 0;
		st_free(st);
		buf_release(&b);
		if (bad) {
			serr(d, "%s: the store key from %s is not the key this store's secrets were sealed "
			        "with; set SILT_STORE_KEY to that key (or restore its ~/.silt/key)",
			     s->path, s->key_source);
			goto fail;
		}
	} else if (create) {
		if (gcm_seal(s->key, CHECK_AAD, STR(CHECK_TEXT), &b) < 0 ||
		    st_do(s, d, "INSERT INTO store_meta VALUES ('key_check', ?)", "b", b.p, b.n) < 0) {
			buf_release(&b);
			goto fail;
		}
		buf_release(&b);
	}
	s->have_key = true;
	return 0;
fail:
	OPENSSL_cleanse(s->key, sizeof(s->key));
	return -1;
}

int store_seal(struct store *s, const char *aad, struct str plain, struct buf *out,
               struct diag *d)
{
	if (load_key(s, true, d) < 0)
		return -1;
	if (gcm_seal(s->key, aad, plain, out) < 0) {
		serr(d, "sealing a secret failed (libcrypto)");
		return -1;
	}
	return 0;
}

int store_unseal(struct store *s, const char *aad, const void *blob, size_t n, struct arena *a,
                 const char **out, const char *what, struct diag *d)
{
	if (load_key(s, false, d) < 0)
		return -1;
	struct buf b = BUF_INIT;
	if (gcm_open(s->key, aad, blob, n, &b) < 0) {
		serr(d, "%s: %s does not open with the store key from %s (wrong key, or the value was "
		        "altered)",
		     s->path, what, s->key_source);
		buf_release(&b);
		return -1;
	}
	*out = arena_strndup(a, buf_cstr(&b), b.n);
	OPENSSL_cleanse(b.p, b.cap);
	buf_release(&b);
	return 0;
}

void store_forget_key(struct store *s)
{
	OPENSSL_cleanse(s->key, sizeof(s->key));
	s->have_key = false;
}
