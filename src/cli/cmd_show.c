/* silt show: compile a node (--select) or an inline query (--inline, rendered with the dbt
 * context so ref and source work), run it through get_show_sql (the compiled code with
 * `limit N` appended, --limit 5 by default, -1 for none) and print the rows as dbt does: an
 * agate table (columns typed as dbt's agate_helper types them) printed by print_table, or with
 * --output json as {"node": name, "show": [rows]}. */
#include <math.h>

#include "adapter/adapter.h"
#include "cli.h"
#include "run/task.h"
#include "compile/compile.h"
#include "json/json.h"
#include "run/compile.h"
#include "run/console.h"

/* agate's print_table defaults, which dbt show keeps (max_rows=None) */
#define MAX_COLUMNS 6
#define MAX_COLUMN_WIDTH 20
#define MAX_PRECISION 3

/* The column types dbt's table_from_data_flat gives a query's rows: Text when any value is a
 * string (its values then shown with str()), otherwise the first of Integer, Number that casts
 * every value (a column of None alone is Integer). SQLite gives no booleans or dates. */
enum col_kind { COL_INTEGER, COL_NUMBER, COL_TEXT };

struct preview {
	size_t ncols, nrows;
	const char **names;
	enum col_kind *kinds;
	const value *const *rows; /* rows[r][c] */
};

static value dget(value d, const char *k)
{
	value v;
	if (d.type == VT_DICT && vdict_gets(d.dict, str_from(k), &v))
		return v;
	return v_undef();
}

/* ---- the table dbt builds from a cursor ---- */

/* agate's letter_name: a, b, ..., z, aa, bb, ... */
static const char *letter_name(struct arena *a, size_t i)
{
	size_t reps = i / 26 + 1;
	char *s = arena_alloc(a, reps + 1);
	memset(s, 'a' + (int)(i % 26), reps);
	s[reps] = 0;
	return s;
}

static void preview_init(struct preview *pv, struct arena *a, const struct adapter_table *t)
{
	pv->ncols = t->ncols;
	pv->nrows = t->nrows;
	pv->names = arena_zalloc(a, (t->ncols + 1) * sizeof(char *));
	pv->kinds = arena_zalloc(a, (t->ncols + 1) * sizeof(enum col_kind));
	const value **rows = arena_zalloc(a, (t->nrows + 1) * sizeof(value *));
	for (size_t r = 0; r < t->nrows; r++)
		rows[r] = t->rows.list->v[r].list->v;
	pv->rows = rows;
	/* dbt's process_results renames a repeated column name x to x_2, x_3, ...; agate names
	 * unnamed columns by letter */
	for (size_t c = 0; c < t->ncols; c++) {
		const char *nm = t->cols[c].name;
		int seen = 1;
		for (size_t k = 0; k < c; k++)
			seen += strcmp(t->cols[k].name, nm) == 0;
		pv->names[c] = !*nm       ? letter_name(a, c)
		               : seen > 1 ? arena_printf(a, "%s_%d", nm, seen)
		                          : nm;
		bool text = false, real = false;
		for (size_t r = 0; r < t->nrows; r++) {
			value v = rows[r][c];
			text |= v.type == VT_STR;
			real |= v.type == VT_FLOAT;
		}
		pv->kinds[c] = text ? COL_TEXT : real ? COL_NUMBER : COL_INTEGER;
	}
}

/* ---- numbers as agate prints them: babel's format_decimal, en_US ---- */

/* A decimal as Python's Decimal holds it: digits × 10^exp (agate casts a float through its
 * repr, an int exactly). */
struct dec {
	bool neg, inf;
	char digits[352];
	int n, exp;
};

