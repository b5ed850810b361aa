/* Libraries loaded when first used (base.h, "dynlib"): a symbol of a shared library is looked
 * up with dlopen/dlsym the first time a caller needs it. libpq and libmicrohttpd bring in some
 * twenty more libraries (Kerberos, LDAP, GnuTLS ...) whose loading and relocation cost every
 * `silt` start ~3 ms; only PostgreSQL targets and `silt serve` need them. */
#include <dlfcn.h>
#include <pthread.h>

#include "base.h"

void *dynlib_sym(struct dynlib *l, const char *name)
{
	pthread_mutex_lock(&l->mu);
	if (!l->handle) {
		l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
		if (!l->handle) {
			fprintf(stderr, "silt: %s needs %s (the Debian package %s): %s\n", l->user, l->soname,
			        l->package, dlerror());
			exit(2);
		}
	}
	pthread_mutex_unlock(&l->mu);
	void *p = dlsym(l->handle, name);
	if (!p) {
		fprintf(stderr, "silt: %s has no %s\n", l->soname, name);
		exit(2);
	}
	return p;
}
