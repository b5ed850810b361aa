/* Lookup in the table of embedded files. */
#include <string.h>

#include "embed.h"

const struct embedded_file *embed_find(const char *path)
{
	for (size_t i = 0; i < embedded_nfiles; i++)
		if (!strcmp(embedded_files[i].path, path))
			return &embedded_files[i];
	return NULL;
}
