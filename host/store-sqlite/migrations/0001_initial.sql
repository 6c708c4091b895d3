-- Selvedge host state. Timestamps are INTEGER unix milliseconds (UTC); JSON is TEXT.
-- Every table is scoped by `client`: several clients share one host.
-- Applied migrations are checksummed: never edit one that shipped; add the next numbered file.

-- Catalog: which storefront product/variant an ERP SKU maps to, and a hash of what was last
-- written there so the catalog flow writes only what changed.
CREATE TABLE sku_bindings (
    client          TEXT    NOT NULL,
    storefront      TEXT    NOT NULL,
    erp_sku         TEXT    NOT NULL,
    product_id      TEXT    NOT NULL,
    variant_id      TEXT,
    storefront_sku  TEXT    NOT NULL,
    content_hash    TEXT,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (client, storefront, erp_sku)
) WITHOUT ROWID;
CREATE INDEX sku_bindings_by_storefront_sku ON sku_bindings (client, storefront, storefront_sku);

-- Inventory: the quantity last pushed per SKU and location, so only changes are sent.
CREATE TABLE pushed_stock (
    client      TEXT    NOT NULL,
    storefront  TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    location    TEXT    NOT NULL,
    qty         INTEGER NOT NULL,
    pushed_at   INTEGER NOT NULL,
    PRIMARY KEY (client, storefront, sku, location)
) WITHOUT ROWID;

-- Durable job queue. (client, kind, idempotency_key) is unique: duplicate webhooks are dropped here.
CREATE TABLE jobs (
    -- AUTOINCREMENT: a job id is never reused, so a stale lease can never match a new job.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    client           TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    lease_until      INTEGER,
    last_error       TEXT,
    result           TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (client, kind, idempotency_key)
);
CREATE INDEX jobs_ready ON jobs (state, kind, run_at);
CREATE INDEX jobs_leases ON jobs (state, lease_until);

-- Order ledger: one row per storefront order, with every transition in order_history.
CREATE TABLE orders (
    client               TEXT    NOT NULL,
    storefront           TEXT    NOT NULL,
    storefront_order_id  TEXT    NOT NULL,
    state                TEXT    NOT NULL CHECK (state IN
                             ('received', 'validating', 'injecting', 'injected', 'exception', 'cancelled')),
    erp_order_no         TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    payload_hash         TEXT    NOT NULL,
    erp_value_minor      INTEGER,
    erp_qty              INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (client, storefront, storefront_order_id)
);
CREATE INDEX orders_by_state ON orders (client, state);
CREATE TABLE order_history (
    id                   INTEGER PRIMARY KEY,
    client               TEXT    NOT NULL,
    storefront           TEXT    NOT NULL,
    storefront_order_id  TEXT    NOT NULL,
    from_state           TEXT,
    to_state             TEXT    NOT NULL,
    note                 TEXT,
    at                   INTEGER NOT NULL
);
CREATE INDEX order_history_by_order ON order_history (client, storefront, storefront_order_id, id);

-- Credit-memo ledger: one row per storefront refund.
CREATE TABLE refunds (
    client               TEXT    NOT NULL,
    refund_id            TEXT    NOT NULL,
    storefront           TEXT    NOT NULL,
    storefront_order_id  TEXT,
    state                TEXT    NOT NULL CHECK (state IN ('received', 'posting', 'posted', 'exception')),
    memo_no              TEXT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    payload_hash         TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (client, refund_id)
);
CREATE INDEX refunds_by_state ON refunds (client, state);
CREATE TABLE refund_history (
    id          INTEGER PRIMARY KEY,
    client      TEXT    NOT NULL,
    refund_id   TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    note        TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX refund_history_by_refund ON refund_history (client, refund_id, id);

-- Cursors: saved only after the data they cover has been applied.
CREATE TABLE cursors (
    client      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (client, name)
) WITHOUT ROWID;

-- Exception queue for people: at most one unresolved exception per (client, kind, subject).
CREATE TABLE exceptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    owner        TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    details      TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('open', 'retrying', 'resolved')),
    occurrences  INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL
);
CREATE UNIQUE INDEX exceptions_one_unresolved ON exceptions (client, kind, subject) WHERE state <> 'resolved';
CREATE INDEX exceptions_by_filter ON exceptions (client, state, owner, kind);
CREATE TABLE exception_history (
    id            INTEGER PRIMARY KEY,
    exception_id  INTEGER NOT NULL REFERENCES exceptions (id),
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    note          TEXT
);
CREATE INDEX exception_history_by_exception ON exception_history (exception_id, id);

-- Decision audit: what a client plugin decided, with which version, and why.
CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY,
    client          TEXT    NOT NULL,
    flow            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    plugin_id       TEXT    NOT NULL,
    plugin_version  TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    value           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX decisions_by_subject ON decisions (client, subject, flow, id);

-- Sync runs: one row per flow run, with its measurements.
CREATE TABLE sync_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    client        TEXT    NOT NULL,
    flow          TEXT    NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    measurements  TEXT    NOT NULL,
    error         TEXT
);
CREATE INDEX sync_runs_by_flow ON sync_runs (client, flow, status, id);

-- Plugin version history: at most one active version per (client, plugin).
CREATE TABLE plugin_versions (
    id                   INTEGER PRIMARY KEY,
    client               TEXT    NOT NULL,
    plugin               TEXT    NOT NULL,
    version_hash         TEXT    NOT NULL,
    label                TEXT    NOT NULL,
    activated_at         INTEGER NOT NULL,
    reason               TEXT    NOT NULL,
    deactivated_at       INTEGER,
    deactivation_reason  TEXT
);
CREATE UNIQUE INDEX plugin_versions_one_active ON plugin_versions (client, plugin) WHERE deactivated_at IS NULL;
CREATE INDEX plugin_versions_by_plugin ON plugin_versions (client, plugin, id);
