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

    private static final Path SECURE = Path.of("src/test/java/io/sluice/client/examples/Secure.java");

    @Test
    void theReadmeShowsTheSecureExampleVerbatim() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("sluice.readme")));
        assertTrue(readme.contains("```java\n" + Files.readString(SECURE) + "```\n"),
            "clients/java/README.md must contain " + SECURE + " verbatim in a ```java block");
    }

    @Test
    void theSecureExampleProducesOverMtlsAsAScramUser() throws Exception {
        try (FakeAuth f = FakeAuth.start()) {
            // A process of its own: the example reads the password from its environment.
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "io.sluice.client.examples.Secure", f.address, f.ca.toString(), f.cert.toString(), f.key.toString(),
                f.serverName, "alice").redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("SLUICE_PASSWORD", "alice-secret");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
            assertEquals("acked at 0@0\ntopics: [alice]\n", out);
            assertEquals(FakeAuth.stats(2, 0, 3), f.stats());
        }
    }
}
