package io.sluice.client;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
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
        return of(target, channel, null, null, Duration.ofSeconds(30));
    }

    /**
     * Exactly one of target ({@code host:port}, dialed in plaintext unless {@code tls} is set) or
     * channel must be set. With {@code auth}, every call carries the token SCRAM got (its AuthService
     * calls wait at most {@code timeout} each).
     */
    static ChannelRef of(String target, Channel channel, TlsOptions tls, ScramCredentials auth, Duration timeout) {
        if ((target == null) == (channel == null)) {
            throw new IllegalStateException("set exactly one of target(\"host:port\") or channel(...)");
        }
        Channel ch;
        ManagedChannel dialed = null;
        if (channel != null) {
            if (tls != null) {
                throw new IllegalStateException("tls(...) applies to target(...); a given channel has its own credentials");
            }
            ch = channel;
        } else {
            ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, credentials(tls));
            if (tls != null && tls.serverName() != null) {
                b.overrideAuthority(tls.serverName());
            }
            dialed = b.build();
            ch = dialed;
        }
        if (auth != null) {
            ch = ClientInterceptors.intercept(ch, new BearerAuth(ch, auth, timeout));
        }
        return new ChannelRef(ch, dialed);
    }

    private static ChannelCredentials credentials(TlsOptions tls) {
        if (tls == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
            if (tls.caFile() != null) {
                b.trustManager(tls.caFile().toFile());
            }
            if (tls.certFile() != null) {
                b.keyManager(tls.certFile().toFile(), tls.keyFile().toFile());
            }
            return b.build();
        } catch (IOException e) {
            throw new IllegalArgumentException("tls: cannot read the certificates: " + e.getMessage(), e);
        }
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
