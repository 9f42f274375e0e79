package io.sluice.client;

import static io.sluice.client.FakeAuth.ALICE;
import static io.sluice.client.FakeAuth.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.sluice.v1.FetchPartition;
import io.sluice.v1.FetchRequest;
import io.sluice.v1.FetchServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS options and SCRAM credentials of every client, against fakeauth (clients/crosslang/fakeauth:
 * an mTLS server holding SCRAM credentials for alice/alice-secret, whose certificate names only
 * broker.sluice.test).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SecurityIntegrationTest {
    private static SluiceAdmin admin(FakeAuth f, TlsOptions tls, ScramCredentials auth) {
        SluiceAdmin.Builder b = SluiceAdmin.builder().target(f.address).tls(tls).timeout(Duration.ofSeconds(10));
        return (auth != null ? b.auth(auth) : b).build();
    }

    private static List<String> topics(SluiceAdmin admin) {
        return admin.listTopics().stream().map(t -> t.getName()).toList();
    }

    @Test
    void everyClientAuthenticatesItsUnaryAndStreamingCallsOverMtls() throws Exception {
        try (FakeAuth f = FakeAuth.start()) {
            try (SluiceAdmin admin = admin(f, f.tls(), ALICE)) {
                assertEquals(List.of("alice"), topics(admin));
                assertEquals("events", admin.describeTopic("events").getName());
            }
            try (SluiceProducer producer = SluiceProducer.builder().target(f.address).tls(f.tls()).auth(ALICE).build()) {
                // DescribeTopic, then a Produce stream.
                RecordMetadata md = producer.send(ProducerRecord.of("events", "k", "v")).get(10, TimeUnit.SECONDS);
                assertEquals(0, md.partition());
                assertEquals(0, md.offset());
            }
            try (SluiceConsumer consumer = SluiceConsumer.builder().target(f.address).tls(f.tls()).auth(ALICE)
                .topic("events").partition(0, OffsetSpec.earliest()).build()) {
                List<ConsumerRecord> read = new ArrayList<>();
                consumer.forEach(read::add); // fakeauth ends Fetch at once
                assertEquals(List.of(), read);
            }
            assertEquals(stats(3, 0, 5), f.stats());
        }
    }

    @Test
    void scramWorksOverPlaintextToo() throws Exception {
        // The token rides as CallCredentials, which gRPC applies on a plaintext channel as well.
        try (FakeAuth f = FakeAuth.start("-plaintext");
             SluiceAdmin admin = SluiceAdmin.builder().target(f.address).auth(ALICE).build()) {
            assertEquals(List.of("alice"), topics(admin));
            assertEquals(stats(1, 0, 1), f.stats());
        }
    }

    @Test
    void sha512Credentials() throws Exception {
        try (FakeAuth f = FakeAuth.start();
             SluiceAdmin admin = admin(f, f.tls(), ScramCredentials.of("alice", "alice-secret",
                 ScramCredentials.Mechanism.SCRAM_SHA_512))) {
            assertEquals(List.of("alice"), topics(admin));
        }
    }

    @Test
    void noCredentialsIsUnauthenticated() throws Exception {
        try (FakeAuth f = FakeAuth.start(); SluiceAdmin admin = admin(f, f.tls(), null)) {
            SluiceException e = assertThrows(SluiceException.class, admin::listTopics);
            assertEquals(Status.Code.UNAUTHENTICATED, e.code());
        }
    }

    @Test
    void aWrongPasswordIsUnauthenticatedAndNeverShown() throws Exception {
        try (FakeAuth f = FakeAuth.start();
             SluiceAdmin admin = admin(f, f.tls(), ScramCredentials.of("alice", "not-alices-password"))) {
            SluiceException e = assertThrows(SluiceException.class, admin::listTopics);
            assertEquals(Status.Code.UNAUTHENTICATED, e.code());
            assertFalse(e.toString().contains("not-alices-password"), e.toString());
            assertEquals(stats(0, 0, 0), f.stats());
        }
    }

    @Test
    void aBrokerThatCannotProveItHoldsTheCredentialsIsRefused() throws Exception {
        try (FakeAuth f = FakeAuth.start("-forge-server-final"); SluiceAdmin admin = admin(f, f.tls(), ALICE)) {
            SluiceException e = assertThrows(SluiceException.class, admin::listTopics);
            assertEquals(Status.Code.UNAUTHENTICATED, e.code());
            assertTrue(e.getMessage().contains("server signature is wrong"), e.getMessage());
            assertEquals(stats(1, 0, 0), f.stats()); // a token was issued, never used
        }
    }

    @Test
    void aRefusedTokenIsReplacedOnceAndTheUnaryCallSentAgain() throws Exception {
        try (FakeAuth f = FakeAuth.start(); SluiceAdmin admin = admin(f, f.tls(), ALICE)) {
            topics(admin);
            f.revoke();
            assertEquals(List.of("alice"), topics(admin));
            assertEquals(stats(2, 1, 2), f.stats());
        }
    }

    @Test
    void aRefusedStreamFailsAndTheNextOneAuthenticatesAgain() throws Exception {
        try (FakeAuth f = FakeAuth.start()) {
            ChannelRef ch = ChannelRef.of(f.address, null, f.tls(), ALICE, Duration.ofSeconds(10));
            try {
                FetchServiceGrpc.FetchServiceBlockingStub fetch = FetchServiceGrpc.newBlockingStub(ch.channel);
                FetchRequest req = FetchRequest.newBuilder().setTopic("events")
                    .addPartitions(FetchPartition.newBuilder().setPartition(0)).build();
                assertFalse(fetch.fetch(req).hasNext());
                f.revoke();
                io.grpc.StatusRuntimeException e = assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> fetch.fetch(req).hasNext());
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
                assertFalse(fetch.fetch(req).hasNext());
                assertEquals(stats(2, 1, 2), f.stats());
            } finally {
                ch.close(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void theTokenIsRenewedBeforeItExpires() throws Exception {
        // Tokens live 3s; the client renews one a fifth of its lifetime before expiry.
        try (FakeAuth f = FakeAuth.start("-token-ttl", "3s"); SluiceAdmin admin = admin(f, f.tls(), ALICE)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (f.stats().get("exchanges") < 2) {
                assertTrue(System.nanoTime() < deadline, "no second exchange within 15s");
                topics(admin);
                Thread.sleep(100);
            }
            assertEquals(0, f.stats().get("rejected"));
            assertEquals(2, f.stats().get("exchanges"));
        }
    }

    @Test
    void mtlsNeedsTheClientCertificate() throws Exception {
        try (FakeAuth f = FakeAuth.start();
             SluiceAdmin admin = admin(f, TlsOptions.builder().caFile(f.ca).serverName(f.serverName).build(), ALICE)) {
            SluiceException e = assertThrows(SluiceException.class, admin::listTopics);
            assertEquals(Status.Code.UNAVAILABLE, e.code(), e.getMessage());
            assertEquals(stats(0, 0, 0), f.stats());
        }
    }

    @Test
    void theServerNameMustMatchTheCertificate() throws Exception {
        // The certificate names broker.sluice.test, not 127.0.0.1.
        try (FakeAuth f = FakeAuth.start();
             SluiceAdmin admin = admin(f, TlsOptions.builder().caFile(f.ca).clientCertificate(f.cert, f.key).build(),
                 ALICE)) {
            SluiceException e = assertThrows(SluiceException.class, admin::listTopics);
            assertEquals(Status.Code.UNAVAILABLE, e.code(), e.getMessage());
            assertEquals(stats(0, 0, 0), f.stats());
        }
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class,
            () -> TlsOptions.builder().caFile(java.nio.file.Path.of("/nonexistent/ca.pem")).build());
        assertThrows(IllegalArgumentException.class, () -> ScramCredentials.of("", "x"));
    }
}
