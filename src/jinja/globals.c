/* Jinja2's global functions (range, dict, namespace, cycler, joiner, lipsum) plus dbt's zip,
 * and the iterator objects (generators, reversed iterators, zip, range) that filters return. */
#include "jinja_int.h"
#include "builtins_int.h"


/* ---- one-shot iterators: generator, list_reverseiterator, reversed, zip, ... ---- */

struct iter_data {
	value items;
	const char *qualname; /* generator function name, for str() */
	bool consumed;
};

static int iter_iter(struct jstate *st, value self, value *out)
{
	struct iter_data *d = self.obj->data;
	if (d->consumed) {
		*out = v_list(jinja_arena(st), 0);
		return 0;
	}
	d->consumed = true;
	*out = d->items;
	return 0;
}

static void gen_str(value self, struct buf *out)
{
	struct iter_data *d = self.obj->data;
	buf_printf(out, "<generator object %s at %p>", d->qualname, (void *)self.obj);
}

static void iter_str(value self, struct buf *out)
{
	buf_printf(out, "<%s object at %p>", self.obj->cls->name, (void *)self.obj);
}

static const struct vclass iter_classes[] = {
	{ .name = "generator", .str = gen_str, .iter = iter_iter },
	{ .name = "list_reverseiterator", .str = iter_str, .iter = iter_iter },
	{ .name = "reversed", .str = iter_str, .iter = iter_iter },
	{ .name = "dict_reversekeyiterator", .str = iter_str, .iter = iter_iter },
	{ .name = "zip", .str = iter_str, .iter = iter_iter },
	{ .name = "str_ascii_iterator", .str = iter_str, .iter = iter_iter },
};

/* kind: 0 generator, 1 list_reverseiterator, 2 reversed, 3 dict_reversekeyiterator, 4 zip */
value jb_iterator(struct jstate *st, int kind, const char *qualname, value items)
{
	struct arena *a = jinja_arena(st);
	struct iter_data *d = arena_alloc(a, sizeof(*d));
	d->items = items;
	d->qualname = qualname ? qualname : "<genexpr>";
	d->consumed = false;
	return v_obj(a, &iter_classes[kind], d);
}

/* ---- range ---- */

struct range_data {
	int64_t start, stop, step;
};

static int64_t range_len(const struct range_data *r)
{
	if (r->step > 0)
		return r->start < r->stop ? (r->stop - r->start - 1) / r->step + 1 : 0;
	return r->start > r->stop ? (r->start - r->stop - 1) / (-r->step) + 1 : 0;
}

static int range_iter(struct jstate *st, value self, value *out)
{
	const struct range_data *r = self.obj->data;
	int64_t n = range_len(r);
	value l = v_list(jinja_arena(st), (uint32_t)n);
	for (int64_t i = 0; i < n; i++)
		l.list->v[i] = v_int(r->start + i * r->step);
	l.list->n = (uint32_t)n;
	*out = l;
	return 0;
}

static void range_str(value self, struct buf *out)
{
	const struct range_data *r = self.obj->data;
	if (r->step == 1)
		buf_printf(out, "range(%lld, %lld)", (long long)r->start, (long long)r->stop);
	else
		buf_printf(out, "range(%lld, %lld, %lld)", (long long)r->start, (long long)r->stop,
		           (long long)r->step);
}

static bool range_truthy(value self) { return range_len(self.obj->data) > 0; }

static bool range_equal(value a, value b)
{
	const struct range_data *x = a.obj->data, *y = b.obj->data;
	int64_t n = range_len(x);
	if (n != range_len(y))
		return false;
	if (n == 0)
		return true;
	if (x->start != y->start)
		return false;
	return n == 1 || x->step == y->step;
}

static int range_index(struct jstate *st, void *data, value self, const struct vargs *args,
                       value *out)
{
	const struct range_data *r = self.obj->data;
	value a[1];
	bool count = data != NULL;
	if (jb_bind(st, count ? "range.count" : "range.index", args, "!value,/", a, NULL) < 0)
		return -1;
	int64_t n = range_len(r), v;
	bool found = false;
	if (a[0].type == VT_INT || a[0].type == VT_BOOL) {
		v = a[0].type == VT_INT ? a[0].i : a[0].b;
		int64_t off = v - r->start;
		if (off % r->step == 0 && off / r->step >= 0 && off / r->step < n) {
			found = true;
			*out = v_int(off / r->step);
		}
	} else if (a[0].type == VT_FLOAT) {
		for (int64_t i = 0; i < n && !found; i++)
			if ((double)(r->start + i * r->step) == a[0].f) {
				found = true;
				*out = v_int(i);
			}
	}
	if (count) {
		*out = v_int(found);
		return 0;
	}
	if (!found) {
		struct buf b = BUF_INIT;
		v_to_repr(a[0], &b);
		jinja_error(st, "%s is not in range", buf_cstr(&b));
		buf_release(&b);
		return -1;
	}
	return 0;
}

