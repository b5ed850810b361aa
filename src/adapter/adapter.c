/* adapter: backend table, the adapter_* wrappers and the relation cache.
 *
 * The cache is per adapter (shared by all connections, behind a mutex). For each database it
 * holds the relations by their lowercased physical name (ops->join_name) and which schemas have
 * been listed (or `all` when the backend lists the whole database in one query). A lookup in a
 * listed schema that misses means "does not exist"; DDL through the wrappers edits the cache
 * after it succeeds, and a rollback forgets everything. */
#include "adapter_int.h"

#include <pthread.h>
#include <strings.h>

static const struct {
	const char *type;
	struct adapter *(*create)(value target, const char *project_dir, struct diag *d);
} backends[] = {
    {"sqlite", sqlite_adapter_new},
    {"postgres", postgres_adapter_new},
};

struct cache_rel {
	char *name; /* physical name, original case */
	enum rel_type type;
};

struct cache_db {
	bool all;
	struct map schemas; /* lowercased schema → (void *)1: listed */
	struct map rels;    /* lowercased physical name → struct cache_rel */
};

struct relcache {
	pthread_mutex_t mu;
	struct arena a;
	struct map dbs; /* lowercased database → struct cache_db */
	unsigned loads;
};

const char *rel_type_name(enum rel_type t)
{
	switch (t) {
	case REL_TABLE:
		return "table";
	case REL_VIEW:
		return "view";
	case REL_MATERIALIZED_VIEW:
		return "materialized_view";
	case REL_CTE:
		return "cte";
	case REL_UNKNOWN:
		break;
	}
	return "";
}

void adapter_error(struct diag *d, const char *fmt, ...)
{
	if (!d)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, fmt, ap);
	va_end(ap);
}

/* ---- target fields ---- */

static bool target_get(value target, const char *key, value *out)
{
	return target.type == VT_DICT && vdict_gets(target.dict, str_from(key), out);
}

bool target_has(value target, const char *key)
{
	value v;
	return target_get(target, key, &v) && v.type != VT_NONE;
}

char *target_strdup(value target, const char *key)
{
	value v;
	if (!target_get(target, key, &v) || v.type != VT_STR)
		return NULL;
	return xmemdup0(v.s, v.len);
}

int64_t target_int(value target, const char *key, int64_t dflt)
{
	value v;
	if (!target_get(target, key, &v))
		return dflt;
	if (v.type == VT_INT)
		return v.i;
	if (v.type == VT_STR && v.len > 0 && v.len < 20) {
		char tmp[24];
		memcpy(tmp, v.s, v.len);
		tmp[v.len] = 0;
		char *end;
		long long x = strtoll(tmp, &end, 10);
		if (*end == 0)
			return x;
	}
	return dflt;
}

void adapter_base_init(struct adapter *ad, const struct adapter_ops *ops, value target,
                       const char *default_database)
{
	ad->ops = ops;
	ad->database = target_strdup(target, "database");
	if (!ad->database || !*ad->database) {
		free(ad->database);
		ad->database = xstrdup(default_database);
	}
	ad->schema = target_strdup(target, "schema");
	if (!ad->schema || !*ad->schema) {
		free(ad->schema);
		ad->schema = xstrdup("main");
	}
	ad->threads = (int)target_int(target, "threads", 1);
	if (ad->threads < 1)
		ad->threads = 1;
	ad->quoting = (struct quote_policy){true, true, true};
	arena_init(&ad->arena);
	ad->target = value_copy(&ad->arena, target);
	if (ad->target.type == VT_DICT) {
		/* what the Jinja `target` shows: never the password */
		vdict_del(ad->target.dict, v_cstr("password"), NULL);
		vdict_del(ad->target.dict, v_cstr("pass"), NULL);
	}
	struct relcache *rc = xcalloc(1, sizeof(*rc));
	pthread_mutex_init(&rc->mu, NULL);
	arena_init(&rc->a);
	map_init(&rc->dbs);
	ad->cache = rc;
	map_init(&ad->schemas_created);
}

