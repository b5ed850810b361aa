/* Loading seeds (see seed.h). */
#include "seed.h"

#include <ctype.h>

#include "csv/csv.h"
#include "value/datetime.h"

static enum seed_type seed_type_of(const struct csv_table *t, size_t c)
{
	switch (t->types[c]) {
	case CSV_INTEGER: return SEED_INTEGER;
	case CSV_NUMBER: return t->places[c] == 0 ? SEED_INTEGER : SEED_NUMBER;
	case CSV_DATE: return SEED_DATE;
	case CSV_DATETIME:
	case CSV_ISODATETIME: return SEED_DATETIME;
	case CSV_BOOLEAN: return SEED_BOOLEAN;
	default: return SEED_TEXT;
	}
}

/* A column name as the warehouse keeps it unquoted (quote_columns: false): PostgreSQL folds it
 * to lowercase. NULL when the name would not parse unquoted. */
static const char *unquoted_name(struct arena *a, const struct adapter *ad, struct str name)
{
	if (!name.n || !(isalpha((unsigned char)name.p[0]) || name.p[0] == '_'))
		return NULL;
	char *out = arena_strndup(a, name.p, name.n);
	for (size_t i = 0; i < name.n; i++) {
		unsigned char ch = (unsigned char)out[i];
		if (!isalnum(ch) && ch != '_' && ch != '$')
			return NULL;
		if (ad->ops->folds_lower)
			out[i] = (char)tolower(ch);
	}
	return out;
}

/* Whether table a has b's column names and types, in order. */
static bool same_columns(struct adapter_conn *c, const struct relation *a, const struct relation *b,
                         struct arena *ar, struct diag *d)
{
	struct adapter_column *ca, *cb;
	size_t na, nb;
	if (adapter_get_columns(c, a, ar, &ca, &na, d) < 0 ||
	    adapter_get_columns(c, b, ar, &cb, &nb, d) < 0 || na != nb || !na)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(ca[i].name, cb[i].name) || strcmp(ca[i].type, cb[i].type))
			return false;
	return true;
}

/* The loaded tmp becomes target: when target is a table of the same shape and no full refresh
 * is asked for, target's rows are replaced in one transaction and tmp dropped; otherwise tmp is
 * swapped in. */
static int replace_rows(const struct seed_ctx *s, struct adapter_conn *c, bool full,
                        const struct relation *target, const struct relation *tmp,
                        struct arena *a, struct diag *d)
{
	struct relation old;
	struct diag probe;
	diag_init(&probe);
	bool in_place = !full && !adapter_in_transaction(c) &&
	                adapter_get_relation(c, target->database, target->schema,
	                                     target->identifier, &old, &probe) == 1 &&
	                old.type == REL_TABLE && same_columns(c, target, tmp, a, &probe);
	diag_release(&probe);
	if (!in_place)
		return adapter_swap(c, target, tmp, d);
	struct buf sql = BUF_INIT;
	int rc = adapter_begin(c, d);
	if (rc == 0) {
		sqlfmt(&sql, s->ad, "delete from %R", target);
		rc = adapter_exec(c, buf_cstr(&sql), NULL, d);
	}
	if (rc == 0) {
		buf_reset(&sql);
		sqlfmt(&sql, s->ad, "insert into %R select * from %R", target, tmp);
		rc = adapter_exec(c, buf_cstr(&sql), NULL, d);
	}
	if (rc == 0)
		rc = adapter_drop_relation(c, tmp, d);
	if (rc == 0)
		rc = adapter_commit(c, d);
	else
		adapter_rollback(c, d);
	buf_release(&sql);
	return rc;
}

