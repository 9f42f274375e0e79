package sluice_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestIdempotentRetryStoresOnce: the first attempt of every batch is stored
// but its answer lost (the stream breaks); the retry carries the same
// producer id and sequences, so the partition stores each record once.
func TestIdempotentRetryStoresOnce(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	var mu sync.Mutex
	seen := map[int32]int{}  // attempts per base sequence
	count := map[int32]int{} // records of the batch at each base sequence
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		if req.GetProducerId() == 0 {
			return nil, status.Error(codes.InvalidArgument, "not idempotent")
		}
		resp := c.store(req)
		mu.Lock()
		seen[req.GetBaseSequence()]++
		count[req.GetBaseSequence()] = len(req.GetRecords())
		first := seen[req.GetBaseSequence()] == 1
		mu.Unlock()
		if first {
			return nil, status.Error(codes.Unavailable, "connection reset")
		}
		return resp, nil
	}
	reports := produceValues(t, c, sluice.ProducerConfig{BatchMaxRecords: 10, RetryBackoff: time.Millisecond, Linger: -1}, 50)
	checkInOrder(t, c, reports, 50)
	mu.Lock()
	defer mu.Unlock()
	// Batches hold up to 10 records (how many depends on timing): each
	// batch's sequences follow the one before, and each was sent twice.
	next := int32(0)
	for range len(seen) {
		if seen[next] != 2 || count[next] == 0 {
			t.Fatalf("base sequence %d sent %d times; want 2 (attempts per base sequence %v)", next, seen[next], seen)
		}
		next += int32(count[next])
	}
	if next != 50 {
		t.Fatalf("base sequences %v cover %d records; want 50", seen, next)
	}
}

// TestIdempotentOutOfOrderFailsTheBatchAndRestarts: a batch the broker
// refuses as out of order fails with that error; the partition then carries
// on under a new producer id from sequence 0.
func TestIdempotentOutOfOrderFailsTheBatchAndRestarts(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	var mu sync.Mutex
	var ids []int64
	var seqs []int32
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		mu.Lock()
		ids, seqs = append(ids, req.GetProducerId()), append(seqs, req.GetBaseSequence())
		n := len(ids)
		mu.Unlock()
		if n == 2 {
			return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Results: []*sluicev1.ProduceResult{{
				Partition: 0, BaseOffset: -1, RecordCount: int32(len(req.GetRecords())),
				Error: &sluicev1.Error{Code: uint32(codes.FailedPrecondition), Message: "out of order sequence: expected sequence 1, got 1"},
			}}}, nil
		}
		return c.store(req), nil
	}
	reports := produceValues(t, c, sluice.ProducerConfig{BatchMaxRecords: 1, Linger: -1}, 3)
	if reports[0].err != nil || reports[2].err != nil {
		t.Fatalf("reports %+v", reports)
	}
	if status.Code(reports[1].err) != codes.FailedPrecondition || sluice.IsRetryable(reports[1].err) {
		t.Fatalf("report of the refused batch: %v; want FAILED_PRECONDITION", reports[1].err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 3 || ids[0] != ids[1] || ids[2] == ids[1] || seqs[0] != 0 || seqs[1] != 1 || seqs[2] != 0 {
		t.Fatalf("requests (id, sequence): %v %v; want the third under a new id from 0", ids, seqs)
	}
}

func TestProducerWithoutIdempotence(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		if req.GetProducerId() != 0 {
			return nil, status.Error(codes.InvalidArgument, "idempotent")
		}
		return c.store(req), nil
	}
	for _, cfg := range []sluice.ProducerConfig{{DisableIdempotence: true}, {Acks: sluice.AcksNone}} {
		reports := produceValues(t, c, cfg, 3)
		for _, r := range reports {
			if r.err != nil {
				t.Fatalf("%+v: %v", cfg, r.err)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initCall != 0 {
		t.Fatalf("%d InitProducer calls without idempotence", c.initCall)
	}
}

// TestIdempotentInitFailureFailsRecords: a broker that refuses InitProducer
// for good (an older broker without it) fails the records at once.
func TestIdempotentInitFailureFailsRecords(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	c.initErr = status.Error(codes.Unimplemented, "unknown method InitProducer")
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		return c.store(req), nil
	}
	start := time.Now()
	reports := produceValues(t, c, sluice.ProducerConfig{}, 2)
	for _, r := range reports {
		if !errors.Is(r.err, sluice.ErrDeliveryTimeout) || status.Code(r.err) != codes.Unimplemented {
			t.Fatalf("report %v; want the InitProducer error", r.err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to fail", d)
	}
}
