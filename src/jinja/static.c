/* Static reading of a template: the arguments of its config() call without rendering it.
 *
 * dbt (with the behaviour flag state_modified_compare_more_unrendered_values) keeps the
 * arguments of a model's first `config(...)` call as written, so `state:modified.configs` does
 * not see `materialized='table' if target.name == 'prod' else 'view'` as a change when the
 * same code is parsed for another target. A literal argument (a constant, or a list, tuple or
 * dict of literals) keeps its value; any other expression is kept as its text, printed from the
 * AST in one canonical form (so spacing and quoting in the file do not matter). */
#include "jinja_int.h"

static bool is_config_call(const struct node *n)
{
	return n->kind == E_CALL && n->a && n->a->kind == E_NAME && strcmp(n->a->name, "config") == 0;
}

static const struct node *find_call(const struct node *n);

static const struct node *find_in(struct node *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct node *r = v[i] ? find_call(v[i]) : NULL;
		if (r)
			return r;
	}
	return NULL;
}

static const struct node *find_args(const struct call_args *ca)
{
	if (!ca)
		return NULL;
	const struct node *r = find_in(ca->pos, ca->npos);
	if (!r)
		r = find_in(ca->kw, ca->nkw);
	if (!r && ca->star)
		r = find_call(ca->star);
	if (!r && ca->dstar)
		r = find_call(ca->dstar);
	return r;
}

static const struct node *find_macro(const struct macro_def *m)
{
	if (!m)
		return NULL;
	const struct node *r = find_in(m->defaults, m->nparams);
	return r ? r : m->body ? find_call(m->body) : NULL;
}

/* The first config() call in pre-order (as jinja2's find_all meets it), or NULL. */
static const struct node *find_call(const struct node *n)
{
	if (is_config_call(n))
		return n;
	struct node *const abcd[4] = {
	    n->a, n->b,
	    (n->kind == S_IF || n->kind == S_FOR || n->kind == E_COND || n->kind == E_SLICE) ? n->c : NULL,
	    (n->kind == S_FOR || n->kind == E_SLICE) ? n->d : NULL};
	const struct node *r = NULL;
	switch (n->kind) {
	case S_BODY:
	case E_LIST:
	case E_TUPLE:
	case E_DICT:
		return find_in(n->kids, n->nkids);
	case E_COMPARE:
		return (r = find_call(n->a)) ? r : find_in(n->kids, n->nkids);
	case S_FOR:
	case S_SET:
	case S_SETBLOCK:
		if (n->target && (r = find_call(n->target)))
			return r;
		return find_in(abcd, 4);
	case E_CALL:
	case E_FILTER:
	case E_TEST:
		if (n->a && (r = find_call(n->a)))
			return r;
		return find_args(n->args);
	case S_MACRO:
		return find_macro(n->mac);
	case S_CALLBLOCK:
		if (n->a && (r = find_call(n->a)))
			return r;
		return find_macro(n->mac);
	case S_DBTBLOCK:
		return n->b ? find_call(n->b) : NULL;
	case S_TEXT:
	case E_CONST:
	case E_NAME:
	case E_BLOCKTEXT:
	case S_BREAK:
	case S_CONTINUE:
		return NULL;
	default:
		return find_in(abcd, 4);
	}
}

static const char *const binop_text[] = {
    [OP_ADD] = "+",   [OP_SUB] = "-",   [OP_MUL] = "*",      [OP_DIV] = "/",  [OP_FLOORDIV] = "//",
    [OP_MOD] = "%",   [OP_POW] = "**",  [OP_CONCAT] = "~",   [OP_EQ] = "==",  [OP_NE] = "!=",
    [OP_LT] = "<",    [OP_LE] = "<=",   [OP_GT] = ">",       [OP_GE] = ">=",  [OP_IN] = "in",
    [OP_NOTIN] = "not in", [OP_NEG] = "-", [OP_POS] = "+",
};

static void print_expr(const struct node *n, struct buf *out);

/* An operand of an operator: parenthesised unless it is atomic. */
static void print_operand(const struct node *n, struct buf *out)
{
	bool atom = n->kind == E_CONST || n->kind == E_NAME || n->kind == E_GETATTR ||
	            n->kind == E_GETITEM || n->kind == E_CALL || n->kind == E_LIST ||
	            n->kind == E_TUPLE || n->kind == E_DICT;
	if (!atom)
		buf_putc(out, '(');
	print_expr(n, out);
	if (!atom)
		buf_putc(out, ')');
}

static void print_args(const struct call_args *ca, struct buf *out)
{
	buf_putc(out, '(');
	const char *sep = "";
	for (uint32_t i = 0; ca && i < ca->npos; i++, sep = ", ") {
		buf_puts(out, sep);
		print_expr(ca->pos[i], out);
	}
	for (uint32_t i = 0; ca && i < ca->nkw; i++, sep = ", ") {
		buf_puts(out, sep);
		buf_puts(out, ca->kwnames[i]);
		buf_putc(out, '=');
		print_expr(ca->kw[i], out);
	}
	if (ca && ca->star) {
		buf_puts(out, sep);
		buf_putc(out, '*');
		print_expr(ca->star, out);
		sep = ", ";
	}
	if (ca && ca->dstar) {
		buf_puts(out, sep);
		buf_puts(out, "**");
		print_expr(ca->dstar, out);
	}
	buf_putc(out, ')');
}

