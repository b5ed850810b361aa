/* The Explorer's files (src/serve/ui/, compiled into the binary by tools/embed.c): `/` answers
 * index.html and `/ui/{path*}` any other file of the folder, with its Content-Type. Nothing is
 * read from disk at run time and a path names an embedded file or nothing (404). */
#include "serve_int.h"
#include "base/embed.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *type_of(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		size_t k = strlen(types[i].ext);
		if (n > k && !strcmp(path + n - k, types[i].ext))
			return types[i].type;
	}
	return "application/octet-stream";
}

static void serve_file(struct req *r, const char *name)
{
	/* embed_find matches whole names only, so "..", "//" or a query can name nothing; they are
	 * refused here too so that the rule does not hang on that */
	if (!*name || strstr(name, "..") || strstr(name, "//") || name[0] == '/') {
		reply_error(r, 404, "not_found", "no Explorer file '%s'", name);
		return;
	}
	const struct embedded_file *f = embed_find(arena_printf(&r->a, "serve/ui/%s", name));
	if (!f) {
		reply_error(r, 404, "not_found", "no Explorer file '%s'", name);
		return;
	}
	reply_text(r, 200, type_of(name), f->data, f->len);
}

void serve_ui_index(struct req *r) { serve_file(r, "index.html"); }

void serve_ui_file(struct req *r) { serve_file(r, req_param(r, "path")); }
