-- A re-arm that finds its job running (a status update while the order is being injected)
-- is remembered: the completion of that run queues the job once more instead of ending it,
-- so the update is acted on rather than lost. A claim satisfies it.
ALTER TABLE jobs ADD COLUMN rearm_pending INTEGER NOT NULL DEFAULT 0;
