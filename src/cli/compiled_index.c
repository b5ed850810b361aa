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
#include "run/compile.h"

void compiled_index_init(struct compiled_index *ix)
{
	memset(ix, 0, sizeof(*ix)); /* path too: the caller sets it */
	map_init(&ix->recs);
}

void compiled_index_release(struct compiled_index *ix)
{
	map_release(&ix->recs);
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

/* The record of the line at p (up to eol) and where its path starts; false when it does not
 * parse. */
static bool parse_line(const char *p, const char *eol, struct compiled_rec *r, const char **key)
{
	const char *q = p + 64;
	if (eol - p <= 65 || *q != ' ')
		return false;
	memcpy(r->hex, p, 64);
	r->hex[64] = 0;
	q++;
	if (!parse_u64(&q, eol, &r->ino) || !parse_u64(&q, eol, &r->size) ||
	    !parse_u64(&q, eol, &r->sec) || !parse_u64(&q, eol, &r->nsec) || q >= eol)
		return false;
	*key = q;
	return true;
}

void compiled_index_load(struct compiled_index *ix, const char *path)
{
	size_t len;
	ix->text = file_read_all(path, &len);
	if (!ix->text)
		return;
	/* a line is kept as where it starts (the map's value) and parsed again when looked up:
	 * 30,000 records would otherwise hold a few megabytes more at the compile's peak */
	const char *p = ix->text, *end = ix->text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *key;
		struct compiled_rec r;
		if (parse_line(p, eol, &r, &key))
			map_set(&ix->recs, str_make(key, (size_t)(eol - key)), (void *)p);
		p = nl ? nl + 1 : end;
	}
}

bool compiled_index_get(const struct compiled_index *ix, struct str key, struct compiled_rec *r)
{
	const char *p = map_get(&ix->recs, key), *k;
	return p && parse_line(p, strchrnul(p, '\n'), r, &k); /* the text ends in a NUL */
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

/* Appends to b, writing it to fd (and emptying it) once it holds 64 KiB; false once a write
 * failed. */
static bool spill(int fd, struct buf *b, bool last)
{
	if (b->n < 65536 && !last)
		return true;
	size_t off = 0;
	while (off < b->n) {
		ssize_t k = write(fd, b->p + off, b->n - off);
		if (k <= 0)
			return false;
		off += (size_t)k;
	}
	b->n = 0;
	return true;
}

int compiled_index_save(struct compiled_index *ix, const char *path,
                        const struct compiled_rec *const *recs, const struct gnode *const *nodes,
                        size_t n)
{
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.tmp", path);
	int fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		buf_release(&tmp);
		return -1;
	}
	/* this run's files first, in node order, then the other lines of the old index (a
	 * compile of a selection leaves those files as they were) */

	struct buf b = BUF_INIT;
	bool ok = true;
	struct buf key = BUF_INIT;
	for (size_t i = 0; i < n && ok; i++) {
		if (!recs[i])
			continue;
		buf_reset(&key);
		node_target_path(nodes[i], &key);
		put_rec(&b, recs[i], buf_str(&key));
		bool created;
		if (map_has(&ix->recs, buf_str(&key))) /* its old line is not written again */
			*map_slot(&ix->recs, buf_str(&key), &created) = NULL;
		ok = spill(fd, &b, false);
	}
	buf_release(&key);
	for (size_t i = 0; i < ix->recs.n && ok; i++) {
		const struct map_entry *e = &ix->recs.e[i];
		if (!e->key.p || !e->val)
			continue;
		const char *line = e->val;
		buf_append(&b, line, (size_t)(e->key.p + e->key.n - line));
		buf_putc(&b, '\n');
		ok = spill(fd, &b, false);
	}
	ok = ok && spill(fd, &b, true);
	buf_release(&b);
	int rc = close(fd) == 0 && ok ? 0 : -1;
	if (rc == 0)
		rc = file_replace(tmp.p, path);
	if (rc < 0)
		unlink(tmp.p);
	buf_release(&tmp);
	return rc;
}
