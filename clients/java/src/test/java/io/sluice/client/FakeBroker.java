package io.sluice.client;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.v1.AdminServiceGrpc;
import io.sluice.v1.DescribeTopicRequest;
import io.sluice.v1.DescribeTopicResponse;
import io.sluice.v1.PartitionDescription;
import io.sluice.v1.ProduceRequest;
import io.sluice.v1.ProduceResponse;
import io.sluice.v1.ProduceResult;
import io.sluice.v1.ProduceServiceGrpc;
import io.sluice.v1.TopicDescription;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An in-process stand-in for the broker's Produce and DescribeTopic: it records every ProduceRequest
 * and answers with consecutive offsets per partition, or as {@link #responder} says.
 */
final class FakeBroker implements AutoCloseable {
    /** Returning null fails the whole stream with UNAVAILABLE. */
    volatile Function<ProduceRequest, ProduceResponse> responder = this::appendAll;
    final List<ProduceRequest> requests = new CopyOnWriteArrayList<>();
    final ManagedChannel channel;
    private final Map<String, Integer> topics;
    private final Map<Integer, Long> nextOffsets = new ConcurrentHashMap<>();
    private final Server server;

    FakeBroker(Map<String, Integer> topics) throws IOException {
        this.topics = topics;
        String name = InProcessServerBuilder.generateName();
        this.server = InProcessServerBuilder.forName(name).addService(new Produce()).addService(new Admin()).build().start();
        this.channel = InProcessChannelBuilder.forName(name).build();
    }

    /** Appends every record of the request to its (explicit) partition. */
    ProduceResponse appendAll(ProduceRequest req) {
        int p = req.getPartition();
        long base = nextOffsets.merge(p, (long) req.getRecordsCount(), Long::sum) - req.getRecordsCount();
        return ProduceResponse.newBuilder()
            .setSequence(req.getSequence())
            .addResults(ProduceResult.newBuilder().setPartition(p).setBaseOffset(base).setRecordCount(req.getRecordsCount()))
            .build();
    }

    List<Integer> requestSizes() {
        return requests.stream().map(ProduceRequest::getRecordsCount).toList();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    private final class Produce extends ProduceServiceGrpc.ProduceServiceImplBase {
        @Override
        public StreamObserver<ProduceRequest> produce(StreamObserver<ProduceResponse> out) {
            return new StreamObserver<>() {
                private boolean failed;

                @Override
                public synchronized void onNext(ProduceRequest req) {
                    if (failed) {
                        return;
                    }
                    requests.add(req);
                    ProduceResponse resp = responder.apply(req);
                    if (resp == null) {
                        failed = true;
                        out.onError(Status.UNAVAILABLE.withDescription("fake broker dropped the stream").asRuntimeException());
                    } else {
                        out.onNext(resp);
                    }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public synchronized void onCompleted() {
                    if (!failed) {
                        out.onCompleted();
                    }
                }
            };
        }
    }

    private final class Admin extends AdminServiceGrpc.AdminServiceImplBase {
        @Override
        public void describeTopic(DescribeTopicRequest req, StreamObserver<DescribeTopicResponse> out) {
            Integer n = topics.get(req.getName());
            if (n == null) {
                out.onError(Status.NOT_FOUND.withDescription("topic \"" + req.getName() + "\" not found").asRuntimeException());
                return;
            }
            TopicDescription.Builder t = TopicDescription.newBuilder().setName(req.getName());
            for (int p = 0; p < n; p++) {
                t.addPartitions(PartitionDescription.newBuilder().setPartition(p).setLeaderId(1));
            }
            out.onNext(DescribeTopicResponse.newBuilder().setTopic(t).build());
            out.onCompleted();
        }
    }
}