static int range_getattr(struct jstate *st, value self, struct str name, value *out)
{
	const struct range_data *r = self.obj->data;
	if (str_eqc(name, "start"))
		*out = v_int(r->start);
	else if (str_eqc(name, "stop"))
		*out = v_int(r->stop);
	else if (str_eqc(name, "step"))
		*out = v_int(r->step);
	else if (str_eqc(name, "index"))
		*out = v_func(jinja_arena(st), "index", range_index, NULL, self);
	else if (str_eqc(name, "count"))
		*out = v_func(jinja_arena(st), "count", range_index, (void *)1, self);
	else
		return 0;
	return 1;
}

static int range_getitem(struct jstate *st, value self, value key, value *out)
{
	(void)st;
	const struct range_data *r = self.obj->data;
	if (key.type != VT_INT && key.type != VT_BOOL)
		return 0;
	int64_t i = key.type == VT_INT ? key.i : key.b, n = range_len(r);
	if (i < 0)
		i += n;
	if (i < 0 || i >= n)
		return 0;
	*out = v_int(r->start + i * r->step);
	return 1;
}

static const struct vclass range_class = {
	.name = "range",
	.getattr = range_getattr,
	.getitem = range_getitem,
	.str = range_str,
	.iter = range_iter,
	.truthy = range_truthy,
	.equal = range_equal,
};

bool jb_range_info(value v, int64_t *start, int64_t *stop, int64_t *step, int64_t *len)
{
	if (v.type != VT_OBJ || v.obj->cls != &range_class)
		return false;
	const struct range_data *r = v.obj->data;
	if (start)
		*start = r->start;
	if (stop)
		*stop = r->stop;
	if (step)
		*step = r->step;
	if (len)
		*len = range_len(r);
	return true;
}

#define MAX_RANGE 100000

static int g_range(struct jstate *st, void *data, value self, const struct vargs *args,
                   value *out)
{
	(void)data;
	(void)self;
	if (args->nkw)
		return jinja_error(st, "range() takes no keyword arguments");
	if (args->npos == 0)
		return jinja_error(st, "range expected at least 1 argument, got 0");
	if (args->npos > 3)
		return jinja_error(st, "range expected at most 3 arguments, got %u", args->npos);
	int64_t v[3];
	for (uint32_t i = 0; i < args->npos; i++) {
		value a = args->pos[i];
		if (a.type == VT_INT)
			v[i] = a.i;
		else if (a.type == VT_BOOL)
			v[i] = a.b;
		else
			return jinja_error(st, "'%s' object cannot be interpreted as an integer",
			                   v_type_name(a));
	}
	struct range_data *r = arena_alloc(jinja_arena(st), sizeof(*r));
	if (args->npos == 1) {
		r->start = 0;
		r->stop = v[0];
		r->step = 1;
	} else {
		r->start = v[0];
		r->stop = v[1];
		r->step = args->npos == 3 ? v[2] : 1;
	}
	if (r->step == 0)
		return jinja_error(st, "range() arg 3 must not be zero");
	/* guard the length computation against overflow */
	__int128 span = r->step > 0 ? (__int128)r->stop - r->start : (__int128)r->start - r->stop;
	__int128 st_abs = r->step > 0 ? (__int128)r->step : -(__int128)r->step;
	__int128 len = span > 0 ? (span - 1) / st_abs + 1 : 0;
	if (len > MAX_RANGE)
		return jinja_error(st, "Range too big. The sandbox blocks ranges larger than "
		                       "MAX_RANGE (%d).",
		                   MAX_RANGE);
	*out = v_obj(jinja_arena(st), &range_class, r);
	return 0;
}

/* ---- dict, namespace ---- */

