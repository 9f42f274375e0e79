package io.sluice.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * AuthService proves who a client is. A client runs a SCRAM exchange
 * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
 * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
 * The password never leaves the client, the broker stores only salted,
 * iterated SCRAM credentials, and any broker of the cluster accepts a token
 * any other issued. Both calls may go to different brokers: the session is
 * carried by the client, signed by the broker that started it.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class AuthServiceGrpc {

  private AuthServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "sluice.v1.AuthService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.StartScramRequest,
      io.sluice.v1.StartScramResponse> getStartScramMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "StartScram",
      requestType = io.sluice.v1.StartScramRequest.class,
      responseType = io.sluice.v1.StartScramResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.StartScramRequest,
      io.sluice.v1.StartScramResponse> getStartScramMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.StartScramRequest, io.sluice.v1.StartScramResponse> getStartScramMethod;
    if ((getStartScramMethod = AuthServiceGrpc.getStartScramMethod) == null) {
      synchronized (AuthServiceGrpc.class) {
        if ((getStartScramMethod = AuthServiceGrpc.getStartScramMethod) == null) {
          AuthServiceGrpc.getStartScramMethod = getStartScramMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.StartScramRequest, io.sluice.v1.StartScramResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "StartScram"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.StartScramRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.StartScramResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AuthServiceMethodDescriptorSupplier("StartScram"))
              .build();
        }
      }
    }
    return getStartScramMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.FinishScramRequest,
      io.sluice.v1.FinishScramResponse> getFinishScramMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FinishScram",
      requestType = io.sluice.v1.FinishScramRequest.class,
      responseType = io.sluice.v1.FinishScramResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.FinishScramRequest,
      io.sluice.v1.FinishScramResponse> getFinishScramMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.FinishScramRequest, io.sluice.v1.FinishScramResponse> getFinishScramMethod;
    if ((getFinishScramMethod = AuthServiceGrpc.getFinishScramMethod) == null) {
      synchronized (AuthServiceGrpc.class) {
        if ((getFinishScramMethod = AuthServiceGrpc.getFinishScramMethod) == null) {
          AuthServiceGrpc.getFinishScramMethod = getFinishScramMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.FinishScramRequest, io.sluice.v1.FinishScramResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FinishScram"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.FinishScramRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.FinishScramResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AuthServiceMethodDescriptorSupplier("FinishScram"))
              .build();
        }
      }
    }
    return getFinishScramMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AuthServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuthServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuthServiceStub>() {
        @java.lang.Override
        public AuthServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuthServiceStub(channel, callOptions);
        }
      };
    return AuthServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static AuthServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuthServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuthServiceBlockingV2Stub>() {
        @java.lang.Override
        public AuthServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuthServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return AuthServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AuthServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuthServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuthServiceBlockingStub>() {
        @java.lang.Override
        public AuthServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuthServiceBlockingStub(channel, callOptions);
        }
      };
    return AuthServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AuthServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AuthServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AuthServiceFutureStub>() {
        @java.lang.Override
        public AuthServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AuthServiceFutureStub(channel, callOptions);
        }
      };
    return AuthServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * AuthService proves who a client is. A client runs a SCRAM exchange
   * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
   * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
   * The password never leaves the client, the broker stores only salted,
   * iterated SCRAM credentials, and any broker of the cluster accepts a token
   * any other issued. Both calls may go to different brokers: the session is
   * carried by the client, signed by the broker that started it.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * StartScram takes the client-first message and returns the server-first.
     * </pre>
     */
    default void startScram(io.sluice.v1.StartScramRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.StartScramResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getStartScramMethod(), responseObserver);
    }

    /**
     * <pre>
     * FinishScram takes the client-final message; on a valid proof it returns
     * the server-final message (which the client checks) and a token.
     * </pre>
     */
    default void finishScram(io.sluice.v1.FinishScramRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.FinishScramResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFinishScramMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service AuthService.
   * <pre>
   * AuthService proves who a client is. A client runs a SCRAM exchange
   * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
   * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
   * The password never leaves the client, the broker stores only salted,
   * iterated SCRAM credentials, and any broker of the cluster accepts a token
   * any other issued. Both calls may go to different brokers: the session is
   * carried by the client, signed by the broker that started it.
   * </pre>
   */
  public static abstract class AuthServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return AuthServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service AuthService.
   * <pre>
   * AuthService proves who a client is. A client runs a SCRAM exchange
   * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
   * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
   * The password never leaves the client, the broker stores only salted,
   * iterated SCRAM credentials, and any broker of the cluster accepts a token
   * any other issued. Both calls may go to different brokers: the session is
   * carried by the client, signed by the broker that started it.
   * </pre>
   */
  public static final class AuthServiceStub
      extends io.grpc.stub.AbstractAsyncStub<AuthServiceStub> {
    private AuthServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuthServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuthServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * StartScram takes the client-first message and returns the server-first.
     * </pre>
     */
    public void startScram(io.sluice.v1.StartScramRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.StartScramResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getStartScramMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * FinishScram takes the client-final message; on a valid proof it returns
     * the server-final message (which the client checks) and a token.
     * </pre>
     */
    public void finishScram(io.sluice.v1.FinishScramRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.FinishScramResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFinishScramMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service AuthService.
   * <pre>
   * AuthService proves who a client is. A client runs a SCRAM exchange
   * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
   * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
   * The password never leaves the client, the broker stores only salted,
   * iterated SCRAM credentials, and any broker of the cluster accepts a token
   * any other issued. Both calls may go to different brokers: the session is
   * carried by the client, signed by the broker that started it.
   * </pre>
   */
  public static final class AuthServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<AuthServiceBlockingV2Stub> {
    private AuthServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuthServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuthServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * StartScram takes the client-first message and returns the server-first.
     * </pre>
     */
    public io.sluice.v1.StartScramResponse startScram(io.sluice.v1.StartScramRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getStartScramMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FinishScram takes the client-final message; on a valid proof it returns
     * the server-final message (which the client checks) and a token.
     * </pre>
     */
    public io.sluice.v1.FinishScramResponse finishScram(io.sluice.v1.FinishScramRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getFinishScramMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service AuthService.
   * <pre>
   * AuthService proves who a client is. A client runs a SCRAM exchange
   * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
   * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
   * The password never leaves the client, the broker stores only salted,
   * iterated SCRAM credentials, and any broker of the cluster accepts a token
   * any other issued. Both calls may go to different brokers: the session is
   * carried by the client, signed by the broker that started it.
   * </pre>
   */
  public static final class AuthServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<AuthServiceBlockingStub> {
    private AuthServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuthServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuthServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * StartScram takes the client-first message and returns the server-first.
     * </pre>
     */
    public io.sluice.v1.StartScramResponse startScram(io.sluice.v1.StartScramRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getStartScramMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FinishScram takes the client-final message; on a valid proof it returns
     * the server-final message (which the client checks) and a token.
     * </pre>
     */
    public io.sluice.v1.FinishScramResponse finishScram(io.sluice.v1.FinishScramRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFinishScramMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service AuthService.
   * <pre>
   * AuthService proves who a client is. A client runs a SCRAM exchange
   * (RFC 5802, RFC 7677) in two calls and gets a short-lived token, which it
   * then sends on every call as the metadata `authorization: Bearer &lt;token&gt;`.
   * The password never leaves the client, the broker stores only salted,
   * iterated SCRAM credentials, and any broker of the cluster accepts a token
   * any other issued. Both calls may go to different brokers: the session is
   * carried by the client, signed by the broker that started it.
   * </pre>
   */
  public static final class AuthServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<AuthServiceFutureStub> {
    private AuthServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AuthServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AuthServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * StartScram takes the client-first message and returns the server-first.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.StartScramResponse> startScram(
        io.sluice.v1.StartScramRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getStartScramMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * FinishScram takes the client-final message; on a valid proof it returns
     * the server-final message (which the client checks) and a token.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.FinishScramResponse> finishScram(
        io.sluice.v1.FinishScramRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFinishScramMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_START_SCRAM = 0;
  private static final int METHODID_FINISH_SCRAM = 1;

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
        case METHODID_START_SCRAM:
          serviceImpl.startScram((io.sluice.v1.StartScramRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.StartScramResponse>) responseObserver);
          break;
        case METHODID_FINISH_SCRAM:
          serviceImpl.finishScram((io.sluice.v1.FinishScramRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.FinishScramResponse>) responseObserver);
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
          getStartScramMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.StartScramRequest,
              io.sluice.v1.StartScramResponse>(
                service, METHODID_START_SCRAM)))
        .addMethod(
          getFinishScramMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.FinishScramRequest,
              io.sluice.v1.FinishScramResponse>(
                service, METHODID_FINISH_SCRAM)))
        .build();
  }

  private static abstract class AuthServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AuthServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.sluice.v1.Auth.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("AuthService");
    }
  }

  private static final class AuthServiceFileDescriptorSupplier
      extends AuthServiceBaseDescriptorSupplier {
    AuthServiceFileDescriptorSupplier() {}
  }

  private static final class AuthServiceMethodDescriptorSupplier
      extends AuthServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    AuthServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (AuthServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AuthServiceFileDescriptorSupplier())
              .addMethod(getStartScramMethod())
              .addMethod(getFinishScramMethod())
              .build();
        }
      }
    }
    return result;
  }
}
