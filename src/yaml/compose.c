/* yaml_load: libyaml events composed into a DOM, as PyYAML's CParser composes nodes
 * (yaml/_yaml.pyx) and resolves tags (yaml/resolver.py).
 *
 * Errors come in PyYAML's order: syntax and composition errors (undefined alias, duplicate
 * anchor, a second document) stop the parse; once the one document composed, the construction
 * pass (check.c) finds what SafeConstructor would refuse. */
#include <yaml.h>

#include "value/datetime.h"
#include "yaml_int.h"

struct composer {
	struct arena *a;
	struct diag *d;
	struct yaml_doc *doc;
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, when have_ev */
	bool have_ev;
	struct map anchors; /* name (in the arena) -> node */
	VEC(struct yaml_node *) anchored;
	VEC(struct yaml_node *) stack; /* children of the collections being composed */
	VEC(struct yaml_tagtext) tags; /* explicit tags the construction pass may name */
};

static void error_at(struct composer *c, int line, int col, const char *fmt, ...) SILT_PRINTF(4, 5);
static void error_at(struct composer *c, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(c->d, DIAG_ERROR, c->doc->file, line, col, c->doc->text, c->doc->len, fmt, ap);
	va_end(ap);
}

static void mark_pos(yaml_mark_t m, int *line, int *col)
{
	*line = m.line + 1 > INT32_MAX ? INT32_MAX : (int)m.line + 1;
	*col = m.column + 1 > INT32_MAX ? INT32_MAX : (int)m.column + 1;
}

static void parser_error(struct composer *c)
{
	yaml_parser_t *p = &c->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	int line, col;
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		error_at(c, 0, 0, "out of memory while parsing YAML");
		return;
	case YAML_READER_ERROR:
		/* PyYAML: ReaderError, placed by byte offset */
		text_position(c->doc->text,
		              p->problem_offset <= c->doc->len ? p->problem_offset : c->doc->len,
		              &line, &col);
		if (p->problem_value >= 0)
			error_at(c, line, col, "unacceptable character #x%04x: %s",
			         p->problem_value, problem);
		else
			error_at(c, line, col, "%s", problem);
		return;
	default:
		break;
	}
	mark_pos(p->problem_mark, &line, &col);
	if (!p->context) {
		error_at(c, line, col, "%s", problem);
		return;
	}
	int cl, cc;
	mark_pos(p->context_mark, &cl, &cc);
	if (cl == line && cc == col)
		error_at(c, line, col, "%s (%s)", problem, p->context);
	else
		error_at(c, line, col, "%s (%s at line %d, column %d)", problem, p->context, cl,
		         cc);
}

static int next_event(struct composer *c)
{
	if (c->have_ev) {
		yaml_event_delete(&c->ev);
		c->have_ev = false;
	}
	if (!yaml_parser_parse(&c->parser, &c->ev)) {
		parser_error(c);
		return -1;
	}
	c->have_ev = true;
	return 0;
}

static const char *copy(struct composer *c, const unsigned char *s)
{
	return s ? arena_strndup(c->a, (const char *)s, strlen((const char *)s)) : NULL;
}

/* The tag a written tag names, or 0 for none and for the non-specific tag `!` (resolve). Tags
 * that messages may have to name are kept. */
static uint8_t explicit_tag(struct composer *c, struct yaml_node *n, const unsigned char *tag)
{
	if (!tag || (tag[0] == '!' && tag[1] == 0))
		return 0;
	n->flags |= YAML_F_TAGGED;
	uint8_t t = yaml_tag_by_name((const char *)tag);
	if (t == YAML_T_UNKNOWN || t == YAML_T_UNSUPPORTED || t == YAML_T_MERGE ||
	    t == YAML_T_VALUE)
		vec_push(&c->tags, ((struct yaml_tagtext){n, copy(c, tag)}));
	return t;
}

/* A node, and for scalars room for `extra` bytes of text right after it. */
static struct yaml_node *new_node(struct composer *c, yaml_mark_t start, uint8_t kind, size_t extra)
{
	struct yaml_node *n = arena_alloc(c->a, sizeof(*n) + extra);
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->doc = c->doc;
	mark_pos(start, &n->line, &n->col);
	c->doc->nodes++;
	return n;
}

static struct yaml_node *compose_node(struct composer *c, int depth);

