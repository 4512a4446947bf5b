package dev.outbox.test;

/**
 * Keeps the real services out of the unit tests. Surefire ({@code ./mvnw test}) runs
 * every test class not named {@code *IntegrationTests} and sets the system property
 * {@value #PROPERTY} to {@value #UNIT}; each harness of this module calls
 * {@link #requireServicesAllowed(String)} before it connects to or starts its service, so
 * a test class that uses a service under a unit test's name fails at once with the fix in
 * the message. Failsafe ({@code ./mvnw verify}), an IDE and a selection with
 * {@code -Dtest=} do not set it.
 */
public final class TestPhase {

	/**
	 * The system property Surefire sets for the unit tests.
	 */
	public static final String PROPERTY = "outbox.test.phase";

	/**
	 * Its value in the unit tests, which must use no services.
	 */
	public static final String UNIT = "unit";

	private TestPhase() {
	}

	/**
	 * Refuse a service in the unit tests.
	 * @param service the service the caller is about to use, as a user names it (for
	 * example {@code PostgreSQL})
	 * @throws IllegalStateException when the unit tests run
	 */
	public static void requireServicesAllowed(String service) {
		if (UNIT.equals(System.getProperty(PROPERTY))) {
			throw new IllegalStateException(testClass() + " uses " + service
					+ " but runs with the unit tests under Surefire (./mvnw test), which use no services: "
					+ "name the class *IntegrationTests so it runs under Failsafe (./mvnw verify, "
					+ "one class: -Dit.test=SomeIntegrationTests)");
		}
	}

	private static String testClass() {
		return StackWalker.getInstance()
			.walk((frames) -> frames.map(StackWalker.StackFrame::getClassName)
				.map((name) -> (name.indexOf('$') > 0) ? name.substring(0, name.indexOf('$')) : name)
				.filter((name) -> name.endsWith("Tests"))
				.reduce((first, second) -> second))
			.orElse("A test class");
	}

}
