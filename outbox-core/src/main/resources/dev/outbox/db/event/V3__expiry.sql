-- Expiry (time to live) of events. Placeholder: the event table's name, as in V1.

-- When the event expires: not sent from then on, marked EXPIRED instead. Null: never.
alter table ${event_table} add column if not exists expires_at timestamptz;

-- The status check of V1 knew PENDING, PUBLISHED and PARKED. Every check constraint on
-- status is replaced, whatever its name (PostgreSQL names V1's ${event_table}_status_check).
-- "not valid": the existing rows met the narrower check already, so they are not scanned
-- again under the table lock; the check holds for every row written from now on.
do $$
declare
	c record;
begin
	for c in select conname from pg_constraint
			where conrelid = '${event_table}'::regclass and contype = 'c'
			  and pg_get_constraintdef(oid) like '%status%' loop
		execute format('alter table ${event_table} drop constraint %I', c.conname);
	end loop;
end $$;
alter table ${event_table} add constraint ${event_table}_status_check
	check (status in ('PENDING', 'PUBLISHED', 'PARKED', 'EXPIRED')) not valid;

-- "if not exists": on a large table, build these with "create index concurrently" by hand
-- before upgrading. Pending and parked rows with an expiry: the relay marks those past it
-- EXPIRED (a parked one too: it is never sent again, even if replayed).
create index if not exists ${event_table}_expiring_idx on ${event_table} (expires_at)
	where status in ('PENDING', 'PARKED') and expires_at is not null;
-- retention purge of expired rows (counted from their expiry)
create index if not exists ${event_table}_expired_idx on ${event_table} (expires_at) where status = 'EXPIRED';
