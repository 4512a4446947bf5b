-- The relay's wake-up at the next due time. Placeholder: the event table's name, as in V1.

-- The pending rows that are not due at once, by due time: rows being retried and delayed rows
-- (available_at after created_at), the same rows as the pending part of V2's blocking index.
-- With each fetch the relay reads the earliest due time among them that is still ahead and
-- waits no longer than that, so a delayed event or a retry is sent when it falls due rather
-- than at the next poll. The first index gives the earliest of all (one entry); when that row
-- is in a partition another relay owns, the second gives the earliest of each partition the
-- relay owns (one entry each), whatever the rows of other partitions. Ordinary pending rows
-- are in neither, so writing them costs nothing more. "if not exists": on a large table, build
-- them with "create index concurrently" by hand before upgrading.
create index if not exists ${event_table}_next_due_idx on ${event_table} (available_at)
	where status = 'PENDING' and (attempts > 0 or available_at > created_at);
create index if not exists ${event_table}_part_due_idx on ${event_table} (partition_no, available_at)
	where status = 'PENDING' and (attempts > 0 or available_at > created_at);
