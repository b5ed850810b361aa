/* Phase timing for speed work (see base.h). */
#include <time.h>

#include "base.h"

void trace_phase(const char *name)
{
	static int on = -1; /* first called on the main thread, before any worker starts */
	static double t0;
	if (on < 0)
		on = getenv("SILT_TRACE_PHASES") != NULL;
	if (!on)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	if (t0 == 0)
		t0 = ms;
	fprintf(stderr, "phase %8.2f %s\n", ms - t0, name);
}
