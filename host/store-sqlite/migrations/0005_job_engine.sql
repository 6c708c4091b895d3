-- The job engine (issue 15): a snooze no longer raises max_attempts; it is counted apart so
-- `attempts - snoozes` is what a job used, while `attempts` keeps growing to fence leases.
ALTER TABLE jobs ADD COLUMN snoozes INTEGER NOT NULL DEFAULT 0;

-- The dispatcher asks which (client, kind) pairs have due work, across every client.
CREATE INDEX jobs_due ON jobs (state, run_at, client, kind);
