/* modules.re: Python's re module for templates (dbt exposes it as modules.re), on PCRE2.
 * Patterns use Python's syntax, which PCRE2 reads as is except \Z (Python's end of string,
 * PCRE2's \z). Offsets are given in characters, as Python's str indexes. Replacement templates
 * (\1, \g<1>, \g<name>, \n ...) are expanded here, as Python does. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "compile_int.h"

/* Python's flag values */
enum { RE_I = 2, RE_L = 4, RE_M = 8, RE_S = 16, RE_U = 32, RE_X = 64, RE_A = 256 };

struct re_pattern {
	value source; /* the pattern text */
	int64_t flags;
};

struct re_match {
	value subject;
	uint32_t ngroups;    /* capture groups, not counting group 0 */
	PCRE2_SIZE *ovector; /* 2 * (ngroups + 1) byte offsets; PCRE2_UNSET for unmatched */
	value names;         /* dict: group name -> index */
	value pattern;
};

static const struct vclass re_pattern_class, re_match_class;

/* Compiles with Python's flags; on error reports Python's error class and PCRE2's message. */
static pcre2_code *re_compile(struct jstate *st, value pat, int64_t flags)
{
	struct buf b = BUF_INIT;
	for (uint32_t i = 0; i < pat.len; i++) {
		if (pat.s[i] == '\\' && i + 1 < pat.len) {
			if (pat.s[i + 1] == 'Z') {
				buf_puts(&b, "\\z");
			} else {
				buf_putc(&b, '\\');
				buf_putc(&b, pat.s[i + 1]);
			}
			i++;
			continue;
		}
		buf_putc(&b, pat.s[i]);
	}
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	if (!(flags & RE_A))
		opts |= PCRE2_UCP;
	if (flags & RE_I)
		opts |= PCRE2_CASELESS;
	if (flags & RE_M)
		opts |= PCRE2_MULTILINE;
	if (flags & RE_S)
		opts |= PCRE2_DOTALL;
	if (flags & RE_X)
		opts |= PCRE2_EXTENDED;
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)buf_cstr(&b), b.n, opts, &err, &off, NULL);
	buf_release(&b);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof(msg));
		jinja_error(st, "re.error: %s at position %zu", (const char *)msg, (size_t)off);
	}
	return code;
}

static size_t cp_index(const char *s, size_t byte_off)
{
	size_t n = 0;
	for (size_t i = 0; i < byte_off; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static value make_match(struct jstate *st, pcre2_code *code, pcre2_match_data *md, value subject,
                        value pattern)
{
	struct arena *a = jinja_arena(st);
	struct re_match *m = arena_alloc(a, sizeof(*m));
	uint32_t cap = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
	m->subject = subject;
	m->ngroups = cap;
	m->pattern = pattern;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t pairs = pcre2_get_ovector_count(md);
	m->ovector = arena_alloc(a, 2 * (cap + 1) * sizeof(PCRE2_SIZE));
	for (uint32_t i = 0; i <= cap; i++) {
		m->ovector[2 * i] = i < pairs ? ov[2 * i] : PCRE2_UNSET;
		m->ovector[2 * i + 1] = i < pairs ? ov[2 * i + 1] : PCRE2_UNSET;
	}
	m->names = v_dict(a, 0);
	uint32_t namecount = 0, entry = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &namecount);
	pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < namecount; i++) {
		const unsigned char *e = table + i * entry;
		int idx = (e[0] << 8) | e[1];
		vdict_set(m->names.dict, v_strdup(a, (const char *)e + 2, strlen((const char *)e + 2)),
		          v_int(idx));
	}
	return v_obj(a, &re_match_class, m);
}

/* The pattern and flags from (pattern-or-Pattern, flags). */
static int pattern_arg(struct jstate *st, value p, value flagsv, value *src, int64_t *flags)
{
	*flags = flagsv.type == VT_INT ? flagsv.i : 0;
	if (p.type == VT_OBJ && p.obj->cls == &re_pattern_class) {
		const struct re_pattern *rp = p.obj->data;
		*src = rp->source;
		*flags |= rp->flags;
		return 0;
	}
	if (p.type != VT_STR)
		return jinja_error(st, "first argument must be string or compiled pattern");
	*src = p;
	return 0;
}

