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

/* ---- a pre-order walk, in jinja2's order (Node.find_all: each node before its children, the
 * children in their fields' order) ---- */
struct walk {
	bool (*visit)(struct walk *w, const struct node *n); /* true: stop the walk */
	bool stop;
};

static void walk_node(struct walk *w, const struct node *n);

static void walk_all(struct walk *w, struct node *const *v, size_t n)
{
	for (size_t i = 0; i < n && !w->stop; i++)
		if (v[i])
			walk_node(w, v[i]);
}

static void walk_args(struct walk *w, const struct call_args *ca)
{
	if (!ca)
		return;
	walk_all(w, ca->pos, ca->npos);
	walk_all(w, ca->kw, ca->nkw);
	struct node *const rest[2] = {ca->star, ca->dstar};
	walk_all(w, rest, 2);
}

static void walk_macro(struct walk *w, const struct macro_def *m)
{
	if (!m)
		return;
	walk_all(w, m->defaults, m->nparams); /* the parameters' defaults, then the body */
	if (m->body && !w->stop)
		walk_node(w, m->body);
}

static void walk_node(struct walk *w, const struct node *n)
{
	if (w->stop || (w->stop = w->visit(w, n)))
		return;
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
		walk_all(w, n->kids, n->nkids);
		return;
	case E_COMPARE:
		walk_all(w, abcd, 1);
		walk_all(w, n->kids, n->nkids);
		return;
	case S_FOR:
	case S_SET:
	case S_SETBLOCK: {
		struct node *const target[1] = {n->target};
		walk_all(w, target, 1);
		walk_all(w, abcd, 4);
		return;
	}
	case E_CALL:
	case E_FILTER:
	case E_TEST:
		walk_all(w, abcd, 1);
		walk_args(w, n->args);
		return;
	case S_MACRO:
		walk_macro(w, n->mac);
		return;
	case S_CALLBLOCK:
		walk_all(w, abcd, 1);
		walk_macro(w, n->mac);
		return;
	case S_FILTERBLOCK: { /* jinja2: the body, then the filter */
		struct node *const ba[2] = {n->b, n->a};
		walk_all(w, ba, 2);
		return;
	}
	case S_DBTBLOCK:
		walk_all(w, abcd + 1, 1);
		return;
	case S_TEXT:
	case E_CONST:
	case E_NAME:
	case E_BLOCKTEXT:
	case S_BREAK:
	case S_CONTINUE:
		return;
	default:
		walk_all(w, abcd, 4);
		return;
	}
}

struct first_config {
	struct walk w; /* first */
	const struct node *call;
};

static bool visit_config(struct walk *w, const struct node *n)
{
	struct first_config *fc = (struct first_config *)w;
	if (!is_config_call(n))
		return false;
	fc->call = n;
	return true;
}

/* The first config() call in pre-order (as jinja2's find_all meets it), or NULL. */
static const struct node *find_call(const struct node *n)
{
	struct first_config fc = {{visit_config, false}, NULL};
	walk_node(&fc.w, n);
	return fc.call;
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
	struct walk w; /* first */
	jinja_call_fn fn;
	void *ud;
};

static struct str const_str(const struct node *n)
{
	return n && n->kind == E_CONST && n->v.type == VT_STR ? v_as_str(n->v) : (struct str){0};
}

/* One call: `name(...)`, `pkg.name(...)` and `adapter.dispatch('name', 'namespace')`; any
 * other callee is not a macro dbt could see. */
static bool visit_call(struct walk *w, const struct node *n)
{
	struct calls *cs = (struct calls *)w;
	const struct node *f = n->a;
	if (n->kind != E_CALL || !f)
		return false;
	struct jinja_call c = {0};
	if (f->kind == E_NAME) {
		c.name = str_from(f->name);
	} else if (f->kind == E_GETATTR && f->a && f->a->kind == E_NAME) {
		if (!strcmp(f->a->name, "adapter")) {
			if (strcmp(f->name, "dispatch"))
				return false; /* adapter.get_relation(...) and the like */
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
	return false;
}

void jinja_block_calls(const struct jinja_block *b, jinja_call_fn fn, void *ud)
{
	struct calls cs = {{visit_call, false}, fn, ud};
	if (b->macro) /* test and materialization blocks: parameters' defaults, then the body */
		walk_macro(&cs.w, b->macro);
	else if (b->node)
		walk_node(&cs.w, b->node);
}
