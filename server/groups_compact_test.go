package server_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestCoordinatorReplayIsBounded: the coordinator's log is compacted (its
// groups' state restated, the records before it dropped), so a coordinator
// that takes over replays a bounded log, and rebuilds from it every group's
// last offsets and generation; a deleted group stays deleted.
func TestCoordinatorReplayIsBounded(t *testing.T) {
	const compactAfter = 200
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(cfg *server.Config) {
		cfg.OffsetsPartitions, cfg.OffsetsCompactRecords = 1, compactAfter
	}))
	b.CreateTopic(t, "t", 4)
	gc := b.GroupClient
	// A group with a generation: its member stays while the log is compacted.
	m := join(t, gc, &sluicev1.JoinGroup{GroupId: "live", Topics: []string{"t"}, SessionTimeoutMs: 60000})
	m.until(4)
	want := map[string]map[int32]int64{}
	const commits = 1000
	for i := range commits {
		id := fmt.Sprintf("g%d", i%5)
		p, off := int32(i%4), int64(i)
		if err := commit(gc, id, "", 0, "t", map[int32]int64{p: off}); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		if want[id] == nil {
			want[id] = map[int32]int64{}
		}
		want[id][p] = off
	}
	if err := commit(gc, "live", m.id, m.gen, "t", map[int32]int64{0: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := gc.DeleteGroup(t.Context(), &sluicev1.DeleteGroupRequest{GroupId: "g4"}); err != nil {
		t.Fatal(err)
	}
	delete(want, "g4")
	want["live"] = map[int32]int64{0: 7}

	// The log keeps about compactAfter records beyond the state.
	var start, end int64
	servertest.WaitFor(t, 10*time.Second, func() bool {
		start = listOffset(t, b.Conn, "__consumer_offsets", sluicev1.Boundary_BOUNDARY_EARLIEST)
		end = listOffset(t, b.Conn, "__consumer_offsets", sluicev1.Boundary_BOUNDARY_LATEST)
		return start > 0
	})
	if end-start > 2*compactAfter {
		t.Fatalf("the offsets log holds %d records (%d to %d) after %d commits; want at most %d", end-start, start, end, commits, 2*compactAfter)
	}
	t.Logf("offsets log %d to %d after %d commits", start, end, commits)

	m.cancel()
	b.Restart()
	gc = b.GroupClient
	for id, offs := range want {
		got, err := gc.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.GetOffsets()) != len(offs) {
			t.Fatalf("group %s after the restart: %v; want %v", id, got.GetOffsets(), offs)
		}
		for _, o := range got.GetOffsets() {
			if offs[o.GetPartition()] != o.GetOffset() {
				t.Fatalf("group %s partition %d at %d after the restart; want %d", id, o.GetPartition(), o.GetOffset(), offs[o.GetPartition()])
			}
		}
	}
	_, err := gc.DescribeGroup(t.Context(), &sluicev1.DescribeGroupRequest{GroupId: "g4"})
	checkStatus(t, err, codes.NotFound)
	d, err := gc.DescribeGroup(t.Context(), &sluicev1.DescribeGroupRequest{GroupId: "live"})
	if err != nil {
		t.Fatal(err)
	}
	if d.GetGeneration() != m.gen || len(d.GetMembers()) != 1 || d.GetMembers()[0].GetMemberId() != m.id {
		t.Fatalf("group live after the restart: generation %d members %v; want generation %d with member %s", d.GetGeneration(), d.GetMembers(), m.gen, m.id)
	}
}
