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
				const struct ventry e_at = vdict_at(g->raw.dict, i), *e = &e_at;
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
			buf_printf(&b, "%s:%s.%s", graph_type_name(g->type), g->package, g->name);
			break;
		case GT_UNIT_TEST: /* its fqn: the tested model's, then its name */
			buf_puts(&b, "unit_test:");
			for (uint32_t i = 0; i < g->nfqn; i++)
				buf_printf(&b, "%s%s", i ? "." : "", g->fqn[i]);
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
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct cli_selection sel = { 0 };
	strvec_t keys = { 0 };
	VEC(char *) owned = { 0 }; /* the --output-keys values, split */
	const char *output = "selector";
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		const char *a = rest[i];
		if (cli_take_selection_flag(rest, nrest, &i, &sel))
			continue;
		if ((!strcmp(a, "--output") || !strcmp(a, "-o")) && i + 1 < nrest) {
			output = rest[++i];
			if (strcmp(output, "selector") && strcmp(output, "name") && strcmp(output, "path") &&
			    strcmp(output, "json")) {
				fprintf(stderr, "silt ls: --output must be one of selector, name, path, json (got '%s')\n", output);
				rc = 2;
			}
		} else if (!strcmp(a, "--output-keys") && i + 1 < nrest) {
			/* each value may name several keys ("name resource_type", as dbt's docs) */
			while (i + 1 < nrest && rest[i + 1][0] != '-') {
				char *copy = xstrdup(rest[++i]), *save = NULL;
				vec_push(&owned, copy);
				for (char *k = strtok_r(copy, " \t", &save); k; k = strtok_r(NULL, " \t", &save))
					vec_push(&keys, k);
			}
		} else {
			fprintf(stderr, "silt ls: unknown argument '%s'\n", a);
			rc = 2;
		}
	}
	free(rest);
	if (rc) {
		cli_selection_release(&sel);
		goto out;
	}
	struct cli_parsed c;
	struct gselect_opts so;
	struct gselection chosen;
	rc = 2;
	cli_selection_prefetch(&sel, o.project_dir);
	if (cli_load_parse(&c, &o) == 0 && cli_selection_opts(&sel, 0, &so, c.selectors, &c.d) == 0 &&
	    cli_selection_state(&sel, &c, &so) == 0 &&
	    graph_select(&c.a, c.r.m, &so, &chosen, &c.d) == 0) {
		for (uint32_t i = 0; i < chosen.n; i++)
			print_node(chosen.nodes[i], output, keys.n ? keys.v : json_keys,
			           keys.n ? keys.n : ARRAY_LEN(json_keys));
		rc = 0;
	}
	cli_parsed_release(&c);
	cli_selection_release(&sel);
out:
	vec_free(&keys);
	for (size_t i = 0; i < owned.n; i++)
		free(owned.v[i]);
	vec_free(&owned);
	return rc;
}
