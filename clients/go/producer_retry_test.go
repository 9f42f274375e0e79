package sluice_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// fakeCluster is brokers that serve GetMetadata from one shared table and
// answer Produce through a test's handler, to provoke the failures a real
// broker gives only under faults.
type fakeCluster struct {
	mu      sync.Mutex
	leader  map[int32]uint64 // partition -> broker id, as GetMetadata reports it
	brokers map[uint64]*fakeBroker
	// handle answers a request on broker id; a nil response with an error
	// ends the stream with that error.
	handle func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error)
	stored map[int32][]string // values stored per partition, in offset order
	// Idempotent requests stored, by producer, partition and base sequence:
	// the fake answers a duplicate with the original offset, as a broker does.
	batches  map[[3]int64]int64
	nextID   int64
	initErr  error // InitProducer's answer when set
	initCall int
}

type fakeBroker struct {
	sluicev1.UnimplementedAdminServiceServer
	sluicev1.UnimplementedProduceServiceServer
	c    *fakeCluster
	id   uint64
	addr string
}

func startFakeCluster(t *testing.T, n int, partitions int32) *fakeCluster {
	c := &fakeCluster{leader: map[int32]uint64{}, brokers: map[uint64]*fakeBroker{}, stored: map[int32][]string{}, batches: map[[3]int64]int64{}}
	for p := range partitions {
		c.leader[p] = 1
	}
	for i := range n {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		b := &fakeBroker{c: c, id: uint64(i + 1), addr: lis.Addr().String()}
		srv := grpc.NewServer()
		sluicev1.RegisterAdminServiceServer(srv, b)
		sluicev1.RegisterProduceServiceServer(srv, b)
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		c.brokers[b.id] = b
	}
	return c
}

func (c *fakeCluster) setLeader(p int32, id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader[p] = id
}

// store appends a request's records and returns the answer a leader gives.
func (c *fakeCluster) store(req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := req.GetPartition()
	base := int64(len(c.stored[p]))
	key := [3]int64{req.GetProducerId(), int64(p), int64(req.GetBaseSequence())}
	if orig, ok := c.batches[key]; ok && req.GetProducerId() != 0 {
		return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Results: []*sluicev1.ProduceResult{{
			Partition: p, BaseOffset: orig, RecordCount: int32(len(req.GetRecords())),
		}}}
	}
	c.batches[key] = base
	for _, r := range req.GetRecords() {
		c.stored[p] = append(c.stored[p], string(r.GetValue()))
	}
	return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Results: []*sluicev1.ProduceResult{{
		Partition: p, BaseOffset: base, RecordCount: int32(len(req.GetRecords())),
	}}}
}

func (c *fakeCluster) values(p int32) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.stored[p])
}

func (b *fakeBroker) GetMetadata(context.Context, *sluicev1.GetMetadataRequest) (*sluicev1.GetMetadataResponse, error) {
	b.c.mu.Lock()
	defer b.c.mu.Unlock()
	resp := &sluicev1.GetMetadataResponse{ControllerId: 1}
	for id, br := range b.c.brokers {
		resp.Brokers = append(resp.Brokers, &sluicev1.Broker{Id: id, Address: br.addr})
	}
	t := &sluicev1.TopicMetadata{Name: "t", TopicId: "id"}
	for p := range int32(len(b.c.leader)) {
		t.Partitions = append(t.Partitions, &sluicev1.PartitionMetadata{Partition: p, LeaderId: b.c.leader[p], ReplicaIds: []uint64{b.c.leader[p]}})
	}
	resp.Topics = []*sluicev1.TopicMetadata{t}
	return resp, nil
}

func (b *fakeBroker) InitProducer(context.Context, *sluicev1.InitProducerRequest) (*sluicev1.InitProducerResponse, error) {
	b.c.mu.Lock()
	defer b.c.mu.Unlock()
	b.c.initCall++
	if b.c.initErr != nil {
		return nil, b.c.initErr
	}
	b.c.nextID++
	return &sluicev1.InitProducerResponse{ProducerId: b.c.nextID}, nil
}

