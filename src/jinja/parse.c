/* The Jinja parser: tokens → AST, following Jinja2's grammar (parser.py) including its operator
 * precedence (`**` is left-associative, filters bind tighter than unary minus's operand only),
 * plus dbt's block tags. The first syntax error stops the parse, as in Jinja2. */
#include "lex.h"

struct parser {
	struct jinja_env *env;
	struct jinja_template *t;
	struct arena *a;
	struct diag *d;
	struct token *tk;
	size_t n, i;
	bool failed;
	VEC(struct jinja_block) blocks;
	int depth;
	int loops; /* enclosing for loops (reset by macro bodies) */
	/* The first unknown filter or test outside a conditional: Jinja2 reports it when it
	 * compiles, after the whole template parsed, unless an inline `if` turns out to cover it. */
	const struct token *unknown;
	const char *unknown_kind, *unknown_name;
	int soft;  /* inside an if statement or conditional expression: unknown filters and tests
	            * are run-time errors there, as Jinja2's soft frames */
	/* names seen inside the macro being parsed (varargs/kwargs/caller detection) */
	bool saw_varargs, saw_kwargs, saw_caller;
};

#define MAX_NESTING 400

static struct token *cur(struct parser *p) { return &p->tk[p->i]; }
static struct token *peek(struct parser *p, size_t k)
{
	return &p->tk[p->i + k < p->n ? p->i + k : p->n - 1];
}
static void next(struct parser *p)
{
	if (p->i + 1 < p->n)
		p->i++;
}

static void error_at(struct parser *p, const struct token *tk, const char *fmt, ...)
    SILT_PRINTF(3, 4);
static void error_at(struct parser *p, const struct token *tk, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(p->d, DIAG_ERROR, p->t->name, tk->line, tk->col, p->t->src, p->t->len, fmt, ap);
	va_end(ap);
}

static void expected(struct parser *p, const char *what)
{
	char b[64];
	if (cur(p)->type == T_EOF)
		error_at(p, cur(p), "unexpected end of template, expected %s", what);
	else
		error_at(p, cur(p), "expected %s, got %s", what, jinja_tok_describe(cur(p), b, sizeof(b)));
}

static bool is_op(struct parser *p, int op) { return cur(p)->type == T_OP && cur(p)->op == op; }
/* inlined, so the name's length is known at compile time */
static inline __attribute__((always_inline)) bool is_name(struct parser *p, const char *name)
{
	return cur(p)->type == T_NAME && str_eqc(cur(p)->s, name);
}
static bool accept_op(struct parser *p, int op)
{
	if (!is_op(p, op))
		return false;
	next(p);
	return true;
}
static inline __attribute__((always_inline)) bool accept_name(struct parser *p, const char *name)
{
	if (!is_name(p, name))
		return false;
	next(p);
	return true;
}
static void expect_op(struct parser *p, int op)
{
	if (accept_op(p, op))
		return;
	char w[8];
	snprintf(w, sizeof(w), "'%c'", op);
	expected(p, w);
}

static const char *intern_tok(struct parser *p, const struct token *tk)
{
	return intern(p->env->names, tk->s.p, tk->s.n);
}

static struct node *mk(struct parser *p, int kind, const struct token *tk)
{
	struct node *n = arena_alloc(p->a, sizeof(*n));
	*n = (struct node){ .kind = (uint8_t)kind, .line = tk->line, .col = tk->col };
	return n;
}

/* Interns a possibly dotted name (`a.b.c`) starting at the current name token. */
static const char *dotted_name(struct parser *p)
{
	struct token *nt = cur(p);
	next(p);
	if (!(is_op(p, '.') && peek(p, 1)->type == T_NAME))
		return intern_tok(p, nt);
	struct buf b = BUF_INIT;
	buf_putstr(&b, nt->s);
	while (is_op(p, '.') && peek(p, 1)->type == T_NAME) {
		next(p);
		buf_putc(&b, '.');
		buf_putstr(&b, cur(p)->s);
		next(p);
	}
	const char *name = intern(p->env->names, b.p, b.n);
	buf_release(&b);
	return name;
}

typedef SVEC(struct node *, 16) nodevec;
static void set_kids(struct parser *p, struct node *n, nodevec *v)
{
	n->nkids = (uint16_t)v->n;
	if (v->n) {
		n->kids = arena_alloc(p->a, v->n * sizeof(struct node *));
		memcpy(n->kids, v->v, v->n * sizeof(struct node *));
	}
	svec_free(v);
}

/* ---- expressions ---- */
static struct node *parse_expr(struct parser *p);
static struct node *parse_or(struct parser *p);
static struct node *parse_unary(struct parser *p, bool with_filter);
static struct node *parse_primary(struct parser *p);
static struct node *parse_postfix(struct parser *p, struct node *n);
static struct node *parse_filter_expr(struct parser *p, struct node *n);

static bool enter(struct parser *p)
{
	if (++p->depth > MAX_NESTING) {
		error_at(p, cur(p), "expression nested too deeply");
		return false;
	}
	return true;
}

/* Parses a tuple of expressions (`a, b`), as Jinja2's parse_tuple; a single expression without a
 * comma is returned as is. `simplified` parses primaries only (for targets). */
