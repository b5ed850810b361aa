/* project: private helpers shared by the module's files. */
#ifndef SILT_PROJECT_INT_H
#define SILT_PROJECT_INT_H

#include "jinja/jinja.h"
#include "project.h"
#include "yaml/yaml.h"

#define SECRET_ENV_PREFIX "DBT_ENV_SECRET"

/* env.c */
void penv_init(struct project *p, const struct project_opts *o);
int prender_init(struct project *p);
/* Renders a string natively; `where` names the node for errors (may be NULL). On error adds
 * "file:line:col: Could not render <text>: <why>". */
int prender_str(struct project *p, enum project_render_ctx ctx, value v,
                const struct yaml_node *where, value *out, struct diag *d);
/* Python's json.dumps(v, sort_keys=True, indent=4) */
void pjson_pretty(value v, struct buf *out);

/* small value helpers */
value pv_str(struct arena *a, const char *s);
bool pv_get(value dict, const char *key, value *out);
value pv_dict_copy(struct arena *a, value d);
value pv_listify(struct arena *a, value v);
char *ppath_join(struct arena *a, const char *dir, const char *rel);
bool pfile_exists(const char *path);
char *pread_file(const char *path, size_t *len); /* malloc'd, NULL when unreadable */

/* profile.c */
int profile_load(struct project *p, const struct project_opts *o, const char *profile_name,
                 const struct yaml_node *name_node, struct diag *d);
/* packages.c */
int packages_load(struct project *p, struct diag *d);

#endif
