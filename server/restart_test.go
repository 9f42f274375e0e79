package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestRestartKeepsData: after a graceful restart on the same data directory
// every record reads back identical at the same offset (from storage, the
// cache being gone), topics keep their ids and configs, a deleted topic stays
// deleted, and new records continue at the next offset.
func TestRestartKeepsData(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "t", 2, "retention.ms", "3600000")
	b.CreateTopic(t, "empty", 1)
	b.CreateTopic(t, "gone", 1)
	b.Produce(t, "gone", 0, valueRecords("gone", 3)...)
	if _, err := b.AdminClient.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		b.Produce(t, "t", 0, keyedRecords(fmt.Sprintf("r%d", i), 4)...)
	}
	b.Produce(t, "t", 0, &sluicev1.Record{Key: []byte("big"), Value: make([]byte, 300<<10)}) // beyond the value log threshold
	b.Produce(t, "t", 1, keyedRecords("p1", 10)...)

	want := map[int32][]*sluicev1.Record{0: b.FetchAll(t, "t", 0, 0), 1: b.FetchAll(t, "t", 1, 0)}
	topicID := describe(t, b, "t").GetTopicId()
	clusterID := clusterOf(t, b).GetClusterId()

	for round := range 2 {
		b.Restart()
		t.Run(fmt.Sprintf("restart %d", round+1), func(t *testing.T) {
			d := describe(t, b, "t")
			checkDescription(t, d, "t", []int64{int64(len(want[0])), int64(len(want[1]))})
			if d.GetTopicId() != topicID || d.GetConfigs()["retention.ms"] != "3600000" {
				t.Errorf("topic after restart: %v; want id %q and retention.ms 3600000", d, topicID)
			}
			checkDescription(t, describe(t, b, "empty"), "empty", []int64{int64(round)})
			if c := clusterOf(t, b); c.GetClusterId() != clusterID || len(c.GetBrokers()) != 1 || c.GetBrokers()[0].GetAddress() != b.Addr {
				t.Errorf("cluster after restart: %v; want id %q and broker 1 at %s", c, clusterID, b.Addr)
			}
			_, err := b.AdminClient.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "gone"})
			checkStatus(t, err, codes.NotFound, `"gone"`)

			for p := range int32(2) {
				equalRecords(t, b.FetchAll(t, "t", p, 0), want[p])
				equalRecords(t, b.FetchAll(t, "t", p, 6), want[p][6:])
			}
			for p := range int32(2) {
				next := int64(len(want[p]))
				recs := keyedRecords(fmt.Sprintf("after%d", round), 3)
				if got := b.Produce(t, "t", p, recs...); got[0] != next {
					t.Fatalf("partition %d: first record after restart got offset %d, want %d", p, got[0], next)
				}
				want[p] = b.FetchAll(t, "t", p, 0)
				if len(want[p]) != int(next)+3 {
					t.Fatalf("partition %d holds %d records, want %d", p, len(want[p]), next+3)
				}
			}
			if got := b.Produce(t, "empty", 0, valueRecords("e", 1)...); got[0] != int64(round) {
				t.Errorf("empty topic: offset %d, want %d", got[0], round)
			}
		})
	}
}

// keyedRecords returns n records with keys, headers and values.
func keyedRecords(prefix string, n int) []*sluicev1.Record {
	out := valueRecords(prefix, n)
	for i, r := range out {
		r.Key = fmt.Appendf(nil, "%s-key-%d", prefix, i)
		r.Headers = []*sluicev1.Header{{Key: "h", Value: []byte{byte(i), 0}}, {Key: "h", Value: []byte("again")}}
	}
	return out
}

func describe(t *testing.T, b *servertest.Broker, name string) *sluicev1.TopicDescription {
	t.Helper()
	d, err := b.AdminClient.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: name})
	if err != nil {
		t.Fatalf("describe %q: %v", name, err)
	}
	return d.GetTopic()
}

func clusterOf(t *testing.T, b *servertest.Broker) *sluicev1.DescribeClusterResponse {
	t.Helper()
	c, err := b.AdminClient.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRestartWindowIsRetryable: while a restarted broker opens its
// partitions, a client may be told to retry (UNAVAILABLE), but never that
// the broker cannot serve its own partition or that it failed.
func TestRestartWindowIsRetryable(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "t", 4)
	for p := range int32(4) {
		b.Produce(t, "t", p, valueRecords("v", 3)...)
	}
	for round := range 3 {
		b.RestartNoReadyWait()
		seen := map[string]bool{}
		check := func(what string, code codes.Code, msg string) bool {
			if code != codes.OK && code != codes.Unavailable && !seen[what] {
				seen[what] = true
				t.Errorf("round %d: %s during restart: %v %q, want OK or UNAVAILABLE", round, what, code, msg)
			}
			return code == codes.OK
		}
		servertest.WaitFor(t, 20*time.Second, func() bool {
			ok := true
			_, err := b.AdminClient.ListOffsets(t.Context(), &sluicev1.ListOffsetsRequest{Topic: "t",
				Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}})
			ok = check("ListOffsets", status.Code(err), fmt.Sprint(err)) && ok
			_, err = b.FetchAllErr(t, &sluicev1.FetchRequest{Topic: "t"})
			ok = check("Fetch", status.Code(err), fmt.Sprint(err)) && ok
			resp, err := b.TryProduceRequest(t.Context(), &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(3), Records: valueRecords("r", 1)})
			if err != nil {
				return check("Produce stream", status.Code(err), err.Error()) && false
			}
			e := resp.GetError()
			if len(resp.GetResults()) > 0 {
				e = resp.GetResults()[0].GetError()
			}
			return check("Produce", codes.Code(e.GetCode()), e.GetMessage()) && ok
		})
	}
}

// TestServingMeansReady: an orchestrator waits for the health service to say
// SERVING before it sends traffic; from then on, requests for the broker's
// partitions succeed at once.
func TestServingMeansReady(t *testing.T) {
	const parts = 32
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "t", parts)
	for round := range 3 {
		b.RestartNoReadyWait()
		waitServing(t, healthpb.NewHealthClient(b.Conn))
		errs := make([]error, parts)
		var wg sync.WaitGroup
		for p := range int32(parts) {
			wg.Go(func() {
				_, errs[p] = b.TryProduce(t.Context(), "t", p, valueRecords("v", 1)...)
			})
		}
		wg.Wait()
		for p, err := range errs {
			if err != nil {
				t.Errorf("round %d: produce to partition %d right after SERVING: %v", round, p, err)
			}
		}
		if _, err := b.FetchAllErr(t, &sluicev1.FetchRequest{Topic: "t"}); err != nil {
			t.Errorf("round %d: fetch right after SERVING: %v", round, err)
		}
	}
}

// waitServing polls the health service without pause, as an eager
// orchestrator would, until it says SERVING.
func waitServing(t *testing.T, health healthpb.HealthClient) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
	}
	t.Fatal("the broker did not report SERVING within 20s")
}
