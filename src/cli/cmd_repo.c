/* silt repo: the project's git repository, which workers check runs out of, and the secret
 * incoming webhooks are signed with (both kept in the metadata store; the secret sealed).
 *
 *   silt repo set PATH_OR_URL [--webhook-secret VALUE]   (VALUE - reads stdin)
 *   silt repo show
 *   silt repo unset
 *
 * Every command takes --store PATH and --project-dir DIR. The secret is never printed. */
#include "cli.h"
#include "jobs.h"
#include "store/store.h"

static const char usage[] = "usage: silt repo [--store PATH] [--project-dir DIR] <command>\n"
                            "  set PATH_OR_URL [--webhook-secret VALUE]   (VALUE - reads stdin)\n"
                            "  show\n"
                            "  unset\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "silt repo: %s%s%s\n%s", what, arg ? " " : "", arg ? arg : "", usage);
	return 2;
}

int cmd_repo(int argc, char **argv)
{
	const char *store_path = NULL, *project_dir = NULL, *sub = NULL, *url = NULL, *secret = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = !strcmp(a, "--store")            ? &store_path
		                    : !strcmp(a, "--project-dir")    ? &project_dir
		                    : !strcmp(a, "--webhook-secret") ? &secret
		                                                     : NULL;
		if (slot) {
			if (i + 1 >= argc)
				return usage_error("missing value for", a);
			*slot = argv[++i];
		} else if (a[0] == '-') {
			return usage_error("unknown argument", a);
		} else if (!sub) {
			sub = a;
		} else if (!url && !strcmp(sub, "set")) {
			url = a;
		} else {
			return usage_error("unexpected argument", a);
		}
	}
	if (!sub || (strcmp(sub, "set") && strcmp(sub, "show") && strcmp(sub, "unset")))
		return usage_error(sub ? "unknown command" : "which command?", sub);
	if (!strcmp(sub, "set") && !url)
		return usage_error("set needs the repository's path or URL", NULL);
	struct store *s = cli_store_open("repo", store_path, project_dir);
	if (!s)
		return 2;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	secret = cli_stdin_value(secret, &a);
	int rc = 1;
	if (!strcmp(sub, "set")) {
		if (store_repo_set(s, url, secret, secret != NULL, &d) == 0) {
			printf("Repository: %s%s\n", url, secret ? " (webhook secret set)" : "");
			rc = 0;
		}
	} else if (!strcmp(sub, "unset")) {
		if (store_repo_set(s, "", NULL, true, &d) == 0) {
			printf("No repository\n");
			rc = 0;
		}
	} else {
		const char *u, *sec;
		if (store_repo_get(s, &a, &u, &sec, &d) == 0) {
			printf("repository:     %s\n", u ? u : "-");
			printf("webhook secret: %s\n", sec ? "set" : "-");
			rc = 0;
		}
	}
	cli_print_diag_as("repo", &d);
	diag_release(&d);
	arena_release(&a);
	store_close(s);
	return rc;
}