/* The compiled pattern for (pattern-or-Pattern, flags) applied to subject, which must be a str;
 * NULL after reporting the error. The caller frees it. */
static pcre2_code *compile_for(struct jstate *st, value pat, value flagsv, value subject)
{
	value src = v_undef();
	int64_t flags = 0;
	if (pattern_arg(st, pat, flagsv, &src, &flags) < 0)
		return NULL;
	if (subject.type != VT_STR) {
		jinja_error(st, "expected string, got %s", v_type_name(subject));
		return NULL;
	}
	return re_compile(st, src, flags);
}

enum { M_SEARCH, M_MATCH, M_FULLMATCH };

static int do_match(struct jstate *st, value pat, int64_t flags, value s, int kind, value pattern,
                    value *out)
{
	if (s.type != VT_STR)
		return jinja_error(st, "expected string, got %s", v_type_name(s));
	pcre2_code *code = re_compile(st, pat, flags);
	if (!code)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
	uint32_t mo = kind == M_MATCH ? PCRE2_ANCHORED : kind == M_FULLMATCH ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0;
	int rc = pcre2_match(code, (PCRE2_SPTR)s.s, s.len, 0, mo, md, NULL);
	*out = rc >= 0 ? make_match(st, code, md, s, pattern) : v_none();
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		return jinja_error(st, "re: matching failed (%d)", rc);
	return 0;
}

/* Every match of code in s, Python-style: after an empty match, the next one may not be empty
 * at the same place. Calls each(m) with the match data; stops after `limit` (0 = all). */
typedef int (*each_fn)(struct jstate *st, void *ud, pcre2_code *code, pcre2_match_data *md);
static int for_each_match(struct jstate *st, pcre2_code *code, value s, int64_t limit, each_fn each,
                          void *ud)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
	PCRE2_SIZE start = 0;
	uint32_t opts = 0;
	int64_t n = 0;
	int result = 0;
	while (start <= s.len && (!limit || n < limit)) {
		int rc = pcre2_match(code, (PCRE2_SPTR)s.s, s.len, start, opts, md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH) {
			if (!opts)
				break;
			/* no non-empty match here: step one character */
			opts = 0;
			start++;
			while (start < s.len && ((unsigned char)s.s[start] & 0xc0) == 0x80)
				start++;
			continue;
		}
		if (rc < 0) {
			result = jinja_error(st, "re: matching failed (%d)", rc);
			break;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (each(st, ud, code, md) < 0) {
			result = -1;
			break;
		}
		n++;
		start = ov[1];
		opts = ov[0] == ov[1] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
	}
	pcre2_match_data_free(md);
	return result;
}

