package sluice

import (
	"slices"
	"testing"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func rec(key string, size int) *pendingRecord {
	r := &sluicev1.Record{Value: make([]byte, size)}
	if key != "" {
		r.Key = []byte(key)
	}
	return &pendingRecord{rec: r, size: size}
}

func testAcc(maxRecords, maxBytes int, linger time.Duration) *accumulator {
	return newAccumulator(batchLimits{maxRecords: maxRecords, maxBytes: maxBytes, linger: linger, deliveryTimeout: time.Minute},
		func(int32) int32 { return 0 })
}

var t0 = time.Unix(1_700_000_000, 0)

func TestBatchSealsAtRecordCount(t *testing.T) {
	a := testAcc(3, 1<<20, time.Hour)
	var opened []bool
	for range 7 {
		_, o := a.add("t", 1, 4, rec("k", 10), t0)
		opened = append(opened, o)
	}
	q := a.parts[topicPartition{"t", 1}]
	if got := batchSizes(q); !slices.Equal(got, []int{3, 3, 1}) {
		t.Fatalf("batches %v, want [3 3 1]", got)
	}
	if !slices.Equal(boolsToInts(opened), []int{1, 0, 0, 1, 0, 0, 1}) {
		t.Errorf("opened %v", opened)
	}
	if !q.batches[0].sealed || !q.batches[1].sealed || q.batches[2].sealed {
		t.Errorf("sealed: %v %v %v", q.batches[0].sealed, q.batches[1].sealed, q.batches[2].sealed)
	}
}

func TestBatchSealsAtBytes(t *testing.T) {
	a := testAcc(1000, 100, time.Hour)
	for _, size := range []int{40, 40, 40, 200, 10} {
		a.add("t", 0, 1, rec("k", size), t0)
	}
	// 40+40 fit; the third would pass 100; a record over the limit goes alone.
	if got := batchSizes(a.parts[topicPartition{"t", 0}]); !slices.Equal(got, []int{2, 1, 1, 1}) {
		t.Fatalf("batches %v, want [2 1 1 1]", got)
	}
}

func TestLingerDecidesWhenAnOpenBatchGoes(t *testing.T) {
	a := testAcc(10, 1<<20, 5*time.Millisecond)
	a.add("t", 0, 1, rec("k", 1), t0)
	q := a.parts[topicPartition{"t", 0}]
	ok, when := a.sendable(q, t0.Add(time.Millisecond), false)
	if ok || !when.Equal(t0.Add(5*time.Millisecond)) {
		t.Fatalf("before linger: sendable %v, due %v", ok, when)
	}
	if ok, _ := a.sendable(q, t0.Add(time.Millisecond), true); !ok {
		t.Fatal("a flush sends an open batch at once")
	}
	if ok, _ := a.sendable(q, t0.Add(5*time.Millisecond), false); !ok {
		t.Fatal("after linger the batch goes")
	}
}

func TestOnePartitionHasOneBatchInFlight(t *testing.T) {
	a := testAcc(1, 1<<20, 0)
	for range 3 {
		a.add("t", 0, 1, rec("k", 1), t0)
	}
	q := a.parts[topicPartition{"t", 0}]
	first := a.start(q, t0)
	if ok, _ := a.sendable(q, t0, true); ok {
		t.Fatal("a second batch of the partition may not go while the first is in flight")
	}
	// The first fails: it is retried, before the others, after its backoff.
	a.finish(q, false, t0.Add(100*time.Millisecond))
	if ok, when := a.sendable(q, t0.Add(50*time.Millisecond), true); ok || !when.Equal(t0.Add(100*time.Millisecond)) {
		t.Fatalf("during backoff: sendable %v, due %v", ok, when)
	}
	if b := a.start(q, t0.Add(100*time.Millisecond)); b != first || b.attempts != 2 {
		t.Fatalf("the retried batch must go first (attempt %d)", b.attempts)
	}
	a.finish(q, true, time.Time{})
	if got := batchSizes(q); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("left %v", got)
	}
	for len(q.batches) > 0 {
		a.start(q, t0)
		a.finish(q, true, time.Time{})
	}
	if _, ok := a.parts[topicPartition{"t", 0}]; ok {
		t.Error("an idle partition queue is dropped")
	}
}

func TestKeylessRecordsStickToAPartitionPerBatch(t *testing.T) {
	a := testAcc(2, 1<<20, time.Hour)
	var parts []int32
	for range 7 {
		b, _ := a.add("t", -1, 3, rec("", 1), t0)
		parts = append(parts, b.tp.partition)
	}
	// Two records (a full batch) per partition, round-robin from the seed (0).
	if want := []int32{0, 0, 1, 1, 2, 2, 0}; !slices.Equal(parts, want) {
		t.Fatalf("partitions %v, want %v", parts, want)
	}
}

func TestKeylessRecordsMoveOnWhenTheirBatchIsSent(t *testing.T) {
	a := testAcc(100, 1<<20, 0)
	b1, _ := a.add("t", -1, 2, rec("", 1), t0)
	b2, _ := a.add("t", -1, 2, rec("", 1), t0)
	if b1 != b2 {
		t.Fatal("keyless records share the open batch")
	}
	a.start(a.parts[b1.tp], t0) // sent: sealed
	b3, _ := a.add("t", -1, 2, rec("", 1), t0)
	if b3.tp.partition == b1.tp.partition {
		t.Fatalf("after its batch went, the next keyless record goes to the next partition (got %d again)", b3.tp.partition)
	}
}

func TestKeyedAndKeylessShareAPartitionBatch(t *testing.T) {
	a := testAcc(100, 1<<20, time.Hour)
	b1, _ := a.add("t", 0, 2, rec("k", 1), t0)
	b2, _ := a.add("t", -1, 2, rec("", 1), t0) // the seed picks partition 0
	if b1 != b2 || len(b1.records) != 2 {
		t.Fatal("a keyless record joins the open batch of its partition")
	}
}

func batchSizes(q *partQueue) []int {
	var out []int
	for _, b := range q.batches {
		out = append(out, len(b.records))
	}
	return out
}

func boolsToInts(bs []bool) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		if b {
			out[i] = 1
		}
	}
	return out
}