static struct node *parse_tuple(struct parser *p, bool simplified, bool with_condexpr, bool explicit_parens)
{
	struct token *start = cur(p);
	nodevec items;
	svec_init(&items);
	bool comma = false;
	for (;;) {
		if (items.n) {
			if (!accept_op(p, ','))
				break;
			comma = true;
		}
		/* end of tuple? */
		struct token *c = cur(p);
		if (c->type == T_VAR_END || c->type == T_BLOCK_END || c->type == T_EOF ||
		    (c->type == T_OP && (c->op == ')' || c->op == ']' || c->op == '}' || c->op == '=')) ||
		    (c->type == T_NAME && str_eqc(c->s, "in") && simplified)) {
			if (items.n || (explicit_parens && c->type == T_OP && c->op == ')'))
				break;
			expected(p, "an expression");
			svec_free(&items);
			return NULL;
		}
		struct node *e;
		if (simplified)
			e = parse_primary(p);
		else if (with_condexpr)
			e = parse_expr(p);
		else
			e = parse_or(p);
		if (p->failed) {
			svec_free(&items);
			return NULL;
		}
		svec_push(&items, e);
	}
	if (!comma && items.n == 1) {
		struct node *only = items.v[0];
		svec_free(&items);
		return only;
	}
	if (!items.n && !explicit_parens) {
		svec_free(&items);
		expected(p, "an expression");
		return NULL;
	}
	struct node *t = mk(p, E_TUPLE, start);
	set_kids(p, t, &items);
	return t;
}

static void note_unknown(struct parser *p, const struct token *tk, const char *kind, const char *name)
{
	if (p->unknown)
		return;
	p->unknown = tk;
	p->unknown_kind = kind;
	p->unknown_name = name;
}

/* Whether the expression at the current token is a lone literal: a string, number, followed by
 * what ends an argument, item or tag (none of the loops below would take another token). */
static bool lone_literal(struct parser *p)
{
	int t = cur(p)->type;
	if (t != T_STRING && t != T_INT && t != T_FLOAT)
		return false;
	const struct token *nx = peek(p, 1);
	if (nx->type == T_VAR_END || nx->type == T_BLOCK_END)
		return true;
	return nx->type == T_OP && (nx->op == ',' || nx->op == ')' || nx->op == ']' ||
	                            nx->op == '}' || nx->op == ':');
}

static struct node *parse_expr(struct parser *p)
{
	/* ref('x'), materialized='view': the node parse_primary makes, without the levels */
	if (!p->failed && lone_literal(p))
		return parse_primary(p);
	if (!enter(p))
		return NULL;
	const struct token *unknown_before = p->unknown;
	struct node *e = parse_or(p);
	if (!unknown_before && is_name(p, "if"))
		p->unknown = NULL; /* `x | nope if c` only fails when the branch runs */
	while (!p->failed && is_name(p, "if")) {
		struct token *tk = cur(p);
		next(p);
		struct node *c = mk(p, E_COND, tk);
		c->b = e;
		p->soft++;
		c->a = parse_or(p);
		if (accept_name(p, "else"))
			c->c = parse_expr(p);
		p->soft--;
		e = c;
	}
	p->depth--;
	return p->failed ? NULL : e;
}

/* Binary operators by precedence climbing, with Jinja2's levels (lowest first): or, and,
 * not (prefix), comparisons (chained), + -, ~, * / // %, ** (left-associative, as Jinja2). */
enum { PREC_OR = 1, PREC_AND, PREC_NOT, PREC_CMP, PREC_ADD, PREC_CONCAT, PREC_MUL, PREC_POW };

/* The binary operator at the current token: its precedence and node op (0 when none). */
static int binop_at(struct parser *p, int *op)
{
	const struct token *c = cur(p);
	if (c->type == T_OP) {
		switch (c->op) {
		case '+': *op = OP_ADD; return PREC_ADD;
		case '-': *op = OP_SUB; return PREC_ADD;
		case '~': *op = OP_CONCAT; return PREC_CONCAT;
		case '*': *op = OP_MUL; return PREC_MUL;
		case '/': *op = OP_DIV; return PREC_MUL;
		case OPC_FLOORDIV: *op = OP_FLOORDIV; return PREC_MUL;
		case '%': *op = OP_MOD; return PREC_MUL;
		case OPC_POW: *op = OP_POW; return PREC_POW;
		case OPC_EQ: *op = OP_EQ; return PREC_CMP;
		case OPC_NE: *op = OP_NE; return PREC_CMP;
		case '<': *op = OP_LT; return PREC_CMP;
		case OPC_LE: *op = OP_LE; return PREC_CMP;
		case '>': *op = OP_GT; return PREC_CMP;
		case OPC_GE: *op = OP_GE; return PREC_CMP;
		default: return 0;
		}
	}
	if (c->type != T_NAME || c->s.n > 3)
		return 0;
	if (str_eqc(c->s, "or")) {
		*op = 0;
		return PREC_OR;
	}
	if (str_eqc(c->s, "and")) {
		*op = 0;
		return PREC_AND;
	}
	if (str_eqc(c->s, "in")) {
		*op = OP_IN;
		return PREC_CMP;
	}
	if (str_eqc(c->s, "not") && peek(p, 1)->type == T_NAME && str_eqc(peek(p, 1)->s, "in")) {
		*op = OP_NOTIN;
		return PREC_CMP;
	}
	return 0;
}

static struct node *binop(struct parser *p, const struct token *tk, int op, struct node *l, struct node *r)
{
	struct node *n = mk(p, E_BINOP, tk);
	n->op = (uint8_t)op;
	n->a = l;
	n->b = r;
	return n;
}

