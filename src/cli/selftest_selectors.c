/* silt selftest selectors DIR: runs the *.case files of a directory (format in
 * tests/selectors/README.md). Each case loads a manifest.json (inline or shared from
 * DIR/manifests/NAME.json), optionally a selectors.yml, runs graph_select and compares the
 * selected unique ids (sorted, one per line) with `--- expect`, or the first error with
 * `--- error`, and the warnings with `--- warnings` when that section is present. */
#include "casefile.h"
#include "cli.h"
#include "graph/graph.h"

static struct str sec(const struct casefile *cf, const char *name, bool *present)
{
	const struct case_section *s = casefile_get(cf, name);
	if (present)
		*present = s != NULL;
	return s ? s->body : str_make("", 0);
}

/* Lines of text (trimmed, non-empty, '#' comments dropped) into v; text must outlive v. */
typedef VEC(const char *) strlist;
static void lines(struct arena *a, struct str text, strlist *v)
{
	const char *p = text.p, *end = text.p + text.n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct str l = str_trim(str_make(p, (size_t)(eol - p)));
		if (l.n && l.p[0] != '#')
			vec_push(v, arena_strndup(a, l.p, l.n));
		p = nl ? nl + 1 : end;
	}
}

static void note_lines(struct buf *notes, const char *label, struct str text)
{
	buf_printf(notes, "#   %s:\n", label);
	const char *p = text.p, *end = text.p + text.n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		buf_printf(notes, "#     |%.*s|\n", (int)(eol - p), p);
		p = nl ? nl + 1 : end;
	}
}