func (b *fakeBroker) Produce(stream grpc.BidiStreamingServer[sluicev1.ProduceRequest, sluicev1.ProduceResponse]) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		resp, err := b.c.handle(b.id, req)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// notLeader is the answer of broker `from` for a partition led by `to`.
func (c *fakeCluster) notLeader(req *sluicev1.ProduceRequest, to uint64) *sluicev1.ProduceResponse {
	return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Results: []*sluicev1.ProduceResult{{
		Partition: req.GetPartition(), BaseOffset: -1, RecordCount: int32(len(req.GetRecords())),
		Error: &sluicev1.Error{Code: uint32(codes.Unavailable), Message: "not the leader", Retryable: true, NotLeader: &sluicev1.NotLeaderDetail{
			Topic: "t", Partition: req.GetPartition(), LeaderId: to, LeaderAddress: c.brokers[to].addr,
		}},
	}}}
}

type report struct {
	value string
	md    sluice.RecordMetadata
	err   error
}

// produceValues produces v0..v(n-1) to partition 0 and returns their reports
// in the order the callbacks ran.
func produceValues(t *testing.T, c *fakeCluster, cfg sluice.ProducerConfig, n int) []report {
	t.Helper()
	client, err := sluice.NewClient([]string{c.brokers[1].addr})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p, err := sluice.NewProducer(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reports []report
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range n {
		v := fmt.Sprintf("v%d", i)
		p.Produce(ctx, &sluice.Record{Topic: "t", Partition: 0, ManualPartition: true, Value: []byte(v)}, func(md sluice.RecordMetadata, err error) {
			mu.Lock()
			reports = append(reports, report{v, md, err})
			mu.Unlock()
		})
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != n {
		t.Fatalf("%d reports for %d records", len(reports), n)
	}
	return reports
}

// checkInOrder asserts that every record was stored once, in produce order,
// and reported at its offset in offset order.
func checkInOrder(t *testing.T, c *fakeCluster, reports []report, n int) {
	t.Helper()
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("v%d", i))
	}
	if got := c.values(0); !slices.Equal(got, want) {
		t.Fatalf("stored %v\nwant %v", got, want)
	}
	for i, r := range reports {
		if r.err != nil || r.value != want[i] || r.md.Offset != int64(i) || r.md.Partition != 0 {
			t.Fatalf("report %d: %+v, want %s at offset %d", i, r, want[i], i)
		}
	}
}

func TestProducerFollowsNotLeaderToTheNewLeader(t *testing.T) {
	c := startFakeCluster(t, 2, 1)
	var mu sync.Mutex
	perBroker := map[uint64]int{}
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		mu.Lock()
		perBroker[id]++
		mu.Unlock()
		if id == 1 {
			// Leadership moved to broker 2; the metadata still says 1.
			return c.notLeader(req, 2), nil
		}
		return c.store(req), nil
	}
	reports := produceValues(t, c, sluice.ProducerConfig{BatchMaxRecords: 10, RetryBackoff: time.Millisecond}, 100)
	checkInOrder(t, c, reports, 100)
	mu.Lock()
	defer mu.Unlock()
	if perBroker[1] != 1 {
		t.Errorf("broker 1 got %d requests: after its not-leader answer the producer should go to broker 2", perBroker[1])
	}
}

func TestProducerRetriesKeepPartitionOrder(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	var mu sync.Mutex
	requests := 0
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		switch n % 4 {
		case 1:
			return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Error: &sluicev1.Error{
				Code: uint32(codes.ResourceExhausted), Message: "overloaded", Retryable: true}}, nil
		case 2:
			// The stream breaks with the request unanswered (and not stored).
			return nil, status.Error(codes.Unavailable, "connection reset")
		}
		return c.store(req), nil
	}
	reports := produceValues(t, c, sluice.ProducerConfig{BatchMaxRecords: 7, RetryBackoff: time.Millisecond, Linger: -1}, 200)
	checkInOrder(t, c, reports, 200)
}

func TestProducerGivesUpAfterMaxRetries(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	var mu sync.Mutex
	requests := 0
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		mu.Lock()
		requests++
		mu.Unlock()
		return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Error: &sluicev1.Error{
			Code: uint32(codes.Unavailable), Message: "starting", Retryable: true}}, nil
	}
	reports := produceValues(t, c, sluice.ProducerConfig{MaxRetries: 2, RetryBackoff: time.Millisecond}, 1)
	var se *sluice.Error
	if !errors.As(reports[0].err, &se) || se.Code != codes.Unavailable || !se.Retryable {
		t.Fatalf("error %v, want the broker's retryable UNAVAILABLE", reports[0].err)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 3 {
		t.Errorf("%d requests, want 3 (one and two retries)", requests)
	}
}

