package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func newClusterCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect the cluster",
		Args:  cobra.ArbitraryArgs,
		RunE:  subcommandsOnly,
	}
	cmd.AddCommand(newClusterStatusCmd(g))
	return cmd
}

type clusterStatusOptions struct {
	format   string
	topics   []string
	timeout  time.Duration
	watch    bool
	interval time.Duration
}

func newClusterStatusCmd(g *globalOptions) *cobra.Command {
	o := &clusterStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the brokers, the controller, and every partition's leader, replicas and replica lag",
		Long: "Show the brokers (which one is the controller) and, for every partition, its\n" +
			"leader, its replicas, and each replica's high watermark and lag. Each broker\n" +
			"is asked about its own replicas (DescribeTopic); the leader comes from the\n" +
			"metadata of the broker named by --broker. A replica's lag is the leader's high\n" +
			"watermark minus the replica's, in records. The brokers are asked at the same\n" +
			"time but not at the same instant, so under load a lag is approximate; a\n" +
			"replica that answered ahead of the leader counts as lag 0. In the table a star\n" +
			"marks the leader's replica and ? a figure that is unknown (the summary below\n" +
			"the table says why). --format json gives the same as one JSON object.\n\n" +
			"Partitions that need attention come first: those without a leader, then the\n" +
			"under-replicated ones (fewer replicas in sync than assigned; the leader's\n" +
			"broker says which are in sync), then those whose state is unknown (their\n" +
			"leader's broker did not answer), then the rest.\n\n" +
			"--watch shows it again every --interval until Ctrl-C: on a terminal in\n" +
			"place, otherwise one status after the other (one JSON object per line with\n" +
			"--format json).",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "text" && o.format != "json" {
				return fmt.Errorf("invalid --format %q: want text or json", o.format)
			}
			if o.watch {
				if o.interval <= 0 {
					return fmt.Errorf("invalid --interval %s: must be positive", o.interval)
				}
				return watchClusterStatus(cmd.Context(), g, o, cmd.OutOrStdout())
			}
			st, err := gatherClusterStatus(cmd.Context(), g, o.topics, o.timeout)
			if err != nil {
				return err
			}
			return o.print(cmd.OutOrStdout(), st)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	f.StringArrayVar(&o.topics, "topic", nil, "show only `TOPIC` (repeatable; default all)")
	f.DurationVar(&o.timeout, "timeout", 5*time.Second, "how long to wait for each broker's answers")
	f.BoolVar(&o.watch, "watch", false, "show the status again every --interval until Ctrl-C")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "with --watch: how often to refresh (`D`)")
	return cmd
}

func (o *clusterStatusOptions) print(out io.Writer, st *clusterStatus) error {
	if o.format == "json" {
		return writeJSON(out, st)
	}
	return printClusterStatus(out, st)
}

