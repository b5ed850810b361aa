/* compile internals: only src/compile/ files include this. */
#ifndef SILT_COMPILE_INT_H
#define SILT_COMPILE_INT_H

#include "compile.h"

/* modules.re (modules_re.c): a namespace of Python's re functions and flags. */
value dbt_module_re(struct arena *a);
/* modules.datetime (modules_datetime.c): datetime, date, timedelta. */
value dbt_module_datetime(struct arena *a);
/* modules.itertools (modules_itertools.c): the functions dbt exports. */
value dbt_module_itertools(struct arena *a);

/* The adapter of the running render (NULL when none renders relation names). */
const struct adapter *dbt_render_adapter(struct jstate *st);
/* api.Relation (relation.c). */
value dbt_api_namespace(struct arena *a);
/* adapter.<name> for the methods that need a warehouse (runtime.c): 1 found, 0 not. */
int dbt_adapter_method(struct jstate *st, value self, struct str name, value *out);
/* store_result, load_result, write, render, api (runtime.c). */
void dbt_runtime_install(struct jinja_env *env);
/* toyaml(value, default=None, sort_keys=False) (toyaml.c). */
int dbt_fn_toyaml(struct jstate *st, void *data, value self, const struct vargs *args, value *out);

#endif
