-- A person can cancel a queued job (issue 19): a fifth state, `cancelled`, never claimed and
-- never re-armed by an event.
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'done', 'dead', 'cancelled'));
-- The jobs of one client, newest first (the API's job list).
CREATE INDEX jobs_by_client ON jobs (client, id);
