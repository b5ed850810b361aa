/* silt webhook: webhooks out — where silt serve POSTs run events.
 *
 *   silt webhook create NAME --url URL --event run.started|run.completed|run.errored [...]
 *                       [--secret VALUE]   (VALUE - reads stdin; signs X-Silt-Signature-256)
 *                       [--format event|commit-status]
 *   silt webhook list
 *   silt webhook delete NAME
 *   silt webhook deliveries [NAME] [--limit N]
 *
 * Every command takes --store PATH and --project-dir DIR. Secrets are never printed. */
#include "cli.h"
#include "jobs.h"
#include "store/store.h"

static const char usage[] =
    "usage: silt webhook [--store PATH] [--project-dir DIR] <command>\n"
    "  create NAME --url URL --event run.started|run.completed|run.errored [--event ...] [--secret VALUE|-]\n"
    "         [--format event|commit-status]   (commit-status: a CI run's status to URL with {sha})\n"
    "  list\n"
    "  delete NAME\n"
    "  deliveries [NAME] [--limit N]\n";

int cmd_webhook(int argc, char **argv)
{
	const char *store_path = NULL, *project_dir = NULL, *sub = NULL, *name = NULL, *url = NULL,
	           *secret = NULL, *limit = NULL, *format = NULL;
	struct buf events = BUF_INIT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = !strcmp(a, "--store")         ? &store_path
		                    : !strcmp(a, "--project-dir") ? &project_dir
		                    : !strcmp(a, "--url")         ? &url
		                    : !strcmp(a, "--secret")      ? &secret
		                    : !strcmp(a, "--limit")       ? &limit
		                    : !strcmp(a, "--format")      ? &format
		                                                  : NULL;
		bool event = !strcmp(a, "--event");
		if ((slot || event) && i + 1 >= argc) {
			fprintf(stderr, "silt webhook: missing value for %s\n%s", a, usage);
			buf_release(&events);
			return 2;
		}
		if (slot) {
			*slot = argv[++i];
		} else if (event) {
			buf_printf(&events, "%s%s", events.n ? "," : "", argv[++i]);
		} else if (a[0] != '-' && !sub) {
			sub = a;
		} else if (a[0] != '-' && !name) {
			name = a;
		} else {
			fprintf(stderr, "silt webhook: unexpected argument '%s'\n%s", a, usage);
			buf_release(&events);
			return 2;
		}
	}
	bool ok = sub && (!strcmp(sub, "create") || !strcmp(sub, "list") || !strcmp(sub, "delete") ||
	                  !strcmp(sub, "deliveries"));
	if (!ok || ((!strcmp(sub, "create") || !strcmp(sub, "delete")) && !name)) {
		fprintf(stderr, "silt webhook: %s\n%s", !ok ? "which command?" : "needs a webhook name", usage);
		buf_release(&events);
		return 2;
	}
	struct store *s = cli_store_open("webhook", store_path, project_dir);
	if (!s) {
		buf_release(&events);
		return 2;
	}
	struct diag d;
	diag_init(&d);
	struct arena a;
	arena_init(&a);
	secret = cli_stdin_value(secret, &a);
	int rc = 1;
	if (!strcmp(sub, "create")) {
		if (store_webhook_create(s, name, url, buf_cstr(&events), secret, format, &d) == 0) {
			printf("Created webhook '%s' (%s) for %s%s\n", name, url, buf_cstr(&events),
			       secret ? ", signed" : "");
			rc = 0;
		}
	} else if (!strcmp(sub, "delete")) {
		if (store_webhook_delete(s, name, &d) == 0) {
			printf("Deleted webhook '%s'\n", name);
			rc = 0;
		}
	} else if (!strcmp(sub, "list")) {
		struct store_webhook *w;
		size_t n;
		if (store_webhook_list(s, &a, &w, &n, &d) == 0) {
			printf("%-16s %-40s %-36s %-7s %s\n", "NAME", "URL", "EVENTS", "SIGNED", "DELIVERED/FAILED");
			for (size_t i = 0; i < n; i++)
				printf("%-16s %-40s %-36s %-7s %lld/%lld\n", w[i].name, w[i].url, w[i].events,
				       w[i].signed_ ? "yes" : "no", (long long)w[i].delivered, (long long)w[i].failed);
			rc = 0;
		}
	} else {
		struct store_delivery *v;
		size_t n;
		if (store_delivery_list(s, name, limit ? atoi(limit) : 50, &a, &v, &n, &d) == 0) {
			printf("%-6s %-16s %-14s %-10s %-8s %-5s %s\n", "ID", "WEBHOOK", "EVENT", "STATUS",
			       "ATTEMPTS", "CODE", "ERROR");
			for (size_t i = 0; i < n; i++)
				printf("%-6lld %-16s %-14s %-10s %-8d %-5d %s\n", (long long)v[i].id, v[i].webhook,
				       v[i].event, v[i].status, v[i].attempts, v[i].response_code,
				       v[i].error ? v[i].error : "-");
			rc = 0;
		}
	}
	cli_print_diag_as("webhook", &d);
	diag_release(&d);
	arena_release(&a);
	buf_release(&events);
	store_close(s);
	return rc;
}
