/* The Jinja lexer with Jinja2's default delimiters and whitespace rules: `{%-`/`-%}` strip all
 * whitespace on that side, `{%+`/`+%}` are accepted, `{% raw %}` passes text through, comments
 * are dropped, newlines are normalised to \n and one trailing newline of the template is dropped
 * (keep_trailing_newline false). Inside a tag, `}}`/`%}` only close it when brackets balance. */
#include <errno.h>

#include "lex.h"

struct lexer {
	const char *src;
	size_t len, pos;
	int line;
	size_t line_start;
	const char *name;
	struct diag *d;
	struct arena *a;
	VEC(struct token) toks;
	bool failed;
};

static void lex_error(struct lexer *lx, size_t off, const char *fmt, const char *arg)
{
	if (lx->failed)
		return;
	int line, col;
	text_position(lx->src, off, &line, &col);
	diag_add(lx->d, DIAG_ERROR, lx->name, line, col, lx->src, lx->len, fmt, arg);
	lx->failed = true;
}

/* Moves pos to `to`, keeping line/line_start right. */
static void advance_scan(struct lexer *lx, size_t to)
{
	const char *p = lx->src + lx->pos, *end = lx->src + to;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		lx->line++;
		lx->line_start = (size_t)(nl - lx->src) + 1;
		p = nl + 1;
	}
	lx->pos = to;
}
static inline void advance(struct lexer *lx, size_t to)
{
	if (to > lx->pos)
		advance_scan(lx, to);
	else
		lx->pos = to;
}

static inline struct token *push(struct lexer *lx, int type, size_t off)
{
	if (unlikely(lx->toks.n == lx->toks.cap)) {
		lx->toks.cap = lx->toks.cap ? lx->toks.cap * 2 : 256;
		lx->toks.v = xrealloc(lx->toks.v, lx->toks.cap * sizeof(struct token));
	}
	struct token *tk = &lx->toks.v[lx->toks.n++];
	tk->type = (uint8_t)type;
	tk->op = 0;
	tk->off = (uint32_t)off;
	tk->line = lx->line;
	tk->col = (int)(off - lx->line_start) + 1;
	return tk;
}

/* Character classes, so the inner loops test one table entry per byte. */
enum { C_WS = 1, C_NAME_START = 2, C_NAME = 4, C_DIGIT = 8 };
static const uint8_t ccls[256] = {
	['\t'] = C_WS, ['\n'] = C_WS, ['\v'] = C_WS, ['\f'] = C_WS, ['\r'] = C_WS, [' '] = C_WS,
	['0' ... '9'] = C_NAME | C_DIGIT,
	['A' ... 'Z'] = C_NAME_START | C_NAME,
	['a' ... 'z'] = C_NAME_START | C_NAME,
	['_'] = C_NAME_START | C_NAME,
	[0x80 ... 0xff] = C_NAME_START | C_NAME,
};
static inline bool is_ws(char c) { return ccls[(unsigned char)c] & C_WS; }
static inline bool is_name_start(unsigned char c) { return ccls[c] & C_NAME_START; }
static inline bool is_name_char(unsigned char c) { return ccls[c] & C_NAME; }
static inline bool is_digit(char c) { return ccls[(unsigned char)c] & C_DIGIT; }

static size_t skip_ws(const struct lexer *lx, size_t p)
{
	while (p < lx->len && is_ws(lx->src[p]))
		p++;
	return p;
}

/* skip_ws inside a tag, counting the newlines it passes */
static inline size_t skip_ws_lines(struct lexer *lx, size_t p)
{
	const char *s = lx->src;
	while (p < lx->len && is_ws(s[p])) {
		if (s[p] == '\n') {
			lx->line++;
			lx->line_start = p + 1;
		}
		p++;
	}
	return p;
}

/* Does `{% raw %}` (any of -, + and spacing) start at p? Sets *after to the end of its tag and
 * *strip_after when it ends with `-%}`. */
static bool match_tag(const struct lexer *lx, size_t p, const char *word, size_t *after,
                      bool *strip_before, bool *strip_after)
{
	if (p + 2 > lx->len || lx->src[p] != '{' || lx->src[p + 1] != '%')
		return false;
	p += 2;
	*strip_before = false;
	if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+')) {
		*strip_before = lx->src[p] == '-';
		p++;
	}
	p = skip_ws(lx, p);
	size_t wl = strlen(word);
	if (p + wl > lx->len || memcmp(lx->src + p, word, wl) != 0)
		return false;
	p += wl;
	if (p < lx->len && is_name_char((unsigned char)lx->src[p]))
		return false;
	p = skip_ws(lx, p);
	*strip_after = false;
	if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+')) {
		*strip_after = lx->src[p] == '-';
		p++;
	}
	if (p + 2 > lx->len || lx->src[p] != '%' || lx->src[p + 1] != '}')
		return false;
	*after = p + 2;
	return true;
}