static struct node *parse_level(struct parser *p, int min)
{
	if (!enter(p))
		return NULL;
	struct node *left;
	struct token *start = cur(p);
	if (min <= PREC_NOT && is_name(p, "not")) {
		next(p);
		left = mk(p, E_NOT, start);
		left->a = parse_level(p, PREC_NOT);
	} else {
		left = parse_unary(p, true);
	}
	while (!p->failed) {
		int op = 0, prec = binop_at(p, &op);
		if (!prec || prec < min)
			break;
		struct token *tk = cur(p);
		if (prec == PREC_CMP) {
			/* a < b < c: one node with every operand and operator */
			nodevec kids;
			SVEC(uint8_t, 16) ops;
			svec_init(&kids);
			svec_init(&ops);
			while (!p->failed && (prec = binop_at(p, &op)) == PREC_CMP) {
				next(p);
				if (op == OP_NOTIN)
					next(p);
				svec_push(&ops, (uint8_t)op);
				svec_push(&kids, parse_level(p, PREC_CMP + 1));
			}
			struct node *n = mk(p, E_COMPARE, start);
			n->a = left;
			n->ops = arena_alloc(p->a, ops.n);
			memcpy(n->ops, ops.v, ops.n);
			svec_free(&ops);
			set_kids(p, n, &kids);
			left = n;
			continue;
		}
		next(p);
		struct node *right = parse_level(p, prec + 1);
		if (prec == PREC_OR || prec == PREC_AND) {
			struct node *n = mk(p, prec == PREC_OR ? E_OR : E_AND, tk);
			n->a = left;
			n->b = right;
			left = n;
		} else {
			left = binop(p, tk, op, left, right);
		}
	}
	p->depth--;
	return p->failed ? NULL : left;
}

static struct node *parse_or(struct parser *p) { return parse_level(p, PREC_OR); }

static struct node *parse_unary(struct parser *p, bool with_filter)
{
	struct token *tk = cur(p);
	struct node *n;
	if (!enter(p))
		return NULL;
	if (is_op(p, '-') || is_op(p, '+')) {
		next(p);
		n = mk(p, E_UNARY, tk);
		n->op = tk->op == '-' ? OP_NEG : OP_POS;
		n->a = parse_unary(p, false);
	} else {
		n = parse_primary(p);
	}
	if (!p->failed)
		n = parse_postfix(p, n);
	if (!p->failed && with_filter)
		n = parse_filter_expr(p, n);
	p->depth--;
	return p->failed ? NULL : n;
}

static struct node *parse_primary(struct parser *p)
{
	struct token *tk = cur(p);
	struct node *n;
	switch (tk->type) {
	case T_NAME:
		next(p);
		if (str_eqc(tk->s, "true") || str_eqc(tk->s, "True") || str_eqc(tk->s, "false") ||
		    str_eqc(tk->s, "False")) {
			n = mk(p, E_CONST, tk);
			n->v = v_bool(tk->s.p[0] == 't' || tk->s.p[0] == 'T');
			n->op = tk->s.p[0] == 't' || tk->s.p[0] == 'f'; /* not a Python literal */
		} else if (str_eqc(tk->s, "none") || str_eqc(tk->s, "None")) {
			n = mk(p, E_CONST, tk);
			n->v = v_none();
			n->op = tk->s.p[0] == 'n';
		} else {
			n = mk(p, E_NAME, tk);
			n->name = intern_tok(p, tk);
			if (n->name == p->env->n_varargs)
				p->saw_varargs = true;
			else if (n->name == p->env->n_kwargs)
				p->saw_kwargs = true;
			else if (n->name == p->env->n_caller)
				p->saw_caller = true;
		}
		return n;
	case T_STRING: {
		next(p);
		n = mk(p, E_CONST, tk);
		if (cur(p)->type != T_STRING) {
			n->v = v_strs(tk->s);
			return n;
		}
		struct buf b = BUF_INIT;
		buf_putstr(&b, tk->s);
		while (cur(p)->type == T_STRING) {
			buf_putstr(&b, cur(p)->s);
			next(p);
		}
		n->v = v_strdup(p->a, b.p, b.n);
		buf_release(&b);
		return n;
	}
	case T_INT:
		next(p);
		n = mk(p, E_CONST, tk);
		n->v = v_int(tk->i);
		return n;
	case T_FLOAT:
		next(p);
		n = mk(p, E_CONST, tk);
		n->v = v_float(tk->f);
		return n;
	case T_OP:
		if (tk->op == '(') {
			next(p);
			n = parse_tuple(p, false, true, true);
			if (!p->failed)
				expect_op(p, ')');
			return n;
		}
		if (tk->op == '[' || tk->op == '{') {
			bool dict = tk->op == '{';
			int close = dict ? '}' : ']';
			next(p);
			nodevec items;
			svec_init(&items);
			while (!p->failed && !is_op(p, close)) {
				if (items.n) {
					expect_op(p, ',');
					if (p->failed || is_op(p, close))
						break;
				}
				if (dict) {
					svec_push(&items, parse_expr(p));
					if (!p->failed)
						expect_op(p, ':');
				}
				if (!p->failed)
					svec_push(&items, parse_expr(p));
			}
			if (!p->failed)
				expect_op(p, close);
			n = mk(p, dict ? E_DICT : E_LIST, tk);
			set_kids(p, n, &items);
			return n;
		}
		break;
	default:
		break;
	}
	char b[64];
	if (tk->type == T_EOF)
		error_at(p, tk, "unexpected end of template, expected an expression");
	else
		error_at(p, tk, "unexpected %s", jinja_tok_describe(tk, b, sizeof(b)));
	return NULL;
}

