/* Node parsing: a loaded project's files → a linked manifest whose nodes carry their
 * manifest.json dicts (see parse.h and docs/internals/parse.md). */
#include "parse/parse.h"
#include "base/embed.h"
#include "compile/compile.h"
#include "jinja/jinja.h"
#include "yaml/yaml.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct patch {
	value v;          /* the yml entry (dict) */
	const char *file; /* yml original_file_path */
	const char *pkg;
	int line;
	bool used;
};

/* A generic test found in a yml file, built once every node exists. */
struct gtest {
	const struct project_file *f;
	struct project *own;
	bool source;             /* attached to a source table */
	const char *target_name; /* model / seed name, or the source name */
	const char *table;       /* sources: the table */
	const char *column;      /* or NULL */
	value entry;             /* the tests: item as written */
	int line;
};

struct pnode {
	struct gnode *g;
	value dict;
	const char *file;
	struct dbt_ref *refs;
	size_t nrefs;
	struct dbt_source_ref *srcs;
	size_t nsrcs;
	value depends_nodes; /* the dict's depends_on.nodes list */
	value refs_list, srcs_list, macros_list; /* its refs, sources, depends_on.macros */
	const char *src;     /* the file's text, to place errors (NULL for yml tests) */
	size_t srclen;
};

/* A unit_tests or semantic_models entry of a properties file, kept until every model is known. */
struct pextra {
	bool unit_test; /* else a semantic model */
	value v;        /* the entry as written (not rendered: `{{ Dimension(...) }}` stays text) */
	const struct project_file *f;
	struct project *own;
	int line;
};

/* The kinds of dicts built with the same keys again and again: node dicts (shaped_dict) and
 * small parts of them (small_dict). */
enum {
	SHAPE_MODEL,
	SHAPE_SEED,
	SHAPE_OTHER,
	SHAPE_GENERIC_TEST,
	SHAPE_CTX_NODE,
	SHAPE_COLUMN,
	SHAPE_COLUMN_CONFIG,
	SHAPE_DEPENDS,
	SHAPE_CHECKSUM,
	SHAPE_TEST_METADATA,
	SHAPE_TEST_KWARGS,
	SHAPE_TEST_KWARGS_MODEL,
	SHAPE_REF,
	SHAPE__COUNT
};

struct macro_block {
	struct gmacro *mm;
	const struct jinja_block *b;
	value deps; /* its depends_on.macros list */
};

struct pctx {
	struct project *p;   /* the root project */
	struct project *own; /* the project whose files are being read (root or a package) */
	struct arena *a;
	/* per node: the parse-time render (its template, context and temporaries) and the naming
	 * macro calls; reset when the next node starts, so a project's size does not pile up here */
	struct arena scratch;
	/* per worker: what a node needs until its refs are resolved (struct pnode and its refs),
	 * released when the parse ends */
	struct arena *hold;
	struct diag *d;
	/* what the item's templates write (run_phase_in_order), written when it is registered;
	 * NULL elsewhere */
	struct dbt_output *out;
	struct jinja_env *env;
	struct dbt_project_info info;
	struct gmanifest *m;
	struct map patches;  /* "models\0name" style keys: kind ":" name -> struct patch */
	struct map refable;  /* "pkg:name" -> struct gnode* */
	struct map refnames; /* name -> struct gnode* (the first), for "did you mean" */
	struct map disabled_names;
	struct map source_ids; /* "src.tbl" -> unique id */
	struct map shared;   /* shape hash (8 bytes) -> value *: see persist() */
	struct map named;    /* naming results that depend only on the custom name: see named() */
	struct map macro_ids; /* "pkg\0name" -> macro unique id or no_macro: see macro_id() */
	/* the macros parsed, with the block that defines each, for their depends_on.macros once
	 * every macro is known (macro_depends_on) */
	VEC(struct macro_block) macro_blocks;
	struct buf memo_key;  /* macro_id()'s key */
	struct vdict *shapes[SHAPE__COUNT]; /* see shaped_dict() and small_dict() */
	value kept_none_sum;                /* a generic test's checksum, once persisted */
	/* the kept configs of the last four nodes whose config only the defaults, the projects'
	 * trees and a config() call decided, newest first, with what decided them (cfg_memo_*) */
	struct cfg_memo {
		enum gtype type;
		const struct project *own;
		const void *level, *raw_level, *root_level; /* project_config_level's */
		value call; /* the config() call's arguments, kept (VT_UNDEF: no call) */
		value config, unrendered, meta;
		bool set;
	} cfg_memo[4];
	value kept_docs, kept_contract; /* the default docs and contract, once persisted */
	value recent[9][4]; /* the values persist() returned last, newest first, by size class */
	struct test_kind *test_kinds;   /* see test_kind() (4 of them) */
	value default_configs[GT__COUNT]; /* see default_config() */
	struct kept_strs *kept_strs;      /* see keep_str() */
	struct vdict_lit hints[256]; /* see cget() */
	struct macro_hit { const char *pkg, *id; char name[24]; } macro_hits[8]; /* see macro_id() */
	uint32_t nmacro_hits;
	/* the node the last generic test was attached to and the strings made for it */
	struct test_target {
		const char *name, *table;
		bool source;
		int type;
		const char *model_kw, *file_key;
		/* the repr of the arguments of a test without any (column_name and model), for the
		 * column repr_col names (NULL: not made yet) */
		const char *repr, *repr_col;
	} last_target;
	/* the node the last generic test was attached to, and what named it */
	struct {
		const struct project *own;
		const char *name, *table;
		bool source;
		const struct gnode *node;
	} last_attached;
	uint32_t ntest_kinds;
	/* generate_database/schema/alias_name are dbt's own: -1 unknown, 0, 1 */
	int8_t plain_naming[3];
	VEC(struct pnode *) pending;
	VEC(struct gtest) tests;
	VEC(struct pextra) extras; /* unit_tests and semantic_models entries, built after refs */
	VEC(struct fnode_in) yml_snaps; /* snapshots defined in yml (`relation:`), after the files */
	value disabled;
	bool add_failed; /* gmanifest_add refused an id */
	/* while generic tests are computed: the id index as it was before the first was
	 * registered (registration adds to c->m's meanwhile) */
	const struct map *node_ids;
	/* flag state_modified_compare_more_unrendered_values: config() arguments as written go to
	 * unrendered_config (jinja_static_config) */
	bool unrendered_calls;
	bool yml_failed; /* an error while collecting tests */
	double now;
	struct parse_result *res;
	/* the parallel phases (see run_phase) */
	struct project_files *files; /* per project: the discovered files */
	struct project **projs;
	size_t nproj;
	int nthreads;
	struct worker *workers;
};

/* A worker computes the items of a phase (file nodes, generic tests, ref resolution) with a
 * copy of the main context that has its own scratch arena, sharing tables, diagnostics and, for
 * workers other than the first, its own arena and Jinja environment (an environment is not
 * thread-safe). The main thread is worker 0. Results are registered afterwards in item order
 * by the main thread, each item's messages moved to the main diag then, so the manifest and
 * the messages are the same whatever the number of threads. */
struct worker {
	struct pctx c;
	struct diag d;
	struct arena hold;
	int idx;
	struct phase *ph;
	pthread_t th;
	bool building; /* th is building the worker's environment (env_builders_start) */
};

/* Where an item's messages are: [from, to) of the item's own diag d or, when d is NULL, of
 * worker w's diag. */
struct span {
	uint32_t w, from, to;
	struct diag *d;
};

/* ---- small helpers ---- */

static const char *astr(struct pctx *c, struct str s)
{
	return arena_strndup(c->a, s.p, s.n);
}

/* The strings joined, in a: a cheaper arena_printf("%s%s...") for the names every node makes.
 * Each piece is measured once (the first 16; a longer list measures the rest again). */
static char *cat_(struct arena *a, const char *const *v, size_t nv)
{
	enum { KEEP = 16 };
	size_t lens[KEEP];
	size_t n = 0;
	for (size_t i = 0; i < nv; i++) {
		size_t k = strlen(v[i]);
		if (i < KEEP)
			lens[i] = k;
		n += k;
	}
	char *out = arena_text(a, n + 1), *o = out;
	for (size_t i = 0; i < nv; i++) {
		size_t k = i < KEEP ? lens[i] : strlen(v[i]);
		memcpy(o, v[i], k);
		o += k;
	}
	*o = 0;
	return out;
}
#define CAT(a, ...)                                                                                \
	cat_((a), (const char *const[]){__VA_ARGS__},                                              \
	     sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* a "." b "." c (c may be NULL) in the scratch arena: lookup keys that need not outlive the
 * node being parsed */
static const char *tmp_join(struct pctx *c, const char *a, const char *b, const char *d)
{
	size_t na = strlen(a), nb = strlen(b), nd = d ? strlen(d) : 0;
	char *s = arena_alloc(&c->scratch, na + nb + nd + 3), *o = s;
	memcpy(o, a, na);
	o += na;
	*o++ = '.';
	memcpy(o, b, nb);
	o += nb;
	if (d) {
		*o++ = '.';
		memcpy(o, d, nd);
		o += nd;
	}
	*o = 0;
	return s;
}

static value vs(const char *s)
{
	return s ? v_cstr(s) : v_none();
}

/* Keeps an empty dict with the keys of a kind (always the same array of literals) as the kind's
 * shape for small_dict, in the worker's own arena: dicts built later share its index, so it
 * must outlive them (never the scratch or hold arena; workers only: the shapes are per
 * worker). */
static void make_shape(struct pctx *c, int kind, const char *const *keys, uint32_t n)
{
	if (c->shapes[kind] || !c->hold || c->a == &c->scratch || c->a == c->hold)
		return;
	value sh = v_dict(c->a, n);
	for (uint32_t i = 0; i < n; i++)
		vdict_sets(sh.dict, keys[i], v_none());
	if (sh.dict->live == n)
		c->shapes[kind] = sh.dict;
}

/* A dict of n entries with the keys of a kind and the values vals, in a: once the kind has a
 * shape (make_shape), its keys are copied with their hashes and its index shared (as
 * shaped_dict does for node dicts: a full dict builds its own index before it changes), so no
 * key is hashed. */
static value small_dict(struct pctx *c, struct arena *a, int kind, const char *const *keys,
                        const value *vals, uint32_t n)
{
	const struct vdict *t = c->shapes[kind];
	bool same = t && t->n == n && t->live == n;
	for (uint32_t i = 0; same && i < n; i++)
		same = t->k[i].s == keys[i];
	if (same)
		return vdict_share_keys(a, t, vals, n);
	value d = v_dict(a, n);
	for (uint32_t i = 0; i < n; i++)
		vdict_sets(d.dict, keys[i], vals[i]);
	make_shape(c, kind, keys, n);
	return d;
}

/* Containers start without room: most node dicts hold many that stay empty (meta, grants,
 * quoting, refs of a test ...), and with 30,000 nodes that room is tens of megabytes. */
static value new_list(struct pctx *c)
{
	return v_list(c->a, 0);
}
static value new_dict(struct pctx *c)
{
	return v_dict(c->a, 0);
}
static value new_dictn(struct pctx *c, uint32_t n)
{
	return v_dict(c->a, n);
}

/* A parse-time render (execute false) in package pkg with `model` = node; parse-time calls go to
 * cap (may be NULL); the context's temporaries go to a. */
static void parse_render_init(struct pctx *c, struct dbt_render *r, struct jinja_render *opts,
                              struct arena *a, const char *pkg, value node, struct dbt_capture *cap)
{
	*r = (struct dbt_render){0};
	r->proj = &c->info;
	r->env = c->env;
	r->phase = DBT_PARSE;
	r->package = pkg;
	r->node = node;
	r->this = v_undef();
	r->cap = cap;
	*opts = (struct jinja_render){0};
	dbt_render_setup(r, a, opts);
}

/* Whether v is a string holding Jinja ("{{" or "{%"). */
static bool holds_jinja(value v)
{
	if (v.type != VT_STR)
		return false;
	struct str s = v_as_str(v);
	for (size_t i = 0; i + 1 < s.n; i++)
		if (s.p[i] == '{' && (s.p[i + 1] == '{' || s.p[i + 1] == '%'))
			return true;
	return false;
}

static value dget(value d, const char *k)
{
	value out;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &out))
		return out;
	return v_undef();
}

/* dget for the keys a node's parse reads again and again (a config's "meta", "tags", "alias"
 * ...): where the key literal was found last, per worker (vdict_get_lit); a dict of the same
 * shape (a config cloned from the default one, a kept part whose strings are the literals:
 * keep_str) holds it there and answers without hashing. */
static value cget(struct pctx *c, value d, const char *k)
{
	return d.type == VT_DICT ? vdict_get_lit(d.dict, k, &c->hints[VDICT_LIT_SLOT(k, 8)])
	                         : v_undef();
}

static const char *dget_str(struct pctx *c, value d, const char *k)
{
	value v = dget(d, k);
	if (v.type != VT_STR)
		return NULL;
	return astr(c, v_as_str(v));
}

static value or_default(value v, value def)
{
	return v.type == VT_UNDEF ? def : v;
}

/* Plain dict update (unrendered_config layers). */
static void dict_update(value acc, value part)
{
	if (acc.type != VT_DICT || part.type != VT_DICT)
		return;
	for (uint32_t i = 0; i < part.dict->n; i++)
		if (part.dict->k[i].type != VT_UNDEF)
			vdict_set(acc.dict, part.dict->k[i], part.dict->v[i]);
}

static value str_list(struct pctx *c, const char *const *v, size_t n)
{
	value l = v_list(c->a, (uint32_t)n + 1);
	for (size_t i = 0; i < n; i++)
		vlist_push(l.list, v_cstr(v[i]));
	return l;
}

/* The file name without directory and extension. */
static struct str file_stem(const char *rel)
{
	const char *b = strrchr(rel, '/');
	b = b ? b + 1 : rel;
	const char *dot = strrchr(b, '.');
	return str_make(b, dot ? (size_t)(dot - b) : strlen(b));
}

/* [pkg, *dirs of rel, last...] */
static void make_fqn(struct pctx *c, const char *pkg, const char *rel, const char *const *tail,
                     size_t ntail, struct strlist *out)
{
	size_t cap = 2 + ntail;
	for (const char *s = rel; *s; s++)
		cap += *s == '/';
	const char **v = arena_alloc(c->a, cap * sizeof(*v));
	size_t n = 0;
	v[n++] = pkg;
	const char *s = rel;
	for (const char *sl; (sl = strchr(s, '/')); s = sl + 1)
		if (sl > s)
			v[n++] = arena_strndup(c->a, s, (size_t)(sl - s));
	for (size_t i = 0; i < ntail; i++)
		v[n++] = tail[i];
	out->v = v;
	out->n = n;
}

static void node_error(struct pctx *c, const char *file, int line, const char *fmt, ...)
    SILT_PRINTF(4, 5);
static void node_error(struct pctx *c, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(c->d, DIAG_ERROR, file, line, 0, NULL, 0, fmt, ap);
	va_end(ap);
}

/* Levenshtein distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	size_t *row = xcalloc(nb + 1, sizeof(*row));
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	size_t r = row[nb];
	free(row);
	return r;
}

/* The closest key of m to name within a third of its length (at least 2), or NULL. */
static const char *closest(const struct map *m, const char *name)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, limit = strlen(name) / 3;
	if (limit < 2)
		limit = 2;
	for (size_t i = 0; i < m->n; i++) {
		if (!m->e[i].key.p)
			continue;
		char *k = xmemdup0(m->e[i].key.p, m->e[i].key.n);
		size_t dd = edit_distance(name, k);
		free(k);
		if (dd <= limit && dd < bestd) {
			bestd = dd;
			best = m->e[i].key.p;
		}
	}
	return best;
}

/* ---- configs ---- */

static value hooks_default(struct pctx *c)
{
	return new_list(c);
}

static value build_default_config(struct pctx *c, enum gtype t)
{
	value d = v_dict(c->a, t == GT_TEST ? 16 : 32);
	struct vdict *x = d.dict;
	vdict_sets(x, "enabled", v_bool(true));
	vdict_sets(x, "alias", v_none());
	vdict_sets(x, "schema", t == GT_TEST ? v_cstr("dbt_test__audit") : v_none());
	vdict_sets(x, "database", v_none());
	vdict_sets(x, "tags", new_list(c));
	vdict_sets(x, "meta", new_dict(c));
	vdict_sets(x, "group", v_none());
	if (t == GT_TEST) {
		vdict_sets(x, "materialized", v_cstr("test"));
		vdict_sets(x, "severity", v_cstr("ERROR"));
		vdict_sets(x, "store_failures", v_none());
		vdict_sets(x, "store_failures_as", v_none());
		vdict_sets(x, "where", v_none());
		vdict_sets(x, "limit", v_none());
		vdict_sets(x, "fail_calc", v_cstr("count(*)"));
		vdict_sets(x, "warn_if", v_cstr("!= 0"));
		vdict_sets(x, "error_if", v_cstr("!= 0"));
		return d;
	}
	vdict_sets(x, "materialized",
	           v_cstr(t == GT_SEED ? "seed" : t == GT_SNAPSHOT ? "snapshot" : "view"));
	vdict_sets(x, "incremental_strategy", v_none());
	vdict_sets(x, "batch_size", v_none());
	vdict_sets(x, "lookback", v_int(1));
	vdict_sets(x, "begin", v_none());
	vdict_sets(x, "persist_docs", new_dict(c));
	vdict_sets(x, "post-hook", hooks_default(c));
	vdict_sets(x, "pre-hook", hooks_default(c));
	vdict_sets(x, "quoting", new_dict(c));
	vdict_sets(x, "column_types", new_dict(c));
	vdict_sets(x, "full_refresh", v_none());
	vdict_sets(x, "unique_key", v_none());
	vdict_sets(x, "on_schema_change", v_cstr("ignore"));
	vdict_sets(x, "on_configuration_change", v_cstr("apply"));
	vdict_sets(x, "grants", new_dict(c));
	vdict_sets(x, "packages", new_list(c));
	value docs = new_dictn(c, 2);
	vdict_sets(docs.dict, "show", v_bool(true));
	vdict_sets(docs.dict, "node_color", v_none());
	vdict_sets(x, "docs", docs);
	value contract = new_dictn(c, 3);
	vdict_sets(contract.dict, "enforced", v_bool(false));
	vdict_sets(contract.dict, "alias_types", v_bool(true));
	vdict_sets(x, "contract", contract);
	vdict_sets(x, "event_time", v_none());
	vdict_sets(x, "concurrent_batches", v_none());
	if (t == GT_SEED) {
		vdict_sets(x, "delimiter", v_cstr(","));
		vdict_sets(x, "quote_columns", v_none());
	} else if (t == GT_MODEL) {
		vdict_sets(x, "access", v_cstr("protected"));
		vdict_sets(x, "freshness", v_none());
	} else if (t == GT_SNAPSHOT) {
		/* dbt's SnapshotConfig: its own keys after NodeConfig's (unique_key keeps its place) */
		static const char *const keys[] = {"strategy", "target_schema", "target_database",
		                                   "updated_at", "check_cols"};
		for (size_t i = 0; i < ARRAY_LEN(keys); i++)
			vdict_sets(x, keys[i], v_none());
		static const char *const meta[] = {"dbt_valid_to", "dbt_valid_from", "dbt_scd_id",
		                                   "dbt_updated_at", "dbt_is_deleted"};
		value names = new_dictn(c, 5);
		for (size_t i = 0; i < ARRAY_LEN(meta); i++)
			vdict_sets(names.dict, meta[i], v_none());
		vdict_sets(x, "snapshot_meta_column_names", names);
		vdict_sets(x, "dbt_valid_to_current", v_none());
	}
	return d;
}

/* A copy of a default config: its entries (tagged keys included) are copied, not rebuilt, into
 * exactly as many slots, and so are the containers in it (the node may change them); scalars
 * and the hash index are shared. */
static value clone_config(struct arena *a, value v)
{
	if (v.type == VT_LIST) {
		value l = v_list(a, v.list->cap);
		l.flags = v.flags;
		for (uint32_t i = 0; i < v.list->n; i++)
			l.list->v[i] = clone_config(a, v.list->v[i]);
		l.list->n = v.list->n;
		return l;
	}
	if (v.type != VT_DICT)
		return v;
	const struct vdict *s = v.dict;
	value d = v_dict(a, 0);
	d.flags = v.flags;
	struct vdict *x = d.dict;
	if (s->n) {
		x->k = s->k; /* (see below) */
		x->v = arena_alloc(a, s->n * sizeof(*x->v));
		memcpy(x->v, s->v, s->n * sizeof(*x->v));
		for (uint32_t i = 0; i < s->n; i++) /* (scalars are shared as they are) */
			if (s->v[i].type == VT_LIST || s->v[i].type == VT_DICT)
				x->v[i] = clone_config(a, s->v[i]);
		x->cap = s->n;
	}
	x->n = s->n;
	x->live = s->live;
	/* full (cap == n), so the copy shares the kept dict's keys and index, as shaped node
	 * dicts do: a key added or removed reallocates the entries and builds an index of the
	 * copy's own first, and the kept dicts are only copied, never changed */
	x->index = s->index;
	x->icap = s->icap;
	return d;
}

static void seed_kept_strs(struct pctx *c, value v);

/* A node's config before the project's and its own: the worker builds each type's once (in its
 * hold arena) and copies it, which costs no hashing. The kept one is never changed (its copies
 * share its index: see clone_config). */
static value default_config(struct pctx *c, enum gtype t)
{
	if (!c->hold || t >= GT__COUNT)
		return build_default_config(c, t);
	if (c->default_configs[t].type != VT_DICT) {
		struct arena *keep = c->a;
		c->a = c->hold;
		c->default_configs[t] = build_default_config(c, t);
		c->a = keep;
		seed_kept_strs(c, c->default_configs[t]);
	}
	return clone_config(c->a, c->default_configs[t]);
}

static enum project_rt rt_of(enum gtype t)
{
	if (t == GT_SEED)
		return PRT_SEEDS;
	if (t == GT_SNAPSHOT)
		return PRT_SNAPSHOTS;
	if (t == GT_TEST)
		return PRT_DATA_TESTS;
	return t == GT_ANALYSIS ? PRT_ANALYSES : PRT_MODELS;
}

/* ---- names ---- */

