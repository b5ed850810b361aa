/* project: file discovery (read_files.py get_file_types_for_project / filesystem_search,
 * dbt_common find_matching), .dbtignore (pathspec's gitwildmatch) and checksums
 * (load_file_contents(strip=True) + FileHash.from_contents). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "project_int.h"

static const char *const kind_names[PF_KIND_COUNT] = {
    "macro", "model", "snapshot", "analysis", "singular_test", "generic_test",
    "seed",  "doc",   "schema",   "fixture",  "function",
};
const char *project_file_kind_name(enum project_file_kind k)
{
	return k < PF_KIND_COUNT ? kind_names[k] : "?";
}

/* ---- Python's str.strip() on UTF-8 ---- */
static size_t ws_at(const char *p, size_t n) /* length of a whitespace char at p, or 0 */
{
	unsigned char c = (unsigned char)p[0];
	if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
		return 1;
	if (c < 0x80)
		return 0;
	uint32_t cp;
	size_t k = v_utf8_decode(p, n, &cp);
	if (cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
		return k;
	return 0;
}

static size_t ws_before(const char *s, size_t end) /* whitespace char ending at end, or 0 */
{
	if (!end)
		return 0;
	size_t start = end - 1;
	while (start > 0 && end - start < 4 && ((unsigned char)s[start] & 0xc0) == 0x80)
		start--;
	size_t k = ws_at(s + start, end - start);
	return k == end - start ? k : (ws_at(s + end - 1, 1) == 1 ? 1 : 0);
}

struct str project_strip(struct str s)
{
	size_t k;
	while (s.n && (k = ws_at(s.p, s.n)) > 0)
		s.p += k, s.n -= k;
	while (s.n && (k = ws_before(s.p, s.n)) > 0)
		s.n -= k;
	return s;
}

void project_checksum(const char *text, size_t len, bool normalized, char out[65])
{
	struct str s = project_strip(str_make(text, len));
	if (!normalized) {
		sha256_hex(s.p, s.n, out);
		return;
	}
	/* " ".join(contents.split()) */
	struct buf b = BUF_INIT;
	size_t i = 0;
	bool pending = false;
	while (i < s.n) {
		size_t k = ws_at(s.p + i, s.n - i);
		if (k) {
			pending = true;
			i += k;
			continue;
		}
		if (pending && b.n)
			buf_putc(&b, ' ');
		pending = false;
		buf_putc(&b, s.p[i++]);
	}
	sha256_hex(buf_cstr(&b), b.n, out);
	buf_release(&b);
}

/* ---- .dbtignore ---- */
struct ignore_pat {
	const char **segs; /* "**" is a segment of its own */
	size_t n;
	bool include;        /* false for `!` patterns */
	bool dir_only;       /* written with a trailing slash */
	bool match_all_dirs; /* the special `**` + `/` pattern */
};
struct ignore_spec {
	struct ignore_pat *v;
	size_t n;
};

struct ignore_spec *ignore_spec_parse(struct arena *a, const char *text, size_t len)
{
	struct ignore_spec *s = arena_zalloc(a, sizeof *s);
	size_t cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	s->v = arena_zalloc(a, cap * sizeof(struct ignore_pat));
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct str line = str_make(p, (size_t)(eol - p));
		p = nl ? nl + 1 : end;
		/* pathspec strips both ends unless the pattern ends in an escaped space */
		if (line.n >= 2 && line.p[line.n - 1] == ' ' && line.p[line.n - 2] == '\\') {
			while (line.n && (*line.p == ' ' || *line.p == '\t'))
				line.p++, line.n--;
		} else {
			line = str_trim(line);
		}
		if (!line.n || line.p[0] == '#' || str_eqc(line, "/"))
			continue;
		struct ignore_pat pat = {.include = true};
		if (line.p[0] == '!') {
			pat.include = false;
			line.p++, line.n--;
		}
		/* split on '/' */
		const char *segs[256];
		size_t n = 0;
		const char *q = line.p, *qe = line.p + line.n;
		for (;;) {
			const char *sl = memchr(q, '/', (size_t)(qe - q));
			const char *se = sl ? sl : qe;
			if (n < ARRAY_LEN(segs))
				segs[n++] = arena_strndup(a, q, (size_t)(se - q));
			if (!sl)
				break;
			q = sl + 1;
		}
		bool is_dir = n > 0 && !*segs[n - 1];
		/* collapse repeated ** */
		size_t w = 0;
		for (size_t i = 0; i < n; i++) {
			if (w > 0 && !strcmp(segs[i], "**") && !strcmp(segs[w - 1], "**"))
				continue;
			segs[w++] = segs[i];
		}
		n = w;
		if (n == 2 && !strcmp(segs[0], "**") && !*segs[1])
			pat.match_all_dirs = true;
		size_t first = 0;
		bool prepend = false;
		if (n && !*segs[0]) {
			first = 1; /* anchored */
		} else if (n == 1 || (n == 2 && !*segs[1])) {
			if (strcmp(segs[0], "**"))
				prepend = true;
		}
		size_t m = n - first;
		if (!m)
			continue;
		pat.segs = arena_alloc(a, (m + 2) * sizeof(char *));
		if (prepend)
			pat.segs[pat.n++] = "**";
		for (size_t i = first; i < n; i++)
			pat.segs[pat.n++] = segs[i];
		if (pat.n > 1 && !*pat.segs[pat.n - 1])
			pat.segs[pat.n - 1] = "**";
		pat.dir_only = is_dir;
		s->v[s->n++] = pat;
	}
	return s;
}