static void print_kids(const struct node *n, const char *open, const char *close, struct buf *out)
{
	buf_puts(out, open);
	for (uint16_t i = 0; i < n->nkids; i++) {
		if (i)
			buf_puts(out, n->kind == E_DICT && i % 2 ? ": " : ", ");
		print_expr(n->kids[i], out);
	}
	if (n->kind == E_TUPLE && n->nkids == 1)
		buf_putc(out, ',');
	buf_puts(out, close);
}

static void print_expr(const struct node *n, struct buf *out)
{
	switch (n->kind) {
	case E_CONST:
		v_to_repr(n->v, out);
		return;
	case E_NAME:
		buf_puts(out, n->name);
		return;
	case E_GETATTR:
		print_operand(n->a, out);
		buf_putc(out, '.');
		buf_puts(out, n->name);
		return;
	case E_GETITEM:
		print_operand(n->a, out);
		buf_putc(out, '[');
		print_expr(n->b, out);
		buf_putc(out, ']');
		return;
	case E_SLICE:
		print_operand(n->a, out);
		buf_putc(out, '[');
		if (n->b)
			print_expr(n->b, out);
		buf_putc(out, ':');
		if (n->c)
			print_expr(n->c, out);
		if (n->d) {
			buf_putc(out, ':');
			print_expr(n->d, out);
		}
		buf_putc(out, ']');
		return;
	case E_CALL:
		print_operand(n->a, out);
		print_args(n->args, out);
		return;
	case E_FILTER:
		if (n->a)
			print_operand(n->a, out);
		buf_putc(out, '|');
		buf_puts(out, n->name);
		if (n->args)
			print_args(n->args, out);
		return;
	case E_TEST:
		print_operand(n->a, out);
		buf_puts(out, n->op ? " is not " : " is ");
		buf_puts(out, n->name);
		if (n->args)
			print_args(n->args, out);
		return;
	case E_BINOP:
		print_operand(n->a, out);
		buf_printf(out, " %s ", binop_text[n->op]);
		print_operand(n->b, out);
		return;
	case E_UNARY:
		buf_puts(out, binop_text[n->op]);
		print_operand(n->a, out);
		return;
	case E_NOT:
		buf_puts(out, "not ");
		print_operand(n->a, out);
		return;
	case E_AND:
	case E_OR:
		print_operand(n->a, out);
		buf_puts(out, n->kind == E_AND ? " and " : " or ");
		print_operand(n->b, out);
		return;
	case E_COMPARE:
		print_operand(n->a, out);
		for (uint16_t i = 0; i < n->nkids; i++) {
			buf_printf(out, " %s ", binop_text[n->ops[i]]);
			print_operand(n->kids[i], out);
		}
		return;
	case E_COND:
		print_operand(n->b, out);
		buf_puts(out, " if ");
		print_operand(n->a, out);
		if (n->c) {
			buf_puts(out, " else ");
			print_operand(n->c, out);
		}
		return;
	case E_LIST:
		print_kids(n, "[", "]", out);
		return;
	case E_TUPLE:
		print_kids(n, "(", ")", out);
		return;
	case E_DICT:
		print_kids(n, "{", "}", out);
		return;
	default:
		buf_puts(out, "?");
		return;
	}
}

/* A literal's value, or false when n is not a literal. */
static bool literal(struct arena *a, const struct node *n, value *out)
{
	if (n->kind == E_CONST) {
		*out = n->v.type == VT_STR ? value_copy(a, n->v) : n->v;
		return true;
	}
	if (n->kind != E_LIST && n->kind != E_TUPLE && n->kind != E_DICT)
		return false;
	bool dict = n->kind == E_DICT;
	value c = dict ? v_dict(a, n->nkids / 2) : v_list(a, n->nkids), k = v_none();
	for (uint16_t i = 0; i < n->nkids; i++) {
		value x;
		if (!literal(a, n->kids[i], &x))
			return false;
		if (!dict)
			vlist_push(c.list, x);
		else if (i % 2 == 0 && !v_hashable(k = x))
			return false;
		else if (i % 2)
			vdict_set(c.dict, k, x);
	}
	*out = c;
	return true;
}

int jinja_static_config(const struct jinja_template *t, struct arena *a, value *out)
{
	const struct node *call = t->root ? find_call(t->root) : NULL;
	if (!call)
		return 0;
	*out = v_dict(a, call->args ? call->args->nkw : 0);
	for (uint32_t i = 0; call->args && i < call->args->nkw; i++) {
		value v;
		if (!literal(a, call->args->kw[i], &v)) {
			struct buf b = BUF_INIT;
			print_expr(call->args->kw[i], &b);
			v = v_str(arena_strndup(a, b.p, b.n), b.n);
			buf_release(&b);
		}
		vdict_set(out->dict, v_cstr(arena_strndup(a, call->args->kwnames[i], strlen(call->args->kwnames[i]))), v);
	}
	return 1;
}

