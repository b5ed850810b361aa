/* Unit tests for project/: what the project cases in tests/project cannot see. */
#include "project/project.h"
#include "tap.h"

void test_project(void);

/* Which texts make a parse stay on one thread (their output keeps dbt's order). */
static void test_may_print(void)
{
	static const struct {
		const char *text;
		bool prints;
	} cases[] = {
	    {"select 1", false},
	    {"{{ print('x') }}", true},
	    {"{% do log('x', info=True) %}", true},
	    {"{{ exceptions.warn('x') }}", true},
	    {"{{ log ('x') }}", true},
	    {"print('x') at the very start", true},
	    {"{{ blueprint('x') }}", false},
	    {"{{ catalog('x') }}", false},
	    {"{{ my_log('x') }}", false},
	    {"select warn_count(1)", false},
	    {"{{ config(on_schema_change='fail') }}", true},
	    {"{{ config(x_on_schema_change='fail') }}", false},
	    {"select log, print from t", false},
	};
	int bad = 0;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (project_text_may_print(cases[i].text, strlen(cases[i].text)) != cases[i].prints) {
			printf("# %s\n", cases[i].text);
			bad++;
		}
	ok(!bad, "%zu texts: whether they may print while they render", ARRAY_LEN(cases));
}

void test_project(void)
{
	test_may_print();
}
