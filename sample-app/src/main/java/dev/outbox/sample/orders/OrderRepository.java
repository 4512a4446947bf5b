package dev.outbox.sample.orders;

import org.springframework.data.jpa.repository.JpaRepository;

/**
 * Stored orders.
 */
public interface OrderRepository extends JpaRepository<Order, Long> {

}
