package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

func idempotentRequest(topic string, pid int64, epoch, seq int32, recs []*sluicev1.Record) *sluicev1.ProduceRequest {
	return &sluicev1.ProduceRequest{
		Topic: topic, Partition: proto.Int32(0), Records: recs, Acks: sluicev1.Acks_ACKS_ALL,
		ProducerId: pid, ProducerEpoch: epoch, BaseSequence: seq,
	}
}

func TestInitProducerGivesUniqueIDs(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	seen := map[int64]bool{}
	for range 5 {
		resp, err := b.ProduceClient.InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetProducerId() <= 0 || seen[resp.GetProducerId()] {
			t.Fatalf("producer id %d (seen before: %v)", resp.GetProducerId(), seen[resp.GetProducerId()])
		}
		seen[resp.GetProducerId()] = true
	}
	// A restarted broker reserves a new block: ids are never handed out twice.
	b.Restart()
	resp, err := b.ProduceClient.InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if seen[resp.GetProducerId()] {
		t.Fatalf("producer id %d handed out again after a restart", resp.GetProducerId())
	}
}

func TestIdempotentProduceDropsDuplicates(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "idem", 2)
	init, err := b.ProduceClient.InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pid := init.GetProducerId()
	p := openProduce(t, b)
	first := p.roundTrip(t, idempotentRequest("idem", pid, 0, 0, valueRecords("a", 3)))
	again := p.roundTrip(t, idempotentRequest("idem", pid, 0, 0, valueRecords("a", 3)))
	next := p.roundTrip(t, idempotentRequest("idem", pid, 0, 3, valueRecords("b", 2)))
	for _, resp := range []*sluicev1.ProduceResponse{first, again, next} {
		if resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
			t.Fatalf("response %v", resp)
		}
	}
	if o := again.GetResults()[0].GetBaseOffset(); o != first.GetResults()[0].GetBaseOffset() {
		t.Fatalf("duplicate answered with base offset %d; want the original %d", o, first.GetResults()[0].GetBaseOffset())
	}
	if o := next.GetResults()[0].GetBaseOffset(); o != 3 {
		t.Fatalf("next batch at %d; want 3", o)
	}
	got := values(b.FetchAll(t, "idem", 0, 0))
	want := []string{"a-0", "a-1", "a-2", "b-0", "b-1"}
	if len(got) != len(want) {
		t.Fatalf("partition holds %v; want %v", got, want)
	}

	// A gap and a stale epoch are refused, naming what was expected.
	gap := p.roundTrip(t, idempotentRequest("idem", pid, 0, 9, valueRecords("c", 1))).GetResults()[0].GetError()
	if gap == nil || codes.Code(gap.GetCode()) != codes.FailedPrecondition || gap.GetRetryable() {
		t.Fatalf("gap: %v", gap)
	}
	checkContains(t, gap.GetMessage(), "expected sequence 5, got 9")
	p.roundTrip(t, idempotentRequest("idem", pid, 1, 0, valueRecords("d", 1)))
	stale := p.roundTrip(t, idempotentRequest("idem", pid, 0, 5, valueRecords("e", 1))).GetResults()[0].GetError()
	if stale == nil || codes.Code(stale.GetCode()) != codes.FailedPrecondition {
		t.Fatalf("stale epoch: %v", stale)
	}
	checkContains(t, stale.GetMessage(), "epoch 0 is older than epoch 1")
}

func TestIdempotentProduceValidation(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "idem", 1)
	p := openProduce(t, b)
	for _, tc := range []struct {
		field string
		req   *sluicev1.ProduceRequest
	}{
		{"partition", &sluicev1.ProduceRequest{Topic: "idem", Records: valueRecords("a", 1), ProducerId: 1}},
		{"acks", &sluicev1.ProduceRequest{Topic: "idem", Partition: proto.Int32(0), Records: valueRecords("a", 1), ProducerId: 1, Acks: sluicev1.Acks_ACKS_NONE}},
		{"base_sequence", idempotentRequest("idem", 1, 0, -1, valueRecords("a", 1))},
		{"producer_id", idempotentRequest("idem", -1, 0, 0, valueRecords("a", 1))},
		{"producer_id", idempotentRequest("idem", 0, 0, 4, valueRecords("a", 1))},
	} {
		e := p.roundTrip(t, tc.req).GetError()
		if e == nil || codes.Code(e.GetCode()) != codes.InvalidArgument {
			t.Fatalf("%s: got %v; want INVALID_ARGUMENT", tc.field, e)
		}
		checkContains(t, e.GetMessage(), tc.field)
	}
}

