package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// statusFixture is a three-broker cluster with one topic of two partitions:
// partition 0 led by broker 1, whose followers are 5 and 0 records behind;
// partition 1 without a leader. Broker 3 does not answer, and broker 1, the
// leader of partition 0, counts only itself and broker 2 in sync.
func statusFixture() (*sluicev1.DescribeClusterResponse, *sluicev1.GetMetadataResponse, map[uint64]brokerView) {
	cluster := &sluicev1.DescribeClusterResponse{
		ClusterId: "c1", ControllerId: 2,
		Brokers: []*sluicev1.Broker{
			{Id: 3, Address: "127.0.0.1:7073"},
			{Id: 1, Address: "127.0.0.1:7071", Rack: "r1"},
			{Id: 2, Address: "127.0.0.1:7072"},
		},
	}
	meta := &sluicev1.GetMetadataResponse{ControllerId: 2, Topics: []*sluicev1.TopicMetadata{
		{Name: "orders", Partitions: []*sluicev1.PartitionMetadata{
			{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1, 2, 3}},
			{Partition: 1, LeaderId: 0, ReplicaIds: []uint64{2, 1}},
		}},
	}}
	desc := func(hw0, hw1 int64, isr0 ...uint64) topicView {
		return topicView{desc: &sluicev1.TopicDescription{Name: "orders", Partitions: []*sluicev1.PartitionDescription{
			{Partition: 0, HighWatermark: hw0, LogStartOffset: 2, InSyncReplicaIds: isr0},
			{Partition: 1, HighWatermark: hw1},
		}}}
	}
	views := map[uint64]brokerView{
		1: {topics: map[string]topicView{"orders": desc(120, 7, 1, 2)}},
		2: {topics: map[string]topicView{"orders": desc(115, 9)}},
		3: {err: status.Error(codes.Unavailable, "connection refused")},
	}
	return cluster, meta, views
}