/* fnmatch of one segment: * ? [..] with \ escapes, no '/' inside */
static bool seg_glob(const char *pat, const char *s)
{
	while (*pat) {
		if (*pat == '*') {
			while (*pat == '*')
				pat++;
			if (!*pat)
				return true;
			for (const char *t = s; *t; t++)
				if (seg_glob(pat, t))
					return true;
			return seg_glob(pat, s + strlen(s));
		}
		if (!*s)
			return false;
		if (*pat == '?') {
			pat++, s++;
			continue;
		}
		if (*pat == '[') {
			const char *q = pat + 1;
			bool neg = false;
			if (*q == '!' || *q == '^')
				neg = true, q++;
			bool ok = false;
			const char *start = q;
			while (*q && (*q != ']' || q == start)) {
				if (q[1] == '-' && q[2] && q[2] != ']') {
					if (*s >= q[0] && *s <= q[2])
						ok = true;
					q += 3;
				} else {
					if (*s == *q)
						ok = true;
					q++;
				}
			}
			if (*q != ']') { /* no closing bracket: a literal '[' */
				if (*s != '[')
					return false;
				pat++, s++;
				continue;
			}
			if (ok == neg)
				return false;
			pat = q + 1;
			s++;
			continue;
		}
		if (*pat == '\\' && pat[1])
			pat++;
		if (*pat != *s)
			return false;
		pat++, s++;
	}
	return !*s;
}

/* segs[i..] against path parts[j..]; `last_free`: a final literal segment may be followed by
 * anything (a directory with files beneath) */
static bool match_segs(const struct ignore_pat *p, size_t i, const char **parts, size_t np,
                       size_t j)
{
	if (i == p->n)
		return j == np;
	const char *seg = p->segs[i];
	bool last = i + 1 == p->n;
	if (!strcmp(seg, "**")) {
		if (i == 0 && last)
			return np > 0;
		if (last) /* trailing **: one or more further parts */
			return j < np;
		for (size_t k = j; k <= np; k++)
			if (match_segs(p, i + 1, parts, np, k))
				return true;
		return false;
	}
	if (j >= np)
		return false;
	if (!strcmp(seg, "*") ? !*parts[j] : !seg_glob(seg, parts[j]))
		return false;
	if (last)
		return true; /* the file itself, or anything below a directory of that name */
	return match_segs(p, i + 1, parts, np, j + 1);
}