int seed_load(const struct seed_ctx *s, struct adapter_conn *c, const struct gnode *g, bool full,
              struct buf *st, int64_t *nrows, struct diag *d)
{
	struct arena a;
	arena_init(&a);
	int rc = -1;
	const char *dir = s->p->dir;
	for (size_t i = 0; i < s->r->npkgs; i++)
		if (!strcmp(s->r->pkgs[i].name, g->package))
			dir = s->r->pkgs[i].dir;
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/%s", dir, g->original_file_path);
	size_t len;
	char *text = file_read_all(path.p, &len);
	value types = v_item(g->config, "column_types");
	struct csv_opts o = { 0 };
	o.delimiter = v_item_str(g->config, "delimiter");
	struct str *text_cols = NULL;
	if (types.type == VT_DICT) {
		text_cols = arena_alloc(&a, (types.dict->n + 1) * sizeof(*text_cols));
		for (uint32_t i = 0; i < types.dict->n; i++)
			if (types.dict->k[i].type == VT_STR)
				text_cols[o.n_text_columns++] = v_as_str(types.dict->k[i]);
		o.text_columns = text_cols;
	}
	struct csv_table *t;
	if (!text) {
		diag_add(d, DIAG_ERROR, g->original_file_path, 0, 0, NULL, 0, "cannot read the seed file");
		goto done;
	}
	if (csv_read(&a, g->original_file_path, text, len, &o, &t, d) < 0)
		goto done;
	struct relation target = { v_item_str(g->raw, "database"), v_item_str(g->raw, "schema"), v_item_str(g->raw, "alias"), REL_TABLE, 0 };
	struct relation tmp = target;
	tmp.identifier = arena_printf(&a, "%s__dbt_tmp", target.identifier);
	struct buf sql = BUF_INIT;
	sqlfmt(&sql, s->ad, "create table %R (", &tmp);
	const char **cols = arena_alloc(&a, (t->ncols + 1) * sizeof(char *));
	value quote = v_item(g->config, "quote_columns"); /* None (unset) quotes, as dbt does */
	for (size_t i = 0; i < t->ncols; i++) {
		cols[i] = quote.type == VT_BOOL && !quote.b ? unquoted_name(&a, s->ad, t->names[i])
		                                            : arena_strndup(&a, t->names[i].p, t->names[i].n);
		if (!cols[i]) {
			diag_add(d, DIAG_ERROR, g->original_file_path, 0, 0, NULL, 0,
			         "seed column '%.*s' is not a plain identifier, so it cannot be used "
			         "with quote_columns: false",
			         (int)t->names[i].n, t->names[i].p);
			buf_release(&sql);
			goto done;
		}
		value override = v_undef();
		if (types.type == VT_DICT)
			vdict_gets(types.dict, t->names[i], &override);
		const char *sqltype = override.type == VT_STR ? override.s : adapter_seed_type(s->ad, seed_type_of(t, i));
		sqlfmt(&sql, s->ad, "%s%I %s", i ? ", " : "", cols[i], sqltype);
	}
	buf_putc(&sql, ')');
	/* rows as lists; dates and datetimes as their ISO text */
	value rows = v_list(&a, (uint32_t)t->nrows);
	for (size_t r = 0; r < t->nrows; r++) {
		value row = v_list(&a, (uint32_t)t->ncols);
		for (size_t ci = 0; ci < t->ncols; ci++) {
			value v = t->cells[r * t->ncols + ci];
			if (v.type == VT_OBJ) {
				struct buf b = BUF_INIT;
				v_to_str(v, &b);
				v = v_buf(&a, &b);
				buf_release(&b);
			}
			vlist_push(row.list, v);
		}
		vlist_push(rows.list, row);
	}
	int64_t inserted = 0;
	adapter_drop_relation(c, &tmp, d);
	if (adapter_exec(c, sql.p, NULL, d) == 0 &&
	    adapter_insert_rows(c, &tmp, cols, t->ncols, rows, &inserted, d) == 0 &&
	    replace_rows(s, c, full, &target, &tmp, &a, d) == 0) {
		buf_printf(st, "INSERT %lld", (long long)inserted);
		*nrows = inserted;
		rc = 0;
	} else {
		struct diag ignore;
		diag_init(&ignore);
		adapter_drop_relation(c, &tmp, &ignore);
		diag_release(&ignore);
	}
	buf_release(&sql);
done:
	free(text);
	buf_release(&path);
	arena_release(&a);
	return rc;
}

