/* yaml_fast_compose: the DOM of the plain block YAML most schema files are written in, built
 * straight from the text, without libyaml's tokens and events (its scanner and the events'
 * malloc'd copies were most of a schema file's parse).
 *
 * Only what it can compose exactly as libyaml and PyYAML would is accepted: printable ASCII,
 * space indentation, block mappings whose keys are plain words, block sequences (with compact
 * `- key: value` mappings), one-line plain, 'single' and "double" (without escapes) scalars,
 * one-line flow sequences of such scalars, `{}`, comments. Anything else — a tab, a non-ASCII
 * byte, anchors, tags, block scalars, multi-line scalars, flow mappings, documents markers,
 * and every error — makes it give up, and yaml_load composes the text with libyaml as before.
 * tests/unit/test_yaml_fast.c holds it to libyaml's DOM on every YAML file of the repository and
 * on thousands of mutations of them. */
#include "yaml_int.h"

struct fast {
	struct arena *a;
	struct yaml_doc *doc;
	const char *s, *end;
	const char *p;   /* the cursor */
	const char *bol; /* the start of the cursor's line */
	int line;        /* the cursor's line, 1-based */
	bool bail;
	VEC(struct yaml_node *) stack;
};

enum { MAX_DEPTH = 64 };

/* Deeper than this composer goes (libyaml's own limit is far beyond): gives up. */
static bool too_deep(struct fast *f, int depth)
{
	if (depth >= MAX_DEPTH)
		f->bail = true;
	return f->bail;
}

static int col_of(const struct fast *f, const char *q) { return (int)(q - f->bol) + 1; }

static struct yaml_node *node(struct fast *f, const char *at, uint8_t kind, size_t extra)
{
	struct yaml_node *n = arena_alloc(f->a, sizeof(*n) + extra);
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->doc = f->doc;
	n->line = f->line;
	n->col = col_of(f, at);
	f->doc->nodes++;
	return n;
}

static struct yaml_node *scalar(struct fast *f, const char *at, const char *text, size_t len,
                                uint8_t style)
{
	struct yaml_node *n = node(f, at, YAML_K_SCALAR, len + 1);
	char *t = (char *)(n + 1);
	memcpy(t, text, len);
	t[len] = 0;
	n->text = t;
	n->len = (uint32_t)len;
	n->style = style;
	n->tag = style == YAML_S_PLAIN ? yaml_resolve_plain(t, len) : YAML_T_STR;
	return n;
}

/* A sequence or mapping starting at `at`; its children are added by take_children. */
static struct yaml_node *collection(struct fast *f, const char *at, uint8_t kind, uint8_t style)
{
	struct yaml_node *n = node(f, at, kind, 0);
	n->style = style;
	n->tag = kind == YAML_K_SEQ ? YAML_T_SEQ : YAML_T_MAP;
	return n;
}

/* n's children: the stack's nodes from base (a mapping's as key, value, key, ...), taken off. */
static struct yaml_node *take_children(struct fast *f, struct yaml_node *n, size_t base)
{
	size_t count = f->stack.n - base;
	if (n->kind == YAML_K_SEQ) {
		n->items = arena_alloc(f->a, (count ? count : 1) * sizeof(*n->items));
		if (count)
			memcpy(n->items, f->stack.v + base, count * sizeof(*n->items));
	} else {
		count /= 2;
		n->pairs = arena_alloc(f->a, (count ? count : 1) * sizeof(*n->pairs));
		for (size_t i = 0; i < count; i++)
			n->pairs[i] = (struct yaml_pair){f->stack.v[base + 2 * i],
			                                 f->stack.v[base + 2 * i + 1]};
	}
	n->len = (uint32_t)count;
	f->stack.n = base;
	return n;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '.' || c == '/' || c == '$' || c == '-';
}

/* Skips spaces on the cursor's line. */
static void spaces(struct fast *f)
{
	while (f->p < f->end && *f->p == ' ')
		f->p++;
}

