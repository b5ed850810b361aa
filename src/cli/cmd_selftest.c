/* silt selftest KIND DIR: runs the data-driven cases of one kind (jq's --run-tests). */
#include "cli.h"

struct suite {
	const char *kind;
	int (**run)(const char *dir);
};

int cmd_selftest(int argc, char **argv)
{
	static int (*jinja)(const char *), (*yaml)(const char *), (*json)(const char *),
	    (*selectors)(const char *), (*csv)(const char *), (*project)(const char *),
	    (*compile)(const char *);
	jinja = selftest_jinja;
	yaml = selftest_yaml;
	json = selftest_json;
	selectors = selftest_selectors;
	csv = selftest_csv;
	project = selftest_project;
	compile = selftest_compile;
	const struct suite suites[] = {
		{ "jinja", &jinja },         { "yaml", &yaml }, { "json", &json },
		{ "selectors", &selectors }, { "csv", &csv },   { "project", &project },
		{ "compile", &compile },
	};
	if (argc != 3)
		die("usage: silt selftest <jinja|yaml|json|selectors|csv|project|compile> DIR");
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		if (strcmp(argv[1], suites[i].kind))
			continue;
		if (!*suites[i].run)
			die("selftest: the %s suite is not built into this binary", argv[1]);
		return (*suites[i].run)(argv[2]);
	}
	die("selftest: unknown suite '%s' (jinja, yaml, json, selectors, csv, project, compile)", argv[1]);
}
