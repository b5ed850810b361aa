/* Relation objects: what ref(), source(), this, api.Relation.create() and adapter.get_relation()
 * return. They print as the adapter renders a relation name (SQLite: "main"."staging__orders"),
 * or as ANSI "database"."schema"."identifier" when no adapter is attached, and carry dbt's
 * attributes and methods: database/schema/identifier/name/table/type, is_table/is_view/is_cte,
 * incorporate(), include(), render(), quote(), replace_path(), without_identifier(). */
#include "adapter/adapter.h"
#include "compile_int.h"

struct dbt_rel {
	value database, schema, identifier, type; /* str or none */
	unsigned omit;                            /* rel_omit bits (include(...=False)) */
	const struct adapter *ad;                 /* renders the name; NULL = ANSI */
	value rendered; /* the name as the manifest gives it (no adapter attached), or undef */
};

static const struct vclass relation_class;

/* A copy of `from`; a changed relation (incorporate, include, ...) renders itself again. */
static value rel_new(struct arena *a, const struct dbt_rel *from)
{
	struct dbt_rel *r = arena_alloc(a, sizeof(*r));
	*r = *from;
	r->rendered = v_undef();
	return v_obj(a, &relation_class, r);
}

value dbt_relation(struct arena *a, const struct adapter *ad, value database, value schema,
                   value identifier, value type)
{
	struct dbt_rel r = { database, schema, identifier, type, 0, ad, v_undef() };
	return rel_new(a, &r);
}

value dbt_relation_named(struct arena *a, value database, value schema, value identifier,
                         value rendered)
{
	value v = dbt_relation(a, NULL, database, schema, identifier, v_none());
	((struct dbt_rel *)v.obj->data)->rendered = rendered;
	return v;
}

bool dbt_relation_parts(value v, value *database, value *schema, value *identifier, value *type)
{
	if (v.type != VT_OBJ || v.obj->cls != &relation_class)
		return false;
	const struct dbt_rel *r = v.obj->data;
	if (database)
		*database = r->database;
	if (schema)
		*schema = r->schema;
	if (identifier)
		*identifier = r->identifier;
	if (type)
		*type = r->type;
	return true;
}

static const char *part(struct arena *a, value v)
{
	if (v.type != VT_STR)
		return NULL;
	return arena_strndup(a, v.s, v.len);
}

bool dbt_relation_to_adapter(value v, struct arena *a, struct relation *out)
{
	if (v.type != VT_OBJ || v.obj->cls != &relation_class)
		return false;
	const struct dbt_rel *r = v.obj->data;
	memset(out, 0, sizeof(*out));
	out->database = part(a, r->database);
	out->schema = part(a, r->schema);
	out->identifier = part(a, r->identifier);
	out->type = REL_UNKNOWN;
	if (r->type.type == VT_STR) {
		struct str t = v_as_str(r->type);
		if (str_eqc(t, "table"))
			out->type = REL_TABLE;
		else if (str_eqc(t, "view"))
			out->type = REL_VIEW;
		else if (str_eqc(t, "materialized_view"))
			out->type = REL_MATERIALIZED_VIEW;
		else if (str_eqc(t, "cte"))
			out->type = REL_CTE;
	}
	out->omit = r->omit;
	return true;
}

