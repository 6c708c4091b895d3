-- Recorded plugin calls: the input of every live call (arguments and the config the plugin
-- could read), so a decision can be replayed and a candidate build shadow-run on real calls.
CREATE TABLE plugin_calls (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    client          TEXT COLLATE "C" NOT NULL,
    flow            TEXT COLLATE "C" NOT NULL,
    call            TEXT COLLATE "C" NOT NULL,
    plugin_id       TEXT COLLATE "C" NOT NULL,
    plugin_version  TEXT COLLATE "C" NOT NULL,
    input           TEXT COLLATE "C" NOT NULL,
    labels          TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX plugin_calls_by_rule ON plugin_calls (client, call, created_at);
CREATE INDEX plugin_calls_by_created ON plugin_calls (created_at);

-- The call a decision was made from (NULL for decisions recorded before calls were).
ALTER TABLE decisions ADD COLUMN call_id TEXT COLLATE "C";

-- Candidate builds tried beside the live one on recorded calls.
CREATE TABLE shadow_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client       TEXT COLLATE "C" NOT NULL,
    candidate    TEXT COLLATE "C" NOT NULL,
    live         TEXT COLLATE "C" NOT NULL,
    calls        BIGINT NOT NULL,
    changed      BIGINT NOT NULL,
    report       TEXT COLLATE "C" NOT NULL,
    accepted_by  TEXT COLLATE "C",
    accepted_at  BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX shadow_runs_by_candidate ON shadow_runs (client, candidate, id);
CREATE INDEX shadow_runs_by_created ON shadow_runs (created_at);

-- Order lines that took more than the ERP had available at injection: buffer advice.
CREATE TABLE oversells (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client       TEXT COLLATE "C" NOT NULL,
    sku          TEXT COLLATE "C" NOT NULL,
    location     TEXT COLLATE "C" NOT NULL,
    order_id     TEXT COLLATE "C" NOT NULL,
    ordered      BIGINT NOT NULL,
    available    BIGINT NOT NULL,
    buffer       BIGINT NOT NULL,
    cycle_id     BIGINT NOT NULL,
    lag_minutes  BIGINT NOT NULL,
    rule         TEXT COLLATE "C" NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX oversells_by_client ON oversells (client, at);