static void cache_release_dbs(struct relcache *rc)
{
	for (size_t i = 0; i < rc->dbs.n; i++) {
		struct cache_db *cdb = rc->dbs.e[i].val;
		if (!rc->dbs.e[i].key.p || !cdb)
			continue;
		map_release(&cdb->schemas);
		map_release(&cdb->rels);
	}
	map_release(&rc->dbs);
}

void adapter_base_release(struct adapter *ad)
{
	struct relcache *rc = ad->cache;
	if (rc) {
		cache_release_dbs(rc);
		arena_release(&rc->a);
		pthread_mutex_destroy(&rc->mu);
		free(rc);
	}
	map_release(&ad->schemas_created);
	arena_release(&ad->arena);
	free(ad->database);
	free(ad->schema);
}

struct adapter *adapter_new(value target, const char *project_dir, struct diag *d)
{
	char *type = target_strdup(target, "type");
	if (!type) {
		adapter_error(d, "the target has no 'type'; expected one of: sqlite, postgres");
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_LEN(backends); i++) {
		if (strcmp(type, backends[i].type) == 0) {
			free(type);
			return backends[i].create(target, project_dir, d);
		}
	}
	adapter_error(d, "the target's type '%s' is not supported; expected one of: sqlite, postgres", type);
	free(type);
	return NULL;
}

void adapter_free(struct adapter *ad)
{
	if (ad) {
		free(ad->comment.text);
		ad->ops->free(ad);
	}
}

struct adapter_conn *adapter_open(struct adapter *ad, struct diag *d)
{
	return ad->ops->open(ad, d);
}

void adapter_close(struct adapter_conn *c)
{
	if (c) {
		free(c->comment.text);
		c->ad->ops->close(c);
	}
}

/* ---- query comments ---- */

static void comment_store(struct adapter_comment *qc, const char *text, bool append)
{
	free(qc->text);
	qc->text = text && *text ? xstrdup(text) : NULL;
	qc->append = append;
}

void adapter_set_default_comment(struct adapter *ad, const char *text, bool append)
{
	comment_store(&ad->comment, text, append);
}

void adapter_set_comment(struct adapter_conn *c, const char *text, bool append)
{
	comment_store(&c->comment, text, append);
	c->comment_set = true;
}

void adapter_reset_comment(struct adapter_conn *c)
{
	comment_store(&c->comment, NULL, false);
	c->comment_set = false;
}

static bool py_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* dbt's _QueryComment.add: the comment stripped, before the SQL, or after it (and before its
 * last `;`) when appended. */
const char *adapter_commented(const struct adapter_conn *c, const char *sql, struct buf *b)
{
	const struct adapter_comment *qc = c->comment_set ? &c->comment : &c->ad->comment;
	if (!qc->text)
		return sql;
	const char *t = qc->text, *e = t + strlen(t);
	while (t < e && py_space(*t))
		t++;
	while (e > t && py_space(e[-1]))
		e--;
	buf_reset(b);
	if (!qc->append) {
		buf_printf(b, "/* %.*s */\n%s", (int)(e - t), t, sql);
		return buf_cstr(b);
	}
	size_t n = strlen(sql);
	while (n && py_space(sql[n - 1]))
		n--;
	bool semi = n && sql[n - 1] == ';';
	buf_printf(b, "%.*s\n/* %.*s */%s", (int)(n - semi), sql, (int)(e - t), t, semi ? ";" : "");
	return buf_cstr(b);
}

/* ---- names ---- */

const char *adapter_dbname(const struct adapter *ad, const char *db)
{
	if (!db || !*db)
		return ad->database;
	if (ad->ops->database_alias && strcasecmp(db, ad->ops->database_alias) == 0)
		return ad->database;
	return db;
}

const char *adapter_schemaname(const struct adapter *ad, const char *schema)
{
	return schema && *schema ? schema : ad->schema;
}

void adapter_quote_ident(const struct adapter *ad, const char *s, size_t n, struct buf *out)
{
	sql_quote_ident(out, ad && ad->ops->quote_char ? ad->ops->quote_char : '"', s, n);
}

