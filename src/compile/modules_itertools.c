/* modules.itertools: the functions dbt exports from Python's itertools (count, cycle, repeat,
 * accumulate, chain, compress, islice, starmap, tee, zip_longest, product, permutations,
 * combinations, combinations_with_replacement).
 *
 * Each returns an iterator object that prints as <itertools.NAME object at 0x...> and, like a
 * Python iterator, is used up by the first loop or filter that reads it. Finite ones compute
 * their items when called; count(), cycle() and repeat() without `times` are infinite and can
 * only be read through islice() (a template looping over them would never end in dbt; silt
 * reports an error instead). */
#include "compile_int.h"

#define MAX_ITEMS (1u << 20) /* product/permutations can explode: refuse past a million items */

enum it_kind { IT_FINITE, IT_COUNT, IT_CYCLE, IT_REPEAT };

struct it_obj {
	const char *name;
	enum it_kind kind;
	value items;      /* IT_FINITE: what is left; IT_CYCLE: the cycle */
	value start, step; /* IT_COUNT: next value and step; IT_REPEAT: start is the object */
	uint32_t pos;      /* IT_CYCLE: next index */
};

static void it_repr(value self, struct buf *out)
{
	const struct it_obj *it = self.obj->data;
	buf_printf(out, "<itertools.%s object at %p>", it->name, (void *)self.obj);
}

/* The first n items of an infinite iterator, advancing it. */
static int it_take(struct jstate *st, struct it_obj *it, uint32_t n, value *out)
{
	value l = v_list(jinja_arena(st), n);
	for (uint32_t i = 0; i < n; i++) {
		switch (it->kind) {
		case IT_COUNT:
			vlist_push(l.list, it->start);
			if (jinja_add(st, it->start, it->step, &it->start) < 0)
				return -1;
			break;
		case IT_CYCLE:
			if (!it->items.list->n)
				goto done;
			vlist_push(l.list, it->items.list->v[it->pos]);
			it->pos = (it->pos + 1) % it->items.list->n;
			break;
		case IT_REPEAT:
			vlist_push(l.list, it->start);
			break;
		case IT_FINITE: {
			struct vlist *src = it->items.list;
			if (i >= src->n)
				goto done;
			vlist_push(l.list, src->v[i]);
			break;
		}
		}
	}
done:
	if (it->kind == IT_FINITE) {
		/* what is left stays for the next reader */
		uint32_t used = l.list->n;
		it->items = v_tuple(jinja_arena(st), it->items.list->n - used, it->items.list->v + used);
	}
	*out = l;
	return 0;
}

static int it_iter(struct jstate *st, value self, value *out)
{
	struct it_obj *it = self.obj->data;
	if (it->kind == IT_CYCLE && !it->items.list->n) {
		*out = v_list(jinja_arena(st), 0);
		return 0;
	}
	if (it->kind != IT_FINITE)
		return jinja_error(st, "itertools.%s() is infinite: read it through islice()", it->name);
	*out = it->items;
	it->items = v_tuple(jinja_arena(st), 0, NULL);
	return 0;
}

static const struct vclass it_class = { .name = "itertools", .str = it_repr, .iter = it_iter };

static value it_new(struct jstate *st, const char *name, enum it_kind kind, value items)
{
	struct it_obj *it = arena_zalloc(jinja_arena(st), sizeof(*it));
	it->name = name;
	it->kind = kind;
	it->items = items;
	return v_obj(jinja_arena(st), &it_class, it);
}

static struct it_obj *as_infinite(value v)
{
	if (v.type != VT_OBJ || v.obj->cls != &it_class)
		return NULL;
	struct it_obj *it = v.obj->data;
	return it->kind == IT_FINITE ? NULL : it;
}

static int items_of(struct jstate *st, value v, value *out) { return jinja_iterate(st, v, out); }

static int int_arg(struct jstate *st, const char *fn, value v, const char *what, int64_t *out)
{
	if (v.type != VT_INT && v.type != VT_BOOL)
		return jinja_error(st, "%s(): %s must be an integer, not %s", fn, what, v_type_name(v));
	*out = v.type == VT_INT ? v.i : v.b;
	return 0;
}

static int check_size(struct jstate *st, const char *fn, double n)
{
	if (n > MAX_ITEMS)
		return jinja_error(st, "itertools.%s() would make more than %u items", fn, MAX_ITEMS);
	return 0;
}

/* ---- the functions ---- */

