package io.sluice.client;

import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The channel a client talks through: one it dialed itself (and closes), or one the caller lent it. */
final class ChannelRef {
    final Channel channel;
    private final ManagedChannel owned;

    private ChannelRef(Channel channel, ManagedChannel owned) {
        this.channel = channel;
        this.owned = owned;
    }

    /** Exactly one of target ({@code host:port}, dialed in plaintext) or channel must be set. */
    static ChannelRef of(String target, Channel channel) {
        if ((target == null) == (channel == null)) {
            throw new IllegalStateException("set exactly one of target(\"host:port\") or channel(...)");
        }
        if (channel != null) {
            return new ChannelRef(channel, null);
        }
        ManagedChannel dialed = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        return new ChannelRef(dialed, dialed);
    }

    /** Shuts down a channel this client dialed; a lent channel stays open. */
    void close(Duration timeout) {
        if (owned == null) {
            return;
        }
        owned.shutdown();
        try {
            if (!owned.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                owned.shutdownNow();
            }
        } catch (InterruptedException e) {
            owned.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
