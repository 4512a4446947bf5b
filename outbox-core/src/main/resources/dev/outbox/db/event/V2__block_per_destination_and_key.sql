-- Order and blocking per (destination, message key), probed per candidate row.
-- Placeholder: the event table's name, as in V1.

-- The rows that may block the later events of their (destination, message key): parked
-- rows, rows being retried, and delayed rows (available_at after created_at). The relay's
-- fetch probes it once per candidate row, so its cost does not grow with the number of
-- parked or failing rows. Ordinary pending rows (available_at = created_at) are not in it.
create index if not exists ${event_table}_blocking_idx on ${event_table} (destination, message_key, seq)
	where status = 'PARKED' or (status = 'PENDING' and (attempts > 0 or available_at > created_at));

-- Replaced by the index above: they were scanned whole by the former fetch. "if not exists":
-- on a large table, build the index with "create index concurrently" by hand before upgrading.
drop index if exists ${event_table}_due_idx;
drop index if exists ${event_table}_retry_idx;
drop index if exists ${event_table}_parked_idx;