static int build_dict(struct jstate *st, const struct vargs *args, const char *fname, value *out)
{
	if (args->npos > 1)
		return jinja_error(st, "%s expected at most 1 argument, got %u", fname, args->npos);
	struct arena *a = jinja_arena(st);
	value d = v_dict(a, args->nkw + 4);
	if (args->npos && jb_dict_merge(st, d.dict, args->pos[0], fname) < 0)
		return -1;
	for (uint32_t k = 0; k < args->nkw; k++)
		vdict_set(d.dict, v_strs(args->kw[k].name), args->kw[k].v);
	*out = d;
	return 0;
}

static int g_dict(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	return build_dict(st, args, "dict", out);
}

static int g_namespace(struct jstate *st, void *data, value self, const struct vargs *args,
                       value *out)
{
	(void)data;
	(void)self;
	if (build_dict(st, args, "dict", out) < 0)
		return -1;
	out->flags |= VF_NAMESPACE;
	return 0;
}

/* ---- cycler ---- */

struct cycler_data {
	value items; /* tuple */
	uint32_t pos;
};

static int cycler_next(struct jstate *st, void *data, value self, const struct vargs *args,
                       value *out)
{
	(void)data;
	if (jb_bind(st, "next", args, "", NULL, NULL) < 0)
		return -1;
	struct cycler_data *c = self.obj->data;
	*out = c->items.list->v[c->pos];
	c->pos = (c->pos + 1) % c->items.list->n;
	return 0;
}

static int cycler_reset(struct jstate *st, void *data, value self, const struct vargs *args,
                        value *out)
{
	(void)data;
	if (jb_bind(st, "reset", args, "", NULL, NULL) < 0)
		return -1;
	struct cycler_data *c = self.obj->data;
	c->pos = 0;
	*out = v_none();
	return 0;
}

static int cycler_getattr(struct jstate *st, value self, struct str name, value *out)
{
	struct cycler_data *c = self.obj->data;
	struct arena *a = jinja_arena(st);
	if (str_eqc(name, "current"))
		*out = c->items.list->v[c->pos];
	else if (str_eqc(name, "items"))
		*out = c->items;
	else if (str_eqc(name, "pos"))
		*out = v_int(c->pos);
	else if (str_eqc(name, "next"))
		*out = v_func(a, "next", cycler_next, NULL, self);
	else if (str_eqc(name, "reset"))
		*out = v_func(a, "reset", cycler_reset, NULL, self);
	else
		return 0;
	return 1;
}

static void cycler_str(value self, struct buf *out)
{
	buf_printf(out, "<jinja2.utils.Cycler object at %p>", (void *)self.obj);
}

static const struct vclass cycler_class = {
	.name = "Cycler",
	.getattr = cycler_getattr,
	.str = cycler_str,
};

static int g_cycler(struct jstate *st, void *data, value self, const struct vargs *args,
                    value *out)
{
	(void)data;
	(void)self;
	if (args->nkw)
		return jinja_error(st, "Cycler.__init__() got an unexpected keyword argument '%.*s'",
		                   (int)args->kw[0].name.n, args->kw[0].name.p);
	if (!args->npos)
		return jinja_error(st, "at least one item has to be provided");
	struct arena *a = jinja_arena(st);
	struct cycler_data *c = arena_alloc(a, sizeof(*c));
	c->items = v_tuple(a, args->npos, args->pos);
	c->pos = 0;
	*out = v_obj(a, &cycler_class, c);
	return 0;
}

/* ---- joiner ---- */

struct joiner_data {
	value sep;
	bool used;
};

static int joiner_call(struct jstate *st, value self, const struct vargs *args, value *out)
{
	if (jb_bind(st, "Joiner.__call__", args, "", NULL, NULL) < 0)
		return -1;
	struct joiner_data *j = self.obj->data;
	if (!j->used) {
		j->used = true;
		*out = v_str("", 0);
	} else {
		*out = j->sep;
	}
	return 0;
}

static void joiner_str(value self, struct buf *out)
{
	buf_printf(out, "<jinja2.utils.Joiner object at %p>", (void *)self.obj);
}

static const struct vclass joiner_class = {
	.name = "Joiner",
	.call = joiner_call,
	.str = joiner_str,
};

