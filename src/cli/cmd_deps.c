/* silt deps [--upgrade] [--lock]: install the project's packages (dbt deps). */
#include "cli.h"
#include "project/project.h"

int cmd_deps(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	struct deps_opts dopts = { 0 };
	for (int i = 0; i < nrest; i++) {
		if (!strcmp(rest[i], "--upgrade")) {
			dopts.upgrade = true;
		} else if (!strcmp(rest[i], "--lock")) {
			dopts.lock_only = true;
		} else {
			fprintf(stderr, "silt deps: unknown argument '%s'%s\n", rest[i],
			        !strcmp(rest[i], "--add-package")
			            ? " (packages are added by editing packages.yml)"
			            : "");
			free(rest);
			return 2;
		}
	}
	free(rest);
	o.no_profile = true; /* dbt deps reads the project alone */
	struct project p;
	struct diag d;
	diag_init(&d);
	struct buf log = BUF_INIT;
	int rc = 0;
	if (project_load(&p, &o, &d) < 0 || project_deps(&p, &dopts, &log, &d) < 0)
		rc = 2;
	fputs(buf_cstr(&log), stdout);
	if (d.msgs.n)
		cli_print_diag(&d);
	buf_release(&log);
	diag_release(&d);
	project_release(&p);
	return rc;
}