/* At the end of the line's content: its end, or a comment after a space. */
static bool at_eol(const struct fast *f)
{
	return f->p >= f->end || *f->p == '\n' || (*f->p == '#' && f->p > f->bol && f->p[-1] == ' ');
}

/* Past the rest of the line (only spaces and a comment may be left), to the next line. */
static void end_line(struct fast *f)
{
	spaces(f);
	if (!at_eol(f)) {
		f->bail = true;
		return;
	}
	while (f->p < f->end && *f->p != '\n')
		f->p++;
	if (f->p < f->end) {
		f->p++;
		f->line++;
	}
	f->bol = f->p;
}

/* From the start of a line, past blank and comment lines: the next content line's indent with
 * the cursor on its first character, or -1 at the end of the text. */
static int next_content(struct fast *f)
{
	f->p = f->bol; /* at a line's start, or on its content after an earlier call */
	for (;;) {
		f->bol = f->p;
		spaces(f);
		if (f->p >= f->end)
			return -1;
		if (*f->p == '\n' || *f->p == '#') { /* a blank or comment line */
			while (f->p < f->end && *f->p != '\n')
				f->p++;
			if (f->p < f->end) {
				f->p++;
				f->line++;
			}
			continue;
		}
		if (f->p == f->bol && f->end - f->p >= 3 &&
		    (!memcmp(f->p, "---", 3) || !memcmp(f->p, "...", 3)))
			f->bail = true; /* a document marker */
		return (int)(f->p - f->bol);
	}
}

/* A one-line quoted scalar at the cursor: 'it''s' or "plain" (no escapes). */
static struct yaml_node *quoted(struct fast *f)
{
	const char *at = f->p;
	char q = *at;
	struct buf b = BUF_INIT;
	const char *s = at + 1;
	for (;;) {
		if (s >= f->end || *s == '\n' || (q == '"' && *s == '\\')) {
			buf_release(&b);
			f->bail = true;
			return NULL;
		}
		if (*s == q) {
			if (q == '\'' && s + 1 < f->end && s[1] == '\'') {
				buf_putc(&b, '\'');
				s += 2;
				continue;
			}
			break;
		}
		buf_putc(&b, *s++);
	}
	f->p = s + 1;
	struct yaml_node *n =
	    scalar(f, at, buf_cstr(&b), b.n, q == '\'' ? YAML_S_SINGLE : YAML_S_DOUBLE);
	buf_release(&b);
	return n;
}

/* A plain scalar of a flow sequence: word characters only. */
static struct yaml_node *flow_plain(struct fast *f)
{
	const char *at = f->p;
	while (f->p < f->end && key_char(*f->p))
		f->p++;
	if (f->p == at || *at == '-') {
		f->bail = true;
		return NULL;
	}
	return scalar(f, at, at, (size_t)(f->p - at), YAML_S_PLAIN);
}

/* [a, 'b', "c"] on one line. */
static struct yaml_node *flow_seq(struct fast *f)
{
	const char *at = f->p++;
	size_t base = f->stack.n;
	spaces(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
	} else {
		for (;;) {
			struct yaml_node *item = f->p < f->end && (*f->p == '\'' || *f->p == '"')
			                             ? quoted(f)
			                             : flow_plain(f);
			if (!item)
				return NULL;
			vec_push(&f->stack, item);
			spaces(f);
			if (f->p < f->end && *f->p == ']') {
				f->p++;
				break;
			}
			if (f->p >= f->end || *f->p != ',') {
				f->bail = true;
				return NULL;
			}
			f->p++;
			spaces(f);
		}
	}
	/* marked at the bracket, on the cursor's line: the items end on the same line */
	return take_children(f, collection(f, at, YAML_K_SEQ, YAML_S_FLOW), base);
}

