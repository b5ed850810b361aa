/* The execute-phase context against a warehouse: what materializations, hooks, tests and
 * run_query need — adapter.execute/get_columns_in_relation/drop_relation/rename_relation/...,
 * store_result/load_result, write(), render() — over one connection (struct dbt_runtime). Without
 * a runtime (parse, compile without a connection) the relation methods answer as dbt's parse
 * phase does: no relation, no columns, and nothing runs. */
#include "adapter/adapter.h"
#include "compile_int.h"

static struct dbt_render *R(struct jstate *st) { return jinja_userdata(st); }

static struct dbt_runtime *RT(struct jstate *st)
{
	struct dbt_render *r = R(st);
	return r ? r->rt : NULL;
}

void dbt_runtime_init(struct dbt_runtime *rt, struct adapter_conn *conn, struct arena *a)
{
	memset(rt, 0, sizeof(*rt));
	rt->conn = conn;
	rt->a = a;
	rt->results = v_dict(a, 4);
	rt->written = v_undef();
	rt->response = v_undef();
}

/* A failure of the database: the message is what the user reads ("Database Error"). */
static int db_error(struct jstate *st, struct dbt_runtime *rt, struct diag *d)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->msgs.n; i++)
		if (d->msgs.v[i].level == DIAG_ERROR) {
			buf_puts(&b, d->msgs.v[i].msg);
			break;
		}
	if (!b.n)
		buf_puts(&b, "the database reported an error");
	rt->db_error = true;
	rt->db_message = arena_strndup(rt->a, b.p, b.n);
	diag_release(d);
	int rc = jinja_error(st, "%s", buf_cstr(&b));
	buf_release(&b);
	return rc;
}

/* ---- adapter responses ---- */

struct response {
	char message[64];
	int64_t rows_affected;
};

static void resp_str(value self, struct buf *out)
{
	const struct response *r = self.obj->data;
	buf_puts(out, r->message);
}

static int resp_getattr(struct jstate *st, value self, struct str name, value *out)
{
	(void)st;
	const struct response *r = self.obj->data;
	if (str_eqc(name, "_message") || str_eqc(name, "code"))
		*out = v_cstr(r->message);
	else if (str_eqc(name, "rows_affected"))
		*out = r->rows_affected >= 0 ? v_int(r->rows_affected) : v_none();
	else if (str_eqc(name, "query_id"))
		*out = v_none();
	else
		return 0;
	return 1;
}

static const struct vclass response_class = { .name = "AdapterResponse", .getattr = resp_getattr, .str = resp_str };

static value response_value(struct arena *a, const struct adapter_response *resp)
{
	struct response *r = arena_zalloc(a, sizeof(*r));
	snprintf(r->message, sizeof(r->message), "%s", resp->message[0] ? resp->message : "OK");
	r->rows_affected = resp->rows_affected;
	return v_obj(a, &response_class, r);
}

bool dbt_response_parts(value v, const char **message, int64_t *rows_affected)
{
	if (v.type != VT_OBJ || v.obj->cls != &response_class)
		return false;
	const struct response *r = v.obj->data;
	*message = r->message;
	*rows_affected = r->rows_affected;
	return true;
}

/* ---- columns (get_columns_in_relation) ---- */

struct column {
	value name, dtype;
};

static bool type_has(value t, const char *const *words)
{
	for (; *words; words++)
		if (t.type == VT_STR && strcasestr(t.s, *words))
			return true;
	return false;
}

static const char *const string_types[] = { "char", "text", "clob", "string", NULL };
static const char *const int_types[] = { "int", NULL };
static const char *const float_types[] = { "real", "floa", "doub", "numeric", "decimal", NULL };