void adapter_render_relation(const struct adapter *ad, const struct relation *r, struct buf *out)
{
	ad->ops->render_relation(ad, r, out);
}

const char *adapter_seed_type(const struct adapter *ad, enum seed_type t)
{
	if ((unsigned)t >= SEED_TYPE_COUNT || !ad->ops->seed_types[t])
		return ad->ops->seed_types[SEED_TEXT];
	return ad->ops->seed_types[t];
}

/* ---- SQL ---- */

int adapter_exec(struct adapter_conn *c, const char *sql, struct adapter_response *resp,
                 struct diag *d)
{
	struct adapter_response tmp;
	struct buf b = BUF_INIT;
	int rc = c->ad->ops->exec(c, adapter_commented(c, sql, &b), resp ? resp : &tmp, d);
	buf_release(&b);
	return rc;
}

int adapter_query(struct adapter_conn *c, const char *sql, struct arena *a,
                  struct adapter_table *out, struct diag *d)
{
	struct buf b = BUF_INIT;
	int rc = c->ad->ops->query(c, adapter_commented(c, sql, &b), NULL, a, out, d);
	buf_release(&b);
	return rc;
}

int adapter_execute(struct adapter_conn *c, const char *sql, struct adapter_response *resp,
                    struct arena *a, struct adapter_table *out, struct diag *d)
{
	struct buf b = BUF_INIT;
	int rc = c->ad->ops->query(c, adapter_commented(c, sql, &b), resp, a, out, d);
	buf_release(&b);
	return rc;
}

int adapter_exec_params(struct adapter_conn *c, const char *sql, const value *params,
                        size_t nparams, struct adapter_response *resp, struct diag *d)
{
	struct adapter_response tmp;
	return c->ad->ops->exec_params(c, sql, params, nparams, resp ? resp : &tmp, d);
}

void adapter_placeholder(const struct adapter *ad, int i, struct buf *out)
{
	ad->ops->placeholder(i, out);
}

int adapter_insert_rows(struct adapter_conn *c, const struct relation *r, const char *const *cols,
                        size_t ncols, value rows, int64_t *inserted, struct diag *d)
{
	struct adapter *ad = c->ad;
	*inserted = 0;
	if (rows.type != VT_LIST || ncols == 0)
		return 0;
	size_t batch = 10000;
	if (ad->ops->max_params > 0 && batch * ncols > (size_t)ad->ops->max_params)
		batch = (size_t)ad->ops->max_params / ncols;
	if (batch == 0) {
		adapter_error(d, "cannot insert %zu columns: the database allows %d parameters",
		              ncols, ad->ops->max_params);
		return -1;
	}
	struct buf head = BUF_INIT, sql = BUF_INIT;
	sqlfmt(&head, ad, "insert into %R (", r);
	for (size_t j = 0; j < ncols; j++)
		sqlfmt(&head, ad, j ? ", %I" : "%I", cols[j]);
	buf_puts(&head, ") values ");
	value *params = xmalloc(batch * ncols * sizeof(*params));
	int rcode = 0;
	uint32_t total = rows.list->n;
	for (uint32_t start = 0; start < total && rcode == 0; start += (uint32_t)batch) {
		uint32_t end = start + (uint32_t)batch < total ? start + (uint32_t)batch : total;
		buf_reset(&sql);
		buf_putstr(&sql, buf_str(&head));
		size_t np = 0;
		for (uint32_t i = start; i < end; i++) {
			value row = rows.list->v[i];
			if (row.type != VT_LIST || row.list->n != ncols) {
				adapter_error(d, "row %u has %u values; expected %zu", i + 1,
				              row.type == VT_LIST ? row.list->n : 0, ncols);
				rcode = -1;
				break;
			}
			buf_puts(&sql, i > start ? ", (" : "(");
			for (size_t j = 0; j < ncols; j++) {
				if (j)
					buf_puts(&sql, ", ");
				params[np++] = row.list->v[j];
				ad->ops->placeholder((int)np, &sql);
			}
			buf_putc(&sql, ')');
		}
		if (rcode == 0)
			rcode = adapter_exec_params(c, buf_cstr(&sql), params, np, NULL, d);
		if (rcode == 0)
			*inserted += end - start;
	}
	free(params);
	buf_release(&head);
	buf_release(&sql);
	return rcode;
}

