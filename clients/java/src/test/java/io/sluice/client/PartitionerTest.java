package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Kafka's default partitioner, against the vectors every Sluice SDK shares. */
class PartitionerTest {
    private static JsonObject vectors() throws IOException {
        return JsonParser.parseString(Files.readString(Path.of(System.getProperty("sluice.vectors")))).getAsJsonObject();
    }

    @Test
    void murmur2MatchesKafka() throws IOException {
        var cases = vectors().getAsJsonArray("vectors");
        assertFalse(cases.isEmpty());
        for (JsonElement c : cases) {
            String key = c.getAsJsonObject().get("key").getAsString();
            int hash = c.getAsJsonObject().get("hash").getAsInt();
            assertEquals(hash, Partitioner.murmur2(key.getBytes(StandardCharsets.UTF_8)), key);
        }
    }

    @Test
    void partitionMatchesKafka() throws IOException {
        var cases = vectors().getAsJsonArray("partitions");
        assertFalse(cases.isEmpty());
        for (JsonElement c : cases) {
            JsonObject o = c.getAsJsonObject();
            String key = o.get("key").getAsString();
            assertEquals(o.get("partition").getAsInt(),
                Partitioner.partition(key.getBytes(StandardCharsets.UTF_8), o.get("num_partitions").getAsInt()), key);
        }
    }

    @Test
    void emptyKeyIsAKeyToo() {
        // Kafka hashes an empty (non-null) key like any other: murmur2 of no bytes is the seed's mix.
        assertEquals(275646681, Partitioner.murmur2(new byte[0]));
    }
}
