/* dbt's query comments (run/comment.h). */
#include "comment.h"

#include "artifacts/artifacts.h"

/* dbt's default: app, dbt_version, profile and target, then the node's id or, outside a node,
 * the connection's name, as JSON. */
static const char default_comment[] =
    "{%- set comment_dict = {} -%}\n"
    "{%- do comment_dict.update(app='dbt', dbt_version=dbt_version,\n"
    "       profile_name=target.get('profile_name'), target_name=target.get('target_name')) -%}\n"
    "{%- if node is not none -%}\n"
    "  {%- do comment_dict.update(node_id=node.unique_id) -%}\n"
    "{%- else -%}\n"
    "  {%- do comment_dict.update(connection_name=connection_name) -%}\n"
    "{%- endif -%}\n"
    "{{ return(tojson(comment_dict)) }}";

static const char macro_ns[] = "__silt_query_comment";

int query_comment_init(struct query_comment *qc, const struct project *p, struct diag *d)
{
	*qc = (struct query_comment){.on = true, .body = default_comment};
	value v = p->query_comment;
	if (v.type == VT_UNDEF)
		return 0;
	if (v.type == VT_DICT) {
		value c = v_item(v, "comment"), ap = v_item(v, "append");
		if (ap.type != VT_UNDEF && ap.type != VT_NONE && ap.type != VT_BOOL) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "dbt_project.yml: query-comment.append must be true or false");
			return -1;
		}
		qc->append = ap.type == VT_BOOL && ap.b;
		if (!v.dict->n) { /* {} is falsy: no comment, as dbt reads it */
			qc->on = false;
			return 0;
		}
		if (c.type == VT_UNDEF)
			return 0;
		v = c;
	}
	if (v.type == VT_NONE || (v.type == VT_STR && !v.len)) {
		qc->on = false;
		return 0;
	}
	if (v.type != VT_STR) {
		diag_add(
		    d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
		    "dbt_project.yml: query-comment must be a string, a mapping with 'comment' "
		    "and 'append', or null");
		return -1;
	}
	qc->body = v.s;
	return 0;
}

/* The macro registered once per environment (its text lives in the environment's arena). */
static int install(const struct query_comment *qc, struct jinja_env *env, struct diag *d)
{
	value ns;
	if (jinja_get_global(env, macro_ns, &ns))
		return 0;
	struct arena *ea = jinja_env_arena(env);
	char *src = arena_printf(ea,
	                         "{%%- macro query_comment_macro(connection_name, node) -%%}\n%s\n"
	                         "{%%- endmacro %%}",
	                         qc->body);
	struct jinja_template *t = jinja_parse(env, "query-comment", src, strlen(src), d);
	if (!t)
		return -1;
	jinja_add_macros(env, macro_ns, t);
	return 0;
}

int query_comment_render(const struct query_comment *qc, struct jinja_env *env,
                         const struct dbt_project_info *info, value node, const char *conn_name,
                         struct buf *out, struct diag *d)
{
	buf_reset(out);
	if (!qc->on)
		return 0;
	if (install(qc, env, d) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	struct dbt_render r = {0};
	r.proj = info;
	r.env = env;
	r.phase = DBT_EXECUTE;
	r.package = info->root_package;
	r.node = v_undef();
	r.this = v_undef();
	struct jinja_render opts = {0};
	dbt_render_setup(&r, &a, &opts);
	vdict_sets(r.ctx.dict, "dbt_version", v_cstr(ARTIFACTS_DBT_VERSION));
	value args[2] = {conn_name ? v_cstr(conn_name) : v_none(),
	                 node.type == VT_DICT ? node : v_none()};
	struct vargs va = {.pos = args, .npos = 2};
	value ret = v_none();
	int rc = jinja_call_macro(env, macro_ns, "query_comment_macro", &va, &opts, &ret, d);
	if (rc == 0) {
		if (ret.type == VT_STR)
			buf_append(out, ret.s, ret.len);
		else if (ret.type != VT_NONE)
			v_to_str(ret, out);
		if (strstr(buf_cstr(out), "*/")) {
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0,
			         "query comment contains illegal value \"*/\": %s", buf_cstr(out));
			rc = -1;
		}
	}
	arena_release(&a);
	return rc;
}

int query_comment_set_default(const struct query_comment *qc, struct jinja_env *env,
                              const struct dbt_project_info *info, struct adapter *ad,
                              struct diag *d)
{
	struct buf b = BUF_INIT;
	int rc = query_comment_render(qc, env, info, v_undef(), "master", &b, d);
	if (rc == 0)
		adapter_set_default_comment(ad, buf_cstr(&b), qc->append);
	buf_release(&b);
	return rc;
}

int query_comment_set_node(const struct query_comment *qc, struct jinja_env *env,
                           const struct dbt_project_info *info, struct adapter_conn *c, value node,
                           struct diag *d)
{
	if (!qc->on)
		return 0;
	struct buf b = BUF_INIT;
	const char *id = v_item_str(node, "unique_id");
	int rc = query_comment_render(qc, env, info, node, id, &b, d);
	if (rc == 0)
		adapter_set_comment(c, buf_cstr(&b), qc->append);
	buf_release(&b);
	return rc;
}
