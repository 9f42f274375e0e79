package io.sluice.client;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.sluice.v1.Acks;
import io.sluice.v1.AdminServiceGrpc;
import io.sluice.v1.DescribeTopicRequest;
import io.sluice.v1.ProduceRequest;
import io.sluice.v1.ProduceResponse;
import io.sluice.v1.ProduceServiceGrpc;
import io.sluice.v1.Record;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Appends records to topics through one pipelined Produce stream.
 *
 * <p>{@link #send} picks the record's partition (the explicit one; else {@code murmur2(key) %
 * partitions} for a keyed record; else the partition that the topic's keyless records stick to until
 * their batch is sent, which then moves round-robin to the next partition), adds the record to that
 * partition's open batch and returns at once. A batch is sent when it holds {@code maxBatchRecords}
 * records or {@code maxBatchBytes} bytes, when its linger time has passed since its first record, or
 * on {@link #flush()} and {@link #close()}. Up to {@code maxInFlightRequests} batches wait for their
 * answers on the stream at once. Each record's future completes with its partition and offset, or
 * fails with a {@link SluiceException} (whose {@code retryable()} says whether sending it again may
 * succeed; the producer itself does not retry). Futures complete on gRPC's threads: callbacks should
 * not block.
 *
 * <p>Thread-safe: any number of threads may send through one producer.
 *
 * <pre>{@code
 * try (SluiceProducer producer = SluiceProducer.builder().target("127.0.0.1:7070").build()) {
 *     producer.send(ProducerRecord.of("orders", "user-1", "paid")).thenAccept(md -> ...);
 * }
 * }</pre>
 */
public final class SluiceProducer implements AutoCloseable {
    /** Bytes a record adds to a request beyond its own encoding (field tag and length), at most. */
    private static final int RECORD_FRAMING_BYTES = 6;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final ChannelRef channel;
    private final ProduceServiceGrpc.ProduceServiceStub produceStub;
    private final AdminServiceGrpc.AdminServiceBlockingStub adminStub;
    private final int maxBatchRecords;
    private final int maxBatchBytes;
    private final long lingerNanos;
    private final Acks acks;
    private final int maxInFlight;
    private final int bufferBytes;
    private final Duration maxBlock;
    private final Duration metadataTimeout;
    /** Bytes of records sent but not yet answered; send() waits for room. */
    private final Semaphore buffer;
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    private final Thread sender;

    // Lock order: lock, then nothing. Futures are completed outside it.
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the sender may have something to do. */
    private final Condition changed = lock.newCondition();
    private final Map<TopicPartition, ProducerBatch> open = new LinkedHashMap<>();
    private final ArrayDeque<ProducerBatch> ready = new ArrayDeque<>();
    /** For each topic, the partition its keyless records go to until that batch closes. */
    private final Map<String, Integer> sticky = new HashMap<>();
    private ProduceStream stream;
    private long nextSequence = 1;
    private int flushing;
    private volatile boolean closing;
    /** Answered batches whose futures are being completed; guarded by lock. */
    private int completing;

    private record TopicPartition(String topic, int partition) {}

    /** One Produce call and the batches it carries that await their answer. */
    private static final class ProduceStream {
        ClientCallStreamObserver<ProduceRequest> call;
        final Map<Long, ProducerBatch> inFlight = new HashMap<>();
    }

    private SluiceProducer(Builder b) {
        this.channel = ChannelRef.of(b.target, b.channel, b.tls, b.auth, b.metadataTimeout);
        this.produceStub = ProduceServiceGrpc.newStub(channel.channel);
        this.adminStub = AdminServiceGrpc.newBlockingStub(channel.channel);
        this.maxBatchRecords = b.maxBatchRecords;
        this.maxBatchBytes = b.maxBatchBytes;
        this.lingerNanos = b.linger.toNanos();
        this.acks = b.acks;
        this.maxInFlight = b.maxInFlightRequests;
        this.bufferBytes = b.bufferBytes;
        this.maxBlock = b.maxBlock;
        this.metadataTimeout = b.metadataTimeout;
        this.buffer = new Semaphore(bufferBytes);
        this.sender = new Thread(this::runSender, "sluice-producer-" + THREAD_IDS.incrementAndGet());
        this.sender.setDaemon(true);
        this.sender.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Adds a record to its partition's batch. Blocks only to look up the topic's partition count the
     * first time a keyed or keyless record goes to it, or while the buffer is full (at most
     * {@code maxBlock}). Failures come through the future.
     *
     * @throws IllegalStateException if the producer is closed
     */
    public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
        Objects.requireNonNull(record, "record");
        if (closing) {
            throw new IllegalStateException("producer is closed");
        }
        Record proto = toProto(record);
        int size = proto.getSerializedSize() + RECORD_FRAMING_BYTES;
        if (size > bufferBytes) {
            return CompletableFuture.failedFuture(new SluiceException(Status.Code.INVALID_ARGUMENT,
                "record is " + size + " bytes, over the producer's bufferBytes of " + bufferBytes, false));
        }
        int partition;
        int numPartitions = 0;
        try {
            if (record.partition() != null) {
                partition = record.partition();
            } else {
                numPartitions = partitionsFor(record.topic());
                partition = record.key() != null ? Partitioner.partition(record.key(), numPartitions) : -1;
            }
            if (!buffer.tryAcquire(size, maxBlock.toNanos(), TimeUnit.NANOSECONDS)) {
                return CompletableFuture.failedFuture(new SluiceException(Status.Code.RESOURCE_EXHAUSTED,
                    "the producer's buffer stayed full for " + maxBlock + " (bufferBytes " + bufferBytes + ")", true));
            }
        } catch (SluiceException e) {
            return CompletableFuture.failedFuture(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new SluiceException(Status.Code.CANCELLED, "interrupted while waiting for buffer space", false));
        }
        CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
        lock.lock();
        try {
            if (closing) {
                buffer.release(size);
                throw new IllegalStateException("producer is closed");
            }
            if (partition < 0) {
                int n = numPartitions;
                partition = sticky.computeIfAbsent(record.topic(), t -> ThreadLocalRandom.current().nextInt(n));
            }
            appendLocked(new TopicPartition(record.topic(), partition), proto, size, future);
        } finally {
            lock.unlock();
        }
        return future;
    }

    /**
     * Sends every batch now, without waiting for linger, and blocks until every record sent before the
     * call has its outcome (the futures are complete, some perhaps exceptionally).
     */
    public void flush() {
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        lock.lock();
        try {
            flushing++;
            open.values().forEach(b -> waits.add(b.done));
            ready.forEach(b -> waits.add(b.done));
            if (stream != null) {
                stream.inFlight.values().forEach(b -> waits.add(b.done));
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(Status.Code.CANCELLED, "interrupted while flushing", false);
        } catch (ExecutionException e) {
            throw new IllegalStateException("batch completion failed", e); // done futures never fail
        } finally {
            lock.lock();
            try {
                flushing--;
            } finally {
                lock.unlock();
            }
        }
    }

    /** The number of partitions of a topic, looked up once and then cached. */
    public int partitionsFor(String topic) {
        Integer n = partitionCounts.get(topic);
        if (n == null) {
            try {
                n = adminStub.withDeadlineAfter(metadataTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .describeTopic(DescribeTopicRequest.newBuilder().setName(topic).build())
                    .getTopic().getPartitionsCount();
            } catch (RuntimeException e) {
                throw SluiceException.from(e);
            }
            partitionCounts.put(topic, n);
        }
        return n;
    }

    /** Sends what is buffered, waits for every answer, then closes; waits as long as it takes. */
    @Override
    public void close() {
        close(Duration.ofMillis(Long.MAX_VALUE));
    }

    /**
     * Sends what is buffered and waits up to {@code timeout} for the answers; records still unanswered
     * then fail with CANCELLED. Closes the channel if this producer dialed it.
     */
    public void close(Duration timeout) {
        lock.lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        try {
            sender.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (sender.isAlive()) {
            abort(new SluiceException(Status.Code.CANCELLED, "the producer was closed before these records were answered", false));
        }
        channel.close(Duration.ofSeconds(5));
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static Record toProto(ProducerRecord r) {
        Record.Builder b = Record.newBuilder().setTimestampMs(r.timestampMs());
        if (r.key() != null) {
            b.setKey(ByteString.copyFrom(r.key()));
        }
        if (r.value() != null) {
            b.setValue(ByteString.copyFrom(r.value()));
        }
        for (Header h : r.headers()) {
            b.addHeadersBuilder().setKey(h.key()).setValue(ByteString.copyFrom(h.value()));
        }
        return b.build();
    }

    private void appendLocked(TopicPartition tp, Record record, int size, CompletableFuture<RecordMetadata> future) {
        ProducerBatch batch = open.get(tp);
        if (batch != null && !batch.fits(size, maxBatchRecords, maxBatchBytes)) {
            closeBatchLocked(batch);
            batch = null;
        }
        if (batch == null) {
            batch = new ProducerBatch(tp.topic(), tp.partition(), System.nanoTime());
            open.put(tp, batch);
            changed.signalAll(); // the sender's next linger deadline may be this batch's
        }
        batch.add(record, size, future);
        if (batch.full(maxBatchRecords, maxBatchBytes)) {
            closeBatchLocked(batch);
        }
    }

    /** Moves an open batch to the ready queue; keyless records of its topic move on to the next partition. */
    private void closeBatchLocked(ProducerBatch batch) {
        open.remove(new TopicPartition(batch.topic, batch.partition));
        ready.add(batch);
        Integer stuck = sticky.get(batch.topic);
        if (stuck != null && stuck == batch.partition) {
            sticky.put(batch.topic, (stuck + 1) % partitionCounts.get(batch.topic));
        }
        changed.signalAll();
    }

    /**
     * Moves batches whose linger passed (all of them while flushing or closing) to the ready queue.
     * Returns the nanoseconds until the next open batch's linger ends, or Long.MAX_VALUE if none is open.
     */
    private long closeLingeredLocked(long now) {
        long wait = Long.MAX_VALUE;
        for (ProducerBatch batch : new ArrayList<>(open.values())) {
            long left = batch.createdNanos + lingerNanos - now;
            if (left <= 0 || flushing > 0 || closing) {
                closeBatchLocked(batch);
            } else {
                wait = Math.min(wait, left);
            }
        }
        return wait;
    }

    private boolean canSendLocked() {
        if (ready.isEmpty()) {
            return false;
        }
        return stream == null || (stream.inFlight.size() < maxInFlight && stream.call.isReady());
    }

    private boolean drainedLocked() {
        return open.isEmpty() && ready.isEmpty() && completing == 0
            && (stream == null || stream.inFlight.isEmpty());
    }

    /** The sender thread: the only writer of the Produce stream. */
    private void runSender() {
        try {
            while (true) {
                ProduceStream s;
                List<ProducerBatch> batches = new ArrayList<>();
                lock.lock();
                try {
                    while (true) {
                        long wait = closeLingeredLocked(System.nanoTime());
                        if (canSendLocked()) {
                            break;
                        }
                        if (closing && drainedLocked()) {
                            if (stream != null) {
                                stream.call.onCompleted();
                                stream = null;
                            }
                            return;
                        }
                        if (wait == Long.MAX_VALUE) {
                            changed.await();
                        } else {
                            changed.awaitNanos(wait);
                        }
                    }
                    if (stream == null) {
                        stream = openStream();
                    }
                    s = stream;
                    while (!ready.isEmpty() && s.inFlight.size() < maxInFlight) {
                        ProducerBatch batch = ready.poll();
                        batch.sequence = nextSequence++;
                        s.inFlight.put(batch.sequence, batch);
                        batches.add(batch);
                    }
                } finally {
                    lock.unlock();
                }
                send(s, batches);
            }
        } catch (InterruptedException e) {
            // abort() interrupts us once it has failed every batch.
        } catch (RuntimeException | java.lang.Error e) {
            abort(new SluiceException(Status.Code.INTERNAL, "the producer's sender failed: " + e, false));
            throw e;
        }
    }

    private void send(ProduceStream s, List<ProducerBatch> batches) {
        for (ProducerBatch batch : batches) {
            lock.lock();
            try {
                if (s.inFlight.get(batch.sequence) != batch) {
                    continue; // the stream ended and failed the batch meanwhile
                }
            } finally {
                lock.unlock();
            }
            try {
                s.call.onNext(batch.toRequest(acks));
            } catch (RuntimeException e) {
                streamEnded(s, SluiceException.from(e));
                return;
            }
        }
    }

    private ProduceStream openStream() {
        ProduceStream s = new ProduceStream();
        produceStub.produce(new ClientResponseObserver<ProduceRequest, ProduceResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ProduceRequest> call) {
                s.call = call;
                call.setOnReadyHandler(SluiceProducer.this::wakeSender);
            }

            @Override
            public void onNext(ProduceResponse resp) {
                answered(s, resp);
            }

            @Override
            public void onError(Throwable t) {
                streamEnded(s, SluiceException.from(t));
            }

            @Override
            public void onCompleted() {
                streamEnded(s, new SluiceException(Status.Code.UNAVAILABLE, "the broker closed the produce stream", true));
            }
        });
        return s;
    }

    private void wakeSender() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void answered(ProduceStream s, ProduceResponse resp) {
        ProducerBatch batch;
        lock.lock();
        try {
            batch = s.inFlight.remove(resp.getSequence());
            if (batch != null) {
                // Counted until its futures are complete, so that close()
                // returns only after every answered record's future is done.
                completing++;
            }
        } finally {
            lock.unlock();
        }
        if (batch == null) {
            return;
        }
        try {
            buffer.release(batch.bytes);
            batch.complete(resp);
        } finally {
            lock.lock();
            try {
                completing--;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Fails the batches a stream carried; the next batch opens a new stream. */
    private void streamEnded(ProduceStream s, SluiceException error) {
        List<ProducerBatch> failed;
        lock.lock();
        try {
            if (stream == s) {
                stream = null;
            }
            failed = new ArrayList<>(s.inFlight.values());
            s.inFlight.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        failAll(failed, error);
    }

    /** Fails every batch, open, ready or in flight, and stops the sender. */
    private void abort(SluiceException error) {
        List<ProducerBatch> failed = new ArrayList<>();
        lock.lock();
        try {
            closing = true;
            failed.addAll(open.values());
            failed.addAll(ready);
            open.clear();
            ready.clear();
            if (stream != null) {
                failed.addAll(stream.inFlight.values());
                stream.inFlight.clear();
                stream.call.cancel("producer closed", null);
                stream = null;
            }
        } finally {
            lock.unlock();
        }
        failAll(failed, error);
        if (Thread.currentThread() != sender) {
            sender.interrupt();
        }
    }

    private void failAll(List<ProducerBatch> batches, SluiceException error) {
        for (ProducerBatch batch : batches) {
            buffer.release(batch.bytes);
            batch.fail(error);
        }
    }

    /** Builds a {@link SluiceProducer}. */
    public static final class Builder {
        private String target;
        private Channel channel;
        private TlsOptions tls;
        private ScramCredentials auth;
        private int maxBatchRecords = 1000;
        private int maxBatchBytes = 512 * 1024;
        private Duration linger = Duration.ofMillis(5);
        private Acks acks = Acks.ACKS_ALL;
        private int maxInFlightRequests = 16;
        private int bufferBytes = 32 * 1024 * 1024;
        private Duration maxBlock = Duration.ofSeconds(60);
        private Duration metadataTimeout = Duration.ofSeconds(30);

        private Builder() {}

        /** The broker to dial, {@code host:port}, in plaintext unless {@link #tls} is set; the producer closes this channel. */
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

        /** A batch is sent once it holds this many records (1000 by default). */
        public Builder maxBatchRecords(int maxBatchRecords) {
            this.maxBatchRecords = positive("maxBatchRecords", maxBatchRecords);
            return this;
        }

        /** A batch is sent once it holds about this many bytes of records (512 KiB by default). */
        public Builder maxBatchBytes(int maxBatchBytes) {
            this.maxBatchBytes = positive("maxBatchBytes", maxBatchBytes);
            return this;
        }

        /** A batch is sent at the latest this long after its first record (5 ms by default). */
        public Builder linger(Duration linger) {
            if (linger.isNegative()) {
                throw new IllegalArgumentException("linger must not be negative");
            }
            this.linger = linger;
            return this;
        }

        /** When the broker answers (all replicas by default). */
        public Builder acks(Acks acks) {
            this.acks = Objects.requireNonNull(acks, "acks");
            return this;
        }

        /** Batches awaiting their answer on the stream at once (16 by default). */
        public Builder maxInFlightRequests(int maxInFlightRequests) {
            this.maxInFlightRequests = positive("maxInFlightRequests", maxInFlightRequests);
            return this;
        }

        /** Bytes of records buffered or in flight before send() blocks (32 MiB by default). */
        public Builder bufferBytes(int bufferBytes) {
            this.bufferBytes = positive("bufferBytes", bufferBytes);
            return this;
        }

        /** How long send() waits for buffer space before failing the record (60 s by default). */
        public Builder maxBlock(Duration maxBlock) {
            this.maxBlock = Objects.requireNonNull(maxBlock, "maxBlock");
            return this;
        }

        /** The deadline of the lookup of a topic's partition count (30 s by default). */
        public Builder metadataTimeout(Duration metadataTimeout) {
            this.metadataTimeout = Objects.requireNonNull(metadataTimeout, "metadataTimeout");
            return this;
        }

        public SluiceProducer build() {
            return new SluiceProducer(this);
        }

        private static int positive(String name, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
            return value;
        }
    }
}