func TestBuildClusterStatus(t *testing.T) {
	st := buildClusterStatus(statusFixture())
	if st.ClusterID != "c1" || st.ControllerID != 2 {
		t.Fatalf("cluster %q controller %d", st.ClusterID, st.ControllerID)
	}
	var ids []uint64
	for _, b := range st.Brokers {
		ids = append(ids, b.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[2] != 3 {
		t.Fatalf("brokers not sorted by id: %v", ids)
	}
	if !st.Brokers[1].Controller || st.Brokers[0].Controller || st.Brokers[2].Error != "connection refused" {
		t.Fatalf("brokers = %+v", st.Brokers)
	}
	// The partition without a leader first, then the under-replicated one.
	p0, p1 := st.Partitions[1], st.Partitions[0]
	if p1.Partition != 1 || p1.State != stateLeaderless || p0.Partition != 0 || p0.State != stateUnderReplicated ||
		!slices.Equal(p0.InSyncReplicaIDs, []uint64{1, 2}) || p1.InSyncReplicaIDs != nil {
		t.Fatalf("partitions = %+v", st.Partitions)
	}
	for i, want := range []bool{true, true, false} {
		if r := p0.Replicas[i]; r.InSync == nil || *r.InSync != want {
			t.Errorf("partition 0 replica %d in sync %v, want %v", r.BrokerID, r.InSync, want)
		}
	}
	tests := []struct {
		id     uint64
		leader bool
		hw     *int64
		lag    *int64
		err    string
	}{
		{1, true, new(int64(120)), new(int64(0)), ""},
		{2, false, new(int64(115)), new(int64(5)), ""},
		{3, false, nil, nil, "broker 3 did not answer"},
	}
	for i, tt := range tests {
		r := p0.Replicas[i]
		if r.BrokerID != tt.id || r.Leader != tt.leader || !eqPtr(r.HighWatermark, tt.hw) || !eqPtr(r.Lag, tt.lag) || r.Error != tt.err {
			t.Errorf("partition 0 replica %d = %+v (hw %v lag %v), want %+v", i, r, deref(r.HighWatermark), deref(r.Lag), tt)
		}
	}
	if *p0.Replicas[0].LogStartOffset != 2 {
		t.Errorf("log start = %d, want 2", *p0.Replicas[0].LogStartOffset)
	}
	for _, r := range p1.Replicas {
		if r.HighWatermark == nil || r.Lag != nil || r.InSync != nil {
			t.Errorf("partition 1 (no leader) replica %d: hw %v lag %v; want a high watermark and no lag", r.BrokerID, deref(r.HighWatermark), deref(r.Lag))
		}
	}
}

func eqPtr(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestLag(t *testing.T) {
	tests := []struct {
		name         string
		leader, mine *int64
		want         *int64
	}{
		{"behind", new(int64(10)), new(int64(4)), new(int64(6))},
		{"caught up", new(int64(10)), new(int64(10)), new(int64(0))},
		{"ahead of an earlier answer", new(int64(10)), new(int64(12)), new(int64(0))},
		{"leader unknown", nil, new(int64(3)), nil},
		{"replica unknown", new(int64(3)), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lag(tt.leader, tt.mine); !eqPtr(got, tt.want) {
				t.Errorf("lag = %v, want %v", deref(got), deref(tt.want))
			}
		})
	}
}

func TestReplicaOffsetsReasons(t *testing.T) {
	views := map[uint64]brokerView{
		1: {topics: map[string]topicView{"a": {err: status.Error(codes.NotFound, `topic "a" not found`)}}},
		2: {topics: map[string]topicView{"a": {desc: &sluicev1.TopicDescription{}}}},
		3: {err: errors.New("dial failed")},
		4: {topics: map[string]topicView{}},
	}
	tests := []struct {
		id   uint64
		want string
	}{
		{1, `broker 1: topic "a" not found`},
		{2, "broker 2 does not know partition 0"},
		{3, "broker 3 did not answer"},
		{4, "broker 4 was not asked about topic a"},
		{5, "broker 5 is not in the cluster's broker list"},
	}
	for _, tt := range tests {
		hw, ls, why := replicaOffsets(views, tt.id, "a", 0)
		if hw != nil || ls != nil || why != tt.want {
			t.Errorf("broker %d: hw %v log start %v why %q, want %q", tt.id, deref(hw), deref(ls), why, tt.want)
		}
	}
}

func TestPrintClusterStatus(t *testing.T) {
	var out bytes.Buffer
	if err := printClusterStatus(&out, buildClusterStatus(statusFixture())); err != nil {
		t.Fatal(err)
	}
	want := `Cluster c1, controller 2

BROKER  ADDRESS         RACK  CONTROLLER  STATUS
1       127.0.0.1:7071  r1                ok
2       127.0.0.1:7072  -     yes         ok
3       127.0.0.1:7073  -                 unreachable

TOPIC   PARTITION  STATE             LEADER  REPLICAS  REPLICA  IN SYNC  HIGH WATERMARK  LOG START  LAG
orders  1          leaderless        none    2,1       2        ?        9               0          ?
                                                       1        ?        7               0          ?
orders  0          under-replicated  1       1,2,3     1*       yes      120             2          0
                                                       2        yes      115             2          5
                                                       3        no       ?               ?          ?

2 partitions, 1 without a leader, 1 under-replicated; 1 of 5 replicas behind the leader (furthest: orders partition 0, replica 2, 5 records); lag unknown for 3
broker 3 (127.0.0.1:7073) did not answer: connection refused
partitions without a leader have no lag
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestClusterStatusJSON(t *testing.T) {
	var out bytes.Buffer
	if err := writeJSON(&out, buildClusterStatus(statusFixture())); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Partitions []struct {
			Replicas []map[string]any `json:"replicas"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	r := got.Partitions[1].Replicas
	if r[1]["lag"] != float64(5) || r[1]["high_watermark"] != float64(115) || r[2]["lag"] != nil || r[2]["error"] == nil {
		t.Errorf("replicas = %v", r)
	}
	if _, ok := r[2]["lag"]; !ok {
		t.Error("an unknown lag is left out; want null")
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Error("want one line of JSON")
	}
}

// fakeClusterBroker answers the admin calls of cluster status as one broker
// of a cluster: the same brokers and metadata everywhere, and its own high
// watermark for each partition it hosts.
type fakeClusterBroker struct {
	sluicev1.UnimplementedAdminServiceServer
	id      uint64
	brokers *[]*sluicev1.Broker
	mu      sync.Mutex
	hw      map[int32]int64
}

func (f *fakeClusterBroker) setHW(p int32, hw int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hw[p] = hw
}

func (f *fakeClusterBroker) DescribeCluster(context.Context, *sluicev1.DescribeClusterRequest) (*sluicev1.DescribeClusterResponse, error) {
	return &sluicev1.DescribeClusterResponse{ClusterId: "fake", ControllerId: 1, Brokers: *f.brokers}, nil
}

func (f *fakeClusterBroker) GetMetadata(_ context.Context, req *sluicev1.GetMetadataRequest) (*sluicev1.GetMetadataResponse, error) {
	if len(req.GetTopics()) > 0 && req.GetTopics()[0] != "events" {
		return nil, status.Errorf(codes.NotFound, "topic %q not found", req.GetTopics()[0])
	}
	return &sluicev1.GetMetadataResponse{ControllerId: 1, Brokers: *f.brokers, Topics: []*sluicev1.TopicMetadata{{
		Name: "events", Partitions: []*sluicev1.PartitionMetadata{
			{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1, 2, 3}},
			{Partition: 1, LeaderId: 2, ReplicaIds: []uint64{2, 3, 1}},
		},
	}}}, nil
}

func (f *fakeClusterBroker) DescribeTopic(_ context.Context, req *sluicev1.DescribeTopicRequest) (*sluicev1.DescribeTopicResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := &sluicev1.TopicDescription{Name: req.GetName()}
	for p := range int32(2) {
		d.Partitions = append(d.Partitions, &sluicev1.PartitionDescription{Partition: p, HighWatermark: f.hw[p]})
	}
	return &sluicev1.DescribeTopicResponse{Topic: d}, nil
}

func TestClusterStatusCommand(t *testing.T) {
	var brokers []*sluicev1.Broker
	hws := []map[int32]int64{{0: 100, 1: 40}, {0: 90, 1: 50}, {0: 100, 1: 50}}
	for i, hw := range hws {
		f := &fakeClusterBroker{id: uint64(i + 1), brokers: &brokers, hw: hw}
		addr := startServer(t, func(s *grpc.Server) { sluicev1.RegisterAdminServiceServer(s, f) })
		brokers = append(brokers, &sluicev1.Broker{Id: f.id, Address: addr})
	}
	res := runCLI(t, nil, "--broker", brokers[2].GetAddress(), "cluster", "status", "--format", "json")
	if res.code != 0 {
		t.Fatalf("cluster status: %+v", res)
	}
	var st clusterStatus
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		t.Fatal(err)
	}
	var lags []int64
	for _, p := range st.Partitions {
		for _, r := range p.Replicas {
			lags = append(lags, *r.Lag)
		}
	}
	// Partition 0 (leader 1, HW 100): brokers 1, 2, 3; partition 1 (leader
	// 2, HW 50): brokers 2, 3, 1.
	if want := []int64{0, 10, 0, 0, 0, 10}; !slices.Equal(lags, want) {
		t.Errorf("lags = %v, want %v", lags, want)
	}
	res = runCLI(t, nil, "--broker", brokers[0].GetAddress(), "cluster", "status", "--topic", "nope")
	if res.code == 0 || !strings.Contains(res.stderr, `topic "nope" not found`) {
		t.Errorf("unknown topic: %+v", res)
	}
	res = runCLI(t, nil, "--broker", brokers[0].GetAddress(), "cluster", "status", "--format", "yaml")
	if res.code == 0 || !strings.Contains(res.stderr, "invalid --format") {
		t.Errorf("--format yaml: %+v", res)
	}
}

