package dev.outbox;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The logical event type of a payload class, stored with each event and sent in the
 * {@link OutboxHeaders#EVENT_TYPE} header. Without it, the simple class name is used. The
 * type is a name for consumers to switch on, never a Java class name to instantiate.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface OutboxEventType {

	/**
	 * The logical type name, for example {@code "order-placed"}.
	 * @return the name
	 */
	String value();

}
