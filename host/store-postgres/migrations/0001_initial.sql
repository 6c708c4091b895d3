-- Selvedge host state on PostgreSQL: the schema of store-sqlite's migrations 0001..0007 in
-- one file (a new backend has no old databases to upgrade). Timestamps are BIGINT unix
-- milliseconds (UTC); JSON is TEXT, exactly what serde wrote. Text sorts bytewise (COLLATE "C")
-- as in SQLite, whatever locale the cluster was created with. Every table is scoped by
-- `client`. Applied migrations are checksummed: never edit one that shipped; add the next.

-- Catalog: which storefront product/variant an ERP SKU maps to, and a hash of what was last
-- written there.
CREATE TABLE sku_bindings (
    client          TEXT COLLATE "C" NOT NULL,
    storefront      TEXT COLLATE "C" NOT NULL,
    erp_sku         TEXT COLLATE "C" NOT NULL,
    product_id      TEXT COLLATE "C" NOT NULL,
    variant_id      TEXT COLLATE "C",
    storefront_sku  TEXT COLLATE "C" NOT NULL,
    content_hash    TEXT COLLATE "C",
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (client, storefront, erp_sku)
);
CREATE INDEX sku_bindings_by_storefront_sku ON sku_bindings (client, storefront, storefront_sku);

-- Inventory: the quantity last pushed per SKU and location.
CREATE TABLE pushed_stock (
    client      TEXT COLLATE "C" NOT NULL,
    storefront  TEXT COLLATE "C" NOT NULL,
    sku         TEXT COLLATE "C" NOT NULL,
    location    TEXT COLLATE "C" NOT NULL,
    qty         BIGINT  NOT NULL,
    pushed_at   BIGINT  NOT NULL,
    PRIMARY KEY (client, storefront, sku, location)
);

-- Price tier sets last published to a storefront price list, by content hash.
CREATE TABLE published_prices (
    client        TEXT COLLATE "C" NOT NULL,
    storefront    TEXT COLLATE "C" NOT NULL,
    price_list    TEXT COLLATE "C" NOT NULL,
    sku           TEXT COLLATE "C" NOT NULL,
    content_hash  TEXT COLLATE "C" NOT NULL,
    published_at  BIGINT  NOT NULL,
    PRIMARY KEY (client, storefront, price_list, sku)
);

-- Durable job queue. (client, kind, idempotency_key) is unique: duplicate webhooks are
-- dropped here. Several hosts claim from it with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
    -- An identity never hands out an id twice, so a stale lease can never match a new job.
    id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client           TEXT COLLATE "C" NOT NULL,
    kind             TEXT COLLATE "C" NOT NULL,
    idempotency_key  TEXT COLLATE "C" NOT NULL,
    payload          TEXT COLLATE "C" NOT NULL,
    state            TEXT COLLATE "C" NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    max_attempts     BIGINT  NOT NULL,
    -- Claims that ended in a snooze: `attempts - snoozes` is what a job used.
    snoozes          BIGINT  NOT NULL DEFAULT 0,
    run_at           BIGINT  NOT NULL,
    lease_until      BIGINT,
    last_error       TEXT COLLATE "C",
    result           TEXT COLLATE "C",
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    -- A re-arm that found the job running: its completion queues it once more.
    rearm_pending    BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (client, kind, idempotency_key)
);
CREATE INDEX jobs_ready ON jobs (state, kind, run_at);
CREATE INDEX jobs_leases ON jobs (state, lease_until);
CREATE INDEX jobs_due ON jobs (state, run_at, client, kind);
CREATE INDEX jobs_by_updated ON jobs (updated_at);

-- Order ledger: one row per storefront order, with every transition in order_history.
CREATE TABLE orders (
    client               TEXT COLLATE "C" NOT NULL,
    storefront           TEXT COLLATE "C" NOT NULL,
    storefront_order_id  TEXT COLLATE "C" NOT NULL,
    state                TEXT COLLATE "C" NOT NULL CHECK (state IN
                             ('received', 'validating', 'injecting', 'injected', 'exception', 'cancelled')),
    erp_order_no         TEXT COLLATE "C",
    erp_ref              TEXT COLLATE "C",
    attempts             BIGINT  NOT NULL DEFAULT 0,
    last_error           TEXT COLLATE "C",
    payload_hash         TEXT COLLATE "C" NOT NULL,
    erp_value_minor      BIGINT,
    erp_qty              BIGINT,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    PRIMARY KEY (client, storefront, storefront_order_id)
);
CREATE INDEX orders_by_state ON orders (client, state);
CREATE INDEX orders_by_erp_ref ON orders (client, erp_ref);
-- One live ledger record per ERP document; superseded revisions (cancelled) share the number.
CREATE UNIQUE INDEX orders_one_per_erp_order ON orders (client, erp_order_no)
    WHERE erp_order_no IS NOT NULL AND state = 'injected';
CREATE TABLE order_history (
    id                   BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client               TEXT COLLATE "C" NOT NULL,
    storefront           TEXT COLLATE "C" NOT NULL,
    storefront_order_id  TEXT COLLATE "C" NOT NULL,
    from_state           TEXT COLLATE "C",
    to_state             TEXT COLLATE "C" NOT NULL,
    note                 TEXT COLLATE "C",
    at                   BIGINT  NOT NULL
);
CREATE INDEX order_history_by_order ON order_history (client, storefront, storefront_order_id, id);
CREATE INDEX order_history_by_at ON order_history (at);

