-- Several hosts on one database: heartbeats, named leases (one scheduled run of a client's
-- flow at a time across hosts), and one ERP pace per Blue Cherry account.
CREATE TABLE cluster_hosts (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    started_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE TABLE cluster_leases (
    name   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    holder TEXT COLLATE "C" NOT NULL,
    until  BIGINT NOT NULL
);

-- GCRA theoretical arrival time (unix ms) of the next write to one Blue Cherry account.
CREATE TABLE erp_pace (
    account TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tat     BIGINT NOT NULL
);
