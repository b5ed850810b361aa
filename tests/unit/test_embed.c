/* The embedded files: every one is there, and every embedded macro file parses. */
#include "tap.h"
#include "base/embed.h"
#include "jinja/jinja.h"

void test_embed(void);
void test_embed_naming(void);

void test_embed(void)
{
	ok(embedded_nfiles > 0 && embed_find("compile/macros/naming.sql") != NULL,
	   "the global macro project is embedded (%zu files)", embedded_nfiles);
	ok(embed_find("compile/macros/no-such-file.sql") == NULL, "embed_find misses unknown paths");
	struct jinja_env *env = jinja_env_new();
	for (size_t i = 0; i < embedded_nfiles; i++) {
		const struct embedded_file *f = &embedded_files[i];
		if (strncmp(f->path, "compile/macros/", 15))
			continue;
		struct diag d;
		diag_init(&d);
		struct jinja_template *t = jinja_parse(env, f->path, f->data, f->len, &d);
		struct buf msg = BUF_INIT;
		diag_print(&d, &msg);
		ok(t != NULL, "%s parses%s%s", f->path, msg.n ? ": " : "", buf_cstr(&msg));
		buf_release(&msg);
		diag_release(&d);
	}
	jinja_env_free(env);
	test_embed_naming();
}

/* Renders one expression against the embedded naming macros (namespace dbt) and a target. */
static void check_name(const char *expr, const char *target_name, const char *want)
{
	struct jinja_env *env = jinja_env_new();
	struct diag d;
	diag_init(&d);
	const struct embedded_file *f = embed_find("compile/macros/naming.sql");
	struct jinja_template *m = jinja_parse(env, f->path, f->data, f->len, &d);
	jinja_add_macros(env, "dbt", m);
	struct arena a;
	arena_init(&a);
	value ctx = v_dict(&a, 2), target = v_dict(&a, 3), node = v_dict(&a, 2);
	vdict_sets(target.dict, "schema", v_cstr("dbt_alice"));
	vdict_sets(target.dict, "database", v_cstr("main"));
	vdict_sets(target.dict, "name", v_cstr(target_name));
	vdict_sets(node.dict, "name", v_cstr("orders"));
	vdict_sets(node.dict, "version", v_cstr("1.2"));
	vdict_sets(ctx.dict, "target", target);
	vdict_sets(ctx.dict, "node", node);
	struct jinja_template *t = jinja_parse(env, "expr", expr, strlen(expr), &d);
	struct buf out = BUF_INIT;
	struct jinja_render r = { .ctx = ctx, .arena = &a };
	if (t)
		jinja_render(env, t, &r, &out, &d);
	if (d.msgs.n)
		diag_print(&d, &out);
	is_str(buf_cstr(&out), want, expr);
	buf_release(&out);
	diag_release(&d);
	arena_release(&a);
	jinja_env_free(env);
}

void test_embed_naming(void)
{
	check_name("{{ dbt.default__generate_schema_name(none, node) }}", "dev", "dbt_alice");
	check_name("{{ dbt.default__generate_schema_name(' marts ', node) }}", "dev", "dbt_alice_marts");
	check_name("{{ dbt.generate_schema_name_for_env('marts', node) }}", "dev", "dbt_alice");
	check_name("{{ dbt.generate_schema_name_for_env('marts', node) }}", "prod", "marts");
	check_name("{{ dbt.default__generate_database_name(none, node) }}", "dev", "main");
	check_name("{{ dbt.default__generate_alias_name(none, node) }}", "dev", "orders_v1_2");
	check_name("{{ dbt.default__generate_alias_name('o2 ', node) }}", "dev", "o2");
}
