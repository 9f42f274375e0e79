import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type CallOptions, type Client } from "@connectrpc/connect";
import { connect, type Connection, type ConnectionOptions } from "./connection.js";
import {
  AdminService,
  type DescribeClusterResponse,
  type ListOffsetsRequestSchema,
  type PartitionOffset,
  type TopicDescription,
  type TopicSummary,
} from "./gen/sluice/v1/admin_pb.js";
import { Boundary } from "./gen/sluice/v1/record_pb.js";

/** A topic to create. */
export interface NewTopic {
  /** 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..". */
  name: string;
  /** At least 1. */
  partitions: number;
  /** Replicas per partition; absent means the broker default (1 on a single broker). */
  replicationFactor?: number;
  /** Topic configs such as retention.ms; unknown keys are refused. */
  configs?: Readonly<Record<string, string>>;
}

/** Which offset ListOffsets looks up in each partition. */
export type OffsetSpec = "earliest" | "latest" | { timestamp: Date | number | bigint };

/**
 * Admin manages topics and describes the cluster. Every method is one unary
 * gRPC call; failures reject with ConnectError (for example Code.AlreadyExists
 * from createTopic, Code.NotFound for an unknown topic). Each method takes
 * Connect CallOptions last (signal, timeoutMs, headers).
 */
export class Admin {
  private readonly conn: Connection;
  private readonly client: Client<typeof AdminService>;

  constructor(options: ConnectionOptions = {}) {
    this.conn = connect(options);
    this.client = createClient(AdminService, this.conn.transport);
  }

  /** Creates a topic and resolves once every partition has a leader. */
  async createTopic(topic: NewTopic, options?: CallOptions): Promise<TopicDescription> {
    const resp = await this.client.createTopic(
      {
        name: topic.name,
        partitions: topic.partitions,
        replicationFactor: topic.replicationFactor ?? 0,
        configs: { ...topic.configs },
      },
      options,
    );
    return resp.topic!;
  }

  /** Deletes a topic and all its records. */
  async deleteTopic(name: string, options?: CallOptions): Promise<void> {
    await this.client.deleteTopic({ name }, options);
  }

  /** Lists every topic, sorted by name. */
  async listTopics(options?: CallOptions): Promise<TopicSummary[]> {
    return (await this.client.listTopics({}, options)).topics;
  }

  /** Describes a topic: configs, and each partition's leader, replicas and offsets. */
  async describeTopic(name: string, options?: CallOptions): Promise<TopicDescription> {
    return (await this.client.describeTopic({ name }, options)).topic!;
  }

  /**
   * Looks up an offset in each partition (all of them unless `partitions` names
   * some): the earliest stored, the latest (the high watermark), or the first at
   * or after a time (-1n when there is none).
   */
  async listOffsets(topic: string, spec: OffsetSpec, partitions: readonly number[] = [], options?: CallOptions): Promise<PartitionOffset[]> {
    let s: MessageInitShape<typeof ListOffsetsRequestSchema>["spec"];
    if (spec === "earliest" || spec === "latest") {
      s = { case: "boundary", value: spec === "earliest" ? Boundary.EARLIEST : Boundary.LATEST };
    } else if (typeof spec === "object" && spec !== null && "timestamp" in spec) {
      const t = spec.timestamp;
      s = { case: "timestampMs", value: BigInt(t instanceof Date ? t.getTime() : t) };
    } else {
      throw new TypeError(`spec: expected "earliest", "latest" or {timestamp}, got ${String(spec)}`);
    }
    return (await this.client.listOffsets({ topic, partitions: [...partitions], spec: s }, options)).offsets;
  }

  /** Lists the brokers and names the controller. */
  async describeCluster(options?: CallOptions): Promise<DescribeClusterResponse> {
    return this.client.describeCluster({}, options);
  }

  /** Closes the connection. */
  close(): void {
    this.conn.close();
  }
}
