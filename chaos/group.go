package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Group is a consumer group whose members join, leave and are killed while
// the faults run. Each member has a client of its own, so killing one (its
// client closed under it: no leave, no more heartbeats) is what a crashed
// process looks like to the coordinator.
type Group struct {
	c     *Cluster
	id    string
	topic string
	logf  func(string, ...any)

	mu       sync.Mutex
	consumed map[string]int
	commits  map[int32][]int64 // committed offsets seen, in order
	backward []string
	events   []string
	wg       sync.WaitGroup
}

// NewGroup returns a group workload reading topic.
func NewGroup(c *Cluster, id, topic string, logf func(string, ...any)) *Group {
	return &Group{c: c, id: id, topic: topic, logf: logf, consumed: map[string]int{}, commits: map[int32][]int64{}}
}

type member struct {
	name   string
	client *sluice.Client
	gc     *sluice.GroupConsumer
	cancel context.CancelFunc
	done   chan struct{}
}

// start joins a new member that reads until its context ends.
func (g *Group) start(ctx context.Context, name string) (*member, error) {
	client, err := g.c.NewClient()
	if err != nil {
		return nil, err
	}
	gc, err := sluice.NewGroupConsumer(client, sluice.GroupConsumerConfig{Group: g.id, Topics: []string{g.topic}})
	if err != nil {
		client.Close()
		return nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	m := &member{name: name, client: client, gc: gc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for mctx.Err() == nil {
			rec, err := gc.Next(mctx)
			if err != nil {
				if mctx.Err() == nil && !errors.Is(err, sluice.ErrClosed) {
					g.note("%s: %v", name, err)
					sleepUntil(mctx, time.Now().Add(200*time.Millisecond))
				}
				continue
			}
			g.mu.Lock()
			g.consumed[string(rec.Value)]++
			g.mu.Unlock()
		}
	}()
	return m, nil
}

// leave stops the member cleanly: it commits and leaves the group.
func (m *member) leave() {
	m.cancel()
	<-m.done
	_ = m.gc.Close()
	_ = m.client.Close()
}

// kill closes the member's connections first, so it can neither commit
// nor leave: the coordinator notices only when its session times out.
func (m *member) kill() {
	_ = m.client.Close()
	m.cancel()
	<-m.done
	_ = m.gc.Close()
}

func (g *Group) note(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.events) < 1000 {
		g.events = append(g.events, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	}
}

// Run keeps two members in the group and, every 5 to 15 s (drawn from
// seed), has one leave or be killed and a new one join, until ctx ends.
// Then it lets the members drain the topic until done reports every
// acknowledged record consumed (or drain passes), and stops them.
func (g *Group) Run(ctx context.Context, seed uint64, drain time.Duration, done func() bool) error {
	rng := rand.New(rand.NewPCG(seed, 77))
	var members []*member
	next := 0
	join := func() error {
		m, err := g.start(context.Background(), fmt.Sprintf("member-%d", next))
		next++
		if err == nil {
			members = append(members, m)
		}
		return err
	}
	for range 2 {
		if err := join(); err != nil {
			return err
		}
	}
	pollCtx, stopPoll := context.WithCancel(context.Background())
	g.wg.Add(1)
	go g.pollCommits(pollCtx)
	defer func() { stopPoll(); g.wg.Wait() }()
	for sleepUntil(ctx, time.Now().Add(5*time.Second+time.Duration(rng.Int64N(int64(10*time.Second))))) {
		i := rng.IntN(len(members))
		m := members[i]
		members = append(members[:i], members[i+1:]...)
		if rng.IntN(2) == 0 {
			g.logf("group: %s leaves", m.name)
			m.leave()
		} else {
			g.logf("group: %s is killed", m.name)
			m.kill()
		}
		if err := join(); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(drain)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	for _, m := range members {
		m.leave()
	}
	return nil
}

// pollCommits reads the group's committed offsets every half second and
// notes any that moved backwards.
func (g *Group) pollCommits(ctx context.Context) {
	defer g.wg.Done()
	conns := map[uint64]*grpc.ClientConn{}
	for _, b := range g.c.Brokers {
		conn, err := g.c.Conn(b)
		if err != nil {
			return
		}
		defer conn.Close()
		conns[b.ID] = conn
	}
	for sleepUntil(ctx, time.Now().Add(500*time.Millisecond)) {
		for _, b := range g.c.Brokers {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			resp, err := sluicev1.NewGroupCoordinatorServiceClient(conns[b.ID]).FetchOffsets(cctx, &sluicev1.FetchOffsetsRequest{GroupId: g.id})
			cancel()
			if err != nil {
				continue // a broker down or cut off: ask the next
			}
			g.recordCommits(resp.GetOffsets())
			break
		}
	}
}

func (g *Group) recordCommits(offsets []*sluicev1.CommittedOffset) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, o := range offsets {
		if o.GetTopic() != g.topic || o.GetOffset() < 0 {
			continue
		}
		seen := g.commits[o.GetPartition()]
		if n := len(seen); n > 0 && o.GetOffset() < seen[n-1] {
			g.backward = append(g.backward, fmt.Sprintf("%d: %d after %d", o.GetPartition(), o.GetOffset(), seen[n-1]))
		}
		if n := len(seen); n == 0 || seen[n-1] != o.GetOffset() {
			g.commits[o.GetPartition()] = append(seen, o.GetOffset())
		}
	}
}

// Unconsumed lists acknowledged records no member consumed.
func (g *Group) Unconsumed(acks []Ack) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, a := range acks {
		if v := Value(a.Producer, a.Seq); g.consumed[v] == 0 {
			out = append(out, fmt.Sprintf("%d: %s at %d", a.Partition, v, a.Offset))
		}
	}
	return out
}

// Backward lists committed offsets that moved backwards.
func (g *Group) Backward() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.backward...)
}

// Consumed is how many records the members read, redeliveries included.
func (g *Group) Consumed() (distinct, total int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.consumed {
		distinct++
		total += n
	}
	return distinct, total
}
