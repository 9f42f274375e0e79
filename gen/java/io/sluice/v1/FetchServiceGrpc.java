package io.sluice.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * FetchService reads records by offset.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class FetchServiceGrpc {

  private FetchServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "sluice.v1.FetchService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.FetchRequest,
      io.sluice.v1.FetchResponse> getFetchMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Fetch",
      requestType = io.sluice.v1.FetchRequest.class,
      responseType = io.sluice.v1.FetchResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.sluice.v1.FetchRequest,
      io.sluice.v1.FetchResponse> getFetchMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.FetchRequest, io.sluice.v1.FetchResponse> getFetchMethod;
    if ((getFetchMethod = FetchServiceGrpc.getFetchMethod) == null) {
      synchronized (FetchServiceGrpc.class) {
        if ((getFetchMethod = FetchServiceGrpc.getFetchMethod) == null) {
          FetchServiceGrpc.getFetchMethod = getFetchMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.FetchRequest, io.sluice.v1.FetchResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Fetch"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.FetchRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.FetchResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FetchServiceMethodDescriptorSupplier("Fetch"))
              .build();
        }
      }
    }
    return getFetchMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static FetchServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceStub>() {
        @java.lang.Override
        public FetchServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceStub(channel, callOptions);
        }
      };
    return FetchServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static FetchServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceBlockingV2Stub>() {
        @java.lang.Override
        public FetchServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return FetchServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static FetchServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceBlockingStub>() {
        @java.lang.Override
        public FetchServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceBlockingStub(channel, callOptions);
        }
      };
    return FetchServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static FetchServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceFutureStub>() {
        @java.lang.Override
        public FetchServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceFutureStub(channel, callOptions);
        }
      };
    return FetchServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * FetchService reads records by offset.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Fetch streams committed records of one topic from a start position. With
     * follow it keeps streaming as new records commit until the client cancels;
     * without it the stream ends once every requested partition is read up to the
     * high watermark it had when the stream reached it. The broker sends no faster
     * than the client reads (gRPC flow control).
     * </pre>
     */
    default void fetch(io.sluice.v1.FetchRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.FetchResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFetchMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service FetchService.
   * <pre>
   * FetchService reads records by offset.
   * </pre>
   */
  public static abstract class FetchServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return FetchServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service FetchService.
   * <pre>
   * FetchService reads records by offset.
   * </pre>
   */
  public static final class FetchServiceStub
      extends io.grpc.stub.AbstractAsyncStub<FetchServiceStub> {
    private FetchServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Fetch streams committed records of one topic from a start position. With
     * follow it keeps streaming as new records commit until the client cancels;
     * without it the stream ends once every requested partition is read up to the
     * high watermark it had when the stream reached it. The broker sends no faster
     * than the client reads (gRPC flow control).
     * </pre>
     */
    public void fetch(io.sluice.v1.FetchRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.FetchResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getFetchMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service FetchService.
   * <pre>
   * FetchService reads records by offset.
   * </pre>
   */
  public static final class FetchServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<FetchServiceBlockingV2Stub> {
    private FetchServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Fetch streams committed records of one topic from a start position. With
     * follow it keeps streaming as new records commit until the client cancels;
     * without it the stream ends once every requested partition is read up to the
     * high watermark it had when the stream reached it. The broker sends no faster
     * than the client reads (gRPC flow control).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.sluice.v1.FetchResponse>
        fetch(io.sluice.v1.FetchRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getFetchMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service FetchService.
   * <pre>
   * FetchService reads records by offset.
   * </pre>
   */
  public static final class FetchServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<FetchServiceBlockingStub> {
    private FetchServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Fetch streams committed records of one topic from a start position. With
     * follow it keeps streaming as new records commit until the client cancels;
     * without it the stream ends once every requested partition is read up to the
     * high watermark it had when the stream reached it. The broker sends no faster
     * than the client reads (gRPC flow control).
     * </pre>
     */
    public java.util.Iterator<io.sluice.v1.FetchResponse> fetch(
        io.sluice.v1.FetchRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getFetchMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service FetchService.
   * <pre>
   * FetchService reads records by offset.
   * </pre>
   */
  public static final class FetchServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<FetchServiceFutureStub> {
    private FetchServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceFutureStub(channel, callOptions);
    }
  }

  private static final int METHODID_FETCH = 0;

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
        case METHODID_FETCH:
          serviceImpl.fetch((io.sluice.v1.FetchRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.FetchResponse>) responseObserver);
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
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getFetchMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.sluice.v1.FetchRequest,
              io.sluice.v1.FetchResponse>(
                service, METHODID_FETCH)))
        .build();
  }

  private static abstract class FetchServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    FetchServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.sluice.v1.Fetch.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("FetchService");
    }
  }

  private static final class FetchServiceFileDescriptorSupplier
      extends FetchServiceBaseDescriptorSupplier {
    FetchServiceFileDescriptorSupplier() {}
  }

  private static final class FetchServiceMethodDescriptorSupplier
      extends FetchServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    FetchServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (FetchServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new FetchServiceFileDescriptorSupplier())
              .addMethod(getFetchMethod())
              .build();
        }
      }
    }
    return result;
  }
}
