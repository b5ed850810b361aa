/* compile internals: only src/compile/ files include this. */
#ifndef SILT_COMPILE_INT_H
#define SILT_COMPILE_INT_H

#include "compile.h"

/* modules.re (modules_re.c): a namespace of Python's re functions and flags. */
value dbt_module_re(struct arena *a);

#endif