static bool has_macro(struct pctx *c, const char *pkg, const char *name)
{
	value ns, mv;
	return pkg && jinja_get_global(c->env, pkg, &ns) && ns.type == VT_DICT &&
	       vdict_gets(ns.dict, str_from(name), &mv);
}

/* generate_<what>_name(custom, node): the root project's version wins, then the node's
 * package's, then dbt's. The result is trimmed. NULL after an error. */
static const char *call_naming(struct pctx *c, const char *pkg, const char *macro, value custom,
                               value node, const char *file)
{
	struct dbt_render r;
	struct jinja_render opts;
	parse_render_init(c, &r, &opts, &c->scratch, pkg, node, NULL);
	const char *ns = "dbt";
	if (has_macro(c, c->p->name, macro))
		ns = c->p->name;
	else if (strcmp(pkg, c->p->name) && has_macro(c, pkg, macro))
		ns = pkg;
	value args[2] = {custom.type == VT_UNDEF ? v_none() : custom, node};
	struct vargs va = {args, 2, 0, NULL};
	value out;
	if (jinja_call_macro(c->env, ns, macro, &va, &opts, &out, c->d) < 0) {
		node_error(c, file, 0, "could not compute the %s for this node", macro);
		return NULL;
	}
	struct buf b = BUF_INIT;
	jinja_to_str(out, &b);
	struct str s = project_strip(buf_str(&b));
	const char *res = astr(c, s);
	buf_release(&b);
	return res;
}

static void quote_ident(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		buf_append(b, s, (size_t)(q + 1 - s));
		buf_putc(b, '"');
	}
	buf_puts(b, s);
	buf_putc(b, '"');
}

/* The relation as the adapter renders it: SQLite keeps schemas as a name prefix. */
static value relation_name(struct pctx *c, const char *db, const char *schema, const char *alias)
{
	struct buf b = BUF_INIT;
	bool sqlite = c->info.adapter_type && !strcmp(c->info.adapter_type, "sqlite");
	quote_ident(&b, db ? db : "main");
	buf_putc(&b, '.');
	if (sqlite) {
		if (schema && *schema && strcmp(schema, "main")) {
			char *t = arena_printf(&c->scratch, "%s__%s", schema, alias);
			quote_ident(&b, t);
		} else {
			quote_ident(&b, alias);
		}
	} else {
		quote_ident(&b, schema ? schema : "");
		buf_putc(&b, '.');
		quote_ident(&b, alias);
	}
	value v = v_buf(c->a, &b);
	buf_release(&b);
	return v;
}

/* ---- sharing equal parts of node dicts ----
 * Most nodes of a big project carry the same config, unrendered_config, columns, contract ...
 * value for value. These parts are built in the scratch arena and then kept with persist(),
 * which returns the copy kept for an equal value before, or keeps a new one: a 10,000-model
 * project holds a few dozen configs instead of 30,000. Equal here is stricter than Python's
 * ==: same types, flags and key order, since the manifest prints them. The parts are shared, so
 * nothing may change them afterwards (parse.h). */

static uint64_t shape_mix(uint64_t h, uint64_t x)
{
	h ^= x;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static uint64_t shape_hash(value v)
{
	uint64_t h = shape_mix(0xcbf29ce484222325ULL, (uint64_t)v.type << 8 | v.flags);
	switch (v.type) {
	case VT_BOOL:
		return shape_mix(h, v.b);
	case VT_INT:
		return shape_mix(h, (uint64_t)v.i);
	case VT_FLOAT: {
		uint64_t bits;
		memcpy(&bits, &v.f, sizeof(bits));
		return shape_mix(h, bits);
	}
	case VT_STR:
	case VT_UNDEF:
		return shape_mix(h, str_hash(str_make(v.s, v.len)));
	case VT_LIST:
		h = shape_mix(h, v.list->n);
		for (uint32_t i = 0; i < v.list->n; i++)
			h = shape_mix(h, shape_hash(v.list->v[i]));
		return h;
	case VT_DICT:
		h = shape_mix(h, v.dict->live);
		for (uint32_t i = 0; i < v.dict->n; i++)
			if (v.dict->k[i].type != VT_UNDEF)
				h = shape_mix(shape_mix(h, shape_hash(v.dict->k[i])),
				              shape_hash(v.dict->v[i]));
		return h;
	case VT_NONE:
		return h;
	default: /* functions, macros, objects: by identity */
		return shape_mix(h, (uint64_t)(uintptr_t)v.ptr);
	}
}

static bool same_shape(value a, value b);

/* same_shape, answering the common cases without a call: a shared key or part, a scalar, an
 * empty container */
static inline bool same_entry(value a, value b)
{
	if (a.type != b.type || a.flags != b.flags)
		return false;
	switch (a.type) {
	case VT_NONE:
		return true;
	case VT_BOOL:
		return a.b == b.b;
	case VT_INT:
		return a.i == b.i;
	case VT_STR:
		return a.len == b.len && (a.s == b.s || !memcmp(a.s, b.s, a.len));
	case VT_LIST:
		return a.list == b.list || (!a.list->n && !b.list->n) || same_shape(a, b);
	case VT_DICT:
		return a.dict == b.dict || (!a.dict->live && !b.dict->live) || same_shape(a, b);
	default:
		return same_shape(a, b);
	}
}

static bool same_shape(value a, value b)
{
	if (a.type != b.type || a.flags != b.flags)
		return false;
	/* the same list or dict (parts persisted before) */
	if ((a.type == VT_LIST || a.type == VT_DICT) && a.ptr == b.ptr)
		return true;
	switch (a.type) {
	case VT_NONE:
	case VT_BOOL:
	case VT_INT:
	case VT_STR:
		return same_entry(a, b);
	case VT_FLOAT:
		return !memcmp(&a.f, &b.f, sizeof(a.f));
	case VT_UNDEF:
		return a.len == b.len && (!a.len || !memcmp(a.s, b.s, a.len));
	case VT_LIST:
		if (a.list->n != b.list->n)
			return false;
		for (uint32_t i = 0; i < a.list->n; i++)
			if (!same_entry(a.list->v[i], b.list->v[i]))
				return false;
		return true;
	case VT_DICT: {
		const struct vdict *x = a.dict, *y = b.dict;
		if (x->live != y->live)
			return false;
		if (x->n == x->live && y->n == y->live) { /* no holes (the usual case) */
			for (uint32_t i = 0; i < x->n; i++)
				if (!same_entry(x->k[i], y->k[i]) || !same_entry(x->v[i], y->v[i]))
					return false;
			return true;
		}
		uint32_t i = 0, j = 0;
		for (;;) {
			while (i < x->n && x->k[i].type == VT_UNDEF)
				i++;
			while (j < y->n && y->k[j].type == VT_UNDEF)
				j++;
			if (i == x->n || j == y->n)
				return i == x->n && j == y->n;
			if (!same_entry(x->k[i], y->k[j]) || !same_entry(x->v[i], y->v[j]))
				return false;
			i++;
			j++;
		}
	}
	default:
		return a.ptr == b.ptr;
	}
}

/* The strings persist() keeps, by their bytes: a kept part takes the pointer kept before for
 * equal bytes, so kept parts share their keys and strings and compare with a fresh part built
 * from the same source by pointer (same_shape). The table starts with the strings of the default
 * configs (literals: they live as long as the program), so the keys of a node's config, cloned
 * from a default one, are the kept config's keys themselves. Per worker, in its hold arena (the
 * table is rebuilt each phase, as the default configs are). */
struct kept_str {
	const char *s;
	uint32_t len;
	uint64_t h;
};
struct kept_strs {
	struct kept_str *e;
	uint32_t n, cap; /* cap: a power of two */
};

#define KEEP_STR_MAX 128 /* longer strings are copied, not looked up */

static struct kept_str *kept_slot(struct kept_strs *t, const char *p, uint32_t n, uint64_t h)
{
	uint32_t j = (uint32_t)h & (t->cap - 1);
	while (t->e[j].s && !(t->e[j].h == h && t->e[j].len == n && !memcmp(t->e[j].s, p, n)))
		j = (j + 1) & (t->cap - 1);
	return &t->e[j];
}

/* The kept pointer for the bytes of v (a string), entered as p (which must outlive the parse
 * result) when none is kept yet. */
static const char *keep_str(struct pctx *c, const char *p, uint32_t n, bool copy)
{
	struct kept_strs *t = c->kept_strs;
	if (!t) {
		t = c->kept_strs = arena_zalloc(c->hold, sizeof(*t));
		t->cap = 128;
		t->e = arena_zalloc(c->hold, t->cap * sizeof(*t->e));
	}
	uint64_t h = str_hash(str_make(p, n));
	struct kept_str *e = kept_slot(t, p, n, h);
	if (e->s)
		return e->s;
	if ((t->n + 1) * 2 > t->cap) {
		struct kept_strs big = {arena_zalloc(c->hold, 2 * t->cap * sizeof(*t->e)), t->n,
		                        2 * t->cap};
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->e[i].s)
				*kept_slot(&big, t->e[i].s, t->e[i].len, t->e[i].h) = t->e[i];
		*t = big;
		e = kept_slot(t, p, n, h);
	}
	*e = (struct kept_str){copy ? arena_strndup(c->a, p, n) : p, n, h};
	t->n++;
	return e->s;
}

/* Enters the strings of a default config (literals) in the kept strings. */
static void seed_kept_strs(struct pctx *c, value v)
{
	if (v.type == VT_STR && v.len && v.len <= KEEP_STR_MAX) {
		keep_str(c, v.s, v.len, false);
	} else if (v.type == VT_LIST) {
		for (uint32_t i = 0; i < v.list->n; i++)
			seed_kept_strs(c, v.list->v[i]);
	} else if (v.type == VT_DICT) {
		for (uint32_t i = 0; i < v.dict->n; i++)
			if (v.dict->k[i].type != VT_UNDEF) {
				seed_kept_strs(c, v.dict->k[i]);
				seed_kept_strs(c, v.dict->v[i]);
			}
	}
}

static value deep_copy(struct pctx *c, value v)
{
	struct arena *a = c->a;
	if (v.type == VT_STR) {
		if (c->hold && c->a != &c->scratch && c->a != c->hold && v.len &&
		    v.len <= KEEP_STR_MAX) {
			value s = v_str(keep_str(c, v.s, v.len, true), v.len);
			s.flags = v.flags;
			return s;
		}
		value s = v_strdup(a, v.s, v.len);
		s.flags = v.flags;
		return s;
	}
	if (v.type == VT_LIST) {
		value l = v_list(a, v.list->n);
		l.flags = v.flags;
		for (uint32_t i = 0; i < v.list->n; i++)
			vlist_push(l.list, deep_copy(c, v.list->v[i]));
		return l;
	}
	if (v.type == VT_DICT) {
		value d = v_dict(a, v.dict->live);
		d.flags = v.flags;
		for (uint32_t i = 0; i < v.dict->n; i++)
			if (v.dict->k[i].type != VT_UNDEF)
				vdict_set(d.dict, deep_copy(c, v.dict->k[i]),
				          deep_copy(c, v.dict->v[i]));
		return d;
	}
	return v;
}

#define PERSIST_RECENT 4

/* v (a list or dict, possibly in the scratch arena) as kept in the project arena: the copy
 * kept for an equal value before, else a new copy, remembered for the next. */
static value persist(struct pctx *c, value v)
{
	if (v.type != VT_LIST && v.type != VT_DICT)
		return v;
	/* neighbours mostly repeat the values just kept (a folder's tests, its models' configs):
	 * those are compared before anything is hashed. They are remembered by size class (lists;
	 * dicts of 0 to 6 entries; bigger ones), so that a node's config is compared with the
	 * last configs, not pushed out by the smaller parts kept after it (unrendered config,
	 * meta, columns): with one list for all, 70% of a project's model configs were hashed. */
	uint32_t live = v.type == VT_DICT ? v.dict->live : 0;
	value *recent = c->recent[v.type == VT_LIST ? 0 : 1 + (live < 7 ? live : 7)];
	for (int i = 0; i < PERSIST_RECENT; i++)
		if (recent[i].type == v.type && same_shape(recent[i], v))
			return recent[i];
	uint64_t h = shape_hash(v);
	const value *old = map_get(&c->shared, str_make((const char *)&h, sizeof(h)));
	value kept;
	if (old && same_shape(*old, v)) {
		kept = *old;
	} else {
		kept = deep_copy(c, v);
		if (!old) { /* (a hash collision keeps its own copy) */
			char *key = arena_alloc(c->a, sizeof(h)); /* the map borrows its keys */
			memcpy(key, &h, sizeof(h));
			value *cell = arena_alloc(c->a, sizeof(*cell));
			*cell = kept;
			map_set(&c->shared, str_make(key, sizeof(h)), cell);
		}
	}
	memmove(recent + 1, recent, (PERSIST_RECENT - 1) * sizeof(*recent));
	recent[0] = kept;
	return kept;
}

/* ---- columns ---- */

static const char *const column_keys[] = {"name",        "description", "meta",   "data_type",
                                          "constraints", "quote",       "config", "tags",
                                          "granularity", "doc_blocks"};
static const char *const column_cfg_keys[] = {"meta", "tags"};

static value column_dict(struct pctx *c, value col)
{
	value desc = cget(c, col, "description"), meta = cget(c, col, "meta");
	value dt = cget(c, col, "data_type"), cons = cget(c, col, "constraints");
	value q = cget(c, col, "quote"), tags = cget(c, col, "tags");
	value cfg_vals[] = {meta.type == VT_DICT ? meta : new_dict(c),
	                    tags.type == VT_LIST ? tags : new_list(c)};
	value vals[] = {or_default(cget(c, col, "name"), v_cstr("")),
	                desc.type == VT_STR ? desc : v_cstr(""),
	                meta.type == VT_DICT ? meta : new_dict(c),
	                dt.type == VT_STR ? dt : v_none(),
	                cons.type == VT_LIST ? cons : new_list(c),
	                q.type == VT_BOOL ? q : v_none(),
	                small_dict(c, c->a, SHAPE_COLUMN_CONFIG, column_cfg_keys, cfg_vals, 2),
	                tags.type == VT_LIST ? tags : new_list(c),
	                v_none(),
	                new_list(c)};
	return small_dict(c, c->a, SHAPE_COLUMN, column_keys, vals, 10);
}

static value columns_dict(struct pctx *c, value cols)
{
	value d = new_dict(c);
	if (cols.type != VT_LIST)
		return d;
	for (uint32_t i = 0; i < cols.list->n; i++) {
		value col = cols.list->v[i];
		value name = cget(c, col, "name");
		if (name.type == VT_STR)
			vdict_set(d.dict, name, column_dict(c, col));
	}
	return d;
}

/* default_config and columns_dict built in the scratch arena, for persist() */
static value scratch_config(struct pctx *c, enum gtype t)
{
	struct arena *keep = c->a;
	c->a = &c->scratch;
	value v = default_config(c, t);
	c->a = keep;
	return v;
}

static value scratch_columns(struct pctx *c, value cols)
{
	make_shape(c, SHAPE_COLUMN, column_keys, ARRAY_LEN(column_keys));
	make_shape(c, SHAPE_COLUMN_CONFIG, column_cfg_keys, ARRAY_LEN(column_cfg_keys));
	struct arena *keep = c->a;
	c->a = &c->scratch;
	value v = columns_dict(c, cols);
	c->a = keep;
	return v;
}

/* ---- the node dict, in dbt's key order ---- */

struct ninfo {
	enum gtype type;
	const char *pkg, *name, *uid, *path, *ofp, *db, *schema, *alias, *patch_path;
	struct strlist fqn;
	value checksum, config, unrendered, tags, description, columns, meta, raw_code;
	value refs, sources, depends;
	value relation;
};

/* What registering a node reads of its ninfo (add_node, the duplicate checks): what a phase
 * keeps per item until its turn to be registered, rather than the whole ninfo (30,000 items of
 * a 10k project, memory touched once). */
struct nreg {
	enum gtype type;
	const char *pkg, *name, *uid, *path, *ofp, *patch_path;
	struct strlist fqn;
	value config, tags;
};

static struct nreg nreg_of(const struct ninfo *n)
{
	return (struct nreg){n->type, n->pkg,        n->name, n->uid,   n->path,
	                     n->ofp,  n->patch_path, n->fqn,  n->config, n->tags};
}

static value checksum_dict(struct pctx *c, const char *name, const char *sum)
{
	static const char *const keys[] = {"name", "checksum"};
	value vals[] = {v_cstr(name), v_cstr(sum)};
	return small_dict(c, c->a, SHAPE_CHECKSUM, keys, vals, 2);
}

/* ---- node dicts: shaped ----
 * Every node dict of a kind (model, seed, singular test or analysis, generic test) has the
 * same keys in the same order. The first one of a kind is built as usual, with room for
 * exactly its keys, and kept as the kind's shape; the next ones copy its entries (keys and
 * their hashes) with their own values and share its hash index, which depends only on the keys'
 * hashes and order. This saves hashing 45 keys and growing the index three times per node,
 * and the index's memory. Sharing the index is safe because the dicts are full (cap == n): a
 * dict that gets a new key or loses one reallocates its entries and builds an index of its own
 * first (vdict_set, vdict_del), and replacing a value does not touch the index. */

#define NODE_KEYS 56

struct node_kv {
	const char *k[NODE_KEYS];
	value v[NODE_KEYS];
	uint32_t n;
};

static void kv(struct node_kv *b, const char *k, value v)
{
	b->k[b->n] = k;
	b->v[b->n++] = v;
}


static value shaped_dict(struct pctx *c, int kind, const struct node_kv *b)
{
	const struct vdict *t = c->shapes[kind];
	bool same = t && t->n == b->n && t->live == b->n && t->icap;
	for (uint32_t i = 0; same && i < b->n; i++)
		same = t->k[i].s == b->k[i] ||
		       (t->k[i].len == strlen(b->k[i]) && !memcmp(t->k[i].s, b->k[i], t->k[i].len));
	if (!same) {
		value d = v_dict(c->a, b->n);
		for (uint32_t i = 0; i < b->n; i++)
			vdict_sets(d.dict, b->k[i], b->v[i]);
		if (!t && d.dict->live == b->n)
			c->shapes[kind] = d.dict;
		return d;
	}
	return vdict_share_keys(c->a, t, b->v, b->n);
}

/* The node's manifest dict, in dbt's key order, then `extra` keys (a generic test's). */
static value build_node_dict(struct pctx *c, const struct ninfo *n, const struct node_kv *extra,
                             int kind)
{
	struct node_kv b;
	b.n = 0;
	kv(&b, "database", vs(n->db));
	kv(&b, "schema", vs(n->schema));
	kv(&b, "name", v_cstr(n->name));
	kv(&b, "resource_type", v_cstr(graph_type_name(n->type)));
	kv(&b, "package_name", v_cstr(n->pkg));
	kv(&b, "path", v_cstr(n->path));
	kv(&b, "original_file_path", v_cstr(n->ofp));
	kv(&b, "unique_id", v_cstr(n->uid));
	kv(&b, "fqn", str_list(c, n->fqn.v, n->fqn.n));
	kv(&b, "alias", vs(n->alias));
	kv(&b, "checksum", n->checksum);
	kv(&b, "config", n->config);
	kv(&b, "tags", n->tags);
	kv(&b, "description", n->description.type == VT_STR ? n->description : v_cstr(""));
	kv(&b, "columns", n->columns);
	kv(&b, "meta", n->meta);
	kv(&b, "group", or_default(cget(c, n->config, "group"), v_none()));
	value docs = cget(c, n->config, "docs");
	if (docs.type == VT_UNDEF) {
		if (c->kept_docs.type != VT_DICT) {
			value dd = v_dict(&c->scratch, 2);
			vdict_sets(dd.dict, "show", v_bool(true));
			vdict_sets(dd.dict, "node_color", v_none());
			c->kept_docs = persist(c, dd);
		}
		docs = c->kept_docs;
	}
	kv(&b, "docs", docs);
	kv(&b, "patch_path", vs(n->patch_path));
	kv(&b, "build_path", v_none());
	kv(&b, "unrendered_config", n->unrendered);
	kv(&b, "created_at", v_float(c->now));
	kv(&b, "relation_name", n->relation);
	kv(&b, "raw_code", n->raw_code);
	kv(&b, "doc_blocks", new_list(c));
	if (n->type != GT_SEED) {
		kv(&b, "language", v_cstr("sql"));
		kv(&b, "refs", n->refs);
		kv(&b, "sources", n->sources);
		kv(&b, "metrics", new_list(c));
		kv(&b, "functions", new_list(c));
	}
	kv(&b, "depends_on", n->depends);
	if (n->type != GT_SEED) {
		kv(&b, "compiled_path", v_none());
		if (c->kept_contract.type != VT_DICT) {
			value contract = v_dict(&c->scratch, 3);
			vdict_sets(contract.dict, "enforced", v_bool(false));
			vdict_sets(contract.dict, "alias_types", v_bool(true));
			vdict_sets(contract.dict, "checksum", v_none());
			c->kept_contract = persist(c, contract);
		}
		kv(&b, "contract", c->kept_contract);
	}
	if (n->type == GT_MODEL) {
		kv(&b, "access", or_default(cget(c, n->config, "access"), v_cstr("protected")));
		kv(&b, "constraints", new_list(c));
		kv(&b, "version", v_none());
		kv(&b, "latest_version", v_none());
		kv(&b, "deprecation_date", v_none());
		kv(&b, "primary_key", new_list(c));
		kv(&b, "time_spine", v_none());
	}
	for (uint32_t i = 0; extra && i < extra->n; i++)
		kv(&b, extra->k[i], extra->v[i]);
	return shaped_dict(c, kind, &b);
}

/* depends_on with room for the macros and nodes expected (0: unknown; lists grow from 4) */
static value depends_dict(struct pctx *c, value *nodes_out, uint32_t nmacros, uint32_t nnodes)
{
	static const char *const keys[] = {"macros", "nodes"};
	*nodes_out = v_list(c->a, nnodes);
	value vals[] = {v_list(c->a, nmacros), *nodes_out};
	return small_dict(c, c->a, SHAPE_DEPENDS, keys, vals, 2);
}

/* A string value that outlives the parse as a C string: itself when NUL terminated. */
static const char *kept_cstr(struct pctx *c, value v)
{
	return v.s[v.len] == 0 ? v.s : astr(c, v_as_str(v));
}

