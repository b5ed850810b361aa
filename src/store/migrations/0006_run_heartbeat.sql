-- Version 6: the time the worker running a run last said it is alive (it writes this every few
-- seconds while the run runs). A worker on another machine cannot be checked by its pid, so a
-- running run whose heartbeat is older than the timeout (SILT_RUN_HEARTBEAT_TIMEOUT, 30 s) is
-- marked errored by whichever silt recovers runs (store_recover_runs: the scheduler's tick, a
-- worker's poll, opening the store).
ALTER TABLE run ADD COLUMN heartbeat_at TEXT;