// watchClusterStatus shows the status every interval until ctx ends
// (Ctrl-C), which is a normal end. On a terminal each status replaces the
// last; elsewhere they follow each other, each text one under a line with
// its time. A broker that cannot be reached is shown as the status (its
// error), and the watch goes on: that is when an operator watches.
func watchClusterStatus(ctx context.Context, g *globalOptions, o *clusterStatusOptions, out io.Writer) error {
	term := isTerminal(out)
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	for {
		st, err := gatherClusterStatus(ctx, g, o.topics, o.timeout)
		if ctx.Err() != nil {
			return nil
		}
		var b bytes.Buffer
		switch {
		case o.format == "json" && err != nil:
			_ = writeJSON(&b, map[string]string{"time": time.Now().UTC().Format(time.RFC3339), "error": errorMessage(err, g.broker)})
		case o.format == "json":
			_ = writeJSON(&b, st)
		default:
			if term {
				b.WriteString("\033[H\033[2J") // home and clear: the new status replaces the last
			}
			fmt.Fprintf(&b, "%s (every %s; Ctrl-C stops)\n", time.Now().Format("2006-01-02 15:04:05"), o.interval)
			if err != nil {
				fmt.Fprintf(&b, "sluice: %s\n", errorMessage(err, g.broker))
			} else {
				_ = printClusterStatus(&b, st)
			}
			if !term {
				b.WriteString("\n")
			}
		}
		if _, err := out.Write(b.Bytes()); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// topicView is one broker's answer to DescribeTopic for one topic.
type topicView struct {
	desc *sluicev1.TopicDescription
	err  error
}

// brokerView is what one broker reported about its own replicas: err when it
// could not be reached at all, otherwise one answer per topic.
type brokerView struct {
	err    error
	topics map[string]topicView
}

// gatherClusterStatus asks the broker of g for the cluster and its metadata,
// then every broker, at once, about its own replicas of the topics.
func gatherClusterStatus(ctx context.Context, g *globalOptions, topics []string, timeout time.Duration) (*clusterStatus, error) {
	conn, err := g.dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	admin := sluicev1.NewAdminServiceClient(conn)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cluster, err := admin.DescribeCluster(cctx, &sluicev1.DescribeClusterRequest{})
	if err != nil {
		return nil, fmt.Errorf("describe cluster: %w", err)
	}
	meta, err := admin.GetMetadata(cctx, &sluicev1.GetMetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("get metadata: %w", err)
	}
	names := make([]string, 0, len(meta.GetTopics()))
	for _, t := range meta.GetTopics() {
		names = append(names, t.GetName())
	}
	views := make(map[uint64]brokerView, len(cluster.GetBrokers()))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, b := range cluster.GetBrokers() {
		wg.Go(func() {
			v := askBroker(ctx, g, b.GetAddress(), names, timeout)
			mu.Lock()
			views[b.GetId()] = v
			mu.Unlock()
		})
	}
	wg.Wait()
	return buildClusterStatus(cluster, meta, views), nil
}

// askBroker asks the broker at addr to describe each topic. A broker that
// does not answer the first question is not asked the others.
func askBroker(ctx context.Context, g *globalOptions, addr string, topics []string, timeout time.Duration) brokerView {
	conn, err := g.dialAddr(addr)
	if err != nil {
		return brokerView{err: err}
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	admin := sluicev1.NewAdminServiceClient(conn)
	if _, err := admin.DescribeCluster(ctx, &sluicev1.DescribeClusterRequest{}); err != nil {
		return brokerView{err: err}
	}
	v := brokerView{topics: make(map[string]topicView, len(topics))}
	for _, name := range topics {
		resp, err := admin.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: name})
		v.topics[name] = topicView{desc: resp.GetTopic(), err: err}
	}
	return v
}

// clusterStatus is the result of cluster status, also its JSON form.
type clusterStatus struct {
	ClusterID    string            `json:"cluster_id"`
	ControllerID uint64            `json:"controller_id"`
	Brokers      []brokerStatus    `json:"brokers"`
	Partitions   []partitionStatus `json:"partitions"`
}

type brokerStatus struct {
	ID         uint64 `json:"id"`
	Address    string `json:"address"`
	Rack       string `json:"rack"`
	Controller bool   `json:"controller"`
	// Error says why the broker did not answer; empty when it did.
	Error string `json:"error,omitempty"`
}

type partitionStatus struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// State is what an operator looks at first: leaderless, under-replicated,
	// unknown (the leader's broker did not say which replicas are in sync)
	// or ok.
	State string `json:"state"`
	// LeaderID is 0 while no leader is known.
	LeaderID   uint64   `json:"leader_id"`
	ReplicaIDs []uint64 `json:"replica_ids"`
	// InSyncReplicaIDs are the replicas the leader's broker reports in sync
	// (the leader included); null when unknown.
	InSyncReplicaIDs []uint64        `json:"in_sync_replica_ids"`
	Replicas         []replicaStatus `json:"replicas"`
}

// The partition states, in the order cluster status lists them.
const (
	stateLeaderless      = "leaderless"
	stateUnderReplicated = "under-replicated"
	stateUnknown         = "unknown"
	stateOK              = "ok"
)

var stateOrder = map[string]int{stateLeaderless: 0, stateUnderReplicated: 1, stateUnknown: 2, stateOK: 3}

// replicaStatus is one broker's replica of a partition as that broker
// reported it. The offsets are nil when the broker did not answer.
type replicaStatus struct {
	BrokerID uint64 `json:"broker_id"`
	Leader   bool   `json:"leader"`
	// InSync is whether the leader counts this replica in sync; null when
	// unknown.
	InSync         *bool  `json:"in_sync"`
	HighWatermark  *int64 `json:"high_watermark"`
	LogStartOffset *int64 `json:"log_start_offset"`
	// Lag is the leader's high watermark minus this replica's, at least 0;
	// nil when either is unknown.
	Lag   *int64 `json:"lag"`
	Error string `json:"error,omitempty"`
}

// buildClusterStatus joins the cluster description, the metadata (leaders
// and replica sets) and each broker's report on its own replicas, and
// computes each replica's lag behind its leader.
func buildClusterStatus(cluster *sluicev1.DescribeClusterResponse, meta *sluicev1.GetMetadataResponse,
	views map[uint64]brokerView) *clusterStatus {
	st := &clusterStatus{
		ClusterID: cluster.GetClusterId(), ControllerID: cluster.GetControllerId(),
		Brokers: []brokerStatus{}, Partitions: []partitionStatus{},
	}
	for _, b := range cluster.GetBrokers() {
		bs := brokerStatus{ID: b.GetId(), Address: b.GetAddress(), Rack: b.GetRack(), Controller: b.GetId() == cluster.GetControllerId()}
		if v, ok := views[b.GetId()]; !ok {
			bs.Error = "not asked"
		} else if v.err != nil {
			bs.Error = statusMessage(v.err)
		}
		st.Brokers = append(st.Brokers, bs)
	}
	slices.SortFunc(st.Brokers, func(a, b brokerStatus) int { return cmp.Compare(a.ID, b.ID) })
	topics := slices.Clone(meta.GetTopics())
	slices.SortFunc(topics, func(a, b *sluicev1.TopicMetadata) int { return cmp.Compare(a.GetName(), b.GetName()) })
	for _, t := range topics {
		for _, p := range t.GetPartitions() {
			st.Partitions = append(st.Partitions, partitionStatusOf(t.GetName(), p, views))
		}
	}
	// Those that need attention first; by topic and partition within a state.
	slices.SortStableFunc(st.Partitions, func(a, b partitionStatus) int {
		return cmp.Compare(stateOrder[a.State], stateOrder[b.State])
	})
	return st
}

