import io.sluice.client.ConsumerRecord;
import io.sluice.client.Header;
import io.sluice.client.SluiceConsumer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Reads every record of a topic with the Java SDK (io.sluice.client) and writes
 * them as JSON lines. Run as a single source file on the SDK's classpath:
 * {@code java -cp CLASSPATH CrossConsume.java BROKER TOPIC OUT_JSONL}.
 */
public class CrossConsume {
    public static void main(String[] args) throws Exception {
        String broker = args[0];
        String topic = args[1];
        Path out = Path.of(args[2]);
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker).topic(topic).fromEarliest().build();
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
