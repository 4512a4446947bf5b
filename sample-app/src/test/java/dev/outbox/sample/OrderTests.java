package dev.outbox.sample;

import java.math.BigDecimal;
import java.time.Instant;

import dev.outbox.sample.orders.InvalidOrderException;
import dev.outbox.sample.orders.Order;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The rules of an {@link Order}, without services: the amount is kept as the column
 * stores it, so its event carries the stored value.
 */
class OrderTests {

	@Test
	void amountIsKeptWithTwoDecimals() {
		assertThat(order("42.5").getAmount()).isEqualByComparingTo("42.50").hasToString("42.50");
		assertThat(order("100").getAmount()).hasToString("100.00");
		assertThat(order("1.230").getAmount()).hasToString("1.23");
		assertThat(order("9999999999.99").getAmount()).hasToString("9999999999.99");
	}

	@Test
	void amountThatTheColumnCannotStoreExactlyIsRejected() {
		assertThatExceptionOfType(InvalidOrderException.class).isThrownBy(() -> order("1.239"))
			.withMessageContaining("more than 2 decimals");
		assertThatExceptionOfType(InvalidOrderException.class).isThrownBy(() -> order("10000000000"))
			.withMessageContaining("more than 10 digits");
		assertThatExceptionOfType(InvalidOrderException.class).isThrownBy(() -> order("-1"))
			.withMessageContaining("positive");
	}

	@Test
	void customerLongerThanTheColumnIsRejected() {
		assertThat(new Order("c".repeat(255), BigDecimal.ONE, Instant.EPOCH).getCustomer()).hasSize(255);
		assertThatExceptionOfType(InvalidOrderException.class)
			.isThrownBy(() -> new Order("c".repeat(256), BigDecimal.ONE, Instant.EPOCH))
			.withMessageContaining("at most 255 fit");
	}

	private static Order order(String amount) {
		return new Order("alice", new BigDecimal(amount), Instant.EPOCH);
	}

}
