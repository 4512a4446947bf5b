-- The size the relay's byte bound counts, stored with each row. Placeholder: the event table's
-- name, as in V1.
--
-- The relay admits a batch's rows in seq order up to a number of payload and header bytes.
-- PostgreSQL reads a stored value's size from its header; these databases read the whole value to
-- measure it, so the fetch read the payload of every candidate row, admitted or not (about 500 MB
-- per fetch for a backlog of 1 MB events: a few events a second). The writer stores the size
-- (payload bytes plus header bytes) with the row; the fetch reads payloads of admitted rows only.
-- A generated column would not do: reading a stored generated column reads its base columns too.
-- Rows written by other means count 0 bytes; their count of rows stays bounded.
alter table ${event_table}
	add column size_bytes bigint not null default 0;

update ${event_table} set size_bytes = length(payload) + length(headers) where status <> 'PUBLISHED';
