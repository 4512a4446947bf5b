package dev.outbox.autoconfigure.actuate;

import java.util.LinkedHashSet;
import java.util.Set;

import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the {@code outbox} actuator endpoint
 * ({@code management.endpoint.outbox.*}).
 */
@ConfigurationProperties("management.endpoint.outbox")
public class OutboxEndpointProperties {

	/**
	 * When to show event payloads: never, when-authorized (a user in one of the roles) or
	 * always.
	 */
	private Show showPayload = Show.NEVER;

	/**
	 * Roles allowed to see payloads when show-payload is when-authorized; empty: any
	 * authenticated user.
	 */
	private Set<String> roles = new LinkedHashSet<>();

	/**
	 * Most parked and failing events listed.
	 */
	private int limit = 100;

	public Show getShowPayload() {
		return this.showPayload;
	}

	public void setShowPayload(Show showPayload) {
		this.showPayload = showPayload;
	}

	public Set<String> getRoles() {
		return this.roles;
	}

	public void setRoles(Set<String> roles) {
		this.roles = roles;
	}

	public int getLimit() {
		return this.limit;
	}

	public void setLimit(int limit) {
		this.limit = limit;
	}

}
