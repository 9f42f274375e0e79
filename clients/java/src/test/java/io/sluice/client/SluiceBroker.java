package io.sluice.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real single-node broker process ({@code sluice serve}) on 127.0.0.1 with a fresh data directory.
 * The binary comes from the {@code sluice.broker.bin} system property (the pom sets it from the
 * {@code sluice.bin} Maven property) or the {@code SLUICE_BIN} variable.
 */
final class SluiceBroker implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("msg=\"sluice broker serving\".* addr=(\\S+)");
    private static final long START_TIMEOUT_MS = 30_000;

    private final Process process;
    private final Path root;
    private final Path log;
    private final String address;

    private SluiceBroker(Process process, Path root, Path log, String address) {
        this.process = process;
        this.root = root;
        this.log = log;
        this.address = address;
    }

    /** host:port the broker listens on. */
    String address() {
        return address;
    }

    static SluiceBroker start() throws IOException, InterruptedException {
        String bin = System.getProperty("sluice.broker.bin");
        if (bin == null || bin.isEmpty()) {
            bin = System.getenv("SLUICE_BIN");
        }
        if (bin == null || !Files.isExecutable(Path.of(bin))) {
            throw new IllegalStateException("no broker binary at " + bin
                + ": set -Dsluice.bin=PATH or SLUICE_BIN (make -C clients/java test builds ../../bin/sluice)");
        }
        Path root = Files.createTempDirectory("sluice-java-test");
        Path log = root.resolve("broker.log");
        Process process = new ProcessBuilder(bin, "serve", "--data-dir", root.resolve("data").toString(),
            "--listen", "127.0.0.1:0")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            Matcher m = SERVING.matcher(Files.readString(log));
            if (m.find()) {
                return new SluiceBroker(process, root, log, m.group(1));
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("broker exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
        process.destroyForcibly();
        throw new IllegalStateException("broker did not report serving within " + START_TIMEOUT_MS + " ms:\n" + Files.readString(log));
    }

    /** Stops the broker (SIGTERM, then SIGKILL after 10 s) and deletes its data. */
    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @Override
    public String toString() {
        return "sluice broker at " + address + " (log " + log + ")";
    }
}
