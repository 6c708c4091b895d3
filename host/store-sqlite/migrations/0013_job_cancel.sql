-- A person can cancel a queued job (issue 19): a fifth state, `cancelled`, never claimed and
-- never re-armed by an event. SQLite cannot change a CHECK constraint, so the table is rebuilt
-- with the same columns, rows, ids and indexes.
CREATE TABLE jobs_new (
    -- AUTOINCREMENT: a job id is never reused, so a stale lease can never match a new job.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    client           TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    lease_until      INTEGER,
    last_error       TEXT,
    result           TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    snoozes          INTEGER NOT NULL DEFAULT 0,
    rearm_pending    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (client, kind, idempotency_key)
);
INSERT INTO jobs_new (id, client, kind, idempotency_key, payload, state, attempts, max_attempts,
                      run_at, lease_until, last_error, result, created_at, updated_at, snoozes,
                      rearm_pending)
    SELECT id, client, kind, idempotency_key, payload, state, attempts, max_attempts, run_at,
           lease_until, last_error, result, created_at, updated_at, snoozes, rearm_pending
    FROM jobs;
-- Ids handed out before stay spent, including those of jobs retention has purged.
INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs_new', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jobs_new');
UPDATE sqlite_sequence
    SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0))
    WHERE name = 'jobs_new';
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_ready ON jobs (state, kind, run_at);
CREATE INDEX jobs_leases ON jobs (state, lease_until);
CREATE INDEX jobs_by_updated ON jobs (updated_at);
CREATE INDEX jobs_due ON jobs (state, run_at, client, kind);
-- The jobs of one client, newest first (the API's job list).
CREATE INDEX jobs_by_client ON jobs (client, id);
