package io.sluice.client;

import io.sluice.v1.Acks;
import io.sluice.v1.ProduceRequest;
import io.sluice.v1.ProduceResponse;
import io.sluice.v1.ProduceResult;
import io.sluice.v1.Record;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Records bound for one partition, sent as one ProduceRequest. Not thread-safe: the producer's lock guards it. */
final class ProducerBatch {
    final String topic;
    final int partition;
    final long createdNanos;
    final List<Record> records = new ArrayList<>();
    final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    /** Completes (normally) once every record of the batch has its outcome. */
    final CompletableFuture<Void> done = new CompletableFuture<>();
    int bytes;
    /** The request's sequence on the Produce stream, once sent. */
    long sequence;

    ProducerBatch(String topic, int partition, long createdNanos) {
        this.topic = topic;
        this.partition = partition;
        this.createdNanos = createdNanos;
    }

    /** Whether a record of {@code size} bytes may join; an empty batch takes any record. */
    boolean fits(int size, int maxRecords, int maxBytes) {
        return records.size() < maxRecords && (records.isEmpty() || bytes + size <= maxBytes);
    }

    boolean full(int maxRecords, int maxBytes) {
        return records.size() >= maxRecords || bytes >= maxBytes;
    }

    void add(Record record, int size, CompletableFuture<RecordMetadata> future) {
        records.add(record);
        futures.add(future);
        bytes += size;
    }

    ProduceRequest toRequest(Acks acks) {
        return ProduceRequest.newBuilder()
            .setSequence(sequence)
            .setTopic(topic)
            .setPartition(partition)
            .setAcks(acks)
            .addAllRecords(records)
            .build();
    }

    /** Completes each record's future from the broker's answer. */
    void complete(ProduceResponse resp) {
        if (resp.hasError()) {
            fail(SluiceException.from(resp.getError()));
            return;
        }
        for (ProduceResult result : resp.getResultsList()) {
            if (result.getPartition() != partition) {
                continue;
            }
            if (result.hasError()) {
                fail(SluiceException.from(result.getError()));
                return;
            }
            long base = result.getBaseOffset();
            for (int i = 0; i < futures.size(); i++) {
                futures.get(i).complete(new RecordMetadata(topic, partition, base < 0 ? -1 : base + i));
            }
            done.complete(null);
            return;
        }
        fail(new SluiceException(io.grpc.Status.Code.INTERNAL,
            "the broker's response has no result for partition " + partition, false));
    }

    void fail(SluiceException e) {
        for (CompletableFuture<RecordMetadata> f : futures) {
            f.completeExceptionally(e);
        }
        done.complete(null);
    }
}
