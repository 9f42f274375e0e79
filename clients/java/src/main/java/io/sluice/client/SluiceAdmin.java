package io.sluice.client;

import io.grpc.Channel;
import io.sluice.v1.AdminServiceGrpc;
import io.sluice.v1.CreateTopicRequest;
import io.sluice.v1.DeleteTopicRequest;
import io.sluice.v1.DescribeClusterRequest;
import io.sluice.v1.DescribeClusterResponse;
import io.sluice.v1.DescribeTopicRequest;
import io.sluice.v1.ListOffsetsRequest;
import io.sluice.v1.ListTopicsRequest;
import io.sluice.v1.PartitionOffset;
import io.sluice.v1.StartPosition;
import io.sluice.v1.TopicDescription;
import io.sluice.v1.TopicSummary;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Manages topics and describes the cluster. Every method blocks for at most the builder's timeout
 * and throws {@link SluiceException} when the broker refuses the request.
 *
 * <pre>{@code
 * try (SluiceAdmin admin = SluiceAdmin.builder().target("127.0.0.1:7070").build()) {
 *     admin.createTopic("orders", 3);
 * }
 * }</pre>
 */
public final class SluiceAdmin implements AutoCloseable {
    private final ChannelRef channel;
    private final AdminServiceGrpc.AdminServiceBlockingStub stub;
    private final Duration timeout;

    private SluiceAdmin(Builder b) {
        this.channel = ChannelRef.of(b.target, b.channel, b.tls, b.auth, b.timeout);
        this.stub = AdminServiceGrpc.newBlockingStub(channel.channel);
        this.timeout = b.timeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Creates a topic with the broker's default replication and configs. */
    public TopicDescription createTopic(String name, int partitions) {
        return createTopic(name, partitions, 0, Map.of());
    }

    /**
     * Creates a topic and waits until each partition has a leader. A replication factor of 0 means the
     * broker default; configs are topic configs such as {@code retention.ms}.
     */
    public TopicDescription createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        CreateTopicRequest req = CreateTopicRequest.newBuilder()
            .setName(name)
            .setPartitions(partitions)
            .setReplicationFactor(replicationFactor)
            .putAllConfigs(configs)
            .build();
        return call(() -> stub().createTopic(req)).getTopic();
    }

    /** Deletes a topic and all its records. */
    public void deleteTopic(String name) {
        call(() -> stub().deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build()));
    }

    /** Every topic, sorted by name. */
    public List<TopicSummary> listTopics() {
        return call(() -> stub().listTopics(ListTopicsRequest.getDefaultInstance())).getTopicsList();
    }

    /** A topic's configuration and partitions (leader, replicas, log start offset, high watermark). */
    public TopicDescription describeTopic(String name) {
        return call(() -> stub().describeTopic(DescribeTopicRequest.newBuilder().setName(name).build())).getTopic();
    }

    /**
     * Looks up the earliest offset, the latest offset (high watermark) or the first offset at or after a
     * time, in the given partitions (all when none are given). Keys are partitions in ascending order;
     * a timestamp lookup that finds no record has offset -1.
     */
    public SortedMap<Integer, PartitionOffset> listOffsets(String topic, OffsetSpec spec, int... partitions) {
        ListOffsetsRequest.Builder req = ListOffsetsRequest.newBuilder().setTopic(topic);
        for (int p : partitions) {
            req.addPartitions(p);
        }
        StartPosition pos = spec.toProto();
        switch (pos.getPositionCase()) {
            case BOUNDARY -> req.setBoundary(pos.getBoundary());
            case TIMESTAMP_MS -> req.setTimestampMs(pos.getTimestampMs());
            default -> throw new IllegalArgumentException("listOffsets needs earliest, latest or a timestamp, not " + spec);
        }
        SortedMap<Integer, PartitionOffset> out = new TreeMap<>();
        for (PartitionOffset po : call(() -> stub().listOffsets(req.build())).getOffsetsList()) {
            out.put(po.getPartition(), po);
        }
        return Collections.unmodifiableSortedMap(out);
    }

    /** The cluster id, the brokers and the controller. */
    public DescribeClusterResponse describeCluster() {
        return call(() -> stub().describeCluster(DescribeClusterRequest.getDefaultInstance()));
    }

    /** Closes the channel if this client dialed it. */
    @Override
    public void close() {
        channel.close(Duration.ofSeconds(5));
    }

    private AdminServiceGrpc.AdminServiceBlockingStub stub() {
        return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static <T> T call(Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (RuntimeException e) {
            throw SluiceException.from(e);
        }
    }

    /** Builds a {@link SluiceAdmin}. */
    public static final class Builder {
        private String target;
        private Channel channel;
        private TlsOptions tls;
        private ScramCredentials auth;
        private Duration timeout = Duration.ofSeconds(30);

        private Builder() {}

        /** The broker to dial, {@code host:port}, in plaintext unless {@link #tls} is set; the admin client closes this channel. */
        public Builder target(String target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        /** A channel to use instead of dialing; it stays open after {@link #close()}. */
        public Builder channel(Channel channel) {
            this.channel = Objects.requireNonNull(channel, "channel");
            return this;
        }

        /** Dial {@link #target(String)} over TLS (mTLS with a client certificate). */
        public Builder tls(TlsOptions tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * Authenticate with SCRAM before the first call and send the token on every call (see
         * {@link ScramCredentials}); with a given {@link #channel(Channel)} too.
         */
        public Builder auth(ScramCredentials auth) {
            this.auth = Objects.requireNonNull(auth, "auth");
            return this;
        }

        /** The deadline of each request (30 s by default). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public SluiceAdmin build() {
            return new SluiceAdmin(this);
        }
    }
}