static bool pat_match(const struct ignore_pat *p, const char **parts, size_t np)
{
	if (p->match_all_dirs)
		return np > 1;
	return match_segs(p, 0, parts, np, 0);
}

bool ignore_spec_match(const struct ignore_spec *s, const char *path)
{
	if (!s || !s->n)
		return false;
	if (!strncmp(path, "./", 2))
		path += 2;
	while (*path == '/')
		path++;
	char *copy = xstrdup(path);
	const char *parts[512];
	size_t np = 0;
	for (char *q = copy; np < ARRAY_LEN(parts);) {
		parts[np++] = q;
		char *sl = strchr(q, '/');
		if (!sl)
			break;
		*sl = 0;
		q = sl + 1;
	}
	bool ignored = false;
	for (size_t i = 0; i < s->n; i++)
		if (pat_match(&s->v[i], parts, np))
			ignored = s->v[i].include;
	free(copy);
	return ignored;
}

/* ---- walking ---- */
struct namevec {
	char **v;
	size_t n, cap;
};
/* Directory entries are kept as the d_type byte followed by the name. */
static int cmp_entry(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* dir's entries, sorted, as the d_type byte followed by the name (in a); false when dir cannot
 * be opened. */
static bool read_entries(struct arena *a, const char *dir, struct namevec *names)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return false;
	struct dirent *de;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			size_t n = strlen(de->d_name);
			char *e = arena_alloc(a, n + 2);
			e[0] = (char)de->d_type;
			memcpy(e + 1, de->d_name, n + 1);
			vec_push(names, e);
		}
	closedir(dp);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(char *), cmp_entry);
	return true;
}

/* What an entry of dir is: 'f' a regular file, 'd' a directory, 0 anything else. The entry's
 * type from readdir spares a stat, except for links and file systems that leave it unknown. */
static char entry_kind(struct arena *a, const char *dir, const char *entry, char **full)
{
	unsigned char type = (unsigned char)entry[0];
	*full = NULL;
	if (type == DT_REG)
		return 'f';
	*full = ppath_join(a, dir, entry + 1);
	struct stat st;
	if (type == DT_DIR)
		return 'd';
	if (stat(*full, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 0;
}

/* Collects files below dir (relative names joined with prefix), sorted per directory. */
static void walk_dir(struct arena *a, const char *dir, const char *prefix, struct namevec *out)
{
	struct namevec names = {0};
	if (!read_entries(a, dir, &names))
		return;
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i] + 1;
		char *rel = *prefix ? ppath_join(a, prefix, name) : (char *)name, *full;
		char kind = entry_kind(a, dir, names.v[i], &full);
		if (kind == 'f')
			vec_push(out, rel);
		else if (kind == 'd')
			walk_dir(a, full, rel, out);
	}
	vec_free(&names);
}

/* walk_dir for a searched root, its folders walked on every core when there are many (a
 * 10,000-model project: 100 folders of 100 files, ~7 ms of one core to list): each worker
 * walks into an arena of its own, adopted by a afterwards, and the lists are joined in
 * order. */
struct subwalk {
	char *full, *rel;
	struct namevec out;
};
struct walk_job {
	struct subwalk *subs;
	struct arena *arenas; /* per worker */
};

static void walk_one(void *ud, int worker, size_t i)
{
	struct walk_job *j = ud;
	walk_dir(&j->arenas[worker], j->subs[i].full, j->subs[i].rel, &j->subs[i].out);
}

#define WALK_PAR_MIN 8 /* folders */

