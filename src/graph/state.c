/* State: what a target or an environment has — nodes with what dbt's state comparison reads,
 * macros, the previous run's statuses — read from a dbt target directory or filled by another
 * module (the metadata store), and the comparisons dbt's `state:` selector makes against it
 * (core/dbt/graph/selector_methods.py StateSelectorMethod, core/dbt/contracts/graph/nodes.py
 * same_*), plus silt's state:modified.vars. */
#include <errno.h>
#include <pthread.h>

#include "graph_int.h"
#include "json/json.h"

struct gsmacro {
	const char *sql;
	const char *const *macros;
	uint32_t nmacros;
};

struct gstate {
	struct arena a;
	struct map ids; /* unique_id -> gstate_node* */
	struct gstate_node **v;
	uint32_t n, cap;
	struct map macros;  /* unique_id -> gsmacro* */
	VEC(const char *) macro_ids;
	struct map results; /* unique_id -> status (const char*) */
	bool has_results;
	bool has_vars; /* some node records its vars */
	value empty;   /* {} */
	const char *origin;
	gstate_load_fn load; /* fills nodes known by digest only */
	void *load_ud;
	void (*load_release)(void *ud);
};

struct gstate *gstate_new(void)
{
	struct gstate *s = xcalloc(1, sizeof(*s));
	arena_init(&s->a);
	map_init(&s->ids);
	map_init(&s->macros);
	map_init(&s->results);
	s->origin = "the state";
	return s;
}

void gstate_free(struct gstate *s)
{
	if (!s)
		return;
	if (s->load_release)
		s->load_release(s->load_ud);
	map_release(&s->ids);
	map_release(&s->macros);
	map_release(&s->results);
	vec_free(&s->macro_ids);
	free(s->v);
	arena_release(&s->a);
	free(s);
}

struct arena *gstate_arena(struct gstate *s) { return &s->a; }

static struct gstate_node *node_new(struct gstate *s, const char *unique_id, enum gtable table,
                                    enum gtype type)
{
	struct gstate_node *n = arena_zalloc(&s->a, sizeof(*n));
	n->unique_id = unique_id;
	n->table = (uint8_t)table;
	n->type = (uint8_t)type;
	n->package = n->name = "";
	/* one empty dict for every node that has none: nodes are read, never changed in place */
	if (s->empty.type != VT_DICT)
		s->empty = v_dict(&s->a, 0);
	n->config = n->unrendered_config = n->columns = s->empty;
	n->constraints = n->version = n->latest_version = n->deprecation_date = v_none();
	n->vars = n->raw = v_none();
	return n;
}

struct gstate_node *gstate_add(struct gstate *s, const char *unique_id, enum gtable table,
                               enum gtype type)
{
	bool created;
	void **slot = map_slot(&s->ids, str_from(unique_id), &created);
	if (!created)
		return *slot;
	struct gstate_node *n = node_new(s, unique_id, table, type);
	*slot = n;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = n;
	return n;
}

const struct gstate_node *gstate_find(const struct gstate *s, struct str unique_id)
{
	return map_get(&s->ids, unique_id);
}

uint32_t gstate_count(const struct gstate *s) { return s->n; }

const struct gstate_node *gstate_at(const struct gstate *s, uint32_t i)
{
	return i < s->n ? s->v[i] : NULL;
}

void gstate_add_macro(struct gstate *s, const char *unique_id, const char *macro_sql,
                      const char *const *macros, uint32_t nmacros)
{
	bool created;
	void **slot = map_slot(&s->macros, str_from(unique_id), &created);
	struct gsmacro *mc = created ? arena_zalloc(&s->a, sizeof(*mc)) : *slot;
	mc->sql = macro_sql ? macro_sql : "";
	mc->macros = macros;
	mc->nmacros = nmacros;
	if (created) {
		*slot = mc;
		vec_push(&s->macro_ids, unique_id);
	}
}

void gstate_set_result(struct gstate *s, const char *unique_id, const char *status)
{
	map_set(&s->results, str_from(unique_id), (void *)status);
	s->has_results = true;
}

void gstate_set_vars(struct gstate *s, struct gstate_node *n, value vars)
{
	n->vars = vars;
	if (vars.type == VT_DICT)
		s->has_vars = true;
}

const char *gstate_origin(const struct gstate *s) { return s->origin; }

void gstate_set_origin(struct gstate *s, const char *origin)
{
	s->origin = arena_strndup(&s->a, origin, strlen(origin));
}

void gstate_set_loader(struct gstate *s, gstate_load_fn fn, void *ud, void (*release)(void *ud))
{
	if (s->load_release)
		s->load_release(s->load_ud);
	s->load = fn;
	s->load_ud = ud;
	s->load_release = release;
}

/* ---- filling nodes from manifest dicts ---- */

static value dget(value d, const char *k)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &v))
		return v;
	return v_undef();
}

static const char *dstr(value d, const char *k)
{
	value v = dget(d, k);
	return v.type == VT_STR ? v.s : NULL;
}

static value or_none(value v) { return v.type == VT_UNDEF ? v_none() : v; }

static const char **strlist(struct arena *a, value l, uint32_t *n)
{
	*n = 0;
	if (l.type != VT_LIST)
		return NULL;
	const char **out = arena_alloc(a, (l.list->n ? l.list->n : 1) * sizeof(char *));
	for (uint32_t i = 0; i < l.list->n; i++)
		if (l.list->v[i].type == VT_STR)
			out[(*n)++] = l.list->v[i].s;
	return out;
}

void gstate_node_from_dict(struct gstate *s, struct gstate_node *n, value d)
{
	struct arena *a = &s->a;
	n->raw = d;
	const char *x;
	if ((x = dstr(d, "package_name")))
		n->package = x;
	if ((x = dstr(d, "name")))
		n->name = x;
	n->fqn = strlist(a, dget(d, "fqn"), &n->nfqn);
	value cs = dget(d, "checksum");
	n->checksum_name = dstr(cs, "name");
	n->checksum = dstr(cs, "checksum");
	if (cs.type == VT_STR) /* unit tests: a bare string */
		n->checksum = cs.s, n->checksum_name = "sha256";
	n->raw_code = dstr(d, "raw_code");
	if (!n->raw_code)
		n->raw_code = dstr(d, "raw_sql"); /* manifests before v7 */
	if (dget(d, "config").type == VT_DICT)
		n->config = dget(d, "config");
	if (dget(d, "unrendered_config").type == VT_DICT)
		n->unrendered_config = dget(d, "unrendered_config");
	n->database = dstr(d, "database");
	n->schema = dstr(d, "schema");
	n->alias = dstr(d, n->table == GTAB_SOURCES ? "identifier" : "alias");
	n->relation_name = dstr(d, "relation_name");
	n->description = dstr(d, "description");
	if (dget(d, "columns").type == VT_DICT)
		n->columns = dget(d, "columns");
	n->constraints = or_none(dget(d, "constraints"));
	n->macros = strlist(a, dget(dget(d, "depends_on"), "macros"), &n->nmacros);
	value contract = dget(d, "contract");
	if (contract.type != VT_DICT)
		contract = dget(n->config, "contract");
	value en = dget(contract, "enforced");
	n->contract_enforced = en.type == VT_BOOL && en.b;
	n->contract_checksum = dstr(contract, "checksum");
	n->version = or_none(dget(d, "version"));
	n->latest_version = or_none(dget(d, "latest_version"));
	n->deprecation_date = or_none(dget(d, "deprecation_date"));
	n->access = dstr(d, "access");
	n->generic_test = dget(d, "test_metadata").type == VT_DICT;
}