/* Cheap pre-check for match_tag(..., "raw"): the first word of the tag starts with 'r'. */
static inline bool might_be_raw(const struct lexer *lx, size_t p)
{
	p += 2;
	if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+'))
		p++;
	while (p < lx->len && is_ws(lx->src[p]))
		p++;
	return p < lx->len && lx->src[p] == 'r';
}

static void push_text(struct lexer *lx, size_t start, size_t end)
{
	if (end <= start)
		return;
	struct token *tk = push(lx, T_TEXT, start);
	tk->s = str_make(lx->src + start, end - start);
	advance(lx, end);
}

/* Decodes a Python-style string literal body (between the quotes). */
static struct str decode_string(struct lexer *lx, const char *p, size_t n)
{
	if (!memchr(p, '\\', n))
		return str_make(p, n);
	char *o = arena_alloc(lx->a, n + 1), *w = o;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\' || i + 1 >= n) {
			*w++ = p[i];
			continue;
		}
		char c = p[++i];
		uint32_t cp;
		int digits;
		switch (c) {
		case 'n': *w++ = '\n'; continue;
		case 't': *w++ = '\t'; continue;
		case 'r': *w++ = '\r'; continue;
		case '\\': *w++ = '\\'; continue;
		case '\'': *w++ = '\''; continue;
		case '"': *w++ = '"'; continue;
		case 'a': *w++ = '\a'; continue;
		case 'b': *w++ = '\b'; continue;
		case 'f': *w++ = '\f'; continue;
		case 'v': *w++ = '\v'; continue;
		case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
			cp = 0;
			int k = 0;
			while (k < 3 && i < n && p[i] >= '0' && p[i] <= '7') {
				cp = cp * 8 + (uint32_t)(p[i] - '0');
				i++;
				k++;
			}
			i--;
			goto emit;
		}
		case 'x': digits = 2; goto hex;
		case 'u': digits = 4; goto hex;
		case 'U': digits = 8; goto hex;
		case '\n': continue; /* line continuation */
		default:
			*w++ = '\\';
			*w++ = c;
			continue;
		}
	hex:
		cp = 0;
		for (int k = 0; k < digits; k++) {
			char h = i + 1 + (size_t)k < n ? p[i + 1 + (size_t)k] : 0;
			int v = is_digit(h) ? h - '0' : ((h | 32) >= 'a' && (h | 32) <= 'f') ? (h | 32) - 'a' + 10 : -1;
			if (v < 0) {
				*w++ = '\\';
				*w++ = c;
				goto next;
			}
			cp = cp * 16 + (uint32_t)v;
		}
		i += (size_t)digits;
	emit:
		if (cp < 0x80) {
			*w++ = (char)cp;
		} else if (cp < 0x800) {
			*w++ = (char)(0xc0 | (cp >> 6));
			*w++ = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*w++ = (char)(0xe0 | (cp >> 12));
			*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*w++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*w++ = (char)(0xf0 | (cp >> 18));
			*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
			*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*w++ = (char)(0x80 | (cp & 0x3f));
		}
	next:;
	}
	*w = 0;
	return str_make(o, (size_t)(w - o));
}

