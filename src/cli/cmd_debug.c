/* silt debug: where the project and profile were found and what they resolve to (dbt debug,
 * without the connection test for now). */
#include "cli.h"
#include "json/json.h"
#include "project/project.h"

int cmd_debug(int argc, char **argv)
{
	struct project_opts o = { 0 };
	if (cli_only_project_flags(argc, argv, &o) < 0)
		return 2;
	struct project p;
	struct diag d;
	diag_init(&d);
	int rc = project_load(&p, &o, &d) < 0 ? 1 : 0;
	printf("silt debug\n");
	printf("  project dir: %s\n", p.dir ? p.dir : "(not found)");
	if (p.name)
		printf("  project: %s\n", p.name);
	if (p.has_profile) {
		printf("  profiles.yml file: %s\n", p.profile.file);
		printf("  profile: %s, target: %s, type: %s, threads: %lld\n", p.profile.name,
		       p.profile.target_name, p.profile.type, (long long)p.profile.threads);
		struct buf b = BUF_INIT;
		struct json_opts jo = JSON_OPTS_INIT;
		jo.sort_keys = true;
		json_write(&b, p.profile.target, &jo);
		printf("  target: %s\n", buf_cstr(&b));
		buf_release(&b);
	}
	if (d.msgs.n) {
		printf("  configuration: ERROR\n");
		cli_print_diag(&d);
	} else {
		printf("  configuration: OK\n");
	}
	diag_release(&d);
	project_release(&p);
	return rc;
}
