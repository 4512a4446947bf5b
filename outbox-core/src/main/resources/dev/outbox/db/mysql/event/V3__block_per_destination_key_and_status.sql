-- The relay's blocking probe reads only the parked and pending rows of a (destination, message
-- key). Placeholder: the event table's name, as in V1.
--
-- Without partial indexes, the index of V1 on (destination, message_key, seq) holds every row of
-- a key: the probe of each candidate row then looked up every published (retention) and expired
-- row of its key before it, seconds per fetch for a key with tens of thousands of kept rows.
-- With the status before seq, the probe reads the key's parked rows, then its pending rows, and
-- nothing else.
alter table ${event_table}
	drop index ${event_table}_blocking_idx,
	add index ${event_table}_blocking_idx (destination, message_key, status, seq);
