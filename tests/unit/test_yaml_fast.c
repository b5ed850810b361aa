/* yaml/fast.c against libyaml: wherever the fast composer accepts a text, its DOM must be
 * libyaml's node for node (kind, style, tag, position, text, children), and it must never accept
 * a text libyaml refuses. The texts: every YAML file under tests/ and examples/, a schema file
 * as the benchmark writes them, hand-written edge cases, and seeded mutations of all of them
 * (lines duplicated, dropped, re-indented; characters inserted, deleted, replaced). */
#define _XOPEN_SOURCE 700
#include <ftw.h>

#include "tap.h"
#include "yaml/yaml_int.h"

void test_yaml_fast(void);

static bool same_node(const struct yaml_node *x, const struct yaml_node *y, struct buf *why)
{
	if (!x || !y) {
		if (x != y)
			buf_printf(why, "one root is missing");
		return x == y;
	}
	if (x->kind != y->kind || x->style != y->style || x->tag != y->tag ||
	    x->flags != y->flags || x->line != y->line || x->col != y->col || x->len != y->len) {
		buf_printf(why, "node at %d:%d (fast) / %d:%d (libyaml): kind %d/%d style %d/%d "
		           "tag %d/%d flags %d/%d len %u/%u",
		           x->line, x->col, y->line, y->col, x->kind, y->kind, x->style, y->style,
		           x->tag, y->tag, x->flags, y->flags, x->len, y->len);
		return false;
	}
	if (x->kind == YAML_K_SCALAR) {
		if (memcmp(x->text, y->text, x->len)) {
			buf_printf(why, "scalar at %d:%d: '%s' / '%s'", x->line, x->col, x->text,
			           y->text);
			return false;
		}
		return true;
	}
	for (uint32_t i = 0; i < x->len; i++) {
		bool ok = x->kind == YAML_K_SEQ
		              ? same_node(x->items[i], y->items[i], why)
		              : same_node(x->pairs[i].key, y->pairs[i].key, why) &&
		                    same_node(x->pairs[i].val, y->pairs[i].val, why);
		if (!ok)
			return false;
	}
	return true;
}

struct tally {
	int texts, fast, mismatches;
	struct buf first; /* the first mismatch */
};

static void check_text(struct tally *t, const char *name, const char *text, size_t len)
{
	struct arena a;
	arena_init(&a);
	struct diag d1, d2;
	diag_init(&d1);
	diag_init(&d2);
	struct yaml_doc *fast = NULL, *slow = NULL;
	struct yaml_doc *probe = arena_zalloc(&a, sizeof(*probe));
	probe->text = text;
	probe->len = len;
	bool accepted = yaml_fast_compose(&a, probe) == 0;
	t->texts++;
	if (accepted) {
		t->fast++;
		int r1 = yaml_load(&a, name, text, len, &fast, &d1);
		int r2 = yaml_load_libyaml(&a, name, text, len, &slow, &d2);
		struct buf why = BUF_INIT, e1 = BUF_INIT, e2 = BUF_INIT;
		diag_print(&d1, &e1);
		diag_print(&d2, &e2);
		bool same;
		if (r1 != r2 || strcmp(buf_cstr(&e1), buf_cstr(&e2))) {
			/* the construction pass (check.c) sees the same DOM, so fails the same way */
			buf_printf(&why, "results differ: %d '%s' / %d '%s'", r1, buf_cstr(&e1), r2,
			           buf_cstr(&e2));
			same = false;
		} else {
			same = r1 < 0 || same_node(fast->root, slow->root, &why);
			if (same && r1 == 0 && fast->nodes != slow->nodes) {
				buf_printf(&why, "%u nodes / %u", fast->nodes, slow->nodes);
				same = false;
			}
		}
		buf_release(&e1);
		buf_release(&e2);
		if (!same) {
			if (!t->mismatches)
				buf_printf(&t->first, "%s: %s\n---\n%.*s\n---", name, buf_cstr(&why),
				           (int)(len > 600 ? 600 : len), text);
			t->mismatches++;
		}
		buf_release(&why);
	}
	diag_release(&d1);
	diag_release(&d2);
	arena_release(&a);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A seeded edit of text: a line duplicated, dropped or re-indented, or a character inserted,
 * deleted or replaced by one of YAML's indicators. */
static void mutate(const char *text, size_t len, struct buf *out)
{
	static const char chars[] = " -:#'\"[]{},&*!|>?%@`\n\tabc01.~";
	buf_reset(out);
	buf_append(out, text, len);
	if (!len)
		return;
	size_t at = rnd((uint32_t)len);
	size_t bol = at, eol = at;
	while (bol && out->p[bol - 1] != '\n')
		bol--;
	while (eol < out->n && out->p[eol] != '\n')
		eol++;
	struct buf b = BUF_INIT;
	switch (rnd(6)) {
	case 0: /* duplicate the line */
		buf_append(&b, out->p, eol);
		buf_putc(&b, '\n');
		buf_append(&b, out->p + bol, out->n - bol);
		break;
	case 1: /* drop the line */
		buf_append(&b, out->p, bol);
		buf_append(&b, out->p + eol, out->n - eol);
		break;
	case 2: /* indent or dedent it by one or two */
		buf_append(&b, out->p, bol);
		if (rnd(2))
			buf_append(&b, "  ", 1 + rnd(2));
		else if (out->p[bol] == ' ')
			bol += 1 + (bol + 1 < eol && out->p[bol + 1] == ' ');
		buf_append(&b, out->p + bol, out->n - bol);
		break;
	case 3: /* insert */
		buf_append(&b, out->p, at);
		buf_putc(&b, chars[rnd(sizeof(chars) - 1)]);
		buf_append(&b, out->p + at, out->n - at);
		break;
	case 4: /* delete */
		buf_append(&b, out->p, at);
		buf_append(&b, out->p + at + 1, out->n - at - 1);
		break;
	default: /* replace */
		buf_append(&b, out->p, out->n);
		b.p[at] = chars[rnd(sizeof(chars) - 1)];
		break;
	}
	buf_reset(out);
	buf_append(out, b.p, b.n);
	buf_release(&b);
}

static VEC(char *) files;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(path);
	if (type == FTW_F && ((n > 4 && !strcmp(path + n - 4, ".yml")) ||
	                      (n > 5 && !strcmp(path + n - 5, ".yaml"))))
		vec_push(&files, xstrdup(path));
	return 0;
}