static struct yaml_node *compose_scalar(struct composer *c, const char *anchor)
{
	yaml_event_t *e = &c->ev;
	size_t len = e->data.scalar.length;
	if (len > UINT32_MAX / 2) {
		int line, col;
		mark_pos(e->start_mark, &line, &col);
		error_at(c, line, col, "scalar too long");
		return NULL;
	}
	struct yaml_node *n = new_node(c, e->start_mark, YAML_K_SCALAR, len + 1);
	if (anchor) {
		map_set(&c->anchors, str_from(anchor), n);
		vec_push(&c->anchored, n);
	}
	char *text = (char *)(n + 1);
	memcpy(text, e->data.scalar.value, len);
	text[len] = 0;
	n->text = text;
	n->len = (uint32_t)len;
	switch (e->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = YAML_S_SINGLE;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = YAML_S_DOUBLE;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->style = YAML_S_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = YAML_S_FOLDED;
		break;
	default:
		n->style = YAML_S_PLAIN;
		break;
	}
	n->tag = explicit_tag(c, n, e->data.scalar.tag);
	if (!n->tag) /* libyaml sets plain_implicit for plain scalars and under the tag `!` */
		n->tag = e->data.scalar.plain_implicit ? yaml_resolve_plain(n->text, n->len)
		                                       : YAML_T_STR;
	return n;
}

static struct yaml_node *compose_collection(struct composer *c, int depth, const char *anchor)
{
	yaml_event_t *e = &c->ev;
	bool is_seq = e->type == YAML_SEQUENCE_START_EVENT;
	struct yaml_node *n = new_node(c, e->start_mark, is_seq ? YAML_K_SEQ : YAML_K_MAP, 0);
	if (depth >= YAML_MAX_DEPTH) {
		error_at(c, n->line, n->col, "nesting deeper than %d levels", YAML_MAX_DEPTH);
		return NULL;
	}
	bool flow = is_seq ? e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
	                   : e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	n->style = flow ? YAML_S_FLOW : YAML_S_BLOCK;
	n->tag =
	    explicit_tag(c, n, is_seq ? e->data.sequence_start.tag : e->data.mapping_start.tag);
	if (!n->tag)
		n->tag = is_seq ? YAML_T_SEQ : YAML_T_MAP;
	/* the anchor is known before the children, as in PyYAML, so `&a [*a]` is recursive */
	n->flags |= YAML_F_OPEN;
	if (anchor)
		map_set(&c->anchors, str_from(anchor), n);
	size_t base = c->stack.n;
	for (;;) {
		if (next_event(c))
			return NULL;
		if (c->ev.type == YAML_SEQUENCE_END_EVENT || c->ev.type == YAML_MAPPING_END_EVENT)
			break;
		struct yaml_node *child = compose_node(c, depth + 1);
		if (!child)
			return NULL;
		vec_push(&c->stack, child);
	}
	n->flags &= (uint8_t)~YAML_F_OPEN;
	size_t count = c->stack.n - base;
	if (count > UINT32_MAX / 2) {
		error_at(c, n->line, n->col, "collection too long");
		return NULL;
	}
	if (is_seq) {
		n->len = (uint32_t)count;
		n->items = arena_alloc(c->a, (count ? count : 1) * sizeof(*n->items));
		if (count)
			memcpy(n->items, c->stack.v + base, count * sizeof(*n->items));
	} else {
		/* libyaml alternates key and value events */
		n->len = (uint32_t)(count / 2);
		n->pairs = arena_alloc(c->a, (count ? count / 2 : 1) * sizeof(*n->pairs));
		for (size_t i = 0; i < n->len; i++) {
			n->pairs[i] = (struct yaml_pair){c->stack.v[base + 2 * i],
			                                 c->stack.v[base + 2 * i + 1]};
			if (n->pairs[i].key->tag == YAML_T_MERGE)
				n->flags |= YAML_F_MERGE;
		}
	}
	c->stack.n = base;
	if (anchor)
		vec_push(&c->anchored, n);
	return n;
}