static void put_quoted(struct buf *out, value v)
{
	buf_putc(out, '"');
	for (uint32_t i = 0; i < v.len; i++) {
		if (v.s[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, v.s[i]);
	}
	buf_putc(out, '"');
}

static void rel_str(value self, struct buf *out)
{
	const struct dbt_rel *r = self.obj->data;
	if (r->rendered.type == VT_STR) {
		buf_append(out, r->rendered.s, r->rendered.len);
		return;
	}
	bool cte = r->type.type == VT_STR && str_eqc(v_as_str(r->type), "cte");
	if (r->ad && !cte && r->identifier.type == VT_STR) {
		struct arena a;
		arena_init(&a);
		struct relation rel;
		dbt_relation_to_adapter(self, &a, &rel);
		adapter_render_relation(r->ad, &rel, out);
		arena_release(&a);
		return;
	}
	if (cte) { /* an ephemeral model's CTE name, bare */
		if (r->identifier.type == VT_STR)
			buf_append(out, r->identifier.s, r->identifier.len);
		return;
	}
	const value parts[3] = { r->omit & REL_OMIT_DATABASE ? v_none() : r->database,
		                 r->omit & REL_OMIT_SCHEMA ? v_none() : r->schema, r->identifier };
	bool first = true;
	for (int i = 0; i < 3; i++) {
		if (parts[i].type != VT_STR || !parts[i].len)
			continue;
		if (!first)
			buf_putc(out, '.');
		put_quoted(out, parts[i]);
		first = false;
	}
}

static void rel_repr(value self, struct buf *out)
{
	buf_puts(out, "<SQLiteRelation ");
	rel_str(self, out);
	buf_putc(out, '>');
}

static bool type_is(const struct dbt_rel *r, const char *t)
{
	return r->type.type == VT_STR && str_eqc(v_as_str(r->type), t);
}

/* Reads database/schema/identifier from a path dict or keyword arguments into r. */
static int take_path(struct jstate *st, struct dbt_rel *r, value dict, const struct vargs *args)
{
	static const char *const names[3] = { "database", "schema", "identifier" };
	value *slots[3] = { &r->database, &r->schema, &r->identifier };
	for (int i = 0; i < 3; i++) {
		value v;
		if (dict.type == VT_DICT && vdict_gets(dict.dict, str_from(names[i]), &v))
			*slots[i] = v;
		if (args && jinja_arg(args, UINT32_MAX, names[i], &v))
			*slots[i] = v;
	}
	for (int i = 0; i < 3; i++)
		if (slots[i]->type != VT_STR && slots[i]->type != VT_NONE && slots[i]->type != VT_UNDEF)
			return jinja_error(st, "relation %s must be a string, got %s", names[i],
			                   v_type_name(*slots[i]));
	for (int i = 0; i < 3; i++)
		if (slots[i]->type == VT_UNDEF)
			*slots[i] = v_none();
	return 0;
}

static int m_incorporate(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	struct dbt_rel r = *(const struct dbt_rel *)self.obj->data;
	value path = v_undef(), type;
	jinja_arg(args, 0, "path", &path);
	if (take_path(st, &r, path, NULL) < 0)
		return -1;
	if (jinja_arg(args, 1, "type", &type))
		r.type = type.type == VT_OBJ ? jinja_str_value(st, type) : type;
	*out = rel_new(jinja_arena(st), &r);
	return 0;
}

static int m_include(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	struct dbt_rel r = *(const struct dbt_rel *)self.obj->data;
	value v;
	if (jinja_arg(args, 0, "database", &v))
		r.omit = v_truthy(v) ? r.omit & ~(unsigned)REL_OMIT_DATABASE : r.omit | REL_OMIT_DATABASE;
	if (jinja_arg(args, 1, "schema", &v))
		r.omit = v_truthy(v) ? r.omit & ~(unsigned)REL_OMIT_SCHEMA : r.omit | REL_OMIT_SCHEMA;
	*out = rel_new(jinja_arena(st), &r);
	return 0;
}

static int m_replace_path(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	struct dbt_rel r = *(const struct dbt_rel *)self.obj->data;
	if (take_path(st, &r, v_undef(), args) < 0)
		return -1;
	*out = rel_new(jinja_arena(st), &r);
	return 0;
}

static int m_without_identifier(struct jstate *st, void *data, value self, const struct vargs *args,
                                value *out)
{
	(void)data;
	(void)args;
	struct dbt_rel r = *(const struct dbt_rel *)self.obj->data;
	r.identifier = v_none();
	*out = rel_new(jinja_arena(st), &r);
	return 0;
}

static int m_render(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)args;
	struct buf b = BUF_INIT;
	rel_str(self, &b);
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	return 0;
}

