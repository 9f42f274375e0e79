package io.sluice.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * ProduceService appends records to partitions.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class ProduceServiceGrpc {

  private ProduceServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "sluice.v1.ProduceService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ProduceRequest,
      io.sluice.v1.ProduceResponse> getProduceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Produce",
      requestType = io.sluice.v1.ProduceRequest.class,
      responseType = io.sluice.v1.ProduceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ProduceRequest,
      io.sluice.v1.ProduceResponse> getProduceMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ProduceRequest, io.sluice.v1.ProduceResponse> getProduceMethod;
    if ((getProduceMethod = ProduceServiceGrpc.getProduceMethod) == null) {
      synchronized (ProduceServiceGrpc.class) {
        if ((getProduceMethod = ProduceServiceGrpc.getProduceMethod) == null) {
          ProduceServiceGrpc.getProduceMethod = getProduceMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ProduceRequest, io.sluice.v1.ProduceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Produce"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ProduceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ProduceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ProduceServiceMethodDescriptorSupplier("Produce"))
              .build();
        }
      }
    }
    return getProduceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.InitProducerRequest,
      io.sluice.v1.InitProducerResponse> getInitProducerMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "InitProducer",
      requestType = io.sluice.v1.InitProducerRequest.class,
      responseType = io.sluice.v1.InitProducerResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.InitProducerRequest,
      io.sluice.v1.InitProducerResponse> getInitProducerMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.InitProducerRequest, io.sluice.v1.InitProducerResponse> getInitProducerMethod;
    if ((getInitProducerMethod = ProduceServiceGrpc.getInitProducerMethod) == null) {
      synchronized (ProduceServiceGrpc.class) {
        if ((getInitProducerMethod = ProduceServiceGrpc.getInitProducerMethod) == null) {
          ProduceServiceGrpc.getInitProducerMethod = getInitProducerMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.InitProducerRequest, io.sluice.v1.InitProducerResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "InitProducer"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.InitProducerRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.InitProducerResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ProduceServiceMethodDescriptorSupplier("InitProducer"))
              .build();
        }
      }
    }
    return getInitProducerMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static ProduceServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceStub>() {
        @java.lang.Override
        public ProduceServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceStub(channel, callOptions);
        }
      };
    return ProduceServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static ProduceServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceBlockingV2Stub>() {
        @java.lang.Override
        public ProduceServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return ProduceServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static ProduceServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceBlockingStub>() {
        @java.lang.Override
        public ProduceServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceBlockingStub(channel, callOptions);
        }
      };
    return ProduceServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static ProduceServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ProduceServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ProduceServiceFutureStub>() {
        @java.lang.Override
        public ProduceServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ProduceServiceFutureStub(channel, callOptions);
        }
      };
    return ProduceServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * ProduceService appends records to partitions.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Produce is a pipelined stream: a client may send many requests without waiting.
     * Every request gets exactly one response echoing its sequence; responses may
     * arrive in a different order than the requests when they touch different
     * partitions. A failed request does not end the stream.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<io.sluice.v1.ProduceRequest> produce(
        io.grpc.stub.StreamObserver<io.sluice.v1.ProduceResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getProduceMethod(), responseObserver);
    }

    /**
     * <pre>
     * InitProducer returns a new producer id, unique in the cluster, and its
     * epoch, for idempotent produce requests. Any broker answers.
     * </pre>
     */
    default void initProducer(io.sluice.v1.InitProducerRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.InitProducerResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getInitProducerMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service ProduceService.
   * <pre>
   * ProduceService appends records to partitions.
   * </pre>
   */
  public static abstract class ProduceServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return ProduceServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service ProduceService.
   * <pre>
   * ProduceService appends records to partitions.
   * </pre>
   */
  public static final class ProduceServiceStub
      extends io.grpc.stub.AbstractAsyncStub<ProduceServiceStub> {
    private ProduceServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Produce is a pipelined stream: a client may send many requests without waiting.
     * Every request gets exactly one response echoing its sequence; responses may
     * arrive in a different order than the requests when they touch different
     * partitions. A failed request does not end the stream.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<io.sluice.v1.ProduceRequest> produce(
        io.grpc.stub.StreamObserver<io.sluice.v1.ProduceResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getProduceMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * InitProducer returns a new producer id, unique in the cluster, and its
     * epoch, for idempotent produce requests. Any broker answers.
     * </pre>
     */
    public void initProducer(io.sluice.v1.InitProducerRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.InitProducerResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getInitProducerMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service ProduceService.
   * <pre>
   * ProduceService appends records to partitions.
   * </pre>
   */
  public static final class ProduceServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<ProduceServiceBlockingV2Stub> {
    private ProduceServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Produce is a pipelined stream: a client may send many requests without waiting.
     * Every request gets exactly one response echoing its sequence; responses may
     * arrive in a different order than the requests when they touch different
     * partitions. A failed request does not end the stream.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<io.sluice.v1.ProduceRequest, io.sluice.v1.ProduceResponse>
        produce() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getProduceMethod(), getCallOptions());
    }

    /**
     * <pre>
     * InitProducer returns a new producer id, unique in the cluster, and its
     * epoch, for idempotent produce requests. Any broker answers.
     * </pre>
     */
    public io.sluice.v1.InitProducerResponse initProducer(io.sluice.v1.InitProducerRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getInitProducerMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service ProduceService.
   * <pre>
   * ProduceService appends records to partitions.
   * </pre>
   */
  public static final class ProduceServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<ProduceServiceBlockingStub> {
    private ProduceServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * InitProducer returns a new producer id, unique in the cluster, and its
     * epoch, for idempotent produce requests. Any broker answers.
     * </pre>
     */
    public io.sluice.v1.InitProducerResponse initProducer(io.sluice.v1.InitProducerRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getInitProducerMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service ProduceService.
   * <pre>
   * ProduceService appends records to partitions.
   * </pre>
   */
  public static final class ProduceServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<ProduceServiceFutureStub> {
    private ProduceServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ProduceServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ProduceServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * InitProducer returns a new producer id, unique in the cluster, and its
     * epoch, for idempotent produce requests. Any broker answers.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.InitProducerResponse> initProducer(
        io.sluice.v1.InitProducerRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getInitProducerMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_INIT_PRODUCER = 0;
  private static final int METHODID_PRODUCE = 1;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_INIT_PRODUCER:
          serviceImpl.initProducer((io.sluice.v1.InitProducerRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.InitProducerResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_PRODUCE:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.produce(
              (io.grpc.stub.StreamObserver<io.sluice.v1.ProduceResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getProduceMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              io.sluice.v1.ProduceRequest,
              io.sluice.v1.ProduceResponse>(
                service, METHODID_PRODUCE)))
        .addMethod(
          getInitProducerMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.InitProducerRequest,
              io.sluice.v1.InitProducerResponse>(
                service, METHODID_INIT_PRODUCER)))
        .build();
  }

  private static abstract class ProduceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    ProduceServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.sluice.v1.Produce.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("ProduceService");
    }
  }

  private static final class ProduceServiceFileDescriptorSupplier
      extends ProduceServiceBaseDescriptorSupplier {
    ProduceServiceFileDescriptorSupplier() {}
  }

  private static final class ProduceServiceMethodDescriptorSupplier
      extends ProduceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    ProduceServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (ProduceServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new ProduceServiceFileDescriptorSupplier())
              .addMethod(getProduceMethod())
              .addMethod(getInitProducerMethod())
              .build();
        }
      }
    }
    return result;
  }
}