int adapter_begin(struct adapter_conn *c, struct diag *d)
{
	return c->ad->ops->begin(c, d);
}
int adapter_commit(struct adapter_conn *c, struct diag *d)
{
	return c->ad->ops->commit(c, d);
}

bool adapter_in_transaction(struct adapter_conn *c)
{
	return c->ad->ops->in_transaction(c);
}

int adapter_rollback(struct adapter_conn *c, struct diag *d)
{
	adapter_cache_clear(c->ad);
	return c->ad->ops->rollback(c, d);
}

void adapter_cancel(struct adapter_conn *c)
{
	c->ad->ops->cancel(c);
}

void adapter_cancel_all(struct adapter_conn *const *conns, int n)
{
	for (int i = 0; i < n; i++)
		if (conns[i])
			adapter_cancel(conns[i]);
}

/* ---- the cache ---- */

static char *lower_dup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_strndup(a, s, n);
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] + 32);
	return p;
}

static void lower_buf(struct buf *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->p[i] >= 'A' && b->p[i] <= 'Z')
			b->p[i] = (char)(b->p[i] + 32);
}

/* Locked. */
static struct cache_db *cache_db(struct relcache *rc, const char *db, bool create)
{
	struct buf k = BUF_INIT;
	buf_puts(&k, db);
	lower_buf(&k);
	struct cache_db *cdb = map_get(&rc->dbs, buf_str(&k));
	if (!cdb && create) {
		cdb = arena_zalloc(&rc->a, sizeof(*cdb));
		map_init(&cdb->schemas);
		map_init(&cdb->rels);
		map_set(&rc->dbs, str_from(lower_dup(&rc->a, k.p, k.n)), cdb);
	}
	buf_release(&k);
	return cdb;
}

/* Locked. */
static void cache_put(struct relcache *rc, struct cache_db *cdb, const char *name,
                      enum rel_type type)
{
	size_t n = strlen(name);
	struct str key = str_from(lower_dup(&rc->a, name, n));
	struct cache_rel *cr = map_get(&cdb->rels, key);
	if (!cr) {
		cr = arena_alloc(&rc->a, sizeof(*cr));
		map_set(&cdb->rels, key, cr);
	}
	cr->name = arena_strndup(&rc->a, name, n);
	cr->type = type;
}

static void phys_key(const struct adapter *ad, const char *schema, const char *ident,
                     struct buf *out)
{
	ad->ops->join_name(ad, adapter_schemaname(ad, schema), ident, out);
}

struct listing {
	struct arena a;
	VEC(struct cache_rel) rels;
};

static void listing_add(void *ctx, const char *name, enum rel_type type)
{
	struct listing *l = ctx;
	struct cache_rel r = {arena_strndup(&l->a, name, strlen(name)), type};
	vec_push(&l->rels, r);
}

static int ensure_loaded(struct adapter_conn *c, const char *db, const char *schema, struct diag *d)
{
	struct adapter *ad = c->ad;
	struct relcache *rc = ad->cache;
	struct buf sk = BUF_INIT;
	buf_puts(&sk, schema);
	lower_buf(&sk);
	pthread_mutex_lock(&rc->mu);
	struct cache_db *cdb = cache_db(rc, db, false);
	bool loaded = cdb && (cdb->all || map_has(&cdb->schemas, buf_str(&sk)));
	pthread_mutex_unlock(&rc->mu);
	if (loaded) {
		buf_release(&sk);
		return 0;
	}
	struct listing l = {0};
	arena_init(&l.a);
	int rcode = ad->ops->list_relations(c, db, schema, listing_add, &l, d);
	if (rcode == 0) {
		pthread_mutex_lock(&rc->mu);
		cdb = cache_db(rc, db, true);
		for (size_t i = 0; i < l.rels.n; i++)
			cache_put(rc, cdb, l.rels.v[i].name, l.rels.v[i].type);
		if (ad->ops->lists_whole_database)
			cdb->all = true;
		else
			map_set(&cdb->schemas, str_from(lower_dup(&rc->a, sk.p, sk.n)), (void *)1);
		rc->loads++;
		pthread_mutex_unlock(&rc->mu);
	}
	vec_free(&l.rels);
	arena_release(&l.a);
	buf_release(&sk);
	return rcode;
}

