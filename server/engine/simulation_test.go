package engine_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// The seeded simulation: three engines over the in-memory network, driven
// through a schedule drawn from a seed of proposals, message loss, delay,
// isolation, one-way cuts and crash-restarts, then healed. Whatever the
// schedule, an entry any replica applied is never lost, no entry applies
// twice, and the replicas converge once the faults are gone.
//
// The schedule replays exactly from its seed; the goroutines' interleaving
// does not, so a failure found by one seed may need a few runs of it.
//
//	SLUICE_SIM_SEEDS  how many seeds to run (default 12); SLUICE_SIM_SEED  run this one only

const simSteps = 40

func simSeeds(t *testing.T) []uint64 {
	if s := os.Getenv("SLUICE_SIM_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SLUICE_SIM_SEED=%q", s)
		}
		return []uint64{n}
	}
	n := 12
	if s := os.Getenv("SLUICE_SIM_SEEDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("SLUICE_SIM_SEEDS=%q", s)
		}
	}
	base := uint64(time.Now().UnixNano() % 1_000_000)
	out := make([]uint64, n)
	for i := range out {
		out[i] = base + uint64(i)
	}
	return out
}

func TestSeededSimulationLosesNoAppliedEntry(t *testing.T) {
	for _, seed := range simSeeds(t) {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			t.Logf("replay: SLUICE_SIM_SEED=%d go test -run TestSeededSimulationLosesNoAppliedEntry ./server/engine/", seed)
			simulate(t, seed)
		})
	}
}

// simAction is one step of a schedule.
type simAction struct {
	kind  string // propose, drop, delay, isolate, cut, heal, crash, restart
	node  uint64
	other uint64
	n     int
	p     float64
	d     time.Duration
}

func (a simAction) String() string {
	return fmt.Sprintf("%s(node %d, other %d, n %d, p %.2f, d %v)", a.kind, a.node, a.other, a.n, a.p, a.d)
}

// simSchedule draws the steps of a seed.
func simSchedule(seed uint64) []simAction {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []simAction
	for range simSteps {
		node, other := uint64(rng.IntN(3)+1), uint64(rng.IntN(3)+1)
		switch r := rng.IntN(20); {
		case r < 8:
			out = append(out, simAction{kind: "propose", n: 1 + rng.IntN(20)})
		case r < 10:
			out = append(out, simAction{kind: "drop", p: rng.Float64() * 0.5})
		case r < 11:
			out = append(out, simAction{kind: "delay", d: time.Duration(rng.IntN(30)) * time.Millisecond})
		case r < 13:
			out = append(out, simAction{kind: "isolate", node: node})
		case r < 14:
			out = append(out, simAction{kind: "cut", node: node, other: other})
		case r < 17:
			out = append(out, simAction{kind: "heal"})
		case r < 19:
			out = append(out, simAction{kind: "crash", node: node})
		default:
			out = append(out, simAction{kind: "restart"})
		}
	}
	return out
}

func TestSimScheduleReplaysFromItsSeed(t *testing.T) {
	if fmt.Sprint(simSchedule(7)) != fmt.Sprint(simSchedule(7)) {
		t.Fatal("seed 7 gave two schedules")
	}
	if fmt.Sprint(simSchedule(7)) == fmt.Sprint(simSchedule(8)) {
		t.Fatal("seeds 7 and 8 gave the same schedule")
	}
}

func simulate(t *testing.T, seed uint64) {
	c := newCluster(t, 3)
	dropRng := rand.New(rand.NewPCG(seed, 2))
	var dropMu sync.Mutex
	seen := map[string]bool{} // every entry some replica applied
	// A restarted node's state machine resumes after its last applied
	// entry, so a node's whole log is what its earlier lives applied
	// followed by what this one did.
	earlier := map[uint64][][]byte{}
	logOf := func(id uint64) [][]byte {
		_, data := c.nodes[id].sm.Snapshot()
		return append(slices.Clone(earlier[id]), data...)
	}
	record := func() {
		for id := range c.nodes {
			for _, d := range logOf(id) {
				seen[string(d)] = true
			}
		}
	}
	next := 0
	down := map[uint64]bool{}
	for step, a := range simSchedule(seed) {
		switch a.kind {
		case "propose":
			for _, nd := range c.nodes {
				if l, _ := nd.sm.Snapshot(); l == nd.id {
					for range a.n {
						nd.sm.Propose([]byte(fmt.Sprintf("s%d-%d", step, next)))
						next++
					}
					break
				}
			}
		case "drop":
			p := a.p
			c.net.SetDrop(func(_, _ uint64, _ *raftpb.Message) bool {
				dropMu.Lock()
				defer dropMu.Unlock()
				return dropRng.Float64() < p
			})
		case "delay":
			c.net.SetDelay(a.d)
		case "isolate":
			c.net.Isolate(a.node)
		case "cut":
			if a.node != a.other {
				c.net.CutLink(a.node, a.other)
			}
		case "heal":
			c.net.Heal()
			c.net.SetDrop(nil)
			c.net.SetDelay(0)
		case "crash":
			if len(down) == 0 && c.nodes[a.node] != nil { // one at a time: a majority stays
				// Read the log after the engine stopped: until then it may
				// apply more, which its next life would not repeat.
				sm, before := c.nodes[a.node].sm, earlier[a.node]
				c.crash(a.node)
				_, data := sm.Snapshot()
				earlier[a.node] = append(slices.Clone(before), data...)
				down[a.node] = true
			}
		case "restart":
			for id := range down {
				c.start(id, 3)
				delete(down, id)
			}
		}
		time.Sleep(20 * time.Millisecond) // let the step act before the next
		record()
	}
	c.net.Heal()
	c.net.SetDrop(nil)
	c.net.SetDelay(0)
	for id := range down {
		c.start(id, 3)
	}
	lead := c.leader(1, 2, 3)
	c.nodes[lead].sm.Propose([]byte("final")) // commits everything before it
	var final [][]byte
	deadline := time.Now().Add(20 * time.Second)
	for {
		final = logOf(1)
		if slices.ContainsFunc(final, func(d []byte) bool { return string(d) == "final" }) &&
			slices.EqualFunc(final, logOf(2), bytes.Equal) && slices.EqualFunc(final, logOf(3), bytes.Equal) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("seed %d: the replicas did not converge within 20 s of the heal: %d, %d and %d entries",
				seed, len(logOf(1)), len(logOf(2)), len(logOf(3)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	record()

	crashes := 0
	for _, a := range simSchedule(seed) {
		if a.kind == "crash" {
			crashes++
		}
	}
	t.Logf("seed %d: %d entries proposed, %d in the converged log, up to %d crashes", seed, next, len(final), crashes)
	count := map[string]int{}
	for _, d := range final {
		count[string(d)]++
	}
	for v := range seen {
		if count[v] == 0 {
			t.Errorf("seed %d: %q was applied by a replica and is not in the converged log", seed, v)
		}
	}
	var dups []string
	for v, n := range count {
		if n > 1 {
			dups = append(dups, v)
		}
	}
	slices.Sort(dups)
	if len(dups) > 0 {
		t.Errorf("seed %d: entries applied more than once: %v", seed, dups)
	}
}