static void walk_root(struct arena *a, const char *dir, struct namevec *out)
{
	struct namevec names = {0};
	if (!read_entries(a, dir, &names))
		return;
	/* each entry in order: a file (its name) or a folder (its walk) */
	struct entry {
		const char *file;
		struct subwalk *sub;
	} *ents = xcalloc(names.n + 1, sizeof(*ents));
	struct subwalk *subs = xcalloc(names.n + 1, sizeof(*subs));
	size_t nsub = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *full;
		char kind = entry_kind(a, dir, names.v[i], &full);
		if (kind == 'f') {
			ents[i].file = names.v[i] + 1;
		} else if (kind == 'd') {
			subs[nsub] = (struct subwalk){full, names.v[i] + 1, {0}};
			ents[i].sub = &subs[nsub++];
		}
	}
	int nw = nsub >= WALK_PAR_MIN ? par_cores() : 1;
	struct arena *arenas = xcalloc((size_t)nw, sizeof(*arenas));
	struct walk_job job = {subs, arenas};
	par_for(nsub, nw, 1, walk_one, &job);
	for (size_t i = 0; i < names.n; i++) {
		if (ents[i].file)
			vec_push(out, (char *)ents[i].file);
		for (size_t j = 0; ents[i].sub && j < ents[i].sub->out.n; j++)
			vec_push(out, ents[i].sub->out.v[j]);
	}
	for (size_t k = 0; k < nsub; k++)
		vec_free(&subs[k].out);
	for (int w = 0; w < nw; w++)
		arena_adopt(a, &arenas[w]);
	free(arenas);
	free(subs);
	free(ents);
	vec_free(&names);
}

/* "[!.#~]*<ext>", case-insensitively, on the file name */
static bool name_matches(const char *name, const char *ext)
{
	if (!*name || *name == '.' || *name == '#' || *name == '~')
		return false;
	size_t n = strlen(name), e = strlen(ext);
	if (n < e + 1)
		return false;
	return !strcasecmp(name + n - e, ext);
}

struct kind_spec {
	enum project_file_kind kind;
	const char *exts[3];
};

/* A searched root's files, listed once, with which of the extensions the kinds search each
 * name has (the kinds' passes over a 10,000-file folder compare a byte, not the names). */
static const char *const known_exts[] = {".sql", ".py", ".csv", ".md", ".yml", ".yaml"};
#define EXT_NONE 0xff

struct root_files {
	struct namevec rels;
	uint8_t *ext; /* per rel: its index in known_exts, or EXT_NONE */
};

static uint8_t ext_index(const char *ext)
{
	for (size_t i = 0; i < ARRAY_LEN(known_exts); i++)
		if (!strcmp(ext, known_exts[i]))
			return (uint8_t)i;
	return EXT_NONE;
}

static void classify_files(struct arena *a, struct root_files *rf)
{
	rf->ext = arena_alloc(a, rf->rels.n + 1);
	for (size_t i = 0; i < rf->rels.n; i++) {
		const char *rel = rf->rels.v[i];
		const char *base = strrchr(rel, '/');
		base = base ? base + 1 : rel;
		rf->ext[i] = EXT_NONE;
		for (size_t k = 0; k < ARRAY_LEN(known_exts); k++)
			if (name_matches(base, known_exts[k])) {
				rf->ext[i] = (uint8_t)k;
				break;
			}
	}
}