unsigned adapter_cache_loads(const struct adapter *ad)
{
	struct relcache *rc = ad->cache;
	pthread_mutex_lock(&rc->mu);
	unsigned n = rc->loads;
	pthread_mutex_unlock(&rc->mu);
	return n;
}

void adapter_cache_added(struct adapter *ad, const struct relation *r)
{
	struct relcache *rc = ad->cache;
	struct buf k = BUF_INIT;
	phys_key(ad, r->schema, r->identifier, &k);
	pthread_mutex_lock(&rc->mu);
	struct cache_db *cdb = cache_db(rc, adapter_dbname(ad, r->database), true);
	cache_put(rc, cdb, buf_cstr(&k), r->type == REL_UNKNOWN ? REL_TABLE : r->type);
	pthread_mutex_unlock(&rc->mu);
	buf_release(&k);
}

static enum rel_type cache_remove(struct adapter *ad, const char *db, const char *schema,
                                  const char *ident)
{
	struct relcache *rc = ad->cache;
	struct buf k = BUF_INIT;
	phys_key(ad, schema, ident, &k);
	lower_buf(&k);
	enum rel_type t = REL_UNKNOWN;
	pthread_mutex_lock(&rc->mu);
	struct cache_db *cdb = cache_db(rc, adapter_dbname(ad, db), false);
	if (cdb) {
		struct cache_rel *cr = map_get(&cdb->rels, buf_str(&k));
		if (cr) {
			t = cr->type;
			map_del(&cdb->rels, buf_str(&k));
		}
	}
	pthread_mutex_unlock(&rc->mu);
	buf_release(&k);
	return t;
}

void adapter_cache_dropped(struct adapter *ad, const struct relation *r)
{
	cache_remove(ad, r->database, r->schema, r->identifier);
}

void adapter_cache_renamed(struct adapter *ad, const struct relation *from, const char *new_ident)
{
	enum rel_type t = cache_remove(ad, from->database, from->schema, from->identifier);
	struct relation to = *from;
	to.identifier = new_ident;
	to.type = t != REL_UNKNOWN ? t : from->type;
	adapter_cache_added(ad, &to);
}

void adapter_cache_clear(struct adapter *ad)
{
	struct relcache *rc = ad->cache;
	pthread_mutex_lock(&rc->mu);
	cache_release_dbs(rc);
	map_init(&rc->dbs);
	arena_release(&rc->a);
	arena_init(&rc->a);
	pthread_mutex_unlock(&rc->mu);
}

/* ---- relations ---- */

int adapter_get_relation(struct adapter_conn *c, const char *database, const char *schema,
                         const char *ident, struct relation *out, struct diag *d)
{
	struct adapter *ad = c->ad;
	const char *db = adapter_dbname(ad, database);
	const char *sch = adapter_schemaname(ad, schema);
	if (ensure_loaded(c, db, sch, d) < 0)
		return -1;
	struct buf k = BUF_INIT;
	phys_key(ad, sch, ident, &k);
	lower_buf(&k);
	struct relcache *rc = ad->cache;
	pthread_mutex_lock(&rc->mu);
	struct cache_db *cdb = cache_db(rc, db, false);
	struct cache_rel *cr = cdb ? map_get(&cdb->rels, buf_str(&k)) : NULL;
	enum rel_type t = cr ? cr->type : REL_UNKNOWN;
	pthread_mutex_unlock(&rc->mu);
	buf_release(&k);
	if (!cr)
		return 0;
	if (out)
		*out = (struct relation){database, schema, ident, t, 0};
	return 1;
}

