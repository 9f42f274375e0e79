package io.sluice.client;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves a {@link SluiceBroker} parameter: one broker process for the whole test run, started on
 * first use and stopped when JUnit closes its root store. Tests share it, each with its own topics.
 */
final class BrokerExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BrokerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext param, ExtensionContext ctx) {
        return param.getParameter().getType() == SluiceBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext param, ExtensionContext ctx) {
        return ctx.getRoot().getStore(NS).getOrComputeIfAbsent("broker", k -> {
            try {
                return SluiceBroker.start();
            } catch (Exception e) {
                throw new ParameterResolutionException("starting the broker failed", e);
            }
        }, SluiceBroker.class);
    }
}
