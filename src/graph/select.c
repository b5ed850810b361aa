/* Node selection as dbt does it (core/dbt/graph/{selector_spec,selector_methods,selector}.py):
 * the token grammar, the methods, graph operators, set operations and indirect test selection,
 * over bitsets of node indexes. */
#include "graph_int.h"

/* ---- fnmatch (Python's fnmatchcase) ---- */

/* Matches one bracket expression at pat[*pi] ('[' already seen); returns -1 when the bracket is
 * not closed (then '[' is a literal), else 1/0 for match and advances *pi past ']'. */
static int bracket(struct str pat, size_t *pi, unsigned char c)
{
	size_t i = *pi + 1;
	bool neg = false;
	if (i < pat.n && pat.p[i] == '!') {
		neg = true;
		i++;
	}
	size_t start = i;
	if (i < pat.n && pat.p[i] == ']')
		i++;
	while (i < pat.n && pat.p[i] != ']')
		i++;
	if (i >= pat.n)
		return -1;
	bool hit = false;
	for (size_t j = start; j < i; j++) {
		unsigned char lo = (unsigned char)pat.p[j];
		if (j + 2 < i && pat.p[j + 1] == '-') {
			unsigned char hi = (unsigned char)pat.p[j + 2];
			if (lo <= c && c <= hi)
				hit = true;
			j += 2;
		} else if (lo == c) {
			hit = true;
		}
	}
	*pi = i + 1;
	return hit != neg;
}

bool graph_fnmatch(struct str name, struct str pat)
{
	size_t ni = 0, pi = 0, star_p = SIZE_MAX, star_n = 0;
	while (ni < name.n) {
		if (pi < pat.n) {
			char pc = pat.p[pi];
			if (pc == '*') {
				star_p = ++pi;
				star_n = ni;
				continue;
			}
			if (pc == '?') {
				pi++;
				ni++;
				continue;
			}
			if (pc == '[') {
				size_t q = pi;
				int r = bracket(pat, &q, (unsigned char)name.p[ni]);
				if (r == 1) {
					pi = q;
					ni++;
					continue;
				}
				if (r < 0 && name.p[ni] == '[') {
					pi++;
					ni++;
					continue;
				}
			} else if (pc == name.p[ni]) {
				pi++;
				ni++;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p;
		ni = ++star_n;
	}
	while (pi < pat.n && pat.p[pi] == '*')
		pi++;
	return pi == pat.n;
}

/* s == c without measuring c first (fqn parts are compared for every node). */
static inline bool eqz(struct str s, const char *c)
{
	for (size_t i = 0; i < s.n; i++)
		if (c[i] != s.p[i]) /* stops at c's NUL unless s holds a NUL there too */
			return false;
	return c[s.n] == 0;
}

static bool has_wild(struct str s)
{
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == '*' || s.p[i] == '?' || s.p[i] == '[' || s.p[i] == ']')
			return true;
	return false;
}

/* ---- the token grammar ---- */

static const char *const method_names[GM__COUNT] = {
    "fqn",         "tag",           "group",    "access",   "source",
    "path",        "file",          "package",  "config",   "test_name",
    "test_type",   "resource_type", "state",    "exposure", "metric",
    "result",      "source_status", "wildcard", "version",  "semantic_model",
    "saved_query", "unit_test",
};

struct gspec *graph_spec_new(struct arena *a, enum gspec_kind k)
{
	struct gspec *s = arena_zalloc(a, sizeof(*s));
	s->kind = (uint8_t)k;
	s->indirect = GI_EAGER;
	s->parents_depth = s->children_depth = -1;
	s->v = v_none();
	s->raw = "";
	s->value = "";
	return s;
}

void graph_spec_push(struct gspec *set, struct arena *a, struct gspec *kid)
{
	struct gspec **k = arena_alloc(a, (set->nkids + 1) * sizeof(*k));
	if (set->nkids)
		memcpy(k, set->kids, set->nkids * sizeof(*k));
	k[set->nkids++] = kid;
	set->kids = k;
}

static void err(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
    SILT_PRINTF(5, 6);
static void err(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(d, DIAG_ERROR, file, line, col, NULL, 0, fmt, ap);
	va_end(ap);
}

int graph_spec_set_method(struct gspec *s, struct arena *a, struct str method, struct diag *d,
                          const char *file, int line, int col)
{
	const char *dot = memchr(method.p, '.', method.n);
	struct str name = str_make(method.p, dot ? (size_t)(dot - method.p) : method.n);
	int m = -1;
	for (int i = 0; i < GM__COUNT; i++)
		if (str_eqc(name, method_names[i]))
			m = i;
	if (m < 0) {
		err(d, file, line, col, "'%.*s' is not a valid method name", (int)name.n, name.p);
		return -1;
	}
	s->method = (uint8_t)m;
	s->nargs = 0;
	if (dot) {
		uint32_t n = 1;
		for (const char *p = dot + 1; p < method.p + method.n; p++)
			n += *p == '.';
		s->args = arena_alloc(a, n * sizeof(char *));
		const char *p = dot + 1, *end = method.p + method.n;
		for (;;) {
			const char *q = memchr(p, '.', (size_t)(end - p));
			const char *e = q ? q : end;
			s->args[s->nargs++] = arena_strndup(a, p, (size_t)(e - p));
			if (!q)
				break;
			p = q + 1;
		}
	}
	return 0;
}

static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

static int64_t depth_of(const char *p, size_t n)
{
	if (!n)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (p[i] - '0');
		if (v > 1000000000)
			v = 1000000000; /* deeper than any graph */
	}
	return v;
}

/* RAW_SELECTOR_PATTERN:
 *   \A (@)? ((\d*)\+)? (([\w.]+):)? (.*?) (\+(\d*))? \Z      ('.' does not match a newline) */
struct gspec *graph_spec_parse(struct arena *a, const char *raw, size_t len, int indirect,
                               struct diag *d)
{
	const char *p = raw, *end = raw + len;
	if (memchr(raw, '\n', len)) {
		err(d, NULL, 0, 0, "Invalid selector spec \"%.*s\"", (int)len, raw);
		return NULL;
	}
	struct gspec *s = graph_spec_new(a, GS_CRITERIA);
	s->raw = arena_strndup(a, raw, len);
	s->indirect = (int8_t)indirect;
	if (p < end && *p == '@') {
		s->childrens_parents = true;
		p++;
	}
	const char *q = p;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q < end && *q == '+') {
		s->parents = true;
		s->parents_depth = depth_of(p, (size_t)(q - p));
		p = q + 1;
	}
	q = p;
	while (q < end && (is_word((unsigned char)*q) || *q == '.'))
		q++;
	struct str method = {NULL, 0};
	if (q > p && q < end && *q == ':') {
		method = str_make(p, (size_t)(q - p));
		p = q + 1;
	}
	/* the value is the shortest prefix after which only "" or "+digits" remains */
	const char *v = p;
	for (; v < end; v++) {
		if (*v != '+')
			continue;
		const char *r = v + 1;
		while (r < end && *r >= '0' && *r <= '9')
			r++;
		if (r == end)
			break;
	}
	if (v < end) {
		s->children = true;
		s->children_depth = depth_of(v + 1, (size_t)(end - v - 1));
	}
	struct str val = str_make(p, (size_t)(v - p));
	s->value = arena_strndup(a, val.p, val.n);
	s->v = v_str(s->value, val.n);
	if (method.p) {
		if (graph_spec_set_method(s, a, method, d, NULL, 0, 0))
			return NULL;
	} else if (memchr(val.p, '/', val.n)) {
		s->method = GM_PATH;
	} else {
		bool file = false;
		static const char *const exts[] = {".sql", ".py", ".csv"};
		for (size_t i = 0; i < ARRAY_LEN(exts); i++) {
			size_t el = strlen(exts[i]);
			if (val.n >= el && !strncasecmp(val.p + val.n - el, exts[i], el))
				file = true;
		}
		s->method = file ? GM_FILE : GM_FQN;
	}
	if (s->children && s->childrens_parents) {
		err(d, NULL, 0, 0,
		    "Invalid node spec %s - \"@\" prefix and \"+\" suffix are incompatible",
		    s->raw);
		return NULL;
	}
	if (s->method == GM_SOURCE_STATUS) {
		err(d, NULL, 0, 0, "the '%s' selector method is not supported yet (in '%s')",
		    method_names[s->method], s->raw);
		return NULL;
	}
	if (!val.n) {
		err(d, NULL, 0, 0, "selector '%s' has no value", s->raw);
		return NULL;
	}
	return s;
}

