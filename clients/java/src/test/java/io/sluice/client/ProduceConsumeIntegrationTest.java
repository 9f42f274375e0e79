package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The producer and the consumer against a real broker process. */
@ExtendWith(BrokerExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProduceConsumeIntegrationTest {
    private static final int RECORDS = 10_000;
    private static final int PARTITIONS = 4;

    private static String key(int i) {
        return "key-" + i;
    }

    private static byte[] value(int i) {
        return ByteBuffer.allocate(8 + 4).putLong(0x5105CEL).putInt(i).array();
    }

    @Test
    void tenThousandKeyedRecordsWithHeadersRoundTrip(SluiceBroker broker) throws Exception {
        String topic = "java-roundtrip";
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            admin.createTopic(topic, PARTITIONS);
        }

        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>(RECORDS);
        try (SluiceProducer producer = SluiceProducer.builder().target(broker.address()).build()) {
            for (int i = 0; i < RECORDS; i++) {
                futures.add(producer.send(ProducerRecord.builder(topic)
                    .key(key(i))
                    .value(value(i))
                    .header("seq", Integer.toString(i))
                    .header("source", "java-sdk")
                    .header("seq", "repeated-" + i)
                    .build()));
            }
            producer.flush();
        }
        Map<Integer, RecordMetadata> written = new HashMap<>();
        for (int i = 0; i < RECORDS; i++) {
            RecordMetadata md = futures.get(i).get(0, TimeUnit.SECONDS); // flush completed them all
            assertEquals(topic, md.topic());
            assertEquals(Partitioner.partition(key(i).getBytes(StandardCharsets.UTF_8), PARTITIONS), md.partition(), key(i));
            written.put(i, md);
        }
        // Per partition, the records took the offsets 0..n-1 once each.
        Map<Integer, List<Long>> offsets = written.values().stream().collect(
            Collectors.groupingBy(RecordMetadata::partition, Collectors.mapping(RecordMetadata::offset, Collectors.toList())));
        assertEquals(PARTITIONS, offsets.size(), "keys spread over every partition");
        offsets.forEach((p, list) -> assertEquals(list.size(), list.stream().distinct().filter(o -> o >= 0 && o < list.size()).count(), "partition " + p));

        int read = 0;
        Map<Integer, Long> expectNext = new HashMap<>();
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker.address()).topic(topic).fromEarliest().build()) {
            for (ConsumerRecord r : consumer) {
                int i = ByteBuffer.wrap(r.value()).getInt(8);
                RecordMetadata md = written.get(i);
                assertNotNull(md, "record " + i + " was never produced");
                assertEquals(topic, r.topic());
                assertEquals(md.partition(), r.partition(), "partition of record " + i);
                assertEquals(md.offset(), r.offset(), "offset of record " + i);
                assertEquals(expectNext.getOrDefault(r.partition(), 0L), r.offset(), "offsets in order within partition " + r.partition());
                expectNext.put(r.partition(), r.offset() + 1);
                assertEquals(key(i), r.keyAsString());
                assertArrayEquals(value(i), r.value());
                assertEquals(List.of(Header.of("seq", Integer.toString(i)), Header.of("source", "java-sdk"),
                    Header.of("seq", "repeated-" + i)), r.headers());
                assertArrayEquals(("repeated-" + i).getBytes(StandardCharsets.UTF_8), r.lastHeader("seq"));
                assertTrue(r.timestampMs() > 0, "the broker stamps records produced without a timestamp");
                read++;
            }
            assertEquals(expectNext, consumer.positions());
        }
        assertEquals(RECORDS, read);
    }

    @Test
    void nullAndEmptyKeysAndValuesStayApart(SluiceBroker broker) throws Exception {
        String topic = "java-nulls";
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            admin.createTopic(topic, 1);
        }
        try (SluiceProducer producer = SluiceProducer.builder().target(broker.address()).build()) {
            producer.send(ProducerRecord.of(topic, (byte[]) null, null));
            producer.send(ProducerRecord.of(topic, new byte[0], new byte[0]));
            producer.send(ProducerRecord.builder(topic).key("k").timestampMs(1_700_000_000_000L).build());
            producer.flush();
        }
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker.address()).topic(topic).build()) {
            List<ConsumerRecord> rs = consumer.stream().toList();
            assertEquals(3, rs.size());
            assertNull(rs.get(0).key());
            assertNull(rs.get(0).value());
            assertArrayEquals(new byte[0], rs.get(1).key());
            assertArrayEquals(new byte[0], rs.get(1).value());
            assertEquals("k", rs.get(2).keyAsString());
            assertNull(rs.get(2).value(), "a tombstone");
            assertEquals(1_700_000_000_000L, rs.get(2).timestampMs());
        }
    }

    @Test
    void aConsumerStartsWherePartitionsAreToldAndStopsAtMaxRecords(SluiceBroker broker) throws Exception {
        String topic = "java-positions";
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            admin.createTopic(topic, 2);
        }
        try (SluiceProducer producer = SluiceProducer.builder().target(broker.address()).build()) {
            for (int i = 0; i < 10; i++) {
                producer.send(ProducerRecord.builder(topic).partition(i % 2).value("v" + i).build());
            }
            producer.flush();
        }
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker.address()).topic(topic)
                .partition(1, OffsetSpec.offset(3)).build()) {
            List<String> values = consumer.stream().map(ConsumerRecord::valueAsString).toList();
            assertEquals(List.of("v7", "v9"), values);
            assertEquals(Map.of(1, 5L), consumer.positions());
            assertEquals(Map.of(1, 5L), consumer.highWatermarks());
        }
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker.address()).topic(topic)
                .partition(0, OffsetSpec.earliest()).maxRecords(3).build()) {
            assertEquals(List.of(0L, 1L, 2L), consumer.stream().map(ConsumerRecord::offset).toList());
        }
    }

    @Test
    @SuppressWarnings("try") // closes the consumer inside its try block on purpose
    void aFollowingConsumerSeesNewRecordsUntilClosed(SluiceBroker broker) throws Exception {
        String topic = "java-follow";
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            admin.createTopic(topic, 1);
        }
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker.address()).topic(topic)
                .fromLatest().follow(true).build();
             SluiceProducer producer = SluiceProducer.builder().target(broker.address()).build()) {
            List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            Future<Integer> iteration = reader.submit(() -> {
                int n = 0;
                for (ConsumerRecord r : consumer) {
                    seen.add(r.valueAsString());
                    n++;
                }
                return n;
            });
            // A record produced before the follow stream reached the high watermark would be skipped
            // (latest); keep producing until the consumer has seen one, then three more.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int sent = 0;
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                producer.send(ProducerRecord.of(topic, "k", "early-" + sent++)).get(5, TimeUnit.SECONDS);
                waitFor(() -> !seen.isEmpty(), 200);
            }
            assertTrue(!seen.isEmpty(), "the following consumer saw no record");
            for (int i = 0; i < 3; i++) {
                producer.send(ProducerRecord.of(topic, "k", "late-" + i)).get(5, TimeUnit.SECONDS);
            }
            assertTrue(waitFor(() -> seen.size() >= 4 && seen.get(seen.size() - 1).equals("late-2"), 10_000), "seen " + seen);
            consumer.close();
            int n = iteration.get(10, TimeUnit.SECONDS);
            assertEquals(seen.size(), n, "close ends the iteration without an error");
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void producingToAMissingTopicOrPartitionFails(SluiceBroker broker) throws Exception {
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            admin.createTopic("java-two", 2);
        }
        try (SluiceProducer producer = SluiceProducer.builder().target(broker.address()).build()) {
            CompletableFuture<RecordMetadata> keyed = producer.send(ProducerRecord.of("java-missing", "k", "v"));
            CompletableFuture<RecordMetadata> explicit = producer.send(ProducerRecord.builder("java-missing").partition(0).value("v").build());
            CompletableFuture<RecordMetadata> badPartition = producer.send(ProducerRecord.builder("java-two").partition(7).value("v").build());
            CompletableFuture<RecordMetadata> fine = producer.send(ProducerRecord.builder("java-two").partition(1).value("v").build());
            producer.flush();
            assertEquals(Status.Code.NOT_FOUND, cause(keyed).code());
            assertEquals(Status.Code.NOT_FOUND, cause(explicit).code());
            SluiceException e = cause(badPartition);
            assertEquals(Status.Code.NOT_FOUND, e.code());
            assertTrue(e.getMessage().contains("partition"), e.getMessage());
            assertEquals(new RecordMetadata("java-two", 1, 0), fine.get(0, TimeUnit.SECONDS));
        }
    }

    @Test
    void readingAMissingTopicThrows(SluiceBroker broker) {
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker.address()).topic("java-nothing").build()) {
            SluiceException e = assertThrows(SluiceException.class, () -> consumer.iterator().hasNext());
            assertEquals(Status.Code.NOT_FOUND, e.code());
        }
    }

    private static SluiceException cause(CompletableFuture<RecordMetadata> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(SluiceException.class, e.getCause());
    }

    /** Polls cond every 10 ms for up to timeoutMs; returns whether it held. */
    static boolean waitFor(java.util.function.BooleanSupplier cond, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
