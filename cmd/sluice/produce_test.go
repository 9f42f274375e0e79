package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/partitioner"
)

// fakeLeader is a one-broker cluster for the produce command: metadata
// names it the leader of every partition of topic "t", InitProducer hands
// out producer id 7, and Produce stores each request through answer.
type fakeLeader struct {
	sluicev1.UnimplementedAdminServiceServer
	sluicev1.UnimplementedProduceServiceServer
	partitions int32
	// answer builds the response to a request; nil stores it. A nil response
	// with an error ends the stream with that error.
	answer func(req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error)

	mu       sync.Mutex
	addr     string
	inits    int
	requests []*sluicev1.ProduceRequest
	stored   map[int32][]*sluicev1.Record
}

func startLeader(t *testing.T, f *fakeLeader) string {
	f.stored = map[int32][]*sluicev1.Record{}
	addr := startServer(t, func(s *grpc.Server) {
		sluicev1.RegisterAdminServiceServer(s, f)
		sluicev1.RegisterProduceServiceServer(s, f)
	})
	f.mu.Lock()
	f.addr = addr
	f.mu.Unlock()
	return addr
}

func (f *fakeLeader) GetMetadata(_ context.Context, req *sluicev1.GetMetadataRequest) (*sluicev1.GetMetadataResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &sluicev1.GetMetadataResponse{ControllerId: 1, Brokers: []*sluicev1.Broker{{Id: 1, Address: f.addr}}}
	if len(req.GetTopics()) > 0 && !slices.Contains(req.GetTopics(), "t") {
		return resp, nil
	}
	tm := &sluicev1.TopicMetadata{Name: "t", TopicId: "id"}
	for p := range max(f.partitions, 1) {
		tm.Partitions = append(tm.Partitions, &sluicev1.PartitionMetadata{Partition: p, LeaderId: 1, ReplicaIds: []uint64{1}})
	}
	resp.Topics = []*sluicev1.TopicMetadata{tm}
	return resp, nil
}

func (f *fakeLeader) InitProducer(context.Context, *sluicev1.InitProducerRequest) (*sluicev1.InitProducerResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inits++
	return &sluicev1.InitProducerResponse{ProducerId: 7}, nil
}

func (f *fakeLeader) Produce(stream sluicev1.ProduceService_ProduceServer) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		var resp *sluicev1.ProduceResponse
		if f.answer != nil {
			resp, err = f.answer(req)
		} else {
			resp = f.store(req)
		}
		if err != nil || resp == nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// store appends the request's records to its partition (a compressed batch
// is kept as that many empty records).
func (f *fakeLeader) store(req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := req.GetPartition()
	base := int64(len(f.stored[p]))
	recs := req.GetRecords()
	if b := req.GetBatch(); b != nil {
		recs = make([]*sluicev1.Record, b.GetRecordCount())
	}
	f.stored[p] = append(f.stored[p], recs...)
	return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Results: []*sluicev1.ProduceResult{{
		Partition: p, BaseOffset: base, RecordCount: int32(len(recs)),
	}}}
}

func (f *fakeLeader) sent() (reqs []*sluicev1.ProduceRequest, inits int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests), f.inits
}

func values(recs []*sluicev1.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.GetValue()))
	}
	return out
}

