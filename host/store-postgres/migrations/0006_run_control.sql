-- Run control held by operators: pauses (a client's flow, or `*` for all) and run-now requests.
CREATE TABLE pauses (
    client     TEXT COLLATE "C" NOT NULL,
    flow       TEXT COLLATE "C" NOT NULL,
    paused_by  TEXT COLLATE "C" NOT NULL,
    paused_at  BIGINT NOT NULL,
    PRIMARY KEY (client, flow)
);

CREATE TABLE run_requests (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client        TEXT COLLATE "C" NOT NULL,
    flow          TEXT COLLATE "C" NOT NULL,
    requested_by  TEXT COLLATE "C" NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX run_requests_by_client ON run_requests (client, id);
