-- Webhooks out: subscriptions (where to POST which run events, signed with a sealed secret) and
-- the outbox of deliveries that silt serve sends, retries with back-off and logs. A subscription
-- of format 'commit-status' posts a git host's commit status (GitHub's shape) for CI runs to a
-- URL whose {sha} is the run's commit, with the secret as its bearer token.
CREATE TABLE webhook (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
	url        TEXT NOT NULL,
	events     TEXT NOT NULL,   -- comma list: run.started, run.completed, run.errored
	secret     BLOB,            -- sealed; NULL = unsigned
	format     TEXT NOT NULL DEFAULT 'event' CHECK (format IN ('event', 'commit-status')),
	created_at TEXT NOT NULL
) STRICT;

CREATE TABLE webhook_delivery (
	id              INTEGER PRIMARY KEY,
	webhook_id      INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
	event           TEXT NOT NULL,
	run_id          INTEGER,
	url             TEXT NOT NULL,  -- the subscription's, {sha} filled in
	payload         TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	response_code   INTEGER,
	error           TEXT,
	created_at      TEXT NOT NULL,
	delivered_at    TEXT
) STRICT;
CREATE INDEX webhook_delivery_pending ON webhook_delivery(next_attempt_at) WHERE status = 'pending';
