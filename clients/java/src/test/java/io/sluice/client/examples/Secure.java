package io.sluice.client.examples;

import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.ScramCredentials;
import io.sluice.client.SluiceAdmin;
import io.sluice.client.SluiceProducer;
import io.sluice.client.TlsOptions;
import java.nio.file.Path;

public class Secure {
    // Secure <host:port> <ca.pem> <client.pem> <client-key.pem> <server name> <user>; the password in $SLUICE_PASSWORD.
    public static void main(String[] args) throws Exception {
        String broker = args[0];
        TlsOptions tls = TlsOptions.builder()
            .caFile(Path.of(args[1])) // the broker's CA; without it, the JVM's default trust store
            .clientCertificate(Path.of(args[2]), Path.of(args[3])) // for mTLS: certificate and PKCS #8 key
            .serverName(args[4]) // if the certificate does not name the host dialed
            .build();
        ScramCredentials auth = ScramCredentials.of(args[5], System.getenv("SLUICE_PASSWORD"),
            ScramCredentials.Mechanism.SCRAM_SHA_256);
        try (SluiceProducer producer = SluiceProducer.builder().target(broker).tls(tls).auth(auth).build()) {
            RecordMetadata md = producer.send(ProducerRecord.of("events", "alice", "hello")).get();
            System.out.println("acked at " + md.partition() + "@" + md.offset());
        }
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker).tls(tls).auth(auth).build()) {
            System.out.println("topics: " + admin.listTopics().stream().map(t -> t.getName()).toList());
        }
    }
}
