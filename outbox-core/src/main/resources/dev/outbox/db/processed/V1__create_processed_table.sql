-- Idempotent consumer's processed-message table. Placeholder: ${processed_table}
-- (outbox.processed-table, default outbox_processed_message). Applied by the starter with a Flyway
-- history table of its own, <processed_table>_schema_history, apart from the event tables' history:
-- several outboxes in one schema share this table, and the first to start creates it. "if not
-- exists": a table created by hand, or by the single migration of earlier versions, is kept.

-- Idempotent consumer: message ids already processed, per consumer.
create table if not exists ${processed_table} (
	consumer varchar(255) not null,
	message_id varchar(255) not null,
	processed_at timestamptz not null,
	primary key (consumer, message_id)
);

create index if not exists ${processed_table}_processed_at_idx on ${processed_table} (processed_at);