static value group_value(struct jstate *st, const PCRE2_SIZE *ov, uint32_t g, value subject, value dflt)
{
	if (ov[2 * g] == PCRE2_UNSET)
		return dflt;
	return v_str(subject.s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	(void)st;
}

/* ---- findall ---- */
struct findall_ud {
	value list, subject;
};
static int findall_each(struct jstate *st, void *ud, pcre2_code *code, pcre2_match_data *md)
{
	struct findall_ud *f = ud;
	uint32_t cap = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	if (cap == 0) {
		vlist_push(f->list.list, group_value(st, ov, 0, f->subject, v_str("", 0)));
	} else if (cap == 1) {
		vlist_push(f->list.list, group_value(st, ov, 1, f->subject, v_str("", 0)));
	} else {
		value t = v_list(jinja_arena(st), cap);
		for (uint32_t g = 1; g <= cap; g++)
			vlist_push(t.list, group_value(st, ov, g, f->subject, v_str("", 0)));
		t.flags = VF_TUPLE;
		vlist_push(f->list.list, t);
	}
	return 0;
}

/* ---- sub ---- */
struct sub_ud {
	value subject, repl, pattern;
	struct buf *out;
	PCRE2_SIZE last;
	int64_t count;
};

/* Python's template expansion: \1..\99, \g<n>, \g<name>, and the escapes \n \t \\ ... */
static int expand_repl(struct jstate *st, struct str t, pcre2_code *code, const PCRE2_SIZE *ov,
                       value subject, struct buf *out)
{
	uint32_t cap = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];
		if (c != '\\' || i + 1 >= t.n) {
			buf_putc(out, c);
			continue;
		}
		char e = t.p[++i];
		long g = -1;
		if (e >= '0' && e <= '9') {
			g = e - '0';
			if (i + 1 < t.n && t.p[i + 1] >= '0' && t.p[i + 1] <= '9')
				g = g * 10 + (t.p[++i] - '0');
		} else if (e == 'g' && i + 1 < t.n && t.p[i + 1] == '<') {
			size_t j = i + 2;
			while (j < t.n && t.p[j] != '>')
				j++;
			if (j >= t.n)
				return jinja_error(st, "re.error: missing >, unterminated name");
			struct str name = str_make(t.p + i + 2, j - i - 2);
			char *endp;
			char *tmp = xmemdup0(name.p, name.n);
			g = strtol(tmp, &endp, 10);
			if (!name.n || *endp) {
				int num = pcre2_substring_number_from_name(code, (PCRE2_SPTR)tmp);
				g = num;
				if (num < 0) {
					jinja_error(st, "IndexError: unknown group name '%s'", tmp);
					free(tmp);
					return -1;
				}
			}
			free(tmp);
			i = j;
		} else {
			const char *esc = e == 'n' ? "\n" : e == 't' ? "\t" : e == 'r' ? "\r" : e == '\\' ? "\\"
			                  : e == 'a' ? "\a" : e == 'f' ? "\f" : e == 'v' ? "\v" : NULL;
			if (esc) {
				buf_puts(out, esc);
			} else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
				return jinja_error(st, "re.error: bad escape \\%c", e);
			} else {
				buf_putc(out, '\\');
				buf_putc(out, e);
			}
			continue;
		}
		if (g < 0 || (uint32_t)g > cap)
			return jinja_error(st, "re.error: invalid group reference %ld", g);
		if (ov[2 * g] != PCRE2_UNSET)
			buf_append(out, subject.s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	return 0;
}

static int sub_each(struct jstate *st, void *ud, pcre2_code *code, pcre2_match_data *md)
{
	struct sub_ud *s = ud;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	buf_append(s->out, s->subject.s + s->last, ov[0] - s->last);
	if (s->repl.type == VT_STR) {
		if (expand_repl(st, v_as_str(s->repl), code, ov, s->subject, s->out) < 0)
			return -1;
	} else {
		value m = make_match(st, code, md, s->subject, s->pattern), r;
		struct vargs a = { &m, 1, 0, NULL };
		if (jinja_call(st, s->repl, &a, &r) < 0)
			return -1;
		jinja_to_str(r, s->out);
	}
	s->last = ov[1];
	s->count++;
	return 0;
}

/* ---- split ---- */
struct split_ud {
	value list, subject;
	PCRE2_SIZE last;
};
static int split_each(struct jstate *st, void *ud, pcre2_code *code, pcre2_match_data *md)
{
	struct split_ud *sp = ud;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t cap = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
	vlist_push(sp->list.list, v_str(sp->subject.s + sp->last, ov[0] - sp->last));
	for (uint32_t g = 1; g <= cap; g++)
		vlist_push(sp->list.list, group_value(st, ov, g, sp->subject, v_none()));
	sp->last = ov[1];
	return 0;
}

/* ---- the module's functions ---- */

enum re_op { OP_SEARCH, OP_MATCH, OP_FULLMATCH, OP_FINDALL, OP_SUB, OP_SPLIT, OP_COMPILE, OP_ESCAPE };