static void dec_from(value v, struct dec *d)
{
	memset(d, 0, sizeof(*d));
	if (v.type == VT_INT) {
		uint64_t u = v.i < 0 ? 0 - (uint64_t)v.i : (uint64_t)v.i;
		d->neg = v.i < 0;
		char tmp[24];
		int n = 0;
		do
			tmp[n++] = (char)('0' + u % 10);
		while (u /= 10);
		for (int i = 0; i < n; i++)
			d->digits[i] = tmp[n - 1 - i];
		d->n = n;
		return;
	}
	if (isinf(v.f)) {
		d->inf = true;
		d->neg = v.f < 0;
		return;
	}
	char r[32];
	fmt_double(v.f, r);
	const char *s = r;
	if (*s == '-')
		d->neg = true, s++;
	int frac = 0;
	bool dot = false;
	for (; *s && *s != 'e' && d->n < 40; s++) {
		if (*s == '.') {
			dot = true;
			continue;
		}
		d->digits[d->n++] = *s;
		frac += dot;
	}
	int lead = 0; /* leading zeros change nothing: 0.05 is 5 x 10^-2 */
	while (lead < d->n - 1 && d->digits[lead] == '0')
		lead++;
	memmove(d->digits, d->digits + lead, (size_t)(d->n - lead));
	d->n -= lead;
	d->exp = (*s == 'e' ? atoi(s + 1) : 0) - frac;
}

/* Decimal.normalize(): trailing zeros into the exponent; zero is 0E0. */
static void dec_normal(const struct dec *d, int *ndig, int *exp)
{
	int n = d->n, e = d->exp;
	while (n > 1 && d->digits[n - 1] == '0')
		n--, e++;
	if (n == 1 && d->digits[0] == '0')
		e = 0;
	*ndig = n;
	*exp = e;
}

/* d rounded half-even to `places` decimals, grouped by thousands, as babel's pattern
 * "#,##0.<places zeros>" prints it; "…" after it when the precision was cut. */
static void dec_format(const struct dec *d, int places, bool ellipsis, struct buf *out)
{
	char n[420];
	int len = 0;
	int shift = d->exp + places;
	if (shift >= 0) {
		memcpy(n, d->digits, (size_t)d->n);
		len = d->n;
		for (int i = 0; i < shift && len < (int)sizeof(n) - 1; i++)
			n[len++] = '0';
	} else {
		int keep = d->n + shift; /* digits left of the cut */
		bool up = false;
		if (keep >= 0) {
			memcpy(n, d->digits, (size_t)keep);
			len = keep;
			char first = d->digits[keep];
			bool rest = false;
			for (int i = keep + 1; i < d->n; i++)
				rest |= d->digits[i] != '0';
			bool odd = len > 0 && (n[len - 1] - '0') % 2 == 1;
			up = first > '5' || (first == '5' && (rest || odd));
		}
		if (len == 0)
			n[len++] = '0';
		for (int i = len - 1; up && i >= 0; i--) {
			if (n[i] == '9') {
				n[i] = '0';
			} else {
				n[i]++;
				up = false;
			}
		}
		if (up) {
			memmove(n + 1, n, (size_t)len++);
			n[0] = '1';
		}
	}
	/* at least one integer digit */
	while (len < places + 1) {
		memmove(n + 1, n, (size_t)len++);
		n[0] = '0';
	}
	int ip = len - places, start = 0;
	while (start < ip - 1 && n[start] == '0')
		start++;
	if (d->neg)
		buf_putc(out, '-');
	for (int i = start; i < ip; i++) {
		buf_putc(out, n[i]);
		if (i < ip - 1 && (ip - 1 - i) % 3 == 0)
			buf_putc(out, ',');
	}
	if (places > 0) {
		buf_putc(out, '.');
		buf_append(out, n + ip, (size_t)places);
	}
	if (ellipsis)
		buf_puts(out, "\xe2\x80\xa6");
}

/* ---- print_table ---- */

static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* The first `chars` code points of s. */
static size_t text_prefix(const char *s, size_t chars)
{
	size_t i = 0, seen = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (seen == chars)
				break;
			seen++;
		}
	}
	return i;
}