static struct call_args *parse_call_args(struct parser *p)
{
	/* cur is '(' */
	next(p);
	struct call_args *ca = arena_zalloc(p->a, sizeof(*ca));
	nodevec pos, kw;
	svec_init(&pos);
	svec_init(&kw);
	SVEC(const char *, 16) names;
	svec_init(&names);
	bool first = true;
	while (!p->failed && !is_op(p, ')')) {
		if (!first) {
			expect_op(p, ',');
			if (p->failed || is_op(p, ')'))
				break;
		}
		first = false;
		if (accept_op(p, '*')) {
			ca->star = parse_expr(p);
		} else if (accept_op(p, OPC_POW)) {
			ca->dstar = parse_expr(p);
		} else if (cur(p)->type == T_NAME && peek(p, 1)->type == T_OP && peek(p, 1)->op == '=') {
			struct token *nt = cur(p);
			next(p);
			next(p);
			svec_push(&names, intern_tok(p, nt));
			svec_push(&kw, parse_expr(p));
		} else {
			if (kw.n || ca->dstar) {
				error_at(p, cur(p), "invalid syntax for function call expression");
				break;
			}
			svec_push(&pos, parse_expr(p));
		}
	}
	if (!p->failed)
		expect_op(p, ')');
	ca->npos = (uint32_t)pos.n;
	ca->nkw = (uint32_t)kw.n;
	if (pos.n) {
		ca->pos = arena_alloc(p->a, pos.n * sizeof(struct node *));
		memcpy(ca->pos, pos.v, pos.n * sizeof(struct node *));
	}
	if (kw.n) {
		ca->kw = arena_alloc(p->a, kw.n * sizeof(struct node *));
		memcpy(ca->kw, kw.v, kw.n * sizeof(struct node *));
		ca->kwnames = arena_alloc(p->a, names.n * sizeof(const char *));
		memcpy(ca->kwnames, names.v, names.n * sizeof(const char *));
	}
	svec_free(&pos);
	svec_free(&kw);
	svec_free(&names);
	return ca;
}

static struct node *parse_subscript(struct parser *p, struct node *obj)
{
	struct token *tk = cur(p);
	if (accept_op(p, '.')) {
		struct token *at = cur(p);
		if (at->type == T_NAME) {
			next(p);
			struct node *n = mk(p, E_GETATTR, tk);
			n->a = obj;
			n->name = intern_tok(p, at);
			return n;
		}
		if (at->type == T_INT) {
			next(p);
			struct node *n = mk(p, E_GETITEM, tk);
			n->a = obj;
			n->b = mk(p, E_CONST, at);
			n->b->v = v_int(at->i);
			return n;
		}
		expected(p, "name or number");
		return NULL;
	}
	/* '[' */
	next(p);
	struct node *parts[3] = { NULL, NULL, NULL };
	bool slice = false;
	int k = 0;
	for (;;) {
		if (is_op(p, ':')) {
			slice = true;
			next(p);
			if (++k > 2) {
				expected(p, "']'");
				return NULL;
			}
			continue;
		}
		if (is_op(p, ']'))
			break;
		if (parts[k]) {
			expected(p, "']'");
			return NULL;
		}
		parts[k] = parse_expr(p);
		if (p->failed)
			return NULL;
		if (!slice && is_op(p, ',')) {
			/* a[1, 2]: a tuple key */
			nodevec items;
			svec_init(&items);
			svec_push(&items, parts[0]);
			while (accept_op(p, ',') && !is_op(p, ']'))
				svec_push(&items, parse_expr(p));
			struct node *t = mk(p, E_TUPLE, tk);
			set_kids(p, t, &items);
			parts[0] = t;
		}
	}
	expect_op(p, ']');
	if (p->failed)
		return NULL;
	if (!slice) {
		if (!parts[0]) {
			expected(p, "an expression");
			return NULL;
		}
		struct node *n = mk(p, E_GETITEM, tk);
		n->a = obj;
		n->b = parts[0];
		return n;
	}
	struct node *n = mk(p, E_SLICE, tk);
	n->a = obj;
	n->b = parts[0];
	n->c = parts[1];
	n->d = parts[2];
	return n;
}

static struct node *parse_postfix(struct parser *p, struct node *n)
{
	while (!p->failed) {
		if (is_op(p, '.') || is_op(p, '[')) {
			n = parse_subscript(p, n);
		} else if (is_op(p, '(')) {
			struct node *c = mk(p, E_CALL, cur(p));
			c->a = n;
			c->args = parse_call_args(p);
			n = c;
		} else {
			break;
		}
	}
	return n;
}

/* `| name(args)` (possibly dotted names, as Jinja2 allows) */
static struct node *parse_filter(struct parser *p, struct node *n, bool start_inline)
{
	while (!p->failed && (is_op(p, '|') || start_inline)) {
		if (!start_inline)
			next(p);
		start_inline = false;
		struct token *nt = cur(p);
		if (nt->type != T_NAME) {
			expected(p, "a name");
			return NULL;
		}
		struct node *f = mk(p, E_FILTER, nt);
		f->a = n;
		f->name = dotted_name(p);
		f->filter = jinja_find_filter(str_from(f->name));
		if (!p->soft && !f->filter)
			note_unknown(p, nt, "filter", f->name);
		if (is_op(p, '('))
			f->args = parse_call_args(p);
		n = f;
	}
	return n;
}

static struct node *parse_test(struct parser *p, struct node *n)
{
	struct token *tk = cur(p); /* 'is' */
	next(p);
	bool negated = accept_name(p, "not");
	struct token *nt = cur(p);
	if (nt->type != T_NAME) {
		expected(p, "a test name");
		return NULL;
	}
	struct node *t = mk(p, E_TEST, tk);
	t->a = n;
	t->op = negated;
	t->name = dotted_name(p);
	t->test = jinja_find_test(str_from(t->name));
	if (!p->soft && !t->test)
		note_unknown(p, nt, "test", t->name);
	struct token *c = cur(p);
	if (is_op(p, '(')) {
		t->args = parse_call_args(p);
	} else if ((c->type == T_NAME || c->type == T_STRING || c->type == T_INT || c->type == T_FLOAT ||
	            (c->type == T_OP && (c->op == '(' || c->op == '[' || c->op == '{'))) &&
	           !(c->type == T_NAME && (str_eqc(c->s, "else") || str_eqc(c->s, "or") || str_eqc(c->s, "and")))) {
		if (c->type == T_NAME && str_eqc(c->s, "is")) {
			error_at(p, c, "You cannot chain multiple tests with is");
			return NULL;
		}
		struct node *arg = parse_primary(p);
		if (!p->failed)
			arg = parse_postfix(p, arg);
		struct call_args *ca = arena_zalloc(p->a, sizeof(*ca));
		ca->npos = 1;
		ca->pos = arena_alloc(p->a, sizeof(struct node *));
		ca->pos[0] = arg;
		t->args = ca;
	}
	return t;
}