static int col_is(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)st;
	(void)args;
	const struct column *c = self.obj->data;
	const char *which = data;
	if (!strcmp(which, "string"))
		*out = v_bool(type_has(c->dtype, string_types) || !c->dtype.len);
	else if (!strcmp(which, "integer"))
		*out = v_bool(type_has(c->dtype, int_types));
	else if (!strcmp(which, "float"))
		*out = v_bool(type_has(c->dtype, float_types));
	else
		*out = v_bool(type_has(c->dtype, int_types) || type_has(c->dtype, float_types));
	return 0;
}

/* dbt's Column.string_size: n of character varying(n), character(n), varchar(n); 256 for text
 * or no size; -1 when the type is not a string one (Column.is_string). */
static int64_t string_size(value dtype)
{
	static const char *const names[] = { "text", "character varying", "character", "varchar" };
	if (dtype.type != VT_STR)
		return -1;
	const char *paren = memchr(dtype.s, '(', dtype.len);
	size_t base = paren ? (size_t)(paren - dtype.s) : dtype.len;
	while (base && dtype.s[base - 1] == ' ')
		base--;
	int which = -1;
	for (int i = 0; i < (int)ARRAY_LEN(names); i++)
		if (base == strlen(names[i]) && !strncasecmp(dtype.s, names[i], base))
			which = i;
	if (which < 0)
		return -1;
	long long n = which > 0 && paren ? strtoll(paren + 1, NULL, 10) : 0;
	return n > 0 ? n : 256;
}

static int col_getattr(struct jstate *st, value self, struct str name, value *out)
{
	const struct column *c = self.obj->data;
	struct arena *a = jinja_arena(st);
	if (str_eqc(name, "name") || str_eqc(name, "column")) {
		*out = c->name;
	} else if (str_eqc(name, "dtype") || str_eqc(name, "data_type")) {
		*out = c->dtype;
	} else if (str_eqc(name, "quoted")) {
		struct buf b = BUF_INIT;
		sql_quote_ident(&b, '"', c->name.s, c->name.len);
		*out = v_buf(a, &b);
		buf_release(&b);
	} else if (str_eqc(name, "char_size")) {
		const char *paren = c->dtype.type == VT_STR ? memchr(c->dtype.s, '(', c->dtype.len) : NULL;
		long long n = paren && string_size(c->dtype) >= 0 ? strtoll(paren + 1, NULL, 10) : 0;
		*out = n > 0 ? v_int(n) : v_none();
	} else if (str_eqc(name, "numeric_precision") || str_eqc(name, "numeric_scale")) {
		*out = v_none();
	} else if (str_eqc(name, "is_string") || str_eqc(name, "is_number") ||
	           str_eqc(name, "is_integer") || str_eqc(name, "is_float") ||
	           str_eqc(name, "is_numeric")) {
		const char *which = str_eqc(name, "is_string")    ? "string"
		                    : str_eqc(name, "is_integer") ? "integer"
		                    : str_eqc(name, "is_float")   ? "float"
		                                                  : "number";
		*out = v_func(a, "is", col_is, (void *)which, self);
	} else {
		return 0;
	}
	return 1;
}

static void col_repr(value self, struct buf *out)
{
	const struct column *c = self.obj->data;
	buf_printf(out, "<Column %.*s (%.*s)>", (int)c->name.len, c->name.s, (int)c->dtype.len,
	           c->dtype.s);
}

static const struct vclass column_class = { .name = "Column", .getattr = col_getattr, .str = col_repr };

static value column_list(struct arena *a, const struct adapter_column *cols, size_t n)
{
	value l = v_list(a, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		struct column *c = arena_alloc(a, sizeof(*c));
		c->name = v_strdup(a, cols[i].name, strlen(cols[i].name));
		c->dtype = v_strdup(a, cols[i].type ? cols[i].type : "", cols[i].type ? strlen(cols[i].type) : 0);
		vlist_push(l.list, v_obj(a, &column_class, c));
	}
	return l;
}

/* ---- helpers ---- */