/* ---- digests ----
 * A byte string that tells apart every two nodes a comparison could tell apart: each field
 * tagged, strings with their length, dicts with sorted keys (the comparisons look keys up), then
 * SHA-256. Values that compare equal may still serialize differently (1 and 1.0): their nodes
 * are then compared in full, which is only slower. Change DIGEST_VERSION with what goes in, so
 * digests stored by an older silt never match. */
#define DIGEST_VERSION "silt-state-digest/2"

struct ser {
	struct buf b;
	bool bad; /* a value with no JSON form: no digest */
};

/* appends without buf_append's checks (a node is thousands of small pieces) */
static inline void ser_put(struct ser *z, const void *p, size_t n)
{
	if (z->b.n + n + 1 > z->b.cap)
		buf_grow(&z->b, n + 1);
	memcpy(z->b.p + z->b.n, p, n);
	z->b.n += n;
}

static inline void ser_c(struct ser *z, char c) { ser_put(z, &c, 1); }

/* tag, then n in decimal, then ':' */
static void ser_len(struct ser *z, char tag, uint64_t n)
{
	char t[24], *e = t + sizeof(t), *p = e;
	*--p = ':';
	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	*--p = tag;
	ser_put(z, p, (size_t)(e - p));
}

static void ser_str(struct ser *z, const char *p, size_t n)
{
	if (!p) {
		ser_c(z, 'n');
		return;
	}
	ser_len(z, 's', n);
	ser_put(z, p, n);
}

static int cmp_entry(const struct ventry *a, const struct ventry *b)
{
	size_t n = a->k.len < b->k.len ? a->k.len : b->k.len;
	int c = memcmp(a->k.s, b->k.s, n);
	return c ? c : (a->k.len > b->k.len) - (a->k.len < b->k.len);
}

static void ser_value(struct ser *z, value v, int depth)
{
	if (depth > 64) {
		z->bad = true;
		return;
	}
	switch (v.type) {
	case VT_UNDEF:
	case VT_NONE: ser_c(z, 'N'); break;
	case VT_BOOL: ser_c(z, v.b ? 'T' : 'F'); break;
	case VT_INT:
		if (v.i >= 0)
			ser_len(z, 'i', (uint64_t)v.i);
		else
			ser_len(z, 'j', (uint64_t)0 - (uint64_t)v.i);
		break;
	case VT_FLOAT: buf_printf(&z->b, "f%.17g;", v.f); break;
	case VT_STR: ser_str(z, v.s, v.len); break;
	case VT_LIST:
		ser_len(z, v.flags & VF_TUPLE ? 't' : 'l', v.list->n);
		for (uint32_t i = 0; i < v.list->n; i++)
			ser_value(z, v.list->v[i], depth + 1);
		break;
	case VT_DICT: {
		struct ventry small[16];
		struct ventry *e =
		    v.dict->n <= ARRAY_LEN(small) ? small : xmalloc(v.dict->n * sizeof(*e));
		uint32_t k = 0;
		for (uint32_t i = 0; i < v.dict->n; i++) {
			if (v.dict->k[i].type == VT_UNDEF)
				continue;
			if (v.dict->k[i].type != VT_STR)
				z->bad = true;
			else
				e[k++] = vdict_at(v.dict, i);
		}
		/* insertion sort: dicts here are small, and mostly in order already */
		for (uint32_t i = 1; i < k; i++) {
			struct ventry x = e[i];
			uint32_t j = i;
			while (j > 0 && cmp_entry(&e[j - 1], &x) > 0) {
				e[j] = e[j - 1];
				j--;
			}
			e[j] = x;
		}
		ser_len(z, 'd', k);
		for (uint32_t i = 0; i < k; i++) {
			ser_str(z, e[i].k.s, e[i].k.len);
			ser_value(z, e[i].v, depth + 1);
		}
		if (e != small)
			free(e);
		break;
	}
	default: z->bad = true;
	}
}

static bool raw_digest(value raw, unsigned table, unsigned type, unsigned char out[32],
                       struct buf *scratch);

bool gstate_node_digest(const struct gstate_node *n, unsigned char out[32])
{
	struct buf b = BUF_INIT;
	bool ok = raw_digest(n->raw, n->table, n->type, out, &b);
	buf_release(&b);
	return ok;
}

static void ser_slot(struct ser *z, value v)
{
	ser_c(z, v.type == VT_UNDEF ? '-' : '+');
	ser_value(z, v, 0);
}

static void ser_key(struct ser *z, value d, const char *key) { ser_slot(z, dget(d, key)); }

/* The top-level keys a digest reads, in the order it reads them: the first DKEYS_NODES for
 * every node, the rest for the other tables. A node's dict is walked once, each key found by
 * the hash its entry keeps (dget per key would hash the key and probe for each). */
static const char *const dkeys[] = {
    "test_metadata", "fqn", "checksum", "raw_code", "raw_sql", "unrendered_config", "contract",
    "description", "columns", "constraints", "version", "latest_version", "deprecation_date",
    "access",
    /* not GTAB_NODES */
    "database", "schema", "identifier", "alias", "quoting", "freshness", "loaded_at_field",
    "external", "unrendered_database", "unrendered_schema", "type", "owner", "maturity", "url",
    "label", "depends_on", "model", "defaults", "entities", "dimensions", "measures",
    "primary_entity", "group", "query_params",
};
#define DKEYS_NODES 14
#define DKEY_SLOTS 256
static struct {
	uint16_t tag; /* the key's hash tag (see struct ventry) */
	uint8_t key;  /* dkeys index + 1; 0 = empty */
} dkey_index[DKEY_SLOTS];
static pthread_once_t dkey_once = PTHREAD_ONCE_INIT;

static void dkey_init(void)
{
	for (size_t i = 0; i < ARRAY_LEN(dkeys); i++) {
		uint64_t h = v_hash(v_strs(str_from(dkeys[i])));
		size_t j = h & (DKEY_SLOTS - 1);
		while (dkey_index[j].key)
			j = (j + 1) & (DKEY_SLOTS - 1);
		dkey_index[j].tag = (uint16_t)h;
		dkey_index[j].key = (uint8_t)(i + 1);
	}
}

/* slots[i] = raw[dkeys[i]] (undefined when absent) */
static void dkey_collect(value raw, value *slots)
{
	for (size_t i = 0; i < ARRAY_LEN(dkeys); i++)
		slots[i] = v_undef();
	for (uint32_t i = 0; i < raw.dict->n; i++) {
		const struct ventry e_at = vdict_at(raw.dict, i), *e = &e_at;
		if (e->k.type != VT_STR)
			continue;
		for (size_t j = e->k.spare & (DKEY_SLOTS - 1); dkey_index[j].key;
		     j = (j + 1) & (DKEY_SLOTS - 1)) {
			if (dkey_index[j].tag != e->k.spare)
				continue;
			const char *k = dkeys[dkey_index[j].key - 1];
			if (strlen(k) == e->k.len && !memcmp(k, e->k.s, e->k.len))
				slots[dkey_index[j].key - 1] = e->v;
			break;
		}
	}
}

/* The digest of the manifest dict of a node of that table and type: every field
 * gstate_node_from_dict reads for a comparison, as the dict has it (so the current side needs
 * no gstate_node to be digested). scratch: the serialization's buffer, reused from one call
 * to the next. */
