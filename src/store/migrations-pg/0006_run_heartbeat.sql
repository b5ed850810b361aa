-- Version 6 (see ../migrations/0006_run_heartbeat.sql): the time a running run's worker last
-- said it is alive.
ALTER TABLE run ADD COLUMN heartbeat_at text;
