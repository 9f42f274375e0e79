package server_test

import (
	"fmt"
	"testing"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// timedRecords returns records whose values name their timestamps.
func timedRecords(ts ...int64) []*sluicev1.Record {
	out := make([]*sluicev1.Record, len(ts))
	for i, t := range ts {
		out[i] = &sluicev1.Record{Value: fmt.Appendf(nil, "at-%d", t), TimestampMs: t}
	}
	return out
}

func atTime(ms int64) *sluicev1.StartPosition {
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_TimestampMs{TimestampMs: ms}}
}

// offsetAtTime asks ListOffsets for the first offset of partition 0 at or
// after ms, and the timestamp of the record there.
func offsetAtTime(t *testing.T, b *servertest.Broker, topic string, ms int64) (int64, int64) {
	t.Helper()
	resp, err := b.AdminClient.ListOffsets(t.Context(), &sluicev1.ListOffsetsRequest{
		Topic: topic, Partitions: []int32{0}, Spec: &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: ms}})
	if err != nil {
		t.Fatalf("ListOffsets(%s, time %d): %v", topic, ms, err)
	}
	if len(resp.GetOffsets()) != 1 || resp.GetOffsets()[0].GetPartition() != 0 {
		t.Fatalf("ListOffsets(%s, time %d) = %v", topic, ms, resp)
	}
	return resp.GetOffsets()[0].GetOffset(), resp.GetOffsets()[0].GetTimestampMs()
}

// checkTimeLookups compares ListOffsets and Fetch by time, for every time
// from 0 to past the last record, with a scan of the records: the answer is
// the first offset (not the smallest timestamp) at or after the time.
func checkTimeLookups(t *testing.T, b *servertest.Broker, topic string, stamps []int64) {
	t.Helper()
	last := int64(0)
	for _, ts := range stamps {
		last = max(last, ts)
	}
	for ms := int64(0); ms <= last+2; ms++ {
		want := int64(-1)
		for off, ts := range stamps {
			if ts >= ms {
				want = int64(off)
				break
			}
		}
		off, ts := offsetAtTime(t, b, topic, ms)
		if off != want || (want >= 0 && ts != stamps[want]) || (want < 0 && ts != -1) {
			t.Fatalf("time %d: ListOffsets = offset %d (timestamp %d); want offset %d of %v", ms, off, ts, want, stamps)
		}
		recs, err := b.FetchAllErr(t, &sluicev1.FetchRequest{Topic: topic,
			Partitions: []*sluicev1.FetchPartition{{Partition: 0, Start: atTime(ms)}}})
		if err != nil {
			t.Fatalf("fetch from time %d: %v", ms, err)
		}
		got := recs[0]
		if want < 0 {
			if len(got) != 0 {
				t.Fatalf("fetch from time %d after the last record returned %v", ms, got)
			}
			continue
		}
		if len(got) != len(stamps)-int(want) || got[0].GetOffset() != want || got[0].GetTimestampMs() != stamps[want] {
			t.Fatalf("fetch from time %d: %d records from offset %d; want %d from %d", ms, len(got), got[0].GetOffset(), len(stamps)-int(want), want)
		}
	}
}

// TestTimestampLookups: producers' clocks disagree, so timestamps go back
// within and between batches; lookups still find the first record at or
// after each time, from memory and from storage, and after a restart, whose
// replica must go on indexing only the batches that raise the maximum.
func TestTimestampLookups(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "clocks", 1)
	var stamps []int64
	for _, batch := range [][]int64{{10, 30, 20}, {15}, {50, 40}, {45, 46}, {60}} {
		b.Produce(t, "clocks", 0, timedRecords(batch...)...)
		stamps = append(stamps, batch...)
	}
	checkTimeLookups(t, b, "clocks", stamps)

	b.Restart()
	checkTimeLookups(t, b, "clocks", stamps)
	for _, batch := range [][]int64{{55}, {70, 65}, {62}} {
		b.Produce(t, "clocks", 0, timedRecords(batch...)...)
		stamps = append(stamps, batch...)
	}
	checkTimeLookups(t, b, "clocks", stamps)
}

// TestFetchFromTimeFollows: a follow fetch from a time no record has reached
// yet starts at the high watermark and gets the records that come next.
func TestFetchFromTimeFollows(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	b.Produce(t, "t", 0, timedRecords(100, 200)...)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "t", Follow: true, StartAll: atTime(300)})
	b.Produce(t, "t", 0, timedRecords(400)...)
	if got := values(f.readN(t, 1)); got[0] != "at-400" {
		t.Fatalf("follow from time 300 got %q first", got)
	}
	// The stream started before this record, which is new though its
	// producer's clock is behind.
	b.Produce(t, "t", 1, timedRecords(150)...)
	if got := values(f.readN(t, 1)); got[0] != "at-150" {
		t.Fatalf("follow from time 300 got %q second", got)
	}
}

// TestBrokerTimeAndLogAppendTime: a record without a timestamp gets the
// broker's time; a topic with message.timestamp.type=LogAppendTime replaces
// every producer timestamp with the leader's time.
func TestBrokerTimeAndLogAppendTime(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "create", 1)
	b.CreateTopic(t, "append", 1, "message.timestamp.type", "LogAppendTime")
	before := time.Now().UnixMilli()
	b.Produce(t, "create", 0, timedRecords(0, 1234)...)
	b.Produce(t, "append", 0, timedRecords(0, 1234)...)
	after := time.Now().UnixMilli()
	within := func(ts int64) bool { return ts >= before && ts <= after }

	created := b.FetchAll(t, "create", 0, 0)
	if len(created) != 2 || !within(created[0].GetTimestampMs()) || created[1].GetTimestampMs() != 1234 {
		t.Fatalf("CreateTime records: %v (broker time between %d and %d)", created, before, after)
	}
	appended := b.FetchAll(t, "append", 0, 0)
	if len(appended) != 2 || !within(appended[0].GetTimestampMs()) || appended[1].GetTimestampMs() != appended[0].GetTimestampMs() {
		t.Fatalf("LogAppendTime records: %v (broker time between %d and %d)", appended, before, after)
	}
	if off, ts := offsetAtTime(t, b, "append", before); off != 0 || ts != appended[0].GetTimestampMs() {
		t.Fatalf("LogAppendTime lookup of %d = %d at %d", before, off, ts)
	}
	if off, _ := offsetAtTime(t, b, "append", 1234); off != 0 {
		t.Fatalf("the producer's timestamp 1234 is still indexed: offset %d", off)
	}
}
