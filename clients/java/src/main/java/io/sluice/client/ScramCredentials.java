package io.sluice.client;

import java.util.Objects;

/**
 * SCRAM credentials of a broker user: a client built with them authenticates over
 * {@code sluice.v1.AuthService} before its first call and sends the token it gets on every call.
 * The password never leaves the client and is not in {@link #toString()}.
 */
public final class ScramCredentials {
    /** The hash SCRAM uses. */
    public enum Mechanism {
        SCRAM_SHA_256("PBKDF2WithHmacSHA256", "HmacSHA256", "SHA-256", 32, io.sluice.v1.ScramMechanism.SCRAM_MECHANISM_SHA_256),
        SCRAM_SHA_512("PBKDF2WithHmacSHA512", "HmacSHA512", "SHA-512", 64, io.sluice.v1.ScramMechanism.SCRAM_MECHANISM_SHA_512);

        final String pbkdf2;
        final String hmac;
        final String digest;
        final int hashBytes;
        final io.sluice.v1.ScramMechanism wire;

        Mechanism(String pbkdf2, String hmac, String digest, int hashBytes, io.sluice.v1.ScramMechanism wire) {
            this.pbkdf2 = pbkdf2;
            this.hmac = hmac;
            this.digest = digest;
            this.hashBytes = hashBytes;
            this.wire = wire;
        }
    }

    private final String username;
    private final char[] password;
    private final Mechanism mechanism;

    private ScramCredentials(String username, char[] password, Mechanism mechanism) {
        this.username = Objects.requireNonNull(username, "username");
        if (username.isEmpty()) {
            throw new IllegalArgumentException("username: must not be empty");
        }
        this.password = Objects.requireNonNull(password, "password").clone();
        this.mechanism = Objects.requireNonNull(mechanism, "mechanism");
    }

    /** SCRAM-SHA-256 credentials. */
    public static ScramCredentials of(String username, String password) {
        return of(username, password, Mechanism.SCRAM_SHA_256);
    }

    public static ScramCredentials of(String username, String password, Mechanism mechanism) {
        return new ScramCredentials(username, Objects.requireNonNull(password, "password").toCharArray(), mechanism);
    }

    public String username() {
        return username;
    }

    public Mechanism mechanism() {
        return mechanism;
    }

    char[] password() {
        return password;
    }

    @Override
    public String toString() {
        return "ScramCredentials{username=" + username + ", mechanism=" + mechanism + "}";
    }
}