/* Number at p: Jinja2's integer (with _ separators, 0b/0o/0x) and float forms. */
static size_t lex_number(struct lexer *lx, size_t p)
{
	const char *s = lx->src;
	size_t start = p, end = lx->len;
	char pre = p + 1 < end ? (char)(s[p + 1] | 32) : 0;
	if (s[p] == '0' && (pre == 'x' || pre == 'o' || pre == 'b')) {
		int base = pre == 'x' ? 16 : pre == 'o' ? 8 : 2;
		p += 2;
		int64_t v = 0;
		size_t digits = 0;
		while (p < end) {
			char c = (char)(s[p] | 32);
			int d = is_digit(s[p]) ? s[p] - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : s[p] == '_' ? -2 : -1;
			if (d == -2) {
				p++;
				continue;
			}
			if (d < 0 || d >= base)
				break;
			if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v)) {
				lex_error(lx, start, "integer literal too large", NULL);
				return end;
			}
			digits++;
			p++;
		}
		if (!digits) {
			lex_error(lx, start, "invalid number literal", NULL);
			return p;
		}
		struct token *tk = push(lx, T_INT, start);
		tk->i = v;
		return p;
	}
	char num[128];
	size_t w = 0;
	bool is_float = false;
	while (p < end && (is_digit(s[p]) || (s[p] == '_' && p + 1 < end && is_digit(s[p + 1])))) {
		if (s[p] != '_' && w < sizeof(num) - 8)
			num[w++] = s[p];
		p++;
	}
	if (p + 1 < end && s[p] == '.' && is_digit(s[p + 1])) {
		is_float = true;
		num[w++] = s[p++];
		while (p < end && (is_digit(s[p]) || (s[p] == '_' && p + 1 < end && is_digit(s[p + 1])))) {
			if (s[p] != '_' && w < sizeof(num) - 8)
				num[w++] = s[p];
			p++;
		}
	}
	if (p < end && (s[p] | 32) == 'e') {
		size_t q = p + 1;
		if (q < end && (s[q] == '+' || s[q] == '-'))
			q++;
		if (q < end && is_digit(s[q])) {
			is_float = true;
			num[w++] = 'e';
			if (s[p + 1] == '-' || s[p + 1] == '+')
				num[w++] = s[p + 1];
			p = q;
			while (p < end && (is_digit(s[p]) || s[p] == '_')) {
				if (s[p] != '_' && w < sizeof(num) - 2)
					num[w++] = s[p];
				p++;
			}
		}
	}
	num[w] = 0;
	if (is_float) {
		struct token *tk = push(lx, T_FLOAT, start);
		tk->f = strtod(num, NULL);
	} else {
		struct token *tk = push(lx, T_INT, start);
		errno = 0;
		tk->i = strtoll(num, NULL, 10);
		if (errno == ERANGE)
			lex_error(lx, start, "integer literal too large", NULL);
	}
	return p;
}

/* Lexes the inside of a tag up to its end delimiter (`}}` or `%}`). Returns the position after
 * the delimiter and sets *strip when it was `-}}`/`-%}`; on end of input, returns len. */
/* Closes a tag at p: pushes the end token and returns the position after the delimiter. */
static size_t end_tag(struct lexer *lx, size_t p, size_t after, char close)
{
	push(lx, close == '}' ? T_VAR_END : T_BLOCK_END, p);
	lx->pos = after;
	return after;
}

static int bracket_error(struct lexer *lx, size_t p, char op, const char *stack, int depth)
{
	char what[32];
	if (depth < 0)
		snprintf(what, sizeof(what), "%c", op);
	else
		snprintf(what, sizeof(what), "%c', expected '%c", op, stack[depth]);
	lex_error(lx, p, "unexpected '%s'", what);
	return -1;
}