/* A plain scalar running to the end of the line's content. */
static struct yaml_node *block_plain(struct fast *f)
{
	const char *at = f->p, *last = f->p;
	while (f->p < f->end && *f->p != '\n') {
		char c = *f->p;
		if (c == '#' && f->p[-1] == ' ')
			break;
		if (c == ':' && (f->p + 1 >= f->end || f->p[1] == ' ' || f->p[1] == '\n')) {
			f->bail = true; /* a mapping where a scalar was expected */
			return NULL;
		}
		if (c != ' ')
			last = f->p + 1;
		f->p++;
	}
	return scalar(f, at, at, (size_t)(last - at), YAML_S_PLAIN);
}

/* The scalar or flow sequence at the cursor, the rest of its line only spaces or a comment. */
static struct yaml_node *inline_value(struct fast *f)
{
	char c = *f->p;
	struct yaml_node *n;
	if (c == '\'' || c == '"')
		n = quoted(f);
	else if (c == '[')
		n = flow_seq(f);
	else if (c == '{' && f->p + 1 < f->end && f->p[1] == '}') {
		n = take_children(f, collection(f, f->p, YAML_K_MAP, YAML_S_FLOW), f->stack.n);
		f->p += 2;
	} else if (strchr("-?:,]{}#&*!|>%@`", c) &&
	           !(c == '-' && f->p + 1 < f->end && ((f->p[1] >= '0' && f->p[1] <= '9') ||
	                                                f->p[1] == '.'))) {
		f->bail = true; /* an indicator: left to libyaml */
		return NULL;
	} else {
		n = block_plain(f);
	}
	if (n)
		end_line(f);
	return f->bail ? NULL : n;
}

static struct yaml_node *block_node(struct fast *f, int indent, int depth);
static struct yaml_node *block_map(struct fast *f, int indent, int depth);


/* What follows `key:` or `-` when the rest of the line is empty: the block on the next lines
 * more indented than indent (for a mapping's value, a sequence at indent too), else null. */
static struct yaml_node *value_below(struct fast *f, int indent, const char *after, bool map_value,
                                     int depth)
{
	/* else an empty plain scalar (null), marked where libyaml marks it: after the `:` or `-` */
	const char *bol = f->bol;
	int line = f->line;
	end_line(f);
	if (f->bail)
		return NULL;
	int ni = next_content(f);
	if (f->bail)
		return NULL;
	if (ni > indent || (map_value && ni == indent && *f->p == '-' &&
	                    (f->p + 1 >= f->end || f->p[1] == ' ' || f->p[1] == '\n')))
		return block_node(f, ni, depth + 1);
	const char *next_bol = f->bol;
	int next_line = f->line;
	f->bol = bol;
	f->line = line;
	struct yaml_node *null = scalar(f, after, "", 0, YAML_S_PLAIN);
	f->p = f->bol = next_bol; /* the next content is the caller's */
	f->line = next_line;
	return null;
}

/* Block sequence items at column indent, the cursor on the first `-`. */
static struct yaml_node *block_seq(struct fast *f, int indent, int depth)
{
	struct yaml_node *n = collection(f, f->p, YAML_K_SEQ, YAML_S_BLOCK);
	size_t base = f->stack.n;
	for (;;) {
		const char *dash = f->p;
		f->p++;
		struct yaml_node *item;
		if (f->p < f->end && *f->p != ' ' && *f->p != '\n') {
			f->bail = true;
			return NULL;
		}
		spaces(f);
		if (at_eol(f)) {
			item = value_below(f, indent, dash + 1, false, depth);
		} else if (*f->p == '-') {
			f->bail = true; /* a compact nested sequence */
			return NULL;
		} else {
			/* `- key: value` starts a mapping at the key's column */
			const char *k = f->p;
			while (k < f->end && key_char(*k))
				k++;
			if (k > f->p && k < f->end && *k == ':' &&
			    (k + 1 >= f->end || k[1] == ' ' || k[1] == '\n'))
				item = block_map(f, (int)(f->p - f->bol), depth + 1);
			else
				item = inline_value(f);
		}
		if (!item || f->bail)
			return NULL;
		vec_push(&f->stack, item);
		int ni = next_content(f);
		if (f->bail)
			return NULL;
		if (ni != indent || *f->p != '-' ||
		    (f->p + 1 < f->end && f->p[1] != ' ' && f->p[1] != '\n')) {
			if (ni > indent)
				f->bail = true;
			break;
		}
	}
	return f->bail ? NULL : take_children(f, n, base);
}

