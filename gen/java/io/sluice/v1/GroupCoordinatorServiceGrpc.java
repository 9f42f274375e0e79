package io.sluice.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * GroupCoordinatorService runs consumer groups: members share a topic's
 * partitions, the coordinator assigns them and stores committed offsets.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class GroupCoordinatorServiceGrpc {

  private GroupCoordinatorServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "sluice.v1.GroupCoordinatorService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.MemberSessionRequest,
      io.sluice.v1.MemberSessionResponse> getMemberSessionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "MemberSession",
      requestType = io.sluice.v1.MemberSessionRequest.class,
      responseType = io.sluice.v1.MemberSessionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<io.sluice.v1.MemberSessionRequest,
      io.sluice.v1.MemberSessionResponse> getMemberSessionMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.MemberSessionRequest, io.sluice.v1.MemberSessionResponse> getMemberSessionMethod;
    if ((getMemberSessionMethod = GroupCoordinatorServiceGrpc.getMemberSessionMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getMemberSessionMethod = GroupCoordinatorServiceGrpc.getMemberSessionMethod) == null) {
          GroupCoordinatorServiceGrpc.getMemberSessionMethod = getMemberSessionMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.MemberSessionRequest, io.sluice.v1.MemberSessionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "MemberSession"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.MemberSessionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.MemberSessionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("MemberSession"))
              .build();
        }
      }
    }
    return getMemberSessionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.CommitOffsetsRequest,
      io.sluice.v1.CommitOffsetsResponse> getCommitOffsetsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CommitOffsets",
      requestType = io.sluice.v1.CommitOffsetsRequest.class,
      responseType = io.sluice.v1.CommitOffsetsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.CommitOffsetsRequest,
      io.sluice.v1.CommitOffsetsResponse> getCommitOffsetsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.CommitOffsetsRequest, io.sluice.v1.CommitOffsetsResponse> getCommitOffsetsMethod;
    if ((getCommitOffsetsMethod = GroupCoordinatorServiceGrpc.getCommitOffsetsMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getCommitOffsetsMethod = GroupCoordinatorServiceGrpc.getCommitOffsetsMethod) == null) {
          GroupCoordinatorServiceGrpc.getCommitOffsetsMethod = getCommitOffsetsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.CommitOffsetsRequest, io.sluice.v1.CommitOffsetsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CommitOffsets"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CommitOffsetsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CommitOffsetsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("CommitOffsets"))
              .build();
        }
      }
    }
    return getCommitOffsetsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.FetchOffsetsRequest,
      io.sluice.v1.FetchOffsetsResponse> getFetchOffsetsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FetchOffsets",
      requestType = io.sluice.v1.FetchOffsetsRequest.class,
      responseType = io.sluice.v1.FetchOffsetsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.FetchOffsetsRequest,
      io.sluice.v1.FetchOffsetsResponse> getFetchOffsetsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.FetchOffsetsRequest, io.sluice.v1.FetchOffsetsResponse> getFetchOffsetsMethod;
    if ((getFetchOffsetsMethod = GroupCoordinatorServiceGrpc.getFetchOffsetsMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getFetchOffsetsMethod = GroupCoordinatorServiceGrpc.getFetchOffsetsMethod) == null) {
          GroupCoordinatorServiceGrpc.getFetchOffsetsMethod = getFetchOffsetsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.FetchOffsetsRequest, io.sluice.v1.FetchOffsetsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FetchOffsets"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.FetchOffsetsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.FetchOffsetsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("FetchOffsets"))
              .build();
        }
      }
    }
    return getFetchOffsetsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ListGroupsRequest,
      io.sluice.v1.ListGroupsResponse> getListGroupsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListGroups",
      requestType = io.sluice.v1.ListGroupsRequest.class,
      responseType = io.sluice.v1.ListGroupsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ListGroupsRequest,
      io.sluice.v1.ListGroupsResponse> getListGroupsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ListGroupsRequest, io.sluice.v1.ListGroupsResponse> getListGroupsMethod;
    if ((getListGroupsMethod = GroupCoordinatorServiceGrpc.getListGroupsMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getListGroupsMethod = GroupCoordinatorServiceGrpc.getListGroupsMethod) == null) {
          GroupCoordinatorServiceGrpc.getListGroupsMethod = getListGroupsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ListGroupsRequest, io.sluice.v1.ListGroupsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListGroups"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListGroupsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListGroupsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("ListGroups"))
              .build();
        }
      }
    }
    return getListGroupsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DescribeGroupRequest,
      io.sluice.v1.DescribeGroupResponse> getDescribeGroupMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DescribeGroup",
      requestType = io.sluice.v1.DescribeGroupRequest.class,
      responseType = io.sluice.v1.DescribeGroupResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DescribeGroupRequest,
      io.sluice.v1.DescribeGroupResponse> getDescribeGroupMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DescribeGroupRequest, io.sluice.v1.DescribeGroupResponse> getDescribeGroupMethod;
    if ((getDescribeGroupMethod = GroupCoordinatorServiceGrpc.getDescribeGroupMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getDescribeGroupMethod = GroupCoordinatorServiceGrpc.getDescribeGroupMethod) == null) {
          GroupCoordinatorServiceGrpc.getDescribeGroupMethod = getDescribeGroupMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DescribeGroupRequest, io.sluice.v1.DescribeGroupResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DescribeGroup"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DescribeGroupRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DescribeGroupResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("DescribeGroup"))
              .build();
        }
      }
    }
    return getDescribeGroupMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DeleteGroupRequest,
      io.sluice.v1.DeleteGroupResponse> getDeleteGroupMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteGroup",
      requestType = io.sluice.v1.DeleteGroupRequest.class,
      responseType = io.sluice.v1.DeleteGroupResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DeleteGroupRequest,
      io.sluice.v1.DeleteGroupResponse> getDeleteGroupMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DeleteGroupRequest, io.sluice.v1.DeleteGroupResponse> getDeleteGroupMethod;
    if ((getDeleteGroupMethod = GroupCoordinatorServiceGrpc.getDeleteGroupMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getDeleteGroupMethod = GroupCoordinatorServiceGrpc.getDeleteGroupMethod) == null) {
          GroupCoordinatorServiceGrpc.getDeleteGroupMethod = getDeleteGroupMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DeleteGroupRequest, io.sluice.v1.DeleteGroupResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteGroup"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteGroupRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteGroupResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("DeleteGroup"))
              .build();
        }
      }
    }
    return getDeleteGroupMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ResetOffsetsRequest,
      io.sluice.v1.ResetOffsetsResponse> getResetOffsetsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ResetOffsets",
      requestType = io.sluice.v1.ResetOffsetsRequest.class,
      responseType = io.sluice.v1.ResetOffsetsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ResetOffsetsRequest,
      io.sluice.v1.ResetOffsetsResponse> getResetOffsetsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ResetOffsetsRequest, io.sluice.v1.ResetOffsetsResponse> getResetOffsetsMethod;
    if ((getResetOffsetsMethod = GroupCoordinatorServiceGrpc.getResetOffsetsMethod) == null) {
      synchronized (GroupCoordinatorServiceGrpc.class) {
        if ((getResetOffsetsMethod = GroupCoordinatorServiceGrpc.getResetOffsetsMethod) == null) {
          GroupCoordinatorServiceGrpc.getResetOffsetsMethod = getResetOffsetsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ResetOffsetsRequest, io.sluice.v1.ResetOffsetsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ResetOffsets"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ResetOffsetsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ResetOffsetsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GroupCoordinatorServiceMethodDescriptorSupplier("ResetOffsets"))
              .build();
        }
      }
    }
    return getResetOffsetsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static GroupCoordinatorServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceStub>() {
        @java.lang.Override
        public GroupCoordinatorServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GroupCoordinatorServiceStub(channel, callOptions);
        }
      };
    return GroupCoordinatorServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static GroupCoordinatorServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceBlockingV2Stub>() {
        @java.lang.Override
        public GroupCoordinatorServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GroupCoordinatorServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return GroupCoordinatorServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static GroupCoordinatorServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceBlockingStub>() {
        @java.lang.Override
        public GroupCoordinatorServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GroupCoordinatorServiceBlockingStub(channel, callOptions);
        }
      };
    return GroupCoordinatorServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static GroupCoordinatorServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GroupCoordinatorServiceFutureStub>() {
        @java.lang.Override
        public GroupCoordinatorServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GroupCoordinatorServiceFutureStub(channel, callOptions);
        }
      };
    return GroupCoordinatorServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * GroupCoordinatorService runs consumer groups: members share a topic's
   * partitions, the coordinator assigns them and stores committed offsets.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * MemberSession is one member's session: the member joins with its first
     * message, then heartbeats and confirms revocations; the coordinator pushes
     * assignments and revocations down the stream. Closing it leaves the group.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<io.sluice.v1.MemberSessionRequest> memberSession(
        io.grpc.stub.StreamObserver<io.sluice.v1.MemberSessionResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getMemberSessionMethod(), responseObserver);
    }

    /**
     * <pre>
     * CommitOffsets stores offsets for a generation of the group; stale
     * generations are refused (FAILED_PRECONDITION).
     * </pre>
     */
    default void commitOffsets(io.sluice.v1.CommitOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CommitOffsetsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCommitOffsetsMethod(), responseObserver);
    }

    /**
     * <pre>
     * FetchOffsets returns committed offsets.
     * </pre>
     */
    default void fetchOffsets(io.sluice.v1.FetchOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.FetchOffsetsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFetchOffsetsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListGroups lists consumer groups.
     * </pre>
     */
    default void listGroups(io.sluice.v1.ListGroupsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListGroupsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListGroupsMethod(), responseObserver);
    }

    /**
     * <pre>
     * DescribeGroup describes a group's members, assignment and lag.
     * </pre>
     */
    default void describeGroup(io.sluice.v1.DescribeGroupRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DescribeGroupResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeGroupMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteGroup removes a group and its committed offsets; only a group with
     * no members can be deleted (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    default void deleteGroup(io.sluice.v1.DeleteGroupRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteGroupResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteGroupMethod(), responseObserver);
    }

    /**
     * <pre>
     * ResetOffsets sets a group's committed offsets of one topic to the
     * earliest or latest offset, an offset, or the first offset at or after a
     * time; only while the group has no members (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    default void resetOffsets(io.sluice.v1.ResetOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ResetOffsetsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResetOffsetsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service GroupCoordinatorService.
   * <pre>
   * GroupCoordinatorService runs consumer groups: members share a topic's
   * partitions, the coordinator assigns them and stores committed offsets.
   * </pre>
   */
  public static abstract class GroupCoordinatorServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return GroupCoordinatorServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service GroupCoordinatorService.
   * <pre>
   * GroupCoordinatorService runs consumer groups: members share a topic's
   * partitions, the coordinator assigns them and stores committed offsets.
   * </pre>
   */
  public static final class GroupCoordinatorServiceStub
      extends io.grpc.stub.AbstractAsyncStub<GroupCoordinatorServiceStub> {
    private GroupCoordinatorServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GroupCoordinatorServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GroupCoordinatorServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * MemberSession is one member's session: the member joins with its first
     * message, then heartbeats and confirms revocations; the coordinator pushes
     * assignments and revocations down the stream. Closing it leaves the group.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<io.sluice.v1.MemberSessionRequest> memberSession(
        io.grpc.stub.StreamObserver<io.sluice.v1.MemberSessionResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getMemberSessionMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * CommitOffsets stores offsets for a generation of the group; stale
     * generations are refused (FAILED_PRECONDITION).
     * </pre>
     */
    public void commitOffsets(io.sluice.v1.CommitOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CommitOffsetsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCommitOffsetsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * FetchOffsets returns committed offsets.
     * </pre>
     */
    public void fetchOffsets(io.sluice.v1.FetchOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.FetchOffsetsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFetchOffsetsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListGroups lists consumer groups.
     * </pre>
     */
    public void listGroups(io.sluice.v1.ListGroupsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListGroupsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListGroupsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DescribeGroup describes a group's members, assignment and lag.
     * </pre>
     */
    public void describeGroup(io.sluice.v1.DescribeGroupRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DescribeGroupResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeGroupMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteGroup removes a group and its committed offsets; only a group with
     * no members can be deleted (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public void deleteGroup(io.sluice.v1.DeleteGroupRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteGroupResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteGroupMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ResetOffsets sets a group's committed offsets of one topic to the
     * earliest or latest offset, an offset, or the first offset at or after a
     * time; only while the group has no members (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public void resetOffsets(io.sluice.v1.ResetOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ResetOffsetsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResetOffsetsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service GroupCoordinatorService.
   * <pre>
   * GroupCoordinatorService runs consumer groups: members share a topic's
   * partitions, the coordinator assigns them and stores committed offsets.
   * </pre>
   */
  public static final class GroupCoordinatorServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<GroupCoordinatorServiceBlockingV2Stub> {
    private GroupCoordinatorServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GroupCoordinatorServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GroupCoordinatorServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * MemberSession is one member's session: the member joins with its first
     * message, then heartbeats and confirms revocations; the coordinator pushes
     * assignments and revocations down the stream. Closing it leaves the group.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<io.sluice.v1.MemberSessionRequest, io.sluice.v1.MemberSessionResponse>
        memberSession() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getMemberSessionMethod(), getCallOptions());
    }

    /**
     * <pre>
     * CommitOffsets stores offsets for a generation of the group; stale
     * generations are refused (FAILED_PRECONDITION).
     * </pre>
     */
    public io.sluice.v1.CommitOffsetsResponse commitOffsets(io.sluice.v1.CommitOffsetsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCommitOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FetchOffsets returns committed offsets.
     * </pre>
     */
    public io.sluice.v1.FetchOffsetsResponse fetchOffsets(io.sluice.v1.FetchOffsetsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getFetchOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListGroups lists consumer groups.
     * </pre>
     */
    public io.sluice.v1.ListGroupsResponse listGroups(io.sluice.v1.ListGroupsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListGroupsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DescribeGroup describes a group's members, assignment and lag.
     * </pre>
     */
    public io.sluice.v1.DescribeGroupResponse describeGroup(io.sluice.v1.DescribeGroupRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDescribeGroupMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteGroup removes a group and its committed offsets; only a group with
     * no members can be deleted (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public io.sluice.v1.DeleteGroupResponse deleteGroup(io.sluice.v1.DeleteGroupRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteGroupMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResetOffsets sets a group's committed offsets of one topic to the
     * earliest or latest offset, an offset, or the first offset at or after a
     * time; only while the group has no members (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public io.sluice.v1.ResetOffsetsResponse resetOffsets(io.sluice.v1.ResetOffsetsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getResetOffsetsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service GroupCoordinatorService.
   * <pre>
   * GroupCoordinatorService runs consumer groups: members share a topic's
   * partitions, the coordinator assigns them and stores committed offsets.
   * </pre>
   */
  public static final class GroupCoordinatorServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<GroupCoordinatorServiceBlockingStub> {
    private GroupCoordinatorServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GroupCoordinatorServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GroupCoordinatorServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * CommitOffsets stores offsets for a generation of the group; stale
     * generations are refused (FAILED_PRECONDITION).
     * </pre>
     */
    public io.sluice.v1.CommitOffsetsResponse commitOffsets(io.sluice.v1.CommitOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCommitOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FetchOffsets returns committed offsets.
     * </pre>
     */
    public io.sluice.v1.FetchOffsetsResponse fetchOffsets(io.sluice.v1.FetchOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFetchOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListGroups lists consumer groups.
     * </pre>
     */
    public io.sluice.v1.ListGroupsResponse listGroups(io.sluice.v1.ListGroupsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListGroupsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DescribeGroup describes a group's members, assignment and lag.
     * </pre>
     */
    public io.sluice.v1.DescribeGroupResponse describeGroup(io.sluice.v1.DescribeGroupRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeGroupMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteGroup removes a group and its committed offsets; only a group with
     * no members can be deleted (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public io.sluice.v1.DeleteGroupResponse deleteGroup(io.sluice.v1.DeleteGroupRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteGroupMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResetOffsets sets a group's committed offsets of one topic to the
     * earliest or latest offset, an offset, or the first offset at or after a
     * time; only while the group has no members (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public io.sluice.v1.ResetOffsetsResponse resetOffsets(io.sluice.v1.ResetOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResetOffsetsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service GroupCoordinatorService.
   * <pre>
   * GroupCoordinatorService runs consumer groups: members share a topic's
   * partitions, the coordinator assigns them and stores committed offsets.
   * </pre>
   */
  public static final class GroupCoordinatorServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<GroupCoordinatorServiceFutureStub> {
    private GroupCoordinatorServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GroupCoordinatorServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GroupCoordinatorServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * CommitOffsets stores offsets for a generation of the group; stale
     * generations are refused (FAILED_PRECONDITION).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.CommitOffsetsResponse> commitOffsets(
        io.sluice.v1.CommitOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCommitOffsetsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * FetchOffsets returns committed offsets.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.FetchOffsetsResponse> fetchOffsets(
        io.sluice.v1.FetchOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFetchOffsetsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListGroups lists consumer groups.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ListGroupsResponse> listGroups(
        io.sluice.v1.ListGroupsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListGroupsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DescribeGroup describes a group's members, assignment and lag.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DescribeGroupResponse> describeGroup(
        io.sluice.v1.DescribeGroupRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeGroupMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteGroup removes a group and its committed offsets; only a group with
     * no members can be deleted (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DeleteGroupResponse> deleteGroup(
        io.sluice.v1.DeleteGroupRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteGroupMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ResetOffsets sets a group's committed offsets of one topic to the
     * earliest or latest offset, an offset, or the first offset at or after a
     * time; only while the group has no members (FAILED_PRECONDITION otherwise).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ResetOffsetsResponse> resetOffsets(
        io.sluice.v1.ResetOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResetOffsetsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_COMMIT_OFFSETS = 0;
  private static final int METHODID_FETCH_OFFSETS = 1;
  private static final int METHODID_LIST_GROUPS = 2;
  private static final int METHODID_DESCRIBE_GROUP = 3;
  private static final int METHODID_DELETE_GROUP = 4;
  private static final int METHODID_RESET_OFFSETS = 5;
  private static final int METHODID_MEMBER_SESSION = 6;

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
        case METHODID_COMMIT_OFFSETS:
          serviceImpl.commitOffsets((io.sluice.v1.CommitOffsetsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.CommitOffsetsResponse>) responseObserver);
          break;
        case METHODID_FETCH_OFFSETS:
          serviceImpl.fetchOffsets((io.sluice.v1.FetchOffsetsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.FetchOffsetsResponse>) responseObserver);
          break;
        case METHODID_LIST_GROUPS:
          serviceImpl.listGroups((io.sluice.v1.ListGroupsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ListGroupsResponse>) responseObserver);
          break;
        case METHODID_DESCRIBE_GROUP:
          serviceImpl.describeGroup((io.sluice.v1.DescribeGroupRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DescribeGroupResponse>) responseObserver);
          break;
        case METHODID_DELETE_GROUP:
          serviceImpl.deleteGroup((io.sluice.v1.DeleteGroupRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DeleteGroupResponse>) responseObserver);
          break;
        case METHODID_RESET_OFFSETS:
          serviceImpl.resetOffsets((io.sluice.v1.ResetOffsetsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ResetOffsetsResponse>) responseObserver);
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
        case METHODID_MEMBER_SESSION:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.memberSession(
              (io.grpc.stub.StreamObserver<io.sluice.v1.MemberSessionResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getMemberSessionMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              io.sluice.v1.MemberSessionRequest,
              io.sluice.v1.MemberSessionResponse>(
                service, METHODID_MEMBER_SESSION)))
        .addMethod(
          getCommitOffsetsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.CommitOffsetsRequest,
              io.sluice.v1.CommitOffsetsResponse>(
                service, METHODID_COMMIT_OFFSETS)))
        .addMethod(
          getFetchOffsetsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.FetchOffsetsRequest,
              io.sluice.v1.FetchOffsetsResponse>(
                service, METHODID_FETCH_OFFSETS)))
        .addMethod(
          getListGroupsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ListGroupsRequest,
              io.sluice.v1.ListGroupsResponse>(
                service, METHODID_LIST_GROUPS)))
        .addMethod(
          getDescribeGroupMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DescribeGroupRequest,
              io.sluice.v1.DescribeGroupResponse>(
                service, METHODID_DESCRIBE_GROUP)))
        .addMethod(
          getDeleteGroupMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DeleteGroupRequest,
              io.sluice.v1.DeleteGroupResponse>(
                service, METHODID_DELETE_GROUP)))
        .addMethod(
          getResetOffsetsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ResetOffsetsRequest,
              io.sluice.v1.ResetOffsetsResponse>(
                service, METHODID_RESET_OFFSETS)))
        .build();
  }

  private static abstract class GroupCoordinatorServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    GroupCoordinatorServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.sluice.v1.Group.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("GroupCoordinatorService");
    }
  }

  private static final class GroupCoordinatorServiceFileDescriptorSupplier
      extends GroupCoordinatorServiceBaseDescriptorSupplier {
    GroupCoordinatorServiceFileDescriptorSupplier() {}
  }

  private static final class GroupCoordinatorServiceMethodDescriptorSupplier
      extends GroupCoordinatorServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    GroupCoordinatorServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (GroupCoordinatorServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new GroupCoordinatorServiceFileDescriptorSupplier())
              .addMethod(getMemberSessionMethod())
              .addMethod(getCommitOffsetsMethod())
              .addMethod(getFetchOffsetsMethod())
              .addMethod(getListGroupsMethod())
              .addMethod(getDescribeGroupMethod())
              .addMethod(getDeleteGroupMethod())
              .addMethod(getResetOffsetsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
