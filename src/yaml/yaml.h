/* yaml: a YAML DOM over libyaml that reads documents exactly as dbt does (PyYAML's CSafeLoader):
 * the YAML 1.1 resolver for plain scalars (yes/no/on/off are booleans, 012 is octal, 1:30 is 90,
 * 2024-01-01 is a date), SafeConstructor's tags, `<<` merge keys, anchors and aliases.
 *
 * Ownership: yaml_load allocates every node, string and table in the arena it is given; scalar
 * text is copied once and NUL-terminated. The DOM borrows `text` only to print source excerpts
 * in yaml_error; keep it alive as long as you report errors at nodes (or pass len 0 there).
 * yaml_to_value allocates containers in its arena; its strings borrow the DOM's scalar text, so
 * the DOM's arena must live as long as the values.
 *
 * Errors: everything PyYAML would reject is rejected by yaml_load (syntax errors, undefined
 * aliases, unknown tags, unhashable keys, bad merges, invalid dates or numbers under explicit
 * tags), so yaml_to_value never fails. The one error reported is the first PyYAML would raise:
 * syntax first, then construction in SafeConstructor's (breadth-first) order.
 * Where silt differs from PyYAML (tests/yaml/DISABLED): integers outside int64 become floats;
 * nesting deeper than YAML_MAX_DEPTH, an alias inside its own anchor (a recursive structure),
 * !!binary and !!set (no bytes or set values) are refused.
 * Callers reading dbt files: dbt strips the file's text (load_file_contents(strip=True)) before
 * parsing; silt leaves that to the caller, and reports lines of the file as it is. */
#ifndef SILT_YAML_H
#define SILT_YAML_H

#include "../value/value.h"

#define YAML_MAX_DEPTH 512

struct vdatetime; /* value/datetime.h */

enum yaml_kind { YAML_K_SCALAR = 1, YAML_K_SEQ, YAML_K_MAP };

enum yaml_style {
	YAML_S_PLAIN = 1, /* scalars */
	YAML_S_SINGLE,    /* 'quoted' */
	YAML_S_DOUBLE,    /* "quoted" */
	YAML_S_LITERAL,   /* | */
	YAML_S_FOLDED,    /* > */
	YAML_S_BLOCK,     /* sequences and mappings */
	YAML_S_FLOW,      /* [..] and {..} */
};

/* The resolved tag, i.e. the Python type the node becomes. */
enum yaml_tag {
	YAML_T_NULL = 1,
	YAML_T_BOOL,
	YAML_T_INT,
	YAML_T_FLOAT,
	YAML_T_STR,
	YAML_T_TIMESTAMP, /* datetime.date or datetime.datetime */
	YAML_T_SEQ,
	YAML_T_MAP,
	YAML_T_OMAP,  /* !!omap: a list of (key, value) tuples */
	YAML_T_PAIRS, /* !!pairs: the same */
	YAML_T_MERGE, /* the key `<<` */
	YAML_T_VALUE, /* the key `=` (becomes the string "=") */
};

enum yaml_flags {
	YAML_F_BIGINT = 1, /* YAML_T_INT outside int64: f holds the value as a double */
	YAML_F_MERGE = 2,  /* a mapping with at least one `<<` key */
	YAML_F_OPEN = 4,   /* being composed (internal) */
	YAML_F_TAGGED = 8, /* the tag was written (!!str 12, !!map {..}), not resolved */
	                   /* 16, 32 and 64 are used by the construction pass */
};

struct yaml_pair {
	struct yaml_node *key, *val;
};

struct yaml_node {
	uint8_t kind;  /* enum yaml_kind */
	uint8_t style; /* enum yaml_style */
	uint8_t tag;   /* enum yaml_tag */
	uint8_t flags; /* enum yaml_flags */
	uint32_t id;   /* 0, or 1.. when an alias refers to this node (values are then shared) */
	int line, col; /* 1-based start (of the anchor or tag when the node has one); the column
	                  counts characters, as libyaml and PyYAML do */
	const struct yaml_doc *doc;
	const char *text; /* scalars: the value, NUL-terminated; else NULL */
	uint32_t len;     /* scalars: bytes of text; sequences: items; mappings: pairs */
	union {
		struct yaml_node **items; /* YAML_K_SEQ */
		struct yaml_pair *pairs;  /* YAML_K_MAP, as written: duplicates and `<<` included */
		int64_t i;                /* YAML_T_INT */
		double f;                 /* YAML_T_FLOAT, or YAML_T_INT with YAML_F_BIGINT */
		bool b;                   /* YAML_T_BOOL */
		const struct vdatetime *dt; /* YAML_T_TIMESTAMP */
	};
};

