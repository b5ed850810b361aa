-- Version 5: a node's manifest JSON is stored once, content-addressed (node_blob), instead of
-- once per table and per ingestion; the definition and applied rows keep a reference to it and
-- what state comparison reads of it as small columns (a digest, the relation, the
-- materialization; for macros their SQL), so `--state-env` reads small rows and parses a node's
-- JSON only when its digest differs. Artifacts may be kept compressed. Rows written before this
-- version keep their JSON inline (node, applied_node) and are compared from it.

-- hash: SHA-256 of the node's JSON as the manifest holds it, without its created_at member
-- (which changes at every parse); body: that JSON, zlib-compressed when zlib = 1. The columns
-- between them are what ingestion computed of it (copied into the rows that refer to it).
CREATE TABLE node_blob (
	id            INTEGER PRIMARY KEY,
	hash          BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	digest        BLOB,   -- graph/state.c gstate_node_digest; NULL = compare the full JSON
	database      TEXT,   -- the relation (sources: identifier in alias)
	schema        TEXT,
	alias         TEXT,
	relation_name TEXT,
	materialized  TEXT,
	macro_sql     TEXT,   -- macros: macro_sql and depends_on.macros (one id a line)
	macro_deps    TEXT,
	size          INTEGER NOT NULL CHECK (size >= 0),  -- bytes of JSON
	zlib          INTEGER NOT NULL CHECK (zlib IN (0, 1)),
	body          BLOB NOT NULL
) STRICT;

-- node_definition again, with the JSON moved out (node NULL when blob_id is set).
CREATE TABLE node_definition_v3 (
	environment_id INTEGER NOT NULL REFERENCES environment(id) ON DELETE CASCADE,
	unique_id      TEXT NOT NULL,
	resource_type  TEXT NOT NULL,
	checksum       TEXT,
	blob_id        INTEGER REFERENCES node_blob(id),
	hash           BLOB,   -- the blob's hash (so ingestion finds unchanged nodes in one scan)
	digest         BLOB,   -- graph/state.c gstate_node_digest; NULL = compare the full JSON
	database       TEXT,   -- the relation (sources: identifier in alias)
	schema         TEXT,
	alias          TEXT,
	relation_name  TEXT,
	materialized   TEXT,
	macro_sql      TEXT,   -- macros: macro_sql and depends_on.macros (one id a line)
	macro_deps     TEXT,
	config         TEXT,   -- before version 3: the config JSON
	node           TEXT,   -- before version 3: the node's manifest JSON
	CHECK (blob_id IS NOT NULL OR node IS NOT NULL),
	PRIMARY KEY (environment_id, unique_id)
) STRICT, WITHOUT ROWID;
INSERT INTO node_definition_v3 (environment_id, unique_id, resource_type, checksum, config, node)
	SELECT environment_id, unique_id, resource_type, checksum, config, node FROM node_definition;
DROP TABLE node_definition;
ALTER TABLE node_definition_v3 RENAME TO node_definition;

-- what the last success applied, by reference (applied_node/applied_config: before version 3)
ALTER TABLE node_applied ADD COLUMN applied_blob_id INTEGER REFERENCES node_blob(id);
ALTER TABLE node_applied ADD COLUMN applied_digest BLOB;
ALTER TABLE node_applied ADD COLUMN applied_relation_name TEXT;
ALTER TABLE node_applied ADD COLUMN applied_materialized TEXT;

-- encoding: 'raw' (content as is), 'zlib' (content compressed), 'nodes' (a zlib-compressed
-- list of text pieces and node_blob references, see store/jobs.c); size: the decoded length.
ALTER TABLE artifact ADD COLUMN encoding TEXT NOT NULL DEFAULT 'raw'
	CHECK (encoding IN ('raw', 'zlib', 'nodes'));
ALTER TABLE artifact ADD COLUMN size INTEGER;
