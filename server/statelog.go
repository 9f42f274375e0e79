package server

import (
	"sync"
	"sync/atomic"
)

// The broker logs one line per state change an operator wants to know of
// (docs/architecture.md, "Logs"): a partition's leadership gained or lost
// here, a broker joining or leaving the cluster, retention removing
// records. Group rebalances are logged by the coordinator (server/group),
// failed requests with their request id by the gRPC door (requestid.go).
// No line carries record bytes.
//
// Leadership changes are seen on the raft engine's goroutine, which must
// never wait on a slow stderr: lines are queued, and written by a goroutine
// of the broker's own. A full queue drops lines and says how many.

const stateLogQueue = 4096

type stateLine struct {
	msg   string
	attrs []any
	// group, when not 0, is a partition's raft group: the writer adds the
	// partition's topic and number, which the engine's goroutine does not
	// look up.
	group uint64
}

type stateLog struct {
	lines   chan stateLine
	dropped atomic.Int64

	mu      sync.Mutex
	leading map[uint64]bool // raft groups this broker leads, as last told
	brokers map[uint64]string
}

func (s *stateLog) init() {
	s.lines = make(chan stateLine, stateLogQueue)
	s.leading = map[uint64]bool{}
}

// add queues a line without ever blocking.
func (s *stateLog) add(l stateLine) {
	select {
	case s.lines <- l:
	default:
		s.dropped.Add(1)
	}
}

// noteLeader turns the replicas' leader reports into "gained" and "lost"
// lines. It runs on the raft engine's goroutine.
func (b *Broker) logLeaderChange(group, leader, term uint64) {
	s := &b.states
	s.mu.Lock()
	was := s.leading[group]
	now := leader == b.cfg.NodeID
	if now {
		s.leading[group] = true
	} else {
		delete(s.leading, group)
	}
	s.mu.Unlock()
	switch {
	case now && !was:
		s.add(stateLine{msg: "partition leadership gained", group: group, attrs: []any{"term", term}})
	case was && !now:
		// leader 0: an election is under way, the new leader not known yet.
		s.add(stateLine{msg: "partition leadership lost", group: group, attrs: []any{"term", term, "new_leader", leader}})
	}
}

// logBrokerChanges compares the cluster's brokers with those of the last
// call and logs who joined, left or moved. The first call (the broker's
// start) logs nothing: every broker would have "joined".
func (b *Broker) logBrokerChanges(brokers map[uint64]string) {
	s := &b.states
	s.mu.Lock()
	prev := s.brokers
	s.brokers = brokers
	s.mu.Unlock()
	if prev == nil {
		return
	}
	for id, addr := range brokers {
		old, ok := prev[id]
		switch {
		case !ok:
			s.add(stateLine{msg: "broker joined the cluster", attrs: []any{"broker", id, "addr", addr}})
		case old != addr:
			s.add(stateLine{msg: "broker address changed", attrs: []any{"broker", id, "addr", addr, "was", old}})
		}
	}
	for id, addr := range prev {
		if _, ok := brokers[id]; !ok {
			s.add(stateLine{msg: "broker left the cluster", attrs: []any{"broker", id, "addr", addr}})
		}
	}
}

// writeStateLog writes the queued lines until the broker stops, then what
// is left.
func (b *Broker) writeStateLog() {
	defer b.bg.Done()
	for {
		select {
		case l := <-b.states.lines:
			b.writeStateLine(l)
		case <-b.stopping:
			for {
				select {
				case l := <-b.states.lines:
					b.writeStateLine(l)
				default:
					return
				}
			}
		}
	}
}

func (b *Broker) writeStateLine(l stateLine) {
	if n := b.states.dropped.Swap(0); n > 0 {
		b.log.Warn("state change lines dropped: the log could not keep up", "dropped", n)
	}
	attrs := l.attrs
	if l.group != 0 {
		topic, partition, ok := b.partitionOfGroup(l.group)
		if !ok {
			attrs = append([]any{"group", l.group}, attrs...)
		} else {
			attrs = append([]any{"topic", topic, "partition", partition}, attrs...)
		}
	}
	b.log.Info(l.msg, attrs...)
}

// partitionOfGroup finds the topic and partition of a raft group in the
// metadata.
func (b *Broker) partitionOfGroup(group uint64) (string, int32, bool) {
	for _, t := range b.meta.State().GetTopics() {
		for _, p := range t.GetPartitions() {
			if p.GetGroup() == group {
				return t.GetName(), p.GetPartition(), true
			}
		}
	}
	return "", 0, false
}