static struct node *parse_filter_expr(struct parser *p, struct node *n)
{
	while (!p->failed) {
		if (is_op(p, '|'))
			n = parse_filter(p, n, false);
		else if (is_name(p, "is"))
			n = parse_test(p, n);
		else if (is_op(p, '(')) {
			struct node *c = mk(p, E_CALL, cur(p));
			c->a = n;
			c->args = parse_call_args(p);
			n = c;
		} else
			break;
	}
	return n;
}

/* ---- statements ---- */

static struct node *parse_body(struct parser *p, const char *const *end_tokens, size_t nend);

static void expect_block_end(struct parser *p)
{
	if (cur(p)->type == T_BLOCK_END) {
		next(p);
		return;
	}
	expected(p, "'%}'");
}

/* An assignment target: a name, `ns.attr`, or a tuple of names. */
static struct node *parse_assign_target(struct parser *p, bool allow_attr, bool in_for)
{
	struct token *tk = cur(p);
	if (allow_attr && tk->type == T_NAME && peek(p, 1)->type == T_OP && peek(p, 1)->op == '.' &&
	    peek(p, 2)->type == T_NAME) {
		struct node *n = mk(p, E_GETATTR, tk);
		n->a = mk(p, E_NAME, tk);
		n->a->name = intern_tok(p, tk);
		next(p);
		next(p);
		n->name = intern_tok(p, cur(p));
		next(p);
		return n;
	}
	nodevec names;
	svec_init(&names);
	bool paren = accept_op(p, '(');
	for (;;) {
		struct token *nt = cur(p);
		if (nt->type != T_NAME) {
			svec_free(&names);
			expected(p, "a name to assign to");
			return NULL;
		}
		if (str_eqc(nt->s, "true") || str_eqc(nt->s, "false") || str_eqc(nt->s, "none") ||
		    str_eqc(nt->s, "True") || str_eqc(nt->s, "False") || str_eqc(nt->s, "None")) {
			svec_free(&names);
			error_at(p, nt, "can't assign to '%.*s'", (int)nt->s.n, nt->s.p);
			return NULL;
		}
		struct node *n = mk(p, E_NAME, nt);
		n->name = intern_tok(p, nt);
		next(p);
		svec_push(&names, n);
		if (!accept_op(p, ','))
			break;
		if (in_for && is_name(p, "in"))
			break;
		if (is_op(p, '=') || is_op(p, ')'))
			break;
	}
	if (paren)
		expect_op(p, ')');
	if (names.n == 1) {
		struct node *only = names.v[0];
		svec_free(&names);
		return only;
	}
	struct node *t = mk(p, E_TUPLE, tk);
	set_kids(p, t, &names);
	return t;
}

static const char *const END_FOR[] = { "else", "endfor" };
static const char *const END_FOR_ONLY[] = { "endfor" };
static const char *const END_IF[] = { "elif", "else", "endif" };
static const char *const END_IF_ONLY[] = { "endif" };

static struct node *parse_for(struct parser *p, struct token *tk)
{
	struct node *n = mk(p, S_FOR, tk);
	n->target = parse_assign_target(p, false, true);
	if (p->failed)
		return NULL;
	if (!accept_name(p, "in")) {
		expected(p, "'in'");
		return NULL;
	}
	n->a = parse_tuple(p, false, false, false);
	if (p->failed)
		return NULL;
	if (accept_name(p, "if"))
		n->d = parse_expr(p);
	if (accept_name(p, "recursive"))
		n->op = 1; /* the body may call loop(items) */
	expect_block_end(p);
	int soft = p->soft;
	p->soft = 0;
	p->loops++;
	n->b = parse_body(p, END_FOR, 2);
	p->loops--;
	if (p->failed)
		return NULL;
	if (accept_name(p, "else")) {
		expect_block_end(p);
		n->c = parse_body(p, END_FOR_ONLY, 1);
	}
	p->soft = soft;
	if (p->failed)
		return NULL;
	next(p); /* endfor */
	expect_block_end(p);
	return n;
}

static struct node *parse_if(struct parser *p, struct token *tk)
{
	struct node *n = mk(p, S_IF, tk);
	p->soft++;
	n->a = parse_tuple(p, false, true, false);
	expect_block_end(p);
	if (!p->failed)
		n->b = parse_body(p, END_IF, 3);
	if (p->failed) {
		p->soft--;
		return NULL;
	}
	struct token *et = cur(p);
	if (accept_name(p, "elif")) {
		n->c = parse_if(p, et);
		p->soft--;
		return n;
	}
	if (accept_name(p, "else")) {
		expect_block_end(p);
		n->c = parse_body(p, END_IF_ONLY, 1);
	}
	p->soft--;
	if (p->failed)
		return NULL;
	next(p); /* endif */
	expect_block_end(p);
	return n;
}

