/* The index of compiled files: what `silt compile` wrote into target/compiled last time.
 *
 * A 10k project compiles to 30,000 files. Rewriting an unchanged one costs a truncate and, on
 * ext4, a flush at close; reading it back to compare costs four system calls (open, fstat,
 * read, close: ~5 us each file here, 15% of a compile's CPU). So each file's SHA-256 and the
 * inode, size and modification time it had once written are kept in target/.silt_compiled,
 * one line per file:
 *
 *     <sha256 hex> <inode> <size> <mtime seconds> <mtime nanoseconds> <path under compiled/>
 *
 * A file whose new text has the recorded digest and whose stat still matches the record (one
 * fstatat) is left as it is. Anything else (no record, another digest, a file changed or
 * replaced since) goes the old way: compare the bytes, write when they differ. The index is a
 * cache: a missing or unreadable one only costs the comparisons, and a line that does not
 * parse is skipped. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void compiled_index_init(struct compiled_index *ix)
{
	memset(ix, 0, sizeof(*ix)); /* path too: the caller sets it */
	map_init(&ix->recs);
	arena_init(&ix->a);
}

void compiled_index_release(struct compiled_index *ix)
{
	map_release(&ix->recs);
	arena_release(&ix->a);
	free(ix->text);
	ix->text = NULL;
}

static bool parse_u64(const char **p, const char *end, uint64_t *out)
{
	const char *q = *p;
	uint64_t v = 0;
	if (q >= end || *q < '0' || *q > '9')
		return false;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (q >= end || *q != ' ')
		return false;
	*p = q + 1;
	*out = v;
	return true;
}

void compiled_index_load(struct compiled_index *ix, const char *path)
{
	size_t len;
	ix->text = file_read_all(path, &len);
	if (!ix->text)
		return;
	const char *p = ix->text, *end = ix->text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct compiled_rec r = {0};
		const char *q = p + 64;
		bool ok = eol - p > 65 && *q == ' ';
		if (ok) {
			memcpy(r.hex, p, 64);
			q++;
			ok = parse_u64(&q, eol, &r.ino) && parse_u64(&q, eol, &r.size) &&
			     parse_u64(&q, eol, &r.sec) && parse_u64(&q, eol, &r.nsec) && q < eol;
		}
		if (ok) {
			struct compiled_rec *kept = arena_alloc(&ix->a, sizeof(*kept));
			*kept = r;
			map_set(&ix->recs, str_make(q, (size_t)(eol - q)), kept);
		}
		p = nl ? nl + 1 : end;
	}
}

void compiled_rec_set(struct compiled_rec *r, const char *hex, const struct stat *st)
{
	memcpy(r->hex, hex, 64);
	r->hex[64] = 0;
	r->ino = (uint64_t)st->st_ino;
	r->size = (uint64_t)st->st_size;
	r->sec = (uint64_t)st->st_mtim.tv_sec;
	r->nsec = (uint64_t)st->st_mtim.tv_nsec;
}

bool compiled_rec_same(const struct compiled_rec *a, const struct compiled_rec *b)
{
	return !memcmp(a->hex, b->hex, 64) && a->ino == b->ino && a->size == b->size &&
	       a->sec == b->sec && a->nsec == b->nsec;
}

static void put_u64(struct buf *b, uint64_t v)
{
	char d[24];
	int n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	buf_putc(b, ' ');
	while (n)
		buf_putc(b, d[--n]);
}

static void put_rec(struct buf *b, const struct compiled_rec *r, struct str key)
{
	buf_append(b, r->hex, 64);
	put_u64(b, r->ino);
	put_u64(b, r->size);
	put_u64(b, r->sec);
	put_u64(b, r->nsec);
	buf_putc(b, ' ');
	buf_append(b, key.p, key.n);
	buf_putc(b, '\n');
}

int compiled_index_save(const struct compiled_index *ix, const char *path,
                        const struct compiled_rec *const *recs, const char *const *keys,
                        size_t n)
{
	/* this run's files first, in node order, then the others the old index named (a compile
	 * of a selection leaves them as they were) */
	struct map seen;
	map_init(&seen);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (!recs[i] || !keys[i])
			continue;
		put_rec(&b, recs[i], str_from(keys[i]));
		map_set(&seen, str_from(keys[i]), (void *)recs[i]);
	}
	for (size_t i = 0; i < ix->recs.n; i++) {
		const struct map_entry *e = &ix->recs.e[i];
		if (!e->key.p || map_get(&seen, e->key))
			continue;
		put_rec(&b, e->val, e->key);
	}
	map_release(&seen);
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.tmp", path);
	int rc = -1;
	int fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		size_t off = 0;
		while (off < b.n) {
			ssize_t k = write(fd, b.p + off, b.n - off);
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		rc = close(fd) == 0 && off == b.n ? 0 : -1;
		if (rc == 0)
			rc = rename(tmp.p, path);
		if (rc < 0)
			unlink(tmp.p);
	}
	buf_release(&tmp);
	buf_release(&b);
	return rc;
}
