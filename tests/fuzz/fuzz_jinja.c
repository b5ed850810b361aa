/* libFuzzer target for the Jinja lexer, parser and interpreter: the input is a template; it is
 * parsed, rendered as text with a small context in both undefined modes, and rendered natively.
 * Any crash, sanitizer report or leak is a bug; errors are fine. */
#include <stddef.h>
#include <stdint.h>

#include "jinja/jinja.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	struct jinja_env *env = jinja_env_new();
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	value ctx = v_dict(&a, 4);
	value xs = v_list(&a, 3);
	vlist_push(xs.list, v_int(1));
	vlist_push(xs.list, v_cstr("two"));
	vlist_push(xs.list, v_float(3.5));
	vdict_sets(ctx.dict, "xs", xs);
	vdict_sets(ctx.dict, "name", v_cstr("orders"));
	vdict_sets(ctx.dict, "n", v_int(3));
	char *src = xmemdup0(data, size);
	struct jinja_template *t = jinja_parse(env, "fuzz", src, size, &d);
	if (t) {
		struct buf out = BUF_INIT;
		out.max = 1 << 20;
		struct jinja_render opts = { .ctx = ctx, .arena = &a, .max_depth = 50, .max_steps = 200000,
		                             .max_bytes = 1 << 20 };
		jinja_render(env, t, &opts, &out, &d);
		buf_reset(&out);
		opts.undef = JINJA_UNDEF_LENIENT;
		jinja_render(env, t, &opts, &out, &d);
		value v;
		jinja_render_native(env, t, &opts, &v, &d);
		buf_release(&out);
	}
	free(src);
	diag_release(&d);
	arena_release(&a);
	jinja_env_free(env);
	return 0;
}
