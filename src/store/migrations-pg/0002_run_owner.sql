-- Version 2 (see ../migrations/0002_run_owner.sql): the host and pid owning an unfinished run.
ALTER TABLE run ADD COLUMN owner_host text;
ALTER TABLE run ADD COLUMN owner_pid bigint;
CREATE INDEX run_unfinished ON run(status) WHERE status IN ('queued', 'running');