static const char **tags_of(struct pctx *c, value tags, uint32_t *n)
{
	*n = 0;
	if (tags.type != VT_LIST)
		return NULL;
	const char **v = arena_alloc(c->a, (tags.list->n + 1) * sizeof(*v));
	for (uint32_t i = 0; i < tags.list->n; i++)
		if (tags.list->v[i].type == VT_STR)
			v[(*n)++] = kept_cstr(c, tags.list->v[i]);
	return v;
}

/* Registers the node (or files it under disabled); NULL when disabled or on error. */
static struct gnode *add_node(struct pctx *c, const struct nreg *n, value dict, enum gtable tab)
{
	value en = cget(c, n->config, "enabled");
	if (en.type == VT_BOOL && !en.b) {
		value l;
		if (!vdict_gets(c->disabled.dict, str_from(n->uid), &l)) {
			l = new_list(c);
			vdict_sets(c->disabled.dict, n->uid, l);
		}
		vlist_push(l.list, dict);
		if (n->type == GT_MODEL || n->type == GT_SEED)
			map_set(&c->disabled_names, str_from(n->name), (void *)n->uid);
		return NULL;
	}
	struct gnode *g = gmanifest_add(c->m, tab, n->type, n->uid, c->d);
	if (!g) {
		c->add_failed = true;
		return NULL;
	}
	g->package = n->pkg;
	g->name = n->name;
	g->path = n->path;
	g->original_file_path = n->ofp;
	g->patch_path = n->patch_path;
	g->fqn = (const char **)n->fqn.v;
	g->nfqn = (uint32_t)n->fqn.n;
	g->tags = tags_of(c, n->tags, &g->ntags);
	g->config = n->config;
	value grp = cget(c, n->config, "group");
	g->group = grp.type == VT_STR ? astr(c, v_as_str(grp)) : NULL;
	if (n->type == GT_MODEL)
		g->access = "protected";
	g->raw = dict;
	return g;
}

/* ---- rendering a SQL file at parse time ---- */

/* The `model` of a parse-time render (in the scratch arena: only the render reads it). */
static value ctx_node(struct pctx *c, const struct ninfo *n)
{
	struct arena *a = &c->scratch;
	value fqn = v_list(a, (uint32_t)n->fqn.n);
	for (size_t i = 0; i < n->fqn.n; i++)
		vlist_push(fqn.list, v_cstr(n->fqn.v[i]));
	static const char *const keys[] = {"name", "unique_id",          "resource_type",
	                                   "package_name", "original_file_path", "path",
	                                   "fqn",  "version",            "config"};
	value vals[] = {v_cstr(n->name), v_cstr(n->uid),  v_cstr(graph_type_name(n->type)),
	                v_cstr(n->pkg),  v_cstr(n->ofp),  v_cstr(n->path),
	                fqn,             v_none(),        n->config};
	return small_dict(c, a, SHAPE_CTX_NODE, keys, vals, 9);
}

static const char no_macro[] = "";
static const char *macro_id_find(struct pctx *c, const char *pkg, const char *name);
static const char *macro_id_memo(struct pctx *c, const char *pkg, const char *name);

/* The macro's unique id for a name called from package pkg, or NULL; remembered per worker
 * (the macros are all known before the nodes are read), so the names a project's templates
 * call again and again (ref, config, its own macros) are looked up once. */
static const char *macro_id(struct pctx *c, const char *pkg, const char *name)
{
	/* the names a worker just looked up (a project's templates call the same few) */
	for (uint32_t i = 0; i < 8; i++)
		if (c->macro_hits[i].pkg == pkg && pkg && !strcmp(c->macro_hits[i].name, name))
			return c->macro_hits[i].id;
	const char *id = macro_id_memo(c, pkg, name);
	size_t nl = strlen(name);
	if (pkg && nl < sizeof(c->macro_hits[0].name)) {
		struct macro_hit *h = &c->macro_hits[c->nmacro_hits++ % 8];
		h->pkg = pkg;
		h->id = id;
		memcpy(h->name, name, nl + 1);
	}
	return id;
}

static const char *macro_id_memo(struct pctx *c, const char *pkg, const char *name)
{
	struct buf *k = &c->memo_key;
	k->n = 0;
	buf_puts(k, pkg ? pkg : "");
	buf_putc(k, 0);
	buf_puts(k, name);
	const char *hit = map_get(&c->macro_ids, buf_str(k));
	if (hit)
		return hit == no_macro ? NULL : hit;
	const char *id = macro_id_find(c, pkg, name);
	map_set(&c->macro_ids, str_make(arena_strndup(c->a, k->p, k->n), k->n),
	        (void *)(id ? id : no_macro));
	return id;
}

static const char *macro_id_find(struct pctx *c, const char *pkg, const char *name)
{
	const char *order[3] = {pkg, c->p->name, "dbt"};
	for (int i = 0; i < 3; i++) {
		if (i > 0 && order[i] && order[i - 1] && !strcmp(order[i], order[i - 1]))
			continue; /* looked up just now */
		const char *id = tmp_join(c, "macro", order[i], name);
		struct gmacro *mm = graph_find_macro(c->m, str_from(id));
		if (mm)
			return mm->unique_id;
	}
	return NULL;
}

static void push_macro_id(value l, const char *id)
{
	for (uint32_t k = 0; k < l.list->n; k++)
		if (str_eqc(v_as_str(l.list->v[k]), id))
			return;
	vlist_push(l.list, v_cstr(id));
}

static void push_macro(value depends, const char *id)
{
	value l = dget(depends, "macros");
	for (uint32_t k = 0; k < l.list->n; k++)
		if (str_eqc(v_as_str(l.list->v[k]), id))
			return;
	vlist_push(l.list, v_cstr(id));
}

static void add_macro_deps(struct pctx *c, value depends, const char *pkg, const char **names,
                           size_t n)
{
	value l = cget(c, depends, "macros");
	for (size_t i = 0; i < n; i++) {
		const char *id = macro_id(c, pkg, names[i]);
		if (!id)
			continue;
		bool dup = false;
		for (uint32_t k = 0; k < l.list->n; k++)
			dup |= str_eqc(v_as_str(l.list->v[k]), id);
		if (!dup)
			vlist_push(l.list, v_cstr(id));
	}
}

/* depends_on.macros by a static look at the text: every `name(` or `pkg.name(` inside a
 * Jinja tag that names a macro visible from pkg (ref, source, config … are not macros). */
static void scan_macro_calls(struct pctx *c, value depends, const char *pkg, const char *s,
                             size_t n)
{
	bool in_tag = false;
	for (size_t i = 0; i < n; i++) {
		if (!in_tag) { /* nothing counts before the next '{' */
			const char *b = memchr(s + i, '{', n - i);
			if (!b)
				break;
			i = (size_t)(b - s);
		}
		if (i + 1 < n && s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%')) {
			in_tag = true;
			i++;
			continue;
		}
		if (i + 1 < n && (s[i] == '}' || s[i] == '%') && s[i + 1] == '}') {
			in_tag = false;
			i++;
			continue;
		}
		bool ident =
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_';
		if (!in_tag || !ident ||
		    (i > 0 &&
		     (s[i - 1] == '_' || s[i - 1] == '.' || (s[i - 1] >= '0' && s[i - 1] <= '9') ||
		      (s[i - 1] >= 'a' && s[i - 1] <= 'z') ||
		      (s[i - 1] >= 'A' && s[i - 1] <= 'Z'))))
			continue;
		size_t j = i, dot = 0;
		while (j < n &&
		       ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
		        (s[j] >= '0' && s[j] <= '9') || s[j] == '_' || (s[j] == '.' && !dot))) {
			if (s[j] == '.')
				dot = j;
			j++;
		}
		if (j < n && s[j] == '(') {
			const char *id = NULL;
			if (dot) {
				char *full = arena_printf(&c->scratch, "macro.%.*s", (int)(j - i), s + i);
				struct gmacro *mm = graph_find_macro(c->m, str_from(full));
				id = mm ? mm->unique_id : NULL;
			} else {
				id = macro_id(c, pkg, arena_strndup(&c->scratch, s + i, j - i));
			}
			if (id)
				push_macro(depends, id);
		}
		i = j - 1 < i ? i : j - 1;
	}
}

/* A deep copy into a for values that outlive a render: strings, lists and dicts are copied;
 * objects, functions and macros (which point into the render) become their text, as a
 * manifest would print them. */
static value keep_value(struct arena *a, value v)
{
	switch (v.type) {
	case VT_LIST: {
		value l = v_list(a, v.list->n);
		l.flags = v.flags;
		for (uint32_t i = 0; i < v.list->n; i++)
			vlist_push(l.list, keep_value(a, v.list->v[i]));
		return l;
	}
	case VT_DICT: {
		value d = v_dict(a, v.dict->live);
		d.flags = v.flags;
		for (uint32_t i = 0; i < v.dict->n; i++) {
			const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
			if (e->k.type != VT_UNDEF)
				vdict_set(d.dict, keep_value(a, e->k), keep_value(a, e->v));
		}
		return d;
	}
	case VT_OBJ:
	case VT_FUNC:
	case VT_MACRO: {
		struct buf b = BUF_INIT;
		v_to_str(v, &b);
		value s = v_buf(a, &b);
		buf_release(&b);
		return s;
	}
	case VT_UNDEF:
		return v_none();
	default:
		return value_copy(a, v);
	}
}

/* The refs and sources a render recorded, kept until they are resolved (in c->hold). */
static void keep_capture(struct pctx *c, struct pnode *pn, const struct dbt_capture *cap)
{
	struct arena *h = c->hold;
	pn->nrefs = cap->refs.n;
	pn->refs = arena_alloc(h, (cap->refs.n + 1) * sizeof(*pn->refs));
	for (size_t i = 0; i < cap->refs.n; i++) {
		pn->refs[i] = cap->refs.v[i];
		pn->refs[i].package.p = arena_strndup(h, cap->refs.v[i].package.p, cap->refs.v[i].package.n);
		pn->refs[i].name.p = arena_strndup(h, cap->refs.v[i].name.p, cap->refs.v[i].name.n);
		if (pn->refs[i].version.type != VT_UNDEF)
			pn->refs[i].version = value_copy(h, pn->refs[i].version);
	}
	pn->nsrcs = cap->sources.n;
	pn->srcs = arena_alloc(h, (cap->sources.n + 1) * sizeof(*pn->srcs));
	for (size_t i = 0; i < cap->sources.n; i++) {
		pn->srcs[i] = cap->sources.v[i];
		pn->srcs[i].source.p =
		    arena_strndup(h, cap->sources.v[i].source.p, cap->sources.v[i].source.n);
		pn->srcs[i].table.p = arena_strndup(h, cap->sources.v[i].table.p, cap->sources.v[i].table.n);
	}
}

static struct patch *find_patch(struct pctx *c, const char *kind, const char *name)
{
	char *key = CAT(&c->scratch, kind, ":", c->own->name, ":", name);
	return map_get(&c->patches, str_from(key));
}

/* n's config (meta updated) and unrendered_config, built in scratch, kept shared; tags and
 * meta are the kept config's own, as the node dict shows them. */
static void keep_config(struct pctx *c, struct ninfo *n)
{
	bool meta_in_config = cget(c, n->config, "meta").type != VT_UNDEF;
	n->config = persist(c, n->config);
	n->unrendered = persist(c, n->unrendered);
	n->meta = meta_in_config ? cget(c, n->config, "meta") : persist(c, n->meta);
	n->tags = or_default(cget(c, n->config, "tags"), new_list(c));
}

/* Fills database/schema/alias/relation_name of n from its config. */
/* Whether `macro` resolves to dbt's own implementation all the way: no project or package
 * defines it, default__<macro> or <adapter>__<macro>, and dbt's namespace has no adapter
 * version either. */
static bool dbts_own_naming(struct pctx *c, const char *macro)
{
	const char *names[3] = {macro, arena_printf(&c->scratch, "default__%s", macro),
	                        arena_printf(&c->scratch, "%s__%s", c->info.adapter_type, macro)};
	if (has_macro(c, "dbt", names[2]))
		return false;
	for (size_t k = 0; k <= c->res->npkgs; k++) {
		const char *pkg = k == 0 ? c->p->name : c->res->pkgs[k - 1].name;
		for (int i = 0; i < 3; i++)
			if (has_macro(c, pkg, names[i]))
				return false;
	}
	return true;
}

/* generate_database_name / generate_schema_name. dbt's own versions (compile/macros/naming.sql)
 * read only the custom name and the target, which is fixed for a parse: their result for a
 * custom name (none or a string) is computed once. A project that overrides them is called
 * for every node. */
static value ctx_node(struct pctx *c, const struct ninfo *n);

/* The `model` a naming macro gets, built the first time one is called. */
static value lazy_ctx(struct pctx *c, const struct ninfo *n, value *node)
{
	if (node->type == VT_UNDEF)
		*node = ctx_node(c, n);
	return *node;
}

static const char *named(struct pctx *c, int which, value custom, const struct ninfo *n,
                         value *node)
{
	const char *pkg = n->pkg, *file = n->ofp;
	const char *macro = which == 0 ? "generate_database_name" : "generate_schema_name";
	if (c->plain_naming[which] < 0)
		c->plain_naming[which] = dbts_own_naming(c, macro);
	bool memo = c->plain_naming[which] &&
	            (custom.type == VT_UNDEF || custom.type == VT_NONE || custom.type == VT_STR);
	if (!memo)
		return call_naming(c, pkg, macro, custom, lazy_ctx(c, n, node), file);
	/* the key: "0" / "1", or "0:custom" (in scratch until it is kept) */
	size_t kn = custom.type == VT_STR ? 2 + (size_t)custom.len : 1;
	char *k = arena_text(&c->scratch, kn);
	k[0] = (char)('0' + which);
	if (custom.type == VT_STR) {
		k[1] = ':';
		memcpy(k + 2, custom.s, custom.len);
	}
	const char *r = map_get(&c->named, str_make(k, kn));
	if (!r) {
		r = call_naming(c, pkg, macro, custom, lazy_ctx(c, n, node), file);
		if (r)
			map_set(&c->named, str_make(arena_strndup(c->a, k, kn), kn), (void *)r);
	}
	return r;
}

/* generate_alias_name: dbt's own (see named()) gives the configured alias trimmed when it is a
 * non-empty string, else the node's name (nodes are unversioned here), so it is not called. */
static const char *alias_of(struct pctx *c, const struct ninfo *n, value *node)
{
	value custom = cget(c, n->config, "alias");
	if (c->plain_naming[2] < 0)
		c->plain_naming[2] = dbts_own_naming(c, "generate_alias_name");
	if (!c->plain_naming[2] ||
	    !(custom.type == VT_UNDEF || custom.type == VT_NONE || custom.type == VT_STR))
		return call_naming(c, n->pkg, "generate_alias_name", custom, lazy_ctx(c, n, node),
		                   n->ofp);
	struct str s = custom.type == VT_STR && custom.len ? v_as_str(custom) : str_from(n->name);
	return astr(c, project_strip(s));
}

static int name_node(struct pctx *c, struct ninfo *n)
{
	value node = v_undef(); /* the naming macros' `model`, when one is called */
	/* a snapshot's legacy target_database / target_schema win over the naming macros */
	value tdb = n->type == GT_SNAPSHOT ? cget(c, n->config, "target_database") : v_undef();
	value tsc = n->type == GT_SNAPSHOT ? cget(c, n->config, "target_schema") : v_undef();
	n->db = tdb.type == VT_STR && tdb.len ? astr(c, v_as_str(tdb))
	                                      : named(c, 0, cget(c, n->config, "database"), n, &node);
	n->schema = tsc.type == VT_STR && tsc.len ? astr(c, v_as_str(tsc))
	                                          : named(c, 1, cget(c, n->config, "schema"), n, &node);
	if (!n->alias)
		n->alias = alias_of(c, n, &node);
	if (!n->db || !n->schema || !n->alias)
		return -1;
	/* a test has none (relation_name null) */
	n->relation = n->type == GT_TEST ? v_none() : relation_name(c, n->db, n->schema, n->alias);
	return 0;
}

/* A model, seed, singular test or analysis file: computed by a worker, then registered by
 * the main thread in file order. */
/* What the main thread lists for a node file: fnode's inputs, apart, so that the array of
 * fnodes (400 bytes each) is first written, and its pages faulted in, by the workers. */
struct fnode_in {
	const struct project_file *f;
	struct project *own;
	enum gtype type;
	const char *snap_name, *snap_body; /* see fnode */
	size_t snap_len;
	value snap_entry;
};

struct fnode {
	const struct project_file *f;
	struct project *own;
	enum gtype type;
	int rc;
	struct nreg n; /* (n.uid NULL: not named) */
	struct patch *pt;
	struct pnode *pn;
	value dict;
	const char *refkey;
	/* snapshots: the block's name and body ({% snapshot %} in a .sql file), or for one defined
	 * in yml, its entry (`relation:` gives the body) */
	const char *snap_name;
	const char *snap_body;
	size_t snap_len;
	value snap_entry;
	bool docs_plain; /* see gnode.docs_plain */
	bool vars_plain; /* see gnode.vars_plain */
};

static bool nonempty(value v)
{
	return v.type == VT_STR ? v.len > 0 : v.type == VT_LIST ? v.list->n > 0 : v.type != VT_NONE &&
	                                                                          v.type != VT_UNDEF;
}

/* dbt's SnapshotConfig.final_validate: what a snapshot's config must hold. */
static int snapshot_config_check(struct pctx *c, const struct ninfo *n)
{
	value strategy = cget(c, n->config, "strategy"), cols = cget(c, n->config, "check_cols");
	value mat = cget(c, n->config, "materialized");
	const char *msg = NULL;
	if (!nonempty(strategy) || !nonempty(cget(c, n->config, "unique_key")))
		msg = "Snapshots must be configured with a 'strategy' and 'unique_key'.";
	else if (strategy.type == VT_STR && str_eqc(v_as_str(strategy), "check")) {
		if (!nonempty(cols))
			msg = "A snapshot configured with the check strategy must specify a check_cols "
			      "or check_exclude_cols configuration.";
		else if (cols.type == VT_STR && !str_eqc(v_as_str(cols), "all")) {
			node_error(c, n->ofp, 0,
			           "Invalid value for 'check_cols': %.*s. Expected 'all' or a list of "
			           "strings.",
			           (int)cols.len, cols.s);
			return -1;
		}
	} else if (strategy.type == VT_STR && str_eqc(v_as_str(strategy), "timestamp")) {
		if (!nonempty(cget(c, n->config, "updated_at")))
			msg = "A snapshot configured with the timestamp strategy must specify an "
			      "updated_at configuration.";
		else if (nonempty(cols))
			msg = "A 'timestamp' snapshot should not have 'check_cols' or 'check_exclude_cols";
	}
	if (!msg && mat.type == VT_STR && !str_eqc(v_as_str(mat), "snapshot"))
		msg = "A snapshot must have a materialized value of 'snapshot'";
	if (msg) {
		node_error(c, n->ofp, 0, "Invalid config for snapshot %s: %s", n->name, msg);
		return -1;
	}
	/* snapshot_meta_column_names is a record in dbt: its five names, in order, null when unset */
	value names = cget(c, n->config, "snapshot_meta_column_names");
	if (names.type != VT_DICT && names.type != VT_UNDEF && names.type != VT_NONE) {
		node_error(c, n->ofp, 0, "Invalid config for snapshot %s: snapshot_meta_column_names "
		           "must be a mapping", n->name);
		return -1;
	}
	static const char *const meta[] = {"dbt_valid_to", "dbt_valid_from", "dbt_scd_id",
	                                   "dbt_updated_at", "dbt_is_deleted"};
	value full = v_dict(&c->scratch, 5);
	for (size_t i = 0; i < ARRAY_LEN(meta); i++)
		vdict_sets(full.dict, meta[i], or_default(cget(c, names, meta[i]), v_none()));
	vdict_sets(n->config.dict, "snapshot_meta_column_names", full);
	return 0;
}

/* ---- configs remembered ----
 * A node whose config only the defaults of its type, the layers of the projects' trees its fqn
 * reaches and its config() call decide (no patch config or meta, no config arguments of a
 * test) gets the config an earlier node got when those are the same (most nodes of a folder):
 * its kept config, unrendered config and meta, instead of merging, finishing and keeping its
 * own. A node with messages is not remembered: a layer that warns warns for each. */

/* key for a node of type (in project c->own) with fqn: what decides its config but the call */
static void cfg_memo_key(struct pctx *c, struct cfg_memo *key, enum gtype type,
                         const struct strlist *fqn)
{
	*key = (struct cfg_memo){.type = type, .own = c->own, .call = v_undef()};
	key->level = project_config_level(c->own, rt_of(type), fqn, false);
	key->raw_level = project_config_level(c->own, rt_of(type), fqn, true);
	if (c->own != c->p)
		key->root_level = project_config_level(c->p, rt_of(type), fqn, false);
}

/* The remembered config of a node with key's layers and config() call (VT_UNDEF: none). */
static struct cfg_memo *cfg_memo_find(struct pctx *c, const struct cfg_memo *key, value call)
{
	for (size_t i = 0; i < ARRAY_LEN(c->cfg_memo); i++) {
		struct cfg_memo *m = &c->cfg_memo[i];
		if (m->set && m->type == key->type && m->own == key->own && m->level == key->level &&
		    m->raw_level == key->raw_level && m->root_level == key->root_level &&
		    (call.type == VT_DICT ? m->call.type == VT_DICT && same_shape(m->call, call)
		                          : m->call.type == VT_UNDEF))
			return m;
	}
	return NULL;
}

/* n's config parts, as keep_config leaves them, from a remembered config. */
static void cfg_memo_take(struct pctx *c, const struct cfg_memo *m, struct ninfo *n)
{
	n->config = m->config;
	n->unrendered = m->unrendered;
	n->meta = m->meta;
	n->tags = or_default(cget(c, n->config, "tags"), new_list(c));
}

/* Remembers n's kept config under key (key->call set), as the newest. */
static void cfg_memo_keep(struct pctx *c, struct cfg_memo *key, const struct ninfo *n)
{
	key->config = n->config;
	key->unrendered = n->unrendered;
	key->meta = n->meta;
	key->set = true;
	memmove(c->cfg_memo + 1, c->cfg_memo, (ARRAY_LEN(c->cfg_memo) - 1) * sizeof(*c->cfg_memo));
	c->cfg_memo[0] = *key;
}

