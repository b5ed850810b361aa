/* json: reading JSON into values (jansson underneath) and writing values as JSON exactly as
 * Python's json.dumps prints them.
 *
 * Ownership: json_parse allocates every list, dict and string of the result in the arena it is
 * given; nothing points into `text` afterwards. json_write borrows the value and appends to a
 * buf the caller owns. See docs/internals/json.md for the byte-exact contract. */
#ifndef SILT_JSON_H
#define SILT_JSON_H

#include "../value/value.h"

/* Parses one JSON document (any value at the top level, surrounded by optional whitespace).
 * Objects become dicts in document order (a repeated key keeps its first position and its last
 * value, as Python does), integers VT_INT, numbers with a fraction or exponent VT_FLOAT, strings
 * VT_STR (may contain NUL bytes). Python's extensions NaN, Infinity and -Infinity are accepted,
 * and a real that overflows a double becomes ±inf as in Python. An integer outside int64 is an
 * error. Returns 0, or -1 after adding "file:line:col: message" to d (column in bytes, 1-based,
 * at the start of the offending token). `file` is only used in messages and may be NULL. */
int json_parse(struct arena *a, const char *file, const char *text, size_t len, value *out,
               struct diag *d);

/* json.dumps keyword arguments. Start from JSON_OPTS_INIT (Python's defaults): a zeroed struct
 * means indent=0, ensure_ascii=False, allow_nan=False, which is rarely what you want. */
struct json_opts {
	/* < 0: None (one line); >= 0: newline + indent*level spaces */
	int indent;
	/* Python's str indent (e.g. "\t"): when set, newline + indent_str*level, whatever indent is
	 */
	const char *indent_str;
	/* sort dict keys as Python's sorted() would (mixed str and number keys are an error) */
	bool sort_keys;
	/* escape every non-ASCII character as \uXXXX (Python's default: true) */
	bool ensure_ascii;
	/* write NaN, Infinity, -Infinity; false: they are an error (Python's default: true) */
	bool allow_nan;
	/* skip dict keys that are not str, int, float, bool or None instead of failing */
	bool skipkeys;
	/* Jinja2's htmlsafe_json_dumps: < > & ' become \u003c \u003e \u0026 \u0027 */
	bool html_safe;
	/* separators; NULL: ", " (or "," with an indent) and ": " */
	const char *item_sep, *key_sep;
	/* Python's default=: called for values JSON has no form for (objects, functions, Undefined,
	 * namespaces). Return 0 and set *replacement, which is then written instead; any other
	 * return value makes json_write fail with "Object of type X is not JSON serializable". */
	int (*default_fn)(value v, value *replacement, void *ud);
	void *default_ud;
	/* optional: receives the error message when json_write fails */
	struct buf *err;
	/* one top-level dict in two writes (json_write_fd): no_close leaves out its closing brace,
	 * no_open its opening one (its first entry then follows an item separator), so a write
	 * with no_close and one with no_open of two dicts give the text of one dict holding the
	 * entries of both (not with sort_keys or an indent) */
	bool no_close, no_open;
	/* json_write_fd: on the calling thread only (it otherwise writes the items of a big list or
	 * dict on two threads), for a file written while another is */
	bool one_thread;
};
/* clang-format off */
#define JSON_OPTS_INIT { .indent = -1, .ensure_ascii = true, .allow_nan = true }
/* clang-format on */

/* Appends v as JSON to out, byte for byte what json.dumps(v, **opts) returns (o == NULL: Python's
 * defaults). Returns 0, or -1 when v cannot be written (Python raises), in which case out is left
 * as it was and the message, worded as Python's, is appended to o->err when given:
 *   Object of type X is not JSON serializable
 *   keys must be str, int, float, bool or None, not X
 *   Out of range float values are not JSON compliant   (with an indent: "...compliant: nan")
 *   Circular reference detected
 *   '<' not supported between instances of 'X' and 'Y'    (sort_keys with mixed key types)
 *   maximum recursion depth exceeded while encoding a JSON object   (deeper than JSON_MAX_DEPTH)
 * Strings are UTF-8; an invalid sequence is written as U+FFFD, one per maximal ill-formed
 * subpart, as Python's bytes.decode('utf-8', 'replace') would make it. */
int json_write(struct buf *out, value v, const struct json_opts *o);

/* As json_write, but the text goes to the open file descriptor fd as it is made (through a
 * 256 KiB window), so a big value — a 60 MB manifest — never sits in memory whole. Returns 0,
 * or -1 when v cannot be written (the message as json_write's; the file then holds a prefix)
 * or a write fails (strerror appended to o->err). */
int json_write_fd(int fd, value v, const struct json_opts *o);

/* Nesting limit of json_write; json_parse (jansson) stops at 2048 too. */
#define JSON_MAX_DEPTH 2048

#endif
