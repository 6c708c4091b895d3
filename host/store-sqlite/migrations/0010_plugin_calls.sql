-- Recorded plugin calls: the input of every live call (arguments and the config the plugin
-- could read), so a decision can be replayed and a candidate build shadow-run on real calls.
CREATE TABLE plugin_calls (
    id              TEXT    NOT NULL PRIMARY KEY,
    client          TEXT    NOT NULL,
    flow            TEXT    NOT NULL,
    call            TEXT    NOT NULL,
    plugin_id       TEXT    NOT NULL,
    plugin_version  TEXT    NOT NULL,
    input           TEXT    NOT NULL,
    labels          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX plugin_calls_by_rule ON plugin_calls (client, call, created_at);
CREATE INDEX plugin_calls_by_created ON plugin_calls (created_at);

-- The call a decision was made from (NULL for decisions recorded before calls were).
ALTER TABLE decisions ADD COLUMN call_id TEXT;

-- Candidate builds tried beside the live one on recorded calls.
CREATE TABLE shadow_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client       TEXT    NOT NULL,
    candidate    TEXT    NOT NULL,
    live         TEXT    NOT NULL,
    calls        INTEGER NOT NULL,
    changed      INTEGER NOT NULL,
    report       TEXT    NOT NULL,
    accepted_by  TEXT,
    accepted_at  INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX shadow_runs_by_candidate ON shadow_runs (client, candidate, id);
CREATE INDEX shadow_runs_by_created ON shadow_runs (created_at);

-- Order lines that took more than the ERP had available at injection: buffer advice.
CREATE TABLE oversells (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client       TEXT NOT NULL,
    sku          TEXT NOT NULL,
    location     TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    ordered      INTEGER NOT NULL,
    available    INTEGER NOT NULL,
    buffer       INTEGER NOT NULL,
    cycle_id     INTEGER NOT NULL,
    lag_minutes  INTEGER NOT NULL,
    rule         TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX oversells_by_client ON oversells (client, at);
