package storage

import (
	"math/rand/v2"
	"testing"
)

// timedBatch is a batch of count offsets whose largest timestamp is maxTS.
type timedBatch struct {
	base  int64
	count uint32
	maxTS int64
}

// indexTimed writes the offset index of batches and, as a state machine
// does, a time index entry for each batch that raises the largest timestamp.
func indexTimed(t *testing.T, db *DB, group uint64, batches []timedBatch) {
	t.Helper()
	runMax := int64(-1)
	commit(t, db, func(b *Batch) error {
		for i, tb := range batches {
			b.PutOffsetIndex(group, IndexEntry{BaseOffset: tb.base, RaftIndex: uint64(i + 2), Count: tb.count, MaxTimestampMs: tb.maxTS})
			if tb.maxTS > runMax {
				b.PutTimeIndex(group, tb.maxTS, tb.base)
				runMax = tb.maxTS
			}
		}
		return nil
	})
}

// wantBatchAt is BatchAtTime by brute force: the first batch holding offsets
// >= from whose largest timestamp is >= ts.
func wantBatchAt(batches []timedBatch, from, ts int64) (int64, bool) {
	for _, tb := range batches {
		if tb.base+int64(tb.count) > from && tb.maxTS >= ts {
			return tb.base, true
		}
	}
	return 0, false
}

func checkBatchAt(t *testing.T, db *DB, group uint64, batches []timedBatch, from, ts int64) {
	t.Helper()
	e, ok, err := db.BatchAtTime(group, from, ts)
	want, wantOK := wantBatchAt(batches, from, ts)
	if err != nil || ok != wantOK || (ok && e.BaseOffset != want) {
		t.Fatalf("BatchAtTime(from %d, ts %d) = %+v %v %v; want base %d %v", from, ts, e, ok, err, want, wantOK)
	}
}

func TestBatchAtTime(t *testing.T) {
	// Clocks of producers disagree: timestamps go back as well as forward.
	batches := []timedBatch{
		{0, 3, 100}, {3, 1, 90}, {4, 6, 250}, {10, 2, 200}, {12, 8, 250}, {20, 1, 400}, {21, 4, 300},
	}
	db := memDB(t)
	if _, ok, err := db.BatchAtTime(1, 0, 0); ok || err != nil {
		t.Fatalf("BatchAtTime of an empty group = %v, %v", ok, err)
	}
	indexTimed(t, db, 1, batches)
	indexTimed(t, db, 2, []timedBatch{{0, 1, 1000}})
	if ts, ok, err := db.MaxIndexedTimestamp(1); ts != 400 || !ok || err != nil {
		t.Fatalf("MaxIndexedTimestamp = %d %v %v, want 400", ts, ok, err)
	}
	for _, from := range []int64{0, 3, 5, 12, 21, 25} {
		for ts := int64(0); ts <= 450; ts += 10 {
			checkBatchAt(t, db, 1, batches, from, ts)
		}
	}

	// Retention removes the batches below 12; lookups still see what is left.
	b := db.NewBatch()
	if err := b.DeleteIndexBefore(1, 12); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	kept := batches[4:]
	for ts := int64(0); ts <= 450; ts += 10 {
		checkBatchAt(t, db, 1, kept, 12, ts)
	}
	if e, ok, _ := db.BatchAtTime(2, 0, 1000); !ok || e.BaseOffset != 0 {
		t.Fatalf("retention of group 1 touched group 2: %+v %v", e, ok)
	}
}

// TestBatchAtTimeRandom compares BatchAtTime with brute force on random
// logs, before and after retention.
func TestBatchAtTimeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		db := memDB(t)
		var batches []timedBatch
		base, ts := int64(0), int64(1000)
		for range 1 + rng.IntN(60) {
			ts += int64(rng.IntN(100)) - 30 // mostly forward
			tb := timedBatch{base: base, count: uint32(1 + rng.IntN(5)), maxTS: max(ts, 0)}
			batches = append(batches, tb)
			base += int64(tb.count)
		}
		indexTimed(t, db, 1, batches)
		cut := rng.IntN(len(batches))
		b := db.NewBatch()
		if err := b.DeleteIndexBefore(1, batches[cut].base); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		kept := batches[cut:]
		for range 200 {
			q := rng.Int64N(max(ts, 0) + 300)
			from := kept[0].base + int64(rng.IntN(int(base-kept[0].base)+1))
			e, ok, err := db.BatchAtTime(1, from, q)
			want, wantOK := wantBatchAt(kept, from, q)
			if err != nil || ok != wantOK || (ok && e.BaseOffset != want) {
				t.Fatalf("round %d: BatchAtTime(from %d, ts %d) = %+v %v %v; want %d %v\nbatches %v cut %d",
					round, from, q, e, ok, err, want, wantOK, batches, cut)
			}
		}
	}
}
