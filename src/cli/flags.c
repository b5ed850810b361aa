/* The flags every dbt command shares (--project-dir, --profiles-dir, --profile, --target/-t,
 * --vars, --target-path, --threads), parsed into project_opts. */
#include "cli.h"

int cli_parse_project_flags(int argc, char **argv, struct project_opts *o, char **rest, int *nrest)
{
	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "--project-dir"))
			slot = &o->project_dir;
		else if (!strcmp(a, "--profiles-dir"))
			slot = &o->profiles_dir;
		else if (!strcmp(a, "--profile"))
			slot = &o->profile;
		else if (!strcmp(a, "--target") || !strcmp(a, "-t"))
			slot = &o->target;
		else if (!strcmp(a, "--vars"))
			slot = &o->vars;
		else if (!strcmp(a, "--target-path"))
			slot = &o->target_path;
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "silt: option %s needs a value\n", a);
				return -1;
			}
			*slot = argv[++i];
			continue;
		}
		if (!strcmp(a, "--threads")) {
			if (i + 1 >= argc || atoi(argv[i + 1]) <= 0) {
				fprintf(stderr, "silt: --threads needs a positive number\n");
				return -1;
			}
			o->threads = atoi(argv[++i]);
			continue;
		}
		rest[(*nrest)++] = argv[i];
	}
	return 0;
}

int cli_only_project_flags(int argc, char **argv, struct project_opts *o)
{
	char **rest = xcalloc((size_t)argc + 1, sizeof(char *));
	int nrest, rc = 0;
	if (cli_parse_project_flags(argc, argv, o, rest, &nrest) < 0) {
		rc = -1;
	} else if (nrest) {
		fprintf(stderr, "silt %s: unknown argument '%s'\n", argv[0], rest[0]);
		rc = -1;
	}
	free(rest);
	return rc;
}

void cli_print_diag(const struct diag *d)
{
	struct buf msg = BUF_INIT;
	diag_print(d, &msg);
	fputs(buf_cstr(&msg), stderr);
	buf_release(&msg);
}

/* ---- selection flags and the parsed project, shared by ls, compile, seed ---- */

static bool is_flag(const char *a) { return a[0] == '-'; }

int cli_take_selection_flag(char **rest, int nrest, int *i, struct cli_selection *s)
{
	const char *a = rest[*i];
	strvec_t *into = NULL;
	if (!strcmp(a, "-s") || !strcmp(a, "--select") || !strcmp(a, "-m") || !strcmp(a, "--models"))
		into = &s->select;
	else if (!strcmp(a, "--exclude"))
		into = &s->exclude;
	else if (!strcmp(a, "--resource-type") || !strcmp(a, "--resource-types"))
		into = &s->types;
	else if (!strcmp(a, "--exclude-resource-type") || !strcmp(a, "--exclude-resource-types"))
		into = &s->extypes;
	if (into) {
		/* dbt takes every following word until the next flag */
		while (*i + 1 < nrest && !is_flag(rest[*i + 1]))
			vec_push(into, rest[++*i]);
		return 1;
	}
	if (!strcmp(a, "--selector") && *i + 1 < nrest) {
		s->selector = rest[++*i];
		return 1;
	}
	return 0;
}

int cli_selection_opts(const struct cli_selection *s, uint32_t only_types, struct gselect_opts *o,
                       const struct gselectors *selectors, struct diag *d)
{
	memset(o, 0, sizeof(*o));
	o->selectors = selectors;
	o->select = s->select.v;
	o->nselect = s->select.n;
	o->exclude = s->exclude.v;
	o->nexclude = s->exclude.n;
	o->selector = s->selector;
	if (only_types) {
		o->resource_types = only_types;
		return 0;
	}
	return graph_resource_types(s->types.v, s->types.n, s->extypes.v, s->extypes.n,
	                            &o->resource_types, d);
}

void cli_selection_release(struct cli_selection *s)
{
	vec_free(&s->select);
	vec_free(&s->exclude);
	vec_free(&s->types);
	vec_free(&s->extypes);
}

int cli_load_parse(struct cli_parsed *c, const struct project_opts *o)
{
	memset(c, 0, sizeof(*c));
	diag_init(&c->d);
	arena_init(&c->a);
	c->loaded = true; /* project_release is needed even when loading fails */
	if (project_load(&c->p, o, &c->d) < 0 || parse_project(&c->p, &c->a, &c->r, &c->d) < 0)
		return -1;
	c->parsed = true;
	/* selectors.yml beside dbt_project.yml: --selector names and the default selector */
	char *path = arena_printf(&c->a, "%s/selectors.yml", c->p.dir);
	size_t len;
	char *text = file_read_all(path, &len);
	if (text) {
		char *kept = arena_strndup(&c->a, text, len);
		free(text);
		if (graph_selectors_load(&c->a, "selectors.yml", kept, len, &c->selectors, &c->d) < 0)
			return -1;
	}
	return 0;
}

void cli_parsed_release(struct cli_parsed *c)
{
	if (c->d.msgs.n)
		cli_print_diag(&c->d);
	parse_result_release(&c->r); /* a failed parse leaves a partial result too */
	if (c->loaded)
		project_release(&c->p);
	arena_release(&c->a);
	diag_release(&c->d);
}
