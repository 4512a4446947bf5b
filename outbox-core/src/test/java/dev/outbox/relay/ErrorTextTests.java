package dev.outbox.relay;

import java.io.IOException;

import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ErrorText}.
 */
class ErrorTextTests {

	@Test
	void describesTheCauseChain() {
		String text = ErrorText.describe(new KafkaException("Send failed", new IOException("connection reset")));
		assertThat(text).isEqualTo(
				"org.apache.kafka.common.KafkaException: Send failed; caused by: java.io.IOException: connection reset");
	}

	@Test
	void replacesNulAndUnpairedSurrogatesWhichPostgresCannotStore() {
		String text = ErrorText.storable("a\u0000b\uD800c\uDC00d\uD83D\uDE00e");
		assertThat(text).isEqualTo("a\uFFFDb\uFFFDc\uFFFDd\uD83D\uDE00e");
	}

	@Test
	void boundsTheTextWithoutSplittingASurrogatePair() {
		String text = ErrorText.storable("x".repeat(ErrorText.MAX_LENGTH - 1) + "\uD83D\uDE00" + "y".repeat(10));
		assertThat(text).hasSize(ErrorText.MAX_LENGTH - 1).doesNotContain("\uD83D");
		assertThat(ErrorText.describe(new IllegalStateException("z".repeat(10_000)))).hasSize(ErrorText.MAX_LENGTH);
	}

}
