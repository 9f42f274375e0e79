// Package sluice is the Go client of Sluice, a Kafka-class event-streaming
// broker with a gRPC API.
//
// A [Client] knows the cluster: it dials brokers (one gRPC connection per
// broker, shared), and keeps a cache of the routing metadata that
// AdminService.GetMetadata returns (brokers and, per partition, the leader and
// replicas), refreshed periodically and whenever a broker reports that it no
// longer leads a partition. A refresh asks several brokers at once and
// believes, per partition, the leader with the highest epoch, so a broker
// that hangs or is cut off from the others cannot hold the client on an old
// leader; a produce batch unanswered for a second makes the producer check
// whether its partition's leader moved, and send it there. On top of it:
//
//   - [Producer] sends records asynchronously. Records are batched per
//     partition (by count, bytes and a linger time), keyed records go to
//     Kafka's partition for their key ([PartitionForKey]), keyless records
//     stick to one partition per batch, round-robin. Each batch goes straight
//     to the partition's leader, on one pipelined Produce stream per leader
//     broker; retryable failures (UNAVAILABLE, including not-leader,
//     RESOURCE_EXHAUSTED, a broken stream) are retried with exponential backoff,
//     and records of one partition keep their order across retries. A callback
//     reports each record's partition and offset, or its error.
//   - [Consumer] reads partitions directly, each from its leader: from the
//     earliest or latest offset or a given one, up to the end of the log or
//     following new records. A stream that breaks is reopened after the last
//     record received.
//   - [Admin] creates, deletes, lists and describes topics, looks up offsets
//     and describes the cluster.
//
// Keys and values are byte slices where nil means null, which differs from
// an empty slice, as in Kafka: nil Key is "no key", []byte{} is the empty key.
//
// The generated gRPC stubs of the sluice.v1 API are in
// github.com/sluice-io/sluice/gen/go/sluice/v1 for anything this package does
// not cover.
package sluice
