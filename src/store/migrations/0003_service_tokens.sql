-- Version 3: service tokens for silt serve's API. Only the SHA-256 of a token is kept (the token
-- is shown once, when it is made); scopes are a comma list of metadata:read, job:run, admin.
CREATE TABLE service_token (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
	token_sha256 TEXT NOT NULL UNIQUE,
	prefix       TEXT NOT NULL,   -- the token's first characters, to tell tokens apart
	scopes       TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT,
	revoked_at   TEXT
) STRICT;