enum it_fn {
	F_COUNT, F_CYCLE, F_REPEAT, F_ACCUMULATE, F_CHAIN, F_COMPRESS, F_ISLICE, F_STARMAP, F_TEE,
	F_ZIP_LONGEST, F_PRODUCT, F_PERMUTATIONS, F_COMBINATIONS, F_COMBINATIONS_WR,
};

static const char *const fn_names[] = {
	[F_COUNT] = "count",
	[F_CYCLE] = "cycle",
	[F_REPEAT] = "repeat",
	[F_ACCUMULATE] = "accumulate",
	[F_CHAIN] = "chain",
	[F_COMPRESS] = "compress",
	[F_ISLICE] = "islice",
	[F_STARMAP] = "starmap",
	[F_TEE] = "tee",
	[F_ZIP_LONGEST] = "zip_longest",
	[F_PRODUCT] = "product",
	[F_PERMUTATIONS] = "permutations",
	[F_COMBINATIONS] = "combinations",
	[F_COMBINATIONS_WR] = "combinations_with_replacement",
};

/* islice(iterable, stop) / islice(iterable, start, stop[, step]) */
static int fn_islice(struct jstate *st, const struct vargs *args, value *out)
{
	if (args->npos < 2 || args->npos > 4)
		return jinja_error(st, "islice expected 2 to 4 arguments, got %u", args->npos);
	value startv = v_none(), stopv = args->pos[1], stepv = v_none();
	if (args->npos >= 3) {
		startv = args->pos[1];
		stopv = args->pos[2];
	}
	if (args->npos == 4)
		stepv = args->pos[3];
	int64_t start = 0, stop = -1, step = 1;
	if ((startv.type != VT_NONE && int_arg(st, "islice", startv, "start", &start) < 0) ||
	    (stopv.type != VT_NONE && int_arg(st, "islice", stopv, "stop", &stop) < 0) ||
	    (stepv.type != VT_NONE && int_arg(st, "islice", stepv, "step", &step) < 0))
		return -1;
	if (start < 0 || (stopv.type != VT_NONE && stop < 0) || step < 1)
		return jinja_error(st, "Indices for islice() must be None or an integer: 0 <= x <= "
		                       "sys.maxsize.");
	struct it_obj *inf = as_infinite(args->pos[0]);
	value src;
	if (inf) {
		if (stopv.type == VT_NONE)
			return jinja_error(st, "itertools.%s() is infinite: islice() needs a stop", inf->name);
		if (check_size(st, "islice", (double)stop) < 0 || it_take(st, inf, (uint32_t)stop, &src) < 0)
			return -1;
	} else if (items_of(st, args->pos[0], &src) < 0) {
		return -1;
	}
	value l = v_list(jinja_arena(st), 0);
	int64_t end = stopv.type == VT_NONE || stop > src.list->n ? src.list->n : stop;
	for (int64_t i = start; i < end; i += step)
		vlist_push(l.list, src.list->v[i]);
	*out = it_new(st, "islice", IT_FINITE, l);
	return 0;
}

