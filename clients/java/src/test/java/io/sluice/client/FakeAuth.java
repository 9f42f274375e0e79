package io.sluice.client;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * clients/crosslang/fakeauth ({@code sluice.fakeauth.bin}): an mTLS AuthService stand-in holding
 * SCRAM credentials for alice/alice-secret, whose certificate names only broker.sluice.test.
 * {@link #stats()} and {@link #revoke()} talk to it on stdin; it exits when stdin closes.
 */
final class FakeAuth implements AutoCloseable {
    static final ScramCredentials ALICE = ScramCredentials.of("alice", "alice-secret");

    final String address;
    final String serverName;
    final Path ca;
    final Path cert;
    final Path key;
    private final Process process;
    private final Path dir;
    private final BufferedReader out;
    private final Writer in;

    private FakeAuth(Process process, Path dir) throws IOException {
        this.process = process;
        this.dir = dir;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String line = out.readLine();
        if (line == null) {
            throw new IllegalStateException("fakeauth exited before serving");
        }
        JsonObject ready = JsonParser.parseString(line).getAsJsonObject();
        address = ready.get("address").getAsString();
        serverName = ready.get("server_name").getAsString();
        ca = Path.of(ready.get("ca").getAsString());
        cert = Path.of(ready.get("client_cert").getAsString());
        key = Path.of(ready.get("client_key").getAsString());
    }

    static FakeAuth start(String... flags) throws IOException {
        String bin = System.getProperty("sluice.fakeauth.bin");
        if (bin == null || !Files.isExecutable(Path.of(bin))) {
            throw new IllegalStateException("no fakeauth binary at " + bin + ": make -C clients/java test builds it");
        }
        Path dir = Files.createTempDirectory("sluice-fakeauth");
        List<String> cmd = new ArrayList<>(List.of(bin, "-dir", dir.toString()));
        cmd.addAll(List.of(flags));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new FakeAuth(p, dir);
    }

    /** CA, client certificate and server name: everything needed to dial it. */
    TlsOptions tls() {
        return TlsOptions.builder().caFile(ca).clientCertificate(cert, key).serverName(serverName).build();
    }

    private synchronized JsonObject ask(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
        return JsonParser.parseString(out.readLine()).getAsJsonObject();
    }

    /** Exchanges completed, calls accepted and refused so far. */
    Map<String, Integer> stats() throws IOException {
        JsonObject s = ask("stats");
        return Map.of("exchanges", s.get("exchanges").getAsInt(), "rejected", s.get("rejected").getAsInt(), "calls",
            s.get("calls").getAsInt());
    }

    static Map<String, Integer> stats(int exchanges, int rejected, int calls) {
        return Map.of("exchanges", exchanges, "rejected", rejected, "calls", calls);
    }

    /** Every token issued so far stops being accepted. */
    void revoke() throws IOException {
        ask("revoke");
    }

    @Override
    public void close() throws Exception {
        in.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
