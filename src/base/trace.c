/* Phase timing for speed work (see base.h). */
#include <time.h>
#include <unistd.h>

#include "base.h"

void trace_phase(const char *name)
{
	static int on = -1; /* first called on the main thread, before any worker starts */
	static double t0, c0;
	if (on < 0)
		on = getenv("SILT_TRACE_PHASES") != NULL;
	if (!on)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	/* the process's CPU time (every thread): CPU over wall between two lines is how many
	 * cores the phase kept busy */
	struct timespec cs;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cs);
	double cpu = (double)cs.tv_sec * 1e3 + (double)cs.tv_nsec / 1e6;
	if (t0 == 0) {
		t0 = ms;
		c0 = cpu;
	}
	/* resident memory now (statm's second field, in pages): where the peak is reached */
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%*d %ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	fprintf(stderr, "phase %8.2f ms %8.2f cpu %6.1f MB %s\n", ms - t0, cpu - c0,
	        (double)pages * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0), name);
}