static bool raw_digest(value raw, unsigned table, unsigned type, unsigned char out[32],
                       struct buf *scratch)
{
	if (raw.type != VT_DICT)
		return false;
	pthread_once(&dkey_once, dkey_init);
	value slots[ARRAY_LEN(dkeys)];
	dkey_collect(raw, slots);
	value cs = slots[2], config = dget(raw, "config");
	const char *csname = dstr(cs, "name");
	if (csname && !strcmp(csname, "path")) /* a large seed: same_body warns, compare in full */
		return false;
	struct ser z = { *scratch, false }; /* the caller's buffer, reused */
	z.b.n = 0;
	ser_put(&z, DIGEST_VERSION "|", strlen(DIGEST_VERSION "|"));
	ser_len(&z, 'k', table);
	ser_len(&z, 'k', type);
	for (size_t i = 0; i < DKEYS_NODES; i++)
		ser_slot(&z, slots[i]);
	if (table == GTAB_SEMANTIC_MODELS || table == GTAB_SAVED_QUERIES) {
		ser_slot(&z, config);
	} else {
		ser_key(&z, config, "persist_docs");
		ser_key(&z, config, "materialized");
		ser_key(&z, config, "contract");
	}
	if (table != GTAB_NODES) /* their comparisons read these */
		for (size_t i = DKEYS_NODES; i < ARRAY_LEN(dkeys); i++)
			ser_slot(&z, slots[i]);
	bool ok = !z.bad;
	if (ok) {
		struct sha256 h;
		sha256_init(&h);
		sha256_update(&h, z.b.p, z.b.n);
		sha256_final(&h, out);
	}
	*scratch = z.b;
	return ok;
}

/* ---- reading a target directory ---- */

static const char *const table_keys[GTAB__COUNT] = {
    "nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests",
};

/* dbt reads manifests it wrote and the versions it can upgrade (WritableManifest
 * compatible_previous_versions: v4 onwards). */
static int check_version(value root, const char *path, const char *kind, int lo, int hi,
                         struct diag *d)
{
	const char *ver = dstr(dget(root, "metadata"), "dbt_schema_version");
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "https://schemas.getdbt.com/dbt/%s/v", kind);
	if (ver && !strncmp(ver, prefix, strlen(prefix))) {
		char *end;
		long v = strtol(ver + strlen(prefix), &end, 10);
		if (v >= lo && v <= hi && !strcmp(end, ".json"))
			return 0;
	}
	diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0,
	         "Expected a schema version of \"%s%d.json\" (or v%d to v%d) in %s, but found "
	         "\"%s\". Are you running with a different version of dbt?",
	         prefix, hi, lo, hi - 1, path, ver ? ver : "(no metadata.dbt_schema_version)");
	return -1;
}

static int load_manifest(struct gstate *s, const char *path, const char *text, size_t len,
                         struct diag *d)
{
	value root;
	if (json_parse(&s->a, path, text, len, &root, d))
		return -1;
	if (root.type != VT_DICT) {
		diag_add(d, DIAG_ERROR, path, 0, 0, NULL, 0,
		         "expected a JSON object for a manifest, got %s", v_type_name(root));
		return -1;
	}
	if (check_version(root, path, "manifest", 4, 12, d))
		return -1;
	for (int t = 0; t < GTAB__COUNT; t++) {
		value tab = dget(root, table_keys[t]);
		if (tab.type != VT_DICT)
			continue;
		for (uint32_t i = 0; i < tab.dict->n; i++) {
			const struct ventry e_at = vdict_at(tab.dict, i), *e = &e_at;
			if (e->k.type != VT_STR || e->v.type != VT_DICT)
				continue;
			const char *rt = dstr(e->v, "resource_type");
			int type = rt ? graph_type_parse(str_from(rt)) : -1;
			if (type < 0)
				type = t == GTAB_SOURCES ? GT_SOURCE : t == GTAB_EXPOSURES ? GT_EXPOSURE
				       : t == GTAB_METRICS                               ? GT_METRIC
				       : t == GTAB_UNIT_TESTS                            ? GT_UNIT_TEST
				       : rt && !strcmp(rt, "data_test")                  ? GT_TEST
				                                                         : GT_MODEL;
			struct gstate_node *n = gstate_add(s, e->k.s, (enum gtable)t, (enum gtype)type);
			gstate_node_from_dict(s, n, e->v);
		}
	}
	value macros = dget(root, "macros");
	for (uint32_t i = 0; macros.type == VT_DICT && i < macros.dict->n; i++) {
		const struct ventry e_at = vdict_at(macros.dict, i), *e = &e_at;
		if (e->k.type != VT_STR)
			continue;
		uint32_t nm;
		const char **deps = strlist(&s->a, dget(dget(e->v, "depends_on"), "macros"), &nm);
		gstate_add_macro(s, e->k.s, dstr(e->v, "macro_sql"), deps, nm);
	}
	return 0;
}

int graph_state_from_manifest_json(const char *path_or_name, const char *text, size_t len,
                                   struct gstate **out, struct diag *d)
{
	struct gstate *s = gstate_new();
	gstate_set_origin(s, path_or_name);
	if (load_manifest(s, path_or_name, text, len, d)) {
		gstate_free(s);
		*out = NULL;
		return -1;
	}
	*out = s;
	return 0;
}

static char *read_in(struct gstate *s, const char *dir, const char *name, const char **path,
                     size_t *len)
{
	*path = arena_printf(&s->a, "%s/%s", dir, name);
	char *text = file_read_all(*path, len);
	if (!text)
		return NULL;
	char *kept = arena_strndup(&s->a, text, *len);
	free(text);
	return kept;
}

int graph_state_load_dir(const char *dir, struct gstate **out, struct diag *d)
{
	*out = NULL;
	struct gstate *s = gstate_new();
	gstate_set_origin(s, dir);
	const char *path;
	size_t len;
	char *text = read_in(s, dir, "manifest.json", &path, &len);
	if (!text) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "Could not read the state manifest %s (%s): --state needs a directory "
		         "holding a dbt manifest.json",
		         path, strerror(errno));
		gstate_free(s);
		return -1;
	}
	if (load_manifest(s, path, text, len, d))
		goto fail;
	if ((text = read_in(s, dir, "run_results.json", &path, &len))) {
		value root;
		if (json_parse(&s->a, path, text, len, &root, d) ||
		    check_version(root, path, "run-results", 4, 6, d))
			goto fail;
		value res = dget(root, "results");
		s->has_results = true;
		for (uint32_t i = 0; res.type == VT_LIST && i < res.list->n; i++) {
			const char *uid = dstr(res.list->v[i], "unique_id");
			const char *st = dstr(res.list->v[i], "status");
			if (uid && st)
				gstate_set_result(s, uid, st);
		}
	}
	/* silt's own record of the var()/env_var() values each node was built with */
	if ((text = read_in(s, dir, "node_vars.json", &path, &len))) {
		value root;
		if (json_parse(&s->a, path, text, len, &root, d))
			goto fail;
		value nodes = dget(root, "nodes");
		for (uint32_t i = 0; nodes.type == VT_DICT && i < nodes.dict->n; i++) {
			const struct ventry e_at = vdict_at(nodes.dict, i), *e = &e_at;
			struct gstate_node *n =
			    e->k.type == VT_STR ? map_get(&s->ids, v_as_str(e->k)) : NULL;
			if (n && e->v.type == VT_DICT) {
				n->vars = e->v;
				s->has_vars = true;
			}
		}
		/* v2 leaves out the nodes that read no var */
		const char *version = dstr(dget(root, "metadata"), "silt_schema_version");
		if (version && !strcmp(version, NODE_VARS_VERSION)) {
			for (uint32_t i = 0; i < s->n; i++)
				if (s->v[i]->table == GTAB_NODES && s->v[i]->vars.type != VT_DICT)
					s->v[i]->vars = s->empty;
			s->has_vars = true;
		}
	}
	*out = s;
	return 0;