// TestProduceIsIdempotentByDefault: the produce command takes a producer id
// and numbers its batches, so a batch sent again is stored once; the records
// arrive in input order in batches of at most --batch-size.
func TestProduceIsIdempotentByDefault(t *testing.T) {
	f := &fakeLeader{}
	addr := startLeader(t, f)
	const n = 10_000
	res := runCLI(t, strings.NewReader(numberedLines(n)), "--broker", addr, "produce", "t", "--batch-size", "100")
	if res.code != 0 || res.stdout != "10000 records acknowledged\n" || res.stderr != "" {
		t.Fatalf("produce = %+v", res)
	}
	reqs, inits := f.sent()
	if inits != 1 {
		t.Errorf("%d InitProducer calls, want 1", inits)
	}
	next := int32(0)
	for i, req := range reqs {
		if req.GetProducerId() != 7 || req.GetBaseSequence() != next {
			t.Fatalf("request %d: producer %d base sequence %d, want producer 7 and sequence %d",
				i, req.GetProducerId(), req.GetBaseSequence(), next)
		}
		if len(req.GetRecords()) > 100 || req.GetAcks() != sluicev1.Acks_ACKS_ALL {
			t.Fatalf("request %d has %d records (over --batch-size 100) or acks %v", i, len(req.GetRecords()), req.GetAcks())
		}
		next += int32(len(req.GetRecords()))
	}
	if want := strings.Fields(numberedLines(n)); !slices.Equal(values(f.stored[0]), want) {
		t.Errorf("broker stored %d values, want %d in input order", len(f.stored[0]), len(want))
	}
}

func TestProduceWithoutIdempotence(t *testing.T) {
	for _, args := range [][]string{{"--idempotence=false"}, {"--acks", "none"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := &fakeLeader{}
			addr := startLeader(t, f)
			res := runCLI(t, strings.NewReader("a\nb\n"), append([]string{"--broker", addr, "produce", "t"}, args...)...)
			if res.code != 0 || res.stdout != "2 records acknowledged\n" {
				t.Fatalf("produce = %+v", res)
			}
			reqs, inits := f.sent()
			if inits != 0 {
				t.Errorf("%d InitProducer calls, want none", inits)
			}
			for _, req := range reqs {
				if req.GetProducerId() != 0 {
					t.Errorf("request carries producer id %d", req.GetProducerId())
				}
			}
		})
	}
}

func TestProduceRecordFields(t *testing.T) {
	f := &fakeLeader{partitions: 2}
	addr := startLeader(t, f)
	// A long linger keeps both records in one batch: the end of the input
	// sends it.
	res := runCLI(t, strings.NewReader("k1=v1\nk2=v=2\n"), "--broker", addr, "produce", "t", "--linger", "10s",
		"--key-separator", "=", "--header", "src=cli", "--header", "n=1", "--partition", "1",
		"--timestamp", "2026-11-23T10:00:00Z")
	if res.code != 0 || res.stdout != "2 records acknowledged\n" {
		t.Fatalf("produce = %+v", res)
	}
	hdrs := []*sluicev1.Header{{Key: "src", Value: []byte("cli")}, {Key: "n", Value: []byte("1")}}
	want := []*sluicev1.Record{
		{Key: []byte("k1"), Value: []byte("v1"), Headers: hdrs, TimestampMs: 1795428000000},
		{Key: []byte("k2"), Value: []byte("v=2"), Headers: hdrs, TimestampMs: 1795428000000},
	}
	reqs, _ := f.sent()
	if len(reqs) != 1 || reqs[0].GetPartition() != 1 || len(reqs[0].GetRecords()) != 2 {
		t.Fatalf("requests = %v, want one request to partition 1", reqs)
	}
	for i, r := range reqs[0].GetRecords() {
		if !proto.Equal(r, want[i]) {
			t.Errorf("record %d = %v, want %v", i, r, want[i])
		}
	}
}