static const char *run_case(const char *dir, const struct casefile *cf, struct buf *notes)
{
	bool has_manifest, has_expect, has_error, has_warn, has_yml;
	const struct case_section *ms = casefile_get(cf, "manifest");
	has_manifest = ms != NULL;
	struct str expect = sec(cf, "expect", &has_expect);
	struct str error = sec(cf, "error", &has_error);
	struct str warnings = sec(cf, "warnings", &has_warn);
	struct str yml = sec(cf, "selectors.yml", &has_yml);
	const struct case_section *ys = casefile_get(cf, "selectors.yml");
	char *shared_yml = NULL;
	bool has_topo;
	struct str topo = sec(cf, "topo", &has_topo);
	if (!has_manifest)
		return "no --- manifest section";
	if (has_expect == has_error)
		return "needs exactly one of --- expect and --- error";
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	struct buf got = BUF_INIT;
	const char *why = NULL;
	char *shared = NULL;
	struct str mtext = ms->body;
	const char *mname = "manifest.json";
	if (ms->arg.n) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/manifests/%.*s.json", dir, (int)ms->arg.n, ms->arg.p);
		size_t len;
		shared = cli_read_file(buf_cstr(&path), &len);
		buf_release(&path);
		if (!shared) {
			why = "cannot read the shared manifest";
			goto out;
		}
		mtext = str_make(shared, len);
	}
	strlist sel = {0}, exc = {0};
	lines(&a, sec(cf, "select", NULL), &sel);
	lines(&a, sec(cf, "exclude", NULL), &exc);
	struct gselect_opts o = {0};
	o.select = sel.v;
	o.nselect = sel.n;
	o.exclude = exc.v;
	o.nexclude = exc.n;
	const struct case_section *ss = casefile_get(cf, "selector");
	if (ss)
		o.selector = arena_strndup(&a, ss->arg.p, ss->arg.n);
	const struct case_section *is = casefile_get(cf, "indirect-selection");
	if (is) {
		int k = graph_indirect_parse(is->arg);
		if (k < 0) {
			why = "bad --- indirect-selection";
			goto out2;
		}
		o.indirect = (enum gindirect)k;
	}
	const struct case_section *rt = casefile_get(cf, "resource-type");
	if (rt) {
		/* "T1 T2 -X": --resource-type T1 T2 --exclude-resource-type X */
		strlist in = {0}, ex = {0};
		const char *p = rt->arg.p, *end = rt->arg.p + rt->arg.n;
		while (p < end) {
			const char *sp = memchr(p, ' ', (size_t)(end - p));
			size_t wl = (size_t)((sp ? sp : end) - p);
			if (wl && *p == '-')
				vec_push(&ex, arena_strndup(&a, p + 1, wl - 1));
			else if (wl)
				vec_push(&in, arena_strndup(&a, p, wl));
			p = sp ? sp + 1 : end;
		}
		int bad = graph_resource_types(in.v, in.n, ex.v, ex.n, &o.resource_types, &d);
		vec_free(&in);
		vec_free(&ex);
		if (bad) {
			why = "bad --- resource-type";
			goto out2;
		}
	}
	struct gmanifest *m = NULL;
	struct gselectors *sels = NULL;
	int rc = graph_load_manifest_json(&a, mname, mtext.p, mtext.n, &m, &d);
	if (!rc && ys && ys->arg.n) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/manifests/%.*s.yml", dir, (int)ys->arg.n, ys->arg.p);
		size_t len;
		shared_yml = cli_read_file(buf_cstr(&path), &len);
		buf_release(&path);
		if (!shared_yml) {
			why = "cannot read the shared selectors.yml";
			rc = -1;
		} else {
			yml = str_make(shared_yml, len);
		}
	}
	if (!rc && has_yml) {
		rc = graph_selectors_load(&a, "selectors.yml", yml.p, yml.n, &sels, &d);
		o.selectors = sels;
	}
	/* --- state: an inline manifest.json to compare with (--state) */
	struct gstate *state = NULL;
	const struct case_section *st = casefile_get(cf, "state");
	if (!rc && st) {
		rc = graph_state_from_manifest_json("state/manifest.json", st->body.p, st->body.n,
		                                    &state, &d);
		o.state = state;
	}
	struct gselection res;
	if (!rc)
		rc = graph_select(&a, m, &o, &res, &d);
	if (why) {
		/* a broken case file, not a selection result */
	} else if (!rc) {
		for (uint32_t i = 0; i < res.n; i++)
			buf_printf(&got, "%s%s", i ? "\n" : "", res.nodes[i]->unique_id);
		if (has_error)
			why = "selected nodes where an error was expected";
	} else {
		for (size_t i = 0; i < d.msgs.n; i++)
			if (d.msgs.v[i].level == DIAG_ERROR) {
				diag_format_msg(&d.msgs.v[i], &got);
				break;
			}
		if (!has_error)
			why = "selection failed";
	}
	struct str want = has_expect ? str_trim(expect) : error;
	if (!why && !str_eq(buf_str(&got), want))
		why = has_expect ? "selection differs" : "error differs";
	if (why) {
		note_lines(notes, "got", buf_str(&got));
		note_lines(notes, "want", want);
	}
	if (!why && has_warn) {
		struct buf w = BUF_INIT;
		for (size_t i = 0; i < d.msgs.n; i++)
			if (d.msgs.v[i].level == DIAG_WARNING) {
				if (w.n)
					buf_putc(&w, '\n');
				buf_puts(&w, d.msgs.v[i].msg);
			}
		if (!str_eq(buf_str(&w), warnings)) {
			why = "warnings differ";
			note_lines(notes, "got", buf_str(&w));
			note_lines(notes, "want", warnings);
		}
		buf_release(&w);
	}
	if (!why && has_topo && m) {
		struct buf t = BUF_INIT;
		for (uint32_t i = 0; i < m->n; i++)
			buf_printf(&t, "%s%s", i ? "\n" : "", m->nodes[m->topo[i]]->unique_id);
		if (!str_eq(buf_str(&t), str_trim(topo))) {
			why = "topological order differs";
			note_lines(notes, "got", buf_str(&t));
			note_lines(notes, "want", topo);
		}
		buf_release(&t);
	}
	gmanifest_free(m);
	gstate_free(state);
	free(shared_yml);
out2:
	vec_free(&sel);
	vec_free(&exc);
out:
	free(shared);
	buf_release(&got);
	diag_release(&d);
	arena_release(&a);
	return why;
}

int selftest_selectors(const char *dir)
{
	size_t n;
	char **files = list_files(dir, ".case", &n);
	char **disabled = load_disabled(dir);
	int passed = 0, failed = 0, skipped = 0;
	struct buf notes = BUF_INIT;
	size_t dl = strlen(dir) + 1;
	for (size_t i = 0; i < n; i++) {
		const char *rel = strlen(files[i]) > dl ? files[i] + dl : files[i];
		if (is_disabled(disabled, rel)) {
			printf("ok %zu - %s # SKIP disabled\n", i + 1, rel);
			skipped++;
			continue;
		}
		struct casefile cf;
		const char *why = "cannot read the file";
		buf_reset(&notes);
		if (casefile_load(&cf, files[i]) == 0) {
			why = run_case(dir, &cf, &notes);
			casefile_release(&cf);
		}
		if (why) {
			printf("not ok %zu - %s: %s\n%s", i + 1, rel, why, buf_cstr(&notes));
			failed++;
		} else {
			printf("ok %zu - %s\n", i + 1, rel);
			passed++;
		}
	}
	(void)skipped;
	buf_release(&notes);
	free_strv(files);
	free_strv(disabled);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
