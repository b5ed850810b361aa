/* silt debug: where the project and profile were found, what they resolve to, and whether the
 * target takes a connection (dbt debug). --connection tests only the connection; --config-dir
 * says where profiles.yml is. Exit 1 when a check fails. */
#include "adapter/adapter.h"
#include "cli.h"
#include "json/json.h"
#include "project/project.h"

/* dbt's connection test: connect, run `select 1`. 0, or -1 with the database's error on d. */
static int connection_test(const struct project *p, struct diag *d)
{
	struct adapter *ad = adapter_new(p->profile.output, p->dir, d);
	struct adapter_conn *conn = ad ? adapter_open(ad, d) : NULL;
	int rc = conn && adapter_exec(conn, "select 1", NULL, d) == 0 ? 0 : -1;
	if (conn)
		adapter_close(conn);
	if (ad)
		adapter_free(ad);
	return rc;
}

int cmd_debug(int argc, char **argv)
{
	struct project_opts o = { 0 };
	int nrest;
	char **rest = cli_project_flags_rest(argc, argv, &o, &nrest);
	if (!rest)
		return 2;
	bool connection_only = false, config_dir = false;
	int rc = 0;
	for (int i = 0; i < nrest; i++) {
		if (!strcmp(rest[i], "--connection")) {
			connection_only = true;
		} else if (!strcmp(rest[i], "--config-dir")) {
			config_dir = true;
		} else {
			fprintf(stderr, "silt debug: unknown argument '%s'\n", rest[i]);
			rc = 2;
		}
	}
	free(rest);
	if (rc)
		return rc;
	struct project p;
	struct diag d;
	diag_init(&d);
	rc = project_load(&p, &o, &d) < 0 ? 1 : 0;
	if (config_dir) {
		const char *file = p.has_profile ? p.profile.file : NULL;
		const char *slash = file ? strrchr(file, '/') : NULL;
		printf("To view your profiles.yml file, run:\n\nxdg-open %.*s\n",
		       slash ? (int)(slash - file) : 1, slash ? file : ".");
		diag_release(&d);
		project_release(&p);
		return rc;
	}
	if (!connection_only) {
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
		printf("  configuration: %s\n", d.msgs.n ? "ERROR" : "OK");
	}
	if (d.msgs.n) {
		cli_print_diag(&d);
	} else if (p.has_profile) {
		struct diag cd;
		diag_init(&cd);
		printf("Connection:\n");
		if (connection_test(&p, &cd) == 0) {
			printf("  Connection test: [OK connection ok]\n\nAll checks passed!\n");
		} else {
			printf("  Connection test: [ERROR]\n\n1 check failed:\n"
			       "dbt was unable to connect to the specified database.\n"
			       "The database returned the following error:\n\n");
			struct buf b = BUF_INIT;
			diag_print(&cd, &b);
			printf("  >%s\nCheck your database credentials and try again.\n", buf_cstr(&b));
			buf_release(&b);
			rc = 1;
		}
		diag_release(&cd);
	}
	diag_release(&d);
	project_release(&p);
	return rc;
}
