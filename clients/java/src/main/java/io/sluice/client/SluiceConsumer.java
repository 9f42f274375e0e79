package io.sluice.client;

import io.grpc.Channel;
import io.grpc.Context;
import io.sluice.v1.FetchPartition;
import io.sluice.v1.FetchRequest;
import io.sluice.v1.FetchResponse;
import io.sluice.v1.FetchServiceGrpc;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads the records of one topic over a single Fetch stream, in offset order within each partition.
 *
 * <p>Without {@link Builder#follow(boolean) follow} the iteration ends once every partition is read up
 * to the high watermark it had when the stream reached it; with follow it waits for new records until
 * {@link #close()} (which any thread may call). Like {@link java.nio.file.DirectoryStream}, a consumer
 * is iterated once: {@link #iterator()} and {@link #stream()} open the Fetch stream and may be called
 * only once. The broker sends no faster than the iteration reads.
 *
 * <pre>{@code
 * try (SluiceConsumer consumer = SluiceConsumer.builder().target("127.0.0.1:7070").topic("orders").build()) {
 *     for (ConsumerRecord r : consumer) { ... }
 * }
 * }</pre>
 */
public final class SluiceConsumer implements Iterable<ConsumerRecord>, AutoCloseable {
    private final ChannelRef channel;
    private final FetchRequest request;
    private final Context.CancellableContext context = Context.current().withCancellation();
    private final Map<Integer, Long> positions = new ConcurrentHashMap<>();
    private final Map<Integer, Long> highWatermarks = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;

    private SluiceConsumer(Builder b) {
        if (b.topic == null) {
            throw new IllegalStateException("topic is required");
        }
        FetchRequest.Builder req = FetchRequest.newBuilder()
            .setTopic(b.topic)
            .setStartAll(b.startAll.toProto())
            .setFollow(b.follow)
            .setMaxRecords(b.maxRecordsPerResponse)
            .setMaxBytes(b.maxBytesPerResponse)
            .setMaxTotalRecords(b.maxRecords);
        b.partitions.forEach((p, spec) ->
            req.addPartitions(FetchPartition.newBuilder().setPartition(p).setStart(spec.toProto())));
        this.request = req.build();
        this.channel = ChannelRef.of(b.target, b.channel, b.tls, b.auth, Duration.ofSeconds(30));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Opens the Fetch stream. May be called once. */
    @Override
    public synchronized Iterator<ConsumerRecord> iterator() {
        if (closed) {
            throw new IllegalStateException("consumer is closed");
        }
        if (started) {
            throw new IllegalStateException("a consumer is iterated once; build another to read again");
        }
        started = true;
        FetchServiceGrpc.FetchServiceBlockingStub stub = FetchServiceGrpc.newBlockingStub(channel.channel);
        // Started inside the cancellable context, so that close() cancels the call.
        Context previous = context.attach();
        try {
            return new RecordIterator(stub.fetch(request));
        } finally {
            context.detach(previous);
        }
    }

    /** The records as a sequential stream (opens the Fetch stream; may be called once). */
    public Stream<ConsumerRecord> stream() {
        Spliterator<ConsumerRecord> split = Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL);
        return StreamSupport.stream(split, false).onClose(this::close);
    }

    /** For each partition read so far, the offset after the last record returned: where to resume. */
    public Map<Integer, Long> positions() {
        return Collections.unmodifiableMap(new TreeMap<>(positions));
    }

    /** For each partition read so far, its high watermark when the broker last sent records of it. */
    public Map<Integer, Long> highWatermarks() {
        return Collections.unmodifiableMap(new TreeMap<>(highWatermarks));
    }

    /** Cancels the Fetch stream (an iteration in progress ends) and closes a channel this consumer dialed. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        context.cancel(null);
        channel.close(Duration.ofSeconds(5));
    }

    private final class RecordIterator implements Iterator<ConsumerRecord> {
        private final Iterator<FetchResponse> responses;
        private FetchResponse current;
        private int next;
        private boolean done;

        RecordIterator(Iterator<FetchResponse> responses) {
            this.responses = responses;
        }

        @Override
        public boolean hasNext() {
            while (!done && (current == null || next >= current.getRecordsCount())) {
                try {
                    if (closed || !responses.hasNext()) {
                        done = true;
                        break;
                    }
                    current = responses.next();
                    next = 0;
                    highWatermarks.put(current.getPartition(), current.getHighWatermark());
                } catch (RuntimeException e) {
                    done = true;
                    if (closed) {
                        break;
                    }
                    throw SluiceException.from(e);
                }
            }
            return !done;
        }

        @Override
        public ConsumerRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ConsumerRecord r = new ConsumerRecord(request.getTopic(), current.getPartition(), current.getRecords(next++));
            positions.put(r.partition(), r.offset() + 1);
            return r;
        }
    }

    /** Builds a {@link SluiceConsumer}. */
    public static final class Builder {
        private String target;
        private Channel channel;
        private TlsOptions tls;
        private ScramCredentials auth;
        private String topic;
        private OffsetSpec startAll = OffsetSpec.earliest();
        private final Map<Integer, OffsetSpec> partitions = new LinkedHashMap<>();
        private boolean follow;
        private int maxRecordsPerResponse;
        private int maxBytesPerResponse;
        private long maxRecords;

        private Builder() {}

        /** The broker to dial, {@code host:port}, in plaintext unless {@link #tls} is set; the consumer closes this channel. */
        public Builder target(String target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        /** A channel to use instead of dialing; it stays open after {@link #close()}. */
        public Builder channel(Channel channel) {
            this.channel = Objects.requireNonNull(channel, "channel");
            return this;
        }

        /** Dial {@link #target(String)} over TLS (mTLS with a client certificate). */
        public Builder tls(TlsOptions tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * Authenticate with SCRAM before the first call and send the token on every call (see
         * {@link ScramCredentials}); with a given {@link #channel(Channel)} too.
         */
        public Builder auth(ScramCredentials auth) {
            this.auth = Objects.requireNonNull(auth, "auth");
            return this;
        }

        public Builder topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /** Where every partition starts when no {@link #partition} is named (earliest by default). */
        public Builder startAt(OffsetSpec start) {
            this.startAll = Objects.requireNonNull(start, "start");
            return this;
        }

        public Builder fromEarliest() {
            return startAt(OffsetSpec.earliest());
        }

        public Builder fromLatest() {
            return startAt(OffsetSpec.latest());
        }

        /** Reads only the named partitions (call once per partition), each from its own start. */
        public Builder partition(int partition, OffsetSpec start) {
            partitions.put(partition, Objects.requireNonNull(start, "start"));
            return this;
        }

        /** Keep waiting for new records once the high watermark is reached, until {@link #close()}. */
        public Builder follow(boolean follow) {
            this.follow = follow;
            return this;
        }

        /** Stop after this many records in total (0, the default, means no limit). */
        public Builder maxRecords(long maxRecords) {
            this.maxRecords = maxRecords;
            return this;
        }

        /** At most this many records per response from the broker (0: the broker default, 10000). */
        public Builder maxRecordsPerResponse(int maxRecordsPerResponse) {
            this.maxRecordsPerResponse = maxRecordsPerResponse;
            return this;
        }

        /** At most about this many bytes per response from the broker (0: the broker default, 1 MiB). */
        public Builder maxBytesPerResponse(int maxBytesPerResponse) {
            this.maxBytesPerResponse = maxBytesPerResponse;
            return this;
        }

        public SluiceConsumer build() {
            return new SluiceConsumer(this);
        }
    }
}
