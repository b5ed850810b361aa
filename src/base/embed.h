/* Files compiled into the binary at build time (tools/embed.c): the global macro project
 * (src/compile/macros/), and later the web UI and the store's SQL migrations. One binary, no
 * install tree. Paths are relative to src/ ("compile/macros/schema.sql"). */
#ifndef SILT_EMBED_H
#define SILT_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *path;
	const char *data; /* NUL-terminated */
	size_t len;
};

extern const struct embedded_file embedded_files[]; /* ends with a NULL path */
extern const size_t embedded_nfiles;

/* The file at path, or NULL. */
const struct embedded_file *embed_find(const char *path);

#endif
