/* jinja internals: tokens, AST, interpreter state and the builtin tables. Only src/jinja/ files
 * include this header. */
#ifndef SILT_JINJA_INT_H
#define SILT_JINJA_INT_H

#include "jinja.h"

/* ---- AST ---- */
enum node_kind {
	/* statements */
	S_BODY,   /* list of statements: kids */
	S_TEXT,   /* literal text: text */
	S_OUTPUT, /* {{ a }} */
	S_IF,     /* a = test, b = then body, c = else (S_IF for elif, or S_BODY) */
	S_FOR,    /* target = loop target, a = iterable, b = body, c = else body, d = filter */
	S_SET,    /* target = name/tuple/ns.attr, a = value */
	S_SETBLOCK, /* target, b = body, a = filter chain applied to the text (E_FILTER on E_NONE) */
	S_MACRO,  /* macro: mac */
	S_CALLBLOCK, /* a = the call expression, mac = the caller macro (body + params) */
	S_FILTERBLOCK, /* a = filter chain (innermost object E_BLOCKTEXT), b = body */
	S_DO,       /* a */
	S_BREAK,
	S_CONTINUE,
	S_DBTBLOCK, /* materialization/test/docs/snapshot: b = body, block = description */
	/* expressions */
	E_CONST,   /* v */
	E_NAME,    /* name (interned) */
	E_GETATTR, /* a . name */
	E_GETITEM, /* a [ b ] */
	E_SLICE,   /* a [ b : c : d ] (any of b/c/d may be NULL) */
	E_CALL,    /* a ( args ) */
	E_FILTER,  /* a | name ( args ); a == NULL inside filter blocks */
	E_TEST,    /* a is [not] name ( args ); op = 1 when negated */
	E_BINOP,   /* a op b: + - * / // % ** ~ */
	E_UNARY,   /* op a: '-' '+' */
	E_NOT,     /* not a */
	E_AND,     /* a and b */
	E_OR,      /* a or b */
	E_COMPARE, /* a (ops[i] kids[i])... chained */
	E_COND,    /* b if a else c (c may be NULL: undefined) */
	E_LIST,    /* [kids] */
	E_TUPLE,   /* (kids) */
	E_DICT,    /* {kids[2i]: kids[2i+1]} */
	E_BLOCKTEXT, /* the body text of a filter block / set block */
};

enum binop {
	OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_CONCAT,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN, OP_NEG, OP_POS,
};

struct node;
struct token;
struct jinja_filter;
struct jinja_test;

struct call_args {
	struct node **pos; /* positional */
	uint32_t npos, nkw;
	const char **kwnames; /* interned */
	struct node **kw;
	struct node *star, *dstar; /* *args, **kwargs (NULL if absent) */
};

struct macro_def {
	const char *name; /* interned; "caller" for call blocks */
	uint32_t nparams;
	const char **params;    /* interned */
	struct node **defaults; /* per param, NULL = required */
	struct node *body;
	bool uses_varargs, uses_kwargs, uses_caller;
	const struct jinja_template *tmpl;
};

/* 64 bytes: fields that no kind uses together share storage (see the kind list above). */
struct node {
	uint8_t kind;
	uint8_t op;
	uint16_t nkids;
	int line, col;
	struct node *a, *b;
	const char *name; /* interned */
	union {
		struct str text; /* S_TEXT */
		value v;         /* E_CONST */
		struct {
			struct node *c, *d; /* S_IF, S_FOR, E_COND, E_SLICE */
		};
		uint8_t *ops;              /* E_COMPARE */
		struct jinja_block *block; /* S_DBTBLOCK */
		const struct jinja_filter *filter; /* E_FILTER, resolved at parse time (NULL: unknown) */
		const struct jinja_test *test;     /* E_TEST, likewise */
	};
	union {
		struct node **kids;     /* S_BODY, E_LIST, E_TUPLE, E_DICT, E_COMPARE */
		struct node *target;    /* S_FOR, S_SET, S_SETBLOCK */
		struct call_args *args; /* E_CALL, E_FILTER, E_TEST */
		struct macro_def *mac;  /* S_MACRO, S_CALLBLOCK, S_DBTBLOCK (test blocks) */
	};
};
_Static_assert(sizeof(struct node) == 64, "struct node should stay 64 bytes");

struct jinja_template {
	const char *name;
	const char *src;
	size_t len;
	struct node *root;
	struct jinja_block *blocks;
	size_t nblocks;
	struct jinja_env *env;
};

