/* value: the one dynamic type that carries template, YAML and JSON data (Python semantics).
 *
 * A value is 16 bytes, passed by value. Scalars live inside it; strings, lists, dicts, functions
 * and objects point into an arena. Ownership: a value lives as long as the arena its parts were
 * allocated in; values are never freed one by one. Strings are immutable and may borrow bytes
 * that someone else keeps alive (template source, YAML text), so slicing and literals cost no
 * copy. Lists and dicts are mutable and grow in the arena they were created in (vlist.a/vdict.a).
 * vlist_push/vdict_set store the value as given: whoever stores a value into a container that
 * outlives the value's arena copies it first (value_copy); the interpreter does so when a render
 * mutates a container owned by a longer-lived arena (globals, project data).
 *
 * Python semantics: equality (1 == 1.0 == True), truthiness, repr/str, ordering for sort, hashing
 * of dict keys all follow CPython, because templates compare and print values the way dbt's
 * Python does. */
#ifndef SILT_VALUE_H
#define SILT_VALUE_H

#include "../base/base.h"

enum vtype {
	VT_UNDEF, /* jinja Undefined; s/len hold the missing name (may be empty) */
	VT_NONE,
	VT_BOOL,
	VT_INT,
	VT_FLOAT,
	VT_STR,
	VT_LIST, /* also tuples: flags VF_TUPLE */
	VT_DICT, /* also namespaces: flags VF_NAMESPACE */
	VT_FUNC, /* a C callable, possibly bound to a self value */
	VT_MACRO, /* a jinja macro (opaque here) */
	VT_OBJ,  /* an object with a class (datetime, relation, loop, cycler, ...) */
};

enum vflags {
	VF_TUPLE = 1,      /* VT_LIST that prints and compares as a tuple and is immutable */
	VF_NAMESPACE = 2,  /* VT_DICT made by namespace(): attribute assignment allowed */
	VF_SAFE = 4,       /* VT_STR marked safe (Markup) */
	VF_NATIVE_TEXT = 8, /* VT_STR from as_text: never literal-evaluated by native rendering */
	VF_NATIVE = 16,     /* VT_STR from as_native/as_bool/as_number: evaluated by native rendering */
	VF_NATIVE_BOOL = 32,   /* with VF_NATIVE (as_bool): the evaluated result must be a bool */
	VF_NATIVE_NUMBER = 64, /* with VF_NATIVE (as_number): the result must be an int or float */
};

struct vlist;
struct vdict;
struct vfunc;
struct vobj;

typedef struct value {
	uint8_t type;
	uint8_t flags;
	uint16_t spare;
	uint32_t len; /* VT_STR / VT_UNDEF: byte length of s */
	union {
		bool b;
		int64_t i;
		double f;
		const char *s; /* not necessarily NUL-terminated */
		struct vlist *list;
		struct vdict *dict;
		struct vfunc *func;
		struct vobj *obj;
		void *ptr; /* VT_MACRO */
	};
} value;

struct vlist {
	value *v;
	uint32_t n, cap;
	struct arena *a;
};

/* A dict keeps its keys and its values in two arrays of cap entries each (one allocation), so
 * that dicts of one shape (a manifest's 30,000 node dicts) share one array of keys and one hash
 * index and own only their values: 16 bytes an entry, not 32. A key's spare bits hold the low
 * 16 bits of its hash (the tag, set by vdict_set or vdict_key), which the index rebuilds from
 * and lookups compare first. k[i].type == VT_UNDEF marks a removed entry (a hole).
 *
 * Shared keys and index are never written in place: a dict made from a shape has cap == n, so
 * adding a key copies both, and vdict_del copies the keys. Code that fills a dict's arrays
 * itself (vdict_share_keys, vdict_key) keeps to that. */
struct vdict { /* 48 bytes: the pointers first, so there is no padding */
	value *k;
	value *v;
	uint32_t *index; /* open addressing: entry index + 1; 0 = empty */
	struct arena *a;
	uint32_t n, cap, live;
	uint32_t icap;
};

/* One entry as a pair: what sorting and copying code passes around (vdict_at). */
struct ventry {
	value k, v;
};
static inline struct ventry vdict_at(const struct vdict *d, uint32_t i)
{
	return (struct ventry){d->k[i], d->v[i]};
}

