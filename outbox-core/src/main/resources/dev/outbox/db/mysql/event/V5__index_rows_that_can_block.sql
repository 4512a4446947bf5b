-- The relay's blocking probe reads only the rows of a (destination, message key) that can block
-- its later rows. Placeholder: the event table's name, as in V1.
--
-- A pending row blocks the later rows of its key while it is being retried (attempts > 0) or
-- while it was delayed (available_at > created_at) and is not due yet. With V3's index on
-- (destination, message_key, status, seq), the probe of each candidate row looked up every
-- earlier pending row of its key to read attempts and times: for a key with a backlog, about
-- n²/2 row look-ups per fetch of n rows. There are no partial indexes here: the stored column
-- held marks the pending rows that were retried or delayed, and the index puts them apart.
alter table ${event_table}
	add column held tinyint generated always as (
		case when status = 'PENDING' and (attempts > 0 or available_at > created_at) then 1 else 0 end) stored,
	drop index ${event_table}_blocking_idx,
	add index ${event_table}_blocking_idx (destination, message_key, status, held, seq);