static const char *clip(struct arena *a, const char *s)
{
	if (text_width(s) <= MAX_COLUMN_WIDTH)
		return s;
	size_t n = text_prefix(s, MAX_COLUMN_WIDTH - 3);
	return arena_printf(a, "%.*s...", (int)n, s);
}

static void put_cell(struct buf *out, const char *s, size_t width, bool left)
{
	size_t w = text_width(s), pad = width > w ? width - w : 0;
	buf_putc(out, ' ');
	if (!left)
		for (size_t i = 0; i < pad; i++)
			buf_putc(out, ' ');
	buf_puts(out, s);
	if (left)
		for (size_t i = 0; i < pad; i++)
			buf_putc(out, ' ');
	buf_putc(out, ' ');
}

static void print_table(const struct preview *pv, struct arena *a, struct buf *out)
{
	size_t shown = pv->ncols < MAX_COLUMNS ? pv->ncols : MAX_COLUMNS;
	bool cut = pv->ncols > MAX_COLUMNS;
	size_t nc = shown + cut;
	const char **head = arena_zalloc(a, (nc + 1) * sizeof(char *));
	size_t *width = arena_zalloc(a, (nc + 1) * sizeof(size_t));
	for (size_t c = 0; c < shown; c++)
		head[c] = clip(a, pv->names[c]);
	if (cut)
		head[shown] = "...";
	for (size_t c = 0; c < nc; c++)
		width[c] = text_width(head[c]);
	/* decimal places per Number column: the most any value has, at most MAX_PRECISION */
	int *places = arena_zalloc(a, (shown + 1) * sizeof(int));
	bool *more = arena_zalloc(a, (shown + 1) * sizeof(bool));
	for (size_t c = 0; c < shown; c++) {
		if (pv->kinds[c] != COL_NUMBER)
			continue;
		int whole = 1, dec = 0;
		for (size_t r = 0; r < pv->nrows; r++) {
			value v = pv->rows[r][c];
			if (v.type != VT_INT && v.type != VT_FLOAT)
				continue;
			struct dec d;
			dec_from(v, &d);
			if (d.inf)
				continue;
			int nd, e;
			dec_normal(&d, &nd, &e);
			if (nd + e > whole)
				whole = nd + e;
			if (-e > dec)
				dec = -e;
		}
		if (whole + dec > 28) /* Python's decimal precision */
			dec = 28 - whole > 0 ? 28 - whole : 0;
		more[c] = dec > MAX_PRECISION;
		places[c] = more[c] ? MAX_PRECISION : dec;
	}
	const char **cells = arena_zalloc(a, (pv->nrows * nc + 1) * sizeof(char *));
	struct buf tmp = BUF_INIT;
	for (size_t r = 0; r < pv->nrows; r++) {
		for (size_t c = 0; c < nc; c++) {
			const char *s;
			value v = c < shown ? pv->rows[r][c] : v_none();
			buf_reset(&tmp);
			if (c >= shown) {
				s = "...";
			} else if (v.type == VT_NONE) {
				s = "";
			} else if (pv->kinds[c] == COL_NUMBER) {
				struct dec d;
				dec_from(v, &d);
				if (d.inf)
					buf_puts(&tmp, d.neg ? "-Infinity" : "Infinity");
				else
					dec_format(&d, places[c], more[c], &tmp);
				s = arena_strndup(a, buf_cstr(&tmp), tmp.n);
			} else {
				v_to_str(v, &tmp);
				s = arena_strndup(a, buf_cstr(&tmp), tmp.n);
			}
			s = clip(a, s);
			if (text_width(s) > width[c])
				width[c] = text_width(s);
			cells[r * nc + c] = s;
		}
	}
	buf_release(&tmp);
	/* Text is left-justified, everything else right-justified; the "..." column takes the
	 * justification of the first column left out */
	bool *left = arena_zalloc(a, (nc + 1) * sizeof(bool));
	for (size_t c = 0; c < nc; c++)
		left[c] = pv->kinds[c] == COL_TEXT;
	for (size_t r = 0; r <= pv->nrows; r++) {
		buf_putc(out, '|');
		for (size_t c = 0; c < nc; c++) {
			if (c)
				buf_putc(out, '|');
			put_cell(out, r == 0 ? head[c] : cells[(r - 1) * nc + c], width[c], left[c]);
		}
		buf_puts(out, "|\n");
		if (r == 0) {
			buf_puts(out, "| ");
			for (size_t c = 0; c < nc; c++) {
				if (c)
					buf_puts(out, " | ");
				for (size_t i = 0; i < width[c]; i++)
					buf_putc(out, '-');
			}
			buf_puts(out, " |\n");
		}
	}
}

