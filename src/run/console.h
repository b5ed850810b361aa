/* run/console: the lines a person reads, as dbt prints them: "HH:MM:SS  " (UTC) before every
 * line; progress lines "N of M MESSAGE " padded with dots to 80 columns (dbt's printer width, as
 * its format_fancy_output_line does; --printer-width changes it) then " [STATUS in X.XXs]"; the "Found ...", "Finished
 * running ..." and "Done. PASS=..." lines. Colour only on a terminal, never when NO_COLOR is set. */
#ifndef SILT_CONSOLE_H
#define SILT_CONSOLE_H

#include "base/base.h"

enum console_colour { CC_NONE, CC_GREEN, CC_RED, CC_YELLOW };

/* What dbt's global flags ask of every console (the command line sets them): */
struct console_flags {
	bool quiet;  /* --quiet, --log-level warn|error|none: only error lines are written */
	int colour;  /* --use-colors: 1, --no-use-colors: -1, 0: a terminal without NO_COLOR */
	int width;   /* --printer-width: progress lines are padded to it (0: dbt's 80) */
};
extern struct console_flags console_flags;

struct console {
	FILE *out;
	bool colour;  /* decided by console_init: console_flags.colour, else a terminal, NO_COLOR unset */
	bool no_time; /* tests: leave out the timestamps */
	bool quiet;   /* console_flags.quiet when it was made */
};
void console_init(struct console *c, FILE *out);

/* "HH:MM:SS  msg\n": an info line (dbt's InfoLevel events), left out when quiet */
void console_line(struct console *c, const char *fmt, ...) SILT_PRINTF(2, 3);
/* the same for an error line (ErrorLevel events: a failed node's result and message) */
void console_error_line(struct console *c, const char *fmt, ...) SILT_PRINTF(2, 3);

/* The progress text, without timestamp or newline:
 * "3 of 5 OK created sql view model main.stg_orders ......... [CREATE VIEW in 0.08s]".
 * secs < 0 leaves out the " in X.XXs" part ("[RUN]"). */
void console_progress_text(struct buf *out, int i, int n, const char *msg, const char *status,
                           enum console_colour colour, bool use_colour, double secs);
void console_progress(struct console *c, int i, int n, const char *msg, const char *status,
                      enum console_colour colour, double secs);
/* A progress line that reports an error or a failure: written even when quiet. */
void console_progress_error(struct console *c, int i, int n, const char *msg, const char *status,
                            enum console_colour colour, double secs);

/* "Done. PASS=5 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=5" */
void console_done_text(struct buf *out, int pass, int warn, int error, int skip, int noop);

/* One "count thing" pair of a "Found ..." or "Finished running ..." line. */
struct console_count {
	const char *singular, *plural;
	int n;
};
/* "5 models, 3 seeds, 20 data tests" (zero counts left out, in the order given) */
void console_counts_text(struct buf *out, const struct console_count *c, size_t n);
/* "0 hours 0 minutes and 0.51 seconds (0.51s)" */
void console_duration_text(struct buf *out, double secs);

#endif