func partitionStatusOf(topic string, p *sluicev1.PartitionMetadata, views map[uint64]brokerView) partitionStatus {
	ps := partitionStatus{
		Topic: topic, Partition: p.GetPartition(), LeaderID: p.GetLeaderId(),
		ReplicaIDs: slices.Clone(p.GetReplicaIds()), Replicas: []replicaStatus{},
	}
	if ps.ReplicaIDs == nil {
		ps.ReplicaIDs = []uint64{}
	}
	for _, id := range p.GetReplicaIds() {
		rs := replicaStatus{BrokerID: id, Leader: id == ps.LeaderID}
		rs.HighWatermark, rs.LogStartOffset, rs.Error = replicaOffsets(views, id, topic, p.GetPartition())
		ps.Replicas = append(ps.Replicas, rs)
	}
	var leaderHW *int64
	for _, rs := range ps.Replicas {
		if rs.Leader {
			leaderHW = rs.HighWatermark
		}
	}
	for i := range ps.Replicas {
		ps.Replicas[i].Lag = lag(leaderHW, ps.Replicas[i].HighWatermark)
	}
	ps.InSyncReplicaIDs = inSyncReplicas(views, ps.LeaderID, topic, p.GetPartition())
	switch {
	case ps.LeaderID == 0:
		ps.State = stateLeaderless
	case ps.InSyncReplicaIDs == nil:
		ps.State = stateUnknown
	case len(ps.InSyncReplicaIDs) < len(ps.ReplicaIDs):
		ps.State = stateUnderReplicated
	default:
		ps.State = stateOK
	}
	if ps.InSyncReplicaIDs != nil {
		for i := range ps.Replicas {
			ps.Replicas[i].InSync = new(slices.Contains(ps.InSyncReplicaIDs, ps.Replicas[i].BrokerID))
		}
	}
	return ps
}

// inSyncReplicas is what the leader's broker reported as the partition's
// in-sync replicas; nil when it did not (it did not answer, or it is a
// broker that does not report them).
func inSyncReplicas(views map[uint64]brokerView, leader uint64, topic string, partition int32) []uint64 {
	tv, ok := views[leader].topics[topic]
	if leader == 0 || !ok || tv.err != nil {
		return nil
	}
	for _, pd := range tv.desc.GetPartitions() {
		if pd.GetPartition() == partition && len(pd.GetInSyncReplicaIds()) > 0 {
			return slices.Clone(pd.GetInSyncReplicaIds())
		}
	}
	return nil
}

// replicaOffsets finds what broker id reported about its replica of the
// partition: its high watermark and log start, or why they are unknown.
func replicaOffsets(views map[uint64]brokerView, id uint64, topic string, partition int32) (hw, logStart *int64, why string) {
	v, ok := views[id]
	switch {
	case !ok:
		return nil, nil, fmt.Sprintf("broker %d is not in the cluster's broker list", id)
	case v.err != nil:
		return nil, nil, fmt.Sprintf("broker %d did not answer", id)
	}
	tv, ok := v.topics[topic]
	switch {
	case !ok:
		return nil, nil, fmt.Sprintf("broker %d was not asked about topic %s", id, topic)
	case tv.err != nil:
		return nil, nil, fmt.Sprintf("broker %d: %s", id, statusMessage(tv.err))
	}
	for _, pd := range tv.desc.GetPartitions() {
		if pd.GetPartition() == partition {
			return new(pd.GetHighWatermark()), new(pd.GetLogStartOffset()), ""
		}
	}
	return nil, nil, fmt.Sprintf("broker %d does not know partition %d", id, partition)
}

// lag is leaderHW - hw, or nil if either is unknown. The brokers answer at
// slightly different moments, so a replica may seem ahead of its leader:
// that counts as no lag.
func lag(leaderHW, hw *int64) *int64 {
	if leaderHW == nil || hw == nil {
		return nil
	}
	return new(max(*leaderHW-*hw, 0))
}

// statusMessage is a gRPC error's message without Go's "rpc error: code = ..."
// wrapping; other errors as they are.
func statusMessage(err error) string {
	if st, ok := status.FromError(err); ok && st.Message() != "" {
		if reason, ok := connectFailure(st.Message()); ok && st.Code() == codes.Unavailable {
			return "cannot connect: " + reason
		}
		if st.Code() == codes.Unavailable && lostConnection(st.Message()) {
			return "the connection was lost"
		}
		if st.Code() == codes.DeadlineExceeded {
			return "no answer within --timeout"
		}
		return st.Message()
	}
	return err.Error()
}