/* ---- evaluation ---- */

struct bits {
	uint64_t *w;
};

struct ctx {
	const struct gmanifest *m;
	struct arena *a; /* scratch */
	struct diag *d;
	uint32_t n, words;
	uint64_t *member;
	int flag; /* --indirect-selection */
	bool failed;
	struct buf tmp;
	uint32_t *queue;
	int32_t *dist;
	const struct gselect_opts *o;
	struct state_cmp *state; /* made by the first state: criteria */
};

static uint64_t *bs_new(struct ctx *c)
{
	return arena_zalloc(c->a, (c->words ? c->words : 1) * sizeof(uint64_t));
}
static uint64_t *bs_dup(struct ctx *c, const uint64_t *x)
{
	uint64_t *r = bs_new(c);
	memcpy(r, x, c->words * sizeof(uint64_t));
	return r;
}
static inline bool bs_get(const uint64_t *b, uint32_t i)
{
	return b[i >> 6] >> (i & 63) & 1;
}
static inline void bs_set(uint64_t *b, uint32_t i)
{
	b[i >> 6] |= (uint64_t)1 << (i & 63);
}
static bool bs_empty(const struct ctx *c, const uint64_t *b)
{
	for (uint32_t i = 0; i < c->words; i++)
		if (b[i])
			return false;
	return true;
}
static bool bs_equal(const struct ctx *c, const uint64_t *x, const uint64_t *y)
{
	return !memcmp(x, y, c->words * sizeof(uint64_t));
}
static void bs_or(const struct ctx *c, uint64_t *x, const uint64_t *y)
{
	for (uint32_t i = 0; i < c->words; i++)
		x[i] |= y[i];
}
#define BS_EACH(c, b, i)                                                                           \
	for (uint32_t i##w_ = 0; i##w_ < (c)->words; i##w_++)                                      \
		for (uint64_t i##m_ = (b)[i##w_]; i##m_; i##m_ &= i##m_ - 1)                       \
			for (uint32_t i = i##w_ * 64 + (uint32_t)__builtin_ctzll(i##m_),           \
			              i##o_ = 1;                                                   \
			     i##o_; i##o_ = 0)

/* Ancestors (up) or descendants of the set, depth-limited (-1: unlimited), over member nodes
 * only (dbt selects on the subgraph of enabled nodes). The start nodes are not included unless
 * reached from another one. */
static uint64_t *traverse(struct ctx *c, const uint64_t *from, bool up, int64_t depth)
{
	uint64_t *out = bs_new(c);
	uint32_t head = 0, tail = 0;
	BS_EACH(c, from, i)
	{
		c->dist[i] = 0;
		c->queue[tail++] = i;
	}
	while (head < tail) {
		uint32_t cur = c->queue[head++];
		if (depth >= 0 && c->dist[cur] >= depth)
			continue;
		const struct gnode *g = c->m->nodes[cur];
		const uint32_t *adj = up ? g->parents : g->children;
		uint32_t nadj = up ? g->nparents : g->nchildren;
		for (uint32_t k = 0; k < nadj; k++) {
			uint32_t nx = adj[k];
			if (!bs_get(c->member, nx))
				continue;
			if (!bs_get(out, nx))
				bs_set(out, nx);
			if (c->dist[nx] < 0) {
				c->dist[nx] = c->dist[cur] + 1;
				c->queue[tail++] = nx;
			}
		}
	}
	for (uint32_t k = 0; k < tail; k++)
		c->dist[c->queue[k]] = -1;
	return out;
}

/* Which tables each method searches (dbt's parsed_nodes, all_nodes, non_source_nodes, ...). */
#define T(x) (1u << (x))
#define T_ALL ((1u << GTAB__COUNT) - 1)
static const uint32_t method_tables[GM__COUNT] = {
    [GM_FQN] = T_ALL & ~T(GTAB_SOURCES),
    [GM_TAG] = T_ALL,
    [GM_GROUP] = T(GTAB_NODES) | T(GTAB_METRICS),
    [GM_ACCESS] = T(GTAB_NODES),
    [GM_SOURCE] = T(GTAB_SOURCES),
    [GM_PATH] = T_ALL,
    [GM_FILE] = T_ALL,
    [GM_PACKAGE] = T_ALL,
    [GM_CONFIG] = T(GTAB_NODES) | T(GTAB_SOURCES),
    [GM_TEST_NAME] = T(GTAB_NODES) | T(GTAB_UNIT_TESTS),
    [GM_TEST_TYPE] = T(GTAB_NODES) | T(GTAB_UNIT_TESTS),
    [GM_RESOURCE_TYPE] = T_ALL,
    [GM_EXPOSURE] = T(GTAB_EXPOSURES),
    [GM_METRIC] = T(GTAB_METRICS),
    [GM_WILDCARD] = T_ALL,
    [GM_VERSION] = T(GTAB_NODES),
    [GM_SEMANTIC_MODEL] = T(GTAB_SEMANTIC_MODELS),
    [GM_SAVED_QUERY] = T(GTAB_SAVED_QUERIES),
    [GM_UNIT_TEST] = T(GTAB_UNIT_TESTS),
    [GM_STATE] = T_ALL,
    [GM_RESULT] = T_ALL,
};

/* dbt's is_selected_node over fqn[off:] (flat: the flattened parts from flat_off on). */
struct fqnsel {
	struct str sel;
	uint32_t h;      /* hash of the whole selector */
	uint32_t h0;     /* hash of its first dotted part, 0 when that part has a wildcard */
	uint32_t nparts; /* dotted parts */
};

static bool fqn_match(struct ctx *c, const struct gnode *g, uint32_t off, uint32_t flat_off,
                      const struct fqnsel *fs, bool versioned)
{
	struct str sel = fs->sel;
	uint32_t nf = g->nfqn - off;
	if (nf == 0 || (versioned && nf < 2))
		return false;
	const char *const *fqn = g->fqn + off;
	if (versioned) {
		if (fs->h == g->fqn_hash[1] && eqz(sel, fqn[nf - 2]))
			return true;
		/* "_".join(fqn[-2:]) == "_".join(sel.split(".")[-2:]) */
		struct buf *b = &c->tmp;
		buf_reset(b);
		buf_printf(b, "%s_%s", fqn[nf - 2], fqn[nf - 1]);
		const char *last = NULL, *prev = NULL;
		for (size_t i = 0; i < sel.n; i++)
			if (sel.p[i] == '.') {
				prev = last;
				last = sel.p + i;
			}
		struct str tail2 = sel;
		if (prev)
			tail2 = str_make(prev + 1, (size_t)(sel.p + sel.n - prev - 1));
		bool eq = tail2.n == b->n;
		for (size_t i = 0; eq && i < tail2.n; i++) {
			char x = tail2.p[i] == '.' ? '_' : tail2.p[i];
			eq = x == b->p[i];
		}
		if (eq)
			return true;
	} else if (fs->h == g->fqn_hash[0] && eqz(sel, fqn[nf - 1])) {
		return true;
	}
	const char *const *flat = g->flat_fqn + flat_off;
	uint32_t nflat = g->nflat_fqn - flat_off;
	uint32_t nparts = fs->nparts;
	if (nflat < nparts)
		return false;
	/* the first part compares with flat[0] unless it has a wildcard */
	if (fs->h0 && flat_off < 2 && g->fqn_hash[2 + flat_off] != fs->h0)
		return false;
	const char *p = sel.p, *end = sel.p + sel.n;
	for (uint32_t i = 0; i < nparts; i++) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		struct str part = str_make(p, (size_t)((dot ? dot : end) - p));
		if (has_wild(part)) {
			if (end - p == 1 && *p == '*') /* the rest is "*": anything (the default `fqn:*`) */
				return true;
			struct buf *b = &c->tmp;
			buf_reset(b);
			for (uint32_t k = i; k < nflat; k++) {
				if (k > i)
					buf_putc(b, '.');
				buf_puts(b, flat[k]);
			}
			return graph_fnmatch(buf_str(b), str_make(p, (size_t)(end - p)));
		}
		if (!eqz(part, flat[i]))
			return false;
		p = dot ? dot + 1 : end;
	}
	return true;
}

/* ---- path: (pathlib's Path.glob from the project root, emulated over the known paths) ---- */

struct pathpat {
	struct str part[64];
	uint32_t n;
};

static bool glob_parts(const struct pathpat *pp, uint32_t pi, struct str path, bool is_dir)
{
	if (pi == pp->n)
		return path.n == 0;
	struct str pat = pp->part[pi];
	if (str_eqc(pat, "**")) {
		if (pi + 1 == pp->n)
			return is_dir || path.n == 0 ? true : false;
		struct str rest = path;
		for (;;) {
			if (glob_parts(pp, pi + 1, rest, is_dir))
				return true;
			const char *sl = memchr(rest.p, '/', rest.n);
			if (!sl)
				return false;
			rest = str_make(sl + 1, (size_t)(rest.p + rest.n - sl - 1));
		}
	}
	if (!path.n)
		return false;
	const char *sl = memchr(path.p, '/', path.n);
	struct str comp = str_make(path.p, sl ? (size_t)(sl - path.p) : path.n);
	struct str rest =
	    sl ? str_make(sl + 1, (size_t)(path.p + path.n - sl - 1)) : str_make("", 0);
	bool ok = has_wild(pat) ? graph_fnmatch(comp, pat) : str_eq(comp, pat);
	if (!ok)
		return false;
	if (!sl)
		return pi + 1 == pp->n ||
		       (pi + 2 == pp->n && str_eqc(pp->part[pi + 1], "**") && is_dir);
	return glob_parts(pp, pi + 1, rest, is_dir);
}

static bool glob_path(const struct pathpat *pp, struct str path, bool is_dir)
{
	/* the trailing "**" matches the directory itself too */
	return glob_parts(pp, 0, path, is_dir);
}

static int path_compile(struct ctx *c, const char *sel, struct pathpat *pp)
{
	pp->n = 0;
	if (sel[0] == '/') {
		err(c->d, NULL, 0, 0, "Non-relative patterns are unsupported");
		return -1;
	}
	const char *p = sel;
	while (*p) {
		const char *sl = strchr(p, '/');
		size_t n = sl ? (size_t)(sl - p) : strlen(p);
		if (n && !(n == 1 && p[0] == '.')) {
			if (pp->n == ARRAY_LEN(pp->part)) {
				err(c->d, NULL, 0, 0, "path selector '%s' is too deep", sel);
				return -1;
			}
			pp->part[pp->n++] = str_make(p, n);
		}
		if (!sl)
			break;
		p = sl + 1;
	}
	if (!pp->n) {
		err(c->d, NULL, 0, 0, "Unacceptable pattern: '%s'", sel);
		return -1;
	}
	return 0;
}

static bool path_node(const struct pathpat *pp, const struct gnode *g)
{
	struct str ofp = str_from(g->original_file_path);
	while (str_starts_with(ofp, STR("./")))
		ofp = str_make(ofp.p + 2, ofp.n - 2);
	if (ofp.n && glob_path(pp, ofp, false))
		return true;
	if (g->patch_path) {
		const char *sep = strstr(g->patch_path, "://");
		if (sep && sep[3] && glob_path(pp, str_from(sep + 3), false))
			return true;
	}
	for (size_t i = ofp.n; i-- > 0;)
		if (ofp.p[i] == '/' && glob_path(pp, str_make(ofp.p, i), true))
			return true;
	return false;
}

/* ---- config: ---- */

static bool upper_eq(value sel, const char *word)
{
	struct buf b = BUF_INIT;
	v_to_str(sel, &b);
	bool eq = b.n == strlen(word) && !strncasecmp(buf_cstr(&b), word, b.n);
	buf_release(&b);
	return eq;
}

static bool sel_equal(value sel, value v, bool ci)
{
	if (ci && sel.type == VT_STR && v.type == VT_STR)
		return sel.len == v.len && !strncasecmp(sel.s, v.s, sel.len);
	return v_equal(sel, v);
}

static bool config_match(const struct gspec *s, const struct gnode *g, bool is_true, bool is_false)
{
	value cur = g->config;
	for (uint32_t i = 0; i < s->nargs; i++) {
		if (cur.type != VT_DICT || !vdict_gets(cur.dict, str_from(s->args[i]), &cur))
			return false;
	}
	bool ci = s->nargs == 1 && !strcmp(s->args[0], "severity");
	if (cur.type == VT_LIST) {
		for (uint32_t i = 0; i < cur.list->n; i++) {
			value e = cur.list->v[i];
			if (sel_equal(s->v, e, ci))
				return true;
			if (is_true && v_equal(e, v_bool(true)))
				return true;
			if (is_false && v_equal(e, v_bool(false)))
				return true;
		}
		return false;
	}
	if (sel_equal(s->v, cur, ci))
		return true;
	return (is_true && cur.type == VT_BOOL && cur.b) ||
	       (is_false && cur.type == VT_BOOL && !cur.b);
}

/* UnparsedVersion comparison: as floats when both parse, else as strings. */
static int version_cmp(const char *x, const char *y)
{
	char *ex, *ey;
	double fx = strtod(x, &ex), fy = strtod(y, &ey);
	while (*ex == ' ')
		ex++;
	while (*ey == ' ')
		ey++;
	if (*x && *y && !*ex && !*ey)
		return fx < fy ? -1 : fx > fy;
	int r = strcmp(x, y);
	return r < 0 ? -1 : r > 0;
}

/* Splits "a.b.c" into at most 3 parts; returns the number of parts. */
static uint32_t split_dots(struct str s, struct str parts[3])
{
	uint32_t n = 0;
	const char *p = s.p, *end = s.p + s.n;
	for (;;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		if (n < 3)
			parts[n] = str_make(p, (size_t)((dot ? dot : end) - p));
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	return n;
}

static bool contains(const char *hay, struct str needle)
{
	return memmem(hay, strlen(hay), needle.p, needle.n) != NULL || needle.n == 0;
}

/* The nodes a criteria's method selects (dbt's select_included), over member nodes. */
static uint64_t *search(struct ctx *c, const struct gspec *s)
{
	const struct gmanifest *m = c->m;
	uint64_t *out = bs_new(c);
	struct str sel = str_from(s->value);
	uint32_t tables = method_tables[s->method];
	struct str parts[3];
	uint32_t np = 0;
	struct pathpat pp;
	int want_type = -1, test_kind = 0; /* 1 generic, 2 data, 3 singular, 4 unit */
	int state_check = -1;
	bool is_true = upper_eq(s->v, "TRUE"), is_false = upper_eq(s->v, "FALSE");
	struct fqnsel fs = {sel, graph_name_hash(sel), 0, 1};
	for (size_t k = 0; k < sel.n; k++)
		fs.nparts += sel.p[k] == '.';
	{
		const char *dot = memchr(sel.p, '.', sel.n);
		struct str p0 = str_make(sel.p, dot ? (size_t)(dot - sel.p) : sel.n);
		fs.h0 = has_wild(p0) ? 0 : graph_name_hash(p0);
	}
	switch (s->method) {
	case GM_STATE:
		if (!c->o->state) {
			err(c->d, NULL, 0, 0,
			    "Got a state selector method, but no comparison manifest (in '%s'): give "
			    "--state DIR",
			    s->raw);
			return NULL;
		}
		if ((state_check = graph_state_check_parse(s->value, c->d)) < 0)
			return NULL;
		if (!c->state)
			c->state = graph_state_cmp_new(m, c->o, c->d);
		break;
	case GM_RESULT:
		if (!graph_state_has_results(c->o->state)) {
			err(c->d, NULL, 0, 0,
			    "Got a result selector method, but no comparison run_results (in '%s'): "
			    "give --state DIR with a run_results.json",
			    s->raw);
			return NULL;
		}
		break;
	case GM_SOURCE:
		np = split_dots(sel, parts);
		if (np > 3) {
			err(c->d, NULL, 0, 0,
			    "Invalid source selector value \"%s\". Sources must be of the form "
			    "`${source_name}`, `${source_name}.${target_name}`, or "
			    "`${package_name}.${source_name}.${target_name}",
			    s->value);
			return NULL;
		}
		break;
	case GM_EXPOSURE:
	case GM_METRIC:
	case GM_SEMANTIC_MODEL:
	case GM_SAVED_QUERY:
	case GM_UNIT_TEST:
		np = split_dots(sel, parts);
		if (np > 2) {
			static const char *const what[][3] = {
			    {"exposure", "Exposures", "exposure"},
			    {"metric", "Metrics", "metric"},
			    {"semantic model", "Semantic models", "semantic_model"},
			    {"saved query", "Saved queries", "saved_query"},
			    {"unit test", "Unit tests", "unit_test"},
			};
			int k = s->method == GM_EXPOSURE         ? 0
			        : s->method == GM_METRIC         ? 1
			        : s->method == GM_SEMANTIC_MODEL ? 2
			        : s->method == GM_SAVED_QUERY    ? 3
			                                         : 4;
			err(c->d, NULL, 0, 0,
			    "Invalid %s selector value \"%s\". %s must be of the form ${%s_name} "
			    "or "
			    "${%s_package.%s_name}",
			    what[k][0], s->value, what[k][1], what[k][2], what[k][2], what[k][2]);
			return NULL;
		}
		break;
	case GM_PATH:
		if (path_compile(c, s->value, &pp))
			return NULL;
		break;
	case GM_PACKAGE:
		if (!strcmp(s->value, "this") && m->project_name)
			sel = str_from(m->project_name);
		break;
	case GM_RESOURCE_TYPE:
		want_type = graph_type_parse(sel);
		if (want_type < 0) {
			err(c->d, NULL, 0, 0, "Invalid resource_type selector \"%s\"", s->value);
			return NULL;
		}
		break;
	case GM_TEST_TYPE:
		/* dbt: selector in ("generic", "schema"), then `selector in ("data")` etc., which
		 * are substring tests on a plain string */
		if (str_eqc(sel, "generic") || str_eqc(sel, "schema"))
			test_kind = 1;
		else if (contains("data", sel))
			test_kind = 2;
		else if (contains("singular", sel))
			test_kind = 3;
		else if (contains("unit", sel))
			test_kind = 4;
		else {
			err(c->d, NULL, 0, 0,
			    "Invalid test type selector %s: expected \"generic\", \"singular\", "
			    "\"unit\", or \"data\"",
			    s->value);
			return NULL;
		}
		break;
	case GM_VERSION:
		if (strcmp(s->value, "latest") && strcmp(s->value, "prerelease") &&
		    strcmp(s->value, "old") && strcmp(s->value, "none")) {
			bool any_model = false;
			BS_EACH(c, c->member, i)
			any_model |=
			    m->nodes[i]->type == GT_MODEL && m->nodes[i]->table == GTAB_NODES;
			if (any_model) {
				err(c->d, NULL, 0, 0,
				    "Invalid version type selector %s: expected one of: "
				    "\"latest\", "
				    "\"prerelease\", \"old\", or \"none\"",
				    s->value);
				return NULL;
			}
		}
		break;
	default:
		break;
	}
	BS_EACH(c, c->member, i)
	{
		const struct gnode *g = m->nodes[i];
		if (!(tables & T(g->table)))
			continue;
		bool hit = false;
		switch (s->method) {
		case GM_FQN: {
			bool ver = g->version != NULL;
			hit = fqn_match(c, g, 0, 0, &fs, ver) ||
			      (g->nfqn > 0 && fqn_match(c, g, 1, g->nflat_head, &fs, ver));
			break;
		}
		case GM_TAG:
			for (uint32_t k = 0; k < g->ntags && !hit; k++)
				hit = graph_fnmatch(str_from(g->tags[k]), sel);
			break;
		case GM_GROUP:
			hit = g->group && *g->group && graph_fnmatch(str_from(g->group), sel);
			break;
		case GM_ACCESS:
			hit = g->type == GT_MODEL && g->access && str_eqc(sel, g->access);
			break;
		case GM_SOURCE:
			hit = (np < 3 || graph_fnmatch(str_from(g->package), parts[0])) &&
			      g->source_name &&
			      graph_fnmatch(str_from(g->source_name), parts[np == 3 ? 1 : 0]) &&
			      (np == 1 || graph_fnmatch(str_from(g->name), parts[np - 1]));
			break;
		case GM_EXPOSURE:
		case GM_METRIC:
		case GM_SEMANTIC_MODEL:
		case GM_SAVED_QUERY:
		case GM_UNIT_TEST:
			hit = (np < 2 || graph_fnmatch(str_from(g->package), parts[0])) &&
			      graph_fnmatch(str_from(g->name), parts[np - 1]);
			break;
		case GM_PATH:
			hit = path_node(&pp, g);
			break;
		case GM_FILE: {
			const char *slash = strrchr(g->original_file_path, '/');
			struct str base = str_from(slash ? slash + 1 : g->original_file_path);
			struct str stem = base;
			const char *dot = NULL;
			for (size_t k = 1; k < base.n;
			     k++) /* pathlib: a leading dot is no suffix */
				if (base.p[k] == '.')
					dot = base.p + k;
			if (dot && dot + 1 < base.p + base.n)
				stem = str_make(base.p, (size_t)(dot - base.p));
			hit = graph_fnmatch(base, sel) || graph_fnmatch(stem, sel);
			break;
		}
		case GM_PACKAGE:
			hit = graph_fnmatch(str_from(g->package), sel);
			break;
		case GM_CONFIG:
			hit = config_match(s, g, is_true, is_false);
			break;
		case GM_RESOURCE_TYPE:
			hit = g->type == want_type;
			break;
		case GM_TEST_NAME:
			if (g->type == GT_TEST && g->generic_test)
				hit = g->test_name && graph_fnmatch(str_from(g->test_name), sel);
			else if (g->type == GT_UNIT_TEST)
				hit = graph_fnmatch(str_from(g->name), sel);
			break;
		case GM_TEST_TYPE:
			if (test_kind == 1)
				hit = g->type == GT_TEST && g->generic_test;
			else if (test_kind == 2)
				hit = g->type == GT_TEST && g->table == GTAB_NODES;
			else if (test_kind == 3)
				hit = g->type == GT_TEST && !g->generic_test;
			else
				hit = g->table == GTAB_UNIT_TESTS;
			break;
		case GM_VERSION:
			if (g->type != GT_MODEL)
				break;
			if (!strcmp(s->value, "latest"))
				hit = g->version && g->latest_version &&
				      !strcmp(g->version, g->latest_version);
			else if (!strcmp(s->value, "prerelease"))
				hit = g->version && g->latest_version && *g->version &&
				      *g->latest_version &&
				      version_cmp(g->version, g->latest_version) > 0;
			else if (!strcmp(s->value, "old"))
				hit = g->version && g->latest_version && *g->version &&
				      *g->latest_version &&
				      version_cmp(g->version, g->latest_version) < 0;
			else
				hit = !g->version;
			break;
		case GM_WILDCARD:
			hit = true;
			break;
		case GM_STATE:
			hit = graph_state_check(c->state, state_check, g);
			break;
		case GM_RESULT: {
			const char *st = graph_state_result(c->o->state, g->unique_id);
			hit = st && !strcmp(st, s->value);
			break;
		}
		default:
			break;
		}
		if (hit)
			bs_set(out, i);
	}
	if (s->method == GM_STATE && graph_state_cmp_failed(c->state))
		return NULL;
	return out;
}

struct result {
	uint64_t *direct, *indirect;
};

static bool deps_within(const struct ctx *c, const struct gnode *g, const uint64_t *set)
{
	if (g->missing_parent)
		return false;
	for (uint32_t k = 0; k < g->nparents; k++)
		if (!bs_get(set, g->parents[k]))
			return false;
	(void)c;
	return true;
}

static int mode_of(const struct ctx *c, const struct gspec *s)
{
	return s->indirect == GI_FLAG ? c->flag : s->indirect;
}

/* dbt's expand_selection: tests (and unit tests) that are children of the selection. */
static struct result expand(struct ctx *c, uint64_t *selected, int mode)
{
	struct result r = {bs_dup(c, selected), bs_new(c)};
	uint64_t *sp = NULL;
	if (mode == GI_BUILDABLE) {
		sp = traverse(c, selected, true, -1);
		bs_or(c, sp, selected);
		for (uint32_t i = 0; i < c->n; i++)
			if (c->m->nodes[i]->table == GTAB_SOURCES)
				bs_set(sp, i);
	}
	BS_EACH(c, selected, i)
	{
		const struct gnode *g = c->m->nodes[i];
		for (uint32_t k = 0; k < g->nchildren; k++) {
			const struct gnode *t = c->m->nodes[g->children[k]];
			if (!bs_get(c->member, t->idx))
				continue;
			if (t->type != GT_TEST && t->type != GT_UNIT_TEST)
				continue;
			if (t->table != GTAB_NODES && t->table != GTAB_UNIT_TESTS)
				continue;
			if (mode == GI_EAGER || deps_within(c, t, selected))
				bs_set(r.direct, t->idx);
			else if (mode == GI_BUILDABLE && deps_within(c, t, sp))
				bs_set(r.direct, t->idx);
			else
				bs_set(r.indirect, t->idx);
		}
	}
	return r;
}

/* dbt's incorporate_indirect_nodes. */
static uint64_t *incorporate(struct ctx *c, uint64_t *direct, uint64_t *indirect, int mode)
{
	if (bs_equal(c, direct, indirect))
		return direct;
	uint64_t *sel = bs_dup(c, direct);
	if (mode == GI_CAUTIOUS || mode == GI_BUILDABLE) {
		uint64_t *sp = sel;
		if (mode == GI_BUILDABLE) {
			sp = traverse(c, sel, true, -1);
			bs_or(c, sp, sel);
		}
		BS_EACH(c, indirect, i)
		{
			const struct gnode *g = c->m->nodes[i];
			if (g->table == GTAB_NODES && deps_within(c, g, sp)) {
				bs_set(sel, i);
				if (sp != sel)
					bs_set(sp, i);
			}
		}
	}
	return sel;
}

static struct result eval(struct ctx *c, const struct gspec *s)
{
	struct result r = {NULL, NULL};
	if (c->failed)
		return r;
	if (s->kind == GS_CRITERIA) {
		uint64_t *collected = search(c, s);
		if (!collected) {
			c->failed = true;
			return r;
		}
		uint64_t *selected = bs_dup(c, collected);
		if (s->childrens_parents) {
			uint64_t *down = traverse(c, collected, false, -1);
			bs_or(c, down, collected);
			uint64_t *up = traverse(c, down, true, -1);
			bs_or(c, selected, down);
			bs_or(c, selected, up);
		}
		if (s->parents)
			bs_or(c, selected, traverse(c, collected, true, s->parents_depth));
		if (s->children)
			bs_or(c, selected, traverse(c, collected, false, s->children_depth));
		int mode = mode_of(c, s);
		if (mode == GI_EMPTY) {
			r.direct = selected;
			r.indirect = bs_new(c);
			return r;
		}
		return expand(c, selected, mode);
	}
	uint64_t *direct = bs_new(c), *indirect = bs_new(c);
	for (uint32_t k = 0; k < s->nkids; k++) {
		struct result kr = eval(c, s->kids[k]);
		if (c->failed)
			return r;
		uint64_t *all = bs_dup(c, kr.direct);
		bs_or(c, all, kr.indirect);
		for (uint32_t w = 0; w < c->words; w++) {
			if (s->kind == GS_UNION) {
				direct[w] |= kr.direct[w];
				indirect[w] |= all[w];
			} else if (s->kind == GS_INTERSECTION) {
				direct[w] = k ? direct[w] & kr.direct[w] : kr.direct[w];
				indirect[w] = k ? indirect[w] & all[w] : all[w];
			} else if (k == 0) {
				direct[w] = kr.direct[w];
				indirect[w] = all[w];
			} else {
				direct[w] &= ~kr.direct[w];
				indirect[w] &= ~all[w];
			}
		}
	}
	r.direct = incorporate(c, direct, indirect, mode_of(c, s));
	r.indirect = indirect;
	if (s->expect_exists && bs_empty(c, r.direct))
		diag_add(c->d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
		         "The selection criterion '%s' does not match any enabled nodes", s->raw);
	return r;
}

/* ---- the CLI: parse_difference(select, exclude) ---- */

static const char *const default_includes[] = {
    "fqn:*",         "source:*",    "exposure:*", "metric:*", "semantic_model:*",
    "saved_query:*", "unit_test:*",
};

/* parse_union: each value split on " " (union), each token on "," (intersection). */
static struct gspec *parse_union(struct arena *a, const char *const *vals, size_t n, bool expect,
                                 int indirect, struct diag *d)
{
	struct gspec *u = graph_spec_new(a, GS_UNION);
	u->indirect = (int8_t)indirect;
	for (size_t i = 0; i < n; i++) {
		const char *p = vals[i] ? vals[i] : "";
		for (;;) {
			const char *sp = strchr(p, ' ');
			size_t len = sp ? (size_t)(sp - p) : strlen(p);
			if (len) {
				struct gspec *x = graph_spec_new(a, GS_INTERSECTION);
				x->indirect = (int8_t)indirect;
				x->expect_exists = expect;
				x->raw = arena_strndup(a, p, len);
				const char *q = p, *end = p + len;
				for (;;) {
					const char *comma = memchr(q, ',', (size_t)(end - q));
					size_t pl = comma ? (size_t)(comma - q) : (size_t)(end - q);
					if (!pl) {
						err(d, NULL, 0, 0,
						    "selector '%s' has an empty part", x->raw);
						return NULL;
					}
					struct gspec *c = graph_spec_parse(a, q, pl, indirect, d);
					if (!c)
						return NULL;
					graph_spec_push(x, a, c);
					if (!comma)
						break;
					q = comma + 1;
				}
				graph_spec_push(u, a, x);
			}
			if (!sp)
				break;
			p = sp + 1;
		}
	}
	return u;
}

int graph_selector_check(const char *spec, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	const char *v[1] = {spec};
	int rc = parse_union(&a, v, 1, true, GI_FLAG, d) ? 0 : -1;
	arena_release(&a);
	return rc;
}

static int type_mask(const char *name, uint32_t *mask, struct diag *d)
{
	const uint32_t dflt = 1u << GT_MODEL | 1u << GT_SNAPSHOT | 1u << GT_SEED | 1u << GT_TEST |
	                      1u << GT_UNIT_TEST | 1u << GT_SOURCE | 1u << GT_EXPOSURE |
	                      1u << GT_METRIC | 1u << GT_SEMANTIC_MODEL | 1u << GT_SAVED_QUERY;
	int t;
	if (!strcmp(name, "default"))
		*mask |= dflt;
	else if (!strcmp(name, "all"))
		*mask |= dflt | 1u << GT_ANALYSIS;
	else if (!strcmp(name, "data_test"))
		*mask |= 1u << GT_TEST;
	else if ((t = graph_type_parse(str_from(name))) >= 0)
		*mask |= 1u << t;
	else {
		err(d, NULL, 0, 0, "'%s' is not a valid resource type", name);
		return -1;
	}
	return 0;
}

int graph_resource_types(const char *const *names, size_t n, const char *const *exclude,
                         size_t nexclude, uint32_t *mask, struct diag *d)
{
	uint32_t in = 0, out = 0;
	if (!n && type_mask("default", &in, d))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (type_mask(names[i], &in, d))
			return -1;
	for (size_t i = 0; i < nexclude; i++)
		if (type_mask(exclude[i], &out, d))
			return -1;
	*mask = in & ~out;
	return 0;
}

int graph_indirect_parse(struct str s)
{
	static const char *const names[] = {"eager", "cautious", "buildable", "empty"};
	for (int i = 0; i < 4; i++)
		if (str_eqc(s, names[i]))
			return i;
	return -1;
}

int graph_select(struct arena *a, const struct gmanifest *m, const struct gselect_opts *o,
                 struct gselection *out, struct diag *d)
{
	memset(out, 0, sizeof(*out));
	if (!m->linked) {
		err(d, NULL, 0, 0,
		    "the manifest is not linked (graph_link failed or was not called)");
		return -1;
	}
	struct arena scratch;
	arena_init(&scratch);
	struct ctx c = {.m = m,
	                .a = &scratch,
	                .d = d,
	                .n = m->n,
	                .words = (m->n + 63) / 64,
	                .flag = o->indirect,
	                .o = o};
	buf_init(&c.tmp);
	c.member = bs_new(&c);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		if (g->enabled || g->table == GTAB_EXPOSURES || g->table == GTAB_UNIT_TESTS)
			bs_set(c.member, i);
	}
	c.queue = xmalloc((m->n ? m->n : 1) * sizeof(uint32_t));
	c.dist = xmalloc((m->n ? m->n : 1) * sizeof(int32_t));
	for (uint32_t i = 0; i < m->n; i++)
		c.dist[i] = -1;

	const struct gspec *spec = NULL;
	const char *selector = o->selector;
	if (!selector && !o->nselect && !o->nexclude && o->selectors)
		selector = graph_selectors_default(o->selectors);
	if (selector) {
		const struct gselectors *ss = o->selectors;
		for (uint32_t i = 0; ss && i < ss->n; i++)
			if (!strcmp(ss->v[i].name, selector))
				spec = ss->v[i].spec;
		if (!spec) {
			struct buf names = BUF_INIT;
			buf_putc(&names, '[');
			for (uint32_t i = 0; ss && i < ss->n; i++) {
				if (i)
					buf_puts(&names, ", ");
				buf_printf(&names, "'%s'", ss->v[i].name);
			}
			buf_putc(&names, ']');
			err(d, NULL, 0, 0, "Could not find selector named %s, expected one of %s",
			    selector, buf_cstr(&names));
			buf_release(&names);
		}
	} else {
		struct gspec *inc =
		    o->nselect ? parse_union(&scratch, o->select, o->nselect, true, GI_FLAG, d)
		               : parse_union(&scratch, default_includes,
		                             ARRAY_LEN(default_includes), false, GI_FLAG, d);
		struct gspec *exc =
		    inc ? parse_union(&scratch, o->exclude, o->nexclude, true, GI_FLAG, d) : NULL;
		if (exc) {
			struct gspec *diff = graph_spec_new(&scratch, GS_DIFFERENCE);
			diff->indirect = GI_FLAG;
			graph_spec_push(diff, &scratch, inc);
			graph_spec_push(diff, &scratch, exc);
			spec = diff;
		}
	}
	int rc = -1;
	if (spec) {
		struct result r = eval(&c, spec);
		if (!c.failed) {
			out->bits = arena_zalloc(a, (c.words ? c.words : 1) * sizeof(uint64_t));
			uint32_t cnt = 0;
			BS_EACH(&c, r.direct, i)
			{
				const struct gnode *g = m->nodes[i];
				if (o->resource_types && !(o->resource_types & (1u << g->type)))
					continue;
				bs_set(out->bits, i);
				cnt++;
			}
			out->nodes = arena_alloc(a, (cnt ? cnt : 1) * sizeof(*out->nodes));
			for (uint32_t k = 0; k < m->n; k++)
				if (bs_get(out->bits, m->by_id[k]))
					out->nodes[out->n++] = m->nodes[m->by_id[k]];
			rc = 0;
		}
	}
	graph_state_cmp_free(c.state);
	free(c.queue);
	free(c.dist);
	buf_release(&c.tmp);
	arena_release(&scratch);
	return rc;
}
