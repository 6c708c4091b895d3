-- Named admin API tokens (only the SHA-256 of each is kept) and the audit log of writes.
CREATE TABLE api_tokens (
    name        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    hash        TEXT COLLATE "C" NOT NULL UNIQUE,
    role        TEXT COLLATE "C" NOT NULL,
    clients     TEXT COLLATE "C" NOT NULL,
    teams       TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);

CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor   TEXT COLLATE "C" NOT NULL,
    action  TEXT COLLATE "C" NOT NULL,
    client  TEXT COLLATE "C",
    target  TEXT COLLATE "C" NOT NULL,
    status  BIGINT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log (at);
