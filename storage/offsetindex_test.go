package storage

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// testBatch is a batch of records as a test writes it: offsets
// [base, base+count) in raft entry index.
type testBatch struct {
	base  int64
	count uint32
	index uint64
}

// logBatches: raft indexes 1, 4 and 7 are non-data entries (no offsets).
var logBatches = []testBatch{
	{base: 0, count: 3, index: 2},
	{base: 3, count: 1, index: 3},
	{base: 4, count: 6, index: 5},
	{base: 10, count: 2, index: 6},
	{base: 12, count: 8, index: 8},
}

func batchData(group uint64, tb testBatch) []byte {
	return fmt.Appendf(nil, "group %d records %d..%d", group, tb.base, tb.base+int64(tb.count)-1)
}

// writeLog writes raft entries 1..8 for group and indexes logBatches.
func writeLog(t *testing.T, db *DB, group uint64) {
	t.Helper()
	es := make([]*raftpb.Entry, 8)
	for i := range es {
		es[i] = &raftpb.Entry{Index: proto.Uint64(uint64(i + 1)), Term: proto.Uint64(1)}
	}
	for _, tb := range logBatches {
		es[tb.index-1].Data = batchData(group, tb)
	}
	l, err := db.RaftLog(group)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, func(b *Batch) error {
		for _, tb := range logBatches {
			b.PutOffsetIndex(group, IndexEntry{BaseOffset: tb.base, RaftIndex: tb.index, Count: tb.count,
				MaxTimestampMs: 1000 + tb.base})
		}
		return l.Append(b, es)
	})
}

// readBases returns the base offsets ReadLog passes, checking each batch's data.
func readBases(t *testing.T, db *DB, group uint64, from, end int64, maxBytes, stopAfter int) ([]int64, error) {
	t.Helper()
	var bases []int64
	err := db.ReadLog(group, from, end, maxBytes, func(e IndexEntry, data []byte) bool {
		want := batchData(group, testBatch{base: e.BaseOffset, count: e.Count, index: e.RaftIndex})
		if string(data) != string(want) || e.MaxTimestampMs != 1000+e.BaseOffset {
			t.Errorf("batch %+v: data %q, want %q", e, data, want)
		}
		bases = append(bases, e.BaseOffset)
		return len(bases) < stopAfter
	})
	return bases, err
}

func TestReadLog(t *testing.T) {
	db := memDB(t)
	for _, g := range []uint64{1, 2, 256} {
		writeLog(t, db, g)
	}
	one := len(batchData(1, logBatches[0]))
	const all = 1 << 30
	tests := []struct {
		name      string
		group     uint64
		from, end int64
		maxBytes  int
		stopAfter int
		want      []int64
	}{
		{"everything", 1, 0, 20, all, 100, []int64{0, 3, 4, 10, 12}},
		{"other group", 256, 0, 20, all, 100, []int64{0, 3, 4, 10, 12}},
		{"from inside a batch", 1, 5, 20, all, 100, []int64{4, 10, 12}},
		{"from a batch start", 1, 10, 20, all, 100, []int64{10, 12}},
		{"from the last offset", 1, 19, 20, all, 100, []int64{12}},
		{"from past the end of the log", 1, 20, 30, all, 100, nil},
		{"from negative", 1, -5, 20, all, 100, []int64{0, 3, 4, 10, 12}},
		{"end inside a batch", 1, 0, 11, all, 100, []int64{0, 3, 4, 10}},
		{"end at a batch start", 1, 0, 10, all, 100, []int64{0, 3, 4}},
		{"end before a high watermark batch", 1, 0, 12, all, 100, []int64{0, 3, 4, 10}},
		{"from at end", 1, 10, 10, all, 100, nil},
		{"maxBytes zero reads one", 1, 0, 20, 0, 100, []int64{0}},
		{"maxBytes reached exactly", 1, 0, 20, one, 100, []int64{0}},
		{"maxBytes passed by the second", 1, 0, 20, one + 1, 100, []int64{0, 3}},
		{"fn stops", 1, 0, 20, all, 2, []int64{0, 3}},
		{"empty group", 3, 0, 20, all, 100, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBases(t, db, tc.group, tc.from, tc.end, tc.maxBytes, tc.stopAfter)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("ReadLog(%d, %d, %d, %d) = %v, %v; want %v",
					tc.group, tc.from, tc.end, tc.maxBytes, got, err, tc.want)
			}
		})
	}
}