static int file_node(struct pctx *c, struct fnode *fn)
{
	arena_reset(&c->scratch);
	const struct project_file *f = fn->f;
	enum gtype type = fn->type;
	struct ninfo n = {0};
	n.type = type;
	n.pkg = c->own->name;
	n.name = fn->snap_name ? fn->snap_name : astr(c, file_stem(f->relative_path));
	n.uid = CAT(c->a, graph_type_name(type), ".", n.pkg, ".", n.name);
	n.path = f->relative_path;
	n.ofp = f->path;
	const char *src = f->contents;
	size_t srclen = f->len;
	if (type == GT_SNAPSHOT && fn->snap_entry.type == VT_DICT) {
		/* dbt: fqn [pkg, *dirs, name], path <yml path>/<name>.sql, body select * from relation */
		const char *tail[1] = {n.name};
		make_fqn(c, n.pkg, f->relative_path, tail, 1, &n.fqn);
		n.path = CAT(c->a, f->relative_path, "/", n.name, ".sql");
		src = fn->snap_body;
		srclen = fn->snap_len;
	} else if (type == GT_SNAPSHOT) {
		/* dbt: a snapshot's fqn holds its file's name too */
		const char *tail[2] = {astr(c, file_stem(f->relative_path)), n.name};
		make_fqn(c, n.pkg, f->relative_path, tail, 2, &n.fqn);
		src = fn->snap_body;
		srclen = fn->snap_len;
	} else {
		const char *tail[1] = {n.name};
		make_fqn(c, n.pkg, f->relative_path, tail, 1, &n.fqn);
	}
	n.checksum = checksum_dict(c, f->checksum_name, f->checksum);
	fn->refkey = CAT(c->a, n.pkg, ":", n.name);
	fn->n = nreg_of(&n); /* what registering checks first (duplicates), even when this fails */
	bool refable = type == GT_MODEL || type == GT_SEED || type == GT_SNAPSHOT;

	struct patch *pt = !refable ? NULL
	                   : find_patch(c,
	                                type == GT_SEED       ? "seeds"
	                                : type == GT_SNAPSHOT ? "snapshots"
	                                                      : "models",
	                                n.name);
	fn->pt = pt;
	value pcfg = pt ? cget(c, pt->v, "config") : v_undef();
	if (pt)
		n.patch_path = CAT(c->a, pt->pkg, "://", pt->file);

	/* config and unrendered_config are built in scratch, then kept shared (persist) */
	struct arena *sa = &c->scratch;
	/* a remembered config (see cfg_memo_key) is taken after rendering; the config is built
	 * before it anyway, for the render to read */
	struct cfg_memo key, *memo = NULL;
	bool plain = type != GT_SNAPSHOT && !c->unrendered_calls && pcfg.type == VT_UNDEF &&
	             !(pt && cget(c, pt->v, "meta").type == VT_DICT);
	size_t nmsgs = c->d->msgs.n;
	if (plain)
		cfg_memo_key(c, &key, type, &n.fqn);
	n.config = scratch_config(c, type);
	if (project_config_apply_tree(c->own, rt_of(type), &n.fqn, false, sa, n.config, c->d) < 0)
		return -1;
	if (pcfg.type == VT_DICT && project_config_merge(sa, n.config, pcfg, c->d) < 0)
		return -1;
	n.unrendered = v_dict(sa, 0);
	if (project_config_apply_tree(c->own, rt_of(type), &n.fqn, true, sa, n.unrendered, c->d) < 0)
		return -1;
	dict_update(n.unrendered, pcfg);

	struct pnode *pn = arena_zalloc(c->hold, sizeof(*pn));
	pn->file = n.ofp;
	pn->src = src;
	pn->srclen = srclen;
	n.depends = depends_dict(c, &pn->depends_nodes, 0, 0);
	n.refs = new_list(c);
	n.sources = new_list(c);
	pn->refs_list = type == GT_SEED ? v_undef() : n.refs;
	pn->srcs_list = type == GT_SEED ? v_undef() : n.sources;
	pn->macros_list = cget(c, n.depends, "macros");

	if (type == GT_SEED) {
		vdict_del(n.depends.dict, v_cstr("nodes"), NULL);
		n.raw_code = v_cstr("");
		memo = plain ? cfg_memo_find(c, &key, v_undef()) : NULL;
	} else {
		n.raw_code = v_str(src, srclen);
		struct jinja_template *t =
		    jinja_parse_in(c->env, &c->scratch, f->path, src, srclen, c->d);
		if (!t)
			return -1;
		struct dbt_capture cap;
		dbt_capture_init(&cap);
		/* the render's temporaries go to the scratch arena; what the node keeps is copied out */
		struct dbt_render r;
		struct jinja_render opts;
		parse_render_init(c, &r, &opts, &c->scratch, n.pkg, ctx_node(c, &n), &cap);
		int rc = jinja_render(c->env, t, &opts, NULL, c->d); /* the text is not kept */
		if (rc == 0 && plain)
			memo = cfg_memo_find(c, &key, cap.config);
		if (rc == 0 && cap.config.type == VT_DICT && !memo) {
			value cfg = keep_value(sa, cap.config);
			rc = project_config_merge(sa, n.config, cfg, c->d);
			dict_update(n.unrendered, cfg);
			value as_written;
			if (c->unrendered_calls && jinja_static_config(t, sa, &as_written) > 0)
				dict_update(n.unrendered, as_written);
		}
		if (rc == 0) {
			keep_capture(c, pn, &cap);
			add_macro_deps(c, n.depends, n.pkg, cap.macros.v, cap.macros.n);
			scan_macro_calls(c, n.depends, n.pkg, src, srclen);
			if (plain && !memo && cap.config.type == VT_DICT)
				key.call = persist(c, cap.config);
		}
		dbt_capture_release(&cap);
		if (rc < 0)
			return -1;
	}
	n.description = pt ? cget(c, pt->v, "description") : v_undef();
	n.columns = persist(c, scratch_columns(c, pt ? cget(c, pt->v, "columns") : v_undef()));
	if (memo) {
		cfg_memo_take(c, memo, &n);
	} else {
		if (c->own != c->p && project_config_apply_tree(c->p, rt_of(type), &n.fqn, false, sa,
		                                                n.config, c->d) < 0)
			return -1;
		project_config_finish(sa, n.config);
		if (type == GT_SNAPSHOT && snapshot_config_check(c, &n) < 0)
			return -1;
		n.meta = or_default(cget(c, n.config, "meta"), v_dict(sa, 0));
		if (pt && cget(c, pt->v, "meta").type == VT_DICT)
			dict_update(n.meta, cget(c, pt->v, "meta"));
		keep_config(c, &n);
		if (plain && c->d->msgs.n == nmsgs)
			cfg_memo_keep(c, &key, &n);
	}

	if (name_node(c, &n) < 0)
		return -1;
	if (type == GT_TEST)
		n.relation = v_none();
	if (cget(c, n.config, "materialized").type == VT_STR &&
	    str_eqc(v_as_str(cget(c, n.config, "materialized")), "ephemeral"))
		n.relation = v_none();

	fn->dict = build_node_dict(c, &n, NULL,
	                           type == GT_MODEL  ? SHAPE_MODEL
	                           : type == GT_SEED ? SHAPE_SEED
	                                             : SHAPE_OTHER);
	/* looked at here, where they are at hand, so that render_docs passes the node by */
	fn->docs_plain = !holds_jinja(n.description);
	/* (and so that node_vars.json's thread need not read 30,000 node dicts) */
	fn->vars_plain = !graph_reads_var(n.raw_code) && !graph_reads_var(n.unrendered);
	for (uint32_t i = 0; fn->docs_plain && n.columns.type == VT_DICT && i < n.columns.dict->n; i++)
		if (n.columns.dict->k[i].type != VT_UNDEF)
			fn->docs_plain = !holds_jinja(cget(c, n.columns.dict->v[i], "description"));
	fn->n = nreg_of(&n);
	fn->pn = pn;
	return 0;
}

struct fnode_job {
	const struct fnode_in *in;
	struct fnode *out; /* not initialised: each filled by its worker */
};

static void work_file_node(struct pctx *c, void *items, size_t i)
{
	const struct fnode_job *job = items;
	const struct fnode_in *in = &job->in[i];
	struct fnode *fn = &job->out[i];
	*fn = (struct fnode){.f = in->f,
	                     .own = in->own,
	                     .type = in->type,
	                     .snap_name = in->snap_name,
	                     .snap_body = in->snap_body,
	                     .snap_len = in->snap_len,
	                     .snap_entry = in->snap_entry};
	c->own = fn->own;
	fn->rc = file_node(c, fn);
}

static void take_msgs(struct pctx *c, const struct span *sp, uint32_t upto);
static int register_file_node(struct pctx *c, struct fnode *fn, const struct span *sp);

static int take_file_node(struct pctx *c, void *items, size_t i, const struct span *sp)
{
	struct fnode *fn = &((const struct fnode_job *)items)->out[i];
	c->own = fn->own;
	return register_file_node(c, fn, sp);
}

static int register_file_node(struct pctx *c, struct fnode *fn, const struct span *sp)
{
	const struct nreg *n = &fn->n;
	enum gtype type = fn->type;
	/* duplicates: dbt refuses two refable resources with one name (the file is not read) */
	bool refable = type == GT_MODEL || type == GT_SEED || type == GT_SNAPSHOT;
	if (refable) {
		struct gnode *other = map_get(&c->refable, str_from(fn->refkey));
		if (other) {
			take_msgs(c, sp, 0);
			node_error(c, NULL, 0, "dbt found two %s with the name \"%s\": %s and %s",
			           other->type == type ? (type == GT_SEED       ? "seeds"
			                                  : type == GT_SNAPSHOT ? "snapshots"
			                                                        : "models")
			                               : "resources",
			           n->name, other->original_file_path, n->ofp);
			return -1;
		}
	} else if (graph_find(c->m, str_from(n->uid))) {
		take_msgs(c, sp, 0);
		node_error(c, NULL, 0, "dbt found two %s with the name \"%s\": %s",
		           type == GT_TEST ? "tests" : "analyses", n->name, n->ofp);
		return -1;
	}
	if (fn->pt)
		fn->pt->used = true;
	take_msgs(c, sp, UINT32_MAX);
	if (fn->rc < 0)
		return -1;
	struct gnode *g = add_node(c, n, fn->dict, GTAB_NODES);
	if (!g)
		return c->add_failed ? -1 : 0;
	g->docs_plain = fn->docs_plain;
	g->vars_plain = fn->vars_plain;
	if (refable) {
		map_set(&c->refable, str_from(fn->refkey), g);
		if (!map_get(&c->refnames, str_from(n->name)))
			map_set(&c->refnames, str_from(n->name), g);
	}
	fn->pn->g = g;
	fn->pn->dict = fn->dict;
	vec_push(&c->pending, fn->pn);
	if (type == GT_MODEL)
		c->res->nmodels++;
	else if (type == GT_SEED)
		c->res->nseeds++;
	else if (type == GT_SNAPSHOT)
		c->res->nsnapshots++;
	else if (type == GT_ANALYSIS)
		c->res->nanalyses++;
	else
		c->res->ntests++;
	return 0;
}

/* ---- macros ---- */

static int add_macro_file(struct pctx *c, const char *pkg, const char *path, const char *src,
                          size_t len)
{
	struct jinja_template *t = jinja_parse(c->env, path, src, len, c->d);
	if (!t)
		return -1;
	jinja_add_macros(c->env, pkg, t);
	const struct jinja_block *b;
	size_t nb = jinja_template_blocks(t, &b);
	size_t at = 0; /* the start of line `line` of src */
	int line = 1;
	for (size_t i = 0; i < nb; i++) {
		const char *name;
		if (!strcmp(b[i].kind, "macro"))
			name = astr(c, b[i].name);
		else if (!strcmp(b[i].kind, "test"))
			name = arena_printf(c->a, "test_%.*s", (int)b[i].name.n, b[i].name.p);
		else if (!strcmp(b[i].kind, "materialization"))
			name = arena_printf(c->a, "materialization_%.*s_%.*s", (int)b[i].name.n,
			                    b[i].name.p, (int)(b[i].adapter.n ? b[i].adapter.n : 7),
			                    b[i].adapter.n ? b[i].adapter.p : "default");
		else
			continue;
		const char *uid = arena_printf(c->a, "macro.%s.%s", pkg, name);
		if (graph_find_macro(c->m, str_from(uid))) {
			node_error(c, path, b[i].line,
			           "dbt found two macros named \"%s\" in the project \"%s\"", name,
			           pkg);
			return -1;
		}
		struct gmacro *mm = gmanifest_add_macro(c->m, uid);
		mm->package = pkg;
		mm->name = name;
		/* macro_sql: from the opening tag to the end of the closing one; the blocks come in
		 * line order, so the line count goes on from the previous block's */
		if (b[i].line < line) {
			at = 0;
			line = 1;
		}
		while (at < len && line < b[i].line) {
			const char *nl = memchr(src + at, '\n', len - at);
			if (!nl) {
				at = len;
				break;
			}
			at = (size_t)(nl - src) + 1;
			line++;
		}
		size_t start = at;
		start += (size_t)(b[i].col > 0 ? b[i].col - 1 : 0);
		if (start > len)
			start = len;
		for (size_t back = 0; back < 8 && start >= 2; back++, start--)
			if (src[start - 2] == '{' && src[start - 1] == '%') {
				start -= 2;
				break;
			}
		size_t end = (size_t)(b[i].body.p + b[i].body.n - src);
		const char *close = end <= len ? strstr(src + end, "%}") : NULL;
		end = close ? (size_t)(close - src) + 2 : len;
		if (end < start)
			end = start;
		value d = v_dict(c->a, 16);
		const char *base = strrchr(path, '/');
		const char *mpath = strcmp(pkg, "dbt")
		                        ? path
		                        : arena_printf(c->a, "macros/%s", base ? base + 1 : path);
		const char *rel = mpath;
		if (strcmp(pkg, "dbt")) {
			const char *sl = strchr(path, '/');
			rel = sl ? sl + 1 : path;
		}
		vdict_sets(d.dict, "name", v_cstr(name));
		vdict_sets(d.dict, "resource_type", v_cstr("macro"));
		vdict_sets(d.dict, "package_name", v_cstr(pkg));
		vdict_sets(d.dict, "path", v_cstr(rel));
		vdict_sets(d.dict, "original_file_path", v_cstr(mpath));
		vdict_sets(d.dict, "unique_id", v_cstr(uid));
		vdict_sets(d.dict, "macro_sql", v_str(src + start, end - start));
		value dep = new_dict(c);
		value deps = new_list(c);
		vdict_sets(dep.dict, "macros", deps);
		vdict_sets(d.dict, "depends_on", dep);
		vec_push(&c->macro_blocks, ((struct macro_block){mm, &b[i], deps}));
		vdict_sets(d.dict, "description", v_cstr(""));
		vdict_sets(d.dict, "meta", new_dict(c));
		value docs = new_dict(c);
		vdict_sets(docs.dict, "show", v_bool(true));
		vdict_sets(docs.dict, "node_color", v_none());
		vdict_sets(d.dict, "docs", docs);
		vdict_sets(d.dict, "patch_path", v_none());
		vdict_sets(d.dict, "arguments", new_list(c));
		vdict_sets(d.dict, "created_at", v_float(c->now));
		vdict_sets(d.dict, "supported_languages", v_none());
		mm->raw = d;
		c->res->nmacros++;
	}
	return 0;
}

/* ---- a macro's depends_on.macros ----
 * As dbt's ManifestLoader.macro_depends_on: the calls a macro's definition makes, read without
 * rendering it (jinja_block_calls: dbt's statically_extract_macro_calls), each resolved in the
 * macro's own package (or the one a `pkg.name` call names), then the root project, then dbt;
 * adapter.dispatch adds its literal name and the macro it picks for this adapter. */

/* names of dbt's macro context, never taken for macros */
static const char *const context_callables[] = {
    "return", "var", "env_var", "log", "print", "fromjson", "tojson", "fromyaml", "toyaml",
    "set", "set_strict", "zip", "zip_strict", "local_md5", "diff_of_two_dicts",
    "try_or_compiler_error",
};

struct possible_calls {
	struct pctx *c;
	VEC(const char *) v;
};

static void possible_push(struct possible_calls *pc, const char *s, bool unique)
{
	for (size_t i = 0; unique && i < pc->v.n; i++)
		if (!strcmp(pc->v.v[i], s))
			return;
	vec_push(&pc->v, s);
}

static bool loaded_project(struct pctx *c, struct str name)
{
	if (str_eqc(name, "dbt") || (c->p->name && str_eqc(name, c->p->name)))
		return true;
	for (size_t i = 0; i < c->res->npkgs; i++)
		if (c->res->pkgs[i].name && str_eqc(name, c->res->pkgs[i].name))
			return true;
	return false;
}

/* The macro adapter.dispatch(name, ns) finds for this adapter, as "package.name", or NULL:
 * dispatch's own search (compile/context.c), over the macros parsed so far. */
static const char *dispatch_pick(struct pctx *c, struct str name, struct str ns)
{
	struct str pkgs[16];
	size_t n = dbt_dispatch_packages(&c->info, ns, ns.n && loaded_project(c, ns), pkgs,
	                                 ARRAY_LEN(pkgs) - 1);
	if (n == 1 && !pkgs[0].n) { /* no namespace: the root project's macros, then dbt's */
		pkgs[0] = str_from(c->p->name ? c->p->name : "dbt");
		pkgs[n++] = STR("dbt");
	}
	const char *prefixes[8];
	size_t np = dbt_dispatch_prefixes(&c->info, prefixes, ARRAY_LEN(prefixes));
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < np; k++) {
			const char *id = arena_printf(&c->scratch, "macro.%.*s.%s__%.*s", (int)pkgs[i].n,
			                              pkgs[i].p, prefixes[k], (int)name.n, name.p);
			struct gmacro *mm = graph_find_macro(c->m, str_from(id));
			if (mm)
				return arena_printf(&c->scratch, "%s.%s", mm->package, mm->name);
		}
	return NULL;
}

static void possible_call(void *ud, const struct jinja_call *call)
{
	struct possible_calls *pc = ud;
	struct pctx *c = pc->c;
	if (call->dispatch) {
		possible_push(pc, arena_strndup(&c->scratch, call->name.p, call->name.n), false);
		const char *picked = dispatch_pick(c, call->name, call->dispatch_ns);
		if (picked)
			possible_push(pc, picked, false);
		return;
	}
	if (call->package.n) {
		possible_push(pc,
		              arena_printf(&c->scratch, "%.*s.%.*s", (int)call->package.n,
		                           call->package.p, (int)call->name.n, call->name.p),
		              true);
		return;
	}
	if (str_eqc(call->name, "source") || str_eqc(call->name, "ref") ||
	    str_eqc(call->name, "config"))
		return;
	for (size_t i = 0; i < ARRAY_LEN(context_callables); i++)
		if (str_eqc(call->name, context_callables[i]))
			return;
	possible_push(pc, arena_strndup(&c->scratch, call->name.p, call->name.n), true);
}

static void macro_depends_on(struct pctx *c)
{
	struct possible_calls pc = {c, {0}};
	for (size_t i = 0; i < c->macro_blocks.n; i++) {
		struct macro_block *mb = &c->macro_blocks.v[i];
		pc.v.n = 0;
		jinja_block_calls(mb->b, possible_call, &pc);
		for (size_t k = 0; k < pc.v.n; k++) {
			const char *p = pc.v.v[k], *dot = strchr(p, '.');
			if (!strcmp(p, mb->mm->name))
				continue; /* a dispatching macro names itself */
			const char *pkg = mb->mm->package, *name = p;
			if (dot) {
				pkg = arena_strndup(&c->scratch, p, (size_t)(dot - p));
				name = dot + 1;
			}
			const char *id = macro_id_find(c, pkg, name);
			if (id)
				push_macro_id(mb->deps, id);
		}
		value l = mb->deps;
		mb->mm->nmacros = l.list->n;
		mb->mm->macros = arena_alloc(c->a, (l.list->n + 1) * sizeof(char *));
		for (uint32_t k = 0; k < l.list->n; k++)
			mb->mm->macros[k] = l.list->v[k].s;
		arena_reset(&c->scratch);
	}
	vec_free(&pc.v);
	vec_free(&c->macro_blocks);
}

/* ---- schema yml ---- */

static void collect_tests(struct pctx *c, const struct project_file *f, value holder, bool source,
                          const char *target, const char *table, const char *column, int line)
{
	value lists[2] = {dget(holder, "tests"), dget(holder, "data_tests")};
	if (lists[0].type != VT_UNDEF && lists[1].type != VT_UNDEF) {
		node_error(
		    c, f->path, line,
		    "Invalid test config: cannot have both 'tests' and 'data_tests' defined%s%s",
		    column ? " for column " : "", column ? column : "");
		c->yml_failed = true;
		return;
	}
	for (int k = 0; k < 2; k++) {
		if (lists[k].type != VT_LIST)
			continue;
		for (uint32_t i = 0; i < lists[k].list->n; i++) {
			struct gtest t = {
			    f, c->own, source, target, table, column, lists[k].list->v[i], line};
			vec_push(&c->tests, t);
		}
	}
}

static void collect_column_tests(struct pctx *c, const struct project_file *f, value holder,
                                 bool source, const char *target, const char *table, int line)
{
	collect_tests(c, f, holder, source, target, table, NULL, line);
	value cols = dget(holder, "columns");
	if (cols.type != VT_LIST)
		return;
	for (uint32_t i = 0; i < cols.list->n; i++) {
		const char *cn = dget_str(c, cols.list->v[i], "name");
		if (cn)
			collect_tests(c, f, cols.list->v[i], source, target, table, cn, line);
	}
}

