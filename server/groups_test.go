package server_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// member is a raw MemberSession stream in a test.
type member struct {
	t      *testing.T
	stream grpc.BidiStreamingClient[sluicev1.MemberSessionRequest, sluicev1.MemberSessionResponse]
	cancel context.CancelFunc
	id     string
	gen    int64
	owned  []int32
}

func join(t *testing.T, client sluicev1.GroupCoordinatorServiceClient, j *sluicev1.JoinGroup) *member {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	stream, err := client.MemberSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Join{Join: j}}); err != nil {
		t.Fatal(err)
	}
	m := &member{t: t, stream: stream, cancel: cancel}
	m.next() // the first message names the member
	return m
}

// next receives one message and applies it: an assignment replaces what the
// member owns; a revocation is confirmed at once.
func (m *member) next() *sluicev1.MemberSessionResponse {
	m.t.Helper()
	msg, err := recvTimeout(m.t, m.stream.Recv)
	if err != nil {
		m.t.Fatalf("member session: %v", err)
	}
	switch k := msg.GetKind().(type) {
	case *sluicev1.MemberSessionResponse_Assignment:
		m.id, m.gen = k.Assignment.GetMemberId(), k.Assignment.GetGeneration()
		m.owned = nil
		for _, tp := range k.Assignment.GetPartitions() {
			m.owned = append(m.owned, tp.GetPartitions()...)
		}
	case *sluicev1.MemberSessionResponse_Revocation:
		err := m.stream.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_RevocationDone{
			RevocationDone: &sluicev1.RevocationDone{Partitions: k.Revocation.GetPartitions()},
		}})
		if err != nil {
			m.t.Fatal(err)
		}
	}
	return msg
}

// until applies messages until the member owns want partitions.
func (m *member) until(want int) {
	m.t.Helper()
	for len(m.owned) != want {
		m.next()
	}
}

func commit(client sluicev1.GroupCoordinatorServiceClient, group, member string, gen int64, topic string, offsets map[int32]int64) error {
	req := &sluicev1.CommitOffsetsRequest{GroupId: group, MemberId: member, Generation: gen}
	for p, o := range offsets {
		req.Offsets = append(req.Offsets, &sluicev1.CommittedOffset{Topic: topic, Partition: p, Offset: o})
	}
	_, err := client.CommitOffsets(context.Background(), req)
	return err
}

// TestGroupRebalanceAndFencing: two members share a topic's partitions,
// cooperatively (the second member gets its half only after the first gave
// it up); a commit from the first generation is then refused naming both
// generations; the current generation's commit is stored and fetched back.
func TestGroupRebalanceAndFencing(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 4)
	gc := b.GroupClient
	j := &sluicev1.JoinGroup{GroupId: "g", Topics: []string{"t"}, SessionTimeoutMs: 5000}
	a := join(t, gc, j)
	a.until(4)
	gen1 := a.gen
	if err := commit(gc, "g", a.id, gen1, "t", map[int32]int64{0: 1}); err != nil {
		t.Fatalf("commit of the current generation: %v", err)
	}
	bm := join(t, gc, j)
	a.until(2)
	bm.until(2)
	if slices.ContainsFunc(a.owned, func(p int32) bool { return slices.Contains(bm.owned, p) }) {
		t.Fatalf("partitions owned twice: %v and %v", a.owned, bm.owned)
	}
	for a.gen != bm.gen {
		a.next()
	}
	err := commit(gc, "g", a.id, gen1, "t", map[int32]int64{a.owned[0]: 5})
	st := checkStatus(t, err, codes.FailedPrecondition, "generation")
	t.Logf("stale commit refused: %s", st.Message())
	if err := commit(gc, "g", "nobody", a.gen, "t", map[int32]int64{0: 5}); err == nil {
		t.Fatal("a commit from an unknown member was accepted")
	}
	if err := commit(gc, "g", a.id, a.gen, "t", map[int32]int64{a.owned[0]: 7}); err != nil {
		t.Fatalf("commit of the current generation: %v", err)
	}
	got, err := gc.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range got.GetOffsets() {
		if o.GetPartition() == a.owned[0] && o.GetOffset() == 7 {
			found = true
		}
	}
	if !found {
		t.Fatalf("FetchOffsets = %v; want partition %d at 7", got.GetOffsets(), a.owned[0])
	}
}

