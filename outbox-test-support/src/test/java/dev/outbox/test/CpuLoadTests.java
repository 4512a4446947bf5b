package dev.outbox.test;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link CpuLoad} burns CPU in a child JVM while open and leaves no process behind once
 * closed.
 */
class CpuLoadTests {

	@Test
	void busyLoopsBurnCpuInAChildProcessUntilClosed() {
		ProcessHandle child;
		try (CpuLoad load = CpuLoad.start(1)) {
			child = load.process();
			assertThat(child.pid()).isNotEqualTo(ProcessHandle.current().pid());
			assertThat(child.isAlive()).isTrue();
			// one loop burns a core: on a loaded machine it still gets a good share
			await().atMost(Duration.ofSeconds(30)).until(() -> cpuTime(child).compareTo(Duration.ofMillis(500)) >= 0);
		}
		assertThat(child.isAlive()).isFalse();
	}

	@Test
	void refusesNoLoops() {
		assertThatIllegalArgumentException().isThrownBy(() -> CpuLoad.start(0));
	}

	private static Duration cpuTime(ProcessHandle process) {
		return process.info().totalCpuDuration().orElse(Duration.ZERO);
	}

}
