package server_test

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/partitioner"
)

// TestMeasureCoordinatorFailover measures how long a group's coordinator
// takes to move after SLUICE_MEASURE_COMMITS commits (docs/architecture.md
// has the figures): three brokers, the coordinator's broker shut down, the
// time until another broker answers FetchOffsets with the last commit. It is
// a measurement, so it runs only when asked; the commits are bounded by
// count and by four minutes.
func TestMeasureCoordinatorFailover(t *testing.T) {
	want, _ := strconv.Atoi(os.Getenv("SLUICE_MEASURE_COMMITS"))
	if want <= 0 {
		t.Skip("set SLUICE_MEASURE_COMMITS to measure")
	}
	// SLUICE_MEASURE_COMPACT_RECORDS sets OffsetsCompactRecords (a huge
	// value measures a log that is never compacted).
	compact, _ := strconv.Atoi(os.Getenv("SLUICE_MEASURE_COMPACT_RECORDS"))
	c := startClusterWith(t, 3, func(cfg *server.Config) { cfg.OffsetsCompactRecords = compact })
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	if _, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "t", Partitions: 8, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	gc := sluicev1.NewGroupCoordinatorServiceClient(c.conn(1))
	// The first group request creates the offsets topic.
	if _, err := gc.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"}); err != nil {
		t.Fatal(err)
	}
	offsets, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "__consumer_offsets"})
	if err != nil {
		t.Fatal(err)
	}
	part := partitioner.ForKey([]byte("g"), int32(len(offsets.GetTopic().GetPartitions())))
	coord := c.leaderOf("__consumer_offsets", part)
	gc = sluicev1.NewGroupCoordinatorServiceClient(c.conn(coord))

	var next, retries atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(6 * time.Minute)
	start := time.Now()
	for range 256 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				n := next.Add(1)
				if n > int64(want) {
					return
				}
				for attempt := 0; ; attempt++ {
					err := commit(gc, "g", "", 0, "t", map[int32]int64{int32(n % 8): n})
					if err == nil {
						break
					}
					// Leadership may move on a loaded machine: retry as a client would.
					if time.Now().After(deadline) {
						next.Add(-1) // not done: the measurement ends here
						return
					}
					if status.Code(err) != codes.Unavailable || attempt == 50 {
						t.Errorf("commit %d: %v", n, err)
						return
					}
					retries.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	done := min(next.Load(), int64(want))
	t.Logf("%d commits in %v (%.0f/s, %d retried)", done, time.Since(start).Round(time.Millisecond), float64(done)/time.Since(start).Seconds(), retries.Load())
	coord = c.leaderOf("__consumer_offsets", part)
	gc = sluicev1.NewGroupCoordinatorServiceClient(c.conn(coord))
	fetched, err := gc.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
	if err != nil {
		t.Fatal(err)
	}
	last := map[int32]int64{}
	for _, o := range fetched.GetOffsets() {
		last[o.GetPartition()] = o.GetOffset()
	}

	other := coord%3 + 1
	oc := sluicev1.NewGroupCoordinatorServiceClient(c.conn(other))
	stopAt := time.Now()
	c.stop(coord)
	stopped := time.Since(stopAt)
	for {
		resp, err := oc.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
		if err == nil {
			got := map[int32]int64{}
			for _, o := range resp.GetOffsets() {
				got[o.GetPartition()] = o.GetOffset()
			}
			for p, o := range last {
				if got[p] != o {
					t.Fatalf("after the failover partition %d is at %d; the last commit was %d", p, got[p], o)
				}
			}
			break
		}
		if time.Since(stopAt) > 2*time.Minute {
			t.Fatalf("no coordinator 2 minutes after the shutdown: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("coordinator failover after %d commits: %v (of which shutting the old one down %v)",
		done, time.Since(stopAt).Round(time.Millisecond), stopped.Round(time.Millisecond))
}