static int re_fn(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	enum re_op op = (enum re_op)(intptr_t)data;
	/* bound to a Pattern object: its pattern comes first */
	value argv[6] = { v_undef(), v_undef(), v_undef(), v_undef(), v_undef(), v_undef() };
	uint32_t off = self.type == VT_OBJ ? 1 : 0;
	if (off)
		argv[0] = self;
	static const char *const names[][5] = {
		[OP_SEARCH] = { "pattern", "string", "flags" },
		[OP_MATCH] = { "pattern", "string", "flags" },
		[OP_FULLMATCH] = { "pattern", "string", "flags" },
		[OP_FINDALL] = { "pattern", "string", "flags" },
		[OP_SUB] = { "pattern", "repl", "string", "count", "flags" },
		[OP_SPLIT] = { "pattern", "string", "maxsplit", "flags" },
		[OP_COMPILE] = { "pattern", "flags" },
		[OP_ESCAPE] = { "pattern" },
	};
	for (uint32_t i = off; i < 5 && names[op][i]; i++)
		jinja_arg(args, i - off, names[op][i], &argv[i]);
	struct arena *a = jinja_arena(st);
	value src;
	int64_t flags;
	switch (op) {
	case OP_ESCAPE: {
		if (argv[0].type != VT_STR)
			return jinja_error(st, "re.escape() wants a string");
		struct buf b = BUF_INIT;
		for (uint32_t i = 0; i < argv[0].len; i++) {
			unsigned char c = (unsigned char)argv[0].s[i];
			if (c < 0x80 && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9') && c != '_')
				buf_putc(&b, '\\');
			buf_putc(&b, (char)c);
		}
		*out = v_buf(a, &b);
		buf_release(&b);
		return 0;
	}
	case OP_COMPILE: {
		if (pattern_arg(st, argv[0], argv[1], &src, &flags) < 0)
			return -1;
		pcre2_code *code = re_compile(st, src, flags); /* report errors now, as Python does */
		if (!code)
			return -1;
		pcre2_code_free(code);
		struct re_pattern *p = arena_alloc(a, sizeof(*p));
		p->source = src;
		p->flags = flags;
		*out = v_obj(a, &re_pattern_class, p);
		return 0;
	}
	case OP_SEARCH:
	case OP_MATCH:
	case OP_FULLMATCH:
		if (pattern_arg(st, argv[0], argv[2], &src, &flags) < 0)
			return -1;
		return do_match(st, src, flags, argv[1], op == OP_SEARCH ? M_SEARCH : op == OP_MATCH ? M_MATCH : M_FULLMATCH,
		                argv[0], out);
	case OP_FINDALL: {
		pcre2_code *code = compile_for(st, argv[0], argv[2], argv[1]);
		if (!code)
			return -1;
		struct findall_ud f = { v_list(a, 0), argv[1] };
		int rc = for_each_match(st, code, argv[1], 0, findall_each, &f);
		pcre2_code_free(code);
		*out = f.list;
		return rc;
	}
	case OP_SUB: {
		pcre2_code *code = compile_for(st, argv[0], argv[4], argv[2]);
		if (!code)
			return -1;
		struct buf b = BUF_INIT;
		struct sub_ud s = { argv[2], argv[1], argv[0], &b, 0, 0 };
		int64_t count = argv[3].type == VT_INT ? argv[3].i : 0;
		int rc = for_each_match(st, code, argv[2], count, sub_each, &s);
		pcre2_code_free(code);
		if (rc == 0) {
			buf_append(&b, argv[2].s + s.last, argv[2].len - s.last);
			*out = v_buf(a, &b);
		}
		buf_release(&b);
		return rc;
	}
	case OP_SPLIT: {
		pcre2_code *code = compile_for(st, argv[0], argv[3], argv[1]);
		if (!code)
			return -1;
		struct split_ud sp = { v_list(a, 0), argv[1], 0 };
		int64_t max = argv[2].type == VT_INT ? argv[2].i : 0;
		int rc = for_each_match(st, code, argv[1], max, split_each, &sp);
		pcre2_code_free(code);
		vlist_push(sp.list.list, v_str(argv[1].s + sp.last, argv[1].len - sp.last));
		*out = sp.list;
		return rc;
	}
	}
	return jinja_error(st, "re: unknown operation");
}

/* ---- Match objects ---- */

static int match_group_index(struct jstate *st, const struct re_match *m, value g, uint32_t *out)
{
	value idx;
	if (g.type == VT_INT && g.i >= 0 && (uint64_t)g.i <= m->ngroups) {
		*out = (uint32_t)g.i;
		return 0;
	}
	if (g.type == VT_STR && vdict_get(m->names.dict, g, &idx)) {
		*out = (uint32_t)idx.i;
		return 0;
	}
	return jinja_error(st, "IndexError: no such group");
}

enum { MM_GROUP, MM_GROUPS, MM_GROUPDICT, MM_START, MM_END, MM_SPAN };

static int match_method(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	const struct re_match *m = self.obj->data;
	struct arena *a = jinja_arena(st);
	int which = (int)(intptr_t)data;
	value dflt = v_none();
	switch (which) {
	case MM_GROUP: {
		if (args->npos <= 1) {
			uint32_t g = 0;
			if (args->npos && match_group_index(st, m, args->pos[0], &g) < 0)
				return -1;
			*out = group_value(st, m->ovector, g, m->subject, v_none());
			return 0;
		}
		value t = v_list(a, args->npos);
		for (uint32_t i = 0; i < args->npos; i++) {
			uint32_t g;
			if (match_group_index(st, m, args->pos[i], &g) < 0)
				return -1;
			vlist_push(t.list, group_value(st, m->ovector, g, m->subject, v_none()));
		}
		t.flags = VF_TUPLE;
		*out = t;
		return 0;
	}
	case MM_GROUPS: {
		jinja_arg(args, 0, "default", &dflt);
		value t = v_list(a, m->ngroups);
		for (uint32_t g = 1; g <= m->ngroups; g++)
			vlist_push(t.list, group_value(st, m->ovector, g, m->subject, dflt));
		t.flags = VF_TUPLE;
		*out = t;
		return 0;
	}
	case MM_GROUPDICT: {
		jinja_arg(args, 0, "default", &dflt);
		value d = v_dict(a, m->names.dict->live);
		for (uint32_t i = 0; i < m->names.dict->n; i++) {
			const struct ventry e_at = vdict_at(m->names.dict, i), *e = &e_at;
			if (e->k.type != VT_UNDEF)
				vdict_set(d.dict, e->k, group_value(st, m->ovector, (uint32_t)e->v.i, m->subject, dflt));
		}
		*out = d;
		return 0;
	}
	default: {
		uint32_t g = 0;
		if (args->npos && match_group_index(st, m, args->pos[0], &g) < 0)
			return -1;
		int64_t s = -1, e = -1;
		if (m->ovector[2 * g] != PCRE2_UNSET) {
			s = (int64_t)cp_index(m->subject.s, m->ovector[2 * g]);
			e = (int64_t)cp_index(m->subject.s, m->ovector[2 * g + 1]);
		}
		if (which == MM_START)
			*out = v_int(s);
		else if (which == MM_END)
			*out = v_int(e);
		else
			*out = v_tuple(a, 2, (value[]){ v_int(s), v_int(e) });
		return 0;
	}
	}
}

static int match_getattr(struct jstate *st, value self, struct str name, value *out)
{
	static const struct {
		const char *name;
		int which;
	} methods[] = { { "group", MM_GROUP }, { "groups", MM_GROUPS }, { "groupdict", MM_GROUPDICT },
		        { "start", MM_START }, { "end", MM_END },       { "span", MM_SPAN } };
	const struct re_match *m = self.obj->data;
	for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
		if (str_eqc(name, methods[i].name)) {
			*out = v_func(jinja_arena(st), methods[i].name, match_method,
			              (void *)(intptr_t)methods[i].which, self);
			return 1;
		}
	}
	if (str_eqc(name, "string")) {
		*out = m->subject;
		return 1;
	}
	if (str_eqc(name, "lastindex")) {
		*out = v_none();
		for (uint32_t g = m->ngroups; g >= 1; g--)
			if (m->ovector[2 * g] != PCRE2_UNSET) {
				*out = v_int(g);
				break;
			}
		return 1;
	}
	return 0;
}

