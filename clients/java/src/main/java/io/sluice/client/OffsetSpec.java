package io.sluice.client;

import io.sluice.v1.Boundary;
import io.sluice.v1.StartPosition;

/**
 * A position in a partition: the earliest or latest offset, an absolute offset, or the first record
 * at or after a time. Consumers start at one; {@link SluiceAdmin#listOffsets} looks one up (all but
 * an absolute offset, which needs no lookup).
 */
public final class OffsetSpec {
    private final StartPosition position;

    private OffsetSpec(StartPosition position) {
        this.position = position;
    }

    /** The log start offset: the oldest record still stored. */
    public static OffsetSpec earliest() {
        return new OffsetSpec(StartPosition.newBuilder().setBoundary(Boundary.BOUNDARY_EARLIEST).build());
    }

    /** The high watermark: only records committed from now on. */
    public static OffsetSpec latest() {
        return new OffsetSpec(StartPosition.newBuilder().setBoundary(Boundary.BOUNDARY_LATEST).build());
    }

    /** An absolute offset, between the log start offset and the high watermark. */
    public static OffsetSpec offset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, got " + offset);
        }
        return new OffsetSpec(StartPosition.newBuilder().setOffset(offset).build());
    }

    /** The first record whose timestamp is at or after {@code timestampMs} (ms since the epoch). */
    public static OffsetSpec timestamp(long timestampMs) {
        return new OffsetSpec(StartPosition.newBuilder().setTimestampMs(timestampMs).build());
    }

    StartPosition toProto() {
        return position;
    }

    @Override
    public String toString() {
        return switch (position.getPositionCase()) {
            case OFFSET -> "offset " + position.getOffset();
            case TIMESTAMP_MS -> "timestamp " + position.getTimestampMs();
            default -> position.getBoundary() == Boundary.BOUNDARY_LATEST ? "latest" : "earliest";
        };
    }
}