/* combinations / permutations / product index walks, Python's order */
static int fn_combinatorics(struct jstate *st, enum it_fn f, const struct vargs *args, value *out)
{
	struct arena *a = jinja_arena(st);
	value l = v_list(a, 0);
	if (f == F_PRODUCT) {
		value rep = v_int(1);
		for (uint32_t i = 0; i < args->nkw; i++)
			if (str_eqc(args->kw[i].name, "repeat"))
				rep = args->kw[i].v;
		int64_t repeat = 1;
		if (int_arg(st, "product", rep, "repeat", &repeat) < 0)
			return -1;
		if (repeat < 0)
			return jinja_error(st, "repeat argument cannot be negative");
		uint32_t npools = args->npos * (uint32_t)repeat;
		value *pools = arena_alloc(a, (npools + 1) * sizeof(value));
		double total = 1;
		for (uint32_t r = 0; r < repeat; r++)
			for (uint32_t i = 0; i < args->npos; i++) {
				value p;
				if (items_of(st, args->pos[i], &p) < 0)
					return -1;
				pools[r * args->npos + i] = p;
				total *= p.list->n;
			}
		if (check_size(st, "product", total) < 0)
			return -1;
		uint32_t *idx = arena_zalloc(a, (npools + 1) * sizeof(uint32_t));
		for (uint32_t i = 0; i < npools; i++)
			if (!pools[i].list->n)
				goto done;
		for (;;) {
			value t = v_list(a, npools);
			for (uint32_t i = 0; i < npools; i++)
				vlist_push(t.list, pools[i].list->v[idx[i]]);
			t.flags = VF_TUPLE;
			vlist_push(l.list, t);
			int64_t i = (int64_t)npools - 1;
			for (; i >= 0; i--) {
				if (++idx[i] < pools[i].list->n)
					break;
				idx[i] = 0;
			}
			if (i < 0)
				break;
		}
		goto done;
	}
	value pool;
	if (args->npos < 1 || items_of(st, args->pos[0], &pool) < 0)
		return args->npos < 1 ? jinja_error(st, "%s() missing its iterable", fn_names[f]) : -1;
	uint32_t n = pool.list->n;
	value rv = v_none();
	if (!jinja_arg(args, 1, "r", &rv) && f != F_PERMUTATIONS)
		return jinja_error(st, "%s() missing required argument 'r' (pos 2)", fn_names[f]);
	int64_t r = n;
	if (rv.type != VT_NONE && int_arg(st, fn_names[f], rv, "r", &r) < 0)
		return -1;
	if (r < 0)
		return jinja_error(st, "r must be non-negative");
	if (r > n && f != F_COMBINATIONS_WR)
		goto done;
	if (n == 0 && r > 0)
		goto done;
	/* every r-tuple of indexes in lexicographic order, filtered by the kind */
	double total = 1;
	for (int64_t i = 0; i < r; i++)
		total *= n;
	if (check_size(st, fn_names[f], total) < 0)
		return -1;
	uint32_t *idx = arena_zalloc(a, ((size_t)r + 1) * sizeof(uint32_t));
	for (;;) {
		bool keep = true;
		for (int64_t i = 1; i < r && keep; i++) {
			if (f == F_COMBINATIONS)
				keep = idx[i] > idx[i - 1];
			else if (f == F_COMBINATIONS_WR)
				keep = idx[i] >= idx[i - 1];
		}
		for (int64_t i = 0; i < r && keep && f == F_PERMUTATIONS; i++)
			for (int64_t k = 0; k < i && keep; k++)
				keep = idx[i] != idx[k];
		if (keep) {
			value t = v_list(a, (uint32_t)r);
			for (int64_t i = 0; i < r; i++)
				vlist_push(t.list, pool.list->v[idx[i]]);
			t.flags = VF_TUPLE;
			vlist_push(l.list, t);
		}
		int64_t i = r - 1;
		for (; i >= 0; i--) {
			if (++idx[i] < n)
				break;
			idx[i] = 0;
		}
		if (i < 0)
			break;
	}
done:
	*out = it_new(st, fn_names[f], IT_FINITE, l);
	return 0;
}