func TestProducerDoesNotRetryInvalidRequests(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Error: &sluicev1.Error{
			Code: uint32(codes.InvalidArgument), Message: "records[0]: too large"}}, nil
	}
	reports := produceValues(t, c, sluice.ProducerConfig{}, 3)
	for _, r := range reports {
		if status.Code(r.err) != codes.InvalidArgument || sluice.IsRetryable(r.err) {
			t.Fatalf("report %+v, want INVALID_ARGUMENT", r)
		}
	}
}

func TestProducerBlocksWhileTheBufferIsFull(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		return c.store(req), nil
	}
	// Records of ~5 bytes, room for ~4: Produce waits for earlier reports.
	reports := produceValues(t, c, sluice.ProducerConfig{BufferBytes: 20, Linger: -1}, 100)
	checkInOrder(t, c, reports, 100)
}

func TestProducerFailsRecordsAfterTheDeliveryTimeout(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Error: &sluicev1.Error{
			Code: uint32(codes.Unavailable), Message: "no quorum", Retryable: true}}, nil
	}
	start := time.Now()
	reports := produceValues(t, c, sluice.ProducerConfig{MaxRetries: 1000, RetryBackoff: 10 * time.Millisecond, DeliveryTimeout: 300 * time.Millisecond}, 3)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	for _, r := range reports {
		if !errors.Is(r.err, sluice.ErrDeliveryTimeout) || status.Code(r.err) != codes.Unavailable {
			t.Fatalf("error %v, want ErrDeliveryTimeout wrapping the broker's UNAVAILABLE", r.err)
		}
	}
}

func TestProducerAbandonsAStreamThatStopsAnswering(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	var mu sync.Mutex
	requests := 0
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		mu.Lock()
		requests++
		first := requests == 1
		mu.Unlock()
		if first {
			<-hang // never answered
			return nil, status.Error(codes.Canceled, "gone")
		}
		return c.store(req), nil
	}
	// The timeout must outlast the answer to the resent request even on a
	// loaded machine, or that request is resent too and stored twice.
	reports := produceValues(t, c, sluice.ProducerConfig{RequestTimeout: time.Second, RetryBackoff: time.Millisecond}, 20)
	checkInOrder(t, c, reports, 20)
}

func TestProducerWaitsForALeader(t *testing.T) {
	c := startFakeCluster(t, 1, 1)
	c.setLeader(0, 0) // no leader elected yet
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		return c.store(req), nil
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		c.setLeader(0, 1)
	}()
	reports := produceValues(t, c, sluice.ProducerConfig{RetryBackoff: 10 * time.Millisecond}, 10)
	checkInOrder(t, c, reports, 10)
}

// TestShutdownFailsWhatTheBrokerHoldsUp: a leader that stops answering
// holds records in flight and queued; Shutdown with a deadline reports every
// one of them as failed once the deadline passes, rather than waiting for
// the DeliveryTimeout, and the records answered before are reported stored.
func TestShutdownFailsWhatTheBrokerHoldsUp(t *testing.T) {
	c := startFakeCluster(t, 2, 2)
	c.setLeader(1, 2)
	release := make(chan struct{})
	defer close(release)
	c.handle = func(id uint64, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
		if id == 2 {
			<-release // partition 1's leader hangs
		}
		return c.store(req), nil
	}
	client, err := sluice.NewClient([]string{c.brokers[1].addr})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p, err := sluice.NewProducer(client, sluice.ProducerConfig{BatchMaxRecords: 5, DeliveryTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	stored, failed := 0, 0
	for i := range 40 {
		r := &sluice.Record{Topic: "t", Partition: int32(i % 2), ManualPartition: true, Value: []byte("v")}
		p.Produce(t.Context(), r, func(_ sluice.RecordMetadata, err error) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stored++
			case status.Code(err) == codes.Canceled:
				failed++
			default:
				t.Errorf("record failed with %v, want Canceled", err)
			}
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline's error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if stored != 20 || failed != 20 {
		t.Errorf("%d records stored and %d failed, want partition 0's 20 stored and partition 1's 20 failed", stored, failed)
	}
	if got := len(c.values(0)); got != 20 {
		t.Errorf("partition 0 holds %d records, want 20", got)
	}
	p.Produce(t.Context(), &sluice.Record{Topic: "t", Value: []byte("late")}, func(_ sluice.RecordMetadata, err error) {
		if !errors.Is(err, sluice.ErrClosed) {
			t.Errorf("Produce after Shutdown: %v, want ErrClosed", err)
		}
	})
}