fail:
	gstate_free(s);
	return -1;
}

/* ---- var() / env_var() names a node reads ---- */

struct varscan {
	struct arena *a;
	value out; /* dict "var.x" -> value */
	const struct gnode *g;
	graph_var_fn lookup;
	void *ud;
};

static void add_var(struct varscan *vs, bool env, struct str name)
{
	char *key = arena_printf(vs->a, "%s.%.*s", env ? "env_var" : "var", (int)name.n, name.p);
	value have;
	if (vdict_gets(vs->out.dict, str_from(key), &have))
		return;
	value v = v_none();
	struct buf b = BUF_INIT;
	if (vs->lookup(vs->ud, vs->g, env, name, &v) == 1) {
		if (env) { /* values of the environment are kept as digests, never in clear */
			char hex[65];
			struct str sv = v.type == VT_STR ? v_as_str(v) : str_make("", 0);
			sha256_hex(sv.p, sv.n, hex);
			buf_printf(&b, "sha256:%s", hex);
		} else {
			v_to_repr(v, &b);
		}
		v = v_strdup(vs->a, buf_cstr(&b), b.n);
	}
	buf_release(&b);
	vdict_sets(vs->out.dict, key, v);
}

/* Every var('name') / env_var("NAME") with a literal first argument in text; whether it has
 * one (with vs->a NULL, only whether). */
static bool scan_text(struct varscan *vs, struct str t)
{
	bool found = false;
	for (size_t i = 0; i + 4 < t.n; i++) {
		/* "var" found from its 'v' (memchr; glibc's memmem sets up a two-way search for
		 * every call: ~770 instructions a node) */
		const char *at = memchr(t.p + i, 'v', t.n - i - 4);
		if (!at)
			break;
		i = (size_t)(at - t.p);
		if (at[1] != 'a' || at[2] != 'r')
			continue;
		bool env = i >= 4 && !memcmp(t.p + i - 4, "env_", 4) &&
		           (i == 4 || !char_is_word(t.p[i - 5]));
		if (!env && i > 0 && char_is_word(t.p[i - 1]))
			continue;
		size_t j = i + 3;
		while (j < t.n && (t.p[j] == ' ' || t.p[j] == '\t' || t.p[j] == '\n'))
			j++;
		if (j >= t.n || t.p[j] != '(')
			continue;
		j++;
		while (j < t.n && (t.p[j] == ' ' || t.p[j] == '\t' || t.p[j] == '\n'))
			j++;
		if (j >= t.n || (t.p[j] != '\'' && t.p[j] != '"'))
			continue;
		char q = t.p[j];
		const char *start = t.p + j + 1, *end = memchr(start, q, t.n - j - 1);
		if (!end || memchr(start, '\n', (size_t)(end - start)))
			continue;
		if (!vs->a) /* a probe: whether there is one */
			return true;
		add_var(vs, env, str_make(start, (size_t)(end - start)));
		found = true;
		i = (size_t)(end - t.p);
	}
	return found;
}

/* scan_text over every string in v; whether one had a var (a probe stops at the first). */
static bool scan_value(struct varscan *vs, value v, int depth)
{
	if (depth > 32)
		return false;
	if (v.type == VT_STR)
		return scan_text(vs, v_as_str(v));
	uint32_t n = v.type == VT_LIST ? v.list->n : v.type == VT_DICT ? v.dict->n : 0;
	bool found = false;
	for (uint32_t i = 0; i < n && !(found && !vs->a); i++)
		found |= scan_value(vs, v.type == VT_LIST ? v.list->v[i] : v.dict->v[i], depth + 1);
	return found;
}

static void scan_macros(struct varscan *vs, const struct gmanifest *m, const char *const *ids,
                        uint32_t n, struct map *seen, int depth)
{
	for (uint32_t i = 0; i < n && depth < 64; i++) {
		bool created;
		map_slot(seen, str_from(ids[i]), &created);
		if (!created)
			continue;
		struct gmacro *mc = graph_find_macro(m, str_from(ids[i]));
		if (!mc)
			continue;
		if (!mc->no_vars && !scan_text(vs, str_from(dstr(mc->raw, "macro_sql"))))
			mc->no_vars = true;
		scan_macros(vs, m, mc->macros, mc->nmacros, seen, depth + 1);
	}
}

/* Whether no macro reachable from mc reads a var: remembered per macro, except for the macros
 * whose answer depended on one still being worked out (a cycle), which may be asked again. */
enum { Q_UNKNOWN, Q_QUIET, Q_LOUD, Q_OPEN };

static bool own_text_quiet(struct gmacro *mc)
{
	if (!mc->no_vars) {
		struct varscan probe = {0};
		mc->no_vars = !scan_text(&probe, str_from(dstr(mc->raw, "macro_sql")));
	}
	return mc->no_vars;
}

static int closure_quiet(const struct gmanifest *m, struct gmacro *mc, bool *cycle, int depth)
{
	if (mc->quiet == Q_QUIET || mc->quiet == Q_LOUD)
		return mc->quiet;
	if (mc->quiet == Q_OPEN) {
		*cycle = true;
		return Q_QUIET;
	}
	if (depth > 64 || !own_text_quiet(mc))
		return mc->quiet = Q_LOUD;
	mc->quiet = Q_OPEN;
	bool mine = false;
	int q = Q_QUIET;
	for (uint32_t i = 0; i < mc->nmacros && q == Q_QUIET; i++) {
		struct gmacro *c = graph_find_macro(m, str_from(mc->macros[i]));
		if (c)
			q = closure_quiet(m, c, &mine, depth + 1);
	}
	if (q == Q_LOUD)
		return mc->quiet = Q_LOUD;
	mc->quiet = mine ? Q_UNKNOWN : Q_QUIET;
	*cycle |= mine;
	return Q_QUIET;
}

bool graph_reads_var(value v)
{
	struct varscan probe = {0};
	return scan_value(&probe, v, 0);
}

bool graph_macros_read_vars(const struct gmanifest *m, const char *const *ids, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct gmacro *mc = graph_find_macro(m, str_from(ids[i]));
		bool cycle = false;
		if (mc && closure_quiet(m, mc, &cycle, 0) != Q_QUIET)
			return true;
	}
	return false;
}

value graph_node_vars(struct arena *a, const struct gmanifest *m, const struct gnode *g,
                      graph_var_fn lookup, void *ud)
{
	struct varscan vs = {a, v_dict(a, 0), g, lookup, ud}; /* most nodes read no var */
	const char *raw = dstr(g->raw, "raw_code");
	if (raw)
		scan_text(&vs, str_from(raw));
	scan_value(&vs, dget(g->raw, "unrendered_config"), 0);
	/* most nodes call only macros that read no var, directly or not */
	if (graph_macros_read_vars(m, g->macros, g->nmacros)) {
		struct map seen;
		map_init(&seen);
		scan_macros(&vs, m, g->macros, g->nmacros, &seen, 0);
		map_release(&seen);
	}
	return vs.out;
}

/* ---- deferral ---- */