// TestIdempotentProduceThroughAnyBroker: a request sent to a broker that does
// not lead the partition is forwarded with its producer fields, so the
// duplicate is still recognised.
func TestIdempotentProduceThroughAnyBroker(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	if _, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "fwd", Partitions: 1, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	lead := c.leaderOf("fwd", 0)
	other := lead%3 + 1
	init, err := sluicev1.NewProduceServiceClient(c.conn(other)).InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	req := idempotentRequest("fwd", init.GetProducerId(), 0, 0, valueRecords("x", 4))
	var bases []int64
	for _, id := range []uint64{lead, other} {
		resp := produceOnce(t, c.conn(id), req)
		if e := resp.GetResults()[0].GetError(); e != nil {
			t.Fatalf("via broker %d: %v", id, e)
		}
		bases = append(bases, resp.GetResults()[0].GetBaseOffset())
	}
	if bases[0] != bases[1] {
		t.Fatalf("base offsets %v: the forwarded duplicate was written again", bases)
	}
	if hw := listOffset(t, c.conn(lead), "fwd", sluicev1.Boundary_BOUNDARY_LATEST); hw != 4 {
		t.Fatalf("high watermark %d; want 4", hw)
	}
}

func checkContains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%q does not contain %q", s, sub)
	}
}

// produceOnce sends one request on a new stream and returns its response.
func produceOnce(t *testing.T, conn *grpc.ClientConn, req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	t.Helper()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	resp, err := recvTimeout(t, stream.Recv)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	return resp
}

// TestProducerIDsAreAcceptedOnlyOnceIssued: a made-up producer id is refused,
// so that the producer the cluster later gives that id has its first writes
// stored rather than taken for duplicates of the made-up ones. The highest
// reserved block is in the metadata, so the refusal holds after a restart.
func TestProducerIDsAreAcceptedOnlyOnceIssued(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "pids", 1)
	p := openProduce(t, b)
	// No InitProducer yet: id 1 is the first the cluster will issue.
	refuseUnissued(t, p, 1)

	init, err := b.ProduceClient.InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pid := init.GetProducerId()
	resp := p.roundTrip(t, idempotentRequest("pids", pid, 0, 0, valueRecords("real", 2)))
	if e := resp.GetResults()[0].GetError(); e != nil || resp.GetError() != nil {
		t.Fatalf("first write of issued producer %d: %v", pid, resp)
	}
	if got := values(b.FetchAll(t, "pids", 0, 0)); len(got) != 2 || got[0] != "real-0" || got[1] != "real-1" {
		t.Fatalf("partition holds %v; want [real-0 real-1]", got)
	}
	// The broker keeps no spare ids: the next one is not issued until an
	// InitProducer gets it, so no client can write with it first.
	refuseUnissued(t, p, pid+1)

	// Callers at the same time share reservations, and still every id is
	// unique and none is issued beyond the ones handed out.
	ids := make(chan int64, 32)
	var wg sync.WaitGroup
	for range cap(ids) {
		wg.Go(func() {
			resp, err := b.ProduceClient.InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- resp.GetProducerId()
		})
	}
	wg.Wait()
	close(ids)
	seen, highest := map[int64]bool{pid: true}, pid
	for id := range ids {
		if seen[id] {
			t.Fatalf("producer id %d handed out twice", id)
		}
		seen[id], highest = true, max(highest, id)
	}
	refuseUnissued(t, p, highest+1)

	b.Restart()
	p = openProduce(t, b)
	refuseUnissued(t, p, pid+5000)
	resp = p.roundTrip(t, idempotentRequest("pids", pid, 0, 2, valueRecords("after", 1)))
	if e := resp.GetResults()[0].GetError(); e != nil || resp.GetError() != nil {
		t.Fatalf("issued producer %d after a restart: %v", pid, resp)
	}
}

func refuseUnissued(t *testing.T, p *produceStream, pid int64) {
	t.Helper()
	resp := p.roundTrip(t, idempotentRequest("pids", pid, 0, 0, valueRecords("made-up", 1)))
	e := resp.GetError()
	if e == nil && len(resp.GetResults()) > 0 {
		e = resp.GetResults()[0].GetError()
	}
	if e == nil {
		t.Fatalf("producer_id %d, never issued, was accepted: %v", pid, resp)
	}
	if codes.Code(e.GetCode()) != codes.FailedPrecondition || e.GetRetryable() {
		t.Fatalf("producer_id %d: got %v; want FAILED_PRECONDITION, not retryable", pid, e)
	}
	checkContains(t, e.GetMessage(), fmt.Sprintf("producer_id %d was never issued", pid))
}