// TestDescribeGroupLag: the lag DescribeGroup reports is the log end offset
// minus the committed offset; delete and reset are refused while the group
// has members and work once it is empty.
func TestDescribeGroupLag(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	b.Produce(t, "t", 0, valueRecords("a", 10)...)
	b.Produce(t, "t", 1, valueRecords("b", 4)...)
	gc := b.GroupClient
	m := join(t, gc, &sluicev1.JoinGroup{GroupId: "g", Topics: []string{"t"}})
	m.until(2)
	if err := commit(gc, "g", m.id, m.gen, "t", map[int32]int64{0: 3, 1: 4}); err != nil {
		t.Fatal(err)
	}
	d, err := gc.DescribeGroup(t.Context(), &sluicev1.DescribeGroupRequest{GroupId: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if d.GetState() != "Stable" || len(d.GetMembers()) != 1 {
		t.Fatalf("describe = %v", d)
	}
	want := []*sluicev1.PartitionLag{
		{Topic: "t", Partition: 0, CommittedOffset: 3, LogEndOffset: 10, Lag: 7},
		{Topic: "t", Partition: 1, CommittedOffset: 4, LogEndOffset: 4, Lag: 0},
	}
	if !slices.EqualFunc(d.GetPartitions(), want, func(a, b *sluicev1.PartitionLag) bool { return proto.Equal(a, b) }) {
		t.Fatalf("partitions = %v, want %v", d.GetPartitions(), want)
	}
	_, err = gc.DeleteGroup(t.Context(), &sluicev1.DeleteGroupRequest{GroupId: "g"})
	checkStatus(t, err, codes.FailedPrecondition, "member")
	_, err = gc.ResetOffsets(t.Context(), &sluicev1.ResetOffsetsRequest{GroupId: "g", Topic: "t", To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}})
	checkStatus(t, err, codes.FailedPrecondition, "member")

	if err := m.stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	servertest.WaitFor(t, 5*time.Second, func() bool {
		d, err := gc.DescribeGroup(t.Context(), &sluicev1.DescribeGroupRequest{GroupId: "g"})
		return err == nil && d.GetState() == "Empty"
	})
	reset, err := gc.ResetOffsets(t.Context(), &sluicev1.ResetOffsetsRequest{GroupId: "g", Topic: "t",
		To: &sluicev1.ResetOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}})
	if err != nil {
		t.Fatal(err)
	}
	if len(reset.GetOffsets()) != 2 || reset.GetOffsets()[0].GetOffset() != 10 || reset.GetOffsets()[1].GetOffset() != 4 {
		t.Fatalf("reset to latest = %v", reset.GetOffsets())
	}
	if _, err := gc.DeleteGroup(t.Context(), &sluicev1.DeleteGroupRequest{GroupId: "g"}); err != nil {
		t.Fatal(err)
	}
	_, err = gc.DescribeGroup(t.Context(), &sluicev1.DescribeGroupRequest{GroupId: "g"})
	checkStatus(t, err, codes.NotFound)
	topics, err := b.AdminClient.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{})
	if err != nil || len(topics.GetTopics()) != 1 {
		t.Fatalf("ListTopics = %v, %v; want only t", topics, err)
	}
	if _, err = b.TryProduce(t.Context(), "__consumer_offsets", 0, valueRecords("x", 1)...); err == nil || !strings.Contains(err.Error(), "internal") {
		t.Fatalf("produce to the offsets topic: %v; want a refusal", err)
	}
}

// TestOffsetsTopicCannotBeAlteredOrRepartitioned: the offsets topic keeps its
// unlimited retention (groups are rebuilt by replaying it) and its partition
// count (a group lives in the partition its id hashes to); every admin call
// that would change either is refused, naming the topic.
func TestOffsetsTopicCannotBeAlteredOrRepartitioned(t *testing.T) {
	b := servertest.Start(t)
	// A group request makes the coordinator create the offsets topic.
	if _, err := b.GroupClient.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"}); err != nil {
		t.Fatal(err)
	}
	admin := b.AdminClient
	before, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "__consumer_offsets"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "__consumer_offsets", DeleteConfigs: []string{"retention.ms"}})
	checkStatus(t, err, codes.InvalidArgument, "__consumer_offsets", "internal")
	_, err = admin.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "__consumer_offsets", SetConfigs: map[string]string{"retention.ms": "1000"}})
	checkStatus(t, err, codes.InvalidArgument, "__consumer_offsets", "internal")
	n := int32(len(before.GetTopic().GetPartitions()))
	_, err = admin.CreatePartitions(t.Context(), &sluicev1.CreatePartitionsRequest{Name: "__consumer_offsets", Partitions: n + 1})
	checkStatus(t, err, codes.InvalidArgument, "__consumer_offsets", "partition count")
	_, err = admin.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "__consumer_offsets"})
	checkStatus(t, err, codes.InvalidArgument, "__consumer_offsets", "internal")

	after, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "__consumer_offsets"})
	if err != nil {
		t.Fatal(err)
	}
	if a, bf := after.GetTopic(), before.GetTopic(); len(a.GetPartitions()) != int(n) || a.GetTopicId() != bf.GetTopicId() || !maps.Equal(a.GetConfigs(), bf.GetConfigs()) {
		t.Fatalf("offsets topic changed: %d partitions, configs %v, id %s; was %d, %v, %s",
			len(a.GetPartitions()), a.GetConfigs(), a.GetTopicId(), n, bf.GetConfigs(), bf.GetTopicId())
	}
	if got := after.GetTopic().GetConfigs()["retention.ms"]; got != "-1" {
		t.Fatalf("offsets topic retention.ms = %q; want -1", got)
	}
}

