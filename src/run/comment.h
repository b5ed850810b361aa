/* run/comment: dbt's query comments. `query-comment` in dbt_project.yml (absent: dbt's default,
 * a JSON object with app, dbt_version, profile_name, target_name and node_id or
 * connection_name; a string: that template; a mapping: `comment` and `append`; null or empty:
 * none) is the body of a macro `query_comment_macro(connection_name, node)` rendered in the root
 * project's context, once for each node before it runs and once for the connection outside
 * any node ("master"). The adapter adds the text to the SQL it sends (adapter.h). */
#ifndef SILT_RUN_COMMENT_H
#define SILT_RUN_COMMENT_H

#include "../adapter/adapter.h"
#include "../compile/compile.h"
#include "../project/project.h"

struct query_comment {
	bool on;          /* a comment template is configured */
	bool append;      /* after the SQL */
	const char *body; /* the template (in the project's values), when on */
};

/* Reads p->query_comment; -1 with an error naming dbt_project.yml when it is neither a string,
 * a mapping nor null. */
int query_comment_init(struct query_comment *qc, const struct project *p, struct diag *d);

/* The comment for `node` (a manifest node dict; VT_UNDEF: none, then `conn_name` says which
 * connection) rendered in env with info, into out ("" when off). -1 with d when the template
 * fails or the text holds "*\/". */
int query_comment_render(const struct query_comment *qc, struct jinja_env *env,
                         const struct dbt_project_info *info, value node, const char *conn_name,
                         struct buf *out, struct diag *d);

/* Renders and sets the adapter's default comment (node none, connection "master"). */
int query_comment_set_default(const struct query_comment *qc, struct jinja_env *env,
                              const struct dbt_project_info *info, struct adapter *ad,
                              struct diag *d);
/* Renders and sets c's comment for node. */
int query_comment_set_node(const struct query_comment *qc, struct jinja_env *env,
                           const struct dbt_project_info *info, struct adapter_conn *c, value node,
                           struct diag *d);

#endif