/* Macro and call-block parameter lists: (a, b=1, ...) */
static bool parse_signature(struct parser *p, struct macro_def *m)
{
	SVEC(const char *, 16) params;
	svec_init(&params);
	nodevec defaults;
	svec_init(&defaults);
	bool seen_default = false;
	expect_op(p, '(');
	while (!p->failed && !is_op(p, ')')) {
		if (params.n)
			expect_op(p, ',');
		if (p->failed)
			break;
		struct token *nt = cur(p);
		if (nt->type != T_NAME) {
			expected(p, "a parameter name");
			break;
		}
		next(p);
		svec_push(&params, intern_tok(p, nt));
		if (accept_op(p, '=')) {
			svec_push(&defaults, parse_expr(p));
			seen_default = true;
		} else {
			if (seen_default) {
				error_at(p, nt, "non-default argument follows default argument");
				break;
			}
			svec_push(&defaults, NULL);
		}
	}
	if (!p->failed)
		expect_op(p, ')');
	m->nparams = (uint32_t)params.n;
	if (params.n) {
		m->params = arena_alloc(p->a, params.n * sizeof(const char *));
		memcpy(m->params, params.v, params.n * sizeof(const char *));
		m->defaults = arena_alloc(p->a, params.n * sizeof(struct node *));
		memcpy(m->defaults, defaults.v, params.n * sizeof(struct node *));
	}
	svec_free(&params);
	svec_free(&defaults);
	return !p->failed;
}

static struct macro_def *parse_macro_body(struct parser *p, struct macro_def *m, const char *end)
{
	bool sv = p->saw_varargs, sk = p->saw_kwargs, sc = p->saw_caller;
	p->saw_varargs = p->saw_kwargs = p->saw_caller = false;
	const char *const ends[] = { end };
	int loops = p->loops, soft = p->soft;
	p->loops = p->soft = 0;
	m->body = parse_body(p, ends, 1);
	p->loops = loops;
	p->soft = soft;
	m->uses_varargs = p->saw_varargs;
	m->uses_kwargs = p->saw_kwargs;
	m->uses_caller = p->saw_caller;
	p->saw_varargs = sv || p->saw_varargs;
	p->saw_kwargs = sk || p->saw_kwargs;
	p->saw_caller = sc || p->saw_caller;
	m->tmpl = p->t;
	if (p->failed)
		return NULL;
	next(p); /* end tag name */
	/* Jinja2 allows `{% endmacro name %}`? No: only the bare tag. */
	expect_block_end(p);
	return m;
}

static struct node *parse_macro(struct parser *p, struct token *tk)
{
	struct node *n = mk(p, S_MACRO, tk);
	struct token *nt = cur(p);
	if (nt->type != T_NAME) {
		expected(p, "a macro name");
		return NULL;
	}
	next(p);
	struct macro_def *m = arena_zalloc(p->a, sizeof(*m));
	m->name = intern_tok(p, nt);
	n->name = m->name;
	if (!parse_signature(p, m))
		return NULL;
	expect_block_end(p);
	if (p->failed || !parse_macro_body(p, m, "endmacro"))
		return NULL;
	n->mac = m;
	return n;
}

static struct node *parse_call_block(struct parser *p, struct token *tk)
{
	struct node *n = mk(p, S_CALLBLOCK, tk);
	struct macro_def *m = arena_zalloc(p->a, sizeof(*m));
	m->name = p->env->n_caller;
	if (is_op(p, '(') && !parse_signature(p, m))
		return NULL;
	struct node *call = parse_expr(p);
	if (p->failed)
		return NULL;
	if (call->kind != E_CALL) {
		error_at(p, tk, "expected call");
		return NULL;
	}
	n->a = call;
	expect_block_end(p);
	if (p->failed || !parse_macro_body(p, m, "endcall"))
		return NULL;
	n->mac = m;
	return n;
}

static struct node *parse_set(struct parser *p, struct token *tk)
{
	struct node *target = parse_assign_target(p, true, false);
	if (p->failed)
		return NULL;
	if (accept_op(p, '=')) {
		struct node *n = mk(p, S_SET, tk);
		n->target = target;
		n->a = parse_tuple(p, false, true, false);
		expect_block_end(p);
		return p->failed ? NULL : n;
	}
	/* block set, optionally filtered: {% set x | upper %}...{% endset %} */
	struct node *n = mk(p, S_SETBLOCK, tk);
	n->target = target;
	if (is_op(p, '|')) {
		struct node *inner = mk(p, E_BLOCKTEXT, cur(p));
		n->a = parse_filter(p, inner, false);
		if (p->failed)
			return NULL;
	}
	expect_block_end(p);
	if (p->failed)
		return NULL;
	static const char *const ends[] = { "endset" };
	n->b = parse_body(p, ends, 1);
	if (p->failed)
		return NULL;
	next(p);
	expect_block_end(p);
	return n;
}

static struct node *parse_filter_block(struct parser *p, struct token *tk)
{
	struct node *n = mk(p, S_FILTERBLOCK, tk);
	struct node *inner = mk(p, E_BLOCKTEXT, tk);
	n->a = parse_filter(p, inner, true);
	expect_block_end(p);
	if (p->failed)
		return NULL;
	static const char *const ends[] = { "endfilter" };
	n->b = parse_body(p, ends, 1);
	if (p->failed)
		return NULL;
	next(p);
	expect_block_end(p);
	return n;
}

/* dbt block tags: materialization NAME, adapter='x' | default; test NAME(args);
 * docs NAME; snapshot NAME. */
