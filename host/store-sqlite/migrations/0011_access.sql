-- Named admin API tokens (only the SHA-256 of each is kept) and the audit log of writes.
CREATE TABLE api_tokens (
    name        TEXT NOT NULL PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    clients     TEXT NOT NULL,
    teams       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    client  TEXT,
    target  TEXT NOT NULL,
    status  INTEGER NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log (at);
