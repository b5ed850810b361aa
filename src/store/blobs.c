/* Node blobs (a node's manifest JSON stored once, content-addressed), zlib compression, and
 * the encodings of artifacts: raw, zlib, and "nodes" — a manifest kept as its text between
 * nodes plus references to node blobs, so a manifest's nodes are stored once whatever number of
 * runs keep it. docs/internals/store.md ("Node blobs and artifacts"). */
#include <zlib.h>

#include "store_int.h"

/* Blobs smaller than this are kept as they are: compression would not pay. */
#define PACK_MIN 128

/* ---- zlib ---- */
int store_zpack(struct store *s, const void *p, size_t n, struct buf *out)
{
	z_stream *z = s->deflate;
	if (!z) {
		z = xcalloc(1, sizeof(*z));
		if (deflateInit(z, 1) != Z_OK) {
			free(z);
			return -1;
		}
		s->deflate = z;
	} else if (deflateReset(z) != Z_OK) {
		return -1;
	}
	size_t start = out->n;
	size_t bound = deflateBound(z, (uLong)n);
	buf_grow(out, bound + 1);
	z->next_in = (Bytef *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	z->next_out = (Bytef *)out->p + start;
	z->avail_out = (uInt)bound;
	if (n > UINT32_MAX || bound > UINT32_MAX || deflate(z, Z_FINISH) != Z_STREAM_END)
		return -1;
	out->n = start + (bound - z->avail_out);
	out->p[out->n] = 0;
	return 0;
}

int store_zunpack(struct store *s, const void *p, size_t n, struct buf *out)
{
	z_stream *z = s->inflate;
	if (!z) {
		z = xcalloc(1, sizeof(*z));
		if (inflateInit(z) != Z_OK) {
			free(z);
			return -1;
		}
		s->inflate = z;
	} else if (inflateReset(z) != Z_OK) {
		return -1;
	}
	if (n > UINT32_MAX)
		return -1;
	size_t start = out->n;
	z->next_in = (Bytef *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	for (;;) {
		buf_grow(out, n * 4 + 4096);
		size_t room = out->cap - out->n - 1;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		z->next_out = (Bytef *)out->p + out->n;
		z->avail_out = (uInt)room;
		int rc = inflate(z, Z_NO_FLUSH);
		out->n += room - z->avail_out;
		out->p[out->n] = 0;
		if (rc == Z_STREAM_END)
			return 0;
		if (rc != Z_OK && !(rc == Z_BUF_ERROR && z->avail_out == 0)) {
			out->n = start;
			out->p[out->n] = 0;
			return -1;
		}
		if (z->avail_in == 0 && z->avail_out != 0) { /* truncated */
			out->n = start;
			out->p[out->n] = 0;
			return -1;
		}
	}
}

void store_blobs_close(struct store *s)
{
	if (s->deflate) {
		deflateEnd(s->deflate);
		free(s->deflate);
	}
	if (s->inflate) {
		inflateEnd(s->inflate);
		free(s->inflate);
	}
	s->deflate = s->inflate = NULL;
}

const unsigned char *st_digest(struct st *st, int i, struct arena *a)
{
	size_t n;
	const void *p = st_is_blob(st, i) ? st_blob(st, i, &n) : NULL;
	if (!p || n != 32)
		return NULL;
	unsigned char *d = arena_alloc(a, 32);
	memcpy(d, p, 32);
	return d;
}

/* ---- node blobs ---- */
void store_node_hash(const char *text, size_t len, size_t cut, size_t cutlen,
                     unsigned char out[32])
{
	if (cut > len)
		cut = len;
	if (cutlen > len - cut)
		cutlen = len - cut;
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, text, cut);
	sha256_update(&h, text + cut + cutlen, len - cut - cutlen);
	sha256_final(&h, out);
}

int store_blob_find(struct store *s, const unsigned char hash[32], int64_t *id, struct arena *a,
                    struct store_node_info *info, struct diag *d)
{
	static const char sql[] = "SELECT id, digest, database, schema, alias, relation_name, "
	                          "materialized, macro_sql, macro_deps FROM node_blob WHERE hash = ?";
	struct st *st = st_cached(s, d, sql, "b", (const void *)hash, (size_t)32);
	if (!st)
		return -1;
	int r = st_step(s, d, st);
	if (r == 1) {
		*id = st_int(st, 0);
		if (info)
			*info = (struct store_node_info){
				st_digest(st, 1, a), st_text(st, 2, a), st_text(st, 3, a),
				st_text(st, 4, a), st_text(st, 5, a), st_text(st, 6, a),
				st_text(st, 7, a), st_text(st, 8, a),
			};
	}
	st_reset(st);
	return r;
}

int store_blob_put(struct store *s, const unsigned char hash[32], const char *json, size_t len,
                   const struct store_node_info *info, int64_t *id, struct diag *d)
{
	/* SQLite looks first (a blob that is there costs no compression); on PostgreSQL, where each
	 * statement is a round trip and ingestion has just looked, the insert says whether it was
	 * there (no row from ON CONFLICT DO NOTHING) and only then is it looked up */
	if (s->kind != STORE_PG) {
		int r = store_blob_find(s, hash, id, NULL, NULL, d);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	struct store_node_info none = { 0 };
	if (!info)
		info = &none;
	struct buf z = BUF_INIT;
	bool packed = len >= PACK_MIN && store_zpack(s, json, len, &z) == 0 && z.n < len - len / 8;
	static const char sql[] =
	    "INSERT INTO node_blob (hash, digest, database, schema, alias, relation_name, "
	    "materialized, macro_sql, macro_deps, size, zlib, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id";
	struct st *st = st_cached(s, d, sql, "bb" "ttttt" "tt" "ii" "b", (const void *)hash, (size_t)32,
	              (const void *)info->digest, (size_t)(info->digest ? 32 : 0), info->database,
	              info->schema, info->alias, info->relation_name, info->materialized,
	              info->macro_sql, info->macro_deps, (int64_t)len, (int64_t)packed,
	              packed ? (const void *)z.p : (const void *)(json ? json : ""),
	              packed ? z.n : len);
	buf_release(&z);
	if (!st)
		return -1;
	int rc = st_step(s, d, st);
	if (rc == 1)
		*id = st_int(st, 0);
	st_reset(st);
	if (rc == 0) { /* there already */
		int r = store_blob_find(s, hash, id, NULL, NULL, d);
		if (r == 0)
			serr(d, "%s: a node blob vanished while it was being stored", s->path);
		return r == 1 ? 0 : -1;
	}
	return rc == 1 ? 0 : -1;
}

int store_blob_get(struct store *s, int64_t id, struct arena *a, const char **json, size_t *len,
                   struct diag *d)
{
	static const char sql[] = "SELECT size, zlib, body FROM node_blob WHERE id = ?";
	struct st *st = st_cached(s, d, sql, "i", id);
	if (!st)
		return -1;
	int rc = st_step(s, d, st), r = -1;
	if (rc == 1) {
		size_t size = (size_t)st_int(st, 0);
		size_t n;
		const void *p = st_blob(st, 2, &n);
		if (!st_int(st, 1)) {
			*json = arena_strndup(a, p ? p : "", n);
			*len = n;
			r = 0;
		} else {
			struct buf b = BUF_INIT;
			if (store_zunpack(s, p, n, &b) == 0 && b.n == size) {
				*json = arena_strndup(a, buf_cstr(&b), b.n);
				*len = b.n;
				r = 0;
			} else {
				serr(d, "%s: node blob %lld is damaged (not the zlib data it should be)",
				     s->path, (long long)id);
			}
			buf_release(&b);
		}
	} else if (rc == 0) {
		serr(d, "%s: node blob %lld is missing", s->path, (long long)id);
	}
	st_reset(st);
	return r;
}

/* ---- "nodes" artifacts ----
 * Before compression: a list of pieces, each 'T' <len> <bytes> (text) or 'N' <blob id> <at>
 * <len> <bytes> (the blob's JSON with the bytes put back at `at`); numbers are LEB128. */
static void put_varint(struct buf *b, uint64_t v)
{
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_putc(b, (char)c);
	} while (v);
}

static bool get_varint(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < e && shift < 64; shift += 7) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

static int artifact_row(struct store *s, const struct store_artifact *art, const char *encoding,
                        const void *content, size_t n, size_t size, struct diag *d);

int store_artifact_put_pieces(struct store *s, const struct store_artifact *art,
                              const struct store_piece *v, size_t n, struct diag *d)
{
	struct buf raw = BUF_INIT, z = BUF_INIT;
	size_t size = 0;
	for (size_t i = 0; i < n; i++) {
		buf_putc(&raw, v[i].blob_id ? 'N' : 'T');
		if (v[i].blob_id) {
			put_varint(&raw, (uint64_t)v[i].blob_id);
			put_varint(&raw, v[i].at);
		}
		put_varint(&raw, v[i].len);
		buf_append(&raw, v[i].text, v[i].len);
		size += v[i].len;
	}
	/* the blobs' sizes count too */
	int rc = 0;
	if (n) {
		static const char sql[] = "SELECT size FROM node_blob WHERE id = ?";
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (!v[i].blob_id)
				continue;
			if (v[i].blob_len) {
				size += v[i].blob_len;
				continue;
			}
			struct st *st = st_cached(s, d, sql, "i", v[i].blob_id);
			int e = st ? st_step(s, d, st) : -1;
			if (e == 1)
				size += (size_t)st_int(st, 0);
			else {
				if (e == 0)
					serr(d, "%s: an artifact names node blob %lld, which is not stored",
					     s->path, (long long)v[i].blob_id);
				rc = -1;
			}
			if (st)
				st_reset(st);
		}
	}
	if (rc == 0 && store_zpack(s, raw.p ? raw.p : "", raw.n, &z) < 0) {
		serr(d, "%s: cannot compress artifact %s", s->path, art->path);
		rc = -1;
	}
	if (rc == 0)
		rc = artifact_row(s, art, "nodes", z.p ? z.p : "", z.n, size, d);
	buf_release(&raw);
	buf_release(&z);
	return rc;
}