// TestClusterStatusListsTroubleFirst: leaderless partitions, then
// under-replicated ones, then those whose in-sync replicas are unknown, then
// the healthy ones, each group by topic and partition.
func TestClusterStatusListsTroubleFirst(t *testing.T) {
	cluster := &sluicev1.DescribeClusterResponse{Brokers: []*sluicev1.Broker{{Id: 1}, {Id: 2}}}
	meta := &sluicev1.GetMetadataResponse{Topics: []*sluicev1.TopicMetadata{
		{Name: "b", Partitions: []*sluicev1.PartitionMetadata{
			{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1, 2}}, // ok
			{Partition: 1, LeaderId: 0, ReplicaIds: []uint64{1, 2}}, // leaderless
			{Partition: 2, LeaderId: 2, ReplicaIds: []uint64{2, 1}}, // unknown: broker 2 does not say
		}},
		{Name: "a", Partitions: []*sluicev1.PartitionMetadata{
			{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1, 2}}, // under-replicated
			{Partition: 1, LeaderId: 1, ReplicaIds: []uint64{1, 2}}, // ok
		}},
	}}
	views := map[uint64]brokerView{
		1: {topics: map[string]topicView{
			"a": {desc: &sluicev1.TopicDescription{Partitions: []*sluicev1.PartitionDescription{
				{Partition: 0, InSyncReplicaIds: []uint64{1}}, {Partition: 1, InSyncReplicaIds: []uint64{1, 2}}}}},
			"b": {desc: &sluicev1.TopicDescription{Partitions: []*sluicev1.PartitionDescription{
				{Partition: 0, InSyncReplicaIds: []uint64{1, 2}}, {Partition: 1}, {Partition: 2}}}},
		}},
		2: {topics: map[string]topicView{
			"a": {desc: &sluicev1.TopicDescription{Partitions: []*sluicev1.PartitionDescription{{Partition: 0}, {Partition: 1}}}},
			"b": {desc: &sluicev1.TopicDescription{Partitions: []*sluicev1.PartitionDescription{{Partition: 0}, {Partition: 1}, {Partition: 2}}}},
		}},
	}
	var got []string
	for _, p := range buildClusterStatus(cluster, meta, views).Partitions {
		got = append(got, fmt.Sprintf("%s/%d %s", p.Topic, p.Partition, p.State))
	}
	want := []string{"b/1 leaderless", "a/0 under-replicated", "b/2 unknown", "a/1 ok", "b/0 ok"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %q\nwant %q", got, want)
	}
}

