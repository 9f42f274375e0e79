/**
 * @sluice/client: a TypeScript client for the Sluice event-streaming broker.
 *
 * - {@link Producer}: batched, pipelined, murmur2-partitioned produce with a
 *   Promise per record.
 * - {@link Consumer}: `for await` over a Fetch stream, abortable with an AbortSignal.
 * - {@link Admin}: topics, offsets and the cluster.
 *
 * The generated protobuf messages and service descriptors are in "@sluice/client/proto".
 */
export { Admin, type NewTopic, type OffsetSpec } from "./admin.js";
export type { ScramCredentials } from "./auth.js";
export type { Bytes } from "./bytes.js";
export { DEFAULT_ADDRESS, type ConnectionOptions, type TlsOptions } from "./connection.js";
export { Consumer, type FetchOptions, type StartFrom } from "./consumer.js";
export { ProduceError } from "./errors.js";
export { murmur2, partitionForKey } from "./partitioner.js";
export { ScramError, type ScramMechanism } from "./scram.js";
export { Producer, type Acks, type ProducerOptions } from "./producer.js";
export type { ConsumerRecord, Header, HeadersInit, ProducerRecord, RecordBatch, RecordMetadata } from "./records.js";
export type { DescribeClusterResponse, PartitionDescription, PartitionOffset, TopicDescription, TopicSummary, Broker } from "./gen/sluice/v1/admin_pb.js";
export { Code, ConnectError } from "@connectrpc/connect";
