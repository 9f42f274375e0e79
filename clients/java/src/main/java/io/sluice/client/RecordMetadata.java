package io.sluice.client;

/**
 * Where the broker stored a produced record. The offset is -1 when the producer uses
 * {@link io.sluice.v1.Acks#ACKS_NONE}, which returns no offsets.
 */
public record RecordMetadata(String topic, int partition, long offset) {}
