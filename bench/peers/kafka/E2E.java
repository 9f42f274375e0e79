// E2E measures Apache Kafka end-to-end latency the way `sluice bench e2e`
// measures Sluice's: records of a fixed size are produced at a fixed rate
// (acks=all) into a replicated topic, each carrying its send time, and a
// consumer following the partition records how long each took to arrive.
// Kafka's EndToEndLatency tool sends one record at a time and cannot hold a
// rate, hence this program; scripts/bench-peers.sh compiles and runs it.
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class E2E {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int rate = Integer.parseInt(args[2]);
    int size = Math.max(8, Integer.parseInt(args[3]));
    long durNanos = Long.parseLong(args[4]) * 1_000_000_000L;

    Properties cp = new Properties();
    cp.put("bootstrap.servers", bootstrap);
    cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("fetch.min.bytes", "1");
    cp.put("fetch.max.wait.ms", "500");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp);
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    consumer.position(tp);

    long[] lat = new long[(int) Math.min(Integer.MAX_VALUE - 8, (long) rate * (durNanos / 1_000_000_000L + 1))];
    AtomicLong received = new AtomicLong();
    AtomicLong expected = new AtomicLong(-1); // set once the producer is done
    AtomicLong failed = new AtomicLong();
    Thread reader = new Thread(() -> {
      long stopAt = Long.MAX_VALUE;
      while (true) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          long sentAt = java.nio.ByteBuffer.wrap(r.value()).getLong();
          int i = (int) received.getAndIncrement();
          if (i < lat.length) lat[i] = System.nanoTime() - sentAt;
        }
        long exp = expected.get();
        if (exp < 0) continue;
        if (stopAt == Long.MAX_VALUE) stopAt = System.nanoTime() + 10_000_000_000L; // stragglers
        if (received.get() >= exp - failed.get() || System.nanoTime() > stopAt) break;
      }
    });
    reader.start();

    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("acks", "all");
    // The batching ProducerPerformance runs with in bench-peers.sh, so the
    // rate this holds is the one the maximum was measured with.
    pp.put("batch.size", "131072");
    pp.put("key.serializer", ByteArraySerializer.class.getName());
    pp.put("value.serializer", ByteArraySerializer.class.getName());
    long n = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
      long interval = 1_000_000_000L / rate;
      long start = System.nanoTime();
      for (long next = start; System.nanoTime() - start < durNanos; next += interval) {
        long wait = next - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        byte[] v = new byte[size];
        java.nio.ByteBuffer.wrap(v).putLong(System.nanoTime());
        producer.send(new ProducerRecord<>(topic, 0, null, v), (md, e) -> { if (e != null) failed.incrementAndGet(); });
        n++;
      }
      producer.flush();
    }
    expected.set(n);
    reader.join();
    consumer.close();
    int got = (int) Math.min(received.get(), lat.length);
    long[] l = Arrays.copyOf(lat, got);
    Arrays.sort(l);
    System.out.printf("{\"records\": %d, \"records_per_s\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"p99_9_ms\": %.3f, \"max_ms\": %.3f, \"publish_errors\": %d, \"not_received\": %d}%n",
        got, n / (durNanos / 1e9), pct(l, 50), pct(l, 99), pct(l, 99.9), got == 0 ? 0 : l[got - 1] / 1e6, failed.get(), n - received.get());
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) return 0;
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }
}