int store_artifact_decode(struct store *s, const char *encoding, const void *p, size_t n,
                          struct buf *out, struct diag *d)
{
	if (!encoding || !strcmp(encoding, "raw")) {
		buf_append(out, p, n);
		return 0;
	}
	struct buf raw = BUF_INIT;
	if (store_zunpack(s, p, n, !strcmp(encoding, "zlib") ? out : &raw) < 0) {
		serr(d, "%s: an artifact is damaged (not the zlib data it should be)", s->path);
		buf_release(&raw);
		return -1;
	}
	if (strcmp(encoding, "nodes")) {
		if (strcmp(encoding, "zlib")) {
			serr(d, "%s: an artifact has an unknown encoding '%s'", s->path, encoding);
			return -1;
		}
		return 0;
	}
	const unsigned char *q = (const unsigned char *)raw.p, *e = q + raw.n;
	struct arena a;
	arena_init(&a);
	int rc = 0;
	while (rc == 0 && q < e) {
		unsigned char tag = *q++;
		uint64_t id = 0, at = 0, len = 0;
		if ((tag != 'T' && tag != 'N') || (tag == 'N' && !get_varint(&q, e, &id)) ||
		    (tag == 'N' && !get_varint(&q, e, &at)) || !get_varint(&q, e, &len) ||
		    len > (uint64_t)(e - q)) {
			serr(d, "%s: an artifact is damaged (bad piece list)", s->path);
			rc = -1;
			break;
		}
		if (tag == 'T') {
			buf_append(out, q, len);
		} else {
			const char *json;
			size_t jlen;
			if (store_blob_get(s, (int64_t)id, &a, &json, &jlen, d) < 0) {
				rc = -1;
				break;
			}
			if (at > jlen)
				at = jlen;
			buf_append(out, json, at);
			buf_append(out, q, len);
			buf_append(out, json + at, jlen - at);
			arena_release(&a);
			arena_init(&a);
		}
		q += len;
	}
	arena_release(&a);
	buf_release(&raw);
	return rc;
}

