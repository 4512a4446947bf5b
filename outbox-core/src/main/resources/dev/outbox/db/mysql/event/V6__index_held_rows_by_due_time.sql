-- The relay's wake-up at the next due time. Placeholder: the event table's name, as in V1.

-- The pending rows that are not due at once (held = 1, V5: rows being retried and delayed
-- rows), by partition and due time. With each fetch, in its look-up of the partitions that
-- hold pending rows, the relay reads the earliest due time among them that is still ahead
-- (one index entry per partition, whatever the rows of other partitions), and waits no longer
-- than that, so a delayed event or a retry is sent when it falls due rather than at the next
-- poll.
alter table ${event_table}
	add index ${event_table}_next_due_idx (held, partition_no, available_at);