const struct gstate_node *graph_defer_node(const struct gdefer *df, const struct gnode *g)
{
	if (!df || !df->state)
		return NULL;
	if (g->type != GT_MODEL && g->type != GT_SEED && g->type != GT_SNAPSHOT)
		return NULL;
	if (df->selected && df->selected->bits &&
	    (df->selected->bits[g->idx >> 6] >> (g->idx & 63) & 1))
		return NULL;
	const struct gstate_node *s = gstate_find(df->state, str_from(g->unique_id));
	if (!s || !s->alias || (s->type != GT_MODEL && s->type != GT_SEED && s->type != GT_SNAPSHOT))
		return NULL;
	value mat = dget(s->config, "materialized");
	if (mat.type == VT_STR && str_eqc(v_as_str(mat), "ephemeral"))
		return NULL;
	return s;
}

/* ---- the comparison (state:, result:) ---- */

enum scheck {
	SC_NEW,
	SC_OLD,
	SC_MODIFIED,
	SC_UNMODIFIED,
	SC_BODY,
	SC_CONFIGS,
	SC_PERSISTED,
	SC_RELATION,
	SC_MACROS,
	SC_CONTRACT,
	SC_VARS,
	SC__COUNT
};

static const char *const check_names[SC__COUNT] = {
    "new",
    "old",
    "modified",
    "unmodified",
    "modified.body",
    "modified.configs",
    "modified.persisted_descriptions",
    "modified.relation",
    "modified.macros",
    "modified.contract",
    "modified.vars",
};

struct state_cmp {
	const struct gmanifest *m;
	const struct gstate *old;
	const struct gselect_opts *o;
	struct diag *d;
	struct gstate *cur; /* the current manifest's nodes as state nodes, filled lazily */
	struct gstate_node **by_idx;
	struct map modified_macros; /* unique_id -> (void*)1 */
	bool macros_done;
	struct map macro_deps; /* current macro unique_id -> deps list (scanned when empty) */
	struct map warned;
	bool failed, warned_vars;
	/* the current nodes' digests, by gnode index: state 0 = not yet, 1 = none, 2 = in dig */
	unsigned char (*dig)[32];
	uint8_t *dig_state;
	uint32_t loaded; /* state nodes loaded in full because their digest differed */
	struct buf scratch; /* the digests' serialization */
	bool digests_done;  /* every current node's digest computed (in parallel) */
};

/* Each worker's serialization buffer (precompute_digests). */
struct digest_job {
	struct state_cmp *c;
	struct buf scratch[8];
};

static void digest_one(void *ud, int worker, size_t i)
{
	struct digest_job *j = ud;
	struct state_cmp *c = j->c;
	const struct gnode *g = c->m->nodes[i];
	if (!c->dig_state[g->idx])
		c->dig_state[g->idx] =
		    raw_digest(g->raw, g->table, g->type, c->dig[g->idx], &j->scratch[worker]) ? 2 : 1;
}

/* A state known by digests compares every current node by its digest: they are computed once,
 * on every core, before the first comparison needs one. */
static void precompute_digests(struct state_cmp *c)
{
	c->digests_done = true;
	struct digest_job j = { .c = c };
	int nw = par_cores();
	if (nw > 8)
		nw = 8;
	par_for(c->m->n, nw, 256, digest_one, &j);
	for (int k = 0; k < 8; k++)
		buf_release(&j.scratch[k]);
}

struct state_cmp *graph_state_cmp_new(const struct gmanifest *m, const struct gselect_opts *o,
                                      struct diag *d)
{
	struct state_cmp *c = xcalloc(1, sizeof(*c));
	c->m = m;
	c->old = o->state;
	c->o = o;
	c->d = d;
	c->cur = gstate_new();
	c->by_idx = xcalloc(m->n ? m->n : 1, sizeof(*c->by_idx));
	c->dig = xcalloc(m->n ? m->n : 1, sizeof(*c->dig));
	c->dig_state = xcalloc(m->n ? m->n : 1, 1);
	map_init(&c->modified_macros);
	map_init(&c->macro_deps);
	map_init(&c->warned);
	return c;
}

void graph_state_cmp_free(struct state_cmp *c)
{
	if (!c)
		return;
	gstate_free(c->cur);
	free(c->by_idx);
	free(c->dig);
	free(c->dig_state);
	buf_release(&c->scratch);
	map_release(&c->modified_macros);
	map_release(&c->macro_deps);
	map_release(&c->warned);
	free(c);
}

bool graph_state_cmp_failed(const struct state_cmp *c) { return c->failed; }

static const struct gstate_node *current(struct state_cmp *c, const struct gnode *g)
{
	if (!c->by_idx[g->idx]) { /* by_idx is the index: no map needed */
		struct gstate_node *n = node_new(c->cur, g->unique_id, (enum gtable)g->table,
		                                 (enum gtype)g->type);
		gstate_node_from_dict(c->cur, n, g->raw);
		if (!n->nmacros && g->nmacros) { /* a loader that keeps macros only on the gnode */
			n->macros = g->macros;
			n->nmacros = g->nmacros;
		}
		c->by_idx[g->idx] = n;
	}
	return c->by_idx[g->idx];
}

static void warn_once(struct state_cmp *c, const char *key, const char *fmt, ...)
    SILT_PRINTF(3, 4);
static void warn_once(struct state_cmp *c, const char *key, const char *fmt, ...)
{
	bool created;
	map_slot(&c->warned, str_from(key), &created);
	if (!created)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(c->d, DIAG_WARNING, NULL, 0, 0, NULL, 0, fmt, ap);
	va_end(ap);
}

static bool str_same(const char *x, const char *y)
{
	if (!x || !y)
		return x == y;
	return !strcmp(x, y);
}

/* dbt's compare_key: absent on both sides is equal, on one side a difference. */
static bool same_key(value x, value y, struct str key)
{
	value a, b;
	bool ha = x.type == VT_DICT && vdict_gets(x.dict, key, &a);
	bool hb = y.type == VT_DICT && vdict_gets(y.dict, key, &b);
	if (!ha || !hb)
		return ha == hb;
	return v_equal(a, b);
}

static bool in_list(struct str k, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (str_eqc(k, names[i]))
			return true;
	return false;
}

/* BaseConfig.same_contents over the unrendered configs: every key of either side, except the
 * fields the config class excludes from comparison. */
static bool same_config_keys(value x, value y, const char *const *skip, size_t nskip)
{
	for (int side = 0; side < 2; side++) {
		value d = side ? y : x;
		for (uint32_t i = 0; d.type == VT_DICT && i < d.dict->n; i++) {
			value k = d.dict->k[i];
			if (k.type != VT_STR || in_list(v_as_str(k), skip, nskip))
				continue;
			if (!same_key(x, y, v_as_str(k)))
				return false;
		}
	}
	return true;
}

static const char *const node_excluded[] = {"alias", "schema", "database", "tags", "group"};
static const char *const test_modifiers[] = {
    "severity", "where", "limit", "fail_calc", "warn_if", "error_if", "store_failures",
    "store_failures_as",
};

static bool same_config(const struct gstate_node *n, const struct gstate_node *o)
{
	switch (n->table) {
	case GTAB_NODES:
		if (n->type == GT_TEST) { /* TestConfig: the test modifiers only */
			for (size_t i = 0; i < ARRAY_LEN(test_modifiers); i++)
				if (!same_key(n->unrendered_config, o->unrendered_config,
				              str_from(test_modifiers[i])))
					return false;
			return true;
		}
		return same_config_keys(n->unrendered_config, o->unrendered_config, node_excluded,
		                        ARRAY_LEN(node_excluded));
	case GTAB_SOURCES:
	case GTAB_EXPOSURES:
		return same_config_keys(n->unrendered_config, o->unrendered_config, NULL, 0);
	case GTAB_METRICS:
		return same_config_keys(n->unrendered_config, o->unrendered_config, node_excluded + 4,
		                        1);
	default: /* semantic models, saved queries: the rendered configs */
		return v_equal(n->config, o->config);
	}
}