static int g_joiner(struct jstate *st, void *data, value self, const struct vargs *args,
                    value *out)
{
	(void)data;
	(void)self;
	value a[1] = { v_str(", ", 2) };
	if (jb_bind(st, "Joiner.__init__", args, "sep", a, NULL) < 0)
		return -1;
	struct arena *ar = jinja_arena(st);
	struct joiner_data *j = arena_alloc(ar, sizeof(*j));
	j->sep = a[0];
	j->used = false;
	*out = v_obj(ar, &joiner_class, j);
	return 0;
}

/* ---- lipsum (Jinja2's generate_lorem_ipsum, with a fixed pseudo-random sequence) ---- */

static const char *const lorem_words[] = {
	"a",          "ac",        "accumsan",   "ad",          "adipiscing", "aenean",
	"aliquam",    "aliquet",   "amet",       "ante",        "aptent",     "arcu",
	"at",         "auctor",    "augue",      "bibendum",    "blandit",    "class",
	"commodo",    "condimentum", "congue",   "consectetuer", "consequat", "conubia",
	"convallis",  "cras",      "cubilia",    "cum",         "curabitur",  "curae",
	"cursus",     "dapibus",   "diam",       "dictum",      "dictumst",   "dignissim",
	"dis",        "dolor",     "donec",      "dui",         "duis",       "egestas",
	"eget",       "eleifend",  "elementum",  "elit",        "enim",       "erat",
	"eros",       "est",       "et",         "etiam",       "eu",         "euismod",
	"facilisi",   "facilisis", "fames",      "faucibus",    "felis",      "fermentum",
	"feugiat",    "fringilla", "fusce",      "gravida",     "habitant",   "habitasse",
	"hac",        "hendrerit", "hymenaeos",  "iaculis",     "id",         "imperdiet",
	"in",         "inceptos",  "integer",    "interdum",    "ipsum",      "justo",
	"lacinia",    "lacus",     "laoreet",    "lectus",      "leo",        "libero",
	"ligula",     "litora",    "lobortis",   "lorem",       "luctus",     "maecenas",
	"magna",      "magnis",    "malesuada",  "massa",       "mattis",     "mauris",
	"metus",      "mi",        "molestie",   "mollis",      "montes",     "morbi",
	"mus",        "nam",       "nascetur",   "natoque",     "nec",        "neque",
	"netus",      "nibh",      "nisi",       "nisl",        "non",        "nonummy",
	"nostra",     "nulla",     "nullam",     "nunc",        "odio",       "orci",
	"ornare",     "parturient", "pede",      "pellentesque", "penatibus", "per",
	"pharetra",   "phasellus", "placerat",   "platea",      "porta",      "porttitor",
	"posuere",    "potenti",   "praesent",   "pretium",     "primis",     "proin",
	"pulvinar",   "purus",     "quam",       "quis",        "quisque",    "rhoncus",
	"ridiculus",  "risus",     "rutrum",     "sagittis",    "sapien",     "scelerisque",
	"sed",        "sem",       "semper",     "senectus",    "sit",        "sociis",
	"sociosqu",   "sodales",   "sollicitudin", "suscipit",  "suspendisse", "taciti",
	"tellus",     "tempor",    "tempus",     "tincidunt",   "torquent",   "tortor",
	"tristique",  "turpis",    "ullamcorper", "ultrices",   "ultricies",  "urna",
	"ut",         "varius",    "vehicula",   "vel",         "velit",      "venenatis",
	"vestibulum", "vitae",     "vivamus",    "viverra",     "volutpat",   "vulputate",
};

static uint64_t lorem_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* random.randrange(lo, hi) */
static int64_t lorem_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(lorem_rand(s) % (uint64_t)(hi - lo));
}

