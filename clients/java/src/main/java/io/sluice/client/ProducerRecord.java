package io.sluice.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A record to produce. A null key and an empty key differ (as in Kafka): a keyed record goes to
 * {@code murmur2(key) % partitions}, a keyless one to the partition the producer's current batch for
 * the topic sticks to. A null value is a tombstone, which differs from an empty value. An explicit
 * partition overrides both.
 */
public final class ProducerRecord {
    private final String topic;
    private final Integer partition;
    private final byte[] key;
    private final byte[] value;
    private final List<Header> headers;
    private final long timestampMs;

    private ProducerRecord(Builder b) {
        this.topic = Objects.requireNonNull(b.topic, "topic");
        this.partition = b.partition;
        this.key = b.key;
        this.value = b.value;
        this.headers = List.copyOf(b.headers);
        this.timestampMs = b.timestampMs;
    }

    /** A record with a UTF-8 key and value. */
    public static ProducerRecord of(String topic, String key, String value) {
        return builder(topic).key(key).value(value).build();
    }

    /** A record with the given key and value bytes (either may be null). */
    public static ProducerRecord of(String topic, byte[] key, byte[] value) {
        return builder(topic).key(key).value(value).build();
    }

    public static Builder builder(String topic) {
        return new Builder(topic);
    }

    public String topic() {
        return topic;
    }

    /** The explicit partition, or null to let the producer's partitioner choose. */
    public Integer partition() {
        return partition;
    }

    public byte[] key() {
        return key;
    }

    public byte[] value() {
        return value;
    }

    public List<Header> headers() {
        return headers;
    }

    /** Milliseconds since the epoch; 0 means the broker's clock when it appends the record. */
    public long timestampMs() {
        return timestampMs;
    }

    /** Builds a {@link ProducerRecord}. */
    public static final class Builder {
        private final String topic;
        private Integer partition;
        private byte[] key;
        private byte[] value;
        private final List<Header> headers = new ArrayList<>();
        private long timestampMs;

        private Builder(String topic) {
            this.topic = topic;
        }

        public Builder partition(int partition) {
            if (partition < 0) {
                throw new IllegalArgumentException("partition must not be negative, got " + partition);
            }
            this.partition = partition;
            return this;
        }

        public Builder key(byte[] key) {
            this.key = key;
            return this;
        }

        public Builder key(String key) {
            return key(key == null ? null : key.getBytes(StandardCharsets.UTF_8));
        }

        public Builder value(byte[] value) {
            this.value = value;
            return this;
        }

        public Builder value(String value) {
            return value(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        }

        public Builder header(String key, byte[] value) {
            headers.add(new Header(key, value));
            return this;
        }

        public Builder header(String key, String value) {
            headers.add(Header.of(key, value));
            return this;
        }

        public Builder headers(List<Header> headers) {
            this.headers.addAll(headers);
            return this;
        }

        public Builder timestampMs(long timestampMs) {
            this.timestampMs = timestampMs;
            return this;
        }

        public ProducerRecord build() {
            return new ProducerRecord(this);
        }
    }
}
