/* silt render FILE [--ctx CONTEXT.json] [--macros NS=FILE]... [--native] [--lenient]:
 * renders one template with a JSON context and prints the result. */
#include "cli.h"
#include "jinja/jinja.h"
#include "json/json.h"

int cmd_render(int argc, char **argv)
{
	const char *file = NULL, *ctxfile = NULL;
	bool native = false, lenient = false;
	VEC(char *) macros = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ctx") && i + 1 < argc)
			ctxfile = argv[++i];
		else if (!strcmp(argv[i], "--macros") && i + 1 < argc)
			vec_push(&macros, argv[++i]);
		else if (!strcmp(argv[i], "--native"))
			native = true;
		else if (!strcmp(argv[i], "--lenient"))
			lenient = true;
		else if (argv[i][0] == '-' || file)
			die("usage: silt render FILE [--ctx CONTEXT.json] [--macros NS=FILE] [--native] [--lenient]");
		else
			file = argv[i];
	}
	if (!file)
		die("usage: silt render FILE [--ctx CONTEXT.json] [--macros NS=FILE] [--native] [--lenient]");
	struct jinja_env *env = jinja_env_new();
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	VEC(char *) texts = { 0 };
	int rc = 1;
	value ctx = v_undef();
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < macros.n; i++) {
		char *eq = strchr(macros.v[i], '=');
		if (!eq)
			die("--macros wants NS=FILE, got '%s'", macros.v[i]);
		*eq = 0;
		size_t len;
		char *src = cli_read_file(eq + 1, &len);
		if (!src)
			goto done;
		vec_push(&texts, src);
		struct jinja_template *mt = jinja_parse(env, eq + 1, src, len, &d);
		if (!mt)
			goto done;
		jinja_add_macros(env, *macros.v[i] ? macros.v[i] : NULL, mt);
	}
	if (ctxfile) {
		size_t len;
		char *src = cli_read_file(ctxfile, &len);
		if (!src)
			goto done;
		vec_push(&texts, src);
		if (json_parse(&a, ctxfile, src, len, &ctx, &d) < 0)
			goto done;
		if (ctx.type != VT_DICT) {
			diag_add(&d, DIAG_ERROR, ctxfile, 1, 1, NULL, 0, "expected a JSON object as the context");
			goto done;
		}
	}
	size_t len;
	char *src = cli_read_file(file, &len);
	if (!src)
		goto done;
	vec_push(&texts, src);
	struct jinja_template *t = jinja_parse(env, file, src, len, &d);
	if (!t)
		goto done;
	struct jinja_render opts = { .ctx = ctx, .arena = &a,
		                     .undef = lenient ? JINJA_UNDEF_LENIENT : JINJA_UNDEF_DEFAULT };
	if (native) {
		value v;
		if (jinja_render_native(env, t, &opts, &v, &d) < 0)
			goto done;
		struct json_opts jo = JSON_OPTS_INIT;
		if (json_write(&out, v, &jo) < 0) {
			diag_add(&d, DIAG_ERROR, file, 0, 0, NULL, 0, "the result is not JSON serializable");
			goto done;
		}
		buf_putc(&out, '\n');
	} else if (jinja_render(env, t, &opts, &out, &d) < 0) {
		goto done;
	}
	fwrite(out.p ? out.p : "", 1, out.n, stdout);
	rc = 0;
done:
	if (d.msgs.n) {
		struct buf msg = BUF_INIT;
		diag_print(&d, &msg);
		fputs(buf_cstr(&msg), stderr);
		buf_release(&msg);
		rc = rc ? rc : 1;
	}
	for (size_t i = 0; i < texts.n; i++)
		free(texts.v[i]);
	vec_free(&texts);
	vec_free(&macros);
	buf_release(&out);
	diag_release(&d);
	arena_release(&a);
	jinja_env_free(env);
	return rc;
}