static const struct strlist *paths_for(struct project *p, enum project_file_kind k,
                                       struct strlist *tmp)
{
	switch (k) {
	case PF_MACRO:
		return &p->macro_paths;
	case PF_MODEL:
		return &p->model_paths;
	case PF_SNAPSHOT:
		return &p->snapshot_paths;
	case PF_ANALYSIS:
		return &p->analysis_paths;
	case PF_SINGULAR_TEST:
		return &p->test_paths;
	case PF_SEED:
		return &p->seed_paths;
	case PF_DOC:
		return &p->docs_paths;
	case PF_FUNCTION:
		return &p->function_paths;
	case PF_GENERIC_TEST:
	case PF_FIXTURE: {
		tmp->n = p->test_paths.n;
		tmp->v = arena_alloc(&p->a, (tmp->n + 1) * sizeof(char *));
		for (size_t i = 0; i < tmp->n; i++)
			tmp->v[i] = ppath_join(&p->a, p->test_paths.v[i],
			                       k == PF_GENERIC_TEST ? "generic" : "fixtures");
		return tmp;
	}
	case PF_SCHEMA: { /* all source paths, as for docs-paths' default */
		struct strlist *src[] = {&p->model_paths,    &p->seed_paths,  &p->snapshot_paths,
		                         &p->analysis_paths, &p->macro_paths, &p->test_paths,
		                         &p->function_paths};
		size_t cap = 0;
		for (size_t i = 0; i < ARRAY_LEN(src); i++)
			cap += src[i]->n;
		tmp->v = arena_alloc(&p->a, (cap + 1) * sizeof(char *));
		tmp->n = 0;
		for (size_t i = 0; i < ARRAY_LEN(src); i++)
			for (size_t j = 0; j < src[i]->n; j++) {
				const char *s = src[i]->v[j];
				size_t n = strlen(s);
				while (n > 1 && s[n - 1] == '/')
					n--;
				char *c = arena_strndup(&p->a, s, n);
				bool dup = false;
				for (size_t k2 = 0; k2 < tmp->n; k2++)
					if (!strcmp(tmp->v[k2], c))
						dup = true;
				if (!dup)
					tmp->v[tmp->n++] = c;
			}
		return tmp;
	}
	default:
		return tmp;
	}
}

#define MAX_SEED_BYTES (1024 * 1024)

/* A file as read by a worker of project_discover: its text (malloc'd, NULL when unreadable)
 * and checksum. */
struct file_read {
	char *text;
	size_t len;
	char hex[65];
};

/* A worker's open folder: files come folder by folder, so each is opened by its last name
 * from the folder (openat) instead of walking its whole path again. */
struct read_dir {
	char *path; /* malloc'd; NULL: none */
	size_t n;
	int fd; /* O_PATH; -1 when the folder cannot be opened */
};

struct read_job {
	const struct project *p;
	const struct project_file *files;
	struct file_read *out;
	struct read_dir *dirs; /* per worker */
};