/* Composes the node whose first event is current; returns NULL after reporting an error. */
static struct yaml_node *compose_node(struct composer *c, int depth)
{
	yaml_event_t *e = &c->ev;
	int line, col;
	mark_pos(e->start_mark, &line, &col);
	if (e->type == YAML_ALIAS_EVENT) {
		const char *name = (const char *)e->data.alias.anchor;
		struct yaml_node *t = map_get(&c->anchors, str_from(name));
		if (!t) {
			error_at(c, line, col, "found undefined alias '%s'", name);
			return NULL;
		}
		if (t->flags & YAML_F_OPEN) {
			error_at(c, line, col,
			         "found recursive alias '%s' (silt does not support recursive "
			         "structures)",
			         name);
			return NULL;
		}
		if (!t->id)
			t->id = ++c->doc->shared;
		return t;
	}
	const unsigned char *anchor =
	    e->type == YAML_SCALAR_EVENT           ? e->data.scalar.anchor
	    : e->type == YAML_SEQUENCE_START_EVENT ? e->data.sequence_start.anchor
	    : e->type == YAML_MAPPING_START_EVENT  ? e->data.mapping_start.anchor
	                                           : NULL;
	const char *name = NULL;
	if (anchor) {
		const struct yaml_node *first =
		    map_get(&c->anchors, str_from((const char *)anchor));
		if (first) {
			error_at(
			    c, line, col,
			    "found duplicate anchor '%s'; first occurrence at line %d, column %d",
			    (const char *)anchor, first->line, first->col);
			return NULL;
		}
		name = copy(c, anchor);
	}
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return compose_scalar(c, name);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return compose_collection(c, depth, name);
	default:
		error_at(c, line, col, "unexpected YAML event");
		return NULL;
	}
}

static int load(struct arena *a, const char *file, const char *text, size_t len,
                struct yaml_doc **out, struct diag *d, bool try_fast)
{
	struct composer c = {.a = a, .d = d};
	c.doc = arena_zalloc(a, sizeof(*c.doc));
	c.doc->file = file ? arena_strndup(a, file, strlen(file)) : NULL;
	c.doc->text = text;
	c.doc->len = len;
	*out = NULL;
	if (len > UINT32_MAX / 2) {
		error_at(&c, 0, 0, "file too large for YAML (%zu bytes)", len);
		return -1;
	}
	map_init(&c.anchors);
	int rc = -1;
	/* plain block YAML is composed without libyaml (fast.c); the rest, errors included, with */
	bool fast = try_fast && yaml_fast_compose(a, c.doc) == 0;
	if (!fast) {
		if (!yaml_parser_initialize(&c.parser))
			silt_abort("yaml_parser_initialize");
		yaml_parser_set_input_string(&c.parser, (const unsigned char *)(text ? text : ""),
		                             len);
	}
	/* get_single_node: STREAM-START, then STREAM-END or one document, then STREAM-END */
	if (!fast && (next_event(&c) || next_event(&c)))
		goto done;
	if (!fast && c.ev.type != YAML_STREAM_END_EVENT) {
		if (next_event(&c)) /* past DOCUMENT-START */
			goto done;
		if (!(c.doc->root = compose_node(&c, 0)))
			goto done;
		if (next_event(&c) || next_event(&c)) /* DOCUMENT-END, then what follows */
			goto done;
		if (c.ev.type != YAML_STREAM_END_EVENT) {
			int line, col;
			mark_pos(c.ev.start_mark, &line, &col);
			error_at(
			    &c, line, col,
			    "expected a single document in the stream, but found another document");
			goto done;
		}
	}
	if (yaml_check(c.doc, a, c.tags.v, c.tags.n, d))
		goto done;
	c.doc->nanchored = (uint32_t)c.anchored.n;
	c.doc->anchored = arena_alloc(a, (c.anchored.n + 1) * sizeof(*c.doc->anchored));
	if (c.anchored.n)
		memcpy(c.doc->anchored, c.anchored.v, c.anchored.n * sizeof(*c.anchored.v));
	*out = c.doc;
	rc = 0;
done:
	if (c.have_ev)
		yaml_event_delete(&c.ev);
	if (!fast)
		yaml_parser_delete(&c.parser);
	map_release(&c.anchors);
	vec_free(&c.stack);
	vec_free(&c.anchored);
	vec_free(&c.tags);
	return rc;
}

int yaml_load(struct arena *a, const char *file, const char *text, size_t len,
              struct yaml_doc **out, struct diag *d)
{
	return load(a, file, text, len, out, d, true);
}

int yaml_load_libyaml(struct arena *a, const char *file, const char *text, size_t len,
                      struct yaml_doc **out, struct diag *d)
{
	return load(a, file, text, len, out, d, false);
}
