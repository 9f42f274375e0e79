package server

import (
	"fmt"
	"math"
	"time"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/transport"
)

// Limits are the bounds a broker holds client requests to. Every one is
// checked at the edge, when a request arrives and before anything is
// proposed to raft, and a request past one is refused with InvalidArgument
// naming the field, the limit and the value. Zero fields take the defaults
// named in their comments (see setDefaults); README.md's "Limits" table
// lists them all, with the fixed limits of validate.go and
// groups_validate.go.
//
// The rule for entries: the records one produce request sends to one
// partition become one raft entry, whole, or are refused. They are never
// split over several entries, which could commit in part (a leader change
// between them) and make a retry store the committed part twice; and an
// idempotent request is decided as one entry at apply. Producers keep their
// batches under the limit (the Go SDK's default batch is 1 MiB).
type Limits struct {
	// MaxRequestBytes bounds one gRPC message a client sends; 0 means 64 MiB.
	MaxRequestBytes int
	// MaxRecordBytes is the largest record (its encoding) where a topic sets
	// no max.message.bytes; 0 means 1 MiB, or less when MaxEntryBytes
	// could not hold a record of 1 MiB.
	MaxRecordBytes int
	// MaxEntryBytes bounds one raft entry: the records of one request for
	// one partition as they are stored (compressed when stored
	// compressed), or one offset commit. It must fit the storage below
	// (storage.DB.MaxEntryBytes: badger's value log file size, 16 MiB by
	// default, less 1 KiB); New refuses a larger value. 0 means 4 MiB, or
	// the storage's limit when that is smaller (in-memory storage takes
	// 1 MiB less 1 KiB). 4 MiB is raft's default MaxSizePerMsg and the
	// raft log's tail cache per partition, so one entry never outgrows
	// either, and four times the Go SDK's default batch.
	MaxEntryBytes int
	// MaxDecompressedBytes bounds what one compressed batch of a produce
	// request decompresses to; decompression stops there, so a small batch
	// that expands enormously costs at most this much memory. The records
	// of one partition that the broker compresses itself (compression.type)
	// are held to it uncompressed, so no stored batch expands past it. 0 means
	// MaxEntryBytes, so that any accepted batch also fits one entry
	// uncompressed (a topic with compression.type=uncompressed stores it so).
	MaxDecompressedBytes int
	// MaxCommitMetadataBytes bounds the metadata string of each committed
	// offset (Kafka's offset.metadata.max.bytes); 0 means 4 KiB.
	MaxCommitMetadataBytes int
	// MaxRecordHeaders bounds the headers of one record; 0 means 1024.
	MaxRecordHeaders int
	// TimestampBeforeMaxMs and TimestampAfterMaxMs are the broker defaults
	// of the topic configs message.timestamp.before.max.ms and
	// message.timestamp.after.max.ms: how far a record's create time may be
	// behind or ahead of the leader's clock (topics with
	// message.timestamp.type=LogAppendTime ignore them). 0 means Kafka's
	// defaults: unlimited (math.MaxInt64) behind, 1 hour ahead.
	TimestampBeforeMaxMs, TimestampAfterMaxMs int64

	// The limits of raft traffic between brokers (the peers' receive limit
	// is derived from them and MaxRequestBytes: peerRecvLimit in grpc.go).

	// MaxInflightBytes bounds, per partition and follower, the bytes of
	// appends a leader has sent and not had acknowledged, so that a follower
	// far behind is fed a window at a time (raft's MaxInflightBytes). At
	// least one full append (4 MiB); 0 means 16 MiB.
	MaxInflightBytes int
	// PeerBatchBytes bounds one send of raft messages to a peer, whatever
	// the number of partitions or messages in it; 0 means 4 MiB.
	PeerBatchBytes int
	// PeerQueueBytes bounds the raft messages waiting to be sent to one
	// peer, in each of its two lanes (appends; everything else); past it
	// messages are dropped and raft sends them again. 0 means 64 MiB.
	PeerQueueBytes int

	// Memory budgets: what the broker holds for its clients and partitions
	// comes from these, not from the number of streams or partitions.

	// CacheBytes bounds each partition's cache of recent batches; 0: 8 MiB.
	CacheBytes int
	// CacheBudgetBytes bounds the caches of recent batches of all the
	// broker's partitions together: past it, the caches of the partitions
	// least recently written or read are emptied (their readers read
	// storage), so memory does not grow with the number of partitions.
	// 0 means 128 MiB; -1, no budget (only CacheBytes per partition).
	CacheBudgetBytes int64
	// ProduceBufferBytes bounds the bytes of produce requests this broker
	// has accepted and not yet answered, over all streams; past it the
	// broker stops reading produce streams and gRPC flow control pushes back
	// on the producers. 0 means 16 MiB.
	ProduceBufferBytes int
	// RaftInboxBytes bounds the bytes of peer raft messages waiting for one
	// partition's next raft cycle; past it they are dropped (raft sends
	// them again) instead of queueing while, say, the disk stalls. 0 means
	// 64 MiB.
	RaftInboxBytes int
}

// Defaults of Limits.
const (
	defaultMaxRequestBytes        = 64 << 20
	defaultMaxRecordBytes         = 1 << 20
	defaultMaxEntryBytes          = 4 << 20
	defaultMaxCommitMetadataBytes = 4 << 10
	defaultMaxRecordHeaders       = 1024
	defaultTimestampBeforeMaxMs   = math.MaxInt64
	defaultTimestampAfterMaxMs    = int64(time.Hour / time.Millisecond)
)