static struct node *parse_dbt_block(struct parser *p, struct token *tk, const char *kind)
{
	struct node *n = mk(p, S_DBTBLOCK, tk);
	struct jinja_block *b = arena_zalloc(p->a, sizeof(*b));
	b->kind = kind;
	b->line = tk->line;
	b->col = tk->col;
	struct token *nt = cur(p);
	if (nt->type != T_NAME) {
		expected(p, strcmp(kind, "test") ? "a block name" : "a test name");
		return NULL;
	}
	b->name = nt->s;
	next(p);
	char endtag[32];
	snprintf(endtag, sizeof(endtag), "end%s", kind);
	if (!strcmp(kind, "materialization")) {
		/* , default | , adapter='x' | , supported_languages=[...] */
		while (accept_op(p, ',')) {
			struct token *at = cur(p);
			if (at->type != T_NAME) {
				expected(p, "'default' or 'adapter='");
				return NULL;
			}
			next(p);
			if (str_eqc(at->s, "default")) {
				b->adapter = STR("default");
			} else if (accept_op(p, '=')) {
				struct node *e = parse_expr(p);
				if (p->failed)
					return NULL;
				if (str_eqc(at->s, "adapter")) {
					if (e->kind != E_CONST || e->v.type != VT_STR) {
						error_at(p, at, "expected a string for adapter");
						return NULL;
					}
					b->adapter = v_as_str(e->v);
				}
			} else {
				expected(p, "'='");
				return NULL;
			}
		}
		if (!b->adapter.n)
			b->adapter = STR("default");
		/* dbt calls it as a macro without arguments named materialization_<name>_<adapter> */
		struct macro_def *m = arena_zalloc(p->a, sizeof(*m));
		char mname[256];
		int mn = snprintf(mname, sizeof(mname), "materialization_%.*s_%.*s", (int)b->name.n,
		                  b->name.p, (int)b->adapter.n, b->adapter.p);
		m->name = intern(p->env->names, mname, mn < (int)sizeof(mname) ? (size_t)mn : sizeof(mname) - 1);
		n->mac = m;
	} else if (!strcmp(kind, "test")) {
		struct macro_def *m = arena_zalloc(p->a, sizeof(*m));
		m->name = intern_tok(p, nt);
		if (!parse_signature(p, m))
			return NULL;
		n->mac = m;
	}
	expect_block_end(p);
	if (p->failed)
		return NULL;
	size_t body_start = p->i;
	const char *const ends[] = { endtag };
	if (n->mac) {
		if (!parse_macro_body(p, n->mac, endtag))
			return NULL;
		n->b = n->mac->body;
	} else {
		n->b = parse_body(p, ends, 1);
		if (p->failed)
			return NULL;
		next(p);
		expect_block_end(p);
	}
	/* body text: from the token after the opening tag to the closing tag's '{%' */
	size_t close = p->i;
	while (close > body_start && p->tk[close].type != T_BLOCK_BEGIN)
		close--;
	if (close > body_start && p->tk[body_start].off <= p->tk[close].off) {
		uint32_t s = p->tk[body_start].off;
		/* the first body token starts at its text; the opening tag's end is earlier */
		b->body = str_make(p->t->src + s, p->tk[close].off - s);
	}
	b->node = n->b;
	b->macro = n->mac;
	n->block = b;
	return n;
}

static struct node *parse_statement(struct parser *p)
{
	next(p); /* past '{%' */
	struct token *tk = cur(p);
	if (tk->type != T_NAME) {
		if (tk->type == T_BLOCK_END)
			error_at(p, tk, "tag name expected");
		else
			expected(p, "a tag name");
		return NULL;
	}
	next(p);
	struct str w = tk->s;
	if (str_eqc(w, "if"))
		return parse_if(p, tk);
	if (str_eqc(w, "for"))
		return parse_for(p, tk);
	if (str_eqc(w, "set"))
		return parse_set(p, tk);
	if (str_eqc(w, "macro"))
		return parse_macro(p, tk);
	if (str_eqc(w, "call"))
		return parse_call_block(p, tk);
	if (str_eqc(w, "filter"))
		return parse_filter_block(p, tk);
	if (str_eqc(w, "do")) {
		struct node *n = mk(p, S_DO, tk);
		n->a = parse_tuple(p, false, true, false);
		expect_block_end(p);
		return p->failed ? NULL : n;
	}
	if (str_eqc(w, "break") || str_eqc(w, "continue")) {
		if (!p->loops) {
			error_at(p, tk, "'%.*s' outside loop", (int)w.n, w.p);
			return NULL;
		}
		struct node *n = mk(p, w.p[0] == 'b' ? S_BREAK : S_CONTINUE, tk);
		expect_block_end(p);
		return p->failed ? NULL : n;
	}
	if (str_eqc(w, "materialization"))
		return parse_dbt_block(p, tk, "materialization");
	if (str_eqc(w, "test"))
		return parse_dbt_block(p, tk, "test");
	if (str_eqc(w, "docs"))
		return parse_dbt_block(p, tk, "docs");
	if (str_eqc(w, "snapshot"))
		return parse_dbt_block(p, tk, "snapshot");
	error_at(p, tk, "unknown tag '%.*s'", (int)w.n, w.p);
	return NULL;
}

/* Parses statements until one of end_tokens (left as the current token, after its '{%'), or
 * the end of input when nend == 0. */
static struct node *parse_body(struct parser *p, const char *const *end_tokens, size_t nend)
{
	struct node *body = mk(p, S_BODY, cur(p));
	nodevec kids;
	svec_init(&kids);
	if (!enter(p))
		return NULL;
	while (!p->failed) {
		struct token *tk = cur(p);
		if (tk->type == T_EOF) {
			if (nend)
				error_at(p, tk, "unexpected end of template, expected '%s'", end_tokens[nend - 1]);
			break;
		}
		if (tk->type == T_TEXT) {
			struct node *n = mk(p, S_TEXT, tk);
			n->text = tk->s;
			svec_push(&kids, n);
			next(p);
			continue;
		}
		if (tk->type == T_VAR_BEGIN) {
			next(p);
			struct node *n = mk(p, S_OUTPUT, cur(p));
			n->a = parse_tuple(p, false, true, false);
			if (p->failed)
				break;
			if (cur(p)->type != T_VAR_END) {
				expected(p, "'}}'");
				break;
			}
			next(p);
			svec_push(&kids, n);
			continue;
		}
		if (tk->type == T_BLOCK_BEGIN) {
			struct token *name = peek(p, 1);
			bool is_end = false;
			if (name->type == T_NAME) {
				for (size_t i = 0; i < nend; i++)
					if (str_eqc(name->s, end_tokens[i]))
						is_end = true;
				if (is_end) {
					next(p); /* leave the tag name current */
					break;
				}
				/* a stray end tag */
				static const struct str stray[] = {
					STR("endif"), STR("endfor"), STR("endmacro"), STR("endcall"),
					STR("endset"), STR("endfilter"), STR("elif"), STR("else"),
					STR("endmaterialization"), STR("endtest"), STR("enddocs"),
					STR("endsnapshot"), STR("endraw"),
				};
				for (size_t i = 0; i < ARRAY_LEN(stray); i++) {
					if (str_eq(name->s, stray[i])) {
						if (nend)
							error_at(p, name, "expected '%s', got '%s'", end_tokens[nend - 1], stray[i].p);
						else
							error_at(p, name, "unexpected '%s'", stray[i].p);
						break;
					}
				}
				if (p->failed)
					break;
			}
			struct node *n = parse_statement(p);
			if (!n)
				break;
			svec_push(&kids, n);
			continue;
		}
		char b[64];
		error_at(p, tk, "unexpected %s", jinja_tok_describe(tk, b, sizeof(b)));
		break;
	}
	p->depth--;
	set_kids(p, body, &kids);
	return p->failed ? NULL : body;
}