int adapter_list_relations(struct adapter_conn *c, const char *database, const char *schema,
                           struct arena *a, struct relation **out, size_t *n, struct diag *d)
{
	struct adapter *ad = c->ad;
	const char *db = adapter_dbname(ad, database);
	const char *sch = adapter_schemaname(ad, schema);
	*out = NULL;
	*n = 0;
	if (ensure_loaded(c, db, sch, d) < 0)
		return -1;
	struct relcache *rc = ad->cache;
	VEC(struct relation) v = {0};
	pthread_mutex_lock(&rc->mu);
	struct cache_db *cdb = cache_db(rc, db, false);
	for (size_t i = 0; cdb && i < cdb->rels.n; i++) {
		struct cache_rel *cr = cdb->rels.e[i].val;
		const char *ident;
		if (!cdb->rels.e[i].key.p || !ad->ops->split_name(ad, sch, cr->name, &ident))
			continue;
		struct relation r = {arena_strndup(a, db, strlen(db)),
		                     arena_strndup(a, sch, strlen(sch)),
		                     arena_strndup(a, ident, strlen(ident)), cr->type, 0};
		vec_push(&v, r);
	}
	pthread_mutex_unlock(&rc->mu);
	if (v.n) {
		*out = arena_alloc(a, v.n * sizeof(**out));
		memcpy(*out, v.v, v.n * sizeof(**out));
		*n = v.n;
	}
	vec_free(&v);
	return 0;
}

int adapter_get_columns(struct adapter_conn *c, const struct relation *r, struct arena *a,
                        struct adapter_column **cols, size_t *n, struct diag *d)
{
	return c->ad->ops->get_columns(c, r, a, cols, n, d);
}

int adapter_create_schema(struct adapter_conn *c, const char *database, const char *schema,
                          struct diag *d)
{
	struct adapter *ad = c->ad;
	if (ad->ops->create_schema(c, adapter_dbname(ad, database), schema, d) < 0)
		return -1;
	struct relcache *rc = ad->cache;
	pthread_mutex_lock(&rc->mu);
	if (!map_has(&ad->schemas_created, str_from(schema))) {
		char *k = arena_strndup(&ad->arena, schema, strlen(schema)); /* under rc->mu */
		map_set(&ad->schemas_created, str_from(k), (void *)1);
	}
	pthread_mutex_unlock(&rc->mu);
	return 0;
}

/* Resolve an unknown type through the cache: 1 exists, 0 absent, -1 error. */
static int resolve_type(struct adapter_conn *c, const struct relation *r, enum rel_type *t,
                        struct diag *d)
{
	if (r->type != REL_UNKNOWN) {
		*t = r->type;
		return 1;
	}
	struct relation found;
	int got = adapter_get_relation(c, r->database, r->schema, r->identifier, &found, d);
	*t = got == 1 ? found.type : REL_UNKNOWN;
	return got;
}

int adapter_drop_relation(struct adapter_conn *c, const struct relation *r, struct diag *d)
{
	struct relation x = *r;
	int got = resolve_type(c, r, &x.type, d);
	if (got <= 0)
		return got; /* absent: nothing to drop */
	if (c->ad->ops->drop_relation(c, &x, d) < 0)
		return -1;
	adapter_cache_dropped(c->ad, &x);
	return 0;
}

int adapter_rename_relation(struct adapter_conn *c, const struct relation *from,
                            const char *new_ident, struct diag *d)
{
	struct relation x = *from;
	int got = resolve_type(c, from, &x.type, d);
	if (got < 0)
		return -1;
	if (got == 0) {
		struct buf b = BUF_INIT;
		adapter_render_relation(c->ad, from, &b);
		adapter_error(d, "cannot rename %s: it does not exist", buf_cstr(&b));
		buf_release(&b);
		return -1;
	}
	if (c->ad->ops->rename_relation(c, &x, new_ident, d) < 0)
		return -1;
	adapter_cache_renamed(c->ad, &x, new_ident);
	return 0;
}