static int parse_source_table(struct pctx *c, const struct project_file *f, value src, value tbl,
                              int line)
{
	const char *sname = dget_str(c, src, "name");
	const char *tname = dget_str(c, tbl, "name");
	if (!sname || !tname) {
		node_error(c, f->path, line, "a source and each of its tables need a 'name'");
		return -1;
	}
	struct ninfo n = {0};
	n.type = GT_SOURCE;
	n.pkg = c->own->name;
	n.name = tname;
	n.uid = arena_printf(c->a, "source.%s.%s.%s", n.pkg, sname, tname);
	const char *tail[2] = {sname, tname};
	make_fqn(c, n.pkg, f->relative_path, tail, 2, &n.fqn);
	const char *db = dget_str(c, src, "database");
	const char *schema = dget_str(c, src, "schema");
	const char *ident = dget_str(c, tbl, "identifier");
	value tdb = dget(c->info.target, "database");
	n.db = db ? db : tdb.type == VT_STR ? astr(c, v_as_str(tdb)) : "main";
	n.schema = schema ? schema : sname;
	if (graph_find(c->m, str_from(n.uid))) {
		node_error(c, f->path, line, "source '%s.%s' is defined twice", sname, tname);
		return -1;
	}

	value cfg = new_dictn(c, 8);
	vdict_sets(cfg.dict, "enabled", v_bool(true));
	vdict_sets(cfg.dict, "event_time", v_none());
	vdict_sets(cfg.dict, "freshness", v_none());
	vdict_sets(cfg.dict, "loaded_at_field", v_none());
	vdict_sets(cfg.dict, "loaded_at_query", v_none());
	vdict_sets(cfg.dict, "meta", new_dict(c));
	vdict_sets(cfg.dict, "tags", new_list(c));
	if (project_config_apply_tree(c->own, PRT_SOURCES, &n.fqn, false, c->a, cfg, c->d) < 0)
		return -1;
	if (dget(src, "config").type == VT_DICT &&
	    project_config_merge(c->a, cfg, dget(src, "config"), c->d) < 0)
		return -1;
	if (dget(tbl, "config").type == VT_DICT &&
	    project_config_merge(c->a, cfg, dget(tbl, "config"), c->d) < 0)
		return -1;
	value unr = new_dict(c);
	dict_update(unr, dget(src, "config"));
	dict_update(unr, dget(tbl, "config"));

	value tags = new_list(c);
	value lists[3] = {dget(src, "tags"), dget(tbl, "tags"), dget(cfg, "tags")};
	for (int k = 0; k < 3; k++)
		if (lists[k].type == VT_LIST)
			for (uint32_t i = 0; i < lists[k].list->n; i++) {
				bool dup = false;
				for (uint32_t j = 0; j < tags.list->n; j++)
					dup |= v_equal(tags.list->v[j], lists[k].list->v[i]);
				if (!dup)
					vlist_push(tags.list, lists[k].list->v[i]);
			}

	value d = v_dict(c->a, 40);
	struct vdict *x = d.dict;
	vdict_sets(x, "database", v_cstr(n.db));
	vdict_sets(x, "schema", v_cstr(n.schema));
	vdict_sets(x, "name", v_cstr(tname));
	vdict_sets(x, "resource_type", v_cstr("source"));
	vdict_sets(x, "package_name", v_cstr(n.pkg));
	vdict_sets(x, "path", v_cstr(f->path));
	vdict_sets(x, "original_file_path", v_cstr(f->path));
	vdict_sets(x, "unique_id", v_cstr(n.uid));
	vdict_sets(x, "fqn", str_list(c, n.fqn.v, n.fqn.n));
	vdict_sets(x, "source_name", v_cstr(sname));
	value sd = dget(src, "description");
	vdict_sets(x, "source_description", sd.type == VT_STR ? sd : v_cstr(""));
	value loader = dget(src, "loader");
	vdict_sets(x, "loader", loader.type == VT_STR ? loader : v_cstr(""));
	vdict_sets(x, "identifier", v_cstr(ident ? ident : tname));
	value q = new_dictn(c, 4);
	vdict_sets(q.dict, "database", v_none());
	vdict_sets(q.dict, "schema", v_none());
	vdict_sets(q.dict, "identifier", v_none());
	vdict_sets(q.dict, "column", v_none());
	dict_update(q, dget(src, "quoting"));
	dict_update(q, dget(tbl, "quoting"));
	vdict_sets(x, "quoting", q);
	value laf = or_default(dget(tbl, "loaded_at_field"), dget(src, "loaded_at_field"));
	vdict_sets(x, "loaded_at_field", laf.type == VT_STR ? laf : v_none());
	vdict_sets(x, "loaded_at_query", v_none());
	value fr = or_default(dget(tbl, "freshness"), dget(src, "freshness"));
	vdict_sets(x, "freshness", fr.type == VT_DICT ? fr : v_none());
	vdict_sets(x, "external", or_default(dget(tbl, "external"), v_none()));
	value td = dget(tbl, "description");
	vdict_sets(x, "description", td.type == VT_STR ? td : v_cstr(""));
	vdict_sets(x, "columns", columns_dict(c, dget(tbl, "columns")));
	value tmeta = dget(tbl, "meta");
	vdict_sets(x, "meta", tmeta.type == VT_DICT ? tmeta : new_dict(c));
	value smeta = dget(src, "meta");
	vdict_sets(x, "source_meta", smeta.type == VT_DICT ? smeta : new_dict(c));
	vdict_sets(x, "tags", tags);
	vdict_sets(x, "config", cfg);
	vdict_sets(x, "patch_path", v_none());
	vdict_sets(x, "unrendered_config", unr);
	vdict_sets(x, "relation_name", relation_name(c, n.db, n.schema, ident ? ident : tname));
	vdict_sets(x, "created_at", v_float(c->now));
	vdict_sets(x, "unrendered_database", db ? v_cstr(db) : v_none());
	vdict_sets(x, "unrendered_schema", schema ? v_cstr(schema) : v_none());
	vdict_sets(x, "doc_blocks", new_list(c));

	n.config = cfg;
	n.tags = tags;
	n.path = f->path;
	n.ofp = f->path;
	struct nreg r = nreg_of(&n);
	struct gnode *g = add_node(c, &r, d, GTAB_SOURCES);
	if (!g)
		return c->add_failed ? -1 : 0;
	g->source_name = sname;
	map_set(&c->source_ids, str_from(arena_printf(c->a, "%s.%s", sname, tname)),
	        (void *)g->unique_id);
	c->res->nsources++;
	collect_column_tests(c, f, tbl, true, sname, tname, line);
	return 0;
}

/* Schema yml is rendered as dbt's SchemaYamlRenderer does: every string holding Jinja, natively,
 * with var/env_var/target — except descriptions, tests and hooks (rendered later, or never). */
static bool yml_skip_key(struct str k)
{
	static const char *const skip[] = {"description", "tests",          "data_tests",
	                                   "pre-hook",    "post-hook",      "pre_hook",
	                                   "post_hook",   "loaded_at_query"};
	for (size_t i = 0; i < ARRAY_LEN(skip); i++)
		if (str_eqc(k, skip[i]))
			return true;
	return false;
}

static int render_yml(struct pctx *c, const char *file, value *v)
{
	if (v->type == VT_STR) {
		if (!holds_jinja(*v))
			return 0;
		struct str s = v_as_str(*v);
		struct jinja_template *t = jinja_parse(c->env, file, s.p, s.n, c->d);
		if (!t)
			return -1;
		struct dbt_render r;
		struct jinja_render opts;
		parse_render_init(c, &r, &opts, c->a, c->own->name, new_dict(c), NULL);
		return jinja_render_native(c->env, t, &opts, v, c->d);
	}
	if (v->type == VT_LIST) {
		for (uint32_t i = 0; i < v->list->n; i++)
			if (render_yml(c, file, &v->list->v[i]) < 0)
				return -1;
	} else if (v->type == VT_DICT) {
		for (uint32_t i = 0; i < v->dict->n; i++) {
			value k = v->dict->k[i];
			if (k.type == VT_UNDEF || (k.type == VT_STR && yml_skip_key(v_as_str(k))))
				continue;
			if (render_yml(c, file, &v->dict->v[i]) < 0)
				return -1;
		}
	}
	return 0;
}

/* A schema file read by a worker (the DOM in its arena), then walked by the main thread. */
static const char *const patch_kinds[] = {"models", "seeds", "snapshots"};

struct ydoc {
	const struct project_file *f;
	struct project *own;
	struct yaml_doc *doc;
	int rc;
	struct diag d; /* the messages of reading it */
	/* the entries of models:, seeds: and snapshots: as values, their strings rendered
	 * (render_yml), when the worker could do it without a message; else NULL and the main
	 * thread does it in turn, so that messages keep their order */
	value *patch_values[3];
};

/* Converts and renders the patch entries of y on the worker (see ydoc.patch_values). */
static void pre_patches(struct pctx *c, struct ydoc *y)
{
	const struct yaml_node *root = y->doc->root;
	if (!root || !yaml_is_map(root))
		return;
	size_t nmsgs = c->d->msgs.n;
	for (int k = 0; k < 3; k++) {
		const struct yaml_node *list = yaml_map_get(root, patch_kinds[k]);
		if (!list || !yaml_is_seq(list))
			continue;
		value *vals = arena_alloc(c->a, (list->len + 1) * sizeof(*vals));
		size_t mark = c->out->text.n;
		for (uint32_t i = 0; i < list->len; i++) {
			vals[i] = yaml_to_value(c->a, list->items[i]);
			if (render_yml(c, y->f->path, &vals[i]) < 0 || c->d->msgs.n != nmsgs) {
				/* what was done is done again by the main thread, and written then */
				c->out->text.n = mark;
				return;
			}
		}
		y->patch_values[k] = vals;
	}
}

static void work_yaml(struct pctx *c, void *items, size_t i)
{
	struct ydoc *y = (struct ydoc *)items + i;
	c->own = y->own;
	diag_init(&y->d);
	memset(y->patch_values, 0, sizeof(y->patch_values));
	y->rc = yaml_load(c->a, y->f->path, y->f->contents, y->f->len, &y->doc, &y->d);
	if (y->rc == 0 && !y->d.msgs.n)
		pre_patches(c, y);
}

static int parse_schema_file(struct pctx *c, const struct project_file *f, struct yaml_doc *doc,
                             value *const *patch_values);

/* A schema file read by a worker, walked on the main thread in file order. */
static int take_yaml(struct pctx *c, void *items, size_t i, const struct span *sp)
{
	(void)sp; /* work_yaml keeps the messages in the ydoc */
	struct ydoc *y = (struct ydoc *)items + i;
	c->own = y->own;
	for (size_t k = 0; k < y->d.msgs.n; k++)
		diag_move(c->d, &y->d.msgs.v[k]);
	diag_release(&y->d);
	return y->rc < 0 || parse_schema_file(c, y->f, y->doc, y->patch_values) < 0 ? -1 : 0;
}

static int parse_schema_file(struct pctx *c, const struct project_file *f, struct yaml_doc *doc,
                             value *const *patch_values)
{
	if (!doc->root)
		return 0;
	if (!yaml_is_map(doc->root)) {
		yaml_error(c->d, doc->root,
		           "expected a mapping at the top of the schema file, got %s",
		           yaml_type_name(doc->root));
		return -1;
	}
	for (int k = 0; k < 3; k++) {
		const struct yaml_node *list = yaml_map_get(doc->root, patch_kinds[k]);
		if (!list || yaml_is_null(list))
			continue;
		if (!yaml_is_seq(list)) {
			yaml_error(c->d, list, "expected a list for '%s', got %s", patch_kinds[k],
			           yaml_type_name(list));
			return -1;
		}
		for (uint32_t i = 0; i < list->len; i++) {
			const struct yaml_node *it = list->items[i];
			const struct yaml_node *nm = yaml_map_get(it, "name");
			if (!yaml_is_str(nm)) {
				yaml_error(c->d, it, "each entry of '%s' needs a 'name'", patch_kinds[k]);
				return -1;
			}
			struct patch *pt = arena_zalloc(c->a, sizeof(*pt));
			if (patch_values[k]) {
				pt->v = patch_values[k][i];
			} else {
				pt->v = yaml_to_value(c->a, it);
				if (render_yml(c, f->path, &pt->v) < 0)
					return -1;
			}
			pt->file = f->path;
			pt->pkg = c->own->name;
			pt->line = it->line;
			char *key = CAT(c->a, patch_kinds[k], ":", c->own->name, ":", nm->text);
			if (map_get(&c->patches, str_from(key))) {
				yaml_error(c->d, nm, "%s '%s' has properties in two places",
				           patch_kinds[k], nm->text);
				return -1;
			}
			map_set(&c->patches, str_from(key), pt);
			collect_column_tests(c, f, pt->v, false, nm->text, NULL, it->line);
			value rel = dget(pt->v, "relation");
			if (k == 2 && rel.type != VT_UNDEF) {
				/* dbt 1.9: a snapshot defined in yml snapshots `relation` (a ref() or
				 * source() call as text) with `select * from {{ <relation> }}` */
				if (rel.type != VT_STR) {
					yaml_error(c->d, it, "snapshot '%s': 'relation' must be a ref() or "
					           "source() call", nm->text);
					return -1;
				}
				struct fnode_in sn = {0};
				sn.f = f;
				sn.own = c->own;
				sn.type = GT_SNAPSHOT;
				sn.snap_name = arena_strndup(c->a, nm->text, strlen(nm->text));
				sn.snap_body = arena_printf(c->a, "select * from {{ %.*s }}", (int)rel.len,
				                            rel.s);
				sn.snap_len = strlen(sn.snap_body);
				sn.snap_entry = pt->v;
				vec_push(&c->yml_snaps, sn);
			}
		}
	}
	const struct yaml_node *srcs = yaml_map_get(doc->root, "sources");
	if (srcs && !yaml_is_null(srcs)) {
		if (!yaml_is_seq(srcs)) {
			yaml_error(c->d, srcs, "expected a list for 'sources', got %s",
			           yaml_type_name(srcs));
			return -1;
		}
		for (uint32_t i = 0; i < srcs->len; i++) {
			value src = yaml_to_value(c->a, srcs->items[i]);
			if (render_yml(c, f->path, &src) < 0)
				return -1;
			value tables = dget(src, "tables");
			if (tables.type != VT_LIST)
				continue;
			const struct yaml_node *tn = yaml_map_get(srcs->items[i], "tables");
			for (uint32_t j = 0; j < tables.list->n; j++) {
				int line = tn && yaml_is_seq(tn) && j < tn->len
				               ? tn->items[j]->line
				               : srcs->items[i]->line;
				if (parse_source_table(c, f, src, tables.list->v[j], line) < 0)
					return -1;
			}
		}
	}
	static const char *const extra_kinds[] = {"unit_tests", "semantic_models"};
	for (int k = 0; k < 2; k++) {
		const struct yaml_node *list = yaml_map_get(doc->root, extra_kinds[k]);
		if (!list || yaml_is_null(list))
			continue;
		if (!yaml_is_seq(list)) {
			yaml_error(c->d, list, "expected a list for '%s', got %s", extra_kinds[k],
			           yaml_type_name(list));
			return -1;
		}
		for (uint32_t i = 0; i < list->len; i++) {
			struct pextra e = {k == 0, yaml_to_value(c->a, list->items[i]), f, c->own,
			                   list->items[i]->line};
			vec_push(&c->extras, e);
		}
	}
	return 0;
}

static struct gnode *find_refable(struct pctx *c, struct str pkg, struct str name);

/* ---- unit tests and semantic models ----
 * Parsed into the manifest as dbt parses them (not run yet): a unit test names its model and
 * takes that model's fqn plus its own name; a semantic model's `model: ref('x')` resolves to x,
 * and its entities, measures and dimensions get dbt's default keys. */

/* item with the keys of `keys` (in that order, dbt's), the given value or the default */
static value with_defaults(struct pctx *c, value item, const char *const *keys, const value *defs,
                           size_t n)
{
	value d = new_dictn(c, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		value v = dget(item, keys[i]);
		vdict_sets(d.dict, keys[i], v.type == VT_UNDEF ? defs[i] : v);
	}
	return d;
}

static value meta_config(struct pctx *c)
{
	value cfg = new_dictn(c, 1);
	vdict_sets(cfg.dict, "meta", new_dict(c));
	return cfg;
}

static value with_defaults_list(struct pctx *c, value list, const char *const *keys,
                                const value *defs, size_t n)
{
	value out = new_list(c);
	if (list.type == VT_LIST)
		for (uint32_t i = 0; i < list.list->n; i++)
			vlist_push(out.list, with_defaults(c, list.list->v[i], keys, defs, n));
	return out;
}

/* "ref('x')" / "ref('pkg', 'x')" / a bare name: the model name (and package) */
static bool ref_target(struct pctx *c, value v, const char **pkg, const char **name)
{
	*pkg = NULL;
	if (v.type != VT_STR)
		return false;
	struct str s = v_as_str(v);
	if (!str_starts_with(s, STR("ref("))) {
		*name = astr(c, s);
		return true;
	}
	const char *parts[2];
	int np = 0;
	for (size_t i = 4; i < s.n && np < 2; i++) {
		if (s.p[i] != '\'' && s.p[i] != '"')
			continue;
		char q = s.p[i];
		size_t j = i + 1;
		while (j < s.n && s.p[j] != q)
			j++;
		parts[np++] = astr(c, str_make(s.p + i + 1, j - i - 1));
		i = j;
	}
	if (!np)
		return false;
	*name = parts[np - 1];
	if (np == 2)
		*pkg = parts[0];
	return true;
}

static int build_extra(struct pctx *c, const struct pextra *e)
{
	const char *kind = e->unit_test ? "unit test" : "semantic model";
	value name = dget(e->v, "name"), model = dget(e->v, "model");
	if (name.type != VT_STR || model.type != VT_STR) {
		node_error(c, e->f->path, e->line, "a %s needs a 'name' and a 'model'", kind);
		return -1;
	}
	const char *pkg, *mname;
	struct gnode *target = NULL;
	if (ref_target(c, model, &pkg, &mname))
		target = find_refable(c, str_from(pkg ? pkg : e->own->name), str_from(mname));
	if (!target && !pkg && ref_target(c, model, &pkg, &mname))
		target = find_refable(c, (struct str){NULL, 0}, str_from(mname));
	if (!target) {
		node_error(c, e->f->path, e->line, "%s '%.*s' names model '%.*s', which does not exist",
		           kind, (int)name.len, name.s, (int)model.len, model.s);
		return -1;
	}
	const char *nm = astr(c, v_as_str(name));
	const char *pk = e->own->name;
	struct ninfo n = {0};
	n.type = e->unit_test ? GT_UNIT_TEST : GT_SEMANTIC_MODEL;
	n.pkg = pk;
	n.name = nm;
	n.ofp = e->f->path;
	n.path = e->f->relative_path;
	value cfg = dget(e->v, "config");
	n.config = new_dictn(c, 3);
	value en = dget(cfg, "enabled");
	vdict_sets(n.config.dict, "enabled", en.type == VT_BOOL ? en : v_bool(true));
	n.tags = new_list(c);
	value fqn = new_list(c);
	const char **fv = arena_alloc(c->a, (target->nfqn + 2) * sizeof(*fv));
	size_t nf = 0;
	if (e->unit_test) {
		for (uint32_t i = 0; i < target->nfqn; i++)
			fv[nf++] = target->fqn[i];
		n.uid = CAT(c->a, "unit_test.", pk, ".", target->name, ".", nm);
	} else {
		fv[nf++] = pk;
		n.uid = CAT(c->a, "semantic_model.", pk, ".", nm);
	}
	fv[nf++] = nm;
	n.fqn.v = fv;
	n.fqn.n = nf;
	for (size_t i = 0; i < n.fqn.n; i++)
		vlist_push(fqn.list, v_cstr(n.fqn.v[i]));
	value deps = new_dictn(c, 2), nodes = new_list(c);
	vdict_sets(deps.dict, "macros", new_list(c));
	vlist_push(nodes.list, v_cstr(target->unique_id));
	vdict_sets(deps.dict, "nodes", nodes);
	value d = new_dictn(c, 24);
	struct vdict *x = d.dict;
	if (e->unit_test) {
		vdict_sets(n.config.dict, "tags", n.tags);
		vdict_sets(n.config.dict, "meta", new_dict(c));
		static const char *const gk[] = {"input", "rows", "format", "fixture"};
		const value gd[] = {v_none(), v_none(), v_cstr("dict"), v_none()};
		static const char *const ek[] = {"rows", "format", "fixture"};
		const value ed[] = {v_none(), v_cstr("dict"), v_none()};
		vdict_sets(x, "model", v_cstr(target->name));
		vdict_sets(x, "given", with_defaults_list(c, dget(e->v, "given"), gk, gd, 4));
		vdict_sets(x, "expect", with_defaults(c, dget(e->v, "expect"), ek, ed, 3));
		vdict_sets(x, "name", v_cstr(nm));
		vdict_sets(x, "resource_type", v_cstr("unit_test"));
		vdict_sets(x, "package_name", v_cstr(pk));
		vdict_sets(x, "path", v_cstr(n.path));
		vdict_sets(x, "original_file_path", v_cstr(n.ofp));
		vdict_sets(x, "unique_id", v_cstr(n.uid));
		vdict_sets(x, "fqn", fqn);
		value desc = dget(e->v, "description");
		vdict_sets(x, "description", desc.type == VT_STR ? desc : v_cstr(""));
		value ov = dget(e->v, "overrides");
		vdict_sets(x, "overrides", ov.type == VT_DICT ? ov : v_none());
		vdict_sets(x, "depends_on", deps);
		vdict_sets(x, "config", n.config);
		vdict_sets(x, "checksum", v_none());
		vdict_sets(x, "schema", v_none());
		vdict_sets(x, "created_at", v_float(c->now));
		vdict_sets(x, "versions", v_none());
		vdict_sets(x, "version", v_none());
		c->res->nunit_tests++;
	} else {
		vdict_sets(n.config.dict, "group", v_none());
		vdict_sets(n.config.dict, "meta", new_dict(c));
		static const char *const enk[] = {"name", "type", "description", "label", "role", "expr", "config"};
		const value end[] = {v_none(), v_none(), v_none(), v_none(), v_none(), v_none(), meta_config(c)};
		static const char *const mk[] = {"name", "agg", "description", "label", "create_metric", "expr",
		                                 "agg_params", "non_additive_dimension", "agg_time_dimension", "config"};
		const value md[] = {v_none(), v_none(), v_none(), v_none(), v_bool(false), v_none(), v_none(),
		                    v_none(), v_none(), meta_config(c)};
		static const char *const dk[] = {"name", "type", "description", "label", "is_partition",
		                                 "type_params", "expr", "metadata", "config"};
		const value dd[] = {v_none(), v_none(), v_none(), v_none(), v_bool(false), v_none(), v_none(),
		                    v_none(), meta_config(c)};
		value rel = new_dictn(c, 4);
		vdict_sets(rel.dict, "alias", vs(v_item_str(target->raw, "alias")));
		vdict_sets(rel.dict, "schema_name", vs(v_item_str(target->raw, "schema")));
		vdict_sets(rel.dict, "database", vs(v_item_str(target->raw, "database")));
		vdict_sets(rel.dict, "relation_name", vs(v_item_str(target->raw, "relation_name")));
		value ref = new_dictn(c, 3), refs = new_list(c);
		vdict_sets(ref.dict, "name", v_cstr(target->name));
		vdict_sets(ref.dict, "package", pkg ? v_cstr(pkg) : v_none());
		vdict_sets(ref.dict, "version", v_none());
		vlist_push(refs.list, ref);
		vdict_sets(x, "name", v_cstr(nm));
		vdict_sets(x, "resource_type", v_cstr("semantic_model"));
		vdict_sets(x, "package_name", v_cstr(pk));
		vdict_sets(x, "path", v_cstr(n.path));
		vdict_sets(x, "original_file_path", v_cstr(n.ofp));
		vdict_sets(x, "unique_id", v_cstr(n.uid));
		vdict_sets(x, "fqn", fqn);
		vdict_sets(x, "model", model);
		vdict_sets(x, "node_relation", rel);
		value desc = dget(e->v, "description"), label = dget(e->v, "label");
		vdict_sets(x, "description", desc.type == VT_STR ? desc : v_none());
		vdict_sets(x, "label", label.type == VT_STR ? label : v_none());
		value defs = dget(e->v, "defaults");
		vdict_sets(x, "defaults", defs.type == VT_DICT ? defs : v_none());
		vdict_sets(x, "entities", with_defaults_list(c, dget(e->v, "entities"), enk, end, 7));
		vdict_sets(x, "measures", with_defaults_list(c, dget(e->v, "measures"), mk, md, 10));
		vdict_sets(x, "dimensions", with_defaults_list(c, dget(e->v, "dimensions"), dk, dd, 9));
		vdict_sets(x, "metadata", v_none());
		vdict_sets(x, "depends_on", deps);
		vdict_sets(x, "refs", refs);
		vdict_sets(x, "created_at", v_float(c->now));
		vdict_sets(x, "config", n.config);
		vdict_sets(x, "unrendered_config", new_dict(c));
		value pe = dget(e->v, "primary_entity");
		vdict_sets(x, "primary_entity", pe.type == VT_STR ? pe : v_none());
		vdict_sets(x, "group", v_none());
		c->res->nsemantic_models++;
	}
	struct nreg r = nreg_of(&n);
	struct gnode *g = add_node(c, &r, d, e->unit_test ? GTAB_UNIT_TESTS : GTAB_SEMANTIC_MODELS);
	if (!g)
		return c->add_failed ? -1 : 0;
	g->depends_on = arena_alloc(c->a, sizeof(char *));
	g->depends_on[0] = target->unique_id;
	g->ndepends_on = 1;
	return 0;
}