static int need_relation(struct jstate *st, const char *fn, value v, struct relation *out)
{
	if (dbt_relation_to_adapter(v, jinja_arena(st), out))
		return 0;
	return jinja_error(st, "adapter.%s() wants a relation, got %s", fn, v_type_name(v));
}

static value rel_of(struct jstate *st, const struct relation *r)
{
	struct arena *a = jinja_arena(st);
	const struct adapter *ad = dbt_render_adapter(st);
	value db = r->database ? v_cstr(r->database) : v_none();
	value schema = r->schema ? v_cstr(r->schema) : v_none();
	value type = r->type != REL_UNKNOWN ? v_cstr(rel_type_name(r->type)) : v_none();
	return dbt_relation(a, ad, db, schema, v_cstr(r->identifier), type);
}

/* ---- adapter methods that need a connection ---- */

static int a_execute(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	value sql = v_undef(), auto_begin = v_bool(false), fetch = v_bool(false);
	jinja_arg(args, 0, "sql", &sql);
	jinja_arg(args, 1, "auto_begin", &auto_begin);
	jinja_arg(args, 2, "fetch", &fetch);
	if (sql.type != VT_STR)
		return jinja_error(st, "adapter.execute() wants SQL text");
	struct arena *a = jinja_arena(st);
	struct adapter_table t = { 0 };
	t.rows = v_list(a, 0);
	struct adapter_response resp = { "OK", -1 };
	if (rt && rt->conn) {
		struct diag d;
		diag_init(&d);
		char *text = arena_strndup(a, sql.s, sql.len);
		if (v_truthy(auto_begin) && !adapter_in_transaction(rt->conn) &&
		    adapter_begin(rt->conn, &d) < 0)
			return db_error(st, rt, &d);
		int rc = v_truthy(fetch) ? adapter_execute(rt->conn, text, &resp, a, &t, &d)
		                         : adapter_exec(rt->conn, text, &resp, &d);
		if (rc < 0)
			return db_error(st, rt, &d);
		diag_release(&d);
	}
	value items[2] = { response_value(a, &resp), dbt_agate_table(a, &t) };
	*out = v_tuple(a, 2, items);
	return 0;
}