static char *read_in_dir(struct read_dir *rd, const char *path, size_t *len)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path || !slash[1])
		return pread_file(path, len);
	size_t n = (size_t)(slash - path);
	if (!rd->path || rd->n != n || memcmp(rd->path, path, n)) {
		if (rd->path && rd->fd >= 0)
			close(rd->fd);
		free(rd->path);
		rd->path = xmemdup0(path, n);
		rd->n = n;
		rd->fd = open(rd->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (rd->fd < 0)
		return pread_file(path, len);
	return file_read_regular_at(rd->fd, slash + 1, len); /* listed: a regular file */
}

static void read_one(void *ud, int worker, size_t i)
{
	struct read_job *j = ud;
	struct file_read *r = &j->out[i];
	r->text = read_in_dir(&j->dirs[worker], j->files[i].abs_path, &r->len);
	if (r->text && !(j->files[i].kind == PF_SEED && r->len > MAX_SEED_BYTES))
		project_checksum(r->text, r->len, j->p->normalized_checksums, r->hex);
}

int project_discover(struct project *p, struct project_files *out, struct diag *d)
{
	static const struct kind_spec kinds[] = {
	    {PF_MACRO, {".sql"}},
	    {PF_MODEL, {".sql", ".py"}},
	    {PF_SNAPSHOT, {".sql"}},
	    {PF_ANALYSIS, {".sql"}},
	    {PF_SINGULAR_TEST, {".sql"}},
	    {PF_GENERIC_TEST, {".sql"}},
	    {PF_SEED, {".csv"}},
	    {PF_DOC, {".md"}},
	    {PF_SCHEMA, {".yml", ".yaml"}},
	    {PF_FIXTURE, {".csv", ".sql"}},
	    {PF_FUNCTION, {".sql", ".py"}},
	};
	memset(out, 0, sizeof *out);
	struct ignore_spec *ign = NULL;
	size_t ilen;
	char *itext = pread_file(ppath_join(&p->a, p->dir, ".dbtignore"), &ilen);
	if (itext) {
		char *kept = arena_strndup(&p->a, itext, ilen);
		free(itext);
		ign = ignore_spec_parse(&p->a, kept, ilen);
	}
	VEC(struct project_file) files = {0};
	int rc = 0;
	/* each directory is walked once, however many kinds and extensions search it */
	struct map walked;
	map_init(&walked);
	for (size_t ki = 0; ki < ARRAY_LEN(kinds); ki++) {
		struct strlist tmp = {0};
		const struct strlist *paths = paths_for(p, kinds[ki].kind, &tmp);
		for (int ei = 0; ei < 3 && kinds[ki].exts[ei]; ei++) {
			uint8_t ext = ext_index(kinds[ki].exts[ei]); /* (known_exts has them all) */
			for (size_t pi = 0; pi < paths->n && ext != EXT_NONE; pi++) {
				const char *searched = paths->v[pi];
				const char *abs_root = ppath_join(&p->a, p->dir, searched);
				struct root_files *cached = map_get(&walked, str_from(abs_root));
				if (!cached) {
					cached = arena_zalloc(&p->a, sizeof *cached);
					walk_root(&p->a, abs_root, &cached->rels);
					classify_files(&p->a, cached);
					map_set(&walked, str_from(abs_root), cached);
				}
				struct namevec rels = cached->rels;
				for (size_t ri = 0; ri < rels.n; ri++) {
					const char *rel = rels.v[ri];
					if (cached->ext[ri] != ext)
						continue;
					const char *path = ppath_join(&p->a, searched, rel);
					if (ign && ignore_spec_match(ign, path))
						continue;
					if (kinds[ki].kind == PF_SINGULAR_TEST &&
					    (!strncmp(rel, "generic/", 8) ||
					     !strncmp(rel, "fixtures/", 9)))
						continue;
					struct project_file f = {
					    .kind = kinds[ki].kind,
					    .searched_path = searched,
					    .relative_path = rel,
					    .path = path,
					    .abs_path = ppath_join(&p->a, p->dir, path)};
					vec_push(&files, f);
				}
			}
		}
	}
	trace_phase("discovery: files listed");
	/* the files are read and checksummed on two threads, then kept in order */
	struct file_read *reads = xcalloc(files.n + 1, sizeof(*reads));
	int nw = files.n >= 64 ? par_cores() : 1;
	struct read_job job = {p, files.v, reads, xcalloc((size_t)nw, sizeof(struct read_dir))};
	par_for(files.n, nw, 16, read_one, &job);
	for (int k = 0; k < nw; k++) {
		if (job.dirs[k].path && job.dirs[k].fd >= 0)
			close(job.dirs[k].fd);
		free(job.dirs[k].path);
	}
	free(job.dirs);
	trace_phase("discovery: files read");
	size_t w = 0;
	for (size_t i = 0; i < files.n; i++) {
		struct project_file f = files.v[i];
		struct file_read *r = &reads[i];
		if (!r->text) {
			diag_add(d, DIAG_ERROR, f.path, 0, 0, NULL, 0, "cannot read the file");
			rc = -1;
			continue;
		}
		if (f.kind == PF_SEED && r->len > MAX_SEED_BYTES) {
			f.checksum_name = "path";
			f.checksum = f.path;
		} else {
			f.checksum_name = "sha256";
			f.checksum = arena_strndup(&p->a, r->hex, 64);
			if (f.kind != PF_SEED) { /* the text read is kept: contents is its stripped part */
				struct str st = project_strip(str_make(r->text, r->len));
				((char *)st.p)[st.n] = 0;
				f.contents = st.p;
				f.len = st.n;
				vec_push(&p->texts, r->text);
				r->text = NULL;
			}
		}
		free(r->text);
		files.v[w++] = f;
	}
	files.n = w;
	free(reads);
	for (size_t i = 0; i < walked.n; i++)
		if (walked.e[i].key.p) {
			struct root_files *rf = walked.e[i].val;
			vec_free(&rf->rels);
		}
	map_release(&walked);
	out->v = files.v;
	out->n = files.n;
	return rc;
}
