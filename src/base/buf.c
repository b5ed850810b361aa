/* String slices and the growable buffer. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

bool str_starts_with(struct str s, struct str prefix)
{
	return s.n >= prefix.n && memcmp(s.p, prefix.p, prefix.n) == 0;
}

bool str_ends_with(struct str s, struct str suffix)
{
	return s.n >= suffix.n && memcmp(s.p + s.n - suffix.n, suffix.p, suffix.n) == 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

struct str str_trim(struct str s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

int str_cmp(struct str a, struct str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = n ? memcmp(a.p, b.p, n) : 0;
	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

/* Eight bytes a step, then a final mix so that the low bits (the tables' slots) depend on every
 * byte: unique ids and paths are 30-80 bytes, which a byte-at-a-time hash took 4-5 cycles each
 * for. Only ever kept in memory (tables of one process), never written. */
uint64_t str_hash(struct str s)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0x243f6a8885a308d3ULL ^ ((uint64_t)s.n * k);
	const char *p = s.p;
	size_t n = s.n;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n) { /* the last 1-7 bytes in two loads (they may overlap: the length is mixed in) */
		uint64_t w;
		if (n >= 4) {
			uint32_t x, y;
			memcpy(&x, p, 4);
			memcpy(&y, p + n - 4, 4);
			w = (uint64_t)x << 32 | y;
		} else {
			const unsigned char *u = (const unsigned char *)p;
			w = (uint64_t)u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16;
		}
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

void buf_init(struct buf *b) { memset(b, 0, sizeof(*b)); }

void buf_release(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->n = 0;
	b->overflow = false;
	if (b->p)
		b->p[0] = 0;
}

void buf_grow(struct buf *b, size_t extra)
{
	if (b->n + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->n + extra + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->max && b->n + n > b->max) {
		b->overflow = true;
		return;
	}
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

void buf_putc(struct buf *b, char c)
{
	if (b->max && b->n + 1 > b->max) {
		b->overflow = true;
		return;
	}
	if (b->n + 2 > b->cap)
		buf_grow(b, 1);
	b->p[b->n++] = c;
	b->p[b->n] = 0;
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	buf_grow(b, 64);
	int n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n >= b->cap - b->n) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap2);
	}
	va_end(ap2);
	if (b->max && b->n + (size_t)n > b->max) {
		b->overflow = true;
		b->p[b->n] = 0;
		return;
	}
	b->n += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->p ? b->p : xcalloc(1, 1);
	if (len)
		*len = b->n;
	buf_init(b);
	return p;
}

char *file_read_all(const char *path, size_t *len)
{
	return file_read_at(AT_FDCWD, path, len);
}

/* Reads fd to its end into b (whose room is the first read's size), then closes fd; a regular
 * file reads short only at its end. The text, NUL-terminated (caller frees), or NULL with
 * errno set. */
static char *read_rest(int fd, struct buf *b, bool regular, size_t *len)
{
	int err = 0;
	for (;;) {
		if (b->cap - b->n < 2)
			buf_grow(b, b->cap);
		size_t ask = b->cap - b->n - 1;
		ssize_t k = read(fd, b->p + b->n, ask);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			err = errno ? errno : EIO;
		if (k <= 0)
			break;
		b->n += (size_t)k;
		if (regular && (size_t)k < ask)
			break;
	}
	close(fd);
	if (err) {
		buf_release(b);
		errno = err;
		return NULL;
	}
	b->p[b->n] = 0;
	return buf_detach(b, len);
}

char *file_read_at(int dirfd, const char *path, size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* a regular file is read in one go into a buffer of its size; anything else (a pipe, a
	 * file that grows meanwhile) continues in chunks */
	struct stat st;
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
	size_t want = regular ? (size_t)st.st_size + 1 : 65536;
	struct buf b = BUF_INIT;
	b.p = xmalloc(want + 1);
	b.cap = want + 1;
	return read_rest(fd, &b, regular, len);
}

char *file_read_regular_at(int dirfd, const char *path, size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* one read into a stack buffer: a regular file reads short only at its end, so a file
	 * smaller than the buffer is whole after it, without the fstat that would size it */
	char first[32768];
	ssize_t k;
	do
		k = read(fd, first, sizeof(first));
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	struct buf b = BUF_INIT;
	b.p = xmalloc((size_t)k + 1);
	b.cap = (size_t)k + 1;
	memcpy(b.p, first, (size_t)k);
	b.n = (size_t)k;
	if ((size_t)k < sizeof(first)) { /* whole */
		close(fd);
		b.p[b.n] = 0;
		return buf_detach(&b, len);
	}
	return read_rest(fd, &b, false, len); /* a bigger file: to its end */
}

int file_replace(const char *tmp, const char *path)
{
	/* the names are swapped and the old file unlinked rather than renamed over: ext4 writes
	 * a file out at once when a rename replaces another (auto_da_alloc), which kept a 65 MB
	 * manifest's rename 25 ms on the caller's clock. Either way path names the old file or
	 * the new one at every moment. */
	int rc = file_replace_keep(tmp, path);
	if (rc == 1)
		unlink(tmp);
	return rc < 0 ? -1 : 0;
}

int file_replace_keep(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0)
		return 1;
	/* path did not exist, or the file system cannot swap */
	return rename(tmp, path) == 0 ? 0 : -1;
}

int file_write_all(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(text, 1, len, f);
	int err = w == len ? 0 : errno;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (!err)
		return 0;
	errno = err;
	return -1;
}

int file_make_parents(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int rc = mkdir(path, 0777);
		*s = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}
