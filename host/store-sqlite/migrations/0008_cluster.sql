-- Several hosts on one store (used where the store is shared; kept here so every backend
-- passes the same suite): heartbeats, named leases, and one ERP pace per account.
CREATE TABLE cluster_hosts (
    id         TEXT    NOT NULL PRIMARY KEY,
    started_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE cluster_leases (
    name   TEXT    NOT NULL PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  INTEGER NOT NULL
) WITHOUT ROWID;

-- GCRA theoretical arrival time (unix ms) of the next write to one Blue Cherry account.
CREATE TABLE erp_pace (
    account TEXT    NOT NULL PRIMARY KEY,
    tat     INTEGER NOT NULL
) WITHOUT ROWID;