struct jinja_env {
	struct arena arena;
	struct intern *names;
	struct vdict *globals;
	VEC(struct jinja_template *) templates;
	struct token *tokbuf; /* the lexer's token array, reused by every parse */
	size_t tokcap;
	/* interned names the interpreter compares against */
	const char *n_loop, *n_varargs, *n_kwargs, *n_caller, *n_self, *n_return;
};

/* Parser entry (parse.c); lexer (lex.c) is internal to the parser. */
/* The AST (and the block list) go to a: the environment's arena, or a caller's (jinja_parse_in). */
struct node *jinja_parse_template(struct jinja_env *env, struct arena *a, struct jinja_template *t,
                                  struct diag *d);
/* Parses a Python literal (for native rendering) into *out; 0 or -1 (not a literal). */
int jinja_literal_eval(struct jinja_env *env, struct arena *a, const char *src, size_t len,
                       value *out);

/* ---- interpreter state ---- */
struct frame {
	struct frame *parent;
	uint32_t n, cap;
	const char **names; /* interned */
	value *vals;
};

struct jstate {
	struct jinja_env *env;
	const struct jinja_template *tmpl; /* the template whose code is running */
	const struct jinja_render *opts;
	struct arena *a;
	struct diag *d;
	struct buf *out;   /* where text goes */
	struct buf *root_out; /* the render's own output (not a macro's or block's capture) */
	bool native;       /* native rendering: count top-level chunks */
	bool chunk_const;  /* the last chunk was text or a constant expression */
	uint32_t nchunks;
	value chunk;
	struct frame *root; /* the render's top-level frame */
	struct vdict *ns;    /* the macro namespace of the running macro (its siblings), or NULL */
	value ctx;
	int depth, max_depth;
	uint64_t steps, max_steps;
	uint64_t max_bytes; /* see jinja_render.max_bytes */
	int line;          /* line of the node being evaluated, for run-time errors */
	bool err;          /* an error has been recorded */
	bool returning;    /* return() was called: unwind to the macro */
	value retval;
	struct buf **pool; /* reusable output buffers for macro calls (each allocated once, so
	                      a capture's pointer stays valid while deeper calls grow the pool) */
	uint32_t npool, pool_cap, pool_used;
};

/* ---- builtins: filters, tests, globals, methods (tables in filters.c, tests.c, ...) ---- */
typedef int (*jinja_filter_fn)(struct jstate *st, value v, const struct vargs *args, value *out);
typedef int (*jinja_test_fn)(struct jstate *st, value v, const struct vargs *args, bool *out);
struct jinja_filter {
	const char *name;
	jinja_filter_fn fn;
};
struct jinja_test {
	const char *name;
	jinja_test_fn fn;
};
const struct jinja_filter *jinja_find_filter(struct str name);
const struct jinja_test *jinja_find_test(struct str name);
/* Installs range, dict, namespace, cycler, joiner, lipsum?, zip, return ... into env. */
void jinja_install_globals(struct jinja_env *env);

/* Methods on builtin types (str, list, dict, ...): 1 called, 0 no such method, -1 error. */
int jinja_call_method(struct jstate *st, value self, struct str name, const struct vargs *args,
                      value *out);
bool jinja_has_method(value self, struct str name);

/* Attribute / item access with Jinja2's rules (sandboxed; `_private` names give undefined):
 * getattr tries the attribute (methods, object attributes) then the item; getitem the item then
 * the attribute. Return 0 (out set, possibly undefined) or -1 on error. */
int jinja_getattr(struct jstate *st, value obj, struct str name, value *out);
int jinja_getitem(struct jstate *st, value obj, value key, value *out);
/* Materialises any iterable (list, tuple, dict keys, string chars, undefined → empty) as a list;
 * -1 with "'T' object is not iterable" otherwise. */
int jinja_iterate(struct jstate *st, value v, value *list_out);
/* Binary operators with Python semantics (used by the interpreter and sum/`%` etc.). */
int jinja_binop(struct jstate *st, int op, value a, value b, value *out);
/* `fmt % args` with Python's printf-style formatting. */
int jinja_percent_format(struct jstate *st, struct str fmt, value args, value *out);
/* str.format(*args, **kwargs) with Python's format mini-language. */
int jinja_str_format(struct jstate *st, struct str fmt, const struct vargs *args, value *out);
/* An error for undefined values used where Jinja2's Undefined raises. */
int jinja_undefined_error(struct jstate *st, value undef);

#endif