/* ---- generic tests ---- */

/* "__" then str(v) with every run of non-word characters as one "_" */
static void flat_push(value v, struct buf *parts, bool *first)
{
	struct buf s = BUF_INIT;
	struct str t;
	if (v.type == VT_STR) {
		t = v_as_str(v);
	} else {
		jinja_to_str(v, &s);
		t = buf_str(&s);
	}
	if (!*first)
		buf_append(parts, "__", 2);
	*first = false;
	buf_grow(parts, t.n);
	bool in_run = false;
	for (size_t i = 0; i < t.n; i++) {
		if (char_is_word(t.p[i])) {
			buf_putc(parts, t.p[i]);
			in_run = false;
		} else if (!in_run) {
			buf_putc(parts, '_');
			in_run = true;
		}
	}
	buf_release(&s);
}

#define SORT_STACK 16

/* The dict's string-keyed entries, sorted by key: in stack (room for SORT_STACK) when they fit,
 * else in memory the caller frees (the result is not stack). */
static struct ventry *sorted_entries(value d, uint32_t *n, struct ventry *stack)
{
	*n = 0;
	struct ventry *v = d.dict->n <= SORT_STACK ? stack : xcalloc(d.dict->n + 1, sizeof(*v));
	for (uint32_t i = 0; i < d.dict->n; i++)
		if (d.dict->k[i].type == VT_STR)
			v[(*n)++] = vdict_at(d.dict, i);
	for (uint32_t i = 1; i < *n; i++) { /* (few: an insertion sort) */
		struct ventry x = v[i];
		uint32_t j = i;
		for (; j > 0 && str_cmp(v_as_str(v[j - 1].k), v_as_str(x.k)) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v;
}

const char *parse_test_full_name(struct arena *a, const char *test, const char *target,
                                 value kwargs)
{
	struct buf b = BUF_INIT;
	buf_grow(&b, 128); /* (most fit) */
	buf_puts(&b, test);
	buf_putc(&b, '_');
	buf_puts(&b, target);
	buf_putc(&b, '_');
	bool first = true;
	if (kwargs.type == VT_DICT) {
		uint32_t n;
		struct ventry stack[SORT_STACK];
		struct ventry *e = sorted_entries(kwargs, &n, stack);
		for (uint32_t i = 0; i < n; i++) {
			if (str_eqc(v_as_str(e[i].k), "model"))
				continue;
			value v = e[i].v;
			if (v.type == VT_DICT) {
				for (uint32_t j = 0; j < v.dict->n; j++)
					if (v.dict->k[j].type != VT_UNDEF)
						flat_push(v.dict->v[j], &b, &first);
			} else if (v.type == VT_LIST) {
				for (uint32_t j = 0; j < v.list->n; j++)
					flat_push(v.list->v[j], &b, &first);
			} else {
				flat_push(v, &b, &first);
			}
		}
		if (e != stack)
			free(e);
	}
	if (first) /* no kwargs: f"{test}_{target}_" + "" keeps the trailing underscore off */
		b.n--;
	const char *r = arena_strndup(a, b.p, b.n);
	buf_release(&b);
	return r;
}

/* repr() of v with every leaf str()'d and dicts sorted by key (what dbt hashes), written
 * without building that value. */
static void repr_stringified(value v, struct buf *out)
{
	if (v.type == VT_DICT) {
		uint32_t n;
		struct ventry stack[SORT_STACK];
		struct ventry *e = sorted_entries(v, &n, stack);
		buf_putc(out, '{');
		for (uint32_t i = 0; i < n; i++) {
			if (i)
				buf_append(out, ", ", 2);
			v_repr_str(v_as_str(e[i].k), out);
			buf_append(out, ": ", 2);
			repr_stringified(e[i].v, out);
		}
		buf_putc(out, '}');
		if (e != stack)
			free(e);
	} else if (v.type == VT_LIST) {
		buf_putc(out, '[');
		for (uint32_t i = 0; i < v.list->n; i++) {
			if (i)
				buf_append(out, ", ", 2);
			repr_stringified(v.list->v[i], out);
		}
		buf_putc(out, ']');
	} else if (v.type == VT_STR) {
		v_repr_str(v_as_str(v), out);
	} else {
		struct buf s = BUF_INIT;
		jinja_to_str(v, &s);
		v_repr_str(buf_str(&s), out);
		buf_release(&s);
	}
}

static const char *const test_config_keys[] = {
    "severity",  "tags",           "enabled",           "where", "limit",    "warn_if", "error_if",
    "fail_calc", "store_failures", "store_failures_as", "meta",  "database", "schema",  "alias",
};

static bool is_test_config_key(struct str k)
{
	for (size_t i = 0; i < ARRAY_LEN(test_config_keys); i++)
		if (str_eqc(k, test_config_keys[i]))
			return true;
	return false;
}

/* Renders a kwarg string that is a ref(...) or source(...) call, recording it in cap. */
static int capture_kwarg(struct pctx *c, const char *file, value v, struct dbt_capture *cap,
                         const char *pkg)
{
	if (v.type == VT_LIST) {
		for (uint32_t i = 0; i < v.list->n; i++)
			if (capture_kwarg(c, file, v.list->v[i], cap, pkg) < 0)
				return -1;
		return 0;
	}
	if (v.type != VT_STR)
		return 0;
	struct str s = project_strip(v_as_str(v));
	if (!str_starts_with(s, STR("ref(")) && !str_starts_with(s, STR("source(")))
		return 0;
	char *text = arena_printf(&c->scratch, "{{ %.*s }}", (int)s.n, s.p);
	struct jinja_template *t = jinja_parse_in(c->env, &c->scratch, file, text, strlen(text), c->d);
	if (!t)
		return -1;
	struct dbt_render r;
	struct jinja_render opts;
	parse_render_init(c, &r, &opts, &c->scratch, pkg, v_dict(&c->scratch, 0), cap);
	return jinja_render(c->env, t, &opts, NULL, c->d); /* the text is not kept */
}

/* ---- doc(): descriptions rendered as dbt's docs step renders them ----
 * The {% docs name %} blocks of every project's .md files (docs-paths) are collected; then each
 * node's, column's and source's description that holds Jinja is rendered in the parse context
 * plus doc(name) / doc(package, name): the block of that name in the root project, the node's
 * package, then any package (dbt's resolve_doc), stripped of surrounding whitespace. A name
 * that no block has is dbt's error. */
struct docs_call {
	struct pctx *c;
	struct map *blocks; /* "pkg.name" -> the block's text (value *) */
	const char *pkg;    /* the node's package */
	const char *uid;    /* the node, for messages */
};

static int fn_doc(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	struct docs_call *dc = data;
	if (args->npos < 1 || args->npos > 2 || args->pos[0].type != VT_STR ||
	    (args->npos == 2 && args->pos[1].type != VT_STR))
		return jinja_error(st, "doc() takes a doc name, or a package and a doc name");
	struct str name = v_as_str(args->pos[args->npos - 1]);
	struct str pkgs[3] = { str_from(dc->c->p->name), str_from(dc->pkg), { NULL, 0 } };
	if (args->npos == 2) {
		pkgs[0] = v_as_str(args->pos[0]);
		pkgs[1] = (struct str){ NULL, 0 };
	}
	for (int i = 0; i < 3 && pkgs[i].p; i++) {
		char *key = arena_printf(&dc->c->scratch, "%.*s.%.*s", (int)pkgs[i].n, pkgs[i].p,
		                         (int)name.n, name.p);
		value *v = map_get(dc->blocks, str_from(key));
		if (v) {
			*out = *v;
			return 0;
		}
	}
	if (args->npos == 1) /* any package's */
		for (size_t i = 0; i < dc->blocks->n; i++) {
			struct str k = dc->blocks->e[i].key;
			if (k.p && k.n > name.n && k.p[k.n - name.n - 1] == '.' &&
			    !memcmp(k.p + k.n - name.n, name.p, name.n)) {
				*out = *(value *)dc->blocks->e[i].val;
				return 0;
			}
		}
	return jinja_error(st, "Documentation for '%s' depends on doc '%.*s' which was not found",
	                   dc->uid, (int)name.n, name.p);
}

/* Renders d[key] in place when it holds Jinja. */
static int render_doc_field(struct docs_call *dc, const char *file, value d, const char *key)
{
	struct pctx *c = dc->c;
	value v = d.type == VT_DICT ? v_item(d, key) : v_undef();
	if (!holds_jinja(v))
		return 0;
	struct str s = v_as_str(v);
	struct jinja_template *t = jinja_parse_in(c->env, &c->scratch, file, s.p, s.n, c->d);
	if (!t)
		return -1;
	struct dbt_render r;
	struct jinja_render opts;
	parse_render_init(c, &r, &opts, &c->scratch, dc->pkg, v_dict(&c->scratch, 0), NULL);
	vdict_sets(r.ctx.dict, "doc", v_func(&c->scratch, "doc", fn_doc, dc, v_undef()));
	struct buf out = BUF_INIT;
	int rc = jinja_render(c->env, t, &opts, &out, c->d);
	if (rc == 0)
		vdict_sets(d.dict, key, v_strdup(c->a, out.p ? out.p : "", out.n));
	buf_release(&out);
	return rc;
}

static int render_docs(struct pctx *c)
{
	struct map blocks;
	map_init(&blocks);
	int rc = 0;
	for (size_t k = 0; k < c->nproj; k++)
		for (size_t i = 0; i < c->files[k].n; i++) {
			const struct project_file *f = &c->files[k].v[i];
			if (f->kind != PF_DOC || !f->contents)
				continue;
			struct jinja_template *t = jinja_parse(c->env, f->path, f->contents, f->len, c->d);
			if (!t) {
				rc = -1;
				continue;
			}
			const struct jinja_block *bl;
			size_t nb = jinja_template_blocks(t, &bl);
			for (size_t j = 0; j < nb; j++) {
				if (strcmp(bl[j].kind, "docs"))
					continue;
				struct str body = project_strip(bl[j].body);
				value *v = arena_alloc(c->a, sizeof(*v));
				*v = v_strdup(c->a, body.p, body.n);
				map_set(&blocks, str_from(arena_printf(c->a, "%s.%.*s", c->projs[k]->name,
				                                         (int)bl[j].name.n, bl[j].name.p)), v);
				/* the manifest's docs entry, as dbt writes it */
				value e = v_dict(c->a, 7);
				const char *name = arena_strndup(c->a, bl[j].name.p, bl[j].name.n);
				const char *uid = arena_printf(c->a, "doc.%s.%s", c->projs[k]->name, name);
				vdict_sets(e.dict, "name", v_cstr(name));
				vdict_sets(e.dict, "resource_type", v_cstr("doc"));
				vdict_sets(e.dict, "package_name", v_cstr(c->projs[k]->name));
				vdict_sets(e.dict, "path", v_cstr(f->relative_path));
				vdict_sets(e.dict, "original_file_path", v_cstr(f->path));
				vdict_sets(e.dict, "unique_id", v_cstr(uid));
				vdict_sets(e.dict, "block_contents", *v);
				vdict_sets(c->res->docs.dict, uid, e);
			}
		}
	for (uint32_t i = 0; rc == 0 && i < c->m->n; i++) {
		struct gnode *g = c->m->nodes[i];
		/* a generic test's description is "" and it has no columns */
		if (g->raw.type != VT_DICT || g->generic_test || g->docs_plain)
			continue;
		struct docs_call dc = { c, &blocks, g->package ? g->package : c->p->name, g->unique_id };
		/* messages name the properties file (patch_path is "pkg://path") */
		const char *file = g->patch_path && strstr(g->patch_path, "://") ? strstr(g->patch_path, "://") + 3
		                   : g->original_file_path ? g->original_file_path : g->unique_id;
		arena_reset(&c->scratch);
		if (render_doc_field(&dc, file, g->raw, "description") < 0 ||
		    (g->type == GT_SOURCE && render_doc_field(&dc, file, g->raw, "source_description") < 0)) {
			rc = -1;
			break;
		}
		value cols = v_item(g->raw, "columns");
		for (uint32_t j = 0; cols.type == VT_DICT && j < cols.dict->n; j++)
			if (cols.dict->k[j].type != VT_UNDEF &&
			    render_doc_field(&dc, file, cols.dict->v[j], "description") < 0) {
				rc = -1;
				break;
			}
	}
	map_release(&blocks);
	return rc;
}

/* A generic test: computed by a worker, registered by the main thread in yml order. */
struct tnode {
	const struct gtest *t;
	int rc;
	bool skip;          /* attached to a node that does not exist (or is disabled) */
	uint32_t nmsg_uid;  /* messages before the unique id was known */
	struct nreg n;      /* n.uid is set once known */
	struct pnode *pn;
	value dict;
	const char *tname, *ns, *attached;
	bool vars_plain; /* see gnode.vars_plain */
};

/* What the generic tests of one test macro share: the raw_code calling it and the ids of the
 * macros they depend on. The last four kinds are kept per worker (a folder's tests alternate
 * between a few). */
struct test_kind {
	const char *pkg, *ns, *tname;
	value raw_code;
	const char *mid, *gws; /* the test macro, get_where_subquery (NULL: not found) */
};

static const struct test_kind *test_kind(struct pctx *c, const char *pkg, const char *ns,
                                         const char *tname)
{
	if (!c->test_kinds) {
		c->test_kinds = arena_zalloc(c->hold, 4 * sizeof(*c->test_kinds));
		c->ntest_kinds = 0;
	}
	for (uint32_t i = 0; i < c->ntest_kinds && i < 4; i++) {
		const struct test_kind *k = &c->test_kinds[i];
		if (k->pkg == pkg && !strcmp(k->tname, tname) &&
		    (k->ns == ns || (k->ns && ns && !strcmp(k->ns, ns))))
			return k;
	}
	struct test_kind *k = &c->test_kinds[c->ntest_kinds++ % 4];
	k->pkg = pkg;
	k->ns = ns;
	k->tname = tname;
	k->raw_code =
	    v_cstr(ns ? CAT(c->a, "{{ ", ns, ".test_", tname, "(**_dbt_generic_test_kwargs) }}")
	              : CAT(c->a, "{{ test_", tname, "(**_dbt_generic_test_kwargs) }}"));
	k->mid = macro_id(c, ns ? ns : pkg, CAT(&c->scratch, "test_", tname));
	k->gws = macro_id(c, pkg, "get_where_subquery");
	return k;
}

/* The node a generic test is attached to, by unique id (see parse_project: c->node_ids). */
static const struct gnode *attached_node(struct pctx *c, struct str uid)
{
	return c->node_ids ? map_get(c->node_ids, uid) : graph_find(c->m, uid);
}

static int generic_test(struct pctx *c, struct tnode *tw, uint32_t msg0)
{
	const struct gtest *t = tw->t;
	const char *file = t->f->path;
	const char *pkg = t->own->name;
	c->own = t->own;
	arena_reset(&c->scratch);
	/* the attached node (its id is the node's own string); a node's tests follow one another */
	const struct gnode *an;
	if (c->last_attached.node && c->last_attached.own == t->own &&
	    c->last_attached.name == t->target_name && c->last_attached.table == t->table &&
	    c->last_attached.source == t->source) {
		an = c->last_attached.node;
	} else if (t->source) {
		an = attached_node(c, str_from(CAT(&c->scratch, "source.", pkg, ".", t->target_name,
		                                   ".", t->table)));
	} else {
		an = attached_node(c, str_from(CAT(&c->scratch, "model.", pkg, ".", t->target_name)));
		if (!an)
			an = attached_node(c, str_from(CAT(&c->scratch, "seed.", pkg, ".", t->target_name)));
		if (!an)
			an = attached_node(c,
			                str_from(CAT(&c->scratch, "snapshot.", pkg, ".", t->target_name)));
	}
	if (!an) {
		tw->skip = true; /* a patch for a node that does not exist (or is disabled) */
		return 0;
	}
	c->last_attached.own = t->own;
	c->last_attached.name = t->target_name;
	c->last_attached.table = t->table;
	c->last_attached.source = t->source;
	c->last_attached.node = an;
	const char *attached = an->unique_id;

	/* the test's name and arguments */
	value entry = t->entry, args = v_undef();
	const char *tname = NULL;
	if (entry.type == VT_STR) {
		tname = astr(c, v_as_str(entry));
	} else if (entry.type == VT_DICT) {
		value tn = cget(c, entry, "test_name");
		if (tn.type == VT_STR) {
			tname = astr(c, v_as_str(tn));
			args = entry;
		} else if (entry.dict->live == 1) {
			for (uint32_t i = 0; i < entry.dict->n; i++)
				if (entry.dict->k[i].type == VT_STR) {
					tname = astr(c, v_as_str(entry.dict->k[i]));
					args = entry.dict->v[i];
				}
		}
	}
	if (!tname) {
		node_error(c, file, t->line,
		           "a test must be a name or a mapping of one test name to its arguments");
		return -1;
	}
	const char *ns = NULL, *dot = strrchr(tname, '.');
	if (dot) {
		ns = arena_strndup(c->a, tname, (size_t)(dot - tname));
		tname = dot + 1;
	}
	/* kwargs is copied with room for exactly its entries once complete; cfg only feeds the
	 * config (kept by persist) */
	value kwargs = v_dict(&c->scratch, 0), cfg = v_dict(&c->scratch, 0);
	const char *custom_name = NULL;
	if (args.type == VT_DICT) {
		for (uint32_t i = 0; i < args.dict->n; i++) {
			const struct ventry e_at = vdict_at(args.dict, i), *e = &e_at;
			if (e->k.type != VT_STR)
				continue;
			struct str k = v_as_str(e->k);
			if (str_eqc(k, "test_name") || str_eqc(k, "description"))
				continue;
			if (str_eqc(k, "name")) {
				if (e->v.type == VT_STR)
					custom_name = astr(c, v_as_str(e->v));
			} else if (str_eqc(k, "config")) {
				dict_update(cfg, e->v);
			} else if (str_eqc(k, "arguments")) {
				dict_update(kwargs, e->v);
			} else if (is_test_config_key(k)) {
				vdict_set(cfg.dict, e->k, e->v);
			} else {
				vdict_set(kwargs.dict, e->k, e->v);
			}
		}
	}
	/* dbt's TestBuilder renders each string config value natively ("where: {{ var(...) }}") */
	for (uint32_t i = 0; i < cfg.dict->n; i++)
		if (cfg.dict->k[i].type == VT_STR && cfg.dict->v[i].type == VT_STR &&
		    render_yml(c, file, &cfg.dict->v[i]) < 0)
			return -1;
	/* the strings a node's tests share (a column's tests follow one another) */
	struct test_target *tt = &c->last_target;
	if (tt->name != t->target_name || tt->table != t->table || tt->source != t->source ||
	    tt->type != an->type) {
		tt->name = t->target_name;
		tt->table = t->table;
		tt->source = t->source;
		tt->type = an->type;
		tt->model_kw = t->source ? CAT(c->a, "{{ get_where_subquery(source('", t->target_name,
		                               "', '", t->table, "')) }}")
		                         : CAT(c->a, "{{ get_where_subquery(ref('", t->target_name,
		                               "')) }}");
		tt->repr = NULL;
		tt->file_key = CAT(c->a,
		                   t->source                 ? "sources."
		                   : an->type == GT_SNAPSHOT ? "snapshots."
		                                             : "models.",
		                   t->target_name);
	}
	bool plain_kwargs = !kwargs.dict->live;
	if (plain_kwargs) { /* (the usual case: no arguments) */
		static const char *const keys[] = {"column_name", "model"};
		value vals[] = {v_cstr(t->column ? t->column : ""), v_cstr(tt->model_kw)};
		kwargs = t->column ? small_dict(c, c->a, SHAPE_TEST_KWARGS, keys, vals, 2)
		                   : small_dict(c, c->a, SHAPE_TEST_KWARGS_MODEL, keys + 1, vals + 1, 1);
	} else {
		if (t->column)
			vdict_sets(kwargs.dict, "column_name", v_cstr(t->column));
		vdict_sets(kwargs.dict, "model", v_cstr(tt->model_kw));
		value kw = v_dict(c->a, kwargs.dict->live);
		dict_update(kw, kwargs);
		kwargs = kw;
	}

	const char *prefix = t->source ? (ns ? CAT(c->a, "source_", ns, "_", tname)
	                                     : CAT(c->a, "source_", tname))
	                               : (ns ? CAT(c->a, ns, "_", tname) : tname);
	const char *target =
	    t->source ? CAT(c->a, t->target_name, "_", t->table) : t->target_name;
	const char *full =
	    custom_name ? custom_name : parse_test_full_name(c->a, prefix, target, kwargs);
	const char *short_name = full;
	if (!custom_name && strlen(full) >= 64) {
		char md[33];
		md5_hex(full, strlen(full), md);
		char *ident = arena_printf(c->a, "%s_%s", prefix, target);
		short_name = arena_printf(c->a, "%.30s_%s", ident, md);
	}
	/* unique id: md5 of the name and the repr of {'kwargs': kwargs with every leaf str()'d and
	 * dicts sorted, 'name': tname, 'namespace': ns or 'None'} */
	struct buf hb = BUF_INIT;
	buf_grow(&hb, 256); /* (most fit) */
	buf_puts(&hb, full);
	buf_puts(&hb, "{'kwargs': ");
	if (plain_kwargs && tt->repr && tt->repr_col == t->column) { /* a column's next test */
		buf_puts(&hb, tt->repr);
	} else {
		size_t at = hb.n;
		repr_stringified(kwargs, &hb);
		if (plain_kwargs) {
			tt->repr = arena_strndup(c->a, hb.p + at, hb.n - at);
			tt->repr_col = t->column;
		}
	}
	buf_puts(&hb, ", 'name': ");
	v_repr_str(str_from(tname), &hb);
	buf_puts(&hb, ", 'namespace': ");
	v_repr_str(str_from(ns ? ns : "None"), &hb);
	buf_putc(&hb, '}');
	char md[33];
	md5_hex(hb.p, hb.n, md);
	buf_release(&hb);

	struct ninfo n = {0};
	n.type = GT_TEST;
	n.pkg = pkg;
	n.name = full;
	n.uid = CAT(c->a, "test.", pkg, ".", full, ".", md + 22);
	n.path = CAT(c->a, short_name, ".sql");
	n.ofp = file;
	const char *tail[1] = {full};
	make_fqn(c, pkg, t->f->relative_path, tail, 1, &n.fqn);
	if (c->kept_none_sum.type != VT_DICT) {
		value none_sum = v_dict(&c->scratch, 2);
		vdict_sets(none_sum.dict, "name", v_cstr("none"));
		vdict_sets(none_sum.dict, "checksum", v_cstr(""));
		c->kept_none_sum = persist(c, none_sum);
	}
	n.checksum = c->kept_none_sum;
	tw->n = nreg_of(&n); /* registering checks it is new */
	tw->nmsg_uid = (uint32_t)c->d->msgs.n - msg0;

	struct arena *sa = &c->scratch; /* config parts: built here, then kept shared */
	/* a test without config arguments: a remembered config (see cfg_memo_key) */
	struct cfg_memo key, *memo = NULL;
	bool plain = !cfg.dict->live;
	if (plain) {
		cfg_memo_key(c, &key, GT_TEST, &n.fqn);
		memo = cfg_memo_find(c, &key, v_undef());
	}
	if (memo) {
		cfg_memo_take(c, memo, &n);
	} else {
		size_t nmsgs = c->d->msgs.n;
		n.config = scratch_config(c, GT_TEST);
		if (project_config_apply_tree(t->own, PRT_DATA_TESTS, &n.fqn, false, sa, n.config,
		                              c->d) < 0)
			return -1;
		if (project_config_merge(sa, n.config, cfg, c->d) < 0)
			return -1;
		if (t->own != c->p && project_config_apply_tree(c->p, PRT_DATA_TESTS, &n.fqn, false,
		                                                sa, n.config, c->d) < 0)
			return -1;
		project_config_finish(sa, n.config);
		n.unrendered = v_dict(sa, 0);
		if (project_config_apply_tree(t->own, PRT_DATA_TESTS, &n.fqn, true, sa, n.unrendered,
		                              c->d) < 0)
			return -1;
		dict_update(n.unrendered, cfg);
		n.meta = or_default(cget(c, n.config, "meta"), v_dict(sa, 0));
		keep_config(c, &n);
		if (plain && c->d->msgs.n == nmsgs)
			cfg_memo_keep(c, &key, &n);
	}
	value alias = cget(c, n.config, "alias");
	n.alias = alias.type == VT_STR ? astr(c, v_as_str(alias)) : short_name;
	if (name_node(c, &n) < 0)
		return -1;
	n.relation = v_none();
	n.description = v_cstr("");
	n.columns = new_dict(c);
	const struct test_kind *tk = test_kind(c, pkg, ns, tname);
	n.raw_code = tk->raw_code;
	struct pnode *pn = arena_zalloc(c->hold, sizeof(*pn));
	pn->file = file;
	/* most tests call their test macro and get_where_subquery and depend on the node they
	 * are attached to only: their lists are made that size */
	n.depends = depends_dict(c, &pn->depends_nodes, 2, 1);
	n.refs = v_list(c->a, t->source ? 0 : 1);
	n.sources = v_list(c->a, t->source ? 1 : 0);
	pn->refs_list = n.refs;
	pn->srcs_list = n.sources;
	pn->macros_list = cget(c, n.depends, "macros");
	if (tk->mid)
		vlist_push(cget(c, n.depends, "macros").list, v_cstr(tk->mid));
	if (tk->gws)
		vlist_push(cget(c, n.depends, "macros").list, v_cstr(tk->gws));

	/* refs: the attached node first, then those named in the arguments */
	struct dbt_capture cap;
	dbt_capture_init(&cap);
	int rc = 0;
	for (uint32_t i = 0; i < kwargs.dict->n && rc == 0; i++) {
		const struct ventry e_at = vdict_at(kwargs.dict, i), *e = &e_at;
		if (e->k.type == VT_STR && !str_eqc(v_as_str(e->k), "model") &&
		    !str_eqc(v_as_str(e->k), "column_name"))
			rc = capture_kwarg(c, file, e->v, &cap, pkg);
	}
	if (rc == 0)
		keep_capture(c, pn, &cap);
	dbt_capture_release(&cap);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < pn->nrefs; i++)
		pn->refs[i].line = t->line;
	for (size_t i = 0; i < pn->nsrcs; i++)
		pn->srcs[i].line = t->line;
	/* the attached node comes after the refs of the arguments, as in dbt's manifests */
	if (!t->source) {
		struct dbt_ref *nr = arena_alloc(c->hold, (pn->nrefs + 1) * sizeof(*nr));
		memcpy(nr, pn->refs, pn->nrefs * sizeof(*nr));
		nr[pn->nrefs] = (struct dbt_ref){.package = {"", 0},
		                                 .name = str_from(t->target_name),
		                                 .version = v_undef(),
		                                 .line = t->line};
		pn->refs = nr;
		pn->nrefs++;
	} else {
		struct dbt_source_ref *ns2 = arena_alloc(c->hold, (pn->nsrcs + 1) * sizeof(*ns2));
		memcpy(ns2, pn->srcs, pn->nsrcs * sizeof(*ns2));
		ns2[pn->nsrcs] = (struct dbt_source_ref){.source = str_from(t->target_name),
		                                         .table = str_from(t->table),
		                                         .line = t->line};
		pn->srcs = ns2;
		pn->nsrcs++;
	}

	static const char *const tm_keys[] = {"name", "kwargs", "namespace"};
	value tm_vals[] = {v_cstr(tname), kwargs, vs(ns)};
	value tm = small_dict(c, c->a, SHAPE_TEST_METADATA, tm_keys, tm_vals, 3);
	struct node_kv extra;
	extra.n = 0;
	kv(&extra, "column_name", vs(t->column));
	kv(&extra, "file_key_name", v_cstr(tt->file_key));
	kv(&extra, "attached_node", v_cstr(attached));
	kv(&extra, "test_metadata", tm);
	value d = build_node_dict(c, &n, &extra, SHAPE_GENERIC_TEST);
	tw->vars_plain = !graph_reads_var(n.raw_code) && !graph_reads_var(n.unrendered);
	tw->n = nreg_of(&n);
	tw->dict = d;
	tw->pn = pn;
	tw->tname = tname;
	tw->ns = ns;
	tw->attached = attached;
	return 0;
}

static void work_generic_test(struct pctx *c, void *items, size_t i)
{
	struct tnode *tn = (struct tnode *)items + i;
	*tn = (struct tnode){.t = &c->tests.v[i]};
	c->own = tn->t->own;
	tn->rc = generic_test(c, tn, (uint32_t)c->d->msgs.n);
}

static int register_generic_test(struct pctx *c, struct tnode *tn, const struct span *sp)
{
	c->own = tn->t->own;
	const struct nreg *n = &tn->n;
	if (tn->skip) {
		take_msgs(c, sp, UINT32_MAX);
		return 0;
	}
	if (n->uid && (graph_find(c->m, str_from(n->uid)) ||
	               vdict_gets(c->disabled.dict, str_from(n->uid), NULL))) {
		take_msgs(c, sp, tn->nmsg_uid);
		node_error(c, tn->t->f->path, tn->t->line, "dbt found two tests with the name \"%s\"",
		           n->name);
		return -1;
	}
	take_msgs(c, sp, UINT32_MAX);
	if (tn->rc < 0)
		return -1;
	struct gnode *g = add_node(c, n, tn->dict, GTAB_NODES);
	if (!g)
		return c->add_failed ? -1 : 0;
	g->generic_test = true;
	g->vars_plain = tn->vars_plain;
	g->test_name = tn->tname;
	g->test_namespace = tn->ns;
	g->attached_node = tn->attached;
	g->column_name = tn->t->column;
	tn->pn->g = g;
	tn->pn->dict = tn->dict;
	vec_push(&c->pending, tn->pn);
	c->res->ntests++;
	return 0;
}

static int take_generic_test(struct pctx *c, void *items, size_t i, const struct span *sp)
{
	return register_generic_test(c, (struct tnode *)items + i, sp);
}

/* ---- resolving refs and sources ---- */

/* Where `fn(` with the quoted argument `arg` appears in src: line and column of fn. */
static void locate_call(const char *src, size_t len, const char *fn, const char *arg, int *line,
                        int *col)
{
	size_t fl = strlen(fn), al = strlen(arg);
	for (size_t i = 0; src && i + fl < len; i++) {
		if (memcmp(src + i, fn, fl) || src[i + fl] != '(' ||
		    (i > 0 && (src[i - 1] == '_' || src[i - 1] == '.' ||
		               ((src[i - 1] | 0x20) >= 'a' && (src[i - 1] | 0x20) <= 'z'))))
			continue;
		size_t end = i + fl;
		while (end < len && src[end] != ')')
			end++;
		for (size_t k = i + fl; k + al + 1 < end; k++)
			if ((src[k] == '\'' || src[k] == '"') && !memcmp(src + k + 1, arg, al) &&
			    src[k + 1 + al] == src[k]) {
				text_position(src, i, line, col);
				return;
			}
	}
}

/* The refable node (model, seed) `name` in package pkg, or in any package when pkg.p is NULL
 * (the first one parsed). */
static struct gnode *find_refable(struct pctx *c, struct str pkg, struct str name)
{
	if (!pkg.p)
		return map_get(&c->refnames, name);
	/* the key "pkg:name", on the stack when it fits */
	char stack[256];
	size_t n = pkg.n + 1 + name.n;
	char *key = n <= sizeof(stack) ? stack : arena_alloc(&c->scratch, n);
	memcpy(key, pkg.p, pkg.n);
	key[pkg.n] = ':';
	memcpy(key + pkg.n + 1, name.p, name.n);
	return map_get(&c->refable, str_make(key, n));
}

static void push_unique(value list, const char *id)
{
	for (uint32_t i = 0; i < list.list->n; i++)
		if (str_eqc(v_as_str(list.list->v[i]), id))
			return;
	vlist_push(list.list, v_cstr(id));
}


static int resolve_node(struct pctx *c, struct pnode *pn)
{
	arena_reset(&c->scratch);
	int errs = 0;
	const char *root = c->p->name, *own = pn->g->package;
	struct str root_s = str_from(root);
	value refs = pn->refs_list, srcs = pn->srcs_list;
	/* these lists are the node's own, made empty by whichever worker computed it: they grow
	 * in this worker's arena (another worker may be allocating in that one) */
	value own_lists[3] = {refs, srcs, pn->depends_nodes};
	struct gnode *found[8]; /* the nodes refs named (for gnode.depends_hint) */
	size_t nfound = 0;
	for (int i = 0; i < 3; i++)
		if (own_lists[i].type == VT_LIST)
			own_lists[i].list->a = c->a;
	for (size_t i = 0; i < pn->nrefs; i++) {
		const struct dbt_ref *r = &pn->refs[i];
		const char *name = r->name.p, *pkg = r->package.n ? r->package.p : NULL;
		struct gnode *g = NULL;
		if (pkg)
			g = find_refable(c, r->package, r->name);
		else if (!(g = find_refable(c, root_s, r->name)) && own != root && strcmp(own, root))
			g = find_refable(c, str_from(own), r->name);
		if (!g && !pkg)
			g = find_refable(c, (struct str){NULL, 0}, r->name);
		if (!g) {
			char *call = pkg ? arena_printf(c->a, "ref('%s', '%s')", pkg, name)
			                 : arena_printf(c->a, "ref('%s')", name);
			int line = r->line, col = 0;
			locate_call(pn->src, pn->srclen, "ref", name, &line, &col);
			const char *dis = map_get(&c->disabled_names, str_from(name));
			const char *near = closest(&c->refnames, name);
			if (dis)
				diag_add(c->d, DIAG_ERROR, pn->file, line, col, pn->src, pn->srclen,
				         "%s names the disabled node '%s'", call, dis);
			else if (near)
				diag_add(c->d, DIAG_ERROR, pn->file, line, col, pn->src, pn->srclen,
				         "%s names no model, seed or snapshot; did you mean '%s'?",
				         call, near);
			else
				diag_add(c->d, DIAG_ERROR, pn->file, line, col, pn->src, pn->srclen,
				         "%s names no model, seed or snapshot", call);
			errs++;
			continue;
		}
		/* what the node keeps is copied out of c->hold */
		static const char *const ref_keys[] = {"name", "package", "version"};
		value ref_vals[] = {
		    v_cstr(astr(c, r->name)), pkg ? v_cstr(astr(c, r->package)) : v_none(),
		    r->version.type == VT_UNDEF ? v_none() : value_copy(c->a, r->version)};
		value rd = small_dict(c, c->a, SHAPE_REF, ref_keys, ref_vals, 3);
		vlist_push(refs.list, rd);
		push_unique(pn->depends_nodes, g->unique_id);
		if (nfound < ARRAY_LEN(found))
			found[nfound++] = g;
	}
	for (size_t i = 0; i < pn->nsrcs; i++) {
		const struct dbt_source_ref *s = &pn->srcs[i];
		const char *key = tmp_join(c, s->source.p, s->table.p, NULL);
		const char *id = map_get(&c->source_ids, str_from(key));
		if (!id) {
			const char *near = closest(&c->source_ids, key);
			int line = s->line, col = 0;
			locate_call(pn->src, pn->srclen, "source", s->table.p, &line, &col);
			if (near)
				diag_add(c->d, DIAG_ERROR, pn->file, line, col, pn->src, pn->srclen,
				         "source('%s', '%s') names no source; did you mean '%s'?",
				         s->source.p, s->table.p, near);
			else
				diag_add(c->d, DIAG_ERROR, pn->file, line, col, pn->src, pn->srclen,
				         "source('%s', '%s') names no source", s->source.p,
				         s->table.p);
			errs++;
			continue;
		}
		value pair = v_list(c->a, 2);
		vlist_push(pair.list, v_cstr(astr(c, s->source)));
		vlist_push(pair.list, v_cstr(astr(c, s->table)));
		vlist_push(srcs.list, pair);
		push_unique(pn->depends_nodes, id);
	}
	/* gnode.depends_on from the dict's list: its strings are the ids of nodes and macros (NUL
	 * terminated, kept), so they are shared rather than copied */
	value dn = pn->depends_nodes;
	pn->g->depends_list = dn;
	pn->g->ndepends_on = dn.list->n;
	pn->g->depends_on = arena_alloc(c->a, (dn.list->n + 1) * sizeof(char *));
	for (uint32_t i = 0; i < dn.list->n; i++)
		pn->g->depends_on[i] = kept_cstr(c, dn.list->v[i]);
	if (nfound) {
		pn->g->depends_hint = arena_zalloc(c->a, (dn.list->n + 1) * sizeof(struct gnode *));
		for (uint32_t i = 0; i < dn.list->n; i++)
			for (size_t k = 0; k < nfound; k++)
				if (found[k]->unique_id == pn->g->depends_on[i])
					pn->g->depends_hint[i] = found[k];
	}
	value dm = pn->macros_list;
	pn->g->nmacros = dm.list->n;
	pn->g->macros = arena_alloc(c->a, (dm.list->n + 1) * sizeof(char *));
	for (uint32_t i = 0; i < dm.list->n; i++)
		pn->g->macros[i] = kept_cstr(c, dm.list->v[i]);
	return errs ? -1 : 0;
}

struct rnode {
	struct pnode *pn;
	int rc;
};

static void work_resolve(struct pctx *c, void *items, size_t i)
{
	struct rnode *r = (struct rnode *)items + i;
	r->rc = resolve_node(c, r->pn);
}

/* ---- the project ---- */

static int ctx_var(void *ud, const char *package, struct str name, value *out)
{
	struct pctx *c = ud;
	char *n = arena_strndup(c->a, name.p, name.n);
	const struct project *dep = NULL;
	for (size_t i = 0; i < c->res->npkgs; i++)
		if (package && !strcmp(c->res->pkgs[i].name, package))
			dep = &c->res->pkgs[i];
	return project_var_lookup(c->p, dep, dep ? package : NULL, n, out);
}

static int ctx_env_var(void *ud, struct str name, value *out)
{
	struct pctx *c = ud;
	char *n = arena_strndup(c->a, name.p, name.n);
	const char *v = project_getenv(c->p, n);
	if (!v)
		return 0;
	*out = v_cstr(v);
	return 1;
}

/* Loads every package installed under the root's packages-install-path (directories holding a
 * dbt_project.yml, in name order) into c->res->pkgs. Returns how many. */
static size_t load_packages(struct pctx *c)
{
	const char *ip = c->p->packages_install_path ? c->p->packages_install_path : "dbt_packages";
	const char *dir = ip[0] == '/' ? ip : arena_printf(c->a, "%s/%s", c->p->dir, ip);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n <= 0)
		return 0;
	c->res->pkgs = xcalloc((size_t)n, sizeof(*c->res->pkgs));
	for (int i = 0; i < n; i++) {
		const char *pd = arena_printf(c->a, "%s/%s", dir, ents[i]->d_name);
		const char *pf = arena_printf(c->a, "%s/dbt_project.yml", pd);
		struct stat st;
		if (ents[i]->d_name[0] != '.' && stat(pf, &st) == 0 && S_ISREG(st.st_mode)) {
			struct project *pk = &c->res->pkgs[c->res->npkgs++];
			if (project_load_package(pk, c->p, pd, c->d) < 0) {
				project_release(pk);
				c->res->npkgs--;
			}
		}
		free(ents[i]);
	}
	free(ents);
	return c->res->npkgs;
}

