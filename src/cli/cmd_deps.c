/* silt deps: install the project's packages (dbt deps). */
#include "cli.h"
#include "project/project.h"

int cmd_deps(int argc, char **argv)
{
	struct project_opts o = { 0 };
	if (cli_only_project_flags(argc, argv, &o) < 0)
		return 2;
	o.no_profile = true; /* dbt deps reads the project alone */
	struct project p;
	struct diag d;
	diag_init(&d);
	struct buf log = BUF_INIT;
	int rc = 0;
	if (project_load(&p, &o, &d) < 0 || project_deps(&p, &log, &d) < 0)
		rc = 2;
	fputs(buf_cstr(&log), stdout);
	if (d.msgs.n)
		cli_print_diag(&d);
	buf_release(&log);
	diag_release(&d);
	project_release(&p);
	return rc;
}