int adapter_drop_schema(struct adapter_conn *c, const char *database, const char *schema,
                        struct diag *d)
{
	if (c->ad->ops->drop_schema) {
		if (c->ad->ops->drop_schema(c, adapter_dbname(c->ad, database), schema, d) < 0)
			return -1;
		adapter_cache_clear(c->ad);
		struct relcache *rc = c->ad->cache;
		pthread_mutex_lock(&rc->mu);
		map_del(&c->ad->schemas_created, str_from(schema));
		pthread_mutex_unlock(&rc->mu);
		return 0;
	}
	struct arena a;
	arena_init(&a);
	struct relation *rels;
	size_t n;
	int rcode = adapter_list_relations(c, database, schema, &a, &rels, &n, d);
	bool own = rcode == 0 && !c->ad->ops->in_transaction(c);
	if (own)
		rcode = adapter_begin(c, d);
	/* views first, so a backend that checks dependencies does not refuse the tables */
	for (int pass = 0; pass < 2 && rcode == 0; pass++)
		for (size_t i = 0; i < n && rcode == 0; i++)
			if ((rels[i].type == REL_VIEW) == (pass == 0))
				rcode = adapter_drop_relation(c, &rels[i], d);
	if (own)
		rcode = rcode == 0 ? adapter_commit(c, d) : (adapter_rollback(c, NULL), -1);
	if (rcode == 0) {
		struct relcache *rc = c->ad->cache;
		pthread_mutex_lock(&rc->mu);
		map_del(&c->ad->schemas_created, str_from(schema));
		pthread_mutex_unlock(&rc->mu);
	}
	arena_release(&a);
	return rcode;
}

int adapter_create_as(struct adapter_conn *c, const struct relation *r, const char *select_sql,
                      struct diag *d)
{
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, c->ad, "create %s %R as\n%s", r->type == REL_VIEW ? "view" : "table", r,
	       select_sql);
	int rcode = adapter_exec(c, buf_cstr(&sql), NULL, d);
	buf_release(&sql);
	if (rcode == 0) {
		struct relation x = *r;
		if (x.type != REL_VIEW)
			x.type = REL_TABLE;
		adapter_cache_added(c->ad, &x);
	}
	return rcode;
}

int adapter_swap(struct adapter_conn *c, const struct relation *target, const struct relation *tmp,
                 struct diag *d)
{
	struct relation t = *target, x = *tmp;
	enum rel_type old;
	if (resolve_type(c, &(struct relation){t.database, t.schema, t.identifier, REL_UNKNOWN, 0},
	                 &old, d) < 0)
		return -1;
	int errors = d ? d->errors : 0;
	if (resolve_type(c, tmp, &x.type, d) <= 0) {
		if (!d || d->errors == errors)
			adapter_error(d, "cannot swap in '%s': it does not exist", tmp->identifier);
		return -1;
	}
	if (c->ad->ops->swap(c, &t, old, &x, d) < 0)
		return -1;
	adapter_cache_dropped(c->ad, &x);
	t.type = x.type;
	adapter_cache_added(c->ad, &t);
	return 0;
}

int adapter_build(struct adapter_conn *c, const struct relation *target, const char *select_sql,
                  struct diag *d)
{
	struct buf name = BUF_INIT;
	buf_printf(&name, "%s__dbt_tmp", target->identifier);
	struct relation tmp = {target->database, target->schema, buf_cstr(&name), REL_UNKNOWN, 0};
	/* our own transaction, or a savepoint inside the caller's (standard SQL: SQLite and
	 * PostgreSQL both have it), so that a failure undoes only this build */
	bool own = !c->ad->ops->in_transaction(c);
	int rcode = own ? adapter_begin(c, d) : adapter_exec(c, "savepoint silt_build", NULL, d);
	if (rcode < 0) {
		buf_release(&name);
		return -1;
	}
	rcode = adapter_drop_relation(c, &tmp, d);
	tmp.type = target->type == REL_VIEW ? REL_VIEW : REL_TABLE;
	if (rcode == 0)
		rcode = adapter_create_as(c, &tmp, select_sql, d);
	if (rcode == 0)
		rcode = adapter_swap(c, target, &tmp, d);
	if (own) {
		if (rcode == 0)
			rcode = adapter_commit(c, d);
		else
			adapter_rollback(c, NULL);
	} else if (rcode == 0) {
		rcode = adapter_exec(c, "release savepoint silt_build", NULL, d);
	} else {
		adapter_cache_clear(c->ad);
		if (c->ad->ops->in_transaction(c))
			adapter_exec(
			    c, "rollback to savepoint silt_build; release savepoint silt_build",
			    NULL, NULL);
	}
	buf_release(&name);
	return rcode;
}