static void match_repr(value self, struct buf *out)
{
	const struct re_match *m = self.obj->data;
	buf_printf(out, "<re.Match object; span=(%zu, %zu), match=", cp_index(m->subject.s, m->ovector[0]),
	           cp_index(m->subject.s, m->ovector[1]));
	v_repr_str(str_make(m->subject.s + m->ovector[0], m->ovector[1] - m->ovector[0]), out);
	buf_putc(out, '>');
}

static int re_call_getitem(struct jstate *st, value self, value key, value *out)
{
	const struct re_match *m = self.obj->data;
	uint32_t g = 0;
	if (match_group_index(st, m, key, &g) < 0)
		return -1;
	*out = group_value(st, m->ovector, g, m->subject, v_none());
	return 1;
}

static const struct vclass re_match_class = {
	.name = "re.Match", .getattr = match_getattr, .getitem = re_call_getitem, .str = match_repr
};

/* ---- Pattern objects: the module's functions bound to a compiled pattern ---- */

static int pattern_getattr(struct jstate *st, value self, struct str name, value *out)
{
	static const struct {
		const char *name;
		enum re_op op;
	} methods[] = { { "search", OP_SEARCH }, { "match", OP_MATCH }, { "fullmatch", OP_FULLMATCH },
		        { "findall", OP_FINDALL }, { "sub", OP_SUB },     { "split", OP_SPLIT } };
	const struct re_pattern *p = self.obj->data;
	for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
		if (str_eqc(name, methods[i].name)) {
			*out = v_func(jinja_arena(st), methods[i].name, re_fn, (void *)(intptr_t)methods[i].op, self);
			return 1;
		}
	}
	if (str_eqc(name, "pattern")) {
		*out = p->source;
		return 1;
	}
	if (str_eqc(name, "flags")) {
		*out = v_int(p->flags | RE_U);
		return 1;
	}
	return 0;
}

