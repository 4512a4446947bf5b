package dev.outbox.consumer;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import org.aopalliance.aop.Advice;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Spring AOP advisor that applies {@link IdempotentListener} to the methods annotated
 * with it. Register it as a bean where an auto-proxy creator is active (the Spring Boot
 * starter does). A method without a parameter that carries the message id fails when its
 * bean is created.
 */
public final class IdempotentListenerAdvisor extends AbstractPointcutAdvisor implements BeanClassLoaderAware {

	private final transient IdempotentListenerInterceptor interceptor;

	private final transient Pointcut pointcut;

	private transient @Nullable ClassLoader classLoader = MessageIdExtractor.class.getClassLoader();

	/**
	 * Create an advisor. The suppliers are called on first use, so the advisor can be
	 * created before the data source.
	 * @param consumer the idempotent consumer to run the methods through
	 * @param extractors extractors asked before the built-in ones
	 * ({@link MessageIdExtractor#defaults(String)})
	 * @param headerName the header holding the message id, usually
	 * {@link dev.outbox.OutboxHeaders#MESSAGE_ID}
	 */
	public IdempotentListenerAdvisor(Supplier<IdempotentConsumer> consumer,
			Supplier<List<MessageIdExtractor>> extractors, String headerName) {
		Objects.requireNonNull(consumer, "consumer must not be null");
		Objects.requireNonNull(extractors, "extractors must not be null");
		Objects.requireNonNull(headerName, "headerName must not be null");
		this.interceptor = new IdempotentListenerInterceptor(consumer, () -> {
			List<MessageIdExtractor> all = new ArrayList<>(extractors.get());
			all.addAll(MessageIdExtractor.defaults(headerName, this.classLoader));
			return all;
		});
		this.pointcut = new IdempotentListenerPointcut(this.interceptor);
	}

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	@Override
	public Pointcut getPointcut() {
		return this.pointcut;
	}

	@Override
	public Advice getAdvice() {
		return this.interceptor;
	}

	private static final class IdempotentListenerPointcut extends StaticMethodMatcherPointcut {

		private final IdempotentListenerInterceptor interceptor;

		IdempotentListenerPointcut(IdempotentListenerInterceptor interceptor) {
			this.interceptor = interceptor;
		}

		@Override
		public boolean matches(Method method, Class<?> targetClass) {
			Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
			if (!AnnotatedElementUtils.hasAnnotation(specific, IdempotentListener.class)) {
				return false;
			}
			// validates the method: fails the bean's creation with a clear message
			this.interceptor.plan(specific);
			return true;
		}

	}

}
