package server

import (
	"bytes"
	"fmt"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

// Compressed produce requests were decompressed and checked record by record
// when parsed (wire.ParseProduceRequest), and split by partition like any
// other; here each part gets the codec it is stored with: the topic's
// compression.type, or with "producer" (the default) the request's. A part
// whose records are byte for byte what the producer compressed keeps the
// producer's compressed bytes; any other is compressed here, once.

// targetCodec is the codec the records of req are stored with in topic.
func targetCodec(topic *internalv1.TopicInfo, req *wire.ProduceRequest) (sluicev1.Compression, error) {
	v, ok := topic.GetConfigs()[cfgCompressionType]
	if !ok || v == "producer" {
		if req.Batch != nil {
			return req.Batch.Compression, nil
		}
		return compress.None, nil
	}
	return compress.Parse(v) // validated when set; "uncompressed" is None
}

// compressParts compresses each part's records with the topic's codec.
func compressParts(topic *internalv1.TopicInfo, req *wire.ProduceRequest, parts []*part) error {
	target, err := targetCodec(topic, req)
	if err != nil {
		return fmt.Errorf("topic %q: %w", topic.GetName(), err)
	}
	if target == compress.None {
		return nil
	}
	for _, pt := range parts {
		if req.Batch != nil && req.Batch.Compression == target && len(parts) == 1 && bytes.Equal(pt.records, req.Batch.Plain) {
			pt.records, pt.codec = req.Batch.Data, target
			continue
		}
		data, err := compress.Encode(target, pt.records)
		if err != nil {
			return fmt.Errorf("compress records for %s/%d: %w", topic.GetName(), pt.partition, err)
		}
		pt.records, pt.codec = data, target
	}
	return nil
}

// appendPart hands a part to the partition's replica with its codec.
func appendPart(r *replica.Replica, pt *part, acks sluicev1.Acks, done replica.Done) error {
	leaderAck := acks == sluicev1.Acks_ACKS_LEADER
	switch {
	case pt.producer != nil:
		return r.AppendIdempotent(*pt.producer, pt.records, pt.codec, pt.count, pt.maxTS, done)
	case pt.codec == compress.None:
		return r.AppendAcks(pt.records, pt.count, pt.maxTS, leaderAck, done)
	}
	return r.AppendCompressed(pt.records, pt.codec, pt.count, pt.maxTS, leaderAck, done)
}

// forwardRequest is the produce request that carries a part to its leader:
// compressed parts travel compressed.
func forwardRequest(topic *internalv1.TopicInfo, pt *part, acks sluicev1.Acks) ([]byte, error) {
	if pt.codec != compress.None {
		return wire.AppendCompressedProduceRequest(nil, topic.GetName(), pt.partition, acks, pt.codec, pt.count, pt.records), nil
	}
	return wire.AppendProduceRequest(nil, topic.GetName(), pt.partition, acks, pt.records)
}
