/* catalog.json v1 (dbt docs generate): the warehouse's relations in the schemas the manifest
 * uses, with their columns, keyed by the unique ids of the nodes and sources that name them. */
#include "artifacts/artifacts.h"

#include <ctype.h>

struct gnode_list {
	const struct gnode **v;
	size_t n, cap;
};

static const char *dstr(value d, const char *k)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &v) && v.type == VT_STR)
		return v.s;
	return NULL;
}

static bool is_ephemeral(const struct gnode *g)
{
	value c = g->config, m;
	return c.type == VT_DICT && vdict_gets(c.dict, STR("materialized"), &m) && m.type == VT_STR &&
	       str_eqc(v_as_str(m), "ephemeral");
}

/* dbt's is_relational and not ephemeral: what may have a relation in the warehouse. */
static bool catalogable(const struct gnode *g)
{
	if (!g->enabled)
		return false;
	if (g->type == GT_SOURCE)
		return true;
	return (g->type == GT_MODEL && !is_ephemeral(g)) || g->type == GT_SEED ||
	       g->type == GT_SNAPSHOT;
}

/* "database\x1fschema\x1fname", lowercased: dbt's CatalogKey, matched case-insensitively. */
static const char *rel_key(struct arena *a, const char *db, const char *schema, const char *name)
{
	char *k = arena_printf(a, "%s\x1f%s\x1f%s", db ? db : "", schema, name);
	for (char *s = k; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	return k;
}

int artifacts_catalog_query(struct adapter_conn *c, const struct gmanifest *m, struct arena *a,
                            struct adapter_catalog_rel **rels, size_t *nrels, value *errors,
                            struct diag *d)
{
	*rels = NULL;
	*nrels = 0;
	*errors = v_none();
	/* the (database, schema) pairs, in manifest order, each once (case-insensitively) */
	struct map seen;
	map_init(&seen);
	VEC(const char *) dbs = {0};
	VEC(const char *) schemas = {0}; /* parallel to sdb */
	VEC(const char *) sdb = {0};
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		if (!catalogable(g))
			continue;
		const char *db = dstr(g->raw, "database"), *schema = dstr(g->raw, "schema");
		if (!schema)
			continue;
		const char *k = rel_key(a, db, schema, "");
		if (map_has(&seen, str_from(k)))
			continue;
		map_set(&seen, str_from(k), (void *)1);
		const char *dbk = rel_key(a, db, "", "");
		bool known = false;
		for (size_t j = 0; j < dbs.n; j++)
			known |= strcmp(rel_key(a, dbs.v[j], "", ""), dbk) == 0;
		if (!known)
			vec_push(&dbs, db);
		vec_push(&schemas, schema);
		vec_push(&sdb, dbk);
	}
	VEC(struct adapter_catalog_rel) all = {0};
	value errs = v_list(a, 0);
	for (size_t j = 0; j < dbs.n; j++) {
		const char *dbk = rel_key(a, dbs.v[j], "", "");
		const char **list = arena_alloc(a, (schemas.n + 1) * sizeof(char *));
		size_t n = 0;
		for (size_t s = 0; s < schemas.n; s++)
			if (!strcmp(sdb.v[s], dbk))
				list[n++] = schemas.v[s];
		struct adapter_catalog_rel *got;
		size_t ngot;
		struct diag one;
		diag_init(&one);
		if (adapter_catalog(c, dbs.v[j], list, n, false, a, &got, &ngot, &one) < 0) {
			/* dbt collects a failing query as a catalog error and goes on */
			for (size_t e = 0; e < one.msgs.n; e++)
				if (one.msgs.v[e].level == DIAG_ERROR)
					vlist_push(errs.list, v_strdup(a, one.msgs.v[e].msg,
					                               strlen(one.msgs.v[e].msg)));
		} else {
			for (size_t r = 0; r < ngot; r++)
				vec_push(&all, got[r]);
			for (size_t e = 0; e < one.msgs.n; e++)
				diag_add(d, one.msgs.v[e].level, NULL, 0, 0, NULL, 0, "%s",
				         one.msgs.v[e].msg);
		}
		diag_release(&one);
	}
	if (errs.list->n)
		*errors = errs;
	if (all.n) {
		*rels = arena_alloc(a, all.n * sizeof(**rels));
		memcpy(*rels, all.v, all.n * sizeof(**rels));
		*nrels = all.n;
	}
	vec_free(&all);
	vec_free(&dbs);
	vec_free(&schemas);
	vec_free(&sdb);
	map_release(&seen);
	return 0;
}

static value has_stats(struct arena *a)
{
	value st = v_dict(a, 1), hs = v_dict(a, 5);
	vdict_sets(hs.dict, "id", v_cstr("has_stats"));
	vdict_sets(hs.dict, "label", v_cstr("Has Stats?"));
	vdict_sets(hs.dict, "value", v_bool(false));
	vdict_sets(hs.dict, "include", v_bool(false));
	vdict_sets(hs.dict, "description",
	           v_cstr("Indicates whether there are statistics for this table"));
	vdict_sets(st.dict, "has_stats", hs);
	return st;
}

