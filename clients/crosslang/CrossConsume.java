import io.sluice.client.ConsumerRecord;
import io.sluice.client.Header;
import io.sluice.client.ScramCredentials;
import io.sluice.client.SluiceConsumer;
import io.sluice.client.TlsOptions;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Reads every record of a topic with the Java SDK (io.sluice.client) and writes
 * them as JSON lines. Run as a single source file on the SDK's classpath:
 * {@code java -cp CLASSPATH CrossConsume.java BROKER TOPIC OUT_JSONL}.
 *
 * <p>With SLUICE_TLS_CA set it dials over TLS (SLUICE_TLS_CERT and SLUICE_TLS_KEY: a client
 * certificate, SLUICE_TLS_SERVER_NAME: the name to verify); with SLUICE_USER set it authenticates
 * with SCRAM (SLUICE_PASSWORD, SLUICE_SCRAM_MECHANISM).
 */
public class CrossConsume {
    public static void main(String[] args) throws Exception {
        String broker = args[0];
        String topic = args[1];
        Path out = Path.of(args[2]);
        SluiceConsumer.Builder b = SluiceConsumer.builder().target(broker).topic(topic).fromEarliest();
        String ca = System.getenv("SLUICE_TLS_CA");
        if (ca != null && !ca.isEmpty()) {
            TlsOptions.Builder tls = TlsOptions.builder().caFile(Path.of(ca));
            String cert = System.getenv("SLUICE_TLS_CERT");
            if (cert != null && !cert.isEmpty()) {
                tls.clientCertificate(Path.of(cert), Path.of(System.getenv("SLUICE_TLS_KEY")));
            }
            String name = System.getenv("SLUICE_TLS_SERVER_NAME");
            if (name != null && !name.isEmpty()) {
                tls.serverName(name);
            }
            b.tls(tls.build());
        }
        String user = System.getenv("SLUICE_USER");
        if (user != null && !user.isEmpty()) {
            String mech = System.getenv("SLUICE_SCRAM_MECHANISM");
            b.auth(ScramCredentials.of(user, System.getenv("SLUICE_PASSWORD"), "SCRAM-SHA-512".equals(mech)
                ? ScramCredentials.Mechanism.SCRAM_SHA_512 : ScramCredentials.Mechanism.SCRAM_SHA_256));
        }
        try (SluiceConsumer consumer = b.build();
             PrintWriter w = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
            for (ConsumerRecord r : consumer) {
                StringBuilder sb = new StringBuilder();
                sb.append("{\"partition\":").append(r.partition())
                    .append(",\"offset\":").append(r.offset())
                    .append(",\"timestamp_ms\":").append(r.timestampMs())
                    .append(",\"key\":").append(b64(r.key()))
                    .append(",\"value\":").append(b64(r.value()))
                    .append(",\"headers\":[");
                for (int i = 0; i < r.headers().size(); i++) {
                    Header h = r.headers().get(i);
                    sb.append(i == 0 ? "" : ",").append("{\"key\":").append(str(h.key())).append(",\"value\":").append(b64(h.value())).append('}');
                }
                w.println(sb.append("]}"));
            }
        }
    }

    private static String b64(byte[] b) {
        return b == null ? "null" : "\"" + Base64.getEncoder().encodeToString(b) + "\"";
    }

    /** A JSON string literal. */
    private static String str(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
