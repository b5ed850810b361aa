/* libFuzzer target for json/: parse any bytes; whatever parses must write (compact with the
 * defaults, sorted and indented, raw UTF-8 with the html escapes, tab-indented), and the written
 * text must parse again and write back to the same bytes. */
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_or_die(value v, const struct json_opts *o, struct buf *out)
{
	buf_reset(out);
	if (json_write(out, v, o) != 0)
		silt_abort("json_write failed on a parsed value");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct diag d;
	arena_init(&a);
	diag_init(&d);
	value v;
	if (json_parse(&a, "fuzz", (const char *)data, size, &v, &d) == 0) {
		struct json_opts plain = JSON_OPTS_INIT, pretty = JSON_OPTS_INIT,
		                 html = JSON_OPTS_INIT, tabs = JSON_OPTS_INIT;
		pretty.sort_keys = true;
		pretty.indent = 2;
		html.ensure_ascii = false;
		html.html_safe = true;
		tabs.indent_str = "\t";
		tabs.item_sep = " ,";
		tabs.key_sep = ":";
		struct buf first = BUF_INIT, again = BUF_INIT;
		const struct json_opts *all[] = {&plain, &pretty, &html, &tabs};
		for (size_t i = 0; i < ARRAY_LEN(all); i++) {
			write_or_die(v, all[i], &first);
			value w;
			if (json_parse(&a, "again", first.p, first.n, &w, &d) != 0)
				silt_abort("json_parse rejected what json_write wrote");
			write_or_die(w, all[i], &again);
			if (!str_eq(buf_str(&first), buf_str(&again)))
				silt_abort("write(parse(write(v))) differs from write(v)");
		}
		buf_release(&first);
		buf_release(&again);
	} else if (d.errors == 0 || d.msgs.n == 0) {
		silt_abort("json_parse failed without a message");
	}
	diag_release(&d);
	arena_release(&a);
	return 0;
}
