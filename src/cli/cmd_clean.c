/* silt clean: delete the project's clean-targets (dbt clean), refusing paths outside it. */
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "project/project.h"

int cmd_clean(int argc, char **argv)
{
	struct project_opts o = { 0 };
	if (cli_only_project_flags(argc, argv, &o) < 0)
		return 2;
	o.no_profile = true;
	struct project p;
	struct diag d;
	diag_init(&d);
	int rc = 0;
	if (project_load(&p, &o, &d) < 0) {
		cli_print_diag(&d);
		rc = 2;
		goto done;
	}
	char root[PATH_MAX];
	if (!realpath(p.dir, root)) {
		fprintf(stderr, "silt clean: cannot resolve %s\n", p.dir);
		rc = 2;
		goto done;
	}
	for (size_t i = 0; i < p.clean_targets.n; i++) {
		const char *t = p.clean_targets.v[i];
		struct buf path = BUF_INIT;
		if (t[0] == '/')
			buf_puts(&path, t);
		else
			buf_printf(&path, "%s/%s", p.dir, t);
		char real[PATH_MAX];
		if (!realpath(path.p, real)) {
			if (!cli_globals.quiet)
				printf("Checking %s/*\n", t);
			buf_release(&path);
			continue;
		}
		size_t rl = strlen(root);
		if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != 0) || !strcmp(real, root)) {
			fprintf(stderr, "silt clean: '%s' is not a folder inside the project; dbt refuses to "
			                "delete it and so does silt\n", t);
			rc = 2;
			buf_release(&path);
			continue;
		}
		if (!cli_globals.quiet)
			printf("Checking %s/*\n", t);
		pid_t pid = fork();
		if (pid == 0) {
			execlp("rm", "rm", "-rf", real, (char *)NULL);
			_exit(127);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "silt clean: could not delete %s\n", real);
			rc = 2;
		} else if (!cli_globals.quiet) {
			printf(" Cleaned %s/*\n", t);
		}
		buf_release(&path);
	}
	if (rc == 0 && !cli_globals.quiet)
		printf("Finished cleaning all paths.\n");
done:
	diag_release(&d);
	project_release(&p);
	return rc;
}