static const char *const cases[] = {
    "a: 1\n",
    "a:\n",
    "a:\nb: 2\n",
    "a:   # c\n  b: 1\n",
    "- a\n- b\n",
    "-\n- b\n",
    "- \n  - x\n",
    "key:\n- a\n- b\nnext: 1\n",
    "key:\n- a: 1\n  b: [x, 'y', \"z\"]\n- c:\n",
    "  indented: root\n  second: 2\n",
    "a: 'it''s'\nb: \"q\"\nc: ''\nd: \"\"\n",
    "a: [ ]\nb: []\nc: {}\nd: [1, 2.5, true, null, ~]\n",
    "a: x # comment\nb: x#no\nc: http://x.y/z\n",
    "# only\n# comments\n",
    "",
    "\n\n\n",
    "a: yes\nb: No\nc: 0x1F\nd: 1_000\ne: 2001-12-14\nf: .inf\ng: -.5\nh: -3\n",
    "+materialized: view\n$x: 1\n./p: 2\n3: three\n",
    "a:\n  b:\n    c:\n      d: deep\n  e: 1\n",
    "a: 1\n  b: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "- a: 1\n  - b\n",
    "a: b: c\n",
    "a: 1\n- b\n",
    "a: text, with [brackets] and {braces}\n",
    "a: trailing   \nb: x  # c\n",
    "version: 2\nmodels:\n  - name: m0\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n",
};

void test_yaml_fast(void)
{
	struct tally t = {0};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		check_text(&t, "case.yml", cases[i], strlen(cases[i]));
	nftw("tests", collect, 16, FTW_PHYS);
	nftw("examples", collect, 16, FTW_PHYS);
	ok(files.n >= 50, "the repository's YAML files are found (run from the checkout's root)");
	struct buf m = BUF_INIT;
	int corpus_fast = 0;
	for (size_t i = 0; i < files.n; i++) {
		size_t len;
		char *text = file_read_all(files.v[i], &len);
		if (!text)
			continue;
		int before = t.fast;
		check_text(&t, files.v[i], text, len);
		corpus_fast += t.fast - before;
		for (int k = 0; k < 40; k++) { /* mutations, some of them compounded */
			if (k % 4 == 0) {
				buf_reset(&m);
				buf_append(&m, text, len);
			}
			struct buf src = BUF_INIT;
			buf_append(&src, m.p, m.n);
			mutate(src.p, src.n, &m);
			buf_release(&src);
			check_text(&t, files.v[i], m.p, m.n);
		}
		free(text);
		free(files.v[i]);
	}
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		for (int k = 0; k < 200; k++) {
			buf_reset(&m);
			buf_puts(&m, cases[i]);
			for (int r = 0; r <= k % 3; r++) {
				struct buf src = BUF_INIT;
				buf_append(&src, m.p, m.n);
				mutate(src.p, src.n, &m);
				buf_release(&src);
			}
			check_text(&t, "mutant.yml", m.p, m.n);
		}
	buf_release(&m);
	vec_free(&files);
	printf("# %d texts, %d composed by fast.c (%d of the repository's files)\n", t.texts,
	       t.fast, corpus_fast);
	ok(t.fast > t.texts / 10, "the fast composer takes a share of the texts");
	ok(!t.mismatches, "wherever the fast composer accepts a text, the DOM is libyaml's");
	if (t.mismatches)
		printf("# %d mismatches; the first: %s\n", t.mismatches, buf_cstr(&t.first));
	buf_release(&t.first);
}