static int it_fn(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)self;
	enum it_fn f = (enum it_fn)(intptr_t)data;
	const char *name = fn_names[f];
	struct arena *a = jinja_arena(st);
	value l = v_list(a, 0), x, y;
	switch (f) {
	case F_COUNT: {
		value start = v_int(0), step = v_int(1);
		jinja_arg(args, 0, "start", &start);
		jinja_arg(args, 1, "step", &step);
		if (!v_is_num(start) || !v_is_num(step))
			return jinja_error(st, "a number is required");
		*out = it_new(st, name, IT_COUNT, v_none());
		((struct it_obj *)out->obj->data)->start = start;
		((struct it_obj *)out->obj->data)->step = step;
		return 0;
	}
	case F_CYCLE:
		if (args->npos != 1 || items_of(st, args->pos[0], &x) < 0)
			return args->npos != 1 ? jinja_error(st, "cycle expected 1 argument, got %u", args->npos) : -1;
		*out = it_new(st, name, IT_CYCLE, x);
		return 0;
	case F_REPEAT: {
		value obj, times;
		if (!jinja_arg(args, 0, "object", &obj))
			return jinja_error(st, "repeat() missing required argument 'object' (pos 1)");
		if (!jinja_arg(args, 1, "times", &times)) {
			*out = it_new(st, name, IT_REPEAT, v_none());
			((struct it_obj *)out->obj->data)->start = obj;
			return 0;
		}
		int64_t n = 0;
		if (int_arg(st, name, times, "times", &n) < 0 || check_size(st, name, (double)n) < 0)
			return -1;
		for (int64_t i = 0; i < n; i++)
			vlist_push(l.list, obj);
		break;
	}
	case F_ACCUMULATE: {
		value func = v_none(), initial = v_none();
		if (args->npos < 1 || items_of(st, args->pos[0], &x) < 0)
			return args->npos < 1 ? jinja_error(st, "accumulate() missing its iterable") : -1;
		jinja_arg(args, 1, "func", &func);
		for (uint32_t i = 0; i < args->nkw; i++)
			if (str_eqc(args->kw[i].name, "initial"))
				initial = args->kw[i].v;
		value acc = initial;
		bool have = initial.type != VT_NONE;
		if (have)
			vlist_push(l.list, acc);
		for (uint32_t i = 0; i < x.list->n; i++) {
			value item = x.list->v[i];
			if (!have) {
				acc = item;
				have = true;
			} else if (func.type == VT_NONE) {
				if (jinja_add(st, acc, item, &acc) < 0)
					return -1;
			} else {
				value pair[2] = { acc, item };
				struct vargs ca = { pair, 2, 0, NULL };
				if (jinja_call(st, func, &ca, &acc) < 0)
					return -1;
			}
			vlist_push(l.list, acc);
		}
		break;
	}
	case F_CHAIN:
		for (uint32_t i = 0; i < args->npos; i++) {
			if (items_of(st, args->pos[i], &x) < 0)
				return -1;
			for (uint32_t k = 0; k < x.list->n; k++)
				vlist_push(l.list, x.list->v[k]);
		}
		break;
	case F_COMPRESS:
		if (args->npos != 2)
			return jinja_error(st, "compress() takes 2 arguments (%u given)", args->npos);
		if (items_of(st, args->pos[0], &x) < 0 || items_of(st, args->pos[1], &y) < 0)
			return -1;
		for (uint32_t i = 0; i < x.list->n && i < y.list->n; i++)
			if (v_truthy(y.list->v[i]))
				vlist_push(l.list, x.list->v[i]);
		break;
	case F_ISLICE:
		return fn_islice(st, args, out);
	case F_STARMAP:
		if (args->npos != 2)
			return jinja_error(st, "starmap expected 2 arguments, got %u", args->npos);
		if (items_of(st, args->pos[1], &x) < 0)
			return -1;
		for (uint32_t i = 0; i < x.list->n; i++) {
			value argl, r;
			if (items_of(st, x.list->v[i], &argl) < 0)
				return -1;
			struct vargs ca = { argl.list->v, argl.list->n, 0, NULL };
			if (jinja_call(st, args->pos[0], &ca, &r) < 0)
				return -1;
			vlist_push(l.list, r);
		}
		break;
	case F_TEE: {
		value nv = v_int(2);
		int64_t n = 0;
		if (args->npos < 1 || items_of(st, args->pos[0], &x) < 0)
			return args->npos < 1 ? jinja_error(st, "tee expected at least 1 argument, got 0") : -1;
		jinja_arg(args, 1, "n", &nv);
		if (int_arg(st, name, nv, "n", &n) < 0)
			return -1;
		if (n < 0)
			return jinja_error(st, "n must be >= 0");
		for (int64_t i = 0; i < n && i < MAX_ITEMS; i++)
			vlist_push(l.list, it_new(st, "_tee", IT_FINITE, x));
		l.flags = VF_TUPLE;
		*out = l;
		return 0;
	}
	case F_ZIP_LONGEST: {
		value fill = v_none();
		for (uint32_t i = 0; i < args->nkw; i++)
			if (str_eqc(args->kw[i].name, "fillvalue"))
				fill = args->kw[i].v;
		value *srcs = arena_alloc(a, (args->npos + 1) * sizeof(value));
		uint32_t longest = 0;
		for (uint32_t i = 0; i < args->npos; i++) {
			if (items_of(st, args->pos[i], &srcs[i]) < 0)
				return -1;
			if (srcs[i].list->n > longest)
				longest = srcs[i].list->n;
		}
		for (uint32_t r = 0; r < longest; r++) {
			value t = v_list(a, args->npos);
			for (uint32_t i = 0; i < args->npos; i++)
				vlist_push(t.list, r < srcs[i].list->n ? srcs[i].list->v[r] : fill);
			t.flags = VF_TUPLE;
			vlist_push(l.list, t);
		}
		break;
	}
	default:
		return fn_combinatorics(st, f, args, out);
	}
	*out = it_new(st, name, IT_FINITE, l);
	return 0;
}

value dbt_module_itertools(struct arena *a)
{
	value ns = v_dict(a, 16);
	ns.flags = VF_NAMESPACE;
	for (size_t i = 0; i < ARRAY_LEN(fn_names); i++)
		vdict_sets(ns.dict, fn_names[i], v_func(a, fn_names[i], it_fn, (void *)(intptr_t)i, v_undef()));
	return ns;
}