// TestProduceKeyedRecordsFollowTheKey: without --partition a keyed record
// goes to murmur2(key) mod partitions, as with Kafka's default partitioner.
func TestProduceKeyedRecordsFollowTheKey(t *testing.T) {
	f := &fakeLeader{partitions: 6}
	addr := startLeader(t, f)
	in := "a:1\nb:2\nc:3\nuser-42:4\n"
	res := runCLI(t, strings.NewReader(in), "--broker", addr, "produce", "t", "--key-separator", ":")
	if res.code != 0 {
		t.Fatalf("produce = %+v", res)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, recs := range f.stored {
		for _, r := range recs {
			if want := partitioner.ForKey(r.GetKey(), 6); p != want {
				t.Errorf("key %q stored in partition %d, want %d", r.GetKey(), p, want)
			}
		}
	}
}

func TestProduceFailures(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		answer     func(f *fakeLeader) func(*sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error)
		wantStdout string
		wantStderr string
	}{
		{
			name: "refused batch",
			in:   "a\nb\nreject\nc\n", // batches of 2: [a b] [reject c]
			answer: func(f *fakeLeader) func(*sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
				return func(req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
					if slices.Contains(values(req.GetRecords()), "reject") {
						return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Error: &sluicev1.Error{Code: uint32(codes.InvalidArgument), Message: "record rejected"}}, nil
					}
					return f.store(req), nil
				}
			},
			wantStdout: "2 records acknowledged\n",
			wantStderr: "sluice: 2 records failed: record rejected\n",
		},
		{
			name: "broker crashes",
			in:   "a\nb\n",
			answer: func(*fakeLeader) func(*sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
				return func(*sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
					return nil, status.Error(codes.Unavailable, "broker crashed")
				}
			},
			wantStderr: "sluice: 2 records failed, none acknowledged: delivery timeout: broker crashed\n",
		},
		{
			name: "stream ends unanswered",
			in:   "a\n",
			answer: func(*fakeLeader) func(*sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
				return func(*sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) { return nil, nil }
			},
			wantStderr: "sluice: 1 record failed, none acknowledged: delivery timeout: the stream ended before the broker answered\n",
		},
		{
			name:       "bad input line after good ones",
			in:         "a\nb\nc\n" + strings.Repeat("x", maxLineBytes+1) + "\n",
			wantStdout: "3 records acknowledged\n",
			wantStderr: fmt.Sprintf("sluice: reading input: line 4 is longer than the %d-byte record limit\n", maxLineBytes),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLeader{}
			if tt.answer != nil {
				f.answer = tt.answer(f)
			}
			addr := startLeader(t, f)
			res := runCLI(t, strings.NewReader(tt.in), "--broker", addr, "produce", "t",
				"--batch-size", "2", "--linger", "10s", "--delivery-timeout", "500ms")
			if res.code != 1 || res.stdout != tt.wantStdout || res.stderr != tt.wantStderr {
				t.Errorf("produce = %+v, want stdout %q stderr %q", res, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

// TestProduceRetriesKeepTheirSequence: a batch refused with a retryable
// error is sent again with the same producer id and sequence, so the broker
// can tell a resend from new records.
func TestProduceRetriesKeepTheirSequence(t *testing.T) {
	f := &fakeLeader{}
	var refused atomic.Bool
	f.answer = func(req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		if refused.CompareAndSwap(false, true) {
			return nil, status.Error(codes.Unavailable, "leader changed")
		}
		return f.store(req), nil
	}
	addr := startLeader(t, f)
	res := runCLI(t, strings.NewReader("a\nb\n"), "--broker", addr, "produce", "t", "--linger", "10s")
	if res.code != 0 || res.stdout != "2 records acknowledged\n" {
		t.Fatalf("produce = %+v", res)
	}
	reqs, _ := f.sent()
	if len(reqs) != 2 || !proto.Equal(reqs[0].GetRecords()[0], reqs[1].GetRecords()[0]) ||
		reqs[0].GetProducerId() != 7 || reqs[1].GetProducerId() != 7 || reqs[0].GetBaseSequence() != reqs[1].GetBaseSequence() {
		t.Fatalf("requests = %v, want the same batch twice with producer 7 and one sequence", reqs)
	}
	if got := values(f.stored[0]); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("stored %q", got)
	}
}

func TestProduceUnknownTopic(t *testing.T) {
	f := &fakeLeader{}
	addr := startLeader(t, f)
	res := runCLI(t, strings.NewReader(numberedLines(1000)), "--broker", addr, "produce", "nope")
	want := "sluice: topic \"nope\" not found (`sluice topic create nope` creates it)\n"
	if res.code != 1 || res.stdout != "" || res.stderr != want {
		t.Errorf("produce = %+v, want no count on stdout and stderr %q", res, want)
	}
	if reqs, _ := f.sent(); len(reqs) != 0 {
		t.Errorf("%d produce requests sent to a missing topic", len(reqs))
	}
}
