/* silt ls / list: the nodes a selection names (dbt ls), one per line as a selector, name, path
 * or JSON. */
#include "cli.h"
#include "json/json.h"
#include "parse/parse.h"

static const char *const json_keys[] = { "alias",         "name",        "package_name",
	                                 "depends_on",    "tags",        "config",
	                                 "resource_type", "source_name", "original_file_path",
	                                 "unique_id" };

static void print_node(const struct gnode *g, const char *output, const char *const *keys, size_t nkeys)
{
	struct buf b = BUF_INIT;
	if (!strcmp(output, "name")) {
		if (g->type == GT_SOURCE && g->source_name)
			buf_printf(&b, "%s.%s", g->source_name, g->name);
		else
			buf_puts(&b, g->name);
	} else if (!strcmp(output, "path")) {
		buf_puts(&b, g->original_file_path ? g->original_file_path : "");
	} else if (!strcmp(output, "json")) {
		value d = v_dict(g->raw.type == VT_DICT ? g->raw.dict->a : NULL, 0);
		if (g->raw.type == VT_DICT) {
			d = v_dict(g->raw.dict->a, 10);
			for (uint32_t i = 0; i < g->raw.dict->n; i++) {
				const struct ventry *e = &g->raw.dict->e[i];
				if (e->k.type != VT_STR)
					continue;
				for (size_t k = 0; k < nkeys; k++)
					if (str_eqc(v_as_str(e->k), keys[k]))
						vdict_set(d.dict, e->k, e->v);
			}
		}
		struct json_opts o = JSON_OPTS_INIT;
		json_write(&b, d, &o);
	} else { /* selector */
		switch (g->type) {
		case GT_SOURCE:
			buf_printf(&b, "source:%s.%s.%s", g->package, g->source_name ? g->source_name : "", g->name);
			break;
		case GT_EXPOSURE:
		case GT_METRIC:
		case GT_SEMANTIC_MODEL:
		case GT_SAVED_QUERY:
		case GT_UNIT_TEST:
			buf_printf(&b, "%s:%s.%s", graph_type_name(g->type), g->package, g->name);
			break;
		default:
			for (uint32_t i = 0; i < g->nfqn; i++)
				buf_printf(&b, "%s%s", i ? "." : "", g->fqn[i]);
		}
	}
	puts(buf_cstr(&b));
	buf_release(&b);
}

int cmd_ls(int argc, char **argv)
{
	struct project_opts o = { 0 };
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest;
	if (cli_parse_project_flags(argc, argv, &o, rest, &nrest) < 0) {
		free(rest);
		return 2;
	}
	VEC(const char *) select = { 0 }, exclude = { 0 }, types = { 0 }, extypes = { 0 }, keys = { 0 };
	const char *output = "selector", *selector = NULL;
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		const char *a = rest[i];
		bool has = i + 1 < nrest;
		if ((!strcmp(a, "-s") || !strcmp(a, "--select") || !strcmp(a, "-m") || !strcmp(a, "--models")) && has) {
			while (i + 1 < nrest && rest[i + 1][0] != '-')
				vec_push(&select, rest[++i]);
		} else if (!strcmp(a, "--exclude") && has) {
			while (i + 1 < nrest && rest[i + 1][0] != '-')
				vec_push(&exclude, rest[++i]);
		} else if ((!strcmp(a, "--resource-type") || !strcmp(a, "--resource-types")) && has) {
			while (i + 1 < nrest && rest[i + 1][0] != '-')
				vec_push(&types, rest[++i]);
		} else if ((!strcmp(a, "--exclude-resource-type") || !strcmp(a, "--exclude-resource-types")) && has) {
			while (i + 1 < nrest && rest[i + 1][0] != '-')
				vec_push(&extypes, rest[++i]);
		} else if ((!strcmp(a, "--output") || !strcmp(a, "-o")) && has) {
			output = rest[++i];
			if (strcmp(output, "selector") && strcmp(output, "name") && strcmp(output, "path") &&
			    strcmp(output, "json")) {
				fprintf(stderr, "silt ls: --output must be one of selector, name, path, json (got '%s')\n", output);
				rc = 2;
			}
		} else if (!strcmp(a, "--output-keys") && has) {
			while (i + 1 < nrest && rest[i + 1][0] != '-')
				vec_push(&keys, rest[++i]);
		} else if (!strcmp(a, "--selector") && has) {
			selector = rest[++i];
		} else {
			fprintf(stderr, "silt ls: unknown argument '%s'\n", a);
			rc = 2;
		}
	}
	free(rest);
	struct project p;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	struct parse_result r = { 0 };
	bool loaded = false, parsed = false;
	if (rc)
		goto done;
	rc = 2;
	loaded = true; /* project_release is needed even when loading fails */
	if (project_load(&p, &o, &d) < 0)
		goto done;
	if (parse_project(&p, &a, &r, &d) < 0)
		goto done;
	parsed = true;
	struct gselect_opts so = { 0 };
	so.select = select.v;
	so.nselect = select.n;
	so.exclude = exclude.v;
	so.nexclude = exclude.n;
	so.selector = selector;
	if (graph_resource_types(types.v, types.n, extypes.v, extypes.n, &so.resource_types, &d) < 0)
		goto done;
	struct gselection sel;
	if (graph_select(&a, r.m, &so, &sel, &d) < 0)
		goto done;
	for (uint32_t i = 0; i < sel.n; i++)
		print_node(sel.nodes[i], output, keys.n ? keys.v : json_keys, keys.n ? keys.n : ARRAY_LEN(json_keys));
	rc = 0;
done:
	if (d.msgs.n)
		cli_print_diag(&d);
	if (parsed)
		parse_result_release(&r);
	if (loaded)
		project_release(&p);
	arena_release(&a);
	diag_release(&d);
	vec_free(&select);
	vec_free(&exclude);
	vec_free(&types);
	vec_free(&extypes);
	vec_free(&keys);
	return rc;
}
