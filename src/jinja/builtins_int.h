/* Helpers the builtin files (filters.c, tests.c, methods.c, format.c, globals.c) share; only
 * those files include this header. Each helper lives in the file named in its comment group. */
#ifndef SILT_JINJA_BUILTINS_INT_H
#define SILT_JINJA_BUILTINS_INT_H

#include "jinja_int.h"

size_t jb_utf8_dec(const char *p, size_t n, uint32_t *cp);
void jb_utf8_put(struct buf *b, uint32_t cp);
size_t jb_cplen(const char *p, size_t n);
size_t jb_cpoff(const char *p, size_t n, size_t cpi);
uint32_t jb_upper(uint32_t cp);
uint32_t jb_lower(uint32_t cp);
bool jb_isspace(uint32_t cp);
bool jb_isalpha(uint32_t cp);
bool jb_isalnum(uint32_t cp);
void jb_str_lower(struct str s, struct buf *out);
void jb_str_upper(struct str s, struct buf *out);
value jb_ignore_case(struct jstate *st, value v);
int jb_bind(struct jstate *st, const char *fname, const struct vargs *args, const char *spec,
            value *out, uint32_t *given);
int jb_index_arg(struct jstate *st, value v, int64_t *out);
value jb_strval(struct jstate *st, struct buf *b);
int jb_list_sort(struct jstate *st, value *items, value *keys, uint32_t n, bool reverse);
int jb_list_sort2(struct jstate *st, value *items, value *keys, uint32_t n, bool reverse,
                  bool eqfirst);
int jb_compare(struct jstate *st, int op, value a, value b, bool *out);
int jb_check_size(struct jstate *st, uint64_t bytes);
value jb_str_replace(struct jstate *st, struct str s, struct str old, struct str new,
                     int64_t count);
value jb_iterator(struct jstate *st, int kind, const char *qualname, value items);
bool jb_range_info(value v, int64_t *start, int64_t *stop, int64_t *step, int64_t *len);
bool jb_dict_view(value v, value *dict);
bool jb_isdigit(uint32_t cp);
void jb_repr_join(struct buf *out, const char *fmt, value v);
bool jb_str_islower(struct str s);
bool jb_str_isupper(struct str s);
int jb_dict_merge(struct jstate *st, struct vdict *d, value src, const char *fname);
int jb_format_value(struct jstate *st, value v, struct str spec, struct buf *out);

#endif
