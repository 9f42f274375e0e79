package io.sluice.client;

/**
 * Kafka's default partitioner: a keyed record goes to {@code toPositive(murmur2(key)) % partitions}, so
 * keyed data lands where Kafka clients and the Sluice broker put it.
 */
public final class Partitioner {
    private static final int SEED = 0x9747b28c;
    private static final int M = 0x5bd1e995;
    private static final int R = 24;

    private Partitioner() {}

    /** Kafka's murmur2 ({@code org.apache.kafka.common.utils.Utils.murmur2}). */
    @SuppressWarnings("fallthrough") // the tail bytes fall through, as in Kafka
    public static int murmur2(byte[] data) {
        int length = data.length;
        int h = SEED ^ length;
        int quads = length / 4;
        for (int i = 0; i < quads; i++) {
            int o = i * 4;
            int k = (data[o] & 0xff) | (data[o + 1] & 0xff) << 8 | (data[o + 2] & 0xff) << 16 | (data[o + 3] & 0xff) << 24;
            k *= M;
            k ^= k >>> R;
            k *= M;
            h *= M;
            h ^= k;
        }
        int tail = quads * 4;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                h ^= data[tail] & 0xff;
                h *= M;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= M;
        h ^= h >>> 15;
        return h;
    }

    /** The partition of a key (which may be empty, but not null) among {@code numPartitions}. */
    public static int partition(byte[] key, int numPartitions) {
        if (numPartitions <= 0) {
            throw new IllegalArgumentException("numPartitions must be positive, got " + numPartitions);
        }
        return (murmur2(key) & 0x7fffffff) % numPartitions;
    }
}
