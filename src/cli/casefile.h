/* Reading data-driven test case files: sections introduced by "--- NAME [ARG]" lines. */
#ifndef SILT_CASEFILE_H
#define SILT_CASEFILE_H

#include "base/base.h"

struct case_section {
	struct str name; /* "template", "macros", ... */
	struct str arg;  /* text after the name on the marker line ("lib" in "--- macros lib") */
	struct str body; /* without the newline that ends its last line */
};

struct casefile {
	char *text; /* owned */
	size_t len;
	VEC(struct case_section) sections;
};

/* Loads path; returns -1 (and prints why) when it cannot be read. */
int casefile_load(struct casefile *cf, const char *path);
void casefile_release(struct casefile *cf);
const struct case_section *casefile_get(const struct casefile *cf, const char *name);
/* Every file under dir whose name ends with suffix, sorted; caller frees each and the array. */
char **list_files(const char *dir, const char *suffix, size_t *n);
/* Paths listed in DIR/DISABLED (first word of each non-comment line); NULL-terminated. */
char **load_disabled(const char *dir);
bool is_disabled(char **disabled, const char *relpath);
void free_strv(char **v);
/* Runs every *.case under dir (sorted; those in DIR/DISABLED skipped) through run, printing a
 * TAP line each (run explains a failure in why) and "N passed, N failed[, N skipped]".
 * Returns the exit status: 0 when nothing failed, else 1. */
int casefile_suite(const char *dir, bool (*run)(const struct casefile *cf, struct buf *why));

#endif