static int g_lipsum(struct jstate *st, void *data, value self, const struct vargs *args,
                    value *out)
{
	(void)data;
	(void)self;
	value a[4] = { v_int(5), v_bool(true), v_int(20), v_int(100) };
	if (jb_bind(st, "generate_lorem_ipsum", args, "n,html,min,max", a, NULL) < 0)
		return -1;
	int64_t n, mn, mx;
	if (jb_index_arg(st, a[0], &n) < 0 || jb_index_arg(st, a[2], &mn) < 0 ||
	    jb_index_arg(st, a[3], &mx) < 0)
		return -1;
	if (n > 10000 || mx - mn > 1000000)
		return jinja_error(st, "lipsum: too much text requested");
	if (n > 0 && mx <= mn)
		return jinja_error(st, "empty range for randrange() (%lld, %lld, %lld)",
		                   (long long)mn, (long long)mx, (long long)(mx - mn));
	bool html = v_truthy(a[1]);
	uint64_t seed = 0x5eed;
	struct buf b = BUF_INIT, p = BUF_INIT;
	const size_t nw = ARRAY_LEN(lorem_words);
	for (int64_t k = 0; k < n; k++) {
		bool next_cap = true;
		int64_t last_comma = 0, last_fullstop = 0;
		size_t last = SIZE_MAX;
		int64_t words = lorem_range(&seed, mn, mx);
		buf_reset(&p);
		for (int64_t idx = 0; idx < words; idx++) {
			size_t w;
			do
				w = lorem_rand(&seed) % nw;
			while (w == last);
			last = w;
			const char *word = lorem_words[w];
			if (idx)
				buf_putc(&p, ' ');
			if (next_cap) {
				buf_putc(&p, (char)(word[0] - 32));
				buf_puts(&p, word + 1);
				next_cap = false;
			} else {
				buf_puts(&p, word);
			}
			if (idx - lorem_range(&seed, 3, 8) > last_comma) {
				last_comma = idx;
				last_fullstop += 2;
				buf_putc(&p, ',');
			}
			if (idx - lorem_range(&seed, 10, 20) > last_fullstop) {
				last_comma = last_fullstop = idx;
				buf_putc(&p, '.');
				next_cap = true;
			}
		}
		if (p.n && p.p[p.n - 1] == ',')
			p.p[p.n - 1] = '.';
		else if (!p.n || p.p[p.n - 1] != '.')
			buf_putc(&p, '.');
		if (k)
			buf_puts(&b, html ? "\n" : "\n\n");
		if (html)
			buf_puts(&b, "<p>");
		buf_append(&b, p.p, p.n);
		if (html)
			buf_puts(&b, "</p>");
	}
	buf_release(&p);
	*out = v_buf(jinja_arena(st), &b);
	buf_release(&b);
	if (html)
		out->flags |= VF_SAFE;
	return 0;
}

/* ---- zip (dbt's context function: zip(*args, default=None)) ---- */

static int g_zip(struct jstate *st, void *data, value self, const struct vargs *args,
                 value *out)
{
	(void)data;
	(void)self;
	value dflt = v_none();
	for (uint32_t k = 0; k < args->nkw; k++) {
		if (!str_eqc(args->kw[k].name, "default"))
			return jinja_error(st, "zip() got an unexpected keyword argument '%.*s'",
			                   (int)args->kw[k].name.n, args->kw[k].name.p);
		dflt = args->kw[k].v;
	}
	struct arena *a = jinja_arena(st);
	value *lists = args->npos ? arena_alloc(a, args->npos * sizeof(value)) : NULL;
	uint32_t n = UINT32_MAX;
	for (uint32_t i = 0; i < args->npos; i++) {
		value x = args->pos[i];
		bool iterable = x.type == VT_STR || x.type == VT_LIST || x.type == VT_UNDEF ||
		                (x.type == VT_DICT && !(x.flags & VF_NAMESPACE)) ||
		                (x.type == VT_OBJ && x.obj->cls->iter);
		if (!iterable) {
			*out = dflt; /* zip raised TypeError: dbt returns the default */
			return 0;
		}
		if (jinja_iterate(st, x, &lists[i]) < 0)
			return -1;
		if (lists[i].list->n < n)
			n = lists[i].list->n;
	}
	if (!args->npos)
		n = 0;
	value res = v_list(a, n);
	value *row = args->npos ? arena_alloc(a, args->npos * sizeof(value)) : NULL;
	for (uint32_t j = 0; j < n; j++) {
		for (uint32_t i = 0; i < args->npos; i++)
			row[i] = lists[i].list->v[j];
		vlist_push(res.list, v_tuple(a, args->npos, row));
	}
	*out = jb_iterator(st, 4, NULL, res);
	return 0;
}

void jinja_install_globals(struct jinja_env *env)
{
	jinja_set_function(env, "range", g_range, NULL);
	jinja_set_function(env, "dict", g_dict, NULL);
	jinja_set_function(env, "namespace", g_namespace, NULL);
	jinja_set_function(env, "cycler", g_cycler, NULL);
	jinja_set_function(env, "joiner", g_joiner, NULL);
	jinja_set_function(env, "lipsum", g_lipsum, NULL);
	jinja_set_function(env, "zip", g_zip, NULL);
}