/* ---- the macros a macro may call (dbt's statically_extract_macro_calls) ---- */

struct calls {
	jinja_call_fn fn;
	void *ud;
};

static void calls_in(struct calls *cs, const struct node *n);

static void calls_in_all(struct calls *cs, struct node *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i])
			calls_in(cs, v[i]);
}

static void calls_in_args(struct calls *cs, const struct call_args *ca)
{
	if (!ca)
		return;
	calls_in_all(cs, ca->pos, ca->npos);
	calls_in_all(cs, ca->kw, ca->nkw);
	if (ca->star)
		calls_in(cs, ca->star);
	if (ca->dstar)
		calls_in(cs, ca->dstar);
}

static void calls_in_macro(struct calls *cs, const struct macro_def *m)
{
	if (!m)
		return;
	calls_in_all(cs, m->defaults, m->nparams);
	if (m->body)
		calls_in(cs, m->body);
}

static struct str const_str(const struct node *n)
{
	return n && n->kind == E_CONST && n->v.type == VT_STR ? v_as_str(n->v) : (struct str){0};
}

/* One call, reported before what it contains (jinja2's find_all order): `name(...)`,
 * `pkg.name(...)` and `adapter.dispatch('name', 'namespace')`; any other callee is not a
 * macro dbt could see. */
static void report_call(struct calls *cs, const struct node *n)
{
	const struct node *f = n->a;
	struct jinja_call c = {0};
	if (f && f->kind == E_NAME) {
		c.name = str_from(f->name);
	} else if (f && f->kind == E_GETATTR && f->a && f->a->kind == E_NAME) {
		if (!strcmp(f->a->name, "adapter")) {
			if (strcmp(f->name, "dispatch"))
				return; /* adapter.get_relation(...) and the like */
			const struct call_args *ca = n->args;
			c.dispatch = true;
			if (ca && ca->npos > 0)
				c.name = const_str(ca->pos[0]);
			if (ca && ca->npos > 1)
				c.dispatch_ns = const_str(ca->pos[1]);
			for (uint32_t i = 0; ca && i < ca->nkw; i++) {
				if (!strcmp(ca->kwnames[i], "macro_name") && const_str(ca->kw[i]).p)
					c.name = const_str(ca->kw[i]);
				else if (!strcmp(ca->kwnames[i], "macro_namespace") &&
				         const_str(ca->kw[i]).p)
					c.dispatch_ns = const_str(ca->kw[i]);
			}
		} else {
			c.package = str_from(f->a->name);
			c.name = str_from(f->name);
		}
	}
	if (c.name.p && c.name.n)
		cs->fn(cs->ud, &c);
}

static void calls_in(struct calls *cs, const struct node *n)
{
	struct node *const abcd[4] = {
	    n->a, n->b,
	    (n->kind == S_IF || n->kind == S_FOR || n->kind == E_COND || n->kind == E_SLICE) ? n->c
	                                                                                      : NULL,
	    (n->kind == S_FOR || n->kind == E_SLICE) ? n->d : NULL};
	switch (n->kind) {
	case S_BODY:
	case E_LIST:
	case E_TUPLE:
	case E_DICT:
		calls_in_all(cs, n->kids, n->nkids);
		return;
	case E_COMPARE:
		calls_in(cs, n->a);
		calls_in_all(cs, n->kids, n->nkids);
		return;
	case S_FOR:
	case S_SET:
	case S_SETBLOCK:
		if (n->target)
			calls_in(cs, n->target);
		calls_in_all(cs, abcd, 4);
		return;
	case E_CALL:
		report_call(cs, n);
		if (n->a)
			calls_in(cs, n->a);
		calls_in_args(cs, n->args);
		return;
	case E_FILTER:
	case E_TEST:
		if (n->a)
			calls_in(cs, n->a);
		calls_in_args(cs, n->args);
		return;
	case S_MACRO:
		calls_in_macro(cs, n->mac);
		return;
	case S_CALLBLOCK:
		if (n->a)
			calls_in(cs, n->a);
		calls_in_macro(cs, n->mac);
		return;
	case S_FILTERBLOCK: /* jinja2 visits the body, then the filter */
		if (n->b)
			calls_in(cs, n->b);
		if (n->a)
			calls_in(cs, n->a);
		return;
	case S_DBTBLOCK:
		if (n->b)
			calls_in(cs, n->b);
		return;
	case S_TEXT:
	case E_CONST:
	case E_NAME:
	case E_BLOCKTEXT:
	case S_BREAK:
	case S_CONTINUE:
		return;
	default:
		calls_in_all(cs, abcd, 4);
		return;
	}
}

void jinja_block_calls(const struct jinja_block *b, jinja_call_fn fn, void *ud)
{
	struct calls cs = {fn, ud};
	if (b->macro) /* test and materialization blocks: parameters' defaults, then the body */
		calls_in_macro(&cs, b->macro);
	else if (b->node)
		calls_in(&cs, b->node);
}