/* One CatalogTable: metadata, columns, stats, unique_id. */
static value table_entry(struct arena *a, const struct adapter_catalog_rel *r, const char *uid)
{
	value t = v_dict(a, 4), md = v_dict(a, 6), cols = v_dict(a, (uint32_t)r->ncols + 1);
	vdict_sets(md.dict, "type", v_cstr(r->type_label ? r->type_label : ""));
	vdict_sets(md.dict, "schema", v_cstr(r->rel.schema ? r->rel.schema : ""));
	vdict_sets(md.dict, "name", v_cstr(r->rel.identifier ? r->rel.identifier : ""));
	vdict_sets(md.dict, "database", r->rel.database ? v_cstr(r->rel.database) : v_none());
	vdict_sets(md.dict, "comment", v_none());
	vdict_sets(md.dict, "owner", v_none());
	for (size_t i = 0; i < r->ncols; i++) {
		const struct adapter_column *c = &r->cols[i];
		value col = v_dict(a, 4);
		vdict_sets(col.dict, "type", v_cstr(c->type ? c->type : ""));
		vdict_sets(col.dict, "index", v_int(c->index));
		vdict_sets(col.dict, "name", v_cstr(c->name));
		vdict_sets(col.dict, "comment", v_none());
		vdict_set(cols.dict, v_cstr(c->name), col);
	}
	vdict_sets(t.dict, "metadata", md);
	vdict_sets(t.dict, "columns", cols);
	vdict_sets(t.dict, "stats", has_stats(a));
	vdict_sets(t.dict, "unique_id", v_cstr(uid));
	return t;
}

static bool selected(const uint64_t *bits, const struct gnode *g)
{
	return !bits || (bits[g->idx / 64] >> (g->idx % 64) & 1);
}

value artifacts_catalog(struct arena *a, const struct gmanifest *m,
                        const struct adapter_catalog_rel *rels, size_t nrels,
                        const uint64_t *selected_bits, value errors, const struct catalog_meta *cm)
{
	/* dbt's get_unique_id_mapping: a relation key names one node (the last one wins) and
	 * any number of sources */
	struct map node_map, source_map;
	map_init(&node_map);
	map_init(&source_map);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct gnode *g = m->nodes[i];
		bool src = g->table == GTAB_SOURCES;
		if (g->table != GTAB_NODES && !src)
			continue;
		const char *schema = dstr(g->raw, "schema");
		const char *name = dstr(g->raw, src ? "identifier" : "alias");
		if (!schema || !name)
			continue;
		const char *k = rel_key(a, dstr(g->raw, "database"), schema, name);
		if (!src) {
			map_set(&node_map, str_from(k), (void *)g);
			continue;
		}
		bool created;
		void **slot = map_slot(&source_map, str_from(k), &created);
		struct gnode_list *list = *slot;
		if (!list) {
			list = arena_zalloc(a, sizeof(*list));
			*slot = list;
		}
		vec_push(list, g);
	}

	value nodes = v_dict(a, 16), sources = v_dict(a, 16);
	for (size_t i = 0; i < nrels; i++) {
		const struct adapter_catalog_rel *r = &rels[i];
		const char *k = rel_key(a, r->rel.database, r->rel.schema ? r->rel.schema : "",
		                        r->rel.identifier ? r->rel.identifier : "");
		const struct gnode *g = map_get(&node_map, str_from(k));
		if (g && selected(selected_bits, g))
			vdict_sets(nodes.dict, g->unique_id, table_entry(a, r, g->unique_id));
		struct gnode_list *list = map_get(&source_map, str_from(k));
		for (size_t j = 0; list && j < list->n; j++)
			if (selected(selected_bits, list->v[j]))
				vdict_sets(sources.dict, list->v[j]->unique_id,
				           table_entry(a, r, list->v[j]->unique_id));
	}
	for (size_t i = 0; i < source_map.n; i++) {
		struct gnode_list *list = source_map.e[i].val;
		if (source_map.e[i].key.p && list)
			vec_free(list);
	}
	map_release(&node_map);
	map_release(&source_map);

	value top = v_dict(a, 4), meta = v_dict(a, 6);
	const char *now = artifacts_now_iso(a);
	vdict_sets(meta.dict, "dbt_schema_version",
	           v_cstr("https://schemas.getdbt.com/dbt/catalog/v1.json"));
	vdict_sets(meta.dict, "dbt_version", v_cstr(ARTIFACTS_DBT_VERSION));
	vdict_sets(meta.dict, "generated_at", v_cstr(now));
	vdict_sets(meta.dict, "invocation_id",
	           v_cstr(cm && cm->invocation_id ? cm->invocation_id : artifacts_uuid4(a)));
	vdict_sets(meta.dict, "invocation_started_at",
	           v_cstr(cm && cm->started_at ? cm->started_at : now));
	vdict_sets(meta.dict, "env", cm && cm->env.type == VT_DICT ? cm->env : v_dict(a, 0));
	vdict_sets(top.dict, "metadata", meta);
	vdict_sets(top.dict, "nodes", nodes);
	vdict_sets(top.dict, "sources", sources);
	vdict_sets(top.dict, "errors", errors.type == VT_LIST ? errors : v_none());
	return top;
}
