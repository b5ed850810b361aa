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
	struct dbt_project_info info;
	struct map by_name; /* "name" -> first model/seed/snapshot gnode of that name */
	struct arena a;     /* compiled SQL of ephemeral models, kept for injection */
	struct map ephemeral_sql;
	struct map sources; /* "source\0table" -> first source gnode with a relation_name */
};

void node_compiler_init(struct node_compiler *nc, struct project *p, struct parse_result *r);
void node_compiler_release(struct node_compiler *nc);

/* The compiled code of g (models, tests, analyses) into out. 0, or -1 with an error that names
 * the node's file. */
int node_compile(struct node_compiler *nc, struct gnode *g, struct buf *out, struct diag *d);

#endif
