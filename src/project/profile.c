/* project: profiles.yml — directory resolution, profile and target choice, native rendering of
 * the chosen output only, credentials validation (core/dbt/config/profile.py). */
#include "project_int.h"

static const char *profiles_dir(struct project *p, const struct project_opts *o, const char **why)
{
	if (o->profiles_dir) {
		*why = "--profiles-dir";
		return o->profiles_dir;
	}
	const char *env = project_getenv(p, "DBT_PROFILES_DIR");
	if (env && *env) {
		*why = "DBT_PROFILES_DIR";
		return env;
	}
	*why = NULL;
	if (pfile_exists(ppath_join(&p->a, p->cwd, "profiles.yml")))
		return p->cwd;
	if (pfile_exists(ppath_join(&p->a, p->dir, "profiles.yml")))
		return p->dir; /* silt: the project directory too */
	const char *home = project_getenv(p, "HOME");
	return ppath_join(&p->a, home ? home : "", ".dbt");
}

/* ---- credentials ---- */
struct field {
	const char *name;
	bool required;
	enum vtype type; /* VT_UNDEF = any */
};

static const struct field pg_fields[] = {
    {"host", true, VT_STR},
    {"user", true, VT_STR},
    {"port", true, VT_INT},
    {"password", true, VT_STR},
    {"database", true, VT_STR},
    {"schema", true, VT_STR},
    {"connect_timeout", false, VT_INT},
    {"role", false, VT_STR},
    {"search_path", false, VT_STR},
    {"keepalives_idle", false, VT_INT},
    {"sslmode", false, VT_STR},
    {"application_name", false, VT_STR},
    {"retries", false, VT_INT},
};

static int cred_error(struct diag *d, const struct yaml_node *n, const char *file,
                      const char *profile, const char *target, const char *fmt, const char *a1,
                      const char *a2)
{
	struct buf m = BUF_INIT;
	buf_printf(&m, "Credentials in profile \"%s\", target \"%s\" invalid: ", profile, target);
	buf_printf(&m, fmt, a1, a2);
	if (n)
		yaml_error(d, n, "%s", buf_cstr(&m));
	else
		diag_add(d, DIAG_ERROR, file, 0, 0, NULL, 0, "%s", buf_cstr(&m));
	buf_release(&m);
	return -1;
}

static void rename_key(struct arena *a, value *dict, const char *from, const char *to)
{
	value v;
	if (!pv_get(*dict, from, &v))
		return;
	value r = v_dict(a, dict->dict->live);
	for (uint32_t i = 0; i < dict->dict->n; i++) {
		const struct ventry e_at = vdict_at(dict->dict, i), *e = &e_at;
		if (e->k.type == VT_UNDEF)
			continue;
		if (e->k.type == VT_STR && str_eqc(v_as_str(e->k), from))
			vdict_sets(r.dict, to, e->v);
		else
			vdict_set(r.dict, e->k, e->v);
	}
	*dict = r;
}

