package dev.outbox.starter.quickstart;

import java.math.BigDecimal;

import dev.outbox.OutboxEventType;

@OutboxEventType("order-placed") // its type name (default: the class's simple name)
record OrderPlaced(long orderId, BigDecimal total) {
}