/* Block mapping entries at column indent, the cursor on the first key. */
static struct yaml_node *block_map(struct fast *f, int indent, int depth)
{
	if (too_deep(f, depth))
		return NULL;
	struct yaml_node *n = collection(f, f->p, YAML_K_MAP, YAML_S_BLOCK);
	size_t base = f->stack.n;
	for (;;) {
		const char *k = f->p;
		while (f->p < f->end && key_char(*f->p))
			f->p++;
		if (f->p == k || *k == '-' || f->p >= f->end || *f->p != ':' ||
		    (f->p + 1 < f->end && f->p[1] != ' ' && f->p[1] != '\n')) {
			f->bail = true;
			return NULL;
		}
		struct yaml_node *key = scalar(f, k, k, (size_t)(f->p - k), YAML_S_PLAIN);
		const char *after = ++f->p;
		spaces(f);
		struct yaml_node *val = at_eol(f) ? value_below(f, indent, after, true, depth)
		                                  : inline_value(f);
		if (!val || f->bail)
			return NULL;
		vec_push(&f->stack, key);
		vec_push(&f->stack, val);
		int ni = next_content(f);
		if (f->bail)
			return NULL;
		if (ni != indent) {
			if (ni > indent)
				f->bail = true;
			break;
		}
		if (*f->p == '-') { /* a sequence entry where a key was expected */
			if (f->p + 1 >= f->end || f->p[1] == ' ' || f->p[1] == '\n') {
				/* ends the mapping when it is a sequence's item at the same column */
				break;
			}
		}
	}
	return f->bail ? NULL : take_children(f, n, base);
}

/* The block node whose first line's content is at the cursor (column indent). */
static struct yaml_node *block_node(struct fast *f, int indent, int depth)
{
	if (too_deep(f, depth))
		return NULL;
	if (*f->p == '-' && (f->p + 1 >= f->end || f->p[1] == ' ' || f->p[1] == '\n'))
		return block_seq(f, indent, depth);
	const char *k = f->p;
	while (k < f->end && key_char(*k))
		k++;
	if (k > f->p && k < f->end && *k == ':' && (k + 1 >= f->end || k[1] == ' ' || k[1] == '\n'))
		return block_map(f, indent, depth);
	/* a lone scalar (the document's root, or a value on its own line) */
	struct yaml_node *n = inline_value(f);
	if (n && depth > 0)
		f->bail = true; /* a value below `key:` may run on as a multi-line scalar */
	return n;
}

int yaml_fast_compose(struct arena *a, struct yaml_doc *doc)
{
	const char *s = doc->text ? doc->text : "";
	for (size_t i = 0; i < doc->len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n') || c >= 0x7f)
			return -1; /* tabs, CR, control and non-ASCII characters: libyaml's */
	}
	struct fast f = {.a = a, .doc = doc, .s = s, .end = s + doc->len, .p = s, .bol = s, .line = 1};
	struct arena_mark m = arena_mark(a);
	uint32_t nodes = doc->nodes;
	struct yaml_node *root = NULL;
	int indent = next_content(&f);
	if (!f.bail && indent >= 0) {
		root = block_node(&f, indent, 0);
		if (root && !f.bail && next_content(&f) >= 0)
			f.bail = true; /* content left over: less indented than the root, say */
	}
	vec_free(&f.stack);
	if (f.bail || (indent >= 0 && !root)) {
		arena_restore(a, m);
		doc->nodes = nodes;
		return -1;
	}
	doc->root = root;
	return 0;
}
