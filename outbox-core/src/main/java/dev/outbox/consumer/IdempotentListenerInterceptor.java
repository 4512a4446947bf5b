package dev.outbox.consumer;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Runs {@link IdempotentListener} methods through the {@link IdempotentConsumer}.
 */
final class IdempotentListenerInterceptor implements MethodInterceptor {

	private final Supplier<IdempotentConsumer> consumer;

	private final Supplier<List<MessageIdExtractor>> extractors;

	private final Map<Method, Plan> plans = new ConcurrentHashMap<>();

	IdempotentListenerInterceptor(Supplier<IdempotentConsumer> consumer,
			Supplier<List<MessageIdExtractor>> extractors) {
		this.consumer = consumer;
		this.extractors = extractors;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Object target = invocation.getThis();
		Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target)
				: invocation.getMethod().getDeclaringClass();
		Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(), targetClass);
		Plan plan = plan(method);
		if (plan == null) {
			return invocation.proceed();
		}
		@Nullable Object[] arguments = invocation.getArguments();
		Source batch = plan.batch();
		if (batch != null) {
			List<?> messages = (List<?>) arguments[batch.index()];
			if (messages == null || messages.isEmpty()) {
				return invocation.proceed();
			}
			// the method sees only the new messages: the invocation's arguments may be
			// changed in place
			return this.consumer.get()
				.invokeBatch(plan.consumer(), messages, (message) -> batch.extract(message), (fresh) -> {
					arguments[batch.index()] = fresh;
					return invocation.proceed();
				})
				.value();
		}
		String messageId = plan.messageId(arguments);
		return this.consumer.get().invoke(plan.consumer(), messageId, invocation::proceed).value();
	}

	/**
	 * The plan for an annotated method, {@code null} if it is not annotated.
	 * @throws IllegalStateException if no parameter can carry a message id
	 */
	@Nullable Plan plan(Method method) {
		Plan plan = this.plans.get(method);
		if (plan == null) {
			IdempotentListener annotation = AnnotatedElementUtils.findMergedAnnotation(method,
					IdempotentListener.class);
			if (annotation == null) {
				return null;
			}
			plan = createPlan(method, annotation);
			this.plans.put(method, plan);
		}
		return plan;
	}

	private Plan createPlan(Method method, IdempotentListener annotation) {
		String name = annotation.value();
		if (name.isBlank() || name.length() > IdempotentConsumer.MAX_LENGTH) {
			throw new IllegalStateException("@IdempotentListener on " + describe(method)
					+ " needs a consumer name of 1 to " + IdempotentConsumer.MAX_LENGTH
					+ " characters, for example @IdempotentListener(\"billing\")");
		}
		List<MessageIdExtractor> available = this.extractors.get();
		List<Source> sources = new ArrayList<>();
		for (int i = 0; i < method.getParameterCount(); i++) {
			MethodParameter parameter = new MethodParameter(method, i);
			for (MessageIdExtractor extractor : available) {
				if (extractor.supports(parameter)) {
					sources.add(new Source(i, parameter, extractor));
				}
			}
		}
		if (sources.isEmpty()) {
			Source batch = batchSource(method, available);
			if (batch != null) {
				return new Plan(name, List.of(), batch);
			}
			throw new IllegalStateException("@IdempotentListener(\"" + name + "\") on " + describe(method)
					+ " has no parameter that carries the message id: add a parameter of type ConsumerRecord"
					+ " (Kafka), org.springframework.amqp.core.Message (RabbitMQ) or"
					+ " org.springframework.messaging.Message, or @Header(name = OutboxHeaders.MESSAGE_ID, required = false) String messageId,"
					+ " or a List of one of these for a batch listener,"
					+ " or register a MessageIdExtractor that supports one of its parameters");
		}
		return new Plan(name, List.copyOf(sources), null);
	}

	/**
	 * A batch listener's {@code List} parameter whose elements carry message ids.
	 */
	private static @Nullable Source batchSource(Method method, List<MessageIdExtractor> available) {
		for (int i = 0; i < method.getParameterCount(); i++) {
			if (!List.class.equals(method.getParameterTypes()[i])) {
				continue;
			}
			MethodParameter elements = new MethodParameter(method, i).nested();
			for (MessageIdExtractor extractor : available) {
				if (extractor.supports(elements)) {
					return new Source(i, elements, extractor);
				}
			}
		}
		return null;
	}

	private static String describe(Method method) {
		return ClassUtils.getQualifiedMethodName(method);
	}

	record Plan(String consumer, List<Source> sources, @Nullable Source batch) {

		@Nullable String messageId(@Nullable Object[] arguments) {
			for (Source source : this.sources) {
				String id = source.extractor().extract(source.parameter(), arguments[source.index()]);
				if (id != null && !id.isBlank()) {
					return id;
				}
			}
			return null;
		}

	}

	record Source(int index, MethodParameter parameter, MessageIdExtractor extractor) {

		@Nullable String extract(@Nullable Object argument) {
			return this.extractor.extract(this.parameter, argument);
		}

	}

}
