package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// Kind is a kind of fault.
type Kind string

const (
	// Kill is SIGKILL, then a restart when the fault heals.
	Kill Kind = "kill"
	// Pause is SIGSTOP, then SIGCONT: a process that hangs with its
	// connections open.
	Pause Kind = "pause"
	// Isolate cuts a broker off from every other host, clients included.
	Isolate Kind = "isolate"
	// PartitionLeader cuts a partition's leader off from the other brokers;
	// clients still reach every broker.
	PartitionLeader Kind = "partition-leader"
	// PartitionController does the same to the metadata leader.
	PartitionController Kind = "partition-controller"
	// OneWay loses what a partition's leader sends to the other brokers;
	// what they send it arrives.
	OneWay Kind = "one-way"
	// Loss drops 30% of the packets a broker receives, at random.
	Loss Kind = "loss"
	// DiskFull fills the filesystem of a broker's data directory. The
	// broker is expected to stop (its storage check fails); healing frees
	// the space and starts it again.
	DiskFull Kind = "disk-full"
)

// AllKinds lists every fault kind the nemesis can inject.
var AllKinds = []Kind{Kill, Pause, Isolate, PartitionLeader, PartitionController, OneWay, Loss, DiskFull}

// lossFraction is the share of packets the Loss fault drops.
const lossFraction = 0.3

// Fault is one scheduled fault and, once run, what happened.
type Fault struct {
	Kind Kind
	// At is when the fault begins, from the start of the schedule, and
	// Length how long it lasts.
	At, Length time.Duration
	// Partition names the partition whose leader is the target, when
	// ByLeader; else Broker is the target. Both are drawn from the seed;
	// which broker leads is the cluster's doing.
	ByLeader  bool
	Partition int32
	Broker    uint64

	// Filled in as it runs.
	Target   uint64
	Began    time.Time
	Healed   time.Time
	ApplyErr error
}

func (f *Fault) String() string {
	target := fmt.Sprintf("broker %d", f.Broker)
	if f.ByLeader {
		target = fmt.Sprintf("leader of partition %d", f.Partition)
	}
	if f.Kind == PartitionController {
		target = "the controller"
	}
	return fmt.Sprintf("%s of %s (broker %d) at %v for %v", f.Kind, target, f.Target, f.At.Round(time.Millisecond), f.Length.Round(time.Millisecond))
}

// ScheduleConfig shapes a schedule.
type ScheduleConfig struct {
	Seed       uint64
	Kinds      []Kind
	Brokers    int
	Partitions int32
	// Total is how long the schedule runs; faults start only while it does.
	Total time.Duration
	// Each fault lasts between MinLength and MaxLength; between two
	// faults the cluster runs unharmed for MinGap to MaxGap.
	MinLength, MaxLength time.Duration
	MinGap, MaxGap       time.Duration
}

// Schedule draws faults from the seed: the same seed and configuration
// give the same faults at the same times. Kinds take turns in an order the
// seed shuffles, so a short schedule still has one fault of each kind.
func Schedule(cfg ScheduleConfig) []*Fault {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5deece66d))
	between := func(lo, hi time.Duration) time.Duration {
		if hi <= lo {
			return lo
		}
		return lo + time.Duration(rng.Int64N(int64(hi-lo)))
	}
	var out []*Fault
	var order []Kind
	at := between(cfg.MinGap, cfg.MaxGap)
	for at < cfg.Total {
		if len(order) == 0 {
			order = slices.Clone(cfg.Kinds)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		f := &Fault{Kind: order[0], At: at, Length: between(cfg.MinLength, cfg.MaxLength),
			ByLeader: rng.IntN(3) != 0, Partition: rng.Int32N(cfg.Partitions), Broker: uint64(rng.IntN(cfg.Brokers) + 1)}
		order = order[1:]
		out = append(out, f)
		at += f.Length + between(cfg.MinGap, cfg.MaxGap)
	}
	return out
}

// Nemesis applies and heals faults on a cluster.
type Nemesis struct {
	c      *Cluster
	admin  *sluice.Admin
	topic  string
	logf   func(format string, args ...any)
	active []func() error // heals of the fault in force
}

// NewNemesis returns a nemesis for c that finds leaders of topic's
// partitions through admin.
func NewNemesis(c *Cluster, admin *sluice.Admin, topic string, logf func(string, ...any)) *Nemesis {
	return &Nemesis{c: c, admin: admin, topic: topic, logf: logf}
}

// target resolves who the fault hits now.
func (n *Nemesis) target(ctx context.Context, f *Fault) uint64 {
	switch {
	case f.Kind == PartitionController:
		if cl, err := n.admin.DescribeCluster(ctx); err == nil && cl.ControllerID != 0 {
			return cl.ControllerID
		}
	case f.ByLeader:
		if md, err := n.admin.Metadata(ctx, n.topic); err == nil && len(md.Topics) == 1 {
			for _, p := range md.Topics[0].Partitions {
				if p.Partition == f.Partition && p.LeaderID != 0 {
					return p.LeaderID
				}
			}
		}
	}
	return f.Broker
}

// Apply starts the fault.
func (n *Nemesis) Apply(ctx context.Context, f *Fault) {
	tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	f.Target = n.target(tctx, f)
	cancel()
	f.Began = time.Now()
	victim := n.c.Broker(f.Target)
	var others []*Host
	for _, b := range n.c.Brokers {
		if b != victim {
			others = append(others, b.Host)
		}
	}
	healFirewalls := func() error {
		var first error
		for _, h := range n.c.Net.Hosts {
			if err := h.Heal(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	var err error
	switch f.Kind {
	case Kill:
		victim.Kill()
		n.active = append(n.active, victim.Start)
	case Pause:
		err = victim.Pause()
		n.active = append(n.active, victim.Resume)
	case Isolate:
		n.active = append(n.active, healFirewalls)
		err = victim.Host.DropAll()
		for _, h := range append(others, n.c.Client) {
			err = firstErr(err, h.DropFrom(victim.Host))
		}
	case PartitionLeader, PartitionController:
		n.active = append(n.active, healFirewalls)
		err = victim.Host.DropFrom(others...)
		for _, h := range others {
			err = firstErr(err, h.DropFrom(victim.Host))
		}
	case OneWay:
		n.active = append(n.active, healFirewalls)
		for _, h := range others {
			err = firstErr(err, h.DropFrom(victim.Host))
		}
	case Loss:
		n.active = append(n.active, healFirewalls)
		err = victim.Host.Lose(lossFraction)
	case DiskFull:
		err = victim.FillDisk()
		n.active = append(n.active, victim.FreeDisk, victim.Start) // Start is a no-op if it still runs
	default:
		err = fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	f.ApplyErr = err
	n.logf("%s: fault %s", f.Began.Format("15:04:05.000"), f)
	if err != nil {
		n.logf("  applying it failed: %v", err)
	}
}

// Heal ends the fault in force.
func (n *Nemesis) Heal(f *Fault) error {
	var err error
	for _, h := range n.active {
		err = firstErr(err, h())
	}
	n.active = nil
	f.Healed = time.Now()
	n.logf("%s: healed %s", f.Healed.Format("15:04:05.000"), f.Kind)
	return err
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
