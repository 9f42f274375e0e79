package io.sluice.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS to the broker; files are PEM. Without a CA file the broker's certificate must chain to the
 * JVM's default trust store. A client certificate and key (PKCS #8) are for brokers that require
 * mTLS. The server name is the name the broker's certificate must carry when it is not the host
 * dialed (an IP address, a tunnel).
 *
 * <pre>{@code
 * TlsOptions tls = TlsOptions.builder().caFile(Path.of("ca.pem"))
 *     .clientCertificate(Path.of("client.pem"), Path.of("client-key.pem")).build();
 * }</pre>
 */
public final class TlsOptions {
    private final Path caFile;
    private final Path certFile;
    private final Path keyFile;
    private final String serverName;

    private TlsOptions(Builder b) {
        this.caFile = b.caFile;
        this.certFile = b.certFile;
        this.keyFile = b.keyFile;
        this.serverName = b.serverName;
    }

    public static Builder builder() {
        return new Builder();
    }

    Path caFile() {
        return caFile;
    }

    Path certFile() {
        return certFile;
    }

    Path keyFile() {
        return keyFile;
    }

    String serverName() {
        return serverName;
    }

    /** Builds {@link TlsOptions}. */
    public static final class Builder {
        private Path caFile;
        private Path certFile;
        private Path keyFile;
        private String serverName;

        private Builder() {}

        /** CA certificates the broker's certificate must chain to (default: the JVM's trust store). */
        public Builder caFile(Path caFile) {
            this.caFile = Objects.requireNonNull(caFile, "caFile");
            return this;
        }

        /** For mTLS: this client's certificate chain and its private key (PKCS #8 PEM). */
        public Builder clientCertificate(Path certFile, Path keyFile) {
            this.certFile = Objects.requireNonNull(certFile, "certFile");
            this.keyFile = Objects.requireNonNull(keyFile, "keyFile");
            return this;
        }

        /** The name the broker's certificate must carry, when it is not the host dialed. */
        public Builder serverName(String serverName) {
            this.serverName = Objects.requireNonNull(serverName, "serverName");
            return this;
        }

        /** Checks that every file named is readable. */
        public TlsOptions build() {
            for (Path p : new Path[] {caFile, certFile, keyFile}) {
                if (p != null && !Files.isReadable(p)) {
                    throw new IllegalArgumentException("tls: cannot read " + p);
                }
            }
            return new TlsOptions(this);
        }
    }
}
