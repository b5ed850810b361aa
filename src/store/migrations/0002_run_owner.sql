-- Version 2: the process that owns a run that has not ended (host name and pid), so a run left
-- 'queued' or 'running' by a process that died (kill -9, a crash, a lost machine) is found and
-- marked errored the next time the store is opened on that host, instead of staying stuck.
ALTER TABLE run ADD COLUMN owner_host TEXT;
ALTER TABLE run ADD COLUMN owner_pid INTEGER;
CREATE INDEX run_unfinished ON run(status) WHERE status IN ('queued', 'running');