/* ---- artifact rows ---- */
/* Artifacts at least this long are kept compressed. */
#define ARTIFACT_PACK_MIN 4096

static int artifact_row(struct store *s, const struct store_artifact *art, const char *encoding,
                        const void *content, size_t n, size_t size, struct diag *d)
{
	if (!art->path || !*art->path) {
		serr(d, "an artifact needs a path");
		return -1;
	}
	if (store_begin(s, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct store_run r0;
	int rc = store_run_get(s, art->run_id, &a, &r0, d);
	arena_release(&a);
	if (rc == 0 && art->step_id) {
		struct st *st = st_prep(s, d, "SELECT run_id FROM run_step WHERE id = ?", "i",
		                        art->step_id);
		int r = st ? st_row(s, d, st) : -1;
		if (r == 1) {
			if (st_int(st, 0) != art->run_id) {
				serr(d, "run step %lld is not a step of run %lld", (long long)art->step_id,
				     (long long)art->run_id);
				r = -1;
			}
			st_free(st);
		} else if (r == 0) {
			serr(d, "no run step with id %lld", (long long)art->step_id);
			r = -1;
		}
		rc = r < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = st_do(s, d,
		           "DELETE FROM artifact WHERE run_id = ? AND coalesce(step_id, 0) = ? AND path = ?",
		           "iit", art->run_id, art->step_id, art->path);
	if (rc == 0)
		rc = st_do(s, d,
		           "INSERT INTO artifact (run_id, step_id, path, content, encoding, size) "
		           "VALUES (?, ?, ?, ?, ?, ?)",
		           "iItbti", art->run_id, art->step_id, art->path, content, n, encoding,
		           (int64_t)size);
	return st_end(s, d, rc);
}

int store_artifact_put(struct store *s, const struct store_artifact *art, struct diag *d)
{
	const char *text = art->content ? art->content : "";
	struct buf z = BUF_INIT;
	bool packed = art->len >= ARTIFACT_PACK_MIN && store_zpack(s, text, art->len, &z) == 0 &&
	              z.n < art->len;
	int rc = artifact_row(s, art, packed ? "zlib" : "raw", packed ? z.p : text,
	                      packed ? z.n : art->len, art->len, d);
	buf_release(&z);
	return rc;
}