static void collect_blocks(struct parser *p, struct node *body)
{
	for (uint16_t i = 0; i < body->nkids; i++) {
		struct node *n = body->kids[i];
		if (n->kind == S_MACRO) {
			struct jinja_block b = { 0 };
			b.kind = "macro";
			b.name = str_from(n->mac->name);
			b.line = n->line;
			b.col = n->col;
			b.node = n;
			vec_push(&p->blocks, b);
		} else if (n->kind == S_DBTBLOCK) {
			vec_push(&p->blocks, *n->block);
		}
	}
}

struct node *jinja_parse_template(struct jinja_env *env, struct arena *a, struct jinja_template *t,
                                  struct diag *d)
{
	struct tokens toks = { env->tokbuf, env->tokcap, 0 };
	if (jinja_lex(env, t, a, &toks, d) < 0) {
		env->tokbuf = toks.v;
		env->tokcap = toks.n;
		return NULL;
	}
	env->tokbuf = toks.v;
	env->tokcap = toks.cap;
	struct parser p = { 0 };
	p.env = env;
	p.t = t;
	p.a = a;
	p.d = d;
	p.tk = toks.v;
	p.n = toks.n;
	struct node *root = parse_body(&p, NULL, 0);
	if (!p.failed && p.unknown)
		error_at(&p, p.unknown, "no %s named '%s'", p.unknown_kind, p.unknown_name);
	if (p.failed || !root) {
		vec_free(&p.blocks);
		return NULL;
	}
	collect_blocks(&p, root);
	t->nblocks = p.blocks.n;
	if (p.blocks.n) {
		t->blocks = arena_alloc(a, p.blocks.n * sizeof(struct jinja_block));
		memcpy(t->blocks, p.blocks.v, p.blocks.n * sizeof(struct jinja_block));
	}
	vec_free(&p.blocks);
	return root;
}

/* Python literals only: constants (True/False/None, not Jinja's lowercase forms), numbers with a
 * sign, strings, and lists, tuples and dicts of literals. */
static int literal_value(struct arena *a, const struct node *n, value *out)
{
	switch (n->kind) {
	case E_CONST:
		if (n->op)
			return -1;
		*out = n->v.type == VT_STR ? value_copy(a, n->v) : n->v;
		return 0;
	case E_UNARY: {
		value x;
		if (literal_value(a, n->a, &x) < 0 || (x.type != VT_INT && x.type != VT_FLOAT))
			return -1;
		if (n->op == OP_NEG) {
			if (x.type == VT_INT)
				x.i = -x.i;
			else
				x.f = -x.f;
		}
		*out = x;
		return 0;
	}
	case E_LIST:
	case E_TUPLE: {
		value l = v_list(a, n->nkids);
		for (uint16_t i = 0; i < n->nkids; i++) {
			value x;
			if (literal_value(a, n->kids[i], &x) < 0)
				return -1;
			vlist_push(l.list, x);
		}
		if (n->kind == E_TUPLE)
			l.flags = VF_TUPLE;
		*out = l;
		return 0;
	}
	case E_DICT: {
		value d = v_dict(a, n->nkids / 2);
		for (uint16_t i = 0; i + 1 < n->nkids; i += 2) {
			value k, v;
			if (literal_value(a, n->kids[i], &k) < 0 || literal_value(a, n->kids[i + 1], &v) < 0 ||
			    !v_hashable(k))
				return -1;
			vdict_set(d.dict, k, v);
		}
		*out = d;
		return 0;
	}
	default:
		return -1;
	}
}

int jinja_literal_eval(struct jinja_env *env, struct arena *a, const char *src, size_t len, value *out)
{
	while (len && (*src == ' ' || *src == '\t')) {
		src++;
		len--;
	}
	if (!len)
		return -1;
	/* lex the text as the inside of a print tag, in a throwaway environment arena */
	struct buf b = BUF_INIT;
	buf_puts(&b, "{{ ");
	buf_append(&b, src, len);
	buf_puts(&b, " }}");
	struct jinja_template t = { 0 };
	t.name = "<literal>";
	t.src = b.p;
	t.len = b.n;
	struct diag d;
	diag_init(&d);
	struct arena_mark m = arena_mark(&env->arena);
	struct node *root = jinja_parse_template(env, &env->arena, &t, &d);
	int rc = -1;
	if (root && root->nkids == 1 && root->kids[0]->kind == S_OUTPUT)
		rc = literal_value(a, root->kids[0]->a, out);
	arena_restore(&env->arena, m);
	diag_release(&d);
	buf_release(&b);
	return rc;
}
