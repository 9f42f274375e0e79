/**
 * The generated sluice.v1 messages (protobuf-es v2) and service descriptors,
 * for use with @connectrpc/connect's createClient or any other Connect API.
 */
export * from "./gen/sluice/v1/admin_pb.js";
export * from "./gen/sluice/v1/auth_pb.js";
export * from "./gen/sluice/v1/fetch_pb.js";
export * from "./gen/sluice/v1/group_pb.js";
export * from "./gen/sluice/v1/produce_pb.js";
export * from "./gen/sluice/v1/record_pb.js";
