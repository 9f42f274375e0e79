package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.examples.Quickstart;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's example is examples/Quickstart.java, verbatim, and it runs. */
@ExtendWith(BrokerExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeExampleTest {
    private static final Path EXAMPLE = Path.of("src/test/java/io/sluice/client/examples/Quickstart.java");

    @Test
    void theReadmeShowsTheExampleVerbatim() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("sluice.readme")));
        String example = Files.readString(EXAMPLE);
        assertTrue(readme.contains("```java\n" + example + "```\n"),
            "clients/java/README.md must contain " + EXAMPLE + " verbatim in a ```java block");
    }

    @Test
    void theExampleProducesAndConsumes(SluiceBroker broker) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Quickstart.main(new String[] {broker.address()});
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        int partition = Partitioner.partition("user-1".getBytes(StandardCharsets.UTF_8), 3);
        assertEquals("stored in partition " + partition + " at offset 0\nuser-1 = hello\n", out);
    }
}
