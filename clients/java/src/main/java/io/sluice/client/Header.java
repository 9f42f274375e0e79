package io.sluice.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/** An application-defined key/value pair on a record; keys may repeat within a record. */
public record Header(String key, byte[] value) {
    public Header {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** A header whose value is the UTF-8 encoding of {@code value}. */
    public static Header of(String key, String value) {
        return new Header(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The value decoded as UTF-8. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Header h && key.equals(h.key) && Arrays.equals(value, h.value);
    }

    @Override
    public int hashCode() {
        return 31 * key.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Header[" + key + "=" + valueAsString() + "]";
    }
}
