/* YAML out, as PyYAML's yaml.safe_dump(data, sort_keys=...) writes it with its defaults (block
 * style, indent 2, width 80, allow_unicode False, no explicit document markers): the
 * SafeRepresenter (which scalars are str, int, float, bool, null, timestamp), the Serializer
 * (anchors &id001 for a list or dict met twice) and the Emitter (scalar styles, line folding),
 * ported state for state so the bytes match. Only what templates hold is written: None, bools,
 * ints, floats, strings, lists, tuples, dicts, dates and datetimes. */
#include <math.h>

#include "value/datetime.h"
#include "yaml_int.h"

#define BEST_WIDTH 80
#define BEST_INDENT 2

struct anchor {
	const void *p;
	int id; /* 0: seen once; >0: idNNN */
	bool emitted;
};

struct emitter {
	struct buf *out;
	int column, indent; /* indent -1: None */
	int indents[2 * YAML_MAX_DEPTH + 8];
	int nindents;
	bool whitespace, indention, open_ended;
	int flow_level;
	bool root_ctx, mapping_ctx, simple_key_ctx;
	VEC(struct anchor) anchors;
	int next_anchor;
	bool sort_keys;
	int depth;
	int err; /* 0 or YAML_WRITE_UNREPRESENTABLE */
	struct buf *why;
};

/* ---- the serializer's anchors: containers met more than once ---- */

static const void *identity(value v)
{
	if (v.type == VT_LIST)
		return (v.flags & VF_TUPLE) && v.list->n == 0 ? NULL : v.list;
	if (v.type == VT_DICT)
		return v.dict;
	if (v.type == VT_OBJ)
		return v.obj;
	return NULL;
}

static struct anchor *find_anchor(struct emitter *e, const void *p)
{
	for (size_t i = 0; i < e->anchors.n; i++)
		if (e->anchors.v[i].p == p)
			return &e->anchors.v[i];
	return NULL;
}

static void anchor_node(struct emitter *e, value v, int depth)
{
	const void *p = identity(v);
	if (!p || depth > YAML_MAX_DEPTH)
		return;
	struct anchor *a = find_anchor(e, p);
	if (a) {
		if (!a->id)
			a->id = ++e->next_anchor;
		return;
	}
	struct anchor na = { p, 0, false };
	vec_push(&e->anchors, na);
	if (v.type == VT_LIST) {
		for (uint32_t i = 0; i < v.list->n; i++)
			anchor_node(e, v.list->v[i], depth + 1);
	} else if (v.type == VT_DICT) {
		for (uint32_t i = 0; i < v.dict->n; i++)
			if (v.dict->k[i].type != VT_UNDEF) {
				anchor_node(e, v.dict->k[i], depth + 1);
				anchor_node(e, v.dict->v[i], depth + 1);
			}
	}
}

/* ---- low-level writes (Emitter.write_indicator, write_indent, write_line_break) ---- */

static void put(struct emitter *e, const char *s, size_t n, int width)
{
	buf_append(e->out, s, n);
	e->column += width;
}

static void write_indicator(struct emitter *e, const char *ind, bool need_ws, bool ws, bool indention)
{
	if (!e->whitespace && need_ws)
		put(e, " ", 1, 1);
	put(e, ind, strlen(ind), (int)strlen(ind));
	e->whitespace = ws;
	e->indention = e->indention && indention;
	e->open_ended = false;
}

static void line_break(struct emitter *e)
{
	buf_putc(e->out, '\n');
	e->whitespace = true;
	e->indention = true;
	e->column = 0;
}

static void write_indent(struct emitter *e)
{
	int indent = e->indent < 0 ? 0 : e->indent;
	if (!e->indention || e->column > indent || (e->column == indent && !e->whitespace))
		line_break(e);
	if (e->column < indent) {
		e->whitespace = true;
		for (int i = e->column; i < indent; i++)
			buf_putc(e->out, ' ');
		e->column = indent;
	}
}

static void increase_indent(struct emitter *e, bool flow, bool indentless)
{
	e->indents[e->nindents++] = e->indent;
	if (e->indent < 0)
		e->indent = flow ? BEST_INDENT : 0;
	else if (!indentless)
		e->indent += BEST_INDENT;
}

static void pop_indent(struct emitter *e) { e->indent = e->indents[--e->nindents]; }

/* ---- scalars ---- */

struct scalar {
	uint32_t *cp; /* code points */
	size_t n;
	bool implicit_plain; /* the resolver reads the plain text back as the same type */
};

