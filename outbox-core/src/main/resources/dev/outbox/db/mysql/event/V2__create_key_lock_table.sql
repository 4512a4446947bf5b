-- Per-key commit order without advisory locks. Placeholder: the event table's name, as in V1.
--
-- A transaction that records events for a message key first locks the row of the key's slot
-- here (insert .. on duplicate key update, a row lock held until commit or rollback), then
-- inserts its events. Two transactions recording events with the same key are serialized, so a
-- key's seq order in the event table is the order in which their transactions committed. Keys
-- are spread over 65,536 slots by hash: the table stays small whatever the number of keys, and
-- two keys sharing a slot are merely serialized too. The slots are created here, so that writers
-- only ever lock existing rows (inserting a missing slot also works, but takes gap locks).
create table ${event_table}_key_lock (
	slot integer not null,
	primary key (slot)
) engine = InnoDB;

insert into ${event_table}_key_lock (slot)
select d0.n + 16 * d1.n + 256 * d2.n + 4096 * d3.n
from (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4 union all
	select 5 union all select 6 union all select 7 union all select 8 union all select 9 union all select 10
	union all select 11 union all select 12 union all select 13 union all select 14 union all select 15) as d0
cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4 union all
	select 5 union all select 6 union all select 7 union all select 8 union all select 9 union all select 10
	union all select 11 union all select 12 union all select 13 union all select 14 union all select 15) as d1
cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4 union all
	select 5 union all select 6 union all select 7 union all select 8 union all select 9 union all select 10
	union all select 11 union all select 12 union all select 13 union all select 14 union all select 15) as d2
cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4 union all
	select 5 union all select 6 union all select 7 union all select 8 union all select 9 union all select 10
	union all select 11 union all select 12 union all select 13 union all select 14 union all select 15) as d3;
