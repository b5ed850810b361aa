/* project: packages.yml / dependencies.yml (package_and_project_data_from_root,
 * PackageConfig.validate in core/dbt/config/project.py and contracts/project.py). Only read
 * and checked here; installing is `deps`' work. */
#include "project_int.h"

static int load_yaml_file(struct project *p, const char *name, const struct yaml_node **root,
                          const char **path, struct diag *d)
{
	*root = NULL;
	*path = ppath_join(&p->a, p->dir, name);
	size_t len;
	char *text = pread_file(*path, &len);
	if (!text)
		return 0;
	char *kept = arena_strndup(&p->a, text, len);
	free(text);
	struct yaml_doc *doc;
	if (yaml_load(&p->a, *path, kept, len, &doc, d) < 0)
		return -1;
	if (doc->root && !yaml_is_map(doc->root)) {
		yaml_error(d, doc->root, "%s must be a mapping with a 'packages:' list, got %s",
		           name, yaml_type_name(doc->root));
		return -1;
	}
	*root = doc->root;
	return 1;
}

static const char *str_field(struct project *p, value e, const char *key)
{
	value v;
	if (!pv_get(e, key, &v) || v.type != VT_STR)
		return NULL;
	return arena_strndup(&p->a, v.s, v.len);
}

static int malformed(struct diag *d, const struct yaml_node *n, const char *fmt, const char *a)
{
	struct buf m = BUF_INIT;
	buf_puts(&m, "The packages.yml file in this project is malformed: ");
	buf_printf(&m, fmt, a);
	yaml_error(d, n, "%s", buf_cstr(&m));
	buf_release(&m);
	return -1;
}

static int check_entry(struct project *p, const struct yaml_node *en, value e,
                       struct package_spec *ps, struct diag *d)
{
	ps->line = en->line;
	ps->col = en->col;
	ps->version = v_none();
	ps->warn_unpinned = -1;
	if (e.type != VT_DICT)
		return malformed(d, en, "each entry of 'packages' must be a mapping, got %s",
		                 v_type_name(e));
	value v;
	if (pv_get(e, "local", &v)) {
		ps->kind = PKG_LOCAL;
		ps->source = str_field(p, e, "local");
		if (!ps->source)
			return malformed(d, yaml_map_get(en, "local"),
			                 "'local' must be a path string%s", "");
		return 0;
	}
	if (pv_get(e, "git", &v)) {
		ps->kind = PKG_GIT;
		ps->source = str_field(p, e, "git");
		if (!ps->source)
			return malformed(d, yaml_map_get(en, "git"), "'git' must be a URL string%s",
			                 "");
		if (pv_get(e, "revision", &v)) {
			if (v.type != VT_STR && v.type != VT_INT && v.type != VT_FLOAT &&
			    v.type != VT_NONE)
				return malformed(d, yaml_map_get(en, "revision"),
				                 "'revision' must be a string or a number, got %s",
				                 v_type_name(v));
			ps->version = v;
		}
		ps->subdirectory = str_field(p, e, "subdirectory");
		if (pv_get(e, "warn-unpinned", &v)) {
			if (v.type != VT_BOOL)
				return malformed(d, yaml_map_get(en, "warn-unpinned"),
				                 "'warn-unpinned' must be true or false, got %s",
				                 v_type_name(v));
			ps->warn_unpinned = v.b;
		}
		return 0;
	}
	if (pv_get(e, "package", &v)) {
		ps->kind = PKG_HUB;
		ps->source = str_field(p, e, "package");
		if (!ps->source)
			return malformed(d, yaml_map_get(en, "package"),
			                 "'package' must be a string like dbt-labs/dbt_utils%s",
			                 "");
		value ver;
		if (!pv_get(e, "version", &ver) || !v_truthy(ver)) {
			yaml_error(d, en,
			           "%s is missing the version. When installing from the Hub "
			           "package index, "
			           "version is a required property",
			           ps->source);
			return -1;
		}
		if (!strchr(ps->source, '/')) {
			yaml_error(d, yaml_map_get(en, "package"),
			           "%s was not found in the package index. Packages on the index "
			           "require a "
			           "namespace, e.g dbt-labs/dbt_utils",
			           ps->source);
			return -1;
		}
		if (ver.type == VT_LIST) {
			for (uint32_t i = 0; i < ver.list->n; i++)
				if (ver.list->v[i].type != VT_STR &&
				    ver.list->v[i].type != VT_INT &&
				    ver.list->v[i].type != VT_FLOAT)
					return malformed(
					    d, yaml_map_get(en, "version"),
					    "'version' items must be version strings, got %s",
					    v_type_name(ver.list->v[i]));
		} else if (ver.type != VT_STR && ver.type != VT_INT && ver.type != VT_FLOAT) {
			return malformed(
			    d, yaml_map_get(en, "version"),
			    "'version' must be a version string or a list of them, got %s",
			    v_type_name(ver));
		}
		ps->version = ver;
		if (pv_get(e, "install-prerelease", &v) || pv_get(e, "install_prerelease", &v))
			ps->install_prerelease = v_truthy(v);
		return 0;
	}
	if (pv_get(e, "tarball", &v)) {
		ps->kind = PKG_TARBALL;
		ps->source = str_field(p, e, "tarball");
		ps->name = str_field(p, e, "name");
		if (!ps->source)
			return malformed(d, yaml_map_get(en, "tarball"),
			                 "'tarball' must be a URL string%s", "");
		if (!ps->name)
			return malformed(d, en, "a tarball package needs a 'name'%s", "");
		return 0;
	}
	if (pv_get(e, "private", &v)) {
		ps->kind = PKG_PRIVATE;
		ps->source = str_field(p, e, "private");
		if (pv_get(e, "revision", &v))
			ps->version = v;
		ps->subdirectory = str_field(p, e, "subdirectory");
		return 0;
	}
	return malformed(
	    d, en,
	    "each entry of 'packages' needs one of local:, git:, package:, tarball: or "
	    "private:%s",
	    "");
}