int adapter_missing_columns(struct adapter_conn *c, const struct relation *from,
                            const struct relation *to, struct arena *a,
                            struct adapter_column **cols, size_t *n, struct diag *d)
{
	struct adapter_column *fc, *tc;
	size_t nf, nt;
	*cols = NULL;
	*n = 0;
	if (adapter_get_columns(c, from, a, &fc, &nf, d) < 0 ||
	    adapter_get_columns(c, to, a, &tc, &nt, d) < 0)
		return -1;
	for (size_t i = 0; i < nf; i++) {
		bool found = false;
		for (size_t j = 0; j < nt && !found; j++)
			found = strcasecmp(fc[i].name, tc[j].name) == 0;
		if (!found)
			fc[(*n)++] = fc[i]; /* compacts in place: fc is ours */
	}
	*cols = *n ? fc : NULL;
	return 0;
}

int adapter_add_columns(struct adapter_conn *c, const struct relation *r,
                        const struct adapter_column *cols, size_t n, struct diag *d)
{
	struct buf sql = BUF_INIT;
	int rcode = 0;
	for (size_t i = 0; i < n && rcode == 0; i++) {
		buf_reset(&sql);
		/* the type is a type name the database itself reported */
		sqlfmt(&sql, c->ad, "alter table %R add column %I %s", r, cols[i].name,
		       cols[i].type ? cols[i].type : "");
		rcode = adapter_exec(c, buf_cstr(&sql), NULL, d);
	}
	buf_release(&sql);
	return rcode;
}

/* ---- catalog ---- */

int adapter_catalog(struct adapter_conn *c, const char *database, const char *const *schemas,
                    size_t nschemas, bool row_counts, struct arena *a,
                    struct adapter_catalog_rel **out, size_t *n, struct diag *d)
{
	struct adapter *ad = c->ad;
	if (ad->ops->catalog)
		return ad->ops->catalog(c, database, schemas, nschemas, row_counts, a, out, n, d);
	VEC(struct adapter_catalog_rel) v = {0};
	*out = NULL;
	*n = 0;
	for (size_t s = 0; s < nschemas; s++) {
		struct relation *rels;
		size_t nr;
		if (adapter_list_relations(c, database, schemas[s], a, &rels, &nr, d) < 0) {
			vec_free(&v);
			return -1;
		}
		for (size_t i = 0; i < nr; i++) {
			struct adapter_catalog_rel cr = {.rel = rels[i], .row_count = -1};
			cr.type_label = ad->ops->catalog_label
			                    ? ad->ops->catalog_label(rels[i].type)
			                    : rel_type_name(rels[i].type);
			/* a broken relation (a view over a dropped table) is a warning, not a
			 * failure */
			struct diag one;
			diag_init(&one);
			if (ad->ops->get_columns(c, &rels[i], a, &cr.cols, &cr.ncols, &one) < 0 ||
			    (row_counts && rels[i].type == REL_TABLE && ad->ops->row_count &&
			     ad->ops->row_count(c, &rels[i], &cr.row_count, &one) < 0)) {
				struct buf b = BUF_INIT;
				adapter_render_relation(ad, &rels[i], &b);
				if (d)
					diag_add(d, DIAG_WARNING, NULL, 0, 0, NULL, 0,
					         "catalog: %s: %s", buf_cstr(&b),
					         one.msgs.n ? one.msgs.v[0].msg : "error");
				buf_release(&b);
			}
			diag_release(&one);
			vec_push(&v, cr);
		}
	}
	if (v.n) {
		*out = arena_alloc(a, v.n * sizeof(**out));
		memcpy(*out, v.v, v.n * sizeof(**out));
		*n = v.n;
	}
	vec_free(&v);
	return 0;
}
