-- Idempotent consumer's processed-message table on MariaDB 10.6+ and MySQL 8.0+, as
-- ../../processed/V1__create_processed_table.sql on PostgreSQL. Placeholder: ${processed_table}
-- (outbox.processed-table, default outbox_processed_message). "if not exists": a table created by
-- hand is kept. processed_at is datetime(6) in UTC; ids compare byte by byte (utf8mb4_bin), as on
-- PostgreSQL.

-- Idempotent consumer: message ids already processed, per consumer.
create table if not exists ${processed_table} (
	consumer varchar(255) not null,
	message_id varchar(255) not null,
	processed_at datetime(6) not null,
	primary key (consumer, message_id),
	key ${processed_table}_processed_at_idx (processed_at)
) engine = InnoDB default character set utf8mb4 collate utf8mb4_bin;