static int a_get_columns(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	struct arena *a = jinja_arena(st);
	value rv = v_undef();
	jinja_arg(args, 0, "relation", &rv);
	*out = v_list(a, 0);
	struct relation r;
	if (need_relation(st, "get_columns_in_relation", rv, &r) < 0)
		return -1;
	if (!rt || !rt->conn)
		return 0;
	struct diag d;
	diag_init(&d);
	struct adapter_column *cols;
	size_t n;
	if (adapter_get_columns(rt->conn, &r, a, &cols, &n, &d) < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	*out = column_list(a, cols, n);
	return 0;
}

/* adapter.expand_target_column_types(from_relation, to_relation): each string column of
 * to_relation that from_relation has wider becomes `character varying(<wider>)` through the
 * alter_column_type macro (dbt's SQLAdapter.expand_column_types). */
static int a_expand_types(struct jstate *st, void *data, value self, const struct vargs *args,
                          value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	struct arena *a = jinja_arena(st);
	*out = v_none();
	value fv = v_undef(), tv = v_undef();
	jinja_arg(args, 0, "from_relation", &fv);
	jinja_arg(args, 1, "to_relation", &tv);
	struct relation from, to;
	if (need_relation(st, "expand_target_column_types", fv, &from) < 0 ||
	    need_relation(st, "expand_target_column_types", tv, &to) < 0)
		return -1;
	if (!rt || !rt->conn)
		return 0;
	struct diag d;
	diag_init(&d);
	struct adapter_column *fc, *tc;
	size_t nf, nt;
	if (adapter_get_columns(rt->conn, &from, a, &fc, &nf, &d) < 0 ||
	    adapter_get_columns(rt->conn, &to, a, &tc, &nt, &d) < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	value alter = v_undef();
	for (size_t i = 0; i < nf; i++) {
		int64_t want = string_size(v_cstr(fc[i].type ? fc[i].type : ""));
		for (size_t j = 0; j < nt && want >= 0; j++) {
			if (strcmp(fc[i].name, tc[j].name))
				continue;
			int64_t have = string_size(v_cstr(tc[j].type ? tc[j].type : ""));
			if (have < 0 || want <= have)
				break;
			if (alter.type == VT_UNDEF &&
			    dbt_dispatch(R(st), STR("alter_column_type"), STR("dbt"), &alter) != 1)
				return jinja_error(st, "no alter_column_type macro");
			value argv[3] = { tv, v_cstr(tc[j].name),
				          v_cstr(arena_printf(a, "character varying(%lld)", (long long)want)) };
			struct vargs va = { .pos = argv, .npos = 3 };
			value ignored;
			if (jinja_call(st, alter, &va, &ignored) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/* drop_relation, truncate_relation, create_schema, drop_schema: one relation argument */
static int a_one_relation(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	const char *what = data;
	struct dbt_runtime *rt = RT(st);
	value rv = v_undef();
	jinja_arg(args, 0, "relation", &rv);
	*out = v_none();
	struct relation r;
	if (need_relation(st, what, rv, &r) < 0)
		return -1;
	if (!rt || !rt->conn)
		return 0;
	struct diag d;
	diag_init(&d);
	int rc = 0;
	if (!strcmp(what, "drop_relation")) {
		rc = adapter_drop_relation(rt->conn, &r, &d);
	} else if (!strcmp(what, "truncate_relation")) {
		struct buf sql = BUF_INIT;
		sqlfmt(&sql, rt->conn->ad, "delete from %R", &r);
		rc = adapter_exec(rt->conn, buf_cstr(&sql), NULL, &d);
		buf_release(&sql);
	} else if (!strcmp(what, "create_schema")) {
		rc = adapter_create_schema(rt->conn, r.database, r.schema, &d);
	} else {
		rc = adapter_drop_schema(rt->conn, r.database, r.schema, &d);
	}
	if (rc < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	return 0;
}

/* rename_relation(from, to) and get_missing_columns(from, to): two relation arguments */
static int a_two_relations(struct jstate *st, void *data, value self, const struct vargs *args,
                           value *out)
{
	(void)self;
	const char *what = data;
	bool rename = !strcmp(what, "rename_relation");
	struct dbt_runtime *rt = RT(st);
	struct arena *a = jinja_arena(st);
	value fv = v_undef(), tv = v_undef();
	jinja_arg(args, 0, "from_relation", &fv);
	jinja_arg(args, 1, "to_relation", &tv);
	*out = rename ? v_none() : v_list(a, 0);
	struct relation from, to;
	if (need_relation(st, what, fv, &from) < 0 || need_relation(st, what, tv, &to) < 0)
		return -1;
	if (!rt || !rt->conn)
		return 0;
	struct diag d;
	diag_init(&d);
	struct adapter_column *cols = NULL;
	size_t n = 0;
	int rc = rename ? adapter_rename_relation(rt->conn, &from, to.identifier, &d)
	                : adapter_missing_columns(rt->conn, &from, &to, a, &cols, &n, &d);
	if (rc < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	if (!rename)
		*out = column_list(a, cols, n);
	return 0;
}

static int a_transaction(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	(void)args;
	struct dbt_runtime *rt = RT(st);
	*out = v_none();
	if (!rt || !rt->conn)
		return 0;
	struct diag d;
	diag_init(&d);
	int rc = 0;
	bool open = adapter_in_transaction(rt->conn);
	if (!strcmp(data, "begin") && !open)
		rc = adapter_begin(rt->conn, &d);
	else if (!strcmp(data, "commit") && open)
		rc = adapter_commit(rt->conn, &d);
	else if (!strcmp(data, "rollback") && open)
		rc = adapter_rollback(rt->conn, &d);
	if (rc < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	return 0;
}

/* list_relations_without_caching(schema_relation) and list_relations(database, schema) */
static int a_list_relations(struct jstate *st, void *data, value self, const struct vargs *args,
                            value *out)
{
	(void)self;
	struct dbt_runtime *rt = RT(st);
	struct arena *a = jinja_arena(st);
	*out = v_list(a, 0);
	struct relation sr = { 0 };
	if (data) {
		value rv = v_undef();
		jinja_arg(args, 0, "schema_relation", &rv);
		if (need_relation(st, "list_relations_without_caching", rv, &sr) < 0)
			return -1;
	} else {
		value db = v_none(), schema = v_none();
		jinja_arg(args, 0, "database", &db);
		jinja_arg(args, 1, "schema", &schema);
		sr.database = db.type == VT_STR ? arena_strndup(a, db.s, db.len) : NULL;
		sr.schema = schema.type == VT_STR ? arena_strndup(a, schema.s, schema.len) : NULL;
	}
	if (!rt || !rt->conn)
		return 0;
	struct diag d;
	diag_init(&d);
	struct relation *rels;
	size_t n;
	if (adapter_list_relations(rt->conn, sr.database, sr.schema, a, &rels, &n, &d) < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	for (size_t i = 0; i < n; i++)
		vlist_push(out->list, rel_of(st, &rels[i]));
	return 0;
}

static int a_already_exists(struct jstate *st, void *data, value self, const struct vargs *args,
                            value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	struct arena *a = jinja_arena(st);
	value schema = v_none(), ident = v_none();
	jinja_arg(args, 0, "schema", &schema);
	jinja_arg(args, 1, "name", &ident);
	*out = v_bool(false);
	if (!rt || !rt->conn || ident.type != VT_STR)
		return 0;
	struct diag d;
	diag_init(&d);
	struct relation found;
	int rc = adapter_get_relation(rt->conn, NULL,
	                              schema.type == VT_STR ? arena_strndup(a, schema.s, schema.len) : NULL,
	                              arena_strndup(a, ident.s, ident.len), &found, &d);
	if (rc < 0)
		return db_error(st, rt, &d);
	diag_release(&d);
	*out = v_bool(rc == 1);
	return 0;
}

/* cache_added/dropped/renamed: keep the relation cache in step with DDL run as plain SQL */
static int a_cache(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	struct dbt_runtime *rt = RT(st);
	const char *which = data;
	*out = v_none();
	value rv = v_undef(), tv = v_undef();
	jinja_arg(args, 0, "relation", &rv);
	jinja_arg(args, 1, "to_relation", &tv);
	if (!rt || !rt->conn)
		return 0;
	struct relation r, to;
	if (need_relation(st, which, rv, &r) < 0)
		return -1;
	if (!strcmp(which, "cache_added")) {
		adapter_cache_added(rt->conn->ad, &r);
	} else if (!strcmp(which, "cache_dropped")) {
		adapter_cache_dropped(rt->conn->ad, &r);
	} else {
		if (need_relation(st, which, tv, &to) < 0)
			return -1;
		adapter_cache_renamed(rt->conn->ad, &r, to.identifier);
	}
	return 0;
}

static int a_quote_as_configured(struct jstate *st, void *data, value self, const struct vargs *args,
                                 value *out)
{
	(void)data;
	(void)self;
	value ident = v_str("", 0), kind = v_cstr("identifier");
	jinja_arg(args, 0, "identifier", &ident);
	jinja_arg(args, 1, "quote_key", &kind);
	ident = jinja_str_value(st, ident);
	const struct adapter *ad = dbt_render_adapter(st);
	bool quote = true;
	if (ad && kind.type == VT_STR) {
		struct str k = v_as_str(kind);
		quote = str_eqc(k, "database") ? ad->quoting.database
		        : str_eqc(k, "schema") ? ad->quoting.schema
		                               : ad->quoting.identifier;
	}
	if (!quote) {
		*out = ident;
		return 0;
	}
	struct buf b = BUF_INIT;
	sql_quote_ident(&b, '"', ident.s, ident.len);
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	return 0;
}

/* The macro get_incremental_<strategy>_sql, found as an unqualified name is (the root project and
 * packages may override it). */
static int a_strategy_macro(struct jstate *st, void *data, value self, const struct vargs *args,
                            value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	value strategy = v_undef();
	jinja_arg(args, 1, "strategy", &strategy);
	if (strategy.type != VT_STR)
		return jinja_error(st, "get_incremental_strategy_macro() wants a strategy name");
	struct str s = v_as_str(strategy);
	static const char *const builtin[] = { "default", "append", "delete+insert" };
	bool known = false;
	for (size_t i = 0; i < ARRAY_LEN(builtin); i++)
		known |= str_eqc(s, builtin[i]);
	struct buf name = BUF_INIT;
	buf_puts(&name, "get_incremental_");
	for (size_t i = 0; i < s.n; i++)
		buf_putc(&name, s.p[i] == '+' ? '_' : s.p[i]);
	buf_puts(&name, "_sql");
	bool found = false;
	for (size_t k = 0; k < ARRAY_LEN(r->scopes) && !found; k++)
		if (r->scopes[k] && vdict_gets(r->scopes[k], buf_str(&name), out))
			found = true;
	if (!found && known) /* a package's namespace was searched; dbt's own is the fallback */
		found = dbt_dispatch(r, str_from(buf_cstr(&name) + 0), STR(""), out) == 1;
	if (!found) {
		int rc = jinja_error(st,
		                     "Invalid incremental strategy provided: %.*s\n    Expected one of: "
		                     "'append', 'delete+insert'",
		                     (int)s.n, s.p);
		buf_release(&name);
		return rc;
	}
	buf_release(&name);
	return 0;
}

static int a_valid_strategies(struct jstate *st, void *data, value self, const struct vargs *args,
                              value *out)
{
	(void)data;
	(void)self;
	(void)args;
	struct arena *a = jinja_arena(st);
	*out = v_list(a, 2);
	vlist_push(out->list, v_cstr("append"));
	vlist_push(out->list, v_cstr("delete+insert"));
	return 0;
}

static const struct {
	const char *name;
	vfunc_fn fn;
	const char *data;
} adapter_methods[] = {
	{ "execute", a_execute, NULL },
	{ "get_columns_in_relation", a_get_columns, NULL },
	{ "get_missing_columns", a_two_relations, "get_missing_columns" },
	{ "drop_relation", a_one_relation, "drop_relation" },
	{ "truncate_relation", a_one_relation, "truncate_relation" },
	{ "create_schema", a_one_relation, "create_schema" },
	{ "drop_schema", a_one_relation, "drop_schema" },
	{ "rename_relation", a_two_relations, "rename_relation" },
	{ "begin", a_transaction, "begin" },
	{ "commit", a_transaction, "commit" },
	{ "rollback", a_transaction, "rollback" },
	{ "list_relations_without_caching", a_list_relations, "x" },
	{ "list_relations", a_list_relations, NULL },
	{ "already_exists", a_already_exists, NULL },
	{ "expand_target_column_types", a_expand_types, NULL },
	{ "cache_added", a_cache, "cache_added" },
	{ "cache_dropped", a_cache, "cache_dropped" },
	{ "cache_renamed", a_cache, "cache_renamed" },
	{ "quote_as_configured", a_quote_as_configured, NULL },
	{ "get_incremental_strategy_macro", a_strategy_macro, NULL },
	{ "valid_incremental_strategies", a_valid_strategies, NULL },
};

int dbt_adapter_method(struct jstate *st, value self, struct str name, value *out)
{
	for (size_t i = 0; i < ARRAY_LEN(adapter_methods); i++)
		if (str_eqc(name, adapter_methods[i].name)) {
			*out = v_func(jinja_arena(st), adapter_methods[i].name, adapter_methods[i].fn,
			              (void *)adapter_methods[i].data, self);
			return 1;
		}
	if (str_eqc(name, "Relation")) {
		value api = dbt_api_namespace(jinja_arena(st));
		return vdict_gets(api.dict, STR("Relation"), out) ? 1 : 0;
	}
	return 0;
}

/* ---- store_result, load_result, write, render ---- */

static int fn_store_result(struct jstate *st, void *data, value self, const struct vargs *args,
                           value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	struct arena *a = jinja_arena(st);
	value name = v_undef(), response = v_none(), table = v_none();
	jinja_arg(args, 0, "name", &name);
	jinja_arg(args, 1, "response", &response);
	jinja_arg(args, 2, "agate_table", &table);
	*out = v_str("", 0);
	if (!rt || name.type != VT_STR)
		return 0;
	/* the render arena is rt->a: the values live as long as the node's run */
	value res = v_dict(a, 3);
	vdict_sets(res.dict, "response", response);
	value data_rows = v_list(a, 0);
	if (table.type == VT_OBJ)
		dbt_agate_rows(a, table, &data_rows);
	vdict_sets(res.dict, "data", data_rows);
	vdict_sets(res.dict, "table", table);
	vdict_set(rt->results.dict, name, res);
	if (str_eqc(v_as_str(name), "main"))
		rt->response = vdict_gets(res.dict, STR("response"), &response) ? response : v_none();
	return 0;
}

static int fn_load_result(struct jstate *st, void *data, value self, const struct vargs *args,
                          value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	value name = v_undef();
	jinja_arg(args, 0, "name", &name);
	*out = v_none();
	if (rt && name.type == VT_STR)
		vdict_get(rt->results.dict, name, out);
	return 0;
}

static int fn_write(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_runtime *rt = RT(st);
	value text = v_str("", 0);
	jinja_arg(args, 0, "payload", &text);
	*out = v_str("", 0);
	if (rt) {
		text = jinja_str_value(st, text);
		rt->written = v_strdup(rt->a, text.s, text.len);
	}
	return 0;
}

/* render(text): the text as a template, in the calling render's context (hooks use it). */
static int fn_render(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	struct dbt_render *r = R(st);
	value text = v_str("", 0);
	jinja_arg(args, 0, "string", &text);
	if (text.type != VT_STR) {
		*out = text;
		return 0;
	}
	if (!r || !r->opts || !memchr(text.s, '{', text.len)) {
		*out = text;
		return 0;
	}
	struct arena *a = jinja_arena(st);
	char *src = arena_strndup(a, text.s, text.len);
	struct diag d;
	diag_init(&d);
	struct jinja_template *t = jinja_parse_in(r->env, a, "<render>", src, text.len, &d);
	struct buf b = BUF_INIT;
	int rc = t ? jinja_render(r->env, t, r->opts, &b, &d) : -1;
	if (rc < 0) {
		struct buf msg = BUF_INIT;
		diag_print(&d, &msg);
		diag_release(&d);
		buf_release(&b);
		rc = jinja_error(st, "%s", buf_cstr(&msg));
		buf_release(&msg);
		return rc;
	}
	diag_release(&d);
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	return 0;
}

void dbt_runtime_install(struct jinja_env *env)
{
	jinja_set_function(env, "store_result", fn_store_result, NULL);
	jinja_set_function(env, "load_result", fn_load_result, NULL);
	jinja_set_function(env, "write", fn_write, NULL);
	jinja_set_function(env, "render", fn_render, NULL);
	jinja_set_global(env, "api", dbt_api_namespace(jinja_env_arena(env)));
}
