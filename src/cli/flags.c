/* The flags every dbt command shares (--project-dir, --profiles-dir, --profile, --target/-t,
 * --vars, --target-path, --threads), parsed into project_opts. */
#include "cli.h"
#include "project/project.h"

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

void cli_print_diag(const struct diag *d)
{
	struct buf msg = BUF_INIT;
	diag_print(d, &msg);
	fputs(buf_cstr(&msg), stderr);
	buf_release(&msg);
}
