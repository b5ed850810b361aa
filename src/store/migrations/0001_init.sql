-- silt's metadata store, version 1: environments and their settings, jobs, runs, artifacts and
-- the per-environment node state. Times are UTC ISO-8601 text ("2025-01-31T12:00:00.000Z").
-- Secrets (credentials, DBT_ENV_SECRET_* values) are stored as AES-256-GCM blobs:
-- nonce (12 bytes) || ciphertext || tag (16 bytes); see docs/internals/store.md.

CREATE TABLE store_meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;

CREATE TABLE environment (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
	type        TEXT NOT NULL
	            CHECK (type IN ('production', 'staging', 'general', 'development')),
	target_name TEXT,    -- the profile output to use, NULL = the profile's `target:`
	database    TEXT,    -- explicit database / schema, overriding the output's
	schema      TEXT,
	threads     INTEGER CHECK (threads IS NULL OR threads > 0),
	git_branch  TEXT,    -- custom branch, NULL = the repository's default
	dbt_version TEXT,
	defer_env_id INTEGER REFERENCES environment(id) ON DELETE SET NULL,
	extended_attributes TEXT, -- JSON object of profile fields that override the output's
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;
-- At most one production, one staging and one development environment.
CREATE UNIQUE INDEX environment_one_of_type ON environment(type)
	WHERE type IN ('production', 'staging', 'development');

CREATE TABLE credential (
	environment_id INTEGER NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
	key            TEXT NOT NULL CHECK (length(key) > 0),
	sealed         BLOB NOT NULL,
	PRIMARY KEY (environment_id, key)
) STRICT;

CREATE TABLE job (
	id              INTEGER PRIMARY KEY,
	name            TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
	environment_id  INTEGER NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
	description     TEXT,
	job_type        TEXT NOT NULL DEFAULT 'other'
	                CHECK (job_type IN ('scheduled', 'ci', 'merge', 'other')),
	schedule_cron   TEXT,
	triggers        TEXT,    -- JSON object: {"schedule": bool, "pull_request": bool, ...}
	threads         INTEGER CHECK (threads IS NULL OR threads > 0),
	target_name     TEXT,
	timeout_seconds INTEGER NOT NULL DEFAULT 0 CHECK (timeout_seconds >= 0),
	defer_env_id    INTEGER REFERENCES environment(id) ON DELETE SET NULL,
	generate_docs   INTEGER NOT NULL DEFAULT 0 CHECK (generate_docs IN (0, 1)),
	run_source_freshness INTEGER NOT NULL DEFAULT 0 CHECK (run_source_freshness IN (0, 1)),
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX job_environment ON job(environment_id);

CREATE TABLE job_step (
	job_id   INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
	position INTEGER NOT NULL CHECK (position > 0),
	command  TEXT NOT NULL CHECK (length(command) > 0),
	PRIMARY KEY (job_id, position)
) STRICT;

-- Environment variables. scope: project (the project default), environment, job (a job's
-- override) or personal (a developer's own value, development only). Secrets keep `value` NULL
-- and their value sealed.
CREATE TABLE env_var (
	id             INTEGER PRIMARY KEY,
	name           TEXT NOT NULL,
	scope          TEXT NOT NULL CHECK (scope IN ('project', 'environment', 'job', 'personal')),
	environment_id INTEGER REFERENCES environment(id) ON DELETE CASCADE,
	job_id         INTEGER REFERENCES job(id) ON DELETE CASCADE,
	user_name      TEXT,
	value          TEXT,
	sealed         BLOB,
	updated_at     TEXT NOT NULL,
	CHECK ((value IS NULL) <> (sealed IS NULL)),
	CHECK (CASE scope
		WHEN 'project' THEN environment_id IS NULL AND job_id IS NULL AND user_name IS NULL
		WHEN 'environment' THEN environment_id IS NOT NULL AND job_id IS NULL AND user_name IS NULL
		WHEN 'job' THEN job_id IS NOT NULL AND environment_id IS NULL AND user_name IS NULL
		ELSE user_name IS NOT NULL AND environment_id IS NULL AND job_id IS NULL END)
) STRICT;
CREATE UNIQUE INDEX env_var_one_value ON env_var(
	name, scope, ifnull(environment_id, 0), ifnull(job_id, 0), ifnull(user_name, ''));

CREATE TABLE run (
	id               INTEGER PRIMARY KEY,
	environment_id   INTEGER REFERENCES environment(id) ON DELETE SET NULL,
	environment_name TEXT NOT NULL,  -- kept when the environment is deleted
	job_id           INTEGER REFERENCES job(id) ON DELETE SET NULL,
	job_name         TEXT,
	status           TEXT NOT NULL
	                 CHECK (status IN ('queued', 'running', 'success', 'error', 'cancelled')),
	trigger          TEXT NOT NULL DEFAULT 'manual',  -- manual, schedule, pull_request, ...
	is_ci            INTEGER NOT NULL DEFAULT 0 CHECK (is_ci IN (0, 1)),
	command          TEXT,     -- the invocation, for runs that are not a job's
	git_sha          TEXT,
	git_branch       TEXT,
	pr_id            TEXT,
	rerun_of         INTEGER REFERENCES run(id) ON DELETE SET NULL,
	message          TEXT,     -- why it failed or was cancelled
	created_at       TEXT NOT NULL,
	started_at       TEXT,
	finished_at      TEXT
) STRICT;
CREATE INDEX run_environment ON run(environment_id, id);
CREATE INDEX run_job ON run(job_id, id);
CREATE INDEX run_pr ON run(pr_id) WHERE pr_id IS NOT NULL;

CREATE TABLE run_step (
	id          INTEGER PRIMARY KEY,
	run_id      INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
	position    INTEGER NOT NULL CHECK (position > 0),
	command     TEXT NOT NULL,
	status      TEXT NOT NULL CHECK (status IN
	            ('queued', 'running', 'success', 'error', 'cancelled', 'skipped')),
	exit_code   INTEGER,
	logs        TEXT,
	started_at  TEXT,
	finished_at TEXT,
	UNIQUE (run_id, position)
) STRICT;

CREATE TABLE artifact (
	id      INTEGER PRIMARY KEY,
	run_id  INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
	step_id INTEGER REFERENCES run_step(id) ON DELETE CASCADE,
	path    TEXT NOT NULL CHECK (length(path) > 0),
	content BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX artifact_one_path ON artifact(run_id, ifnull(step_id, 0), path);

-- Definition state: the nodes of the environment's newest manifest.
CREATE TABLE definition_state (
	environment_id INTEGER PRIMARY KEY REFERENCES environment(id) ON DELETE CASCADE,
	run_id         INTEGER REFERENCES run(id) ON DELETE SET NULL,
	generated_at   TEXT NOT NULL,  -- the manifest's metadata.generated_at
	updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE node_definition (
	environment_id INTEGER NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
	unique_id      TEXT NOT NULL,
	resource_type  TEXT NOT NULL,
	checksum       TEXT,
	config         TEXT,           -- JSON
	node           TEXT NOT NULL,  -- the node's manifest JSON
	PRIMARY KEY (environment_id, unique_id)
) STRICT, WITHOUT ROWID;

-- Applied state: per environment and node, the last attempt and what the last success left in
-- the warehouse. A failed attempt updates the last_* columns only.
CREATE TABLE node_applied (
	environment_id      INTEGER NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
	unique_id           TEXT NOT NULL,
	resource_type       TEXT NOT NULL,
	last_run_id         INTEGER REFERENCES run(id) ON DELETE SET NULL,
	last_status         TEXT NOT NULL,
	last_at             TEXT NOT NULL,
	last_message        TEXT,
	success_run_id      INTEGER REFERENCES run(id) ON DELETE SET NULL,
	success_at          TEXT,
	relation_database   TEXT,
	relation_schema     TEXT,
	relation_identifier TEXT,
	applied_checksum    TEXT,
	applied_config      TEXT,  -- JSON
	applied_node        TEXT,  -- the node's manifest JSON as applied
	applied_vars        TEXT,  -- JSON object of the var()/env_var() values it was applied with
	PRIMARY KEY (environment_id, unique_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE node_history (
	id             INTEGER PRIMARY KEY,
	run_id         INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
	step_id        INTEGER REFERENCES run_step(id) ON DELETE SET NULL,
	unique_id      TEXT NOT NULL,
	status         TEXT NOT NULL,
	started_at     TEXT,
	completed_at   TEXT,
	execution_time REAL,
	message        TEXT
) STRICT;
CREATE INDEX node_history_node ON node_history(unique_id, run_id);
CREATE INDEX node_history_run ON node_history(run_id);
