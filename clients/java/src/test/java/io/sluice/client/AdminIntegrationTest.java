package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.sluice.v1.DescribeClusterResponse;
import io.sluice.v1.PartitionDescription;
import io.sluice.v1.PartitionOffset;
import io.sluice.v1.TopicDescription;
import io.sluice.v1.TopicSummary;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The admin client against a real broker process. */
@ExtendWith(BrokerExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminIntegrationTest {
    @Test
    void topicsAreCreatedListedDescribedAndDeleted(SluiceBroker broker) {
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            TopicDescription created = admin.createTopic("java-admin", 3, 1, Map.of("retention.ms", "3600000"));
            assertEquals("java-admin", created.getName());
            assertEquals(3, created.getPartitionsCount());
            assertFalse(created.getTopicId().isEmpty());

            TopicSummary listed = admin.listTopics().stream().filter(t -> t.getName().equals("java-admin")).findFirst().orElseThrow();
            assertEquals(3, listed.getPartitions());
            assertEquals(1, listed.getReplicationFactor());

            TopicDescription described = admin.describeTopic("java-admin");
            assertEquals(created.getTopicId(), described.getTopicId());
            assertEquals("3600000", described.getConfigsOrThrow("retention.ms"));
            assertEquals(List.of(0, 1, 2), described.getPartitionsList().stream().map(PartitionDescription::getPartition).toList());
            for (PartitionDescription p : described.getPartitionsList()) {
                assertTrue(p.getLeaderId() > 0, "partition " + p.getPartition() + " has a leader");
            }

            admin.deleteTopic("java-admin");
            SluiceException gone = assertThrows(SluiceException.class, () -> admin.describeTopic("java-admin"));
            assertEquals(Status.Code.NOT_FOUND, gone.code());
            assertTrue(admin.listTopics().stream().noneMatch(t -> t.getName().equals("java-admin")));
        }
    }

    @Test
    void offsetsFollowTheLog(SluiceBroker broker) throws Exception {
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build();
             SluiceProducer producer = SluiceProducer.builder().target(broker.address()).build()) {
            admin.createTopic("java-offsets", 2);
            for (int i = 0; i < 5; i++) {
                producer.send(ProducerRecord.builder("java-offsets").partition(1).value("v" + i).build());
            }
            producer.flush();

            SortedMap<Integer, PartitionOffset> latest = admin.listOffsets("java-offsets", OffsetSpec.latest());
            assertEquals(List.of(0, 1), List.copyOf(latest.keySet()));
            assertEquals(0, latest.get(0).getOffset());
            assertEquals(5, latest.get(1).getOffset());
            assertEquals(0, admin.listOffsets("java-offsets", OffsetSpec.earliest(), 1).get(1).getOffset());
            assertThrows(IllegalArgumentException.class, () -> admin.listOffsets("java-offsets", OffsetSpec.offset(3)));
            assertEquals(5, admin.describeTopic("java-offsets").getPartitions(1).getHighWatermark());
        }
    }

    @Test
    void theClusterIsOneBrokerThatIsController(SluiceBroker broker) {
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            DescribeClusterResponse cluster = admin.describeCluster();
            assertEquals(1, cluster.getBrokersCount());
            assertEquals(cluster.getBrokers(0).getId(), cluster.getControllerId());
            assertEquals(broker.address(), cluster.getBrokers(0).getAddress());
            assertFalse(cluster.getClusterId().isEmpty());
        }
    }

    @Test
    void refusedRequestsNameTheField(SluiceBroker broker) {
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker.address()).build()) {
            SluiceException bad = assertThrows(SluiceException.class, () -> admin.createTopic("no spaces allowed", 1));
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.code());
            assertTrue(bad.getMessage().contains("name"), bad.getMessage());
            assertFalse(bad.retryable());

            SluiceException zero = assertThrows(SluiceException.class, () -> admin.createTopic("java-zero", 0));
            assertEquals(Status.Code.INVALID_ARGUMENT, zero.code());
            assertTrue(zero.getMessage().contains("partitions"), zero.getMessage());

            admin.createTopic("java-twice", 1);
            SluiceException twice = assertThrows(SluiceException.class, () -> admin.createTopic("java-twice", 1));
            assertEquals(Status.Code.ALREADY_EXISTS, twice.code());
        }
    }
}
