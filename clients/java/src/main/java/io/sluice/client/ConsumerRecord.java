package io.sluice.client;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/** A record read from a partition, with the offset the broker gave it. */
public final class ConsumerRecord {
    private final String topic;
    private final int partition;
    private final long offset;
    private final long timestampMs;
    private final byte[] key;
    private final byte[] value;
    private final List<Header> headers;

    /** A record as a consumer returns it (for tests of code that consumes). */
    public ConsumerRecord(String topic, int partition, long offset, long timestampMs, byte[] key, byte[] value,
                          List<Header> headers) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.partition = partition;
        this.offset = offset;
        this.timestampMs = timestampMs;
        this.key = key;
        this.value = value;
        this.headers = List.copyOf(headers);
    }

    ConsumerRecord(String topic, int partition, io.sluice.v1.Record r) {
        this(topic, partition, r.getOffset(), r.getTimestampMs(),
            r.hasKey() ? r.getKey().toByteArray() : null,
            r.hasValue() ? r.getValue().toByteArray() : null,
            r.getHeadersList().stream().map(h -> new Header(h.getKey(), h.getValue().toByteArray())).toList());
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    /** Milliseconds since the epoch. */
    public long timestampMs() {
        return timestampMs;
    }

    /** The key, or null when the record has none (an empty key is an empty array). */
    public byte[] key() {
        return key;
    }

    /** The value, or null for a tombstone (an empty value is an empty array). */
    public byte[] value() {
        return value;
    }

    /** Headers in the order the producer sent them. */
    public List<Header> headers() {
        return headers;
    }

    /** The key decoded as UTF-8, or null. */
    public String keyAsString() {
        return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    /** The value decoded as UTF-8, or null. */
    public String valueAsString() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** The value of the last header named {@code key}, or null. */
    public byte[] lastHeader(String key) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            if (headers.get(i).key().equals(key)) {
                return headers.get(i).value();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "ConsumerRecord[" + topic + "/" + partition + "@" + offset + " key=" + keyAsString() + "]";
    }
}
