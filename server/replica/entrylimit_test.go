package replica

import (
	"bytes"
	"errors"
	"math"
	"sync"
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/storage"
)

func openLeader(t *testing.T, maxEntry int) *Replica {
	t.Helper()
	db, err := storage.Open(storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	r, err := Open(Config{Group: 7, Topic: "t", NodeID: 1, Incarnation: math.MaxUint64, DB: db, Notify: func(uint64) {}, MaxEntryBytes: maxEntry})
	if err != nil {
		t.Fatal(err)
	}
	r.LeaderChanged(1, 1)
	return r
}

// TestEntriesNeverExceedMaxEntryBytes holds the replicate batcher to the
// storage's entry limit: a request that one entry cannot hold is refused
// at Append, and however many concurrent requests are coalesced, with the
// largest ids, timestamps and producer fields, no entry is larger than
// MaxEntryBytes.
func TestEntriesNeverExceedMaxEntryBytes(t *testing.T) {
	const maxEntry = 64 << 10
	r := openLeader(t, maxEntry)
	done := func(int64, error) {}
	limit := maxEntry - MaxEntryOverhead

	var tooLarge *EntryTooLargeError
	if err := r.Append(make([]byte, limit+1), 1, math.MaxInt64, done); !errors.As(err, &tooLarge) || tooLarge.Limit != limit {
		t.Fatalf("Append of %d bytes: %v, want an EntryTooLargeError with limit %d", limit+1, err, limit)
	}
	r.seq = math.MaxUint64 - 1000 // the largest proposal ids encode longest
	full := bytes.Repeat([]byte{1}, limit)
	p := Producer{ID: math.MaxInt64, Epoch: math.MaxInt32, BaseSequence: math.MaxInt32}
	if err := r.AppendIdempotent(p, full, sluicev1.Compression_COMPRESSION_ZSTD, math.MaxInt32, math.MaxInt64, done); err != nil {
		t.Fatalf("AppendIdempotent at the limit: %v", err)
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Append(make([]byte, 1+i*37%limit), 1, math.MaxInt64, done); err != nil {
				t.Errorf("Append: %v", err)
			}
		}()
	}
	wg.Wait()
	ents := r.Proposals()
	if len(ents) < 2 {
		t.Fatalf("%d entries, want the requests spread over several", len(ents))
	}
	for i, e := range ents {
		if len(e) > maxEntry {
			t.Errorf("entry %d is %d bytes, over MaxEntryBytes %d", i, len(e), maxEntry)
		}
	}
}