static int validate_credentials(struct project *p, const struct yaml_node *out_node, value *out,
                                const char *type, struct diag *d)
{
	struct profile *pr = &p->profile;
	if (!strcmp(type, "postgres") || !strcmp(type, "redshift")) {
		rename_key(&p->a, out, "pass", "password");
		rename_key(&p->a, out, "dbname", "database");
		for (size_t i = 0; i < ARRAY_LEN(pg_fields); i++) {
			value v;
			const char *alias = !strcmp(pg_fields[i].name, "password") ? "pass"
			                    : !strcmp(pg_fields[i].name, "database")
			                        ? "dbname"
			                        : pg_fields[i].name;
			const struct yaml_node *fn = yaml_map_get(out_node, pg_fields[i].name);
			if (!fn)
				fn = yaml_map_get(out_node, alias);
			if (!pv_get(*out, pg_fields[i].name, &v)) {
				if (pg_fields[i].required)
					return cred_error(
					    d, out_node, pr->file, pr->name, pr->target_name,
					    "'%s' is a required property", pg_fields[i].name, NULL);
				continue;
			}
			if (pg_fields[i].type == VT_INT && v.type == VT_STR) {
				return cred_error(
				    d, fn ? fn : out_node, pr->file, pr->name, pr->target_name,
				    "'%s' is not of type 'integer' (field '%s'; use "
				    "\"{{ env_var('X') | as_number }}\")",
				    arena_strndup(&p->a, v.s, v.len), pg_fields[i].name);
			}
			if (pg_fields[i].type == VT_INT && v.type != VT_INT) {
				struct buf b = BUF_INIT;
				v_to_repr(v, &b);
				int r = cred_error(d, fn ? fn : out_node, pr->file, pr->name,
				                   pr->target_name,
				                   "%s is not of type 'integer' (field '%s')",
				                   buf_cstr(&b), pg_fields[i].name);
				buf_release(&b);
				return r;
			}
		}
		/* PostgresCredentials defaults (dbt-postgres connections.py) */
		const struct {
			const char *k;
			value v;
		} defs[] = {
		    {"connect_timeout", v_int(10)},
		    {"role", v_none()},
		    {"search_path", v_none()},
		    {"keepalives_idle", v_int(0)},
		    {"sslmode", v_none()},
		    {"sslcert", v_none()},
		    {"sslkey", v_none()},
		    {"sslrootcert", v_none()},
		    {"application_name", v_cstr("dbt")},
		    {"autocommit", v_bool(false)},
		    {"retries", v_int(1)},
		};
		for (size_t i = 0; i < ARRAY_LEN(defs); i++) {
			value v;
			if (!pv_get(*out, defs[i].k, &v))
				vdict_sets(out->dict, defs[i].k, defs[i].v);
		}
		return 0;
	}
	if (!strcmp(type, "sqlite")) {
		value v, sp;
		if (!pv_get(*out, "path", &v)) {
			if (pv_get(*out, "schemas_and_paths", &sp) && sp.type == VT_DICT &&
			    pv_get(sp, "main", &v)) {
				vdict_sets(out->dict, "path", v);
			} else {
				return cred_error(
				    d, out_node, pr->file, pr->name, pr->target_name,
				    "'%s' is a required property (or schemas_and_paths: {main: "
				    "FILE})",
				    "path", NULL);
			}
		}
		if (!pv_get(*out, "schema", &v))
			vdict_sets(out->dict, "schema", v_cstr("main"));
		if (!pv_get(*out, "database", &v))
			vdict_sets(out->dict, "database", v_cstr("main"));
		if (pv_get(*out, "schema_directory", &v))
			diag_add(d, DIAG_WARNING, pr->file, out_node ? out_node->line : 0,
			         out_node ? out_node->col : 0, NULL, 0,
			         "profile '%s', target '%s': schema_directory is ignored (silt "
			         "keeps every "
			         "schema in one SQLite file)",
			         pr->name, pr->target_name);
		return 0;
	}
	if (!strcmp(type, "duckdb")) {
		value v;
		if (!pv_get(*out, "path", &v))
			vdict_sets(out->dict, "path", v_cstr(":memory:"));
		if (!pv_get(*out, "schema", &v))
			vdict_sets(out->dict, "schema", v_cstr("main"));
		return 0;
	}
	const struct yaml_node *tn = yaml_map_get(out_node, "type");
	return cred_error(d, tn ? tn : out_node, pr->file, pr->name, pr->target_name,
	                  "Could not find adapter type %s!", type, NULL);
}

/* Renders the output dict; a password that fails to render is kept as written (SecretRenderer). */
static int render_output(struct project *p, const struct yaml_node *n, value v, bool password,
                         value *out, struct diag *d)
{
	if (v.type == VT_STR) {
		if (password) {
			struct diag d2;
			diag_init(&d2);
			int rc = prender_str(p, PRC_SECRET, v, n, out, &d2);
			diag_release(&d2);
			if (rc < 0)
				*out = v;
			return 0;
		}
		return prender_str(p, PRC_SECRET, v, n, out, d);
	}
	if (v.type == VT_LIST) {
		value r = v_list(&p->a, v.list->n);
		for (uint32_t i = 0; i < v.list->n; i++) {
			value it;
			const struct yaml_node *in = yaml_seq_at(n, i);
			if (render_output(p, in ? in : n, v.list->v[i], password, &it, d) < 0)
				return -1;
			vlist_push(r.list, it);
		}
		*out = r;
		return 0;
	}
	if (v.type == VT_DICT) {
		value r = v_dict(&p->a, v.dict->live);
		for (uint32_t i = 0; i < v.dict->n; i++) {
			const struct ventry e_at = vdict_at(v.dict, i), *e = &e_at;
			if (e->k.type == VT_UNDEF)
				continue;
			const struct yaml_node *cn =
			    e->k.type == VT_STR ? yaml_map_getn(n, v_as_str(e->k)) : NULL;
			bool pw = password ||
			          (e->k.type == VT_STR && str_eqc(v_as_str(e->k), "password"));
			value it;
			if (render_output(p, cn ? cn : n, e->v, pw, &it, d) < 0)
				return -1;
			vdict_set(r.dict, e->k, it);
		}
		*out = r;
		return 0;
	}
	*out = v;
	return 0;
}