// cancelAfter is an output that cancels the watch after n writes.
type cancelAfter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	n      int
	cancel context.CancelFunc
	onEach func(i int)
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b.Write(p)
	c.n--
	if c.onEach != nil {
		c.onEach(c.n)
	}
	if c.n == 0 {
		c.cancel()
	}
	return len(p), nil
}

// TestClusterStatusWatchRefreshes: --watch asks the brokers again every
// interval, shows what changed, and ends without error when interrupted; a
// broker that stops answering is shown, and the watch goes on.
func TestClusterStatusWatchRefreshes(t *testing.T) {
	var brokers []*sluicev1.Broker
	fakes := []*fakeClusterBroker{}
	for i := range 3 {
		f := &fakeClusterBroker{id: uint64(i + 1), brokers: &brokers, hw: map[int32]int64{0: 10, 1: 10}}
		fakes = append(fakes, f)
		addr := startServer(t, func(s *grpc.Server) { sluicev1.RegisterAdminServiceServer(s, f) })
		brokers = append(brokers, &sluicev1.Broker{Id: f.id, Address: addr})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelAfter{n: 3, cancel: cancel}
	// After the first status broker 2 has more; the second shows it.
	out.onEach = func(left int) {
		if left == 2 {
			fakes[1].setHW(0, 25)
		}
	}
	g := &globalOptions{broker: brokers[0].GetAddress()}
	o := &clusterStatusOptions{format: "json", timeout: 5 * time.Second, watch: true, interval: 10 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- watchClusterStatus(ctx, g, o, out) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not end when cancelled")
	}
	lines := strings.Split(strings.TrimSpace(out.b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 statuses, one JSON object per line:\n%s", out.b.String())
	}
	hwOf := func(line string) int64 {
		var st clusterStatus
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Partitions {
			for _, r := range p.Replicas {
				if p.Partition == 0 && r.BrokerID == 2 {
					return *r.HighWatermark
				}
			}
		}
		return -1
	}
	if first, last := hwOf(lines[0]), hwOf(lines[2]); first != 10 || last != 25 {
		t.Errorf("broker 2's high watermark of partition 0: first %d, last %d; want 10 then 25", first, last)
	}

	// Text, not on a terminal: statuses follow each other under their time;
	// an unreachable --broker is said in the status and the watch goes on.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	text := &cancelAfter{n: 2, cancel: cancel}
	g = &globalOptions{broker: "127.0.0.1:1"}
	o.format = "text"
	if err := watchClusterStatus(ctx, g, o, text); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(text.b.String(), "sluice: cannot reach the broker at 127.0.0.1:1: connection refused"); n != 2 ||
		strings.Count(text.b.String(), "(every 10ms; Ctrl-C stops)\n") != 2 || strings.Contains(text.b.String(), "\033[") {
		t.Errorf("text watch of an unreachable broker:\n%q", text.b.String())
	}
	if res := runCLI(t, nil, "--broker", brokers[0].GetAddress(), "cluster", "status", "--watch", "--interval", "0s"); res.code != 1 ||
		!strings.Contains(res.stderr, "invalid --interval 0s: must be positive") {
		t.Errorf("--interval 0s: %+v", res)
	}
}

// TestClusterStatusSaysWhyABrokerDidNotAnswer: gRPC's dialing text becomes
// the reason in a few words.
func TestClusterStatusSaysWhyABrokerDidNotAnswer(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:7073: connect: connection refused"`),
			"cannot connect: connection refused"},
		{status.Error(codes.Unavailable, "error reading from server: EOF"), "the connection was lost"},
		{status.Error(codes.DeadlineExceeded, "context deadline exceeded"), "no answer within --timeout"},
		{errors.New("plain"), "plain"},
	} {
		if got := statusMessage(tt.err); got != tt.want {
			t.Errorf("statusMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