/* dbt_project.yml `dispatch:` (a list) as the context wants it: namespace -> search order. */
static value dispatch_dict(struct pctx *c)
{
	value d = new_dict(c);
	value l = c->p->dispatch;
	if (l.type != VT_LIST)
		return d;
	for (uint32_t i = 0; i < l.list->n; i++) {
		value ns = dget(l.list->v[i], "macro_namespace");
		value so = dget(l.list->v[i], "search_order");
		if (ns.type == VT_STR && so.type == VT_LIST)
			vdict_set(d.dict, ns, so);
	}
	return d;
}

/* ---- workers ---- */

struct phase {
	size_t n;
	void (*fn)(struct pctx *c, void *items, size_t i);
	void *items;
	struct span *spans;
	atomic_size_t next;
	size_t chunk;      /* items taken at a time */
	atomic_bool *done; /* run_phase_in_order: item i is computed */
	struct diag *diags; /* run_phase_in_order: item i's messages */
	struct dbt_output *outs; /* run_phase_in_order: what item i's templates wrote */
};

/* Items are taken a few at a time: enough to keep the counter cold, few enough to even out. */
#define PHASE_CHUNK 8

/* Moves the first `upto` messages of an item to the main diag (counted and capped as diag_add
 * does); the others are dropped. */
static void take_msgs(struct pctx *c, const struct span *sp, uint32_t upto)
{
	struct diag *from = sp->d ? sp->d : &c->workers[sp->w].d, *to = c->d;
	for (uint32_t i = sp->from; i < sp->to; i++) {
		struct diag_msg *m = &from->msgs.v[i];
		if (i - sp->from < upto)
			diag_move(to, m);
	}
}

/* The environment of a worker other than the first: dbt's context and every macro file, parsed
 * and registered in the order the main environment got them. */
