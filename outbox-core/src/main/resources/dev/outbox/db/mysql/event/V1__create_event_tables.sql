-- Event tables of one outbox on MariaDB 10.6+ and MySQL 8.0+: the end state of the PostgreSQL
-- migrations in ../../event (V1 and V2). Placeholder: ${event_table} (outbox.table, default
-- outbox_event). Applied by the starter with a Flyway history table of this outbox's own, as on
-- PostgreSQL. Teams that manage their schema themselves run V1 and V2 of this folder with the
-- placeholder replaced, and ../processed/V1__create_processed_table.sql.
--
-- Timestamps are datetime(6) in UTC (the outbox writes and compares UTC; timestamp would convert
-- with the session's time zone and ends in 2038). Text columns compare byte by byte (utf8mb4_bin),
-- as on PostgreSQL: 'Order-1' and 'order-1' are different keys.

-- One row per event recorded by Outbox.publish(..) in the business transaction.
create table ${event_table} (
	seq bigint not null auto_increment,         -- insertion order; per-key delivery order
	id char(36) character set ascii not null,   -- message id, UUID version 7, as text
	aggregate_type varchar(255) not null,
	aggregate_id varchar(255) not null,
	event_type varchar(255) not null,           -- logical type name, never a Java class name
	destination varchar(255) not null,          -- Kafka topic or RabbitMQ exchange
	routing_key varchar(255),                   -- RabbitMQ routing key (null: the event type)
	message_key varchar(255) not null,          -- Kafka key; ordering key (default: aggregate id)
	partition_no integer not null,              -- relay partition of message_key
	payload longblob not null,
	content_type varchar(100) not null,
	headers longtext not null,                  -- JSON object of string values
	status varchar(16) not null default 'PENDING',
	attempts integer not null default 0,
	last_error varchar(2000),
	created_at datetime(6) not null,
	available_at datetime(6) not null,          -- not sent before this instant
	published_at datetime(6),
	expires_at datetime(6),                     -- never sent after this instant (null: no expiry)
	primary key (seq),
	unique key ${event_table}_id_uk (id),
	-- what the relay claims: pending rows of its partitions in insertion order
	key ${event_table}_pending_idx (status, partition_no, seq),
	-- order and blocking per (destination, message key), probed per candidate row (no partial
	-- indexes here: the index holds every row)
	key ${event_table}_blocking_idx (destination, message_key, seq),
	-- retention purge of published rows
	key ${event_table}_published_idx (status, published_at),
	-- expiry: pending and parked rows past their expiry, and the purge of expired rows
	key ${event_table}_expiring_idx (status, expires_at),
	constraint ${event_table}_status_ck check (status in ('PENDING', 'PUBLISHED', 'PARKED', 'EXPIRED'))
) engine = InnoDB default character set utf8mb4 collate utf8mb4_bin;

-- Relay partitions: each is owned by at most one relay instance at a time (lease).
create table ${event_table}_lease (
	partition_no integer not null,
	owner varchar(255),
	lease_until datetime(6) not null default '1000-01-01 00:00:00.000000', -- "never leased"
	primary key (partition_no)
) engine = InnoDB default character set utf8mb4 collate utf8mb4_bin;

-- Live relay instances (heartbeats), to share partitions fairly.
create table ${event_table}_instance (
	instance_id varchar(255) not null,
	heartbeat_at datetime(6) not null,
	primary key (instance_id)
) engine = InnoDB default character set utf8mb4 collate utf8mb4_bin;
