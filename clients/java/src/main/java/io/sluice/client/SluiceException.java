package io.sluice.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.sluice.v1.NotLeaderDetail;
import io.sluice.v1.OffsetOutOfRangeDetail;
import java.util.Optional;

/**
 * A failed Sluice request: the gRPC status code, the broker's message (which names the field or
 * limit involved) and whether sending the same request again may succeed.
 */
public class SluiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status.Code code;
    private final boolean retryable;
    private final transient NotLeaderDetail notLeader;
    private final transient OffsetOutOfRangeDetail outOfRange;

    public SluiceException(Status.Code code, String message, boolean retryable) {
        this(code, message, retryable, null, null, null);
    }

    private SluiceException(Status.Code code, String message, boolean retryable, NotLeaderDetail notLeader,
                            OffsetOutOfRangeDetail outOfRange, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
        this.retryable = retryable;
        this.notLeader = notLeader;
        this.outOfRange = outOfRange;
    }

    /** The gRPC status code. */
    public Status.Code code() {
        return code;
    }

    /** True when the same request may succeed if sent again (leader change, overload, ...). */
    public boolean retryable() {
        return retryable;
    }

    /** Set when the request reached a broker that does not lead the partition. */
    public Optional<NotLeaderDetail> notLeader() {
        return Optional.ofNullable(notLeader);
    }

    /** Set on OUT_OF_RANGE errors: the offsets that may be read. */
    public Optional<OffsetOutOfRangeDetail> outOfRange() {
        return Optional.ofNullable(outOfRange);
    }

    /** Converts an error of a streamed response (one produce request or one partition of it). */
    static SluiceException from(io.sluice.v1.Error e) {
        Status.Code code = Status.fromCodeValue(e.getCode()).getCode();
        return new SluiceException(code, e.getMessage(), e.getRetryable(), e.hasNotLeader() ? e.getNotLeader() : null,
            null, null);
    }

    /** Converts a failed call; a SluiceException passes through unchanged. */
    static SluiceException from(Throwable t) {
        if (t instanceof SluiceException se) {
            return se;
        }
        Status status = Status.fromThrowable(t);
        NotLeaderDetail notLeader = null;
        OffsetOutOfRangeDetail outOfRange = null;
        com.google.rpc.Status details = io.grpc.protobuf.StatusProto.fromThrowable(t);
        if (details != null) {
            for (Any any : details.getDetailsList()) {
                try {
                    if (any.is(NotLeaderDetail.class)) {
                        notLeader = any.unpack(NotLeaderDetail.class);
                    } else if (any.is(OffsetOutOfRangeDetail.class)) {
                        outOfRange = any.unpack(OffsetOutOfRangeDetail.class);
                    }
                } catch (InvalidProtocolBufferException ignored) {
                    // A detail we cannot read adds nothing to the status itself.
                }
            }
        }
        boolean retryable = notLeader != null || switch (status.getCode()) {
            case UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED -> true;
            default -> false;
        };
        String message = status.getDescription() != null ? status.getDescription() : String.valueOf(t);
        return new SluiceException(status.getCode(), message, retryable, notLeader, outOfRange, t);
    }
}
