package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.sluice.v1.Error;
import io.sluice.v1.ProduceRequest;
import io.sluice.v1.ProduceResponse;
import io.sluice.v1.ProduceResult;
import io.sluice.v1.Record;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the producer groups records into ProduceRequests, against an in-process fake broker. */
class ProducerBatchingTest {
    private static final Duration FOREVER = Duration.ofHours(1);

    private FakeBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker(Map.of("t", 4, "twelve", 12));
    }

    @AfterEach
    void stop() throws Exception {
        broker.close();
    }

    private SluiceProducer.Builder producer() {
        return SluiceProducer.builder().channel(broker.channel).linger(FOREVER);
    }

    private static RecordMetadata get(CompletableFuture<RecordMetadata> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static ProducerRecord toPartition(int partition, String value) {
        return ProducerRecord.builder("t").partition(partition).value(value).build();
    }

    @Test
    void fullBatchesGoAtOnceAndFlushSendsTheRest() throws Exception {
        try (SluiceProducer p = producer().maxBatchRecords(10).build()) {
            List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                fs.add(p.send(toPartition(0, "v" + i)));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals(new RecordMetadata("t", 0, i), get(fs.get(i)));
            }
            assertEquals(List.of(10, 10), broker.requestSizes());
            assertFalse(fs.get(20).isDone(), "a partial batch waits for its linger (an hour)");

            p.flush();
            assertEquals(List.of(10, 10, 5), broker.requestSizes());
            for (int i = 20; i < 25; i++) {
                assertTrue(fs.get(i).isDone(), "flush returns after every answer");
                assertEquals(i, get(fs.get(i)).offset());
            }
            for (ProduceRequest req : broker.requests) {
                assertTrue(req.hasPartition());
                assertEquals(0, req.getPartition());
            }
            List<Long> sequences = broker.requests.stream().map(ProduceRequest::getSequence).toList();
            assertEquals(3, sequences.stream().distinct().count(), "each request has its own sequence");
        }
    }

    @Test
    void batchesStopAtMaxBatchBytes() throws Exception {
        int maxBytes = 1000;
        byte[] value = new byte[300];
        try (SluiceProducer p = producer().maxBatchBytes(maxBytes).build()) {
            List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                fs.add(p.send(ProducerRecord.builder("t").partition(1).value(value).build()));
            }
            p.flush();
            for (int i = 0; i < 10; i++) {
                assertEquals(i, get(fs.get(i)).offset());
            }
        }
        // Each record is about 310 bytes on the wire: three fit in 1000 bytes, four do not.
        assertEquals(List.of(3, 3, 3, 1), broker.requestSizes());
        for (ProduceRequest req : broker.requests) {
            int recordBytes = req.getRecordsList().stream().mapToInt(Record::getSerializedSize).sum();
            assertTrue(recordBytes <= maxBytes, "request carries " + recordBytes + " bytes of records");
        }
    }

    @Test
    void aBatchGoesWhenItsLingerEnds() throws Exception {
        Duration linger = Duration.ofMillis(200);
        try (SluiceProducer p = producer().linger(linger).build()) {
            long start = System.nanoTime();
            List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                fs.add(p.send(toPartition(2, "v" + i)));
            }
            assertEquals(2, get(fs.get(2)).offset());
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(elapsedMs >= linger.toMillis(), "sent after " + elapsedMs + " ms, before the linger ended");
            assertEquals(List.of(3), broker.requestSizes(), "records sent within the linger share one request");
        }
    }

    @Test
    void keyedRecordsGoToTheirMurmur2Partition() throws Exception {
        try (SluiceProducer p = producer().build()) {
            CompletableFuture<RecordMetadata> foobar = p.send(ProducerRecord.of("twelve", "foobar", "x"));
            CompletableFuture<RecordMetadata> empty = p.send(ProducerRecord.of("twelve", new byte[0], null));
            p.flush();
            assertEquals(6, get(foobar).partition(), "Kafka puts \"foobar\" in partition 6 of 12");
            int emptyPartition = Partitioner.partition(new byte[0], 12);
            assertEquals(emptyPartition, get(empty).partition(), "an empty key is hashed, not spread");
        }
        Record emptyKeyed = broker.requests.stream()
            .filter(r -> r.getPartition() == Partitioner.partition(new byte[0], 12))
            .flatMap(r -> r.getRecordsList().stream())
            .filter(r -> r.getKey().isEmpty())
            .findFirst().orElseThrow();
        assertTrue(emptyKeyed.hasKey(), "an empty key is sent as set");
        assertFalse(emptyKeyed.hasValue(), "a null value is sent as unset");
    }

    @Test
    void keylessRecordsMoveToTheNextPartitionWithEachBatch() throws Exception {
        try (SluiceProducer p = producer().maxBatchRecords(5).build()) {
            List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fs.add(p.send(ProducerRecord.builder("t").value("v" + i).build()));
            }
            p.flush();
            for (CompletableFuture<RecordMetadata> f : fs) {
                get(f);
            }
        }
        assertEquals(List.of(5, 5, 5, 5), broker.requestSizes());
        int first = broker.requests.get(0).getPartition();
        for (int i = 0; i < 4; i++) {
            ProduceRequest req = broker.requests.get(i);
            assertEquals((first + i) % 4, req.getPartition(), "batch " + i);
            assertTrue(req.getRecordsList().stream().noneMatch(Record::hasKey));
        }
    }

    @Test
    void brokerErrorsFailTheirRecords() throws Exception {
        broker.responder = req -> {
            ProduceResponse.Builder resp = ProduceResponse.newBuilder().setSequence(req.getSequence());
            if (req.getPartition() == 0) {
                return resp.setError(Error.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value())
                    .setMessage("records[0]: too big")).build();
            }
            return resp.addResults(ProduceResult.newBuilder().setPartition(req.getPartition()).setBaseOffset(-1)
                .setError(Error.newBuilder().setCode(Status.Code.UNAVAILABLE.value()).setMessage("no leader").setRetryable(true)))
                .build();
        };
        try (SluiceProducer p = producer().build()) {
            CompletableFuture<RecordMetadata> bad = p.send(toPartition(0, "a"));
            CompletableFuture<RecordMetadata> retry = p.send(toPartition(1, "b"));
            p.flush();
            SluiceException e = cause(bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("records[0]"), e.getMessage());
            assertFalse(e.retryable());
            SluiceException r = cause(retry);
            assertEquals(Status.Code.UNAVAILABLE, r.code());
            assertTrue(r.retryable());
        }
    }

    @Test
    void aFailedStreamFailsItsBatchesAndTheNextBatchOpensANewOne() throws Exception {
        broker.responder = req -> null;
        try (SluiceProducer p = producer().build()) {
            CompletableFuture<RecordMetadata> lost = p.send(toPartition(0, "a"));
            p.flush();
            SluiceException e = cause(lost);
            assertEquals(Status.Code.UNAVAILABLE, e.code());
            assertTrue(e.retryable());

            broker.responder = broker::appendAll;
            CompletableFuture<RecordMetadata> ok = p.send(toPartition(0, "b"));
            p.flush();
            assertEquals(0, get(ok).offset());
        }
    }

    @Test
    void anUnknownTopicFailsWithoutAProduceRequest() throws Exception {
        try (SluiceProducer p = producer().build()) {
            SluiceException e = cause(p.send(ProducerRecord.of("nope", "k", "v")));
            assertEquals(Status.Code.NOT_FOUND, e.code());
        }
        assertTrue(broker.requests.isEmpty());
    }

    @Test
    void closeSendsWhatIsBufferedAndThenRefusesRecords() throws Exception {
        List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
        SluiceProducer p = producer().build();
        for (int i = 0; i < 3; i++) {
            fs.add(p.send(ProducerRecord.builder("t").partition(3).key("k").value("v")
                .header("h", "x".getBytes(StandardCharsets.UTF_8)).build()));
        }
        p.close();
        for (int i = 0; i < 3; i++) {
            assertTrue(fs.get(i).isDone());
            assertEquals(i, get(fs.get(i)).offset());
        }
        assertEquals(ByteString.copyFromUtf8("x"), broker.requests.get(0).getRecords(0).getHeaders(0).getValue());
        assertThrows(IllegalStateException.class, () -> p.send(toPartition(0, "late")));
    }

    private static SluiceException cause(CompletableFuture<RecordMetadata> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(SluiceException.class, e.getCause());
    }
}
