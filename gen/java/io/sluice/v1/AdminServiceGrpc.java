package io.sluice.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * AdminService manages topics and describes the cluster.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class AdminServiceGrpc {

  private AdminServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "sluice.v1.AdminService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.CreateTopicRequest,
      io.sluice.v1.CreateTopicResponse> getCreateTopicMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateTopic",
      requestType = io.sluice.v1.CreateTopicRequest.class,
      responseType = io.sluice.v1.CreateTopicResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.CreateTopicRequest,
      io.sluice.v1.CreateTopicResponse> getCreateTopicMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.CreateTopicRequest, io.sluice.v1.CreateTopicResponse> getCreateTopicMethod;
    if ((getCreateTopicMethod = AdminServiceGrpc.getCreateTopicMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateTopicMethod = AdminServiceGrpc.getCreateTopicMethod) == null) {
          AdminServiceGrpc.getCreateTopicMethod = getCreateTopicMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.CreateTopicRequest, io.sluice.v1.CreateTopicResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateTopic"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreateTopicRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreateTopicResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateTopic"))
              .build();
        }
      }
    }
    return getCreateTopicMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DeleteTopicRequest,
      io.sluice.v1.DeleteTopicResponse> getDeleteTopicMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteTopic",
      requestType = io.sluice.v1.DeleteTopicRequest.class,
      responseType = io.sluice.v1.DeleteTopicResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DeleteTopicRequest,
      io.sluice.v1.DeleteTopicResponse> getDeleteTopicMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DeleteTopicRequest, io.sluice.v1.DeleteTopicResponse> getDeleteTopicMethod;
    if ((getDeleteTopicMethod = AdminServiceGrpc.getDeleteTopicMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteTopicMethod = AdminServiceGrpc.getDeleteTopicMethod) == null) {
          AdminServiceGrpc.getDeleteTopicMethod = getDeleteTopicMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DeleteTopicRequest, io.sluice.v1.DeleteTopicResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteTopic"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteTopicRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteTopicResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteTopic"))
              .build();
        }
      }
    }
    return getDeleteTopicMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ListTopicsRequest,
      io.sluice.v1.ListTopicsResponse> getListTopicsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTopics",
      requestType = io.sluice.v1.ListTopicsRequest.class,
      responseType = io.sluice.v1.ListTopicsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ListTopicsRequest,
      io.sluice.v1.ListTopicsResponse> getListTopicsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ListTopicsRequest, io.sluice.v1.ListTopicsResponse> getListTopicsMethod;
    if ((getListTopicsMethod = AdminServiceGrpc.getListTopicsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListTopicsMethod = AdminServiceGrpc.getListTopicsMethod) == null) {
          AdminServiceGrpc.getListTopicsMethod = getListTopicsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ListTopicsRequest, io.sluice.v1.ListTopicsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTopics"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListTopicsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListTopicsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListTopics"))
              .build();
        }
      }
    }
    return getListTopicsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DescribeTopicRequest,
      io.sluice.v1.DescribeTopicResponse> getDescribeTopicMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DescribeTopic",
      requestType = io.sluice.v1.DescribeTopicRequest.class,
      responseType = io.sluice.v1.DescribeTopicResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DescribeTopicRequest,
      io.sluice.v1.DescribeTopicResponse> getDescribeTopicMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DescribeTopicRequest, io.sluice.v1.DescribeTopicResponse> getDescribeTopicMethod;
    if ((getDescribeTopicMethod = AdminServiceGrpc.getDescribeTopicMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDescribeTopicMethod = AdminServiceGrpc.getDescribeTopicMethod) == null) {
          AdminServiceGrpc.getDescribeTopicMethod = getDescribeTopicMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DescribeTopicRequest, io.sluice.v1.DescribeTopicResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DescribeTopic"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DescribeTopicRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DescribeTopicResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DescribeTopic"))
              .build();
        }
      }
    }
    return getDescribeTopicMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ListOffsetsRequest,
      io.sluice.v1.ListOffsetsResponse> getListOffsetsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListOffsets",
      requestType = io.sluice.v1.ListOffsetsRequest.class,
      responseType = io.sluice.v1.ListOffsetsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ListOffsetsRequest,
      io.sluice.v1.ListOffsetsResponse> getListOffsetsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ListOffsetsRequest, io.sluice.v1.ListOffsetsResponse> getListOffsetsMethod;
    if ((getListOffsetsMethod = AdminServiceGrpc.getListOffsetsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListOffsetsMethod = AdminServiceGrpc.getListOffsetsMethod) == null) {
          AdminServiceGrpc.getListOffsetsMethod = getListOffsetsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ListOffsetsRequest, io.sluice.v1.ListOffsetsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListOffsets"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListOffsetsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListOffsetsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListOffsets"))
              .build();
        }
      }
    }
    return getListOffsetsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.GetMetadataRequest,
      io.sluice.v1.GetMetadataResponse> getGetMetadataMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetMetadata",
      requestType = io.sluice.v1.GetMetadataRequest.class,
      responseType = io.sluice.v1.GetMetadataResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.GetMetadataRequest,
      io.sluice.v1.GetMetadataResponse> getGetMetadataMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.GetMetadataRequest, io.sluice.v1.GetMetadataResponse> getGetMetadataMethod;
    if ((getGetMetadataMethod = AdminServiceGrpc.getGetMetadataMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getGetMetadataMethod = AdminServiceGrpc.getGetMetadataMethod) == null) {
          AdminServiceGrpc.getGetMetadataMethod = getGetMetadataMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.GetMetadataRequest, io.sluice.v1.GetMetadataResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetMetadata"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.GetMetadataRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.GetMetadataResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("GetMetadata"))
              .build();
        }
      }
    }
    return getGetMetadataMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DescribeClusterRequest,
      io.sluice.v1.DescribeClusterResponse> getDescribeClusterMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DescribeCluster",
      requestType = io.sluice.v1.DescribeClusterRequest.class,
      responseType = io.sluice.v1.DescribeClusterResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DescribeClusterRequest,
      io.sluice.v1.DescribeClusterResponse> getDescribeClusterMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DescribeClusterRequest, io.sluice.v1.DescribeClusterResponse> getDescribeClusterMethod;
    if ((getDescribeClusterMethod = AdminServiceGrpc.getDescribeClusterMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDescribeClusterMethod = AdminServiceGrpc.getDescribeClusterMethod) == null) {
          AdminServiceGrpc.getDescribeClusterMethod = getDescribeClusterMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DescribeClusterRequest, io.sluice.v1.DescribeClusterResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DescribeCluster"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DescribeClusterRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DescribeClusterResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DescribeCluster"))
              .build();
        }
      }
    }
    return getDescribeClusterMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.AlterTopicConfigsRequest,
      io.sluice.v1.AlterTopicConfigsResponse> getAlterTopicConfigsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "AlterTopicConfigs",
      requestType = io.sluice.v1.AlterTopicConfigsRequest.class,
      responseType = io.sluice.v1.AlterTopicConfigsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.AlterTopicConfigsRequest,
      io.sluice.v1.AlterTopicConfigsResponse> getAlterTopicConfigsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.AlterTopicConfigsRequest, io.sluice.v1.AlterTopicConfigsResponse> getAlterTopicConfigsMethod;
    if ((getAlterTopicConfigsMethod = AdminServiceGrpc.getAlterTopicConfigsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getAlterTopicConfigsMethod = AdminServiceGrpc.getAlterTopicConfigsMethod) == null) {
          AdminServiceGrpc.getAlterTopicConfigsMethod = getAlterTopicConfigsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.AlterTopicConfigsRequest, io.sluice.v1.AlterTopicConfigsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "AlterTopicConfigs"))
              .setIdempotent(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.AlterTopicConfigsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.AlterTopicConfigsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("AlterTopicConfigs"))
              .build();
        }
      }
    }
    return getAlterTopicConfigsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.CreatePartitionsRequest,
      io.sluice.v1.CreatePartitionsResponse> getCreatePartitionsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreatePartitions",
      requestType = io.sluice.v1.CreatePartitionsRequest.class,
      responseType = io.sluice.v1.CreatePartitionsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.CreatePartitionsRequest,
      io.sluice.v1.CreatePartitionsResponse> getCreatePartitionsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.CreatePartitionsRequest, io.sluice.v1.CreatePartitionsResponse> getCreatePartitionsMethod;
    if ((getCreatePartitionsMethod = AdminServiceGrpc.getCreatePartitionsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreatePartitionsMethod = AdminServiceGrpc.getCreatePartitionsMethod) == null) {
          AdminServiceGrpc.getCreatePartitionsMethod = getCreatePartitionsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.CreatePartitionsRequest, io.sluice.v1.CreatePartitionsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreatePartitions"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreatePartitionsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreatePartitionsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreatePartitions"))
              .build();
        }
      }
    }
    return getCreatePartitionsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.CreateUserRequest,
      io.sluice.v1.CreateUserResponse> getCreateUserMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateUser",
      requestType = io.sluice.v1.CreateUserRequest.class,
      responseType = io.sluice.v1.CreateUserResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.CreateUserRequest,
      io.sluice.v1.CreateUserResponse> getCreateUserMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.CreateUserRequest, io.sluice.v1.CreateUserResponse> getCreateUserMethod;
    if ((getCreateUserMethod = AdminServiceGrpc.getCreateUserMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateUserMethod = AdminServiceGrpc.getCreateUserMethod) == null) {
          AdminServiceGrpc.getCreateUserMethod = getCreateUserMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.CreateUserRequest, io.sluice.v1.CreateUserResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateUser"))
              .setIdempotent(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreateUserRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreateUserResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateUser"))
              .build();
        }
      }
    }
    return getCreateUserMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DeleteUserRequest,
      io.sluice.v1.DeleteUserResponse> getDeleteUserMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteUser",
      requestType = io.sluice.v1.DeleteUserRequest.class,
      responseType = io.sluice.v1.DeleteUserResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DeleteUserRequest,
      io.sluice.v1.DeleteUserResponse> getDeleteUserMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DeleteUserRequest, io.sluice.v1.DeleteUserResponse> getDeleteUserMethod;
    if ((getDeleteUserMethod = AdminServiceGrpc.getDeleteUserMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteUserMethod = AdminServiceGrpc.getDeleteUserMethod) == null) {
          AdminServiceGrpc.getDeleteUserMethod = getDeleteUserMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DeleteUserRequest, io.sluice.v1.DeleteUserResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteUser"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteUserRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteUserResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteUser"))
              .build();
        }
      }
    }
    return getDeleteUserMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ListUsersRequest,
      io.sluice.v1.ListUsersResponse> getListUsersMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListUsers",
      requestType = io.sluice.v1.ListUsersRequest.class,
      responseType = io.sluice.v1.ListUsersResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ListUsersRequest,
      io.sluice.v1.ListUsersResponse> getListUsersMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ListUsersRequest, io.sluice.v1.ListUsersResponse> getListUsersMethod;
    if ((getListUsersMethod = AdminServiceGrpc.getListUsersMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListUsersMethod = AdminServiceGrpc.getListUsersMethod) == null) {
          AdminServiceGrpc.getListUsersMethod = getListUsersMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ListUsersRequest, io.sluice.v1.ListUsersResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListUsers"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListUsersRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListUsersResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListUsers"))
              .build();
        }
      }
    }
    return getListUsersMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.SetQuotaRequest,
      io.sluice.v1.SetQuotaResponse> getSetQuotaMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetQuota",
      requestType = io.sluice.v1.SetQuotaRequest.class,
      responseType = io.sluice.v1.SetQuotaResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.SetQuotaRequest,
      io.sluice.v1.SetQuotaResponse> getSetQuotaMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.SetQuotaRequest, io.sluice.v1.SetQuotaResponse> getSetQuotaMethod;
    if ((getSetQuotaMethod = AdminServiceGrpc.getSetQuotaMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getSetQuotaMethod = AdminServiceGrpc.getSetQuotaMethod) == null) {
          AdminServiceGrpc.getSetQuotaMethod = getSetQuotaMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.SetQuotaRequest, io.sluice.v1.SetQuotaResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetQuota"))
              .setIdempotent(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.SetQuotaRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.SetQuotaResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("SetQuota"))
              .build();
        }
      }
    }
    return getSetQuotaMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ListQuotasRequest,
      io.sluice.v1.ListQuotasResponse> getListQuotasMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListQuotas",
      requestType = io.sluice.v1.ListQuotasRequest.class,
      responseType = io.sluice.v1.ListQuotasResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ListQuotasRequest,
      io.sluice.v1.ListQuotasResponse> getListQuotasMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ListQuotasRequest, io.sluice.v1.ListQuotasResponse> getListQuotasMethod;
    if ((getListQuotasMethod = AdminServiceGrpc.getListQuotasMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListQuotasMethod = AdminServiceGrpc.getListQuotasMethod) == null) {
          AdminServiceGrpc.getListQuotasMethod = getListQuotasMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ListQuotasRequest, io.sluice.v1.ListQuotasResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListQuotas"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListQuotasRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListQuotasResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListQuotas"))
              .build();
        }
      }
    }
    return getListQuotasMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DeleteQuotaRequest,
      io.sluice.v1.DeleteQuotaResponse> getDeleteQuotaMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteQuota",
      requestType = io.sluice.v1.DeleteQuotaRequest.class,
      responseType = io.sluice.v1.DeleteQuotaResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DeleteQuotaRequest,
      io.sluice.v1.DeleteQuotaResponse> getDeleteQuotaMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DeleteQuotaRequest, io.sluice.v1.DeleteQuotaResponse> getDeleteQuotaMethod;
    if ((getDeleteQuotaMethod = AdminServiceGrpc.getDeleteQuotaMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteQuotaMethod = AdminServiceGrpc.getDeleteQuotaMethod) == null) {
          AdminServiceGrpc.getDeleteQuotaMethod = getDeleteQuotaMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DeleteQuotaRequest, io.sluice.v1.DeleteQuotaResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteQuota"))
              .setIdempotent(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteQuotaRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteQuotaResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteQuota"))
              .build();
        }
      }
    }
    return getDeleteQuotaMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.CreateAclsRequest,
      io.sluice.v1.CreateAclsResponse> getCreateAclsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateAcls",
      requestType = io.sluice.v1.CreateAclsRequest.class,
      responseType = io.sluice.v1.CreateAclsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.CreateAclsRequest,
      io.sluice.v1.CreateAclsResponse> getCreateAclsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.CreateAclsRequest, io.sluice.v1.CreateAclsResponse> getCreateAclsMethod;
    if ((getCreateAclsMethod = AdminServiceGrpc.getCreateAclsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateAclsMethod = AdminServiceGrpc.getCreateAclsMethod) == null) {
          AdminServiceGrpc.getCreateAclsMethod = getCreateAclsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.CreateAclsRequest, io.sluice.v1.CreateAclsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateAcls"))
              .setIdempotent(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreateAclsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.CreateAclsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateAcls"))
              .build();
        }
      }
    }
    return getCreateAclsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.DeleteAclsRequest,
      io.sluice.v1.DeleteAclsResponse> getDeleteAclsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteAcls",
      requestType = io.sluice.v1.DeleteAclsRequest.class,
      responseType = io.sluice.v1.DeleteAclsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.DeleteAclsRequest,
      io.sluice.v1.DeleteAclsResponse> getDeleteAclsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.DeleteAclsRequest, io.sluice.v1.DeleteAclsResponse> getDeleteAclsMethod;
    if ((getDeleteAclsMethod = AdminServiceGrpc.getDeleteAclsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getDeleteAclsMethod = AdminServiceGrpc.getDeleteAclsMethod) == null) {
          AdminServiceGrpc.getDeleteAclsMethod = getDeleteAclsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.DeleteAclsRequest, io.sluice.v1.DeleteAclsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteAcls"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteAclsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.DeleteAclsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("DeleteAcls"))
              .build();
        }
      }
    }
    return getDeleteAclsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.sluice.v1.ListAclsRequest,
      io.sluice.v1.ListAclsResponse> getListAclsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAcls",
      requestType = io.sluice.v1.ListAclsRequest.class,
      responseType = io.sluice.v1.ListAclsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.sluice.v1.ListAclsRequest,
      io.sluice.v1.ListAclsResponse> getListAclsMethod() {
    io.grpc.MethodDescriptor<io.sluice.v1.ListAclsRequest, io.sluice.v1.ListAclsResponse> getListAclsMethod;
    if ((getListAclsMethod = AdminServiceGrpc.getListAclsMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListAclsMethod = AdminServiceGrpc.getListAclsMethod) == null) {
          AdminServiceGrpc.getListAclsMethod = getListAclsMethod =
              io.grpc.MethodDescriptor.<io.sluice.v1.ListAclsRequest, io.sluice.v1.ListAclsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAcls"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListAclsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.sluice.v1.ListAclsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListAcls"))
              .build();
        }
      }
    }
    return getListAclsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AdminServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceStub>() {
        @java.lang.Override
        public AdminServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceStub(channel, callOptions);
        }
      };
    return AdminServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static AdminServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingV2Stub>() {
        @java.lang.Override
        public AdminServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return AdminServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AdminServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingStub>() {
        @java.lang.Override
        public AdminServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceBlockingStub(channel, callOptions);
        }
      };
    return AdminServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AdminServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceFutureStub>() {
        @java.lang.Override
        public AdminServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceFutureStub(channel, callOptions);
        }
      };
    return AdminServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * AdminService manages topics and describes the cluster.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * CreateTopic creates a topic and waits until each partition has a leader.
     * </pre>
     */
    default void createTopic(io.sluice.v1.CreateTopicRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreateTopicResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateTopicMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteTopic deletes a topic and all its records.
     * </pre>
     */
    default void deleteTopic(io.sluice.v1.DeleteTopicRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteTopicResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteTopicMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListTopics lists every topic.
     * </pre>
     */
    default void listTopics(io.sluice.v1.ListTopicsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListTopicsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTopicsMethod(), responseObserver);
    }

    /**
     * <pre>
     * DescribeTopic describes a topic's configuration and partitions.
     * </pre>
     */
    default void describeTopic(io.sluice.v1.DescribeTopicRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DescribeTopicResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeTopicMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListOffsets looks up offsets of partitions (earliest, latest, by time).
     * </pre>
     */
    default void listOffsets(io.sluice.v1.ListOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListOffsetsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListOffsetsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetMetadata returns what a client needs to route requests itself: the
     * brokers' addresses and, for each partition, its leader and replicas.
     * </pre>
     */
    default void getMetadata(io.sluice.v1.GetMetadataRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.GetMetadataResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetMetadataMethod(), responseObserver);
    }

    /**
     * <pre>
     * DescribeCluster lists brokers and names the controller.
     * </pre>
     */
    default void describeCluster(io.sluice.v1.DescribeClusterRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DescribeClusterResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeClusterMethod(), responseObserver);
    }

    /**
     * <pre>
     * AlterTopicConfigs sets and removes configs of a topic at runtime. Values
     * are checked as in CreateTopic; unknown keys are refused. The change is
     * all or nothing.
     * </pre>
     */
    default void alterTopicConfigs(io.sluice.v1.AlterTopicConfigsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.AlterTopicConfigsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getAlterTopicConfigsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreatePartitions raises a topic's partition count online; it never
     * lowers it. Records already written stay where they are; keyed records
     * produced afterwards go to murmur2(key) mod the new count.
     * </pre>
     */
    default void createPartitions(io.sluice.v1.CreatePartitionsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreatePartitionsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreatePartitionsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreateUser sets a user's SCRAM credential for one mechanism, creating
     * the user or replacing its credential of that mechanism (a password
     * change). The broker stores only the salted, iterated credential.
     * </pre>
     */
    default void createUser(io.sluice.v1.CreateUserRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreateUserResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateUserMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteUser removes a user and all its credentials; tokens already
     * issued to it stop being accepted.
     * </pre>
     */
    default void deleteUser(io.sluice.v1.DeleteUserRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteUserResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteUserMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListUsers lists users and their mechanisms, never their credentials.
     * </pre>
     */
    default void listUsers(io.sluice.v1.ListUsersRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListUsersResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListUsersMethod(), responseObserver);
    }

    /**
     * <pre>
     * SetQuota sets client quota limits of a user, a client id or both
     * (messages in quota.proto). Every broker applies the change.
     * </pre>
     */
    default void setQuota(io.sluice.v1.SetQuotaRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.SetQuotaResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetQuotaMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListQuotas lists every client quota.
     * </pre>
     */
    default void listQuotas(io.sluice.v1.ListQuotasRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListQuotasResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListQuotasMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteQuota removes client quota limits of an entity; NOT_FOUND if it
     * has none.
     * </pre>
     */
    default void deleteQuota(io.sluice.v1.DeleteQuotaRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteQuotaResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteQuotaMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreateAcls adds ACLs (an ACL already there is left as it is). It needs
     * ALTER on the cluster. Every broker applies them within about a second.
     * </pre>
     */
    default void createAcls(io.sluice.v1.CreateAclsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreateAclsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateAclsMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteAcls removes the ACLs each filter matches and returns them. It
     * needs ALTER on the cluster.
     * </pre>
     */
    default void deleteAcls(io.sluice.v1.DeleteAclsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteAclsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteAclsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListAcls lists the ACLs a filter matches. It needs DESCRIBE on the
     * cluster.
     * </pre>
     */
    default void listAcls(io.sluice.v1.ListAclsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListAclsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAclsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service AdminService.
   * <pre>
   * AdminService manages topics and describes the cluster.
   * </pre>
   */
  public static abstract class AdminServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return AdminServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service AdminService.
   * <pre>
   * AdminService manages topics and describes the cluster.
   * </pre>
   */
  public static final class AdminServiceStub
      extends io.grpc.stub.AbstractAsyncStub<AdminServiceStub> {
    private AdminServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateTopic creates a topic and waits until each partition has a leader.
     * </pre>
     */
    public void createTopic(io.sluice.v1.CreateTopicRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreateTopicResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateTopicMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteTopic deletes a topic and all its records.
     * </pre>
     */
    public void deleteTopic(io.sluice.v1.DeleteTopicRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteTopicResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteTopicMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListTopics lists every topic.
     * </pre>
     */
    public void listTopics(io.sluice.v1.ListTopicsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListTopicsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTopicsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DescribeTopic describes a topic's configuration and partitions.
     * </pre>
     */
    public void describeTopic(io.sluice.v1.DescribeTopicRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DescribeTopicResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeTopicMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListOffsets looks up offsets of partitions (earliest, latest, by time).
     * </pre>
     */
    public void listOffsets(io.sluice.v1.ListOffsetsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListOffsetsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListOffsetsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetMetadata returns what a client needs to route requests itself: the
     * brokers' addresses and, for each partition, its leader and replicas.
     * </pre>
     */
    public void getMetadata(io.sluice.v1.GetMetadataRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.GetMetadataResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetMetadataMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DescribeCluster lists brokers and names the controller.
     * </pre>
     */
    public void describeCluster(io.sluice.v1.DescribeClusterRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DescribeClusterResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeClusterMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * AlterTopicConfigs sets and removes configs of a topic at runtime. Values
     * are checked as in CreateTopic; unknown keys are refused. The change is
     * all or nothing.
     * </pre>
     */
    public void alterTopicConfigs(io.sluice.v1.AlterTopicConfigsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.AlterTopicConfigsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getAlterTopicConfigsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CreatePartitions raises a topic's partition count online; it never
     * lowers it. Records already written stay where they are; keyed records
     * produced afterwards go to murmur2(key) mod the new count.
     * </pre>
     */
    public void createPartitions(io.sluice.v1.CreatePartitionsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreatePartitionsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreatePartitionsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CreateUser sets a user's SCRAM credential for one mechanism, creating
     * the user or replacing its credential of that mechanism (a password
     * change). The broker stores only the salted, iterated credential.
     * </pre>
     */
    public void createUser(io.sluice.v1.CreateUserRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreateUserResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateUserMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteUser removes a user and all its credentials; tokens already
     * issued to it stop being accepted.
     * </pre>
     */
    public void deleteUser(io.sluice.v1.DeleteUserRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteUserResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteUserMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListUsers lists users and their mechanisms, never their credentials.
     * </pre>
     */
    public void listUsers(io.sluice.v1.ListUsersRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListUsersResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListUsersMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SetQuota sets client quota limits of a user, a client id or both
     * (messages in quota.proto). Every broker applies the change.
     * </pre>
     */
    public void setQuota(io.sluice.v1.SetQuotaRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.SetQuotaResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetQuotaMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListQuotas lists every client quota.
     * </pre>
     */
    public void listQuotas(io.sluice.v1.ListQuotasRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListQuotasResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListQuotasMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteQuota removes client quota limits of an entity; NOT_FOUND if it
     * has none.
     * </pre>
     */
    public void deleteQuota(io.sluice.v1.DeleteQuotaRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteQuotaResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteQuotaMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CreateAcls adds ACLs (an ACL already there is left as it is). It needs
     * ALTER on the cluster. Every broker applies them within about a second.
     * </pre>
     */
    public void createAcls(io.sluice.v1.CreateAclsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.CreateAclsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateAclsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteAcls removes the ACLs each filter matches and returns them. It
     * needs ALTER on the cluster.
     * </pre>
     */
    public void deleteAcls(io.sluice.v1.DeleteAclsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.DeleteAclsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteAclsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListAcls lists the ACLs a filter matches. It needs DESCRIBE on the
     * cluster.
     * </pre>
     */
    public void listAcls(io.sluice.v1.ListAclsRequest request,
        io.grpc.stub.StreamObserver<io.sluice.v1.ListAclsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAclsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service AdminService.
   * <pre>
   * AdminService manages topics and describes the cluster.
   * </pre>
   */
  public static final class AdminServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<AdminServiceBlockingV2Stub> {
    private AdminServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateTopic creates a topic and waits until each partition has a leader.
     * </pre>
     */
    public io.sluice.v1.CreateTopicResponse createTopic(io.sluice.v1.CreateTopicRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteTopic deletes a topic and all its records.
     * </pre>
     */
    public io.sluice.v1.DeleteTopicResponse deleteTopic(io.sluice.v1.DeleteTopicRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTopics lists every topic.
     * </pre>
     */
    public io.sluice.v1.ListTopicsResponse listTopics(io.sluice.v1.ListTopicsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListTopicsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DescribeTopic describes a topic's configuration and partitions.
     * </pre>
     */
    public io.sluice.v1.DescribeTopicResponse describeTopic(io.sluice.v1.DescribeTopicRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDescribeTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListOffsets looks up offsets of partitions (earliest, latest, by time).
     * </pre>
     */
    public io.sluice.v1.ListOffsetsResponse listOffsets(io.sluice.v1.ListOffsetsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetMetadata returns what a client needs to route requests itself: the
     * brokers' addresses and, for each partition, its leader and replicas.
     * </pre>
     */
    public io.sluice.v1.GetMetadataResponse getMetadata(io.sluice.v1.GetMetadataRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DescribeCluster lists brokers and names the controller.
     * </pre>
     */
    public io.sluice.v1.DescribeClusterResponse describeCluster(io.sluice.v1.DescribeClusterRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDescribeClusterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * AlterTopicConfigs sets and removes configs of a topic at runtime. Values
     * are checked as in CreateTopic; unknown keys are refused. The change is
     * all or nothing.
     * </pre>
     */
    public io.sluice.v1.AlterTopicConfigsResponse alterTopicConfigs(io.sluice.v1.AlterTopicConfigsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getAlterTopicConfigsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreatePartitions raises a topic's partition count online; it never
     * lowers it. Records already written stay where they are; keyed records
     * produced afterwards go to murmur2(key) mod the new count.
     * </pre>
     */
    public io.sluice.v1.CreatePartitionsResponse createPartitions(io.sluice.v1.CreatePartitionsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreatePartitionsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateUser sets a user's SCRAM credential for one mechanism, creating
     * the user or replacing its credential of that mechanism (a password
     * change). The broker stores only the salted, iterated credential.
     * </pre>
     */
    public io.sluice.v1.CreateUserResponse createUser(io.sluice.v1.CreateUserRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateUserMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteUser removes a user and all its credentials; tokens already
     * issued to it stop being accepted.
     * </pre>
     */
    public io.sluice.v1.DeleteUserResponse deleteUser(io.sluice.v1.DeleteUserRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteUserMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListUsers lists users and their mechanisms, never their credentials.
     * </pre>
     */
    public io.sluice.v1.ListUsersResponse listUsers(io.sluice.v1.ListUsersRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListUsersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetQuota sets client quota limits of a user, a client id or both
     * (messages in quota.proto). Every broker applies the change.
     * </pre>
     */
    public io.sluice.v1.SetQuotaResponse setQuota(io.sluice.v1.SetQuotaRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetQuotaMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListQuotas lists every client quota.
     * </pre>
     */
    public io.sluice.v1.ListQuotasResponse listQuotas(io.sluice.v1.ListQuotasRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListQuotasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteQuota removes client quota limits of an entity; NOT_FOUND if it
     * has none.
     * </pre>
     */
    public io.sluice.v1.DeleteQuotaResponse deleteQuota(io.sluice.v1.DeleteQuotaRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteQuotaMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateAcls adds ACLs (an ACL already there is left as it is). It needs
     * ALTER on the cluster. Every broker applies them within about a second.
     * </pre>
     */
    public io.sluice.v1.CreateAclsResponse createAcls(io.sluice.v1.CreateAclsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteAcls removes the ACLs each filter matches and returns them. It
     * needs ALTER on the cluster.
     * </pre>
     */
    public io.sluice.v1.DeleteAclsResponse deleteAcls(io.sluice.v1.DeleteAclsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListAcls lists the ACLs a filter matches. It needs DESCRIBE on the
     * cluster.
     * </pre>
     */
    public io.sluice.v1.ListAclsResponse listAcls(io.sluice.v1.ListAclsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAclsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service AdminService.
   * <pre>
   * AdminService manages topics and describes the cluster.
   * </pre>
   */
  public static final class AdminServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<AdminServiceBlockingStub> {
    private AdminServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateTopic creates a topic and waits until each partition has a leader.
     * </pre>
     */
    public io.sluice.v1.CreateTopicResponse createTopic(io.sluice.v1.CreateTopicRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteTopic deletes a topic and all its records.
     * </pre>
     */
    public io.sluice.v1.DeleteTopicResponse deleteTopic(io.sluice.v1.DeleteTopicRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTopics lists every topic.
     * </pre>
     */
    public io.sluice.v1.ListTopicsResponse listTopics(io.sluice.v1.ListTopicsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTopicsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DescribeTopic describes a topic's configuration and partitions.
     * </pre>
     */
    public io.sluice.v1.DescribeTopicResponse describeTopic(io.sluice.v1.DescribeTopicRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeTopicMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListOffsets looks up offsets of partitions (earliest, latest, by time).
     * </pre>
     */
    public io.sluice.v1.ListOffsetsResponse listOffsets(io.sluice.v1.ListOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListOffsetsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetMetadata returns what a client needs to route requests itself: the
     * brokers' addresses and, for each partition, its leader and replicas.
     * </pre>
     */
    public io.sluice.v1.GetMetadataResponse getMetadata(io.sluice.v1.GetMetadataRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DescribeCluster lists brokers and names the controller.
     * </pre>
     */
    public io.sluice.v1.DescribeClusterResponse describeCluster(io.sluice.v1.DescribeClusterRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeClusterMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * AlterTopicConfigs sets and removes configs of a topic at runtime. Values
     * are checked as in CreateTopic; unknown keys are refused. The change is
     * all or nothing.
     * </pre>
     */
    public io.sluice.v1.AlterTopicConfigsResponse alterTopicConfigs(io.sluice.v1.AlterTopicConfigsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getAlterTopicConfigsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreatePartitions raises a topic's partition count online; it never
     * lowers it. Records already written stay where they are; keyed records
     * produced afterwards go to murmur2(key) mod the new count.
     * </pre>
     */
    public io.sluice.v1.CreatePartitionsResponse createPartitions(io.sluice.v1.CreatePartitionsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreatePartitionsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateUser sets a user's SCRAM credential for one mechanism, creating
     * the user or replacing its credential of that mechanism (a password
     * change). The broker stores only the salted, iterated credential.
     * </pre>
     */
    public io.sluice.v1.CreateUserResponse createUser(io.sluice.v1.CreateUserRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateUserMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteUser removes a user and all its credentials; tokens already
     * issued to it stop being accepted.
     * </pre>
     */
    public io.sluice.v1.DeleteUserResponse deleteUser(io.sluice.v1.DeleteUserRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteUserMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListUsers lists users and their mechanisms, never their credentials.
     * </pre>
     */
    public io.sluice.v1.ListUsersResponse listUsers(io.sluice.v1.ListUsersRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListUsersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SetQuota sets client quota limits of a user, a client id or both
     * (messages in quota.proto). Every broker applies the change.
     * </pre>
     */
    public io.sluice.v1.SetQuotaResponse setQuota(io.sluice.v1.SetQuotaRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetQuotaMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListQuotas lists every client quota.
     * </pre>
     */
    public io.sluice.v1.ListQuotasResponse listQuotas(io.sluice.v1.ListQuotasRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListQuotasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteQuota removes client quota limits of an entity; NOT_FOUND if it
     * has none.
     * </pre>
     */
    public io.sluice.v1.DeleteQuotaResponse deleteQuota(io.sluice.v1.DeleteQuotaRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteQuotaMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateAcls adds ACLs (an ACL already there is left as it is). It needs
     * ALTER on the cluster. Every broker applies them within about a second.
     * </pre>
     */
    public io.sluice.v1.CreateAclsResponse createAcls(io.sluice.v1.CreateAclsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteAcls removes the ACLs each filter matches and returns them. It
     * needs ALTER on the cluster.
     * </pre>
     */
    public io.sluice.v1.DeleteAclsResponse deleteAcls(io.sluice.v1.DeleteAclsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteAclsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListAcls lists the ACLs a filter matches. It needs DESCRIBE on the
     * cluster.
     * </pre>
     */
    public io.sluice.v1.ListAclsResponse listAcls(io.sluice.v1.ListAclsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAclsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service AdminService.
   * <pre>
   * AdminService manages topics and describes the cluster.
   * </pre>
   */
  public static final class AdminServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<AdminServiceFutureStub> {
    private AdminServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * CreateTopic creates a topic and waits until each partition has a leader.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.CreateTopicResponse> createTopic(
        io.sluice.v1.CreateTopicRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateTopicMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteTopic deletes a topic and all its records.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DeleteTopicResponse> deleteTopic(
        io.sluice.v1.DeleteTopicRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteTopicMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListTopics lists every topic.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ListTopicsResponse> listTopics(
        io.sluice.v1.ListTopicsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTopicsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DescribeTopic describes a topic's configuration and partitions.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DescribeTopicResponse> describeTopic(
        io.sluice.v1.DescribeTopicRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeTopicMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListOffsets looks up offsets of partitions (earliest, latest, by time).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ListOffsetsResponse> listOffsets(
        io.sluice.v1.ListOffsetsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListOffsetsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetMetadata returns what a client needs to route requests itself: the
     * brokers' addresses and, for each partition, its leader and replicas.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.GetMetadataResponse> getMetadata(
        io.sluice.v1.GetMetadataRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetMetadataMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DescribeCluster lists brokers and names the controller.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DescribeClusterResponse> describeCluster(
        io.sluice.v1.DescribeClusterRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeClusterMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * AlterTopicConfigs sets and removes configs of a topic at runtime. Values
     * are checked as in CreateTopic; unknown keys are refused. The change is
     * all or nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.AlterTopicConfigsResponse> alterTopicConfigs(
        io.sluice.v1.AlterTopicConfigsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getAlterTopicConfigsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CreatePartitions raises a topic's partition count online; it never
     * lowers it. Records already written stay where they are; keyed records
     * produced afterwards go to murmur2(key) mod the new count.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.CreatePartitionsResponse> createPartitions(
        io.sluice.v1.CreatePartitionsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreatePartitionsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CreateUser sets a user's SCRAM credential for one mechanism, creating
     * the user or replacing its credential of that mechanism (a password
     * change). The broker stores only the salted, iterated credential.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.CreateUserResponse> createUser(
        io.sluice.v1.CreateUserRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateUserMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteUser removes a user and all its credentials; tokens already
     * issued to it stop being accepted.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DeleteUserResponse> deleteUser(
        io.sluice.v1.DeleteUserRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteUserMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListUsers lists users and their mechanisms, never their credentials.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ListUsersResponse> listUsers(
        io.sluice.v1.ListUsersRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListUsersMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SetQuota sets client quota limits of a user, a client id or both
     * (messages in quota.proto). Every broker applies the change.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.SetQuotaResponse> setQuota(
        io.sluice.v1.SetQuotaRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetQuotaMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListQuotas lists every client quota.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ListQuotasResponse> listQuotas(
        io.sluice.v1.ListQuotasRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListQuotasMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteQuota removes client quota limits of an entity; NOT_FOUND if it
     * has none.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DeleteQuotaResponse> deleteQuota(
        io.sluice.v1.DeleteQuotaRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteQuotaMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CreateAcls adds ACLs (an ACL already there is left as it is). It needs
     * ALTER on the cluster. Every broker applies them within about a second.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.CreateAclsResponse> createAcls(
        io.sluice.v1.CreateAclsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateAclsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteAcls removes the ACLs each filter matches and returns them. It
     * needs ALTER on the cluster.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.DeleteAclsResponse> deleteAcls(
        io.sluice.v1.DeleteAclsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteAclsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListAcls lists the ACLs a filter matches. It needs DESCRIBE on the
     * cluster.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.sluice.v1.ListAclsResponse> listAcls(
        io.sluice.v1.ListAclsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAclsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_TOPIC = 0;
  private static final int METHODID_DELETE_TOPIC = 1;
  private static final int METHODID_LIST_TOPICS = 2;
  private static final int METHODID_DESCRIBE_TOPIC = 3;
  private static final int METHODID_LIST_OFFSETS = 4;
  private static final int METHODID_GET_METADATA = 5;
  private static final int METHODID_DESCRIBE_CLUSTER = 6;
  private static final int METHODID_ALTER_TOPIC_CONFIGS = 7;
  private static final int METHODID_CREATE_PARTITIONS = 8;
  private static final int METHODID_CREATE_USER = 9;
  private static final int METHODID_DELETE_USER = 10;
  private static final int METHODID_LIST_USERS = 11;
  private static final int METHODID_SET_QUOTA = 12;
  private static final int METHODID_LIST_QUOTAS = 13;
  private static final int METHODID_DELETE_QUOTA = 14;
  private static final int METHODID_CREATE_ACLS = 15;
  private static final int METHODID_DELETE_ACLS = 16;
  private static final int METHODID_LIST_ACLS = 17;

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
        case METHODID_CREATE_TOPIC:
          serviceImpl.createTopic((io.sluice.v1.CreateTopicRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.CreateTopicResponse>) responseObserver);
          break;
        case METHODID_DELETE_TOPIC:
          serviceImpl.deleteTopic((io.sluice.v1.DeleteTopicRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DeleteTopicResponse>) responseObserver);
          break;
        case METHODID_LIST_TOPICS:
          serviceImpl.listTopics((io.sluice.v1.ListTopicsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ListTopicsResponse>) responseObserver);
          break;
        case METHODID_DESCRIBE_TOPIC:
          serviceImpl.describeTopic((io.sluice.v1.DescribeTopicRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DescribeTopicResponse>) responseObserver);
          break;
        case METHODID_LIST_OFFSETS:
          serviceImpl.listOffsets((io.sluice.v1.ListOffsetsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ListOffsetsResponse>) responseObserver);
          break;
        case METHODID_GET_METADATA:
          serviceImpl.getMetadata((io.sluice.v1.GetMetadataRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.GetMetadataResponse>) responseObserver);
          break;
        case METHODID_DESCRIBE_CLUSTER:
          serviceImpl.describeCluster((io.sluice.v1.DescribeClusterRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DescribeClusterResponse>) responseObserver);
          break;
        case METHODID_ALTER_TOPIC_CONFIGS:
          serviceImpl.alterTopicConfigs((io.sluice.v1.AlterTopicConfigsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.AlterTopicConfigsResponse>) responseObserver);
          break;
        case METHODID_CREATE_PARTITIONS:
          serviceImpl.createPartitions((io.sluice.v1.CreatePartitionsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.CreatePartitionsResponse>) responseObserver);
          break;
        case METHODID_CREATE_USER:
          serviceImpl.createUser((io.sluice.v1.CreateUserRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.CreateUserResponse>) responseObserver);
          break;
        case METHODID_DELETE_USER:
          serviceImpl.deleteUser((io.sluice.v1.DeleteUserRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DeleteUserResponse>) responseObserver);
          break;
        case METHODID_LIST_USERS:
          serviceImpl.listUsers((io.sluice.v1.ListUsersRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ListUsersResponse>) responseObserver);
          break;
        case METHODID_SET_QUOTA:
          serviceImpl.setQuota((io.sluice.v1.SetQuotaRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.SetQuotaResponse>) responseObserver);
          break;
        case METHODID_LIST_QUOTAS:
          serviceImpl.listQuotas((io.sluice.v1.ListQuotasRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ListQuotasResponse>) responseObserver);
          break;
        case METHODID_DELETE_QUOTA:
          serviceImpl.deleteQuota((io.sluice.v1.DeleteQuotaRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DeleteQuotaResponse>) responseObserver);
          break;
        case METHODID_CREATE_ACLS:
          serviceImpl.createAcls((io.sluice.v1.CreateAclsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.CreateAclsResponse>) responseObserver);
          break;
        case METHODID_DELETE_ACLS:
          serviceImpl.deleteAcls((io.sluice.v1.DeleteAclsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.DeleteAclsResponse>) responseObserver);
          break;
        case METHODID_LIST_ACLS:
          serviceImpl.listAcls((io.sluice.v1.ListAclsRequest) request,
              (io.grpc.stub.StreamObserver<io.sluice.v1.ListAclsResponse>) responseObserver);
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
          getCreateTopicMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.CreateTopicRequest,
              io.sluice.v1.CreateTopicResponse>(
                service, METHODID_CREATE_TOPIC)))
        .addMethod(
          getDeleteTopicMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DeleteTopicRequest,
              io.sluice.v1.DeleteTopicResponse>(
                service, METHODID_DELETE_TOPIC)))
        .addMethod(
          getListTopicsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ListTopicsRequest,
              io.sluice.v1.ListTopicsResponse>(
                service, METHODID_LIST_TOPICS)))
        .addMethod(
          getDescribeTopicMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DescribeTopicRequest,
              io.sluice.v1.DescribeTopicResponse>(
                service, METHODID_DESCRIBE_TOPIC)))
        .addMethod(
          getListOffsetsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ListOffsetsRequest,
              io.sluice.v1.ListOffsetsResponse>(
                service, METHODID_LIST_OFFSETS)))
        .addMethod(
          getGetMetadataMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.GetMetadataRequest,
              io.sluice.v1.GetMetadataResponse>(
                service, METHODID_GET_METADATA)))
        .addMethod(
          getDescribeClusterMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DescribeClusterRequest,
              io.sluice.v1.DescribeClusterResponse>(
                service, METHODID_DESCRIBE_CLUSTER)))
        .addMethod(
          getAlterTopicConfigsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.AlterTopicConfigsRequest,
              io.sluice.v1.AlterTopicConfigsResponse>(
                service, METHODID_ALTER_TOPIC_CONFIGS)))
        .addMethod(
          getCreatePartitionsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.CreatePartitionsRequest,
              io.sluice.v1.CreatePartitionsResponse>(
                service, METHODID_CREATE_PARTITIONS)))
        .addMethod(
          getCreateUserMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.CreateUserRequest,
              io.sluice.v1.CreateUserResponse>(
                service, METHODID_CREATE_USER)))
        .addMethod(
          getDeleteUserMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DeleteUserRequest,
              io.sluice.v1.DeleteUserResponse>(
                service, METHODID_DELETE_USER)))
        .addMethod(
          getListUsersMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ListUsersRequest,
              io.sluice.v1.ListUsersResponse>(
                service, METHODID_LIST_USERS)))
        .addMethod(
          getSetQuotaMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.SetQuotaRequest,
              io.sluice.v1.SetQuotaResponse>(
                service, METHODID_SET_QUOTA)))
        .addMethod(
          getListQuotasMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ListQuotasRequest,
              io.sluice.v1.ListQuotasResponse>(
                service, METHODID_LIST_QUOTAS)))
        .addMethod(
          getDeleteQuotaMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DeleteQuotaRequest,
              io.sluice.v1.DeleteQuotaResponse>(
                service, METHODID_DELETE_QUOTA)))
        .addMethod(
          getCreateAclsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.CreateAclsRequest,
              io.sluice.v1.CreateAclsResponse>(
                service, METHODID_CREATE_ACLS)))
        .addMethod(
          getDeleteAclsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.DeleteAclsRequest,
              io.sluice.v1.DeleteAclsResponse>(
                service, METHODID_DELETE_ACLS)))
        .addMethod(
          getListAclsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.sluice.v1.ListAclsRequest,
              io.sluice.v1.ListAclsResponse>(
                service, METHODID_LIST_ACLS)))
        .build();
  }

  private static abstract class AdminServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AdminServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.sluice.v1.Admin.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("AdminService");
    }
  }

  private static final class AdminServiceFileDescriptorSupplier
      extends AdminServiceBaseDescriptorSupplier {
    AdminServiceFileDescriptorSupplier() {}
  }

  private static final class AdminServiceMethodDescriptorSupplier
      extends AdminServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    AdminServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (AdminServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AdminServiceFileDescriptorSupplier())
              .addMethod(getCreateTopicMethod())
              .addMethod(getDeleteTopicMethod())
              .addMethod(getListTopicsMethod())
              .addMethod(getDescribeTopicMethod())
              .addMethod(getListOffsetsMethod())
              .addMethod(getGetMetadataMethod())
              .addMethod(getDescribeClusterMethod())
              .addMethod(getAlterTopicConfigsMethod())
              .addMethod(getCreatePartitionsMethod())
              .addMethod(getCreateUserMethod())
              .addMethod(getDeleteUserMethod())
              .addMethod(getListUsersMethod())
              .addMethod(getSetQuotaMethod())
              .addMethod(getListQuotasMethod())
              .addMethod(getDeleteQuotaMethod())
              .addMethod(getCreateAclsMethod())
              .addMethod(getDeleteAclsMethod())
              .addMethod(getListAclsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
