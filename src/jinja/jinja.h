/* jinja: a Jinja2-compatible template engine (lexer → parser → AST → interpreter), with dbt's
 * additions: return(), native rendering, lenient parse-time undefined, and the block tags
 * materialization/test/docs/snapshot handed to the embedder.
 *
 * Ownership: an environment owns its templates, globals and macros (all in its arena). A render
 * allocates in the arena it is given (or a private one it frees), so values it returns live as
 * long as that arena. Templates are parsed once and rendered any number of times; an environment
 * is not thread-safe: one environment per thread, or parse first and render read-only. */
#ifndef SILT_JINJA_H
#define SILT_JINJA_H

#include "../value/value.h"

struct jinja_env;
struct jinja_template;

enum jinja_undefined {
	JINJA_UNDEF_DEFAULT, /* Jinja2's Undefined: prints '', falsy, errors on attribute/call */
	JINJA_UNDEF_LENIENT, /* dbt's parse-time undefined: attribute, item and call give undefined */
};

struct jinja_env *jinja_env_new(void);
void jinja_env_free(struct jinja_env *env);
struct arena *jinja_env_arena(struct jinja_env *env); /* lives as long as the environment */

void jinja_set_global(struct jinja_env *env, const char *name, value v);
void jinja_set_function(struct jinja_env *env, const char *name, vfunc_fn fn, void *data);
bool jinja_get_global(struct jinja_env *env, const char *name, value *out);

/* Parses src (borrowed: it must outlive the template) under `name`, which error messages use.
 * Returns NULL and adds syntax errors (name:line:col: message) to d on failure. */
struct jinja_template *jinja_parse(struct jinja_env *env, const char *name, const char *src,
                                   size_t len, struct diag *d);
/* As jinja_parse, but the template and its AST live in a (not the environment's arena): it is
 * gone when a is released or reset, which keeps a big project's one-off renders (each model
 * is rendered once at parse time) from piling up in the environment. Register no macros from
 * it (jinja_add_macros) unless a outlives the environment's use of them. */
struct jinja_template *jinja_parse_in(struct jinja_env *env, struct arena *a, const char *name,
                                      const char *src, size_t len, struct diag *d);
const char *jinja_template_name(const struct jinja_template *t);

/* dbt block tags found at the top level of a template, in source order. */
struct jinja_block {
	const char *kind; /* "macro", "materialization", "test", "docs", "snapshot" */
	struct str name;  /* macro/test/docs/snapshot name, materialization name */
	struct str adapter; /* materialization: adapter='x' or "default"; else empty */
	int line, col;
	struct str body; /* source text between the tags (docs blocks: the text) */
	void *node;      /* the block's AST (render with jinja_render_block) */
	void *macro;     /* test and materialization blocks: the macro they define (internal) */
};
size_t jinja_template_blocks(const struct jinja_template *t, const struct jinja_block **out);

/* The keyword arguments of t's first config() call as written (jinja/static.c): a literal keeps
 * its value, any other expression becomes its text in one canonical form. 1 with *out a dict
 * in a, or 0 when t calls no config(). */
int jinja_static_config(const struct jinja_template *t, struct arena *a, value *out);

/* A call a block makes, as dbt's statically_extract_macro_calls sees it: `name(...)`,
 * `package.name(...)`, or `adapter.dispatch('name', 'namespace')` (dispatch set; namespace
 * not a literal). The texts point into the template. */
struct jinja_call {
	struct str package, name; /* package.n == 0: a plain name */
	bool dispatch;
	struct str dispatch_ns; /* .p NULL: none given as a literal */
};
typedef void (*jinja_call_fn)(void *ud, const struct jinja_call *c);
/* Reports the calls in block b (a macro, test or materialization block: its parameters'
 * defaults, then its body) in jinja2's find_all order: each call before what it contains. */
void jinja_block_calls(const struct jinja_block *b, jinja_call_fn fn, void *ud);

/* Registers every top-level macro of t: as a global when ns is NULL, else as ns.<macro>
 * (a namespace global named ns, created on first use). Later registrations win. */
void jinja_add_macros(struct jinja_env *env, const char *ns, struct jinja_template *t);

struct jinja_render {
	value ctx;                  /* a dict of variables (VT_UNDEF = none) */
	/* Dicts searched after ctx and before the globals, in order: how dbt makes a package's
	 * macros, then the root project's, then dbt's own callable without a prefix. */
	struct vdict *const *scopes;
	uint32_t nscopes;
	enum jinja_undefined undef; /* default or lenient */
	struct arena *arena;        /* where results and temporaries go (NULL = a private one) */
	void *userdata;             /* for C callables: jinja_userdata(st) */
	int max_depth;              /* call-depth limit, 0 = 200 */
	uint64_t max_steps;         /* loop iterations + macro calls allowed, 0 = unlimited */
	uint64_t max_bytes;         /* largest string a filter, method or operator builds, 0 = 64 MiB */
};

/* Renders t as text into out. Returns 0, or -1 with an error (name:line: message) in d. out may
 * be NULL: everything is evaluated (calls made, errors raised) but the top level's text is not
 * built (dbt's parse-time render keeps only what ref, source and config record). */
int jinja_render(struct jinja_env *env, const struct jinja_template *t,
                 const struct jinja_render *opts, struct buf *out, struct diag *d);
/* Renders natively: a template that is one {{ expr }} yields that value; otherwise the text,
 * evaluated as a Python literal when it is one (dbt's native rendering). Needs opts->arena. */
int jinja_render_native(struct jinja_env *env, const struct jinja_template *t,
                        const struct jinja_render *opts, value *out, struct diag *d);
/* Calls macro `name` (in namespace ns, or global when NULL) with args. Needs opts->arena. */
int jinja_call_macro(struct jinja_env *env, const char *ns, const char *name,
                     const struct vargs *args, const struct jinja_render *opts, value *out,
                     struct diag *d);

/* For C callables, filters and methods. */
int jinja_error(struct jstate *st, const char *fmt, ...) SILT_PRINTF(2, 3); /* returns -1 */
struct arena *jinja_arena(struct jstate *st);
void *jinja_userdata(struct jstate *st);
enum jinja_undefined jinja_undef_mode(struct jstate *st);
/* Python str() into a buffer, and as a value (allocated in st's arena when needed). */
void jinja_to_str(value v, struct buf *out);
value jinja_str_value(struct jstate *st, value v);
/* Argument i, or the keyword argument `name`: true and *out set when given. */
bool jinja_arg(const struct vargs *args, uint32_t i, const char *name, value *out);
/* Calls any callable value (function, macro, object with a call) with args. */
int jinja_call(struct jstate *st, value callee, const struct vargs *args, value *out);
/* Materialises any iterable as a list, or -1 with "'T' object is not iterable". */
int jinja_iterate(struct jstate *st, value v, value *list_out);
/* Python's a + b, as the template's `+` operator evaluates it. */
int jinja_add(struct jstate *st, value a, value b, value *out);

#endif
