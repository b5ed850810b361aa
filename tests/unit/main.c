/* Runs every C unit test group and prints TAP, then "N passed, N failed". */
#include "store_db.h"
#include "tap.h"

int tap_passed, tap_failed;

void tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %d - ", cond ? "ok" : "not ok", tap_passed + tap_failed + 1);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (cond) {
		tap_passed++;
	} else {
		tap_failed++;
		printf("#   at %s:%d\n", file, line);
	}
}

void tap_is_str(const char *got, const char *want, const char *file, int line, const char *what)
{
	bool same = got && want && strcmp(got, want) == 0;
	tap_ok(same, file, line, "%s", what);
	if (!same)
		printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)", want ? want : "(null)");
}

void tap_is_int(long long got, long long want, const char *file, int line, const char *what)
{
	tap_ok(got == want, file, line, "%s", what);
	if (got != want)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
}

/* Each group lives in its own file; a group not linked in is skipped (weak). */
#define GROUPS(X) X(base) X(output) X(value) X(json) X(yaml) X(yaml_fast) X(sqlite) X(adapter) X(embed) X(run) X(console) X(agate) X(store) X(store_blobs) X(sched) X(queue)
#define DECLARE(g) void test_##g(void) __attribute__((weak));
GROUPS(DECLARE)

/* Whether group g is to run: every group, or those named on the command line. */
static bool wanted(int argc, char **argv, const char *g)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], g))
			return true;
	return argc < 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
#define RUN(g)                                                                                     \
	if (test_##g && wanted(argc, argv, #g)) {                                                  \
		printf("# %s\n", #g);                                                              \
		test_##g();                                                                        \
	}
	GROUPS(RUN)
	test_store_drop_all();
	printf("%d passed, %d failed\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}