func TestReadLogDataIsACopy(t *testing.T) {
	db := memDB(t)
	writeLog(t, db, 1)
	var kept [][]byte
	err := db.ReadLog(1, 0, 20, 1<<30, func(_ IndexEntry, data []byte) bool {
		kept = append(kept, data)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, tb := range logBatches {
		if string(kept[i]) != string(batchData(1, tb)) {
			t.Fatalf("kept data %d changed to %q", i, kept[i])
		}
	}
}

func TestReadLogCompactedEntry(t *testing.T) {
	db := memDB(t)
	writeLog(t, db, 1)
	l, _ := db.RaftLog(1)
	commit(t, db, func(b *Batch) error { return l.Compact(b, 4) })
	got, err := readBases(t, db, 1, 4, 20, 1<<30, 100)
	if err != nil || fmt.Sprint(got) != "[4 10 12]" {
		t.Fatalf("ReadLog above the compaction = %v, %v", got, err)
	}
	if _, err := readBases(t, db, 1, 0, 20, 1<<30, 100); !errors.Is(err, raft.ErrCompacted) {
		t.Fatalf("ReadLog of a compacted entry = %v, want raft.ErrCompacted", err)
	}
}

func TestIndexEntriesAndRetention(t *testing.T) {
	db := memDB(t)
	if _, ok, err := db.LastIndexEntry(1); ok || err != nil {
		t.Fatalf("LastIndexEntry of an empty group = %v, %v", ok, err)
	}
	writeLog(t, db, 1)
	writeLog(t, db, 2)
	first, ok1, err1 := db.FirstIndexEntry(1)
	last, ok2, err2 := db.LastIndexEntry(1)
	if !ok1 || !ok2 || errors.Join(err1, err2) != nil || first.BaseOffset != 0 || last.BaseOffset != 12 ||
		last.RaftIndex != 8 || last.Count != 8 {
		t.Fatalf("First/LastIndexEntry = %+v %v, %+v %v", first, err1, last, err2)
	}
	b := db.NewBatch()
	if err := b.DeleteIndexBefore(1, 10); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := db.FirstIndexEntry(1); first.BaseOffset != 10 {
		t.Fatalf("first base offset after retention = %d, want 10", first.BaseOffset)
	}
	if first, _, _ := db.FirstIndexEntry(2); first.BaseOffset != 0 {
		t.Fatalf("retention of group 1 touched group 2: first = %d", first.BaseOffset)
	}
	got, err := readBases(t, db, 1, 0, 20, 1<<30, 100)
	if err != nil || fmt.Sprint(got) != "[10 12]" {
		t.Fatalf("ReadLog after retention = %v, %v", got, err)
	}
}

// TestReadLogConcurrentWithCommits has readers follow a high watermark
// that a writer moves after each Commit; run with -race.
func TestReadLogConcurrentWithCommits(t *testing.T) {
	db := memDB(t)
	l, _ := db.RaftLog(1)
	const batches = 200
	var hw atomic.Int64
	var stop atomic.Bool
	defer stop.Store(true) // lets the readers go if the writer fails
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for from := int64(0); from < batches && !stop.Load(); {
				err := db.ReadLog(1, from, hw.Load(), 64, func(e IndexEntry, data []byte) bool {
					if e.BaseOffset != from || string(data) != fmt.Sprint(from) {
						t.Errorf("read %+v %q at %d", e, data, from)
					}
					from = e.BaseOffset + 1
					return true
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range uint64(batches) {
		commit(t, db, func(b *Batch) error {
			b.PutOffsetIndex(1, IndexEntry{BaseOffset: int64(i), RaftIndex: i + 1, Count: 1})
			e := &raftpb.Entry{Index: proto.Uint64(i + 1), Term: proto.Uint64(1), Data: fmt.Append(nil, i)}
			return l.Append(b, []*raftpb.Entry{e})
		})
		hw.Store(int64(i + 1))
	}
	wg.Wait()
}
