/* run/compile: the compile step of a run — each node's code rendered in the execute phase, refs
 * and sources resolved to the relations the manifest names, ephemeral models injected as CTEs
 * named __dbt__cte__<name> — and target/compiled/ written as dbt writes it. */
#ifndef SILT_RUN_COMPILE_H
#define SILT_RUN_COMPILE_H

#include "compile/compile.h"
#include "parse/parse.h"

struct node_compiler {
	struct project *p;
	struct parse_result *r;
	const struct adapter *ad; /* renders relation names; NULL = the manifest's relation_name */
	struct adapter *own_ad;   /* the profile's adapter, made by node_compiler_init (not connected) */
	struct dbt_runtime *rt;   /* set while a node runs against the warehouse, else NULL */
	struct dbt_project_info info;
	struct map by_name; /* "name" -> first model/seed/snapshot gnode of that name */
	struct arena a;     /* compiled SQL of ephemeral models, kept for injection */
	struct arena scratch; /* the node being compiled: its template (reset after it) */
	struct map ephemeral_sql;
	struct map sources; /* "source\0table" -> first source gnode with a relation_name */
	const struct gdefer *defer; /* --defer: ref() to an unselected parent may use the state's */
	/* --empty: refs and sources read no rows, `(select * from <relation> where false limit 0)
	 * _dbt_limit_subq_<identifier>` (dbt's BaseRelation.render_limited with limit 0) */
	bool empty;
	/* info.ud outside any node's render (project hooks, query comments): var, env_var, ref
	 * and source work there as in the root project */
	struct node_render *idle;
	/* While a microbatch model runs one batch (run/task.c): its refs and sources to nodes with
	 * an event_time read only the batch's window, its `model.batch` is set, and after the first
	 * batch it is incremental whatever --full-refresh says. */
	struct {
		const struct gnode *node; /* the model; NULL when no batch runs */
		const char *start, *end;  /* the window's bounds as SQL text */
		value value;              /* model.batch */
		bool incremental;
		bool first, last; /* the pre-hooks run with the first batch, the post-hooks the last */
	} batch;
	/* get_where_subquery is dbt's own all the way (no package defines it or a dispatch
	 * candidate for it): a test without `where` then gets its relation as it is */
	bool plain_where_subquery;
	/* the templates of the last generic tests compiled (kept in `a`): the tests of a folder
	 * share a few raw codes, each parsed once (see compile_pre) */
	struct {
		const char *src, *name;
		uint32_t len;
		struct jinja_template *t;
	} test_tpl[8];
	uint32_t ntest_tpl;
};

/* One node's render set up as compile sets it up: ref/source/this resolved, schema and database,
 * a generic test's rendered _dbt_generic_test_kwargs. Renders allocate in `a`. The task uses it
 * to call materializations in the same context. Only one node renders at a time per compiler. */
struct node_render {
	struct node_compiler *nc;
	struct diag *d;
	VEC(struct gnode *) ctes; /* ephemeral models the node refers to, in order */
	int depth;
	struct arena *a;
	void *prev_ud;
	struct dbt_render r;
	struct jinja_render opts;
	bool in_batch; /* the node is nc->batch.node */
};
int node_render_begin(struct node_compiler *nc, struct gnode *g, struct arena *a,
                      struct node_render *nr, struct diag *d);
void node_render_end(struct node_render *nr);

/* "<package>/<path>" under target/compiled/ and target/run/: a model's or singular test's file
 * path; a generic test's yml file path joined with its own path
 * ("shop/models/schema.yml/not_null_orders_id.sql"), as dbt writes them. */
void node_target_path(const struct gnode *g, struct buf *out);

void node_compiler_init(struct node_compiler *nc, struct project *p, struct parse_result *r);
/* As node_compiler_init, for another thread's compiler over the same parse: like's tables are
 * copied and its flat graph shared, so like must outlive nc. */
void node_compiler_init_like(struct node_compiler *nc, struct project *p, struct parse_result *r,
                             const struct node_compiler *like);
void node_compiler_release(struct node_compiler *nc);
/* selected_resources for the renders: the unique_ids of the selected nodes, in order. */
void node_compiler_select(struct node_compiler *nc, struct gnode *const *nodes, size_t n);

/* The compiled code of g (models, tests, analyses) into out. 0, or -1 with an error that names
 * the node's file. */
int node_compile(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d);

#endif
