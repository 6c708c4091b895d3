-- Run control held by operators: pauses (a client's flow, or `*` for all) and run-now requests.
CREATE TABLE pauses (
    client     TEXT NOT NULL,
    flow       TEXT NOT NULL,
    paused_by  TEXT NOT NULL,
    paused_at  INTEGER NOT NULL,
    PRIMARY KEY (client, flow)
);

CREATE TABLE run_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    client        TEXT NOT NULL,
    flow          TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX run_requests_by_client ON run_requests (client, id);
