/* silt token: service tokens of the API (silt serve).
 *
 *   silt token create NAME --scope metadata:read|job:run|admin [--scope ...]
 *   silt token list
 *   silt token revoke NAME
 *
 * Every command takes --store PATH and --project-dir DIR. The secret is printed once, by
 * create; the store keeps only its SHA-256. */
#include "cli.h"
#include "jobs.h"
#include "store/store.h"

static const char usage[] =
    "usage: silt token [--store PATH] [--project-dir DIR] <command>\n"
    "  create NAME --scope metadata:read|job:run|admin [--scope ...]\n"
    "  list\n"
    "  revoke NAME\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "silt token: %s%s%s\n%s", what, arg ? " " : "", arg ? arg : "", usage);
	return 2;
}

int cmd_token(int argc, char **argv)
{
	const char *store_path = NULL, *project_dir = NULL, *sub = NULL, *name = NULL;
	unsigned scopes = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--store") || !strcmp(a, "--project-dir") || !strcmp(a, "--scope")) &&
		    i + 1 >= argc)
			return usage_error("missing value for", a);
		if (!strcmp(a, "--store")) {
			store_path = argv[++i];
		} else if (!strcmp(a, "--project-dir")) {
			project_dir = argv[++i];
		} else if (!strcmp(a, "--scope")) {
			int sc = store_scope_parse(argv[++i]);
			if (sc < 0)
				return usage_error("unknown scope (metadata:read, job:run, admin):", argv[i]);
			scopes |= (unsigned)sc;
		} else if (a[0] == '-') {
			return usage_error("unknown argument", a);
		} else if (!sub) {
			sub = a;
		} else if (!name) {
			name = a;
		} else {
			return usage_error("unexpected argument", a);
		}
	}
	if (!sub)
		return usage_error("which command?", NULL);
	bool list = !strcmp(sub, "list");
	if (!list && strcmp(sub, "create") && strcmp(sub, "revoke"))
		return usage_error("unknown command", sub);
	if (!list && !name)
		return usage_error("needs a token name:", sub);
	if (list && name)
		return usage_error("unexpected argument", name);
	if (!strcmp(sub, "create") && !scopes)
		return usage_error("create needs --scope (metadata:read, job:run or admin)", NULL);
	struct store *s = cli_store_open("token", store_path, project_dir);
	if (!s)
		return 2;
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	int rc = 1;
	if (!strcmp(sub, "create")) {
		const char *token;
		if (store_token_create(s, name, scopes, &a, &token, &d) == 0) {
			printf("Created token '%s'. It is shown this once; keep it secret:\n%s\n", name, token);
			rc = 0;
		}
	} else if (!strcmp(sub, "revoke")) {
		if (store_token_revoke(s, name, &d) == 0) {
			printf("Revoked token '%s'\n", name);
			rc = 0;
		}
	} else {
		struct store_token *t;
		size_t n;
		if (store_token_list(s, &a, &t, &n, &d) == 0) {
			printf("%-20s %-14s %-32s %-26s %s\n", "NAME", "PREFIX", "SCOPES", "LAST USED", "STATE");
			for (size_t i = 0; i < n; i++) {
				struct buf sc = BUF_INIT;
				store_scopes_text(t[i].scopes, &sc);
				printf("%-20s %-14s %-32s %-26s %s\n", t[i].name, t[i].prefix, buf_cstr(&sc),
				       t[i].last_used_at ? t[i].last_used_at : "-",
				       t[i].revoked_at ? "revoked" : "active");
				buf_release(&sc);
			}
			rc = 0;
		}
	}
	cli_print_diag_as("token", &d);
	diag_release(&d);
	arena_release(&a);
	store_close(s);
	return rc;
}