static size_t lex_tag(struct lexer *lx, size_t p, char close, bool *strip)
{
	const char *s = lx->src;
	const size_t len = lx->len;
	int depth = 0;
	char stack[64];
	*strip = false;
	while (!lx->failed) {
		p = skip_ws_lines(lx, p);
		if (p >= len) {
			lx->pos = p;
			return p;
		}
		unsigned char c = (unsigned char)s[p];
		if (ccls[c] & C_NAME_START) {
			size_t q = p + 1;
			while (q < len && is_name_char((unsigned char)s[q]))
				q++;
			struct token *tk = push(lx, T_NAME, p);
			tk->s = str_make(s + p, q - p);
			p = q;
			continue;
		}
		if (ccls[c] & C_DIGIT) {
			p = lex_number(lx, p);
			continue;
		}
		char n = p + 1 < len ? s[p + 1] : 0;
		int op = c;
		size_t oplen = 1;
		switch (c) {
		case '\'':
		case '"': {
			/* the newlines inside the string are counted after its token, which
			 * takes the line it starts on */
			size_t q = p + 1;
			int lines = 0;
			size_t lstart = 0;
			while (q < len && s[q] != (char)c) {
				if (s[q] == '\\')
					q++;
				if (q < len && s[q] == '\n') {
					lines++;
					lstart = q + 1;
				}
				q++;
			}
			if (q >= len) {
				lex_error(lx, p, "unterminated string", NULL);
				return len;
			}
			struct token *tk = push(lx, T_STRING, p);
			tk->s = decode_string(lx, s + p + 1, q - p - 1);
			if (lines) {
				lx->line += lines;
				lx->line_start = lstart;
			}
			lx->pos = q + 1;
			p = q + 1;
			continue;
		}
		case '-':
		case '+':
			/* `-}}` / `-%}` strip the whitespace after the tag; `+%}` is accepted */
			if (depth == 0 && n == close && p + 2 < len && s[p + 2] == '}') {
				*strip = c == '-';
				return end_tag(lx, p, p + 3, close);
			}
			break;
		case '%':
			if (close == '%' && n == '}' && depth == 0)
				return end_tag(lx, p, p + 2, close);
			break;
		case '}':
			if (close == '}' && n == '}' && depth == 0)
				return end_tag(lx, p, p + 2, close);
			if (depth == 0)
				return bracket_error(lx, p, '}', stack, -1), len;
			depth--;
			if (depth < (int)sizeof(stack) && stack[depth] != '}')
				return bracket_error(lx, p, '}', stack, depth), len;
			break;
		case ')':
		case ']':
			if (depth == 0)
				return bracket_error(lx, p, (char)c, stack, -1), len;
			depth--;
			if (depth < (int)sizeof(stack) && stack[depth] != (char)c)
				return bracket_error(lx, p, (char)c, stack, depth), len;
			break;
		case '(':
		case '[':
		case '{':
			if (depth < (int)sizeof(stack))
				stack[depth] = c == '(' ? ')' : c == '[' ? ']' : '}';
			depth++;
			break;
		case '*':
			if (n == '*')
				op = OPC_POW, oplen = 2;
			break;
		case '/':
			if (n == '/')
				op = OPC_FLOORDIV, oplen = 2;
			break;
		case '=':
			if (n == '=')
				op = OPC_EQ, oplen = 2;
			break;
		case '<':
			if (n == '=')
				op = OPC_LE, oplen = 2;
			break;
		case '>':
			if (n == '=')
				op = OPC_GE, oplen = 2;
			break;
		case '!':
			if (n == '=') {
				op = OPC_NE, oplen = 2;
				break;
			}
			/* fall through */
		default:
			if (!strchr("~.:|,;", c) || !c) {
				char what[8];
				snprintf(what, sizeof(what), "%c", c);
				lex_error(lx, p, "unexpected char '%s'", what);
				return len;
			}
			break;
		}
		struct token *tk = push(lx, T_OP, p);
		tk->op = (uint16_t)op;
		p += oplen;
	}
	return len;
}

int jinja_lex(struct jinja_env *env, struct jinja_template *t, struct arena *a, struct tokens *out,
              struct diag *d)
{
	(void)env;
	struct lexer lx = { 0 };
	/* start with the caller's buffer (reused across parses) */
	lx.toks.v = out->v;
	lx.toks.cap = out->n;
	lx.src = t->src;
	lx.len = t->len;
	lx.line = 1;
	lx.name = t->name;
	lx.d = d;
	lx.a = a;
	/* Jinja2 normalises \r\n and \r to \n and drops one trailing newline. */
	if (memchr(lx.src, '\r', lx.len)) {
		char *n = arena_alloc(a, lx.len + 1);
		size_t w = 0;
		for (size_t i = 0; i < lx.len; i++) {
			if (lx.src[i] == '\r') {
				n[w++] = '\n';
				if (i + 1 < lx.len && lx.src[i + 1] == '\n')
					i++;
			} else {
				n[w++] = lx.src[i];
			}
		}
		n[w] = 0;
		lx.src = n;
		lx.len = w;
		t->src = n;
		t->len = w;
	}
	if (lx.len && lx.src[lx.len - 1] == '\n')
		lx.len--;

