package dev.outbox.sample.shipping;

import org.springframework.data.jpa.repository.JpaRepository;

/**
 * Stored shipments.
 */
public interface ShipmentRepository extends JpaRepository<Shipment, Long> {

}