/* ---- calls: the shape of every C callable ---- */
struct vkwarg {
	struct str name;
	value v;
};
struct vargs {
	const value *pos;
	uint32_t npos, nkw;
	const struct vkwarg *kw;
};
struct jstate; /* the interpreter's state (jinja), passed through to callables */
/* Return 0 and set *ret, or record an error on st (jinja_error) and return -1. */
typedef int (*vfunc_fn)(struct jstate *st, void *data, value self, const struct vargs *args,
                        value *ret);
struct vfunc {
	const char *name;
	vfunc_fn fn;
	void *data;
	value self; /* VT_UNDEF when unbound */
};

/* ---- objects: classes give attribute access, calls, text and iteration ---- */
struct vclass {
	const char *name; /* Python type name, for messages */
	/* 1 found, 0 not found, -1 error (recorded on st) */
	int (*getattr)(struct jstate *st, value self, struct str name, value *out);
	/* self[key]: 1 found, 0 not found, -1 error; NULL = string keys go to getattr */
	int (*getitem)(struct jstate *st, value self, value key, value *out);
	int (*call)(struct jstate *st, value self, const struct vargs *args, value *out);
	void (*str)(value self, struct buf *out);  /* str(); NULL = "<name object>" */
	void (*repr)(value self, struct buf *out); /* repr(); NULL = str */
	int (*iter)(struct jstate *st, value self, value *list_out); /* materialise as a list */
	bool (*truthy)(value self);                                 /* NULL = true */
	bool (*equal)(value a, value b);                            /* NULL = identity */
	/* len(self) for sequence objects; with iter, also makes them sliceable (as a tuple) */
	int64_t (*len)(value self);
};
struct vobj {
	const struct vclass *cls;
	void *data;
};

/* ---- constructors ---- */
static inline value v_undef(void) { return (value){ .type = VT_UNDEF }; }
static inline value v_undef_named(const char *name, size_t n)
{
	return (value){ .type = VT_UNDEF, .len = (uint32_t)n, .s = name };
}
static inline value v_none(void) { return (value){ .type = VT_NONE }; }
static inline value v_bool(bool b) { return (value){ .type = VT_BOOL, .b = b }; }
static inline value v_int(int64_t i) { return (value){ .type = VT_INT, .i = i }; }
static inline value v_float(double f) { return (value){ .type = VT_FLOAT, .f = f }; }
/* Borrows p: the caller keeps the bytes alive as long as the value. */
static inline value v_str(const char *p, size_t n)
{
	return (value){ .type = VT_STR, .len = (uint32_t)n, .s = n ? p : "" };
}
static inline value v_cstr(const char *s) { return v_str(s, strlen(s)); }
static inline value v_strs(struct str s) { return v_str(s.p, s.n); }
static inline struct str v_as_str(value v) { return (struct str){ v.s, v.len }; }
value v_strdup(struct arena *a, const char *p, size_t n); /* copies into a */
value v_buf(struct arena *a, const struct buf *b);         /* copies b's text into a */
value v_list(struct arena *a, uint32_t cap);
value v_tuple(struct arena *a, uint32_t n, const value *items);
value v_dict(struct arena *a, uint32_t cap);
value v_func(struct arena *a, const char *name, vfunc_fn fn, void *data, value self);
value v_obj(struct arena *a, const struct vclass *cls, void *data);

static inline bool v_is_undef(value v) { return v.type == VT_UNDEF; }
static inline bool v_is_str(value v) { return v.type == VT_STR; }
static inline bool v_is_num(value v)
{
	return v.type == VT_INT || v.type == VT_FLOAT || v.type == VT_BOOL;
}
static inline bool v_is_tuple(value v) { return v.type == VT_LIST && (v.flags & VF_TUPLE); }

/* ---- lists ---- */
void vlist_push(struct vlist *l, value x);
void vlist_insert(struct vlist *l, uint32_t at, value x);
void vlist_remove(struct vlist *l, uint32_t at);

