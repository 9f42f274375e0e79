package server

import (
	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/wire"
)

// The limits of produce requests that need the topic or the parts: each
// checked before anything is handed to a replica (see limits.go).

// checkEntrySizes refuses a request any of whose parts would make a raft
// entry larger than Limits.MaxEntryBytes: the part's records become one
// entry as they are stored (compressed, when stored compressed). A part is
// never split over several entries (see Limits). Its records uncompressed
// are held to MaxDecompressedBytes too, as a compressed request's are.
func checkEntrySizes(req *wire.ProduceRequest, parts []*part, lim *Limits) error {
	field := "records"
	if req.Batch != nil {
		field = "batch"
	}
	for _, pt := range parts {
		if len(pt.records) > lim.maxPartBytes() {
			return badRequest(field, "the %d records for partition %d are %d bytes as stored, over the limit of %d bytes for one raft entry "+
				"(MaxEntryBytes %d less room for the entry's own fields); send fewer records per request",
				pt.count, pt.partition, len(pt.records), lim.maxPartBytes(), lim.MaxEntryBytes)
		}
		// A part stored compressed (compression.type) can be small and
		// still expand past what readers of the batch are promised.
		if pt.codec != compress.None && pt.plain > lim.MaxDecompressedBytes {
			return badRequest(field, "the %d records for partition %d are %d bytes uncompressed, over the limit of %d bytes for one batch (MaxDecompressedBytes); send fewer records per request",
				pt.count, pt.partition, pt.plain, lim.MaxDecompressedBytes)
		}
	}
	return nil
}

// checkTimestamps applies the topic's message.timestamp.before.max.ms and
// message.timestamp.after.max.ms (or the broker's defaults, set in Limits)
// to the create time of each record that has one, against now, as Kafka
// does (its INVALID_TIMESTAMP). Topics with LogAppendTime ignore them: the
// broker's clock replaces the producer's.
func checkTimestamps(topic *internalv1.TopicInfo, req *wire.ProduceRequest, now int64, lim *Limits) error {
	if logAppendTime(topic) {
		return nil
	}
	before := topicInt(topic, cfgTimestampBefore, lim.TimestampBeforeMaxMs)
	after := topicInt(topic, cfgTimestampAfter, lim.TimestampAfterMaxMs)
	for i, r := range req.Records {
		ts := r.TimestampMs
		if ts == 0 {
			continue // the broker's time
		}
		if err := checkTimestamp(req.RecordField(i)+".timestamp_ms", ts, now, before, after); err != nil {
			return err
		}
	}
	return nil
}

// checkTimestamp checks one create time; timestamps are not negative
// (wire refuses those), so the differences cannot overflow.
func checkTimestamp(field string, ts, now, before, after int64) error {
	switch {
	case ts < now && now-ts > before:
		return badRequest(field, "timestamp %d is %d ms before the broker's clock (%d), more than message.timestamp.before.max.ms=%d allows",
			ts, now-ts, now, before)
	case ts > now && ts-now > after:
		return badRequest(field, "timestamp %d is %d ms after the broker's clock (%d), more than message.timestamp.after.max.ms=%d allows",
			ts, ts-now, now, after)
	}
	return nil
}
