/* Unit tests for what templates write while they render (compile.h: dbt_output): at once, or
 * kept by a capture and written, in order and to the right stream, when it is flushed. */
#include <stdio.h>
#include <unistd.h>

#include "compile/compile.h"
#include "tap.h"

void test_output(void);

/* Runs fn with stdout and stderr sent to one file; what it wrote, each stdout byte as it came
 * and each stderr line prefixed "E:" (a line per write: the writes here are whole lines). */
static char *written(void (*fn)(void))
{
	FILE *f = tmpfile();
	FILE *g = tmpfile();
	if (!f || !g)
		return xstrdup("(no temporary file)");
	fflush(stdout);
	fflush(stderr);
	int out = dup(1), err = dup(2);
	dup2(fileno(f), 1);
	dup2(fileno(g), 2);
	fn();
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	struct buf b = BUF_INIT;
	char line[256];
	rewind(f);
	while (fgets(line, sizeof(line), f))
		buf_puts(&b, line);
	rewind(g);
	while (fgets(line, sizeof(line), g))
		buf_printf(&b, "E:%s", line);
	fclose(f);
	fclose(g);
	return buf_detach(&b, NULL);
}

static void direct(void)
{
	dbt_output_write(1, "one\n", 4);
	dbt_output_write(2, "warned\n", 7);
}

static void captured(void)
{
	struct dbt_output a = {BUF_INIT}, b = {BUF_INIT};
	dbt_output_capture(&a);
	dbt_output_write(1, "a1\n", 3);
	dbt_output_write(2, "a-warn\n", 7);
	dbt_output_capture(&b);
	dbt_output_write(1, "b1\n", 3);
	dbt_output_write(1, "", 0);
	dbt_output_capture(&a);
	dbt_output_write(1, "a2\n", 3);
	dbt_output_capture(NULL);
	dbt_output_write(1, "now\n", 4); /* no capture: at once */
	dbt_output_flush(&b);
	dbt_output_flush(&a);
	dbt_output_flush(&a); /* emptied by the first flush */
}

void test_output(void)
{
	char *s = written(direct);
	is_str(s, "one\nE:warned\n", "without a capture, writes go out at once to their stream");
	free(s);
	s = written(captured);
	is_str(s, "now\nb1\na1\na2\nE:a-warn\n",
	       "a capture keeps its writes, in order, until flushed (once), each to its stream");
	free(s);
}
