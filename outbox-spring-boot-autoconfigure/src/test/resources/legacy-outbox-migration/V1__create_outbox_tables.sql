-- Outbox schema. Placeholders: ${event_table} (outbox.table, default outbox_event) and
-- ${processed_table} (outbox.processed-table, default outbox_processed_message). Applied by the
-- starter with its own Flyway history table; teams that manage their schema themselves can run
-- this file with the placeholders replaced.

-- One row per event recorded by Outbox.publish(..) in the business transaction.
create table ${event_table} (
	id uuid primary key,                        -- message id, UUID version 7 (time-ordered)
	seq bigint generated always as identity,    -- insertion order; per-key delivery order
	aggregate_type varchar(255) not null,
	aggregate_id varchar(255) not null,
	event_type varchar(255) not null,           -- logical type name, never a Java class name
	destination varchar(255) not null,          -- Kafka topic or RabbitMQ exchange
	routing_key varchar(255),                   -- RabbitMQ routing key (null: the event type)
	message_key varchar(255) not null,          -- Kafka key; ordering key (default: aggregate id)
	partition_no integer not null,              -- relay partition of message_key
	payload bytea not null,
	content_type varchar(100) not null,
	headers jsonb not null default '{}'::jsonb,
	status varchar(16) not null default 'PENDING' check (status in ('PENDING', 'PUBLISHED', 'PARKED')),
	attempts integer not null default 0,
	last_error varchar(2000),
	created_at timestamptz not null,
	available_at timestamptz not null,           -- not sent before this instant
	published_at timestamptz
);

-- what the relay claims: pending rows of its partitions in insertion order
create index ${event_table}_pending_idx on ${event_table} (partition_no, seq) where status = 'PENDING';
-- pending rows that are not due yet (delayed or backing off) block their key
create index ${event_table}_due_idx on ${event_table} (available_at) where status = 'PENDING';
-- a key whose head event is being retried sends only that head (no reordering behind a failure)
create index ${event_table}_retry_idx on ${event_table} (message_key) where status = 'PENDING' and attempts > 0;
-- parked rows block their key until replayed or discarded
create index ${event_table}_parked_idx on ${event_table} (message_key) where status = 'PARKED';
-- retention purge of published rows
create index ${event_table}_published_idx on ${event_table} (published_at) where status = 'PUBLISHED';

-- Relay partitions: each is owned by at most one relay instance at a time (lease).
create table ${event_table}_lease (
	partition_no integer primary key,
	owner varchar(255),
	lease_until timestamptz not null default '-infinity'
);

-- Live relay instances (heartbeats), to share partitions fairly.
create table ${event_table}_instance (
	instance_id varchar(255) primary key,
	heartbeat_at timestamptz not null
);

-- Idempotent consumer: message ids already processed, per consumer.
create table ${processed_table} (
	consumer varchar(255) not null,
	message_id varchar(255) not null,
	processed_at timestamptz not null,
	primary key (consumer, message_id)
);

create index ${processed_table}_processed_at_idx on ${processed_table} (processed_at);