// TestCommitsOnlyForPartitionsThatExist: a commit naming a topic or a
// partition that does not exist is refused, naming it, and nothing of it is
// stored; a commit for a real partition is.
func TestCommitsOnlyForPartitionsThatExist(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	gc := b.GroupClient
	checkStatus(t, commit(gc, "g", "", 0, "missing", map[int32]int64{0: 1}), codes.NotFound, "offsets[0]", `"missing"`)
	checkStatus(t, commit(gc, "g", "", 0, "t", map[int32]int64{5: 1}), codes.NotFound, "offsets[0]", "partition 5 does not exist")
	if err := commit(gc, "g", "", 0, "t", map[int32]int64{1: 3}); err != nil {
		t.Fatalf("commit to t/1: %v", err)
	}
	got, err := gc.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
	if err != nil {
		t.Fatal(err)
	}
	want := []*sluicev1.CommittedOffset{{Topic: "t", Partition: 1, Offset: 3}}
	if !slices.EqualFunc(got.GetOffsets(), want, func(a, b *sluicev1.CommittedOffset) bool { return proto.Equal(a, b) }) {
		t.Fatalf("FetchOffsets = %v; want only %v", got.GetOffsets(), want)
	}
}

// TestResetOffsetsClampsToTheLog: reset-offsets to an offset outside a
// partition's log commits the nearest end of the log instead (as Kafka's
// kafka-consumer-groups --to-offset does), below the log start as above the
// high watermark, so the group never holds a position it cannot read from.
func TestResetOffsetsClampsToTheLog(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(cfg *server.Config) { cfg.RetentionCheckInterval = 20 * time.Millisecond }))
	// retention.bytes=1: a segment ends every 64 KiB (the smallest), and
	// retention removes all but the newest.
	b.CreateTopic(t, "t", 2, "retention.bytes", "1")
	big := make([]byte, 20<<10)
	for range 12 {
		b.Produce(t, "t", 0, &sluicev1.Record{Value: big})
	}
	b.Produce(t, "t", 1, valueRecords("b", 4)...)
	servertest.WaitFor(t, 10*time.Second, func() bool {
		return listOffset(t, b.Conn, "t", sluicev1.Boundary_BOUNDARY_EARLIEST) > 2
	})
	reset := func(offset int64) []int64 {
		t.Helper()
		resp, err := b.GroupClient.ResetOffsets(t.Context(), &sluicev1.ResetOffsetsRequest{GroupId: "g", Topic: "t",
			To: &sluicev1.ResetOffsetsRequest_Offset{Offset: offset}})
		if err != nil {
			t.Fatal(err)
		}
		fetched, err := b.GroupClient.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for i, o := range resp.GetOffsets() {
			if f := fetched.GetOffsets()[i]; f.GetPartition() != o.GetPartition() || f.GetOffset() != o.GetOffset() {
				t.Fatalf("reset answered %v but the group holds %v", resp.GetOffsets(), fetched.GetOffsets())
			}
			out = append(out, o.GetOffset())
		}
		return out
	}
	if got := reset(99999); !slices.Equal(got, []int64{12, 4}) {
		t.Fatalf("reset to 99999: offsets %v; want the high watermarks [12 4]", got)
	}
	// Retention may move the log start on meanwhile: the offset set is the
	// log start at some moment of the reset.
	for _, to := range []int64{0, 2} {
		before := listOffset(t, b.Conn, "t", sluicev1.Boundary_BOUNDARY_EARLIEST)
		got := reset(to)
		after := listOffset(t, b.Conn, "t", sluicev1.Boundary_BOUNDARY_EARLIEST)
		if got[0] < before || got[0] > after || got[1] != to {
			t.Fatalf("reset to %d: offsets %v; want partition 0 at its log start (%d to %d while resetting), partition 1 at %d", to, got, before, after, to)
		}
	}
}