static bool same_fqn(const struct gstate_node *n, const struct gstate_node *o)
{
	if (n->nfqn != o->nfqn)
		return false;
	for (uint32_t i = 0; i < n->nfqn; i++)
		if (strcmp(n->fqn[i], o->fqn[i]))
			return false;
	return true;
}

static bool persist(const struct gstate_node *n, const char *what)
{
	return v_truthy(or_none(dget(dget(n->config, "persist_docs"), what)));
}

static bool same_persisted_description(const struct gstate_node *n, const struct gstate_node *o)
{
	if (persist(n, "relation") && !str_same(n->description ? n->description : "",
	                                        o->description ? o->description : ""))
		return false;
	if (persist(n, "columns")) {
		/* {name: description} on both sides */
		value x = n->columns, y = o->columns;
		uint32_t nx = x.type == VT_DICT ? x.dict->n : 0, ny = y.type == VT_DICT ? y.dict->n : 0;
		if (nx != ny)
			return false;
		for (uint32_t i = 0; i < nx; i++) {
			value k = x.dict->k[i], other;
			if (!vdict_get(y.dict, k, &other))
				return false;
			if (!v_equal(or_none(dget(x.dict->v[i], "description")),
			             or_none(dget(other, "description"))))
				return false;
		}
	}
	return true;
}

static bool same_database_representation(struct state_cmp *c, const struct gstate_node *n,
                                         const struct gstate_node *o)
{
	if (n->table == GTAB_SOURCES) {
		if (c->o->state_unrendered)
			return v_equal(or_none(dget(n->raw, "unrendered_database")),
			               or_none(dget(o->raw, "unrendered_database"))) &&
			       v_equal(or_none(dget(n->raw, "unrendered_schema")),
			               or_none(dget(o->raw, "unrendered_schema"))) &&
			       str_same(n->alias, o->alias);
		return str_same(n->database, o->database) && str_same(n->schema, o->schema) &&
		       str_same(n->alias, o->alias);
	}
	static const char *const keys[] = {"database", "schema", "alias"};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!v_equal(or_none(dget(n->unrendered_config, keys[i])),
		             or_none(dget(o->unrendered_config, keys[i]))))
			return false;
	return true;
}

static bool same_body(struct state_cmp *c, const struct gstate_node *n, const struct gstate_node *o)
{
	if (n->type != GT_SEED)
		return str_same(n->raw_code, o->raw_code);
	/* seeds compare file checksums; over 1 MiB the checksum is the path */
	bool same = str_same(n->checksum_name, o->checksum_name) && str_same(n->checksum, o->checksum);
	if (str_same(n->checksum_name, "path")) {
		if (!str_same(o->checksum_name, "path"))
			warn_once(c, n->unique_id,
			          "Found a seed (%s.%s) >1MB in size, but the previous state did not. "
			          "Treating it as modified.",
			          n->package, n->name);
		else if (same)
			warn_once(c, n->unique_id,
			          "Found a seed (%s.%s) >1MB in size at the same path, dbt cannot tell "
			          "if it has changed: assuming they are the same",
			          n->package, n->name);
		else
			warn_once(c, n->unique_id,
			          "Found a seed (%s.%s) >1MB in size. The previous file was in a "
			          "different location, assuming it has changed",
			          n->package, n->name);
	}
	return same;
}

/* ---- contracts ---- */