	const char *s = lx.src;
	bool strip_next = false; /* the previous tag ended with '-' */
	while (lx.pos < lx.len && !lx.failed) {
		size_t start = lx.pos;
		if (strip_next) {
			start = skip_ws(&lx, start);
			advance(&lx, start);
			strip_next = false;
		}
		/* find the next tag opener */
		size_t p = start;
		const char *open = NULL;
		while (p + 1 < lx.len) {
			const char *q = memchr(s + p, '{', lx.len - p - 1);
			if (!q)
				break;
			char c = q[1];
			if (c == '{' || c == '%' || c == '#') {
				open = q;
				break;
			}
			p = (size_t)(q - s) + 1;
		}
		if (!open) {
			push_text(&lx, start, lx.len);
			break;
		}
		size_t o = (size_t)(open - s);
		char kind = open[1];
		char mod = o + 2 < lx.len ? s[o + 2] : 0;
		bool strip_before = mod == '-';
		size_t text_end = o;
		if (strip_before)
			while (text_end > start && is_ws(s[text_end - 1]))
				text_end--;
		/* {% raw %} ... {% endraw %} */
		size_t after;
		bool sb, sa;
		if (kind == '%' && might_be_raw(&lx, o) && match_tag(&lx, o, "raw", &after, &sb, &sa)) {
			push_text(&lx, start, text_end);
			advance(&lx, after);
			size_t q = after, body = after;
			if (sa)
				body = skip_ws(&lx, body);
			for (;;) {
				const char *nx = q < lx.len ? memchr(s + q, '{', lx.len - q) : NULL;
				if (!nx) {
					lex_error(&lx, lx.len, "unexpected end of template, expected 'endraw'", NULL);
					break;
				}
				q = (size_t)(nx - s);
				size_t eafter;
				bool esb, esa;
				if (match_tag(&lx, q, "endraw", &eafter, &esb, &esa)) {
					size_t bend = q;
					if (esb)
						while (bend > body && is_ws(s[bend - 1]))
							bend--;
					advance(&lx, body);
					push_text(&lx, body, bend);
					advance(&lx, eafter);
					strip_next = esa;
					break;
				}
				q++;
			}
			continue;
		}
		push_text(&lx, start, text_end);
		advance(&lx, o);
		size_t inner = o + 2 + ((mod == '-' || (mod == '+' && kind != '{')) ? 1 : 0);
		if (kind == '#') {
			const char *e = NULL;
			size_t q = inner;
			while (q + 1 < lx.len + 1) {
				const char *h = memchr(s + q, '#', lx.len - q);
				if (!h || (size_t)(h - s) + 1 >= lx.len) {
					e = NULL;
					break;
				}
				if (h[1] == '}') {
					e = h;
					break;
				}
				q = (size_t)(h - s) + 1;
			}
			if (!e) {
				lex_error(&lx, o, "unterminated comment", NULL);
				break;
			}
			size_t ce = (size_t)(e - s);
			strip_next = ce > inner && s[ce - 1] == '-';
			advance(&lx, ce + 2);
			continue;
		}
		push(&lx, kind == '{' ? T_VAR_BEGIN : T_BLOCK_BEGIN, o);
		bool strip;
		size_t end = lex_tag(&lx, inner, kind == '{' ? '}' : '%', &strip);
		advance(&lx, end > lx.len ? lx.len : end);
		strip_next = strip;
	}
	if (lx.failed) {
		out->v = lx.toks.v;
		out->n = lx.toks.cap;
		return -1;
	}
	struct token eof = { 0 };
	eof.type = T_EOF;
	eof.off = (uint32_t)lx.len;
	advance(&lx, lx.len);
	eof.line = lx.line;
	eof.col = (int)(lx.len - lx.line_start) + 1;
	vec_push(&lx.toks, eof);
	out->v = lx.toks.v; /* the caller keeps it for the next parse and frees it */
	out->n = lx.toks.n;
	out->cap = lx.toks.cap;
	return 0;
}

const char *jinja_tok_describe(const struct token *tk, char *buf, size_t n)
{
	switch (tk->type) {
	case T_EOF:
		return "end of template";
	case T_TEXT:
		return "template data";
	case T_VAR_BEGIN:
		return "'{{'";
	case T_VAR_END:
		return "'}}'";
	case T_BLOCK_BEGIN:
		return "'{%'";
	case T_BLOCK_END:
		return "'%}'";
	case T_NAME:
	case T_STRING:
		snprintf(buf, n, "'%.*s'", (int)(tk->s.n > 40 ? 40 : tk->s.n), tk->s.p);
		return buf;
	case T_INT:
		snprintf(buf, n, "'%lld'", (long long)tk->i);
		return buf;
	case T_FLOAT:
		return "float";
	case T_OP:
		switch (tk->op) {
		case OPC_POW: return "'**'";
		case OPC_FLOORDIV: return "'//'";
		case OPC_EQ: return "'=='";
		case OPC_NE: return "'!='";
		case OPC_LE: return "'<='";
		case OPC_GE: return "'>='";
		default:
			snprintf(buf, n, "'%c'", tk->op);
			return buf;
		}
	}
	return "token";
}
