/* Console lines in dbt's shapes. */
#include "tap.h"
#include "run/console.h"

void test_console(void);

void test_console(void)
{
	struct buf b = BUF_INIT;
	console_progress_text(&b, 1, 5, "START sql view model dbt_alice.stg_customers", "RUN", CC_NONE, false, -1);
	is_str(buf_cstr(&b), "1 of 5 START sql view model dbt_alice.stg_customers ............................ [RUN]",
	       "a START line pads to 80 columns (dbt's printer width)");
	buf_reset(&b);
	console_progress_text(&b, 1, 5, "OK created sql view model dbt_alice.stg_customers", "CREATE VIEW",
	                      CC_GREEN, false, 0.08);
	is_str(buf_cstr(&b), "1 of 5 OK created sql view model dbt_alice.stg_customers ....................... [CREATE VIEW in 0.08s]",
	       "an OK line with its status and time");
	buf_reset(&b);
	console_progress_text(&b, 2, 20, "FAIL 3 unique_orders_order_id", "FAIL 3", CC_RED, true, 0.03);
	is_str(buf_cstr(&b), "2 of 20 FAIL 3 unique_orders_order_id .......................................... [\033[31mFAIL 3\033[0m in 0.03s]",
	       "colour wraps the status only");
	buf_reset(&b);
	console_done_text(&b, 5, 0, 1, 2, 0);
	is_str(buf_cstr(&b), "Done. PASS=5 WARN=0 ERROR=1 SKIP=2 NO-OP=0 TOTAL=8", "the Done line");
	buf_reset(&b);
	const struct console_count counts[] = { { "model", "models", 5 },
		                                { "seed", "seeds", 0 },
		                                { "data test", "data tests", 20 },
		                                { "macro", "macros", 1 } };
	console_counts_text(&b, counts, ARRAY_LEN(counts));
	is_str(buf_cstr(&b), "5 models, 20 data tests, 1 macro", "counts leave out zeros and pluralise");
	buf_reset(&b);
	console_duration_text(&b, 0.51);
	is_str(buf_cstr(&b), "0 hours 0 minutes and 0.51 seconds (0.51s)", "a short duration");
	buf_reset(&b);
	console_duration_text(&b, 3725.5);
	is_str(buf_cstr(&b), "1 hours 2 minutes and 5.50 seconds (3725.50s)", "a long duration");
	buf_release(&b);
}