/* ---- dicts (insertion-ordered, any hashable key) ---- */
bool vdict_get(const struct vdict *d, value key, value *out);
bool vdict_gets(const struct vdict *d, struct str key, value *out); /* string key */
/* The index of the entry holding key, or -1. */
int64_t vdict_index(const struct vdict *d, value key);
/* d[key] (a string key; VT_UNDEF when absent) where `at` says it was found last: dicts of one
 * shape hold a key at the same place, as the same string (vdict_share_keys), so a walk over
 * many asks the index only once. at starts zeroed and is kept by the caller. */
struct vdict_at {
	const char *key; /* the string the entry's key was, NULL: none yet */
	uint32_t i;
};
value vdict_get_at_slow(const struct vdict *d, struct str key, struct vdict_at *at);
static inline value vdict_get_at(const struct vdict *d, struct str key, struct vdict_at *at)
{
	if (at->key && at->i < d->n) {
		const value *k = &d->k[at->i];
		if (k->type == VT_STR && k->s == at->key && k->len == key.n)
			return d->v[at->i];
	}
	return vdict_get_at_slow(d, key, at);
}
/* vdict_get_at for a key literal (a C string constant), through the slot h of a table the
 * caller keeps by the literal's address; a slot that held another literal is taken over. */
struct vdict_lit {
	const char *lit;
	uint32_t len;
	struct vdict_at at;
};
static inline value vdict_get_lit(const struct vdict *d, const char *lit, struct vdict_lit *h)
{
	if (h->lit != lit)
		*h = (struct vdict_lit){lit, (uint32_t)strlen(lit), {NULL, 0}};
	return vdict_get_at(d, str_make(lit, h->len), &h->at);
}
/* The slot of lit in a table of 2^bits hints (for vdict_get_lit). */
#define VDICT_LIT_SLOT(lit, bits) (((uintptr_t)(lit) * 0x9e3779b97f4a7c15ULL) >> (64 - (bits)))
/* key tagged with its hash h (v_hash(key)), for code that fills a dict's entries itself */
static inline value vdict_key(value key, uint64_t h)
{
	key.spare = (uint16_t)h;
	return key;
}
/* d[key] when d is a dict holding the string key, else VT_UNDEF; v_item_str: the str or NULL. */
value v_item(value d, const char *key);
const char *v_item_str(value d, const char *key);
void vdict_set(struct vdict *d, value key, value val);
void vdict_sets(struct vdict *d, const char *key, value val); /* borrows key */
bool vdict_del(struct vdict *d, value key, value *old);
/* Iterate: for (uint32_t i = 0; i < d->n; i++) if (d->k[i].type != VT_UNDEF) ... */
/* A dict of n entries whose keys and hash index are shape's (a dict of n entries, no holes),
 * with the values vals (copied). */
value vdict_share_keys(struct arena *a, const struct vdict *shape, const value *vals, uint32_t n);
bool v_hashable(value v);

/* ---- Python semantics ---- */
bool v_truthy(value v);
bool v_equal(value a, value b);
/* Ordering as Python's <: returns 0 and sets *cmp (-1/0/1), or -1 when the types don't order. */
int v_compare(value a, value b, int *cmp);
uint64_t v_hash(value v);
const char *v_type_name(value v); /* "int", "str", "list", "tuple", "dict", "NoneType", ... */
void v_to_str(value v, struct buf *out);  /* Python str() */
void v_to_repr(value v, struct buf *out); /* Python repr() */
void v_repr_str(struct str s, struct buf *out); /* repr of a string: 'it''s' → "it's" */
/* Python float repr: shortest text that round-trips ('1.0', '1e+16', '1e-05', 'inf', 'nan').
 * Returns the length written to out (at most 31 bytes plus NUL). */
int fmt_double(double f, char out[32]);
/* An integer in decimal at out (no NUL: at most 20 bytes); returns the length. */
int fmt_int(int64_t v, char out[24]);
value value_copy(struct arena *a, value v);
/* Length of the UTF-8 sequence at s (1 for an invalid byte, whose value is then the byte) and its
 * code point in *cp. n > 0. */
size_t v_utf8_decode(const char *s, size_t n, uint32_t *cp); /* deep copy of strings, lists and dicts into a */

#endif