static bool enforces_constraints(const struct gstate_node *n)
{
	value m = dget(n->config, "materialized");
	return m.type == VT_STR && (str_eqc(v_as_str(m), "table") || str_eqc(v_as_str(m), "incremental"));
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* ModelNode.build_contract_checksum, for a side that has none (silt's parser leaves it None):
 * both sides are then computed the same way, so equal contracts stay equal. */
static void contract_checksum(const struct gstate_node *n, char out[65])
{
	struct buf b = BUF_INIT;
	value cols = n->columns;
	uint32_t nc = cols.type == VT_DICT ? cols.dict->n : 0;
	const char **names = xcalloc(nc ? nc : 1, sizeof(char *));
	uint32_t k = 0;
	for (uint32_t i = 0; i < nc; i++)
		if (cols.dict->k[i].type == VT_STR)
			names[k++] = cols.dict->k[i].s;
	qsort(names, k, sizeof(char *), cmp_names);
	for (uint32_t i = 0; i < k; i++) {
		value col;
		vdict_gets(cols.dict, str_from(names[i]), &col);
		buf_printf(&b, "|%s", names[i]);
		v_to_str(or_none(dget(col, "data_type")), &b);
		v_to_repr(or_none(dget(col, "constraints")), &b);
	}
	if (enforces_constraints(n)) {
		v_to_str(or_none(dget(n->config, "materialized")), &b);
		v_to_repr(n->constraints, &b);
	}
	sha256_hex(b.p ? b.p : "", b.n, out);
	free(names);
	buf_release(&b);
}

/* A data type's base: lower case, without "(size)" — dbt does not call varchar(10) →
 * varchar(20) or VARCHAR → varchar breaking. */
static void base_type(value t, struct buf *out)
{
	buf_reset(out);
	if (t.type != VT_STR)
		return;
	for (uint32_t i = 0; i < t.len && t.s[i] != '('; i++)
		buf_putc(out, (char)(t.s[i] >= 'A' && t.s[i] <= 'Z' ? t.s[i] + 32 : t.s[i]));
	while (out->n && out->p[out->n - 1] == ' ')
		out->n--;
}

static bool same_contract(struct state_cmp *c, const struct gstate_node *n,
                          const struct gstate_node *o)
{
	if (n->type != GT_MODEL || o->type != GT_MODEL)
		return true;
	if (!o->contract_enforced && !n->contract_enforced)
		return true;
	if (!o->contract_enforced && n->contract_enforced)
		return false; /* enforced now: a change, not a breaking one */
	if (n->contract_enforced) {
		char x[65], y[65];
		const char *cn = n->contract_checksum, *co = o->contract_checksum;
		if (!cn || !co) {
			contract_checksum(n, x);
			contract_checksum(o, y);
			cn = x, co = y;
		}
		if (!strcmp(cn, co))
			return true;
	}
	/* changed: is it breaking? */
	struct buf why = BUF_INIT, tn = BUF_INIT, to = BUF_INIT;
	if (!n->contract_enforced)
		buf_puts(&why, "\n  - Contract enforcement was removed: Previously, this model had an "
		               "enforced contract. It is no longer configured to enforce its contract, "
		               "and this is a breaking change.");
	value oc = o->columns;
	for (uint32_t i = 0; oc.type == VT_DICT && i < oc.dict->n; i++) {
		value k = oc.dict->k[i], now;
		if (k.type != VT_STR)
			continue;
		if (n->columns.type != VT_DICT || !vdict_get(n->columns.dict, k, &now)) {
			buf_printf(&why, "\n  - Columns were removed: %s", k.s);
			continue;
		}
		base_type(dget(oc.dict->v[i], "data_type"), &to);
		base_type(dget(now, "data_type"), &tn);
		if (!str_eq(buf_str(&to), buf_str(&tn)))
			buf_printf(&why, "\n  - Columns with data_type changes: %s (%s -> %s)", k.s,
			           buf_cstr(&to), buf_cstr(&tn));
	}
	if (enforces_constraints(o) && !enforces_constraints(n) &&
	    (v_truthy(o->constraints) || buf_cstr(&why)[0]))
		buf_printf(&why, "\n  - Materialization changed with enforced constraints: %s -> %s",
		           v_item_str(o->config, "materialized"), v_item_str(n->config, "materialized"));
	if (why.n) {
		const char *ofp = dstr(n->raw, "original_file_path");
		if (n->version.type == VT_NONE)
			diag_add(c->d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
			         "Breaking change to contracted, unversioned model %s (%s)\nWhile "
			         "comparing to previous project state, dbt detected a breaking change "
			         "to an unversioned model.%s",
			         n->name, ofp ? ofp : "", buf_cstr(&why));
		else {
			diag_add(c->d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "Breaking change to contract for %s (%s)\nWhile comparing to previous "
			         "project state, dbt detected a breaking change to an enforced "
			         "contract.%s\nConsider making an additive (non-breaking) change "
			         "instead, if possible.\nOtherwise, create a new model version: "
			         "https://docs.getdbt.com/docs/collaborate/govern/model-versions",
			         n->name, ofp ? ofp : "", buf_cstr(&why));
			c->failed = true;
		}
	}
	buf_release(&why);
	buf_release(&tn);
	buf_release(&to);
	return false;
}

/* ---- macros ---- */

/* The macro ids a current macro calls: its depends_on.macros, or, when the loader left them
 * empty, the names called in its macro_sql that name a macro (its own package, the root
 * project, then dbt's). */
static void macro_deps(struct state_cmp *c, const struct gmacro *mc, const char *const **out,
                       uint32_t *n)
{
	if (mc->nmacros) {
		*out = mc->macros;
		*n = mc->nmacros;
		return;
	}
	struct deps {
		const char **v;
		uint32_t n;
	} *kept = map_get(&c->macro_deps, str_from(mc->unique_id));
	if (!kept) {
		VEC(const char *) found = {0};
		struct str t = str_from(dstr(mc->raw, "macro_sql"));
		struct buf id = BUF_INIT;
		for (size_t i = 0; i < t.n; i++) {
			if (!char_is_word(t.p[i]) || (i && (char_is_word(t.p[i - 1]) || t.p[i - 1] == '.')))
				continue;
			size_t j = i;
			while (j < t.n && (char_is_word(t.p[j]) || t.p[j] == '.'))
				j++;
			size_t k = j;
			while (k < t.n && t.p[k] == ' ')
				k++;
			if (k >= t.n || t.p[k] != '(') {
				i = j;
				continue;
			}
			struct str name = str_make(t.p + i, j - i);
			const char *dot = memchr(name.p, '.', name.n);
			const char *pkgs[3] = {mc->package, c->m->project_name, "dbt"};
			const struct gmacro *hit = NULL;
			for (int p = 0; p < 3 && !hit; p++) {
				buf_reset(&id);
				if (dot)
					buf_printf(&id, "macro.%.*s", (int)name.n, name.p);
				else if (pkgs[p])
					buf_printf(&id, "macro.%s.%.*s", pkgs[p], (int)name.n, name.p);
				else
					continue;
				hit = graph_find_macro(c->m, buf_str(&id));
				if (dot)
					break;
			}
			if (hit && hit != mc)
				vec_push(&found, hit->unique_id);
			i = j;
		}
		buf_release(&id);
		kept = arena_zalloc(&c->cur->a, sizeof(*kept));
		kept->v = arena_alloc(&c->cur->a, (found.n ? found.n : 1) * sizeof(char *));
		if (found.n)
			memcpy(kept->v, found.v, found.n * sizeof(char *));
		kept->n = (uint32_t)found.n;
		vec_free(&found);
		map_set(&c->macro_deps, str_from(mc->unique_id), kept);
	}
	*out = kept->v;
	*n = kept->n;
}

static void find_modified_macros(struct state_cmp *c)
{
	if (c->macros_done)
		return;
	c->macros_done = true;
	/* a state that records no macros (an environment whose ingestion kept none) cannot tell a
	 * changed macro from an added one: compare nothing rather than call every caller modified */
	if (!c->old->macro_ids.n)
		return;
	for (uint32_t i = 0; i < c->m->nmacros; i++) {
		const struct gmacro *mc = c->m->macros[i];
		const struct gsmacro *old = map_get(&c->old->macros, str_from(mc->unique_id));
		const char *sql = dstr(mc->raw, "macro_sql");
		if (!old || !str_same(sql ? sql : "", old->sql))
			map_set(&c->modified_macros, str_from(mc->unique_id), (void *)1);
	}
	for (size_t i = 0; i < c->old->macro_ids.n; i++)
		if (!graph_find_macro(c->m, str_from(c->old->macro_ids.v[i])))
			map_set(&c->modified_macros, str_from(c->old->macro_ids.v[i]), (void *)1);
}

static bool macros_modified_rec(struct state_cmp *c, const char *const *ids, uint32_t n,
                                struct map *visited, int depth)
{
	for (uint32_t i = 0; i < n; i++) {
		bool created;
		map_slot(visited, str_from(ids[i]), &created);
		if (!created)
			continue;
		if (map_get(&c->modified_macros, str_from(ids[i])))
			return true;
		const struct gmacro *mc = graph_find_macro(c->m, str_from(ids[i]));
		if (!mc || depth > 256)
			continue;
		const char *const *deps;
		uint32_t nd;
		macro_deps(c, mc, &deps, &nd);
		if (macros_modified_rec(c, deps, nd, visited, depth + 1))
			return true;
	}
	return false;
}

static const struct gstate_node *current(struct state_cmp *c, const struct gnode *g);

static bool macros_modified(struct state_cmp *c, const struct gnode *g)
{
	find_modified_macros(c);
	if (!c->modified_macros.live)
		return false;
	/* the node's own depends_on.macros; building its state node only to read them cost a
	 * dict walk per node */
	const char *const *ids = (const char *const *)g->macros;
	uint32_t nids = g->nmacros;
	if (!nids) {
		const struct gstate_node *n = current(c, g);
		ids = n->macros;
		nids = n->nmacros;
	}
	if (!nids)
		return false;
	struct map visited;
	map_init(&visited);
	bool r = macros_modified_rec(c, ids, nids, &visited, 0);
	map_release(&visited);
	return r;
}

/* ---- same_contents per table ---- */

static bool raw_same(const struct gstate_node *n, const struct gstate_node *o, const char *key)
{
	return v_equal(or_none(dget(n->raw, key)), or_none(dget(o->raw, key)));
}

static bool same_depends_on_set(const struct gstate_node *n, const struct gstate_node *o)
{
	value x = dget(dget(n->raw, "depends_on"), "nodes"), y = dget(dget(o->raw, "depends_on"), "nodes");
	for (int side = 0; side < 2; side++) {
		value a = side ? y : x, b = side ? x : y;
		for (uint32_t i = 0; a.type == VT_LIST && i < a.list->n; i++) {
			bool found = false;
			for (uint32_t k = 0; b.type == VT_LIST && k < b.list->n && !found; k++)
				found = v_equal(a.list->v[i], b.list->v[k]);
			if (!found)
				return false;
		}
	}
	return true;
}

static bool same_contents(struct state_cmp *c, const struct gstate_node *n,
                          const struct gstate_node *o)
{
	switch (n->table) {
	case GTAB_NODES:
		if (!o)
			return false;
		if (n->type == GT_TEST && n->generic_test)
			return same_config(n, o) && same_fqn(n, o);
		{
			bool contract = same_contract(c, n, o); /* always called: it may warn */
			bool same = same_body(c, n, o) && same_config(n, o) &&
			            same_persisted_description(n, o) && same_fqn(n, o) &&
			            same_database_representation(c, n, o) && contract;
			if (same && n->type == GT_MODEL)
				same = v_equal(n->latest_version, o->latest_version) &&
				       str_same(n->access, o->access) &&
				       v_equal(n->deprecation_date, o->deprecation_date);
			return same;
		}
	case GTAB_SOURCES:
		if (!o)
			return true; /* a new source is state:new, not modified */
		return same_database_representation(c, n, o) && same_fqn(n, o) && same_config(n, o) &&
		       raw_same(n, o, "quoting") && raw_same(n, o, "freshness") &&
		       raw_same(n, o, "loaded_at_field") && raw_same(n, o, "external");
	case GTAB_EXPOSURES:
		if (!o)
			return true;
		return same_fqn(n, o) && raw_same(n, o, "type") && raw_same(n, o, "owner") &&
		       raw_same(n, o, "maturity") && raw_same(n, o, "url") &&
		       raw_same(n, o, "description") && raw_same(n, o, "label") &&
		       same_depends_on_set(n, o) && same_config(n, o);
	case GTAB_METRICS:
		if (!o)
			return true;
		return raw_same(n, o, "type") && raw_same(n, o, "description") &&
		       raw_same(n, o, "label") && same_config(n, o);
	case GTAB_SEMANTIC_MODELS:
		if (!o)
			return true;
		return raw_same(n, o, "model") && raw_same(n, o, "description") &&
		       raw_same(n, o, "defaults") && raw_same(n, o, "entities") &&
		       raw_same(n, o, "dimensions") && raw_same(n, o, "measures") &&
		       same_config(n, o) && raw_same(n, o, "primary_entity") && raw_same(n, o, "group");
	case GTAB_SAVED_QUERIES:
		if (!o)
			return true;
		return v_equal(or_none(dget(dget(n->raw, "query_params"), "metrics")),
		               or_none(dget(dget(o->raw, "query_params"), "metrics"))) &&
		       v_equal(or_none(dget(dget(n->raw, "query_params"), "group_by")),
		               or_none(dget(dget(o->raw, "query_params"), "group_by"))) &&
		       v_equal(or_none(dget(dget(n->raw, "query_params"), "where")),
		               or_none(dget(dget(o->raw, "query_params"), "where"))) &&
		       raw_same(n, o, "description") && raw_same(n, o, "label") && same_config(n, o) &&
		       raw_same(n, o, "group");
	default: /* unit tests */
		return o && str_same(n->checksum, o->checksum);
	}
}

/* Which same_* a table's class has (check_modified_factory's hasattr). */
static bool has_check(const struct gstate_node *n, enum scheck k)
{
	if (n->table == GTAB_NODES)
		return true;
	if (k == SC_CONFIGS)
		return n->table != GTAB_UNIT_TESTS;
	if (k == SC_RELATION)
		return n->table == GTAB_SOURCES;
	return false;
}

static bool vars_modified(struct state_cmp *c, const struct gnode *g, const struct gstate_node *o)
{
	if (g->table != GTAB_NODES)
		return false;
	if (!o)
		return true;
	if (o->vars.type != VT_DICT) {
		if (!c->warned_vars)
			diag_add(c->d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
			         "state:modified.vars: %s records no var()/env_var() values (a manifest "
			         "written by dbt has none), so no node is selected as changed by them",
			         c->old->origin);
		c->warned_vars = true;
		return false;
	}
	if (!c->o->node_vars)
		return false;
	value now = c->o->node_vars(c->o->vars_ud, g);
	if (now.type != VT_DICT)
		return false;
	/* a name read now that was not read then (or the reverse) is a change too */
	for (int side = 0; side < 2; side++) {
		value x = side ? o->vars : now;
		for (uint32_t i = 0; i < x.dict->n; i++) {
			if (x.dict->k[i].type != VT_STR)
				continue;
			if (!same_key(now, o->vars, v_as_str(x.dict->k[i])))
				return true;
		}
	}
	return false;
}

int graph_state_check_parse(const char *check, struct diag *d)
{
	for (int i = 0; i < SC__COUNT; i++)
		if (!strcmp(check, check_names[i]))
			return i;
	struct buf b = BUF_INIT;
	for (int i = 0; i < SC__COUNT; i++)
		buf_printf(&b, "%s'%s'", i ? ", " : "", check_names[i]);
	diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
	         "Got an invalid selector \"%s\", expected one of \"[%s]\"", check, buf_cstr(&b));
	buf_release(&b);
	return -1;
}

/* The state node of g for a comparison: *same when it is known by a digest equal to the current
 * node's (then nothing the comparisons read differs), else the node in full — loaded now when
 * it was known by digest only. NULL with c->failed when it cannot be loaded. */
static const struct gstate_node *old_node(struct state_cmp *c, const struct gnode *g,
                                          const struct gstate_node *o, bool *same)
{
	*same = false;
	if (!o || !o->digest)
		return o;
	if (!c->digests_done)
		precompute_digests(c);
	if (!c->dig_state[g->idx])
		c->dig_state[g->idx] =
		    raw_digest(g->raw, g->table, g->type, c->dig[g->idx], &c->scratch) ? 2 : 1;
	if (c->dig_state[g->idx] == 2 && !memcmp(c->dig[g->idx], o->digest, 32)) {
		*same = true;
		return o;
	}
	struct gstate *st = (struct gstate *)c->old; /* loading fills a cache: the state is the same */
	struct gstate_node *x = (struct gstate_node *)o;
	if (!st->load || st->load(st->load_ud, st, x, c->d) < 0 || x->digest) {
		if (!st->load)
			diag_add(c->d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "%s: node %s is known by its digest only and cannot be loaded",
			         st->origin, o->unique_id);
		c->failed = true;
		return NULL;
	}
	c->loaded++;
	return o;
}

bool graph_state_check(struct state_cmp *c, int which, const struct gnode *g)
{
	if (c->failed)
		return false;
	const struct gstate_node *o = gstate_find(c->old, str_from(g->unique_id));
	bool same = false;
	switch ((enum scheck)which) {
	case SC_NEW:
		return !o;
	case SC_OLD:
		return o != NULL;
	case SC_MACROS:
		return macros_modified(c, g);
	case SC_VARS:
		return vars_modified(c, g, o);
	default:
		break;
	}
	o = old_node(c, g, o, &same);
	if (c->failed)
		return false;
	if (same) /* nothing but the macros can differ */
		return which == SC_MODIFIED     ? macros_modified(c, g)
		       : which == SC_UNMODIFIED ? !macros_modified(c, g)
		                                : false;
	const struct gstate_node *n = current(c, g);
	switch ((enum scheck)which) {
	case SC_MODIFIED:
	case SC_UNMODIFIED: {
		bool mod = !same_contents(c, n, o) || macros_modified(c, g);
		return which == SC_MODIFIED ? mod : !mod;
	}
	case SC_BODY:
		return has_check(n, SC_BODY) && (!o || !same_body(c, n, o));
	case SC_CONFIGS:
		return has_check(n, SC_CONFIGS) && (!o || !same_config(n, o));
	case SC_PERSISTED:
		return has_check(n, SC_PERSISTED) && (!o || !same_persisted_description(n, o));
	case SC_RELATION:
		return has_check(n, SC_RELATION) && (!o || !same_database_representation(c, n, o));
	case SC_CONTRACT:
		return has_check(n, SC_CONTRACT) && (!o || !same_contract(c, n, o));
	default:
		return false;
	}
}

bool graph_state_has_results(const struct gstate *s) { return s && s->has_results; }

const char *graph_state_result(const struct gstate *s, const char *unique_id)
{
	return map_get(&s->results, str_from(unique_id));
}