-- Units sold per SKU, warehouse and UTC day (days since 1970-01-01), counted when an order
-- is recorded as injected, in the same transaction.
CREATE TABLE units_sold (
    client    TEXT COLLATE "C" NOT NULL,
    sku       TEXT COLLATE "C" NOT NULL,
    location  TEXT COLLATE "C" NOT NULL,
    day       BIGINT  NOT NULL,
    units     BIGINT  NOT NULL,
    PRIMARY KEY (client, sku, location, day)
);
CREATE INDEX units_sold_by_day ON units_sold (client, day);
CREATE INDEX units_sold_by_any_day ON units_sold (day);

-- Credit-memo ledger: one row per storefront refund.
CREATE TABLE refunds (
    client               TEXT COLLATE "C" NOT NULL,
    refund_id            TEXT COLLATE "C" NOT NULL,
    storefront           TEXT COLLATE "C" NOT NULL,
    storefront_order_id  TEXT COLLATE "C",
    state                TEXT COLLATE "C" NOT NULL CHECK (state IN ('received', 'posting', 'posted', 'exception')),
    memo_no              TEXT COLLATE "C",
    erp_ref              TEXT COLLATE "C",
    attempts             BIGINT  NOT NULL DEFAULT 0,
    last_error           TEXT COLLATE "C",
    payload_hash         TEXT COLLATE "C" NOT NULL,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    PRIMARY KEY (client, refund_id)
);
CREATE INDEX refunds_by_state ON refunds (client, state);
CREATE TABLE refund_history (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client      TEXT COLLATE "C" NOT NULL,
    refund_id   TEXT COLLATE "C" NOT NULL,
    from_state  TEXT COLLATE "C",
    to_state    TEXT COLLATE "C" NOT NULL,
    note        TEXT COLLATE "C",
    at          BIGINT  NOT NULL
);
CREATE INDEX refund_history_by_refund ON refund_history (client, refund_id, id);
CREATE INDEX refund_history_by_at ON refund_history (at);

-- Cursors: saved only after the data they cover has been applied.
CREATE TABLE cursors (
    client      TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C" NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (client, name)
);

-- Exception queue for people: at most one unresolved exception per (client, kind, subject).
CREATE TABLE exceptions (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client       TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    owner        TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    summary      TEXT COLLATE "C" NOT NULL,
    details      TEXT COLLATE "C" NOT NULL,
    state        TEXT COLLATE "C" NOT NULL CHECK (state IN ('open', 'retrying', 'resolved')),
    occurrences  BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    last_seen    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX exceptions_one_unresolved ON exceptions (client, kind, subject) WHERE state <> 'resolved';
CREATE INDEX exceptions_by_filter ON exceptions (client, state, owner, kind);
CREATE INDEX exceptions_by_updated ON exceptions (updated_at);
CREATE TABLE exception_history (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    exception_id  BIGINT  NOT NULL REFERENCES exceptions (id),
    at            BIGINT  NOT NULL,
    actor         TEXT COLLATE "C" NOT NULL,
    action        TEXT COLLATE "C" NOT NULL,
    note          TEXT COLLATE "C"
);
CREATE INDEX exception_history_by_exception ON exception_history (exception_id, id);
CREATE INDEX exception_history_by_at ON exception_history (at);

-- Decision audit: what a client plugin decided, with which version, and why.
CREATE TABLE decisions (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client          TEXT COLLATE "C" NOT NULL,
    flow            TEXT COLLATE "C" NOT NULL,
    subject         TEXT COLLATE "C" NOT NULL,
    plugin_id       TEXT COLLATE "C" NOT NULL,
    plugin_version  TEXT COLLATE "C" NOT NULL,
    reason          TEXT COLLATE "C" NOT NULL,
    value           TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX decisions_by_subject ON decisions (client, subject, flow, id);
CREATE INDEX decisions_by_created ON decisions (created_at);

-- Sync runs: one row per flow run, with its measurements.
CREATE TABLE sync_runs (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client        TEXT COLLATE "C" NOT NULL,
    flow          TEXT COLLATE "C" NOT NULL,
    started_at    BIGINT  NOT NULL,
    finished_at   BIGINT,
    status        TEXT COLLATE "C" NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    measurements  TEXT COLLATE "C" NOT NULL,
    error         TEXT COLLATE "C"
);
CREATE INDEX sync_runs_by_flow ON sync_runs (client, flow, status, id);
CREATE INDEX sync_runs_by_started ON sync_runs (started_at);

-- Plugin version history: at most one active version per (client, plugin).
CREATE TABLE plugin_versions (
    id                   BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client               TEXT COLLATE "C" NOT NULL,
    plugin               TEXT COLLATE "C" NOT NULL,
    version_hash         TEXT COLLATE "C" NOT NULL,
    label                TEXT COLLATE "C" NOT NULL,
    activated_at         BIGINT  NOT NULL,
    reason               TEXT COLLATE "C" NOT NULL,
    deactivated_at       BIGINT,
    deactivation_reason  TEXT COLLATE "C"
);
CREATE UNIQUE INDEX plugin_versions_one_active ON plugin_versions (client, plugin) WHERE deactivated_at IS NULL;
CREATE INDEX plugin_versions_by_plugin ON plugin_versions (client, plugin, id);
CREATE INDEX plugin_versions_by_deactivated ON plugin_versions (deactivated_at);
