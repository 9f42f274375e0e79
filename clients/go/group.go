package sluice

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

func compareTP(a, b TopicPartition) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// GroupConsumerConfig says which group a GroupConsumer joins and what it reads.
type GroupConsumerConfig struct {
	Group  string
	Topics []string
	// InstanceID makes the member static: one that reconnects with the same
	// id within the session timeout gets its partitions back without a rebalance.
	InstanceID string
	// Assignor is range, roundrobin or sticky (the broker's default, "").
	Assignor string
	// SessionTimeout is how long the coordinator keeps a silent member (0:
	// the broker's default, 10 s); heartbeats go every third of it.
	SessionTimeout time.Duration
	// Reset is where a partition without a committed offset starts, and
	// one whose committed offset is outside its log (Kafka's
	// auto.offset.reset): Earliest (the zero value) or Latest.
	Reset Position
	// AutoCommitInterval is how often Next commits the positions of the
	// records returned before it (1 s); negative turns it off (use Commit).
	AutoCommitInterval time.Duration
	// FetchMaxRecords and FetchMaxBytes bound each fetch response.
	FetchMaxRecords int32
	FetchMaxBytes   int32
	// OnAssigned, when set, is called (from Next) with the member's
	// partitions each time the coordinator assigns them.
	OnAssigned func(generation int64, partitions []TopicPartition)
	// OnRevoked, when set, is called (from Next) with partitions the member
	// gave up, after their positions were committed.
	OnRevoked func(partitions []TopicPartition)
	// OnReset, when set, is told of each partition whose committed offset
	// was outside its log (retention removed the records there) and that
	// restarted from Reset instead. It is called from a reading goroutine:
	// keep it short.
	OnReset func(OffsetReset)
}

// GroupConsumer is a member of a consumer group: the group's coordinator
// assigns it partitions of the subscribed topics, and it reads them from the
// group's committed offsets (or Reset where there is none).
//
// Delivery is at least once: Next commits, every AutoCommitInterval, the
// positions of the records it returned before (so call Next only after
// processing the previous record), and before giving up a partition in a
// rebalance it commits that partition's position, then confirms. A member
// that stops without committing leaves its last records to be read again
// by the partitions' next owner.
//
// Next, Commit and Close are for one goroutine; cancel the context of a
// blocked Next to stop it before Close.
type GroupConsumer struct {
	c   *Client
	cfg GroupConsumerConfig

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	control chan *sluicev1.MemberSessionResponse
	outbox  chan *sluicev1.MemberSessionRequest
	records chan groupRecord

	idMu       sync.Mutex
	memberID   string // for rejoining after the stream broke
	generation int64
	// sessionErr is why the member is not in the group now (the last
	// session's error; nil while joined), guarded by idMu. refused is closed
	// when the coordinator refused the join in a way that resending cannot
	// mend (an invalid session timeout, no permission): Next returns
	// refusal then.
	sessionErr error
	refused    chan struct{}
	refusal    error

	// Owned by the goroutine calling Next.
	owned      map[TopicPartition]bool
	positions  map[TopicPartition]int64
	committed  map[TopicPartition]int64
	readers    map[string]*groupReader
	epoch      int
	lastCommit time.Time
	closed     bool
}

type groupReader struct {
	consumer *Consumer
	epoch    int
	cancel   context.CancelFunc
	done     chan struct{}
}

type groupRecord struct {
	rec   *Record
	err   error
	epoch int
}