// Fixed limits of fields that no deployment needs to raise.
const (
	// maxMemberIDLen bounds a member id a client sends back: the
	// coordinator makes them from an instance id (at most maxGroupIDLen)
	// and 17 characters.
	maxMemberIDLen = 2 * maxGroupIDLen
	// maxConfigValueLen bounds a topic config value: every value is a
	// number or a name, and a long one (leading zeros parse) would only
	// grow the metadata entry and the state every broker keeps.
	maxConfigValueLen = 256
	// maxAddressLen bounds a broker address a joining broker registers
	// (a DNS name is at most 253 characters, then a port).
	maxAddressLen = 512
	// maxCommitOffsets bounds the offsets of one commit request.
	maxCommitOffsets = 10000
	// maxSubscribedTopics bounds the topics a group member names when it
	// joins: each member's list goes into the group's metadata record.
	maxSubscribedTopics = 10000
)

// setDefaults fills in zero fields; storageMax is the largest entry the
// broker's storage takes.
func (l *Limits) setDefaults(storageMax int) {
	if l.MaxRequestBytes == 0 {
		l.MaxRequestBytes = defaultMaxRequestBytes
	}
	if l.MaxEntryBytes == 0 {
		l.MaxEntryBytes = min(defaultMaxEntryBytes, storageMax)
	}
	if l.MaxRecordBytes == 0 {
		l.MaxRecordBytes = min(defaultMaxRecordBytes, l.MaxEntryBytes-replica.MaxEntryOverhead)
	}
	if l.MaxDecompressedBytes == 0 {
		l.MaxDecompressedBytes = l.MaxEntryBytes
	}
	if l.MaxCommitMetadataBytes == 0 {
		l.MaxCommitMetadataBytes = defaultMaxCommitMetadataBytes
	}
	if l.MaxRecordHeaders == 0 {
		l.MaxRecordHeaders = defaultMaxRecordHeaders
	}
	if l.TimestampBeforeMaxMs == 0 {
		l.TimestampBeforeMaxMs = defaultTimestampBeforeMaxMs
	}
	if l.TimestampAfterMaxMs == 0 {
		l.TimestampAfterMaxMs = defaultTimestampAfterMaxMs
	}
	if l.MaxInflightBytes <= 0 {
		l.MaxInflightBytes = engine.DefaultMaxInflightBytes
	}
	if l.PeerBatchBytes <= 0 {
		l.PeerBatchBytes = transport.DefaultBatchBytes
	}
	if l.PeerQueueBytes <= 0 {
		l.PeerQueueBytes = transport.DefaultQueueBytes
	}
	if l.CacheBudgetBytes == 0 {
		l.CacheBudgetBytes = 128 << 20
	}
	if l.ProduceBufferBytes <= 0 {
		l.ProduceBufferBytes = 16 << 20
	}
}

// validate checks limits with their defaults set against each other and
// against the storage: a limit that lets through an entry the storage
// cannot write would stop the raft engine, so the broker refuses to start.
func (l *Limits) validate(storageMax int) error {
	switch {
	case l.MaxEntryBytes > storageMax:
		return fmt.Errorf("limits: MaxEntryBytes %d is more than the storage takes in one entry (%d: on disk one value log file, "+
			"storage.Options.ValueLogFileSize, less 1 KiB; in memory 1 MiB less 1 KiB)", l.MaxEntryBytes, storageMax)
	case l.MaxEntryBytes <= replica.MaxEntryOverhead:
		return fmt.Errorf("limits: MaxEntryBytes %d leaves no room for records (an entry's own fields take up to %d bytes)", l.MaxEntryBytes, replica.MaxEntryOverhead)
	case l.MaxRecordBytes < 1 || l.MaxRecordBytes > l.MaxEntryBytes-replica.MaxEntryOverhead:
		return fmt.Errorf("limits: MaxRecordBytes %d must be from 1 to %d (MaxEntryBytes %d less an entry's own fields)",
			l.MaxRecordBytes, l.MaxEntryBytes-replica.MaxEntryOverhead, l.MaxEntryBytes)
	case l.MaxRequestBytes < l.MaxEntryBytes:
		// A request must be able to carry a whole entry's records.
		return fmt.Errorf("limits: MaxRequestBytes %d is less than MaxEntryBytes %d: a request could not carry a whole entry", l.MaxRequestBytes, l.MaxEntryBytes)
	case l.MaxDecompressedBytes < 1:
		return fmt.Errorf("limits: MaxDecompressedBytes %d must be positive", l.MaxDecompressedBytes)
	case l.MaxCommitMetadataBytes < 0 || l.MaxRecordHeaders < 0:
		return fmt.Errorf("limits: MaxCommitMetadataBytes (%d) and MaxRecordHeaders (%d) must not be negative", l.MaxCommitMetadataBytes, l.MaxRecordHeaders)
	case l.TimestampBeforeMaxMs < 0 || l.TimestampAfterMaxMs < 0:
		return fmt.Errorf("limits: TimestampBeforeMaxMs (%d) and TimestampAfterMaxMs (%d) must not be negative", l.TimestampBeforeMaxMs, l.TimestampAfterMaxMs)
	}
	return nil
}

// maxPartBytes is the most a part's stored records may take: what an entry
// holds less its own fields.
func (l *Limits) maxPartBytes() int { return l.MaxEntryBytes - replica.MaxEntryOverhead }