static void pattern_repr(value self, struct buf *out)
{
	const struct re_pattern *p = self.obj->data;
	buf_puts(out, "re.compile(");
	v_repr_str(v_as_str(p->source), out);
	buf_putc(out, ')');
}

static const struct vclass re_pattern_class = {
	.name = "re.Pattern", .getattr = pattern_getattr, .str = pattern_repr
};

value dbt_module_re(struct arena *a)
{
	static const struct {
		const char *name;
		enum re_op op;
	} fns[] = { { "search", OP_SEARCH },   { "match", OP_MATCH }, { "fullmatch", OP_FULLMATCH },
		    { "findall", OP_FINDALL }, { "sub", OP_SUB },     { "split", OP_SPLIT },
		    { "compile", OP_COMPILE }, { "escape", OP_ESCAPE } };
	value ns = v_dict(a, 24);
	ns.flags = VF_NAMESPACE;
	for (size_t i = 0; i < ARRAY_LEN(fns); i++)
		vdict_sets(ns.dict, fns[i].name, v_func(a, fns[i].name, re_fn, (void *)(intptr_t)fns[i].op, v_undef()));
	static const struct {
		const char *name;
		int64_t v;
	} flags[] = { { "I", RE_I }, { "IGNORECASE", RE_I }, { "M", RE_M }, { "MULTILINE", RE_M },
		      { "S", RE_S }, { "DOTALL", RE_S },     { "X", RE_X }, { "VERBOSE", RE_X },
		      { "A", RE_A }, { "ASCII", RE_A },      { "U", RE_U }, { "UNICODE", RE_U },
		      { "L", RE_L }, { "LOCALE", RE_L } };
	for (size_t i = 0; i < ARRAY_LEN(flags); i++)
		vdict_sets(ns.dict, flags[i].name, v_int(flags[i].v));
	return ns;
}