static struct jinja_env *worker_env(struct pctx *c)
{
	struct jinja_env *env = jinja_env_new();
	dbt_context_install(env);
	for (size_t i = 0; i < embedded_nfiles; i++) {
		const struct embedded_file *ef = &embedded_files[i];
		if (!strncmp(ef->path, "compile/macros/", 15)) {
			struct jinja_template *t = jinja_parse(env, ef->path, ef->data, ef->len, c->d);
			if (t)
				jinja_add_macros(env, "dbt", t);
		}
	}
	for (size_t k = 0; k < c->nproj; k++)
		for (size_t i = 0; i < c->files[k].n; i++) {
			const struct project_file *f = &c->files[k].v[i];
			if (f->kind != PF_MACRO && f->kind != PF_GENERIC_TEST)
				continue;
			struct jinja_template *t = jinja_parse(env, f->path, f->contents, f->len, c->d);
			if (t)
				jinja_add_macros(env, c->projs[k]->name, t);
		}
	return env;
}

/* Item i of a run_phase_in_order phase: its messages go to a diag of its own, which the
 * calling thread reads once the item is marked done. */
static void compute_in_order(struct pctx *c, struct phase *ph, size_t i)
{
	struct diag *keep = c->d;
	diag_init(&ph->diags[i]);
	c->d = &ph->diags[i];
	c->out = &ph->outs[i];
	dbt_output_capture(c->out);
	ph->fn(c, ph->items, i);
	dbt_output_capture(NULL);
	c->out = NULL;
	c->d = keep;
	atomic_store_explicit(&ph->done[i], true, memory_order_release);
}

static void run_share(struct worker *w)
{
	struct phase *ph = w->ph;
	struct pctx *c = &w->c;
	for (;;) {
		size_t i0 = atomic_fetch_add(&ph->next, ph->chunk);
		if (i0 >= ph->n)
			break;
		size_t i1 = i0 + ph->chunk < ph->n ? i0 + ph->chunk : ph->n;
		for (size_t i = i0; i < i1; i++) {
			if (ph->done) {
				compute_in_order(c, ph, i);
				continue;
			}
			uint32_t from = (uint32_t)c->d->msgs.n;
			ph->fn(c, ph->items, i);
			ph->spans[i] = (struct span){(uint32_t)w->idx, from, (uint32_t)c->d->msgs.n, NULL};
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (!w->c.env) {
		w->c.env = worker_env(&w->c);
		w->c.res->helper_envs[w->idx - 1] = w->c.env;
	}
	run_share(w);
	return NULL;
}

/* Points every worker at ph, each starting from the main context as it is now (the tables
 * registration filled so far) with its own arena, scratch arena, environment, sharing tables
 * and diag kept, and starts the threads of workers other than the first; how many started. */
static int phase_start(struct pctx *c, struct phase *ph)
{
	size_t n = ph->n;
	ph->spans = xcalloc(n + 1, sizeof(*ph->spans));
	atomic_init(&ph->next, 0);
	int started = 0;
	for (int k = 0; k < c->nthreads; k++) {
		struct worker *w = &c->workers[k];
		struct pctx keep = w->c;
		w->c = *c;
		w->c.a = keep.a;
		w->c.scratch = keep.scratch;
		w->c.hold = keep.hold;
		w->c.d = &w->d;
		w->c.env = keep.env;
		w->c.shared = keep.shared;
		w->c.named = keep.named;
		w->c.macro_ids = keep.macro_ids;
		w->c.memo_key = keep.memo_key;
		memcpy(w->c.shapes, keep.shapes, sizeof(keep.shapes));
		w->c.kept_docs = keep.kept_docs;
		w->c.kept_contract = keep.kept_contract;
		memcpy(w->c.recent, keep.recent, sizeof(keep.recent));
		memcpy(w->c.plain_naming, keep.plain_naming, sizeof(keep.plain_naming));
		w->c.info.ud = &w->c;
		w->ph = ph;
		if (k > 0 && n > 0) {
			if (pthread_create(&w->th, NULL, worker_main, w) != 0)
				break; /* the others share the items */
			started = k;
		}
	}
	return started;
}

/* Runs fn over items [0, n) on every worker; returns where each item's messages are (free it). */
static struct span *run_phase(struct pctx *c, size_t n, void (*fn)(struct pctx *, void *, size_t),
                              void *items)
{
	struct phase ph = {.n = n, .fn = fn, .items = items, .chunk = PHASE_CHUNK};
	int started = phase_start(c, &ph);
	run_share(&c->workers[0]);
	for (int k = 1; k <= started; k++)
		pthread_join(c->workers[k].th, NULL);
	return ph.spans;
}

/* As run_phase, but the calling thread also hands each item to `take`, in item order, as soon
 * as it is computed (computing items itself while the next one is not): what `take` does
 * overlaps the computing of the items after it. An item's messages go to a diag of its own
 * (the span given to take; the messages take leaves are dropped), since the calling thread
 * cannot read a worker's diag while the worker runs. fn must not read what take writes. */
static int run_phase_in_order(struct pctx *c, size_t n,
                              void (*fn)(struct pctx *, void *, size_t), void *items,
                              int (*take)(struct pctx *, void *, size_t, const struct span *))
{
	struct phase ph = {.n = n, .fn = fn, .items = items, .chunk = 1};
	ph.done = xcalloc(n + 1, sizeof(*ph.done));
	for (size_t i = 0; i < n; i++)
		atomic_init(&ph.done[i], false);
	/* (each diag initialised by the worker computing its item: compute_in_order) */
	ph.diags = xmalloc((n + 1) * sizeof(*ph.diags));
	/* what templates write (log, print, warn): kept per item, written in item order however
	 * the items were computed */
	ph.outs = xcalloc(n + 1, sizeof(*ph.outs));
	int started = phase_start(c, &ph);
	struct worker *w0 = &c->workers[0];
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		while (!atomic_load_explicit(&ph.done[i], memory_order_acquire)) {
			size_t j = atomic_fetch_add(&ph.next, 1);
			if (j >= n) { /* item i is being computed by another worker */
				sched_yield();
				continue;
			}
			compute_in_order(&w0->c, &ph, j);
		}
		struct span sp = {0, 0, (uint32_t)ph.diags[i].msgs.n, &ph.diags[i]};
		dbt_output_flush(&ph.outs[i]);
		if (take(c, items, i, &sp) < 0)
			rc = -1;
		diag_release(&ph.diags[i]);
	}
	for (int k = 1; k <= started; k++)
		pthread_join(c->workers[k].th, NULL);
	free(ph.spans);
	free(ph.done);
	free(ph.diags);
	free(ph.outs); /* (each flushed, so emptied, before its item was taken) */
	return rc;
}

/* How many workers: SILT_PARSE_THREADS when set (1 = all on the calling thread), else two on a
 * machine with two cores or more for a project big enough to repay a second environment
 * (a few milliseconds). */
static int parse_threads_wanted(struct pctx *c);

/* As parse_threads_wanted, raised to the project's parse_envs_min (at most 8). */
static int parse_threads(struct pctx *c)
{
	int n = parse_threads_wanted(c);
	int want = c->p->parse_envs_min > 8 ? 8 : c->p->parse_envs_min;
	if (want > n && !getenv("SILT_PARSE_THREADS"))
		n = want;
	return n;
}

static int parse_threads_wanted(struct pctx *c)
{
	const char *e = getenv("SILT_PARSE_THREADS");
	if (e && *e) {
		long n = strtol(e, NULL, 10);
		return n < 1 ? 1 : n > 8 ? 8 : (int)n;
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nodes = 0;
	for (size_t k = 0; k < c->nproj; k++)
		for (size_t i = 0; i < c->files[k].n; i++) {
			const struct project_file *f = &c->files[k].v[i];
			nodes += f->kind == PF_MODEL || f->kind == PF_SINGULAR_TEST ||
			         f->kind == PF_ANALYSIS || f->kind == PF_MACRO ||
			         f->kind == PF_GENERIC_TEST;
		}
	return cores >= 2 && nodes >= 400 ? 2 : 1;
}

static void workers_start(struct pctx *c)
{
	c->nthreads = parse_threads(c);
	c->workers = xcalloc((size_t)c->nthreads, sizeof(*c->workers));
	c->res->helper_envs = xcalloc((size_t)c->nthreads, sizeof(struct jinja_env *));
	c->res->helper_arenas = xcalloc((size_t)c->nthreads, sizeof(struct arena));
	c->res->nhelpers = (size_t)c->nthreads - 1;
	for (int k = 0; k < c->nthreads; k++) {
		struct worker *w = &c->workers[k];
		w->idx = k;
		diag_init(&w->d);
		w->c.a = k ? &c->res->helper_arenas[k - 1] : c->a;
		arena_init(&w->c.scratch);
		arena_init(&w->hold);
		w->c.hold = &w->hold;
		w->c.env = k ? NULL : c->env;
		map_init(&w->c.shared);
		map_init(&w->c.named);
		map_init(&w->c.macro_ids);
		buf_init(&w->c.memo_key);
		memset(w->c.plain_naming, -1, sizeof(w->c.plain_naming));
	}
}

static void *build_env(void *arg)
{
	struct worker *w = arg;
	w->c.env = worker_env(&w->c);
	w->c.res->helper_envs[w->idx - 1] = w->c.env;
	return NULL;
}

/* Starts building the environment of each worker but the first on its own thread (a worker
 * whose thread does not start builds it when its first phase starts). */
static void env_builders_start(struct pctx *c)
{
	for (int k = 1; k < c->nthreads; k++) {
		struct worker *w = &c->workers[k];
		w->c.files = c->files;
		w->c.projs = c->projs;
		w->c.nproj = c->nproj;
		w->c.res = c->res;
		w->c.d = &w->d;
		w->building = pthread_create(&w->th, NULL, build_env, w) == 0;
	}
}

static void env_builders_join(struct pctx *c)
{
	for (int k = 1; k < c->nthreads; k++)
		if (c->workers[k].building) {
			pthread_join(c->workers[k].th, NULL);
			c->workers[k].building = false;
		}
}

static void workers_stop(struct pctx *c)
{
	for (int k = 0; k < c->nthreads; k++) {
		struct worker *w = &c->workers[k];
		diag_release(&w->d);
		arena_release(&w->c.scratch);
		arena_release(&w->hold);
		map_release(&w->c.shared);
		map_release(&w->c.named);
		map_release(&w->c.macro_ids);
		buf_release(&w->c.memo_key);
	}
	free(c->workers);
	c->workers = NULL;
}

int parse_project(struct project *p, struct arena *a, struct parse_result *out, struct diag *d)
{
	memset(out, 0, sizeof(*out));
	struct pctx cx = {0}, *c = &cx;
	c->p = p;
	c->own = p;
	c->a = a;
	c->unrendered_calls = v_truthy(v_item(p->flags, "state_modified_compare_more_unrendered_values"));
	arena_init(&c->scratch);
	c->d = d;
	c->res = out;
	c->m = gmanifest_new(a);
	c->m->project_name = p->name;
	out->m = c->m;
	c->disabled = v_dict(a, 4);
	out->disabled = c->disabled;
	out->docs = v_dict(a, 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->now = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
	map_init(&c->patches);
	map_init(&c->refable);
	map_init(&c->refnames);
	map_init(&c->disabled_names);
	map_init(&c->source_ids);
	map_init(&c->shared);
	map_init(&c->named);
	map_init(&c->macro_ids);
	memset(c->plain_naming, -1, sizeof(c->plain_naming));
	c->env = jinja_env_new();
	dbt_context_install(c->env);
	c->info.root_package = p->name;
	c->info.adapter_type = p->has_profile && p->profile.type ? p->profile.type : "sqlite";
	c->info.target = p->has_profile ? p->profile.target : v_dict(a, 0);
	c->info.dispatch = dispatch_dict(c);
	c->info.flags = v_dict(a, 2);
	vdict_sets(c->info.flags.dict, "WHICH", v_cstr("parse"));
	vdict_sets(c->info.flags.dict, "FULL_REFRESH", v_bool(false));
	c->info.invocation_id = "00000000-0000-0000-0000-000000000000";
	c->info.run_started_at = dbt_now_utc(a); /* (not once per node) */
	c->info.var = ctx_var;
	c->info.env_var = ctx_env_var;
	c->info.ud = c;

	int rc = 0;
	/* the root project and the packages installed under packages-install-path */
	size_t nproj = 1 + load_packages(c);
	if (p->packages.n > nproj - 1) /* dbt stops before parsing when deps were not installed */
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "dbt found %zu package(s) specified in packages.yml, but only %zu package(s) "
		         "installed in %s. Run \"dbt deps\" to install package dependencies.",
		         p->packages.n, nproj - 1,
		         p->packages_install_path ? p->packages_install_path : "dbt_packages");
	struct project_files *files = xcalloc(nproj, sizeof(*files));
	struct project **projs = xcalloc(nproj, sizeof(*projs));
	projs[0] = p;
	for (size_t k = 1; k < nproj; k++)
		projs[k] = &out->pkgs[k - 1];
	c->files = files;
	c->projs = projs;
	c->nproj = nproj;
	if (d->errors)
		rc = -1;
	trace_phase("parse: start");
	for (size_t k = 0; k < nproj && rc == 0; k++)
		if (project_discover(projs[k], &files[k], d) < 0)
			rc = -1;
	if (rc < 0)
		goto done;
	/* the other workers build their environments while this thread builds its own */
	workers_start(c);
	env_builders_start(c);
	/* macros: dbt's global project, then every project's */
	for (size_t i = 0; i < embedded_nfiles; i++) {
		const struct embedded_file *ef = &embedded_files[i];
		if (!strncmp(ef->path, "compile/macros/", 15) &&
		    add_macro_file(c, "dbt", ef->path, ef->data, ef->len) < 0)
			rc = -1;
	}
	for (size_t k = 0; k < nproj; k++)
		for (size_t i = 0; i < files[k].n; i++) {
			const struct project_file *f = &files[k].v[i];
			if ((f->kind == PF_MACRO || f->kind == PF_GENERIC_TEST) &&
			    add_macro_file(c, projs[k]->name, f->path, f->contents, f->len) < 0)
				rc = -1;
		}
	env_builders_join(c);
	if (rc < 0)
		goto done;
	macro_depends_on(c);
	trace_phase("parse: macro files");
	/* schema files first, their properties feed the nodes' configs: read by the workers,
	 * walked here in file order */
	size_t ny = 0;
	for (size_t k = 0; k < nproj; k++)
		for (size_t i = 0; i < files[k].n; i++)
			ny += files[k].v[i].kind == PF_SCHEMA;
	struct ydoc *ys = xcalloc(ny + 1, sizeof(*ys));
	ny = 0;
	for (size_t k = 0; k < nproj; k++)
		for (size_t i = 0; i < files[k].n; i++)
			if (files[k].v[i].kind == PF_SCHEMA)
				ys[ny++] = (struct ydoc){.f = &files[k].v[i], .own = projs[k]};
	if (run_phase_in_order(c, ny, work_yaml, ys, take_yaml) < 0)
		rc = -1;
	free(ys);
	if (c->yml_failed)
		rc = -1;
	if (rc < 0)
		goto done;
	/* model, seed, singular test and analysis files, computed by the workers, registered here
	 * in file order */
	size_t nf = 0;
	for (size_t k = 0; k < nproj; k++)
		nf += files[k].n;
	/* a snapshot file holds any number of {% snapshot %} blocks, each a node */
	size_t nsnap = 0;
	struct arena snap_arena;
	arena_init(&snap_arena);
	for (size_t k = 0; k < nproj && rc == 0; k++)
		for (size_t i = 0; i < files[k].n; i++) {
			const struct project_file *f = &files[k].v[i];
			if (f->kind != PF_SNAPSHOT || !str_ends_with(str_from(f->path), STR(".sql")))
				continue;
			struct jinja_template *t =
			    jinja_parse_in(c->env, &snap_arena, f->path, f->contents, f->len, d);
			if (!t) {
				rc = -1;
				break;
			}
			const struct jinja_block *b;
			size_t nb = jinja_template_blocks(t, &b);
			for (size_t j = 0; j < nb; j++)
				nsnap += !strcmp(b[j].kind, "snapshot");
		}
	if (rc < 0) {
		arena_release(&snap_arena);
		goto done;
	}
	nf += nsnap + c->yml_snaps.n;
	struct fnode_in *fns = xcalloc(nf + 1, sizeof(*fns));
	nf = 0;
	for (size_t k = 0; k < nproj; k++)
		for (size_t i = 0; i < files[k].n; i++) {
			const struct project_file *f = &files[k].v[i];
			bool sql = str_ends_with(str_from(f->path), STR(".sql"));
			if (f->kind == PF_SNAPSHOT && sql) {
				struct jinja_template *t =
				    jinja_parse_in(c->env, &snap_arena, f->path, f->contents, f->len, d);
				const struct jinja_block *b;
				size_t nb = t ? jinja_template_blocks(t, &b) : 0;
				for (size_t j = 0; j < nb; j++)
					if (!strcmp(b[j].kind, "snapshot"))
						fns[nf++] = (struct fnode_in){
						    .f = f,
						    .own = projs[k],
						    .type = GT_SNAPSHOT,
						    .snap_name = astr(c, b[j].name),
						    .snap_body = arena_strndup(a, b[j].body.p, b[j].body.n),
						    .snap_len = b[j].body.n,
						};
				continue;
			}
			enum gtype t = GT__COUNT;
			if (f->kind == PF_MODEL && sql)
				t = GT_MODEL;
			else if (f->kind == PF_SEED)
				t = GT_SEED;
			else if (f->kind == PF_SINGULAR_TEST && sql)
				t = GT_TEST;
			else if (f->kind == PF_ANALYSIS && sql)
				t = GT_ANALYSIS;
			if (t != GT__COUNT)
				fns[nf++] = (struct fnode_in){.f = f, .own = projs[k], .type = t};
		}
	arena_release(&snap_arena);
	for (size_t i = 0; i < c->yml_snaps.n; i++)
		fns[nf++] = c->yml_snaps.v[i];
	trace_phase("parse: schema files");
	/* each registered as soon as it is computed: file_node reads none of what registration
	 * fills */
	struct fnode_job fjob = {fns, big_alloc((nf + 1) * sizeof(struct fnode))};
	if (run_phase_in_order(c, nf, work_file_node, &fjob, take_file_node) < 0)
		rc = -1;
	big_free(fjob.out, (nf + 1) * sizeof(struct fnode)); /* (for the tests' arenas) */
	free(fns);
	if (rc < 0)
		goto done;
	trace_phase("parse: node files");
	/* not initialised: each filled by its worker (work_generic_test), which faults its pages
	 * in, not the main thread (or takes them from the file nodes' array, given back) */
	struct tnode *tns = big_alloc((c->tests.n + 1) * sizeof(*tns));
	/* the same for the tests, which look up their attached nodes in a copy of the id index
	 * made before any test is registered */
	struct map ids;
	map_copy(&ids, &c->m->ids);
	c->node_ids = &ids;
	if (run_phase_in_order(c, c->tests.n, work_generic_test, tns, take_generic_test) < 0)
		rc = -1;
	c->node_ids = NULL;
	map_release(&ids);
	big_free(tns, (c->tests.n + 1) * sizeof(*tns)); /* (for resolution's arenas) */
	if (rc < 0)
		goto done;
	trace_phase("parse: generic tests");
	struct rnode *rns = xcalloc(c->pending.n + 1, sizeof(*rns));
	for (size_t i = 0; i < c->pending.n; i++)
		rns[i].pn = c->pending.v[i];
	struct span *sp = run_phase(c, c->pending.n, work_resolve, rns);
	trace_phase("parse: refs resolved");
	for (size_t i = 0; i < c->pending.n; i++) {
		take_msgs(c, &sp[i], UINT32_MAX);
		if (rns[i].rc < 0)
			rc = -1;
	}
	free(sp);
	free(rns);
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < c->patches.n; i++) {
		struct patch *pt = c->patches.e[i].val;
		if (pt && !pt->used && !strncmp(c->patches.e[i].key.p, "models:", 7))
			diag_add(d, DIAG_WARNING, pt->file, pt->line, 0, NULL, 0,
			         "Did not find matching node for patch with name '%s'",
			         strchr(c->patches.e[i].key.p + 7, ':') + 1);
	}
	for (size_t i = 0; i < c->extras.n; i++) {
		c->own = c->extras.v[i].own;
		if (build_extra(c, &c->extras.v[i]) < 0)
			rc = -1;
	}
	if (rc < 0)
		goto done;
	trace_phase("parse: extras");
	if (render_docs(c) < 0) {
		rc = -1;
		goto done;
	}
	/* macros of the graph: depends_on.macros of each gmacro stays empty (not extracted yet) */
	trace_phase("parse: docs");
	if (graph_link(c->m, d) < 0)
		rc = -1;
	trace_phase("parse: graph linked");
done:
	if (c->workers)
		workers_stop(c);
	for (size_t k = 0; k < nproj; k++)
		free(files[k].v);
	free(files);
	free(projs);
	vec_free(&c->pending);
	vec_free(&c->tests);
	vec_free(&c->extras);
	vec_free(&c->yml_snaps);
	vec_free(&c->macro_blocks);
	map_release(&c->patches);
	map_release(&c->refable);
	map_release(&c->refnames);
	map_release(&c->disabled_names);
	map_release(&c->source_ids);
	map_release(&c->shared);
	map_release(&c->named);
	map_release(&c->macro_ids);
	buf_release(&c->memo_key);
	arena_release(&c->scratch);
	out->env = c->env; /* config keys and macro names may live in its arena */
	return rc;
}

void parse_result_release(struct parse_result *r)
{
	if (r->m)
		gmanifest_free(r->m);
	r->m = NULL;
	if (r->env)
		jinja_env_free(r->env);
	r->env = NULL;
	for (size_t i = 0; i < r->nhelpers; i++) {
		if (r->helper_envs[i])
			jinja_env_free(r->helper_envs[i]);
		arena_release(&r->helper_arenas[i]);
	}
	free(r->helper_envs);
	free(r->helper_arenas);
	r->helper_envs = NULL;
	r->helper_arenas = NULL;
	r->nhelpers = 0;
	for (size_t i = r->npkgs; i-- > 0;)
		project_release(&r->pkgs[i]);
	free(r->pkgs);
	r->pkgs = NULL;
	r->npkgs = 0;
}