int packages_load(struct project *p, struct diag *d)
{
	const struct yaml_node *pk, *dep;
	const char *pk_path, *dep_path;
	int a = load_yaml_file(p, "packages.yml", &pk, &pk_path, d);
	int b = load_yaml_file(p, "dependencies.yml", &dep, &dep_path, d);
	if (a < 0 || b < 0)
		return -1;
	const struct yaml_node *pk_list = yaml_map_get(pk, "packages");
	const struct yaml_node *dep_list = yaml_map_get(dep, "packages");
	if (pk_list && dep_list) {
		yaml_error(d, dep_list,
		           "The 'packages' key cannot be specified in both packages.yml and "
		           "dependencies.yml");
		return -1;
	}
	if (yaml_map_get(pk, "projects")) {
		yaml_error(d, yaml_map_get(pk, "projects"),
		           "The 'projects' key cannot be specified in packages.yml");
		return -1;
	}
	if (dep && yaml_map_get(dep, "projects"))
		p->packages.projects = yaml_to_value(&p->a, yaml_map_get(dep, "projects"));
	const struct yaml_node *list;
	bool render;
	if (dep_list) {
		list = dep_list;
		p->packages.file = "dependencies.yml";
		render = false; /* dbt leaves dependencies.yml unrendered */
	} else if (pk) {
		list = pk_list;
		p->packages.file = "packages.yml";
		render = true;
		for (uint32_t i = 0; i < pk->len; i++) {
			const struct yaml_node *k = pk->pairs[i].key;
			if (yaml_is_str(k) && strcmp(k->text, "packages") &&
			    strcmp(k->text, "sha1_hash"))
				return malformed(d, k, "unknown key '%s' (expected 'packages')",
				                 k->text);
		}
	} else {
		p->packages.file = b > 0 ? "dependencies.yml" : NULL;
		return 0;
	}
	if (yaml_is_null(list))
		return 0;
	if (!yaml_is_seq(list))
		return malformed(d, list, "'packages' must be a list, got %s",
		                 yaml_type_name(list));
	p->packages.v = xcalloc(list->len ? list->len : 1, sizeof(struct package_spec));
	int rc = 0;
	for (uint32_t i = 0; i < list->len; i++) {
		const struct yaml_node *en = list->items[i];
		struct package_spec *ps = &p->packages.v[p->packages.n];
		value raw = yaml_to_value(&p->a, en), r = raw;
		if (render && raw.type == VT_DICT) {
			r = v_dict(&p->a, raw.dict->live);
			for (uint32_t k = 0; k < raw.dict->n; k++) {
				const struct ventry e_at = vdict_at(raw.dict, k), *e = &e_at;
				if (e->k.type == VT_UNDEF)
					continue;
				const struct yaml_node *cn =
				    e->k.type == VT_STR ? yaml_map_getn(en, v_as_str(e->k)) : NULL;
				value it;
				if (prender_str(p, PRC_SECRET, e->v, cn ? cn : en, &it, d) < 0)
					return -1;
				vdict_set(r.dict, e->k, it);
			}
		}
		ps->raw = r;
		ps->unrendered = raw;
		if (check_entry(p, en, r, ps, d) < 0) {
			rc = -1;
			continue;
		}
		p->packages.n++;
	}
	return rc;
}