/* agate's to_json of the table: a list of {column: value}; Integer as int, Number as float,
 * Text as str. */
static value table_json(const struct preview *pv, struct arena *a)
{
	value rows = v_list(a, (uint32_t)pv->nrows + 1);
	struct buf tmp = BUF_INIT;
	for (size_t r = 0; r < pv->nrows; r++) {
		value row = v_dict(a, (uint32_t)pv->ncols + 1);
		for (size_t c = 0; c < pv->ncols; c++) {
			value v = pv->rows[r][c];
			if (v.type != VT_NONE && pv->kinds[c] == COL_NUMBER && v.type == VT_INT)
				v = v_float((double)v.i);
			else if (v.type != VT_NONE && pv->kinds[c] == COL_TEXT && v.type != VT_STR) {
				buf_reset(&tmp);
				v_to_str(v, &tmp);
				v = v_buf(a, &tmp);
			}
			vdict_set(row.dict, v_cstr(pv->names[c]), v);
		}
		vlist_push(rows.list, row);
	}
	buf_release(&tmp);
	return rows;
}

/* ---- compiling and running ---- */

struct show_run {
	struct cli_parsed *c;
	struct node_compiler nc;
	struct adapter *ad;
	struct adapter_conn *conn;
	int64_t limit; /* < 0: none */
	bool json;
};

static int sv_var(void *ud, const char *package, struct str name, value *out)
{
	struct project *p = ud;
	char *n = xmemdup0(name.p, name.n);
	int rc = project_var_lookup(p, NULL, package && p->name && strcmp(package, p->name) ? package : NULL,
	                            n, out);
	free(n);
	return rc;
}

static int sv_env(void *ud, struct str name, value *out)
{
	char *n = xmemdup0(name.p, name.n);
	const char *v = project_getenv(ud, n);
	free(n);
	if (!v)
		return 0;
	*out = v_cstr(v);
	return 1;
}

/* dbt's execute_macro("get_show_sql"): the root project's override, else dbt's. */
static int show_sql(struct show_run *s, const struct gnode *g, const char *compiled, struct arena *a,
                    struct buf *out, struct diag *d)
{
	struct project *p = &s->c->p;
	struct dbt_project_info info = s->nc.info;
	info.ud = p;
	info.var = sv_var;
	info.env_var = sv_env;
	info.resolve_ref = NULL;
	info.resolve_source = NULL;
	struct dbt_render r = { 0 };
	r.proj = &info;
	r.env = s->c->r.env;
	r.phase = DBT_EXECUTE;
	r.package = g->package;
	r.node = g->raw;
	value rel = dget(g->raw, "relation_name");
	r.this = rel.type == VT_STR ? rel : v_undef();
	struct jinja_render opts = { 0 };
	dbt_render_setup(&r, a, &opts);
	value header = dget(g->config, "sql_header");
	value args[3] = { v_cstr(compiled), header.type == VT_UNDEF ? v_none() : header,
		          s->limit < 0 ? v_none() : v_int(s->limit) };
	struct vargs va = { args, 3, 0, NULL };
	const char *ns = "dbt";
	value nsv, m;
	if (p->name && jinja_get_global(r.env, p->name, &nsv) && nsv.type == VT_DICT &&
	    vdict_gets(nsv.dict, STR("get_show_sql"), &m))
		ns = p->name;
	value res;
	if (jinja_call_macro(r.env, ns, "get_show_sql", &va, &opts, &res, d) < 0)
		return -1;
	v_to_str(res, out);
	return 0;
}