static int m_self(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)data;
	(void)args;
	*out = self; /* quote(...): silt quotes every part already */
	return 0;
}

static const struct {
	const char *name;
	vfunc_fn fn;
} rel_methods[] = {
	{ "incorporate", m_incorporate },   { "include", m_include },
	{ "replace_path", m_replace_path }, { "without_identifier", m_without_identifier },
	{ "render", m_render },             { "quote", m_self },
	{ "information_schema", m_self },
};

static int rel_getattr(struct jstate *st, value self, struct str name, value *out)
{
	const struct dbt_rel *r = self.obj->data;
	if (str_eqc(name, "database"))
		*out = r->database;
	else if (str_eqc(name, "schema"))
		*out = r->schema;
	else if (str_eqc(name, "identifier") || str_eqc(name, "name") || str_eqc(name, "table"))
		*out = r->identifier;
	else if (str_eqc(name, "type"))
		*out = r->type;
	else if (str_eqc(name, "is_table"))
		*out = v_bool(type_is(r, "table"));
	else if (str_eqc(name, "is_view"))
		*out = v_bool(type_is(r, "view"));
	else if (str_eqc(name, "is_cte"))
		*out = v_bool(type_is(r, "cte"));
	else if (str_eqc(name, "is_materialized_view"))
		*out = v_bool(type_is(r, "materialized_view"));
	else if (str_eqc(name, "path")) {
		value d = v_dict(jinja_arena(st), 3);
		vdict_sets(d.dict, "database", r->database);
		vdict_sets(d.dict, "schema", r->schema);
		vdict_sets(d.dict, "identifier", r->identifier);
		*out = d;
	} else {
		for (size_t i = 0; i < ARRAY_LEN(rel_methods); i++)
			if (str_eqc(name, rel_methods[i].name)) {
				*out = v_func(jinja_arena(st), rel_methods[i].name, rel_methods[i].fn, NULL, self);
				return 1;
			}
		return 0;
	}
	return 1;
}

static bool part_equal(value a, value b)
{
	if (a.type != VT_STR || b.type != VT_STR)
		return a.type == b.type || ((a.type == VT_NONE || a.type == VT_UNDEF) &&
		                            (b.type == VT_NONE || b.type == VT_UNDEF));
	return a.len == b.len && strncasecmp(a.s, b.s, a.len) == 0;
}

static bool rel_equal(value a, value b)
{
	if (b.type != VT_OBJ || b.obj->cls != &relation_class)
		return false;
	const struct dbt_rel *x = a.obj->data, *y = b.obj->data;
	return part_equal(x->database, y->database) && part_equal(x->schema, y->schema) &&
	       part_equal(x->identifier, y->identifier);
}

static const struct vclass relation_class = { .name = "Relation",
	                                      .getattr = rel_getattr,
	                                      .str = rel_str,
	                                      .repr = rel_repr,
	                                      .equal = rel_equal };

/* ---- api.Relation: create() ---- */

static int api_create(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_rel r = { v_none(), v_none(), v_none(), v_none(), 0, dbt_render_adapter(st), v_undef() };
	if (take_path(st, &r, v_undef(), args) < 0)
		return -1;
	for (uint32_t i = 0; i < args->npos && i < 3; i++) {
		value *slots[3] = { &r.database, &r.schema, &r.identifier };
		*slots[i] = args->pos[i];
	}
	value t;
	if (jinja_arg(args, UINT32_MAX, "type", &t))
		r.type = t;
	*out = rel_new(jinja_arena(st), &r);
	return 0;
}

value dbt_api_namespace(struct arena *a)
{
	value relation = v_dict(a, 2);
	relation.flags = VF_NAMESPACE;
	vdict_sets(relation.dict, "create", v_func(a, "create", api_create, NULL, v_undef()));
	value api = v_dict(a, 2);
	api.flags = VF_NAMESPACE;
	vdict_sets(api.dict, "Relation", relation);
	return api;
}