struct yaml_doc {
	const char *file; /* as given to yaml_load, copied */
	const char *text; /* borrowed, for excerpts */
	size_t len;
	struct yaml_node *root; /* NULL for an empty stream (PyYAML: None) */
	uint32_t nodes;         /* nodes composed */
	uint32_t shared;        /* nodes with an id */
	/* nodes with an anchor, in the order their composition ended (a node's aliases only
	 * refer to nodes before it) */
	struct yaml_node **anchored;
	uint32_t nanchored;
};

/* Reads exactly one document, as yaml.load(text, Loader=CSafeLoader): an empty stream gives a
 * doc whose root is NULL, a second document is an error. Returns 0 and sets *out, or returns -1
 * after adding "file:line:col: message" to d (messages are libyaml's and PyYAML's:
 * "mapping values are not allowed in this context", "found undefined alias 'x'",
 * "could not determine a constructor for the tag '!Ref'", ...). */
int yaml_load(struct arena *a, const char *file, const char *text, size_t len,
              struct yaml_doc **out, struct diag *d);

/* The node as a value, as PyYAML constructs it: merges applied, duplicate keys last-wins, keys
 * keeping their types, dates as datetime objects. A node reached through several aliases gives
 * one shared container. n == NULL gives None. */
value yaml_to_value(struct arena *a, const struct yaml_node *n);

/* yaml_load + yaml_to_value into the same arena. */
int yaml_load_value(struct arena *a, const char *file, const char *text, size_t len, value *out,
                    struct diag *d);

/* ---- walking the DOM ---- */
/* The value of the string key `key` in a mapping (the last one when repeated, then the keys
 * merged in by `<<`, as the value would have it), or NULL when absent or n is not a mapping.
 * Only keys that are strings match: `on:` is the boolean True and `'1':` is not `1:`. */
const struct yaml_node *yaml_map_get(const struct yaml_node *n, const char *key);
const struct yaml_node *yaml_map_getn(const struct yaml_node *n, struct str key);
/* Item i of a sequence, or NULL. */
const struct yaml_node *yaml_seq_at(const struct yaml_node *n, size_t i);
/* Follows a dotted path of mapping keys and sequence indexes: "models.0.columns". NULL when any
 * step is missing. An empty path is n itself. */
const struct yaml_node *yaml_get_path(const struct yaml_node *n, const char *path);

static inline bool yaml_is_map(const struct yaml_node *n)
{
	return n && n->kind == YAML_K_MAP;
}
static inline bool yaml_is_seq(const struct yaml_node *n)
{
	return n && n->kind == YAML_K_SEQ;
}
/* A scalar that becomes a str (quoted, block, or plain text that resolves to no other type). */
static inline bool yaml_is_str(const struct yaml_node *n)
{
	return n && n->kind == YAML_K_SCALAR && n->tag == YAML_T_STR;
}
/* None: an empty value, ~, null, or no document at all (n == NULL). */
static inline bool yaml_is_null(const struct yaml_node *n)
{
	return !n || n->tag == YAML_T_NULL;
}
static inline struct str yaml_str(const struct yaml_node *n)
{
	return n && n->kind == YAML_K_SCALAR ? str_make(n->text, n->len) : str_make("", 0);
}
/* "scalar", "sequence", "mapping" (PyYAML's node ids) */
const char *yaml_kind_name(const struct yaml_node *n);
/* The Python type name of the node's value: "str", "int", "bool", "NoneType", "list", "dict",
 * "date", ... for messages like "expected a list for 'columns', got dict". */
const char *yaml_type_name(const struct yaml_node *n);

/* Adds an error at the node's position: "file:line:col: message", with a source excerpt. */
void yaml_error(struct diag *d, const struct yaml_node *n, const char *fmt, ...) SILT_PRINTF(3, 4);

/* ---- writing (write.c) ---- */
enum { YAML_WRITE_UNREPRESENTABLE = -1 };
/* Appends v as yaml.safe_dump(v, sort_keys=sort_keys) writes it (PyYAML's defaults: block
 * style, indent 2, width 80, non-ASCII escaped; a mapping whose keys do not order stays as it
 * is). Returns 0, or YAML_WRITE_UNREPRESENTABLE for a value SafeRepresenter refuses (functions,
 * objects other than dates: PyYAML's RepresenterError) or nesting past YAML_MAX_DEPTH; then
 * nothing is appended and why says what failed. */
int yaml_write(struct buf *out, value v, bool sort_keys, struct buf *why);

#endif