/* The node's query: seeds read their table, the rest compile. -1 with errors on d. */
static int node_query(struct show_run *s, struct gnode *g, struct buf *sql, struct diag *d)
{
	if (g->type == GT_SEED) {
		value rel = dget(g->raw, "relation_name");
		if (rel.type != VT_STR) {
			diag_add(d, DIAG_ERROR, g->original_file_path, 0, 0, NULL, 0,
			         "seed '%s' has no relation", g->name);
			return -1;
		}
		buf_puts(sql, "select * from ");
		buf_puts(sql, rel.s);
		return 0;
	}
	if (g->generic_test) {
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		         "%s: silt cannot compile generic tests yet", g->unique_id);
		return -1;
	}
	return node_compile(&s->nc, g, sql, d);
}

static void print_error(const char *kind, const struct gnode *g, struct diag *d)
{
	struct buf msg = BUF_INIT;
	diag_print(d, &msg);
	fprintf(stderr, "%s in %s %s (%s)\n", kind, graph_type_name((enum gtype)g->type), g->name,
	        g->original_file_path ? g->original_file_path : g->path ? g->path : "");
	/* indented as dbt prints an error's message */
	const char *p = buf_cstr(&msg);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(stderr, "  %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
	buf_release(&msg);
	diag_release(d);
	diag_init(d);
}

/* Runs g's query and prints the preview; 0, 1 (the database failed) or 2 (compile error). */
static int show_node(struct show_run *s, struct gnode *g, bool is_inline)
{
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct buf code = BUF_INIT, sql = BUF_INIT;
	int rc = 0;
	struct adapter_table t;
	if (node_query(s, g, &code, &d) < 0 ||
	    show_sql(s, g, buf_cstr(&code), &a, &sql, &d) < 0) {
		print_error("Compilation Error", g, &d);
		rc = is_inline ? 2 : 1;
	} else if (adapter_query(s->conn, buf_cstr(&sql), &a, &t, &d) < 0) {
		print_error("Database Error", g, &d);
		rc = 1;
	} else {
		struct preview pv;
		preview_init(&pv, &a, &t);
		const char *name = g->name;
		if (g->version)
			name = arena_printf(&a, "%s.v%s", g->name, g->version);
		struct buf out = BUF_INIT;
		if (s->json) {
			value top = v_dict(&a, 2);
			if (!is_inline)
				vdict_sets(top.dict, "node", v_cstr(name));
			vdict_sets(top.dict, "show", table_json(&pv, &a));
			struct json_opts jo = JSON_OPTS_INIT;
			jo.indent = 2;
			json_write(&out, top, &jo);
			buf_putc(&out, '\n');
		} else {
			if (is_inline)
				buf_puts(&out, "Previewing inline node:\n");
			else
				buf_printf(&out, "Previewing node '%s':\n", name);
			print_table(&pv, &a, &out);
			buf_putc(&out, '\n'); /* the preview ends in a newline, and so does the line */
		}
		fputs(buf_cstr(&out), stdout);
		fflush(stdout);
		buf_release(&out);
	}
	buf_release(&code);
	buf_release(&sql);
	diag_release(&d);
	arena_release(&a);
	return rc;
}

static bool parse_limit(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end)
		return false;
	*out = v;
	return true;
}

