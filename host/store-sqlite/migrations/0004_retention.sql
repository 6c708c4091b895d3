-- Retention (issue 15): the purge reads old rows by their date, oldest first, one batch at
-- a time, so each dated column it purges by is indexed; without these every batch would
-- scan its whole table on the writer.
CREATE INDEX jobs_by_updated ON jobs (updated_at);
CREATE INDEX order_history_by_at ON order_history (at);
CREATE INDEX refund_history_by_at ON refund_history (at);
CREATE INDEX exception_history_by_at ON exception_history (at);
CREATE INDEX exceptions_by_updated ON exceptions (updated_at);
CREATE INDEX decisions_by_created ON decisions (created_at);
CREATE INDEX sync_runs_by_started ON sync_runs (started_at);
CREATE INDEX units_sold_by_any_day ON units_sold (day);

-- Raising an open exception again no longer adds a `raised_again` history entry (its
-- `occurrences` and `last_seen` already count it). Existing entries stay as they are: the
-- purge drops them with the exception once it is resolved and old.