struct analysis {
	bool empty, multiline, allow_flow_plain, allow_block_plain, allow_single, allow_block;
};

static bool is_break(uint32_t c) { return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }
static bool is_ws_or_end(uint32_t c) { return c == 0 || c == ' ' || c == '\t' || c == '\r' || is_break(c); }
static bool in_set(uint32_t c, const char *set) { return c < 0x80 && c && strchr(set, (int)c); }

static struct analysis analyze(const struct scalar *s)
{
	struct analysis r = { 0 };
	if (!s->n) {
		r.empty = true;
		r.allow_block_plain = r.allow_single = true;
		return r;
	}
	const uint32_t *c = s->cp;
	size_t n = s->n;
	bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
	bool leading_space = false, leading_break = false, trailing_space = false,
	     trailing_break = false, break_space = false, space_break = false;
	if (n >= 3 && ((c[0] == '-' && c[1] == '-' && c[2] == '-') || (c[0] == '.' && c[1] == '.' && c[2] == '.')))
		block_ind = flow_ind = true;
	bool preceded_ws = true, followed_ws = n == 1 || is_ws_or_end(c[1]);
	bool prev_space = false, prev_break = false;
	for (size_t i = 0; i < n; i++) {
		uint32_t ch = c[i];
		if (i == 0) {
			if (in_set(ch, "#,[]{}&*!|>'\"%@`"))
				flow_ind = block_ind = true;
			if (ch == '?' || ch == ':') {
				flow_ind = true;
				if (followed_ws)
					block_ind = true;
			}
			if (ch == '-' && followed_ws)
				flow_ind = block_ind = true;
		} else {
			if (in_set(ch, ",?[]{}"))
				flow_ind = true;
			if (ch == ':') {
				flow_ind = true;
				if (followed_ws)
					block_ind = true;
			}
			if (ch == '#' && preceded_ws)
				flow_ind = block_ind = true;
		}
		if (is_break(ch))
			line_breaks = true;
		if (!(ch == '\n' || (ch >= 0x20 && ch <= 0x7E)))
			special = true; /* allow_unicode is off: everything else is escaped */
		if (ch == ' ') {
			if (i == 0)
				leading_space = true;
			if (i == n - 1)
				trailing_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (is_break(ch)) {
			if (i == 0)
				leading_break = true;
			if (i == n - 1)
				trailing_break = true;
			if (prev_space)
				space_break = true;
			prev_space = false;
			prev_break = true;
		} else {
			prev_space = prev_break = false;
		}
		preceded_ws = is_ws_or_end(ch);
		followed_ws = i + 2 >= n || is_ws_or_end(c[i + 2]);
	}
	r.allow_flow_plain = r.allow_block_plain = r.allow_single = r.allow_block = true;
	if (leading_space || leading_break || trailing_space || trailing_break)
		r.allow_flow_plain = r.allow_block_plain = false;
	if (trailing_space)
		r.allow_block = false;
	if (break_space)
		r.allow_flow_plain = r.allow_block_plain = r.allow_single = false;
	if (space_break || special)
		r.allow_flow_plain = r.allow_block_plain = r.allow_single = r.allow_block = false;
	if (line_breaks)
		r.allow_flow_plain = r.allow_block_plain = false;
	if (flow_ind)
		r.allow_flow_plain = false;
	if (block_ind)
		r.allow_block_plain = false;
	r.multiline = line_breaks;
	return r;
}

static void put_cps(struct emitter *e, const uint32_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_putc(e->out, (char)c[i]); /* plain and single-quoted text is ASCII here */
	e->column += (int)n;
}

static void write_plain(struct emitter *e, const struct scalar *s, bool split)
{
	if (e->root_ctx)
		e->open_ended = true;
	if (!s->n)
		return;
	if (!e->whitespace)
		put(e, " ", 1, 1);
	e->whitespace = e->indention = false;
	bool spaces = false;
	size_t start = 0;
	for (size_t end = 0; end <= s->n; end++) {
		uint32_t ch = end < s->n ? s->cp[end] : 0;
		bool none = end == s->n;
		if (spaces) {
			if (ch != ' ' || none) {
				if (start + 1 == end && e->column > BEST_WIDTH && split) {
					write_indent(e);
					e->whitespace = e->indention = false;
				} else {
					put_cps(e, s->cp + start, end - start);
				}
				start = end;
			}
		} else if (none || ch == ' ') {
			put_cps(e, s->cp + start, end - start);
			start = end;
		}
		if (!none)
			spaces = ch == ' ';
	}
}

static void write_single_quoted(struct emitter *e, const struct scalar *s, bool split)
{
	write_indicator(e, "'", true, false, false);
	bool spaces = false, breaks = false;
	size_t start = 0;
	for (size_t end = 0; end <= s->n; end++) {
		bool none = end == s->n;
		uint32_t ch = none ? 0 : s->cp[end];
		if (spaces) {
			if (none || ch != ' ') {
				if (start + 1 == end && e->column > BEST_WIDTH && split && start != 0 && end != s->n)
					write_indent(e);
				else
					put_cps(e, s->cp + start, end - start);
				start = end;
			}
		} else if (breaks) {
			if (none || !is_break(ch)) {
				if (s->cp[start] == '\n')
					line_break(e);
				for (size_t i = start; i < end; i++)
					line_break(e); /* only \n reaches here: other breaks force double quotes */
				write_indent(e);
				start = end;
			}
		} else if (none || ch == ' ' || is_break(ch) || ch == '\'') {
			if (start < end) {
				put_cps(e, s->cp + start, end - start);
				start = end;
			}
		}
		if (ch == '\'' && !none) {
			put(e, "''", 2, 2);
			start = end + 1;
		}
		if (!none) {
			spaces = ch == ' ';
			breaks = is_break(ch);
		}
	}
	write_indicator(e, "'", false, false, false);
}

static const char *escape_of(uint32_t ch)
{
	switch (ch) {
	case 0: return "0";
	case 0x07: return "a";
	case 0x08: return "b";
	case 0x09: return "t";
	case 0x0A: return "n";
	case 0x0B: return "v";
	case 0x0C: return "f";
	case 0x0D: return "r";
	case 0x1B: return "e";
	case '"': return "\"";
	case '\\': return "\\";
	case 0x85: return "N";
	case 0xA0: return "_";
	case 0x2028: return "L";
	case 0x2029: return "P";
	default: return NULL;
	}
}

static void write_double_quoted(struct emitter *e, const struct scalar *s, bool split)
{
	write_indicator(e, "\"", true, false, false);
	size_t start = 0;
	for (size_t end = 0; end <= s->n; end++) {
		bool none = end == s->n;
		uint32_t ch = none ? 0 : s->cp[end];
		if (none || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 ||
		    ch == 0xFEFF || !(ch >= 0x20 && ch <= 0x7E)) {
			if (start < end) {
				put_cps(e, s->cp + start, end - start);
				start = end;
			}
			if (!none) {
				char esc[16];
				const char *r = escape_of(ch);
				if (r)
					snprintf(esc, sizeof(esc), "\\%s", r);
				else if (ch <= 0xFF)
					snprintf(esc, sizeof(esc), "\\x%02X", ch);
				else if (ch <= 0xFFFF)
					snprintf(esc, sizeof(esc), "\\u%04X", ch);
				else
					snprintf(esc, sizeof(esc), "\\U%08X", ch);
				put(e, esc, strlen(esc), (int)strlen(esc));
				start = end + 1;
			}
		}
		if (end > 0 && end + 1 < s->n && (ch == ' ' || start >= end) &&
		    e->column + (int)(end - start) > BEST_WIDTH && split) {
			if (start < end)
				put_cps(e, s->cp + start, end - start);
			put(e, "\\", 1, 1);
			if (start < end)
				start = end;
			write_indent(e);
			e->whitespace = e->indention = false;
			if (s->cp[start] == ' ')
				put(e, "\\", 1, 1);
		}
	}
	write_indicator(e, "\"", false, false, false);
}

/* ---- nodes ---- */

/* The scalar text PyYAML's SafeRepresenter makes of v; false when v is not a scalar it knows. */
static bool scalar_text(value v, struct buf *out, bool *is_str)
{
	*is_str = false;
	switch (v.type) {
	case VT_NONE:
		buf_puts(out, "null");
		return true;
	case VT_BOOL:
		buf_puts(out, v.b ? "true" : "false");
		return true;
	case VT_INT:
		buf_printf(out, "%lld", (long long)v.i);
		return true;
	case VT_FLOAT: {
		if (isnan(v.f)) {
			buf_puts(out, ".nan");
		} else if (isinf(v.f)) {
			buf_puts(out, v.f > 0 ? ".inf" : "-.inf");
		} else {
			char t[32];
			fmt_double(v.f, t);
			bool dot = strchr(t, '.') != NULL;
			for (const char *p = t; *p; p++) {
				if (*p == 'e' && !dot)
					buf_puts(out, ".0");
				buf_putc(out, *p);
			}
		}
		return true;
	}
	case VT_STR:
		buf_append(out, v.s, v.len);
		*is_str = true;
		return true;
	case VT_OBJ: {
		const struct vdatetime *dt = v_as_datetime(v);
		if (!dt)
			return false;
		/* date.isoformat() / datetime.isoformat(' ') */
		struct vdatetime d = *dt;
		buf_printf(out, "%04d-%02d-%02d", d.year, d.month, d.day);
		if (d.has_time) {
			buf_printf(out, " %02d:%02d:%02d", d.hour, d.minute, d.second);
			if (d.microsecond)
				buf_printf(out, ".%06d", d.microsecond);
			if (d.has_tz) {
				int off = d.utcoffset;
				buf_printf(out, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
			}
		}
		return true;
	}
	default:
		return false;
	}
}

static int process_anchor(struct emitter *e, value v, const char *indicator)
{
	const void *p = identity(v);
	struct anchor *a = p ? find_anchor(e, p) : NULL;
	if (!a || !a->id)
		return 0;
	char text[32];
	snprintf(text, sizeof(text), "%s%s%03d", indicator, "id", a->id);
	write_indicator(e, text, true, false, false);
	return 1;
}

/* The length of the tag PyYAML's check_simple_key counts ("!!str", "!!int", ...). */
static size_t tag_len(value v)
{
	switch (v.type) {
	case VT_NONE: return 6;  /* !!null */
	case VT_BOOL: return 6;  /* !!bool */
	case VT_INT: return 5;   /* !!int */
	case VT_FLOAT: return 7; /* !!float */
	case VT_STR: return 5;   /* !!str */
	case VT_LIST: return 5;  /* !!seq */
	case VT_DICT: return 5;  /* !!map */
	default: return 11;      /* !!timestamp */
	}
}

typedef VEC(uint32_t) cpvec;

static struct scalar make_scalar(const struct buf *text, cpvec *cps, bool is_str)
{
	cps->n = 0;
	for (size_t i = 0; i < text->n;) {
		uint32_t c;
		i += v_utf8_decode(text->p + i, text->n - i, &c);
		vec_push(cps, c);
	}
	struct scalar s = { cps->v, cps->n, true };
	if (is_str)
		s.implicit_plain = yaml_resolve_plain(buf_cstr(text), text->n) == YAML_T_STR;
	return s;
}

static struct anchor *anchor_of(struct emitter *e, value v)
{
	const void *p = identity(v);
	struct anchor *a = p ? find_anchor(e, p) : NULL;
	return a && a->id ? a : NULL;
}

/* Emitter.check_simple_key for the key k (s: its scalar, when it is one). */
static bool check_simple_key(struct emitter *e, value k, const struct scalar *s)
{
	struct anchor *a = anchor_of(e, k);
	size_t length = (a ? 5 : 0) + (a && a->emitted ? 0 : tag_len(k)) + (s ? s->n : 0);
	if (length >= 128)
		return false;
	if (a && a->emitted)
		return true; /* an alias */
	if (s)
		return s->n && !analyze(s).multiline;
	if (k.type == VT_LIST)
		return k.list->n == 0;
	if (k.type == VT_DICT)
		return k.dict->live == 0;
	return false;
}

static int fail(struct emitter *e, int code, value v)
{
	if (!e->err) {
		e->err = code;
		buf_printf(e->why, "cannot represent an object: %s", v_type_name(v));
	}
	return -1;
}

static int expect_scalar(struct emitter *e, const struct scalar *s)
{
	increase_indent(e, true, false);
	struct analysis an = analyze(s);
	int style; /* 0 plain, 1 single, 2 double */
	if (s->implicit_plain && !(e->simple_key_ctx && (an.empty || an.multiline)) &&
	    (e->flow_level ? an.allow_flow_plain : an.allow_block_plain))
		style = 0;
	else if (an.allow_single && !(e->simple_key_ctx && an.multiline))
		style = 1;
	else
		style = 2;
	bool split = !e->simple_key_ctx;
	if (style == 0)
		write_plain(e, s, split);
	else if (style == 1)
		write_single_quoted(e, s, split);
	else
		write_double_quoted(e, s, split);
	pop_indent(e);
	return 0;
}

/* One dict entry, for sorting. */
struct entry {
	value k, v;
};

/* sorted(mapping), or the mapping as it is when its keys do not order (PyYAML catches the
 * TypeError). */
static void sort_entries(struct entry *en, size_t n)
{
	struct entry *tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	memcpy(tmp, en, n * sizeof(*tmp));
	for (size_t i = 1; i < n; i++) { /* insertion sort: stable, as sorted() */
		struct entry x = tmp[i];
		size_t j = i;
		while (j > 0) {
			int c;
			if (v_compare(x.k, tmp[j - 1].k, &c) < 0) {
				free(tmp);
				return;
			}
			if (c >= 0)
				break;
			tmp[j] = tmp[j - 1];
			j--;
		}
		tmp[j] = x;
	}
	memcpy(en, tmp, n * sizeof(*tmp));
	free(tmp);
}

static int expect_node(struct emitter *e, value v, bool root, bool mapping, bool simple_key)
{
	e->root_ctx = root;
	e->mapping_ctx = mapping;
	e->simple_key_ctx = simple_key;
	if (++e->depth > YAML_MAX_DEPTH)
		return fail(e, YAML_WRITE_UNREPRESENTABLE, v);
	struct anchor *a = anchor_of(e, v);
	if (a && a->emitted) {
		process_anchor(e, v, "*");
		e->depth--;
		return 0;
	}
	if (a) {
		process_anchor(e, v, "&");
		a->emitted = true;
	}
	int rc = 0;
	struct buf text = BUF_INIT;
	bool is_str;
	if (v.type == VT_LIST) {
		if (e->flow_level || v.list->n == 0) {
			write_indicator(e, "[", true, true, false);
			write_indicator(e, "]", false, false, false);
		} else {
			increase_indent(e, false, e->mapping_ctx && !e->indention);
			for (uint32_t i = 0; i < v.list->n && rc == 0; i++) {
				write_indent(e);
				write_indicator(e, "-", true, false, true);
				rc = expect_node(e, v.list->v[i], false, false, false);
			}
			pop_indent(e);
		}
	} else if (v.type == VT_DICT) {
		if (e->flow_level || v.dict->live == 0) {
			write_indicator(e, "{", true, true, false);
			write_indicator(e, "}", false, false, false);
		} else {
			struct entry *en = xmalloc(v.dict->live * sizeof(*en));
			size_t n = 0;
			for (uint32_t i = 0; i < v.dict->n; i++)
				if (v.dict->k[i].type != VT_UNDEF)
					en[n++] = (struct entry){ v.dict->k[i], v.dict->v[i] };
			if (e->sort_keys)
				sort_entries(en, n);
			increase_indent(e, false, false);
			cpvec cps = { 0 };
			for (size_t i = 0; i < n && rc == 0; i++) {
				write_indent(e);
				buf_reset(&text);
				bool key_scalar = en[i].k.type != VT_LIST && scalar_text(en[i].k, &text, &is_str);
				struct scalar ks = key_scalar ? make_scalar(&text, &cps, is_str) : (struct scalar){ 0 };
				if (check_simple_key(e, en[i].k, key_scalar ? &ks : NULL)) {
					rc = expect_node(e, en[i].k, false, true, true);
					if (rc == 0) {
						write_indicator(e, ":", false, false, false);
						rc = expect_node(e, en[i].v, false, true, false);
					}
				} else {
					write_indicator(e, "?", true, false, true);
					rc = expect_node(e, en[i].k, false, true, false);
					if (rc == 0) {
						write_indent(e);
						write_indicator(e, ":", true, false, true);
						rc = expect_node(e, en[i].v, false, true, false);
					}
				}
			}
			vec_free(&cps);
			free(en);
			pop_indent(e);
		}
	} else if (scalar_text(v, &text, &is_str)) {
		cpvec cps = { 0 };
		struct scalar s = make_scalar(&text, &cps, is_str);
		rc = expect_scalar(e, &s);
		vec_free(&cps);
	} else {
		rc = fail(e, YAML_WRITE_UNREPRESENTABLE, v);
	}
	buf_release(&text);
	e->depth--;
	return rc;
}

int yaml_write(struct buf *out, value v, bool sort_keys, struct buf *why)
{
	struct emitter e = { 0 };
	struct buf tmp = BUF_INIT;
	e.out = &tmp;
	e.indent = -1;
	e.whitespace = e.indention = true;
	e.sort_keys = sort_keys;
	e.why = why;
	anchor_node(&e, v, 0);
	int rc = expect_node(&e, v, true, false, false);
	if (rc == 0) {
		write_indent(&e); /* the document's end */
		if (e.open_ended) {
			write_indicator(&e, "...", true, false, false);
			write_indent(&e);
		}
		buf_append(out, tmp.p, tmp.n);
	}
	buf_release(&tmp);
	vec_free(&e.anchors);
	return rc == 0 ? 0 : e.err;
}
