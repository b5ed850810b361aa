/* Unit tests for compile/agate.c and yaml/write.c: what the JSON-fed compile cases cannot
 * express -- dates and datetimes in query results and in toyaml. Expected text was produced by
 * /usr/bin/python3 with agate 1.6.3 (tables built as tests/compile/oracle.py builds them) and
 * PyYAML 6.0. */
#include "adapter/adapter.h"
#include "compile/compile.h"
#include "tap.h"
#include "value/datetime.h"
#include "yaml/yaml.h"

void test_agate(void);

static struct arena A;

static value dt(int y, int mo, int d, int h, int mi, int s, bool has_time)
{
	struct vdatetime x = { y, mo, d, h, mi, s, 0, has_time, false, 0 };
	return v_datetime(&A, &x);
}

static value row(int n, const value *cells) { return v_tuple(&A, (uint32_t)n, cells); }

static const char *print(value t)
{
	struct buf b = BUF_INIT;
	dbt_agate_print_table(t, 20, 6, 20, 3, &b);
	const char *s = arena_strndup(&A, buf_cstr(&b), b.n);
	buf_release(&b);
	return s;
}

static const char *yaml(value v)
{
	struct buf b = BUF_INIT, why = BUF_INIT;
	int rc = yaml_write(&b, v, false, &why);
	const char *s = rc == 0 ? arena_strndup(&A, buf_cstr(&b), b.n) : "ERROR";
	buf_release(&b);
	buf_release(&why);
	return s;
}

static void test_dates_in_results(void)
{
	struct adapter_column cols[4] = { { "d", "", 1 }, { "dd", "", 2 }, { "b", "", 3 }, { "mix", "", 4 } };
	value rows = v_list(&A, 3);
	value r1[4] = { v_date(&A, 2024, 1, 2), v_date(&A, 2024, 1, 2), v_bool(true), v_int(1) };
	value r2[4] = { v_none(), dt(2024, 1, 3, 4, 5, 6, true), v_int(1), v_date(&A, 2024, 1, 1) };
	value r3[4] = { v_date(&A, 2024, 2, 29), v_none(), v_int(0), v_none() };
	vlist_push(rows.list, row(4, r1));
	vlist_push(rows.list, row(4, r2));
	vlist_push(rows.list, row(4, r3));
	struct adapter_table t = { 4, 3, cols, rows };
	value table = dbt_agate_table(&A, &t);
	ok(dbt_is_agate_table(table), "dbt_agate_table makes a Table");
	struct buf b = BUF_INIT;
	v_to_str(table, &b);
	is_str(buf_cstr(&b),
	       "| column | data_type |\n"
	       "| ------ | --------- |\n"
	       "| d      | Date      |\n"
	       "| dd     | DateTime  |\n"
	       "| b      | Boolean   |\n"
	       "| mix    | Text      |\n",
	       "dates make Date, dates with datetimes DateTime, 0/1 with bools Boolean, the rest Text");
	buf_release(&b);
	is_str(print(table),
	       "|          d |                  dd |     b | mix        |\n"
	       "| ---------- | ------------------- | ----- | ---------- |\n"
	       "| 2024-01-02 | 2024-01-02 00:00:00 |  True | 1          |\n"
	       "|            | 2024-01-03 04:05:06 |  True | 2024-01-01 |\n"
	       "| 2024-02-29 |                     | False |            |\n",
	       "print_table casts dates to midnight in a DateTime column and ints to bools");
}

static void test_empty_result(void)
{
	struct adapter_table t = { 0, 0, NULL, v_list(&A, 0) };
	value table = dbt_agate_table(&A, &t);
	is_str(print(table), "||\n|  |\n", "a result without columns prints agate's empty table");
	ok(!v_truthy(table), "a table without rows is false");
}

static void test_yaml_dates(void)
{
	value l = v_list(&A, 4);
	vlist_push(l.list, v_date(&A, 2024, 1, 2));
	vlist_push(l.list, dt(2024, 1, 2, 3, 4, 5, true));
	struct vdatetime us = { 2024, 1, 2, 3, 4, 5, 600, true, false, 0 };
	vlist_push(l.list, v_datetime(&A, &us));
	struct vdatetime tz = { 2024, 1, 2, 3, 4, 5, 0, true, true, 330 };
	vlist_push(l.list, v_datetime(&A, &tz));
	is_str(yaml(l),
	       "- 2024-01-02\n- 2024-01-02 03:04:05\n- 2024-01-02 03:04:05.000600\n"
	       "- 2024-01-02 03:04:05+05:30\n",
	       "toyaml writes dates and datetimes as timestamps");
	is_str(yaml(v_date(&A, 2024, 1, 2)), "2024-01-02\n...\n", "a root date ends the document");
	struct adapter_table t = { 0, 0, NULL, v_list(&A, 0) };
	is_str(yaml(dbt_agate_table(&A, &t)), "ERROR", "an agate table is not representable");
}

void test_agate(void)
{
	arena_init(&A);
	test_dates_in_results();
	test_empty_result();
	test_yaml_dates();
	arena_release(&A);
}