int cmd_show(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection csel = { 0 };
	struct show_run s = { 0 };
	s.limit = 5;
	const char *inl = NULL;
	int rc = 0;
	for (int i = 0; i < nrest && !rc; i++) {
		const char *a = rest[i];
		if (cli_take_selection_flag(rest, nrest, &i, &csel))
			continue;
		bool has = i + 1 < nrest;
		if (!strcmp(a, "--inline") && has) {
			inl = rest[++i];
		} else if (!strcmp(a, "--limit") && has) {
			if (!parse_limit(rest[++i], &s.limit)) {
				fprintf(stderr, "silt show: Invalid value for '--limit': '%s' is not a "
				                "valid integer.\n", rest[i]);
				rc = 2;
			}
		} else if (!strcmp(a, "--output") && has) {
			const char *v = rest[++i];
			if (!strcmp(v, "json") || !strcmp(v, "text")) {
				s.json = !strcmp(v, "json");
			} else {
				fprintf(stderr, "silt show: Invalid value for '--output': '%s' is not one "
				                "of 'json', 'text'.\n", v);
				rc = 2;
			}
		} else if (!strcmp(a, "--inline") || !strcmp(a, "--limit") || !strcmp(a, "--output")) {
			fprintf(stderr, "silt show: option %s needs a value\n", a);
			rc = 2;
		} else {
			fprintf(stderr, "silt show: unknown argument '%s'\n", a);
			rc = 2;
		}
	}
	free(rest);
	if (!rc && !inl && !csel.select.n) {
		fprintf(stderr, "silt show: Either --select or --inline must be passed to show\n");
		rc = 2;
	}
	if (rc) {
		cli_selection_release(&csel);
		return rc;
	}
	struct cli_parsed c;
	struct console con;
	console_init(&con, stdout);
	rc = 2;
	if (cli_load_parse(&c, &o) < 0)
		goto done;
	s.c = &c;
	struct project *p = &c.p;
	struct gmanifest *m = c.r.m;
	task_found_line(&con, &c.r);
	/* the nodes to preview: dbt runs the whole selection but shows only the nodes whose name
	 * is part of the first --select value (`name in selection_arg[0]`) */
	VEC(struct gnode *) todo = { 0 };
	if (!inl) {
		struct gselect_opts so;
		struct gselection sel;
		uint32_t types = 1u << GT_MODEL | 1u << GT_ANALYSIS | 1u << GT_TEST | 1u << GT_SEED |
		                 1u << GT_SNAPSHOT;
		if (cli_selection_opts(&csel, types, &so, c.selectors, &c.d) < 0 ||
		    cli_selection_state(&csel, &c, &so) < 0 ||
		    graph_select(&c.a, m, &so, &sel, &c.d) < 0)
			goto done;
		for (uint32_t k = 0; k < m->n; k++) {
			struct gnode *g = m->nodes[m->topo[k]];
			if ((sel.bits[g->idx / 64] >> (g->idx % 64) & 1) &&
			    strstr(csel.select.v[0], g->name))
				vec_push(&todo, g);
		}
	}
	int threads = o.threads ? o.threads : (p->profile.threads > 0 ? (int)p->profile.threads : 1);
	console_line(&con, "%s", "");
	console_line(&con, "Concurrency: %d threads (target='%s')", threads,
	             p->profile.target_name ? p->profile.target_name : "");
	console_line(&con, "%s", "");
	s.ad = adapter_new(p->profile.output, p->dir, &c.d);
	if (!s.ad || !(s.conn = adapter_open(s.ad, &c.d))) {
		vec_free(&todo);
		goto done;
	}
	node_compiler_init(&s.nc, p, &c.r);
	rc = 0;
	if (inl) {
		rc = show_node(&s, cli_inline_node(&c.a, p->name ? p->name : "", inl), true);
	} else {
		for (size_t i = 0; i < todo.n; i++) {
			int r = show_node(&s, todo.v[i], false);
			if (r > rc)
				rc = r;
		}
	}
	node_compiler_release(&s.nc);
	vec_free(&todo);
done:
	if (s.conn)
		adapter_close(s.conn);
	if (s.ad)
		adapter_free(s.ad);
	cli_parsed_release(&c);
	cli_selection_release(&csel);
	return rc;
}