int profile_load(struct project *p, const struct project_opts *o, const char *profile_name,
                 const struct yaml_node *name_node, struct diag *d)
{
	struct profile *pr = &p->profile;
	pr->name = profile_name;
	pr->output = pr->target = pr->config = v_none();
	const char *why;
	const char *dir = profiles_dir(p, o, &why);
	pr->file = ppath_join(&p->a, dir, "profiles.yml");
	size_t len;
	char *text = pread_file(pr->file, &len);
	if (!text) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "Could not find profile named '%s': there is no profiles.yml in %s",
		           profile_name, dir);
		if (why)
			buf_printf(&m, " (from %s)", why);
		else
			buf_puts(&m, " (looked in the current directory, the project directory and "
			             "~/.dbt; set --profiles-dir or DBT_PROFILES_DIR)");
		diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "%s", buf_cstr(&m));
		buf_release(&m);
		return -1;
	}
	char *kept = arena_strndup(&p->a, text, len);
	free(text);
	struct yaml_doc *doc;
	if (yaml_load(&p->a, pr->file, kept, len, &doc, d) < 0)
		return -1;
	const struct yaml_node *root = doc->root;
	if (yaml_is_null(root)) {
		diag_add(d, DIAG_ERROR, pr->file, 0, 0, NULL, 0,
		         "dbt encountered an error while trying to read your profiles.yml file.\n\n"
		         "The profiles.yml file at %s is empty",
		         pr->file);
		return -1;
	}
	if (!yaml_is_map(root)) {
		yaml_error(d, root, "profiles.yml does not parse to a dictionary (got %s)",
		           yaml_type_name(root));
		return -1;
	}
	value all = yaml_to_value(&p->a, root);
	pv_get(all, "config", &pr->config);
	const struct yaml_node *prof = yaml_map_get(root, profile_name);
	if (!prof) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "Could not find profile named '%s'", profile_name);
		int k = 0;
		for (uint32_t i = 0; i < root->len; i++) {
			const struct yaml_node *key = root->pairs[i].key;
			if (!yaml_is_str(key) || !strcmp(key->text, "config"))
				continue;
			buf_printf(&m, "%s'%s'", k++ ? ", " : "; profiles.yml defines ", key->text);
		}
		if (!k)
			buf_puts(&m, "; profiles.yml defines no profiles");
		buf_printf(&m, " (%s)", pr->file);
		if (name_node)
			yaml_error(d, name_node, "%s", buf_cstr(&m));
		else
			diag_add(d, DIAG_ERROR, NULL, 0, 0, NULL, 0, "%s", buf_cstr(&m));
		buf_release(&m);
		return -1;
	}
	if (yaml_is_null(prof) || (yaml_is_map(prof) && prof->len == 0)) {
		yaml_error(
		    d, prof,
		    "dbt encountered an error while trying to read your profiles.yml file.\n\n"
		    "Profile %s in profiles.yml is empty",
		    profile_name);
		return -1;
	}
	if (!yaml_is_map(prof)) {
		yaml_error(d, prof,
		           "profile '%s' must be a mapping with target: and outputs:, got %s",
		           profile_name, yaml_type_name(prof));
		return -1;
	}
	/* the target: --target, DBT_TARGET, the rendered `target:`, else "default" */
	const char *target = o->target;
	if (!target) {
		const char *env = project_getenv(p, "DBT_TARGET");
		if (env && *env)
			target = env;
	}
	if (!target) {
		const struct yaml_node *tn = yaml_map_get(prof, "target");
		if (tn) {
			value r;
			if (prender_str(p, PRC_SECRET, yaml_to_value(&p->a, tn), tn, &r, d) < 0)
				return -1;
			struct buf b = BUF_INIT;
			v_to_str(r, &b);
			target = arena_strndup(&p->a, buf_cstr(&b), b.n);
			buf_release(&b);
		} else {
			target = "default";
			diag_add(d, DIAG_WARNING, pr->file, prof->line, prof->col, NULL, 0,
			         "target not specified in profile '%s', using '%s'", profile_name,
			         target);
		}
	}
	pr->target_name = target;
	const struct yaml_node *outputs = yaml_map_get(prof, "outputs");
	if (!outputs) {
		yaml_error(d, prof, "outputs not specified in profile '%s'", profile_name);
		return -1;
	}
	const struct yaml_node *out_node = yaml_map_get(outputs, target);
	if (!out_node) {
		struct buf m = BUF_INIT;
		buf_printf(
		    &m,
		    "The profile '%s' does not have a target named '%s'. The valid target names "
		    "for this profile are:",
		    profile_name, target);
		if (yaml_is_map(outputs))
			for (uint32_t i = 0; i < outputs->len; i++) {
				struct buf kb = BUF_INIT;
				v_to_str(yaml_to_value(&p->a, outputs->pairs[i].key), &kb);
				buf_printf(&m, "\n - %s", buf_cstr(&kb));
				buf_release(&kb);
			}
		yaml_error(d, outputs, "%s", buf_cstr(&m));
		buf_release(&m);
		return -1;
	}
	if (!yaml_is_map(out_node)) {
		yaml_error(d, out_node,
		           "output '%s' of profile '%s' is misconfigured in profiles.yml", target,
		           profile_name);
		return -1;
	}
	value out;
	if (render_output(p, out_node, yaml_to_value(&p->a, out_node), false, &out, d) < 0)
		return -1;
	/* threads */
	value th;
	pr->threads = 1;
	if (pv_get(out, "threads", &th)) {
		if (th.type != VT_INT) {
			const struct yaml_node *tn = yaml_map_get(out_node, "threads");
			struct buf b = BUF_INIT;
			v_to_repr(th, &b);
			yaml_error(d, tn ? tn : out_node,
			           "profile '%s', target '%s': threads must be an integer, got %s",
			           profile_name, target, buf_cstr(&b));
			buf_release(&b);
			return -1;
		}
		pr->threads = th.i;
	}
	if (o->threads > 0)
		pr->threads = o->threads;
	value ty;
	if (!pv_get(out, "type", &ty)) {
		yaml_error(d, out_node,
		           "required field \"type\" not found in profile %s and target %s",
		           profile_name, target);
		return -1;
	}
	if (ty.type != VT_STR) {
		yaml_error(d, yaml_map_get(out_node, "type"),
		           "profile '%s', target '%s': type must be "
		           "a string",
		           profile_name, target);
		return -1;
	}
	pr->type = arena_strndup(&p->a, ty.s, ty.len);
	if (validate_credentials(p, out_node, &out, pr->type, d) < 0)
		return -1;
	vdict_sets(out.dict, "threads", v_int(pr->threads));
	pr->output = out;
	/* target context: connection keys without secrets, plus the profile's names
	 * (Profile.to_target_dict: Credentials.connection_info, in _connection_keys order) */
	value t = v_dict(&p->a, out.dict->live + 4);
	static const char *const pg_keys[] = {
	    "host",
	    "port",
	    "user",
	    "database",
	    "schema",
	    "connect_timeout",
	    "role",
	    "search_path",
	    "keepalives_idle",
	    "sslmode",
	    "sslcert",
	    "sslkey",
	    "sslrootcert",
	    "application_name",
	    "autocommit",
	    "retries",
	};
	bool pg = !strcmp(pr->type, "postgres") || !strcmp(pr->type, "redshift");
	for (size_t i = 0; pg && i < ARRAY_LEN(pg_keys); i++) {
		value v;
		if (pv_get(out, pg_keys[i], &v))
			vdict_sets(t.dict, pg_keys[i], v);
	}
	for (uint32_t i = 0; !pg && i < out.dict->n; i++) {
		const struct ventry e_at = vdict_at(out.dict, i), *e = &e_at;
		if (e->k.type == VT_UNDEF)
			continue;
		if (e->k.type == VT_STR &&
		    (str_eqc(v_as_str(e->k), "password") || str_eqc(v_as_str(e->k), "pass") ||
		     str_eqc(v_as_str(e->k), "private_key") ||
		     str_eqc(v_as_str(e->k), "private_key_passphrase") ||
		     str_eqc(v_as_str(e->k), "token")))
			continue;
		vdict_set(t.dict, e->k, e->v);
	}
	vdict_sets(t.dict, "type", v_cstr(pr->type));
	vdict_sets(t.dict, "threads", v_int(pr->threads));
	vdict_sets(t.dict, "name", v_cstr(target));
	vdict_sets(t.dict, "target_name", v_cstr(target));
	vdict_sets(t.dict, "profile_name", v_cstr(profile_name));
	pr->target = t;
	return 0;
}
