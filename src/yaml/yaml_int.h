/* yaml internals shared by the files of src/yaml/ only. */
#ifndef SILT_YAML_INT_H
#define SILT_YAML_INT_H

#include "yaml.h"

/* Tags silt knows by name but cannot build (PyYAML makes bytes and sets of them). */
#define YAML_T_UNSUPPORTED 0xfe
#define YAML_T_UNKNOWN 0xff

/* The tag PyYAML's implicit resolver gives a plain scalar (YAML 1.1 regexes). */
uint8_t yaml_resolve_plain(const char *s, size_t n);
/* The tag named by an explicit (expanded) tag: YAML_T_*, YAML_T_UNSUPPORTED or YAML_T_UNKNOWN. */
uint8_t yaml_tag_by_name(const char *name);
/* An explicit tag's text, for messages about the node that bears it. */
struct yaml_tagtext {
	const struct yaml_node *node;
	const char *text;
};

/* The construction pass (check.c): what SafeConstructor would refuse, in its order; builds the
 * scalars' typed values. Returns 0, or -1 after adding the first error to d. */
int yaml_check(struct yaml_doc *doc, struct arena *a, const struct yaml_tagtext *tags, size_t ntags,
               struct diag *d);

/* Fills n->i / n->f / n->b / n->dt from n->text for n->tag, as SafeConstructor's
 * construct_yaml_int/float/bool/timestamp do. Returns 0, or -1 with the reason appended to why
 * (Python's message where it has one: "invalid literal for int() with base 10: 'x'"). */
int yaml_scalar_build(struct arena *a, struct yaml_node *n, struct buf *why);

/* Composes doc->root from doc->text when the text is plain block YAML that this composes
 * exactly as libyaml would (fast.c); 0, or -1 (nothing changed) to leave it to libyaml. */
int yaml_fast_compose(struct arena *a, struct yaml_doc *doc);
/* yaml_load without fast.c: every text through libyaml (for the tests that hold the two equal). */
int yaml_load_libyaml(struct arena *a, const char *file, const char *text, size_t len,
                      struct yaml_doc **out, struct diag *d);

#endif
