/* run/hooks.c: what every task that runs against the warehouse shares — dbt's project hooks
 * (on-run-start / on-run-end) with their console lines, run-operation's macro call, and the
 * text of a failure. */
#ifndef SILT_RUN_HOOKS_H
#define SILT_RUN_HOOKS_H
#include "../adapter/adapter.h"
#include "../compile/compile.h"
#include "../parse/parse.h"
#include "../project/project.h"
#include "compile.h"
#include "console.h"

/* The first error on d, as a user reads it ("unknown error" when there is none); caller frees. */
char *run_error_text(const struct diag *d);

struct hook_run {
	struct project *p;
	struct parse_result *r;
	struct node_compiler *nc; /* its info is the context's; its rt is set while a hook runs */
	struct adapter *ad;
	struct adapter_conn **conn; /* opened on first use when NULL */
	struct console *con;
};
/* Runs `which` ("on-run-start", "on-run-end"): each hook rendered in the root project's context
 * (`results` given to it) and executed on *h->conn, with dbt's START/OK/ERROR lines. Returns how
 * many failed. */
int run_project_hooks(const struct hook_run *h, const char *which, value hooks, value results);
/* dbt's run-operation: macro `name` of namespace ns (a package, or "dbt") called with kwargs (a
 * dict, or undefined) in the root project's context at execute time on *h->conn, its return
 * value dropped, then the open transaction committed. 0, or -1 with the error on d. */
int run_operation(const struct hook_run *h, const char *ns, const char *name, value kwargs,
                  struct diag *d);

#endif
