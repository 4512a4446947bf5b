-- The sample's own tables on MariaDB (the `mariadb` profile points spring.flyway.locations here);
-- db/migration holds the same tables for PostgreSQL. Times are datetime(6) in UTC
-- (hibernate.jdbc.time_zone in that profile), as the outbox's own tables keep them.
create table orders (
	id bigint auto_increment primary key,
	customer varchar(255) not null,
	amount decimal(12, 2) not null,
	placed_at datetime(6) not null,
	event_id uuid
);

-- No unique constraint on order_id on purpose: the idempotent consumer is what keeps a redelivered
-- event from creating a second shipment.
create table shipments (
	id bigint auto_increment primary key,
	order_id bigint not null,
	customer varchar(255) not null,
	message_id varchar(255) not null,
	created_at datetime(6) not null
);