// NewGroupConsumer joins a group; the first Next starts the session.
func NewGroupConsumer(c *Client, cfg GroupConsumerConfig) (*GroupConsumer, error) {
	switch {
	case c == nil:
		return nil, errors.New("sluice: NewGroupConsumer needs a Client")
	case cfg.Group == "":
		return nil, errors.New("sluice: GroupConsumerConfig.Group is required")
	case len(cfg.Topics) == 0:
		return nil, errors.New("sluice: GroupConsumerConfig.Topics needs at least one topic")
	case cfg.Reset.kind != posEarliest && cfg.Reset.kind != posLatest:
		return nil, errors.New("sluice: GroupConsumerConfig.Reset must be Earliest or Latest")
	}
	if cfg.AutoCommitInterval == 0 {
		cfg.AutoCommitInterval = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &GroupConsumer{
		c: c, cfg: cfg, ctx: ctx, cancel: cancel,
		control: make(chan *sluicev1.MemberSessionResponse, 64), outbox: make(chan *sluicev1.MemberSessionRequest, 64),
		records: make(chan groupRecord, 256), owned: map[TopicPartition]bool{}, positions: map[TopicPartition]int64{},
		committed: map[TopicPartition]int64{}, readers: map[string]*groupReader{}, lastCommit: time.Now(),
		refused: make(chan struct{}),
	}
	g.wg.Add(1)
	go g.runSession()
	return g, nil
}

// MemberID and Generation are the member's id and generation as last assigned.
func (g *GroupConsumer) MemberID() (string, int64) {
	g.idMu.Lock()
	defer g.idMu.Unlock()
	return g.memberID, g.generation
}

// SessionErr returns why the member is not in its group at the moment: the
// error that ended its last session with the coordinator (it keeps trying
// to rejoin), or nil while it is joined or has not tried yet. Next returns
// the errors that retrying cannot mend itself; this one says why a member
// that gets no records has none.
func (g *GroupConsumer) SessionErr() error {
	g.idMu.Lock()
	defer g.idMu.Unlock()
	return g.sessionErr
}

func (g *GroupConsumer) setSessionErr(err error) {
	g.idMu.Lock()
	g.sessionErr = err
	g.idMu.Unlock()
}

// Assignment returns the partitions the member owns now.
func (g *GroupConsumer) Assignment() []TopicPartition {
	return slices.SortedFunc(maps.Keys(g.owned), compareTP)
}

// Next returns the next record of the member's partitions. It handles the
// coordinator's assignments and revocations and commits as configured. It
// returns ErrClosed after Close and ctx's error when ctx ends first.
func (g *GroupConsumer) Next(ctx context.Context) (*Record, error) {
	if g.closed {
		return nil, ErrClosed
	}
	g.autoCommit(ctx)
	for {
		// Coordinator messages first: a revocation must not wait behind records.
		select {
		case msg := <-g.control:
			if err := g.handle(ctx, msg); err != nil {
				return nil, err
			}
			continue
		default:
		}
		select {
		case msg := <-g.control:
			if err := g.handle(ctx, msg); err != nil {
				return nil, err
			}
		case gr := <-g.records:
			if gr.err != nil {
				return nil, gr.err
			}
			tp := TopicPartition{gr.rec.Topic, gr.rec.Partition}
			r := g.readers[tp.Topic]
			if r == nil || r.epoch != gr.epoch || !g.owned[tp] {
				continue // from a reader replaced since
			}
			g.positions[tp] = gr.rec.Offset + 1
			return gr.rec, nil
		case <-g.refused:
			return nil, g.refusal
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-g.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// Commit commits the position (the offset after the last record Next
// returned) of every owned partition that moved since the last commit.
func (g *GroupConsumer) Commit(ctx context.Context) error {
	return g.commit(ctx, slices.Collect(maps.Keys(g.owned)))
}

func (g *GroupConsumer) autoCommit(ctx context.Context) {
	if g.cfg.AutoCommitInterval < 0 || time.Since(g.lastCommit) < g.cfg.AutoCommitInterval {
		return
	}
	g.lastCommit = time.Now()
	_ = g.Commit(ctx) // retried at the next interval; a failure only means more redelivery
}

func (g *GroupConsumer) commit(ctx context.Context, tps []TopicPartition) error {
	member, gen := g.MemberID()
	req := &sluicev1.CommitOffsetsRequest{GroupId: g.cfg.Group, MemberId: member, Generation: gen}
	for _, tp := range slices.SortedFunc(slices.Values(tps), compareTP) {
		pos, ok := g.positions[tp]
		if !ok || g.committed[tp] == pos {
			continue
		}
		req.Offsets = append(req.Offsets, &sluicev1.CommittedOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: pos})
	}
	if len(req.Offsets) == 0 || member == "" {
		return nil
	}
	err := g.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := sluicev1.NewGroupCoordinatorServiceClient(conn).CommitOffsets(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	for _, o := range req.Offsets {
		g.committed[TopicPartition{o.GetTopic(), o.GetPartition()}] = o.GetOffset()
	}
	return nil
}

// handle applies one message of the coordinator.
func (g *GroupConsumer) handle(ctx context.Context, msg *sluicev1.MemberSessionResponse) error {
	switch k := msg.GetKind().(type) {
	case *sluicev1.MemberSessionResponse_Assignment:
		return g.assign(ctx, k.Assignment)
	case *sluicev1.MemberSessionResponse_Revocation:
		return g.revoke(ctx, k.Revocation)
	}
	return nil
}

// assign makes the member own exactly the partitions assigned: new ones
// start from their committed offset (or Reset), kept ones where they are.
func (g *GroupConsumer) assign(ctx context.Context, a *sluicev1.Assignment) error {
	g.idMu.Lock()
	g.memberID, g.generation = a.GetMemberId(), a.GetGeneration()
	g.idMu.Unlock()
	want := map[TopicPartition]bool{}
	for _, tp := range fromProtoTPs(a.GetPartitions()) {
		want[tp] = true
	}
	changed := map[string]bool{}
	var fresh []TopicPartition
	for tp := range g.owned {
		if !want[tp] { // taken without a revocation: this member was fenced
			delete(g.owned, tp)
			delete(g.positions, tp)
			changed[tp.Topic] = true
		}
	}
	for tp := range want {
		if !g.owned[tp] {
			g.owned[tp] = true
			fresh = append(fresh, tp)
			changed[tp.Topic] = true
		}
	}
	if err := g.startPositions(ctx, fresh); err != nil {
		return err
	}
	for topic := range changed {
		if err := g.restartReader(ctx, topic); err != nil {
			return err
		}
	}
	if g.cfg.OnAssigned != nil {
		g.cfg.OnAssigned(a.GetGeneration(), g.Assignment())
	}
	return nil
}

// startPositions sets where newly owned partitions start: the group's
// committed offset, or Reset.
func (g *GroupConsumer) startPositions(ctx context.Context, tps []TopicPartition) error {
	if len(tps) == 0 {
		return nil
	}
	req := &sluicev1.FetchOffsetsRequest{GroupId: g.cfg.Group, Partitions: toProtoTPs(tps)}
	var resp *sluicev1.FetchOffsetsResponse
	err := g.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewGroupCoordinatorServiceClient(conn).FetchOffsets(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	for _, tp := range tps {
		delete(g.positions, tp)
		delete(g.committed, tp)
	}
	for _, o := range resp.GetOffsets() {
		if o.GetOffset() >= 0 {
			tp := TopicPartition{o.GetTopic(), o.GetPartition()}
			g.positions[tp], g.committed[tp] = o.GetOffset(), o.GetOffset()
		}
	}
	return nil
}

// revoke commits the revoked partitions' positions, stops reading them and
// confirms. A failed commit does not hold the rebalance up: the next owner
// reads again from the last commit, which is at least once.
func (g *GroupConsumer) revoke(ctx context.Context, r *sluicev1.Revocation) error {
	tps := fromProtoTPs(r.GetPartitions())
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_ = g.commit(cctx, tps)
	cancel()
	changed := map[string]bool{}
	for _, tp := range tps {
		if g.owned[tp] {
			changed[tp.Topic] = true
		}
		delete(g.owned, tp)
		delete(g.positions, tp)
		delete(g.committed, tp)
	}
	for topic := range changed {
		if err := g.restartReader(ctx, topic); err != nil {
			return err
		}
	}
	if g.cfg.OnRevoked != nil {
		g.cfg.OnRevoked(tps)
	}
	select {
	case g.outbox <- &sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_RevocationDone{
		RevocationDone: &sluicev1.RevocationDone{Partitions: r.GetPartitions()},
	}}:
	case <-g.ctx.Done():
	}
	return nil
}

// restartReader replaces a topic's reader with one of the partitions owned
// now, each from its position (or its start for new ones). Records of the
// old reader still queued are dropped by their epoch.
func (g *GroupConsumer) restartReader(ctx context.Context, topic string) error {
	g.stopReader(topic)
	var parts []int32
	start := map[int32]Position{}
	for tp := range g.owned {
		if tp.Topic != topic {
			continue
		}
		parts = append(parts, tp.Partition)
		if pos, ok := g.positions[tp]; ok {
			start[tp.Partition] = AtOffset(pos)
		} else {
			start[tp.Partition] = g.cfg.Reset
		}
	}
	if len(parts) == 0 {
		return nil
	}
	slices.Sort(parts)
	// Partitions added since the client's metadata was read must be known
	// to the reader.
	if n, err := g.c.partitionCount(ctx, topic); err != nil || parts[len(parts)-1] >= n {
		if _, err := g.c.Metadata(ctx, topic); err != nil {
			return err
		}
	}
	cons, err := NewConsumer(g.c, ConsumerConfig{
		Topic: topic, Partitions: parts, StartAt: start, Start: g.cfg.Reset, Follow: true, MaxRetries: -1,
		FetchMaxRecords: g.cfg.FetchMaxRecords, FetchMaxBytes: g.cfg.FetchMaxBytes,
		// A committed offset retention has since passed is where Reset applies.
		ResetOutOfRange: true, OnReset: g.cfg.OnReset,
	})
	if err != nil {
		return err
	}
	g.epoch++
	rctx, cancel := context.WithCancel(g.ctx)
	r := &groupReader{consumer: cons, epoch: g.epoch, cancel: cancel, done: make(chan struct{})}
	g.readers[topic] = r
	go g.pump(rctx, r)
	return nil
}

// pump moves a reader's records to Next until the reader stops.
func (g *GroupConsumer) pump(ctx context.Context, r *groupReader) {
	defer close(r.done)
	for {
		rec, err := r.consumer.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return
			}
		}
		select {
		case g.records <- groupRecord{rec: rec, err: err, epoch: r.epoch}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (g *GroupConsumer) stopReader(topic string) {
	r := g.readers[topic]
	if r == nil {
		return
	}
	delete(g.readers, topic)
	r.cancel()
	_ = r.consumer.Close()
	<-r.done
}

// Close commits the positions of the partitions the member owns, leaves the
// group (its partitions go to the other members at once) and stops reading.
func (g *GroupConsumer) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := g.Commit(ctx)
	cancel()
	g.cancel()
	for topic := range g.readers {
		g.stopReader(topic)
	}
	g.wg.Wait()
	if errors.Is(err, ErrClosed) {
		err = nil
	}
	return err
}

func fromProtoTPs(in []*sluicev1.TopicPartitions) []TopicPartition {
	var out []TopicPartition
	for _, t := range in {
		for _, p := range t.GetPartitions() {
			out = append(out, TopicPartition{t.GetTopic(), p})
		}
	}
	return out
}

func toProtoTPs(tps []TopicPartition) []*sluicev1.TopicPartitions {
	byTopic := map[string]*sluicev1.TopicPartitions{}
	var out []*sluicev1.TopicPartitions
	for _, tp := range slices.SortedFunc(slices.Values(tps), compareTP) {
		t := byTopic[tp.Topic]
		if t == nil {
			t = &sluicev1.TopicPartitions{Topic: tp.Topic}
			byTopic[tp.Topic] = t
			out = append(out, t)
		}
		t.Partitions = append(t.Partitions, tp.Partition)
	}
	return out
}
