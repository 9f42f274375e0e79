package engine

import (
	"sync/atomic"
	"time"
)

// What the engine counts, for the broker's metrics. The loop pays an atomic
// add per counter and per histogram observation; everything else (the
// per-group figures below, the quiesced groups) is read when Stats or
// GroupStatus is called, at scrape time. Nothing here imports a metrics
// library: the broker adapts these to Prometheus.

// Histogram bounds (inclusive upper bounds of each bucket; a last bucket
// above the highest bound is implied).
var (
	// DurationBounds are the buckets of cycle and sync durations, in
	// nanoseconds: 50 µs doubling up to about 1.6 s.
	DurationBounds = expBounds(uint64(50*time.Microsecond), 16)
	// CountBounds are the buckets of groups and entries per cycle: 0, then
	// 1 doubling up to 8192.
	CountBounds = append([]uint64{0}, expBounds(1, 14)...)
)

func expBounds(start uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = start << i
	}
	return out
}

// histogram counts observations into fixed buckets with atomics only.
type histogram struct {
	bounds []uint64
	counts []atomic.Uint64 // len(bounds)+1; the last is above every bound
	sum    atomic.Uint64
}

func newHistogram(bounds []uint64) *histogram {
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(v uint64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(v)
}

// HistogramSnapshot is a histogram as of one read: Counts[i] is the number
// of observations in bucket i (not cumulative), of upper bound Bounds[i]; the
// last count is of observations above every bound. Sum is in the unit of the
// observations (nanoseconds for durations).
type HistogramSnapshot struct {
	Bounds []uint64
	Counts []uint64
	Sum    uint64
}

// Count is the number of observations.
func (s HistogramSnapshot) Count() uint64 {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

func (h *histogram) snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Bounds: h.bounds, Counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	s.Sum = h.sum.Load()
	return s
}

// counters are the engine's cumulative counts.
type counters struct {
	cycles           *histogram // cycle duration, ns
	syncs            *histogram // duration of the cycle's batch commit, ns
	groupsPerCycle   *histogram
	entriesPerCycle  *histogram
	elections        atomic.Uint64
	leaderChanges    atomic.Uint64
	proposalsDropped atomic.Uint64
}

func newCounters() *counters {
	return &counters{
		cycles:          newHistogram(DurationBounds),
		syncs:           newHistogram(DurationBounds),
		groupsPerCycle:  newHistogram(CountBounds),
		entriesPerCycle: newHistogram(CountBounds),
	}
}

// Stats is a snapshot of what the engine counted since it was created.
type Stats struct {
	// Cycle is the duration of each cycle that handled at least one group
	// (step, persist, send, advance), in nanoseconds.
	Cycle HistogramSnapshot
	// Sync is the duration of each cycle's one storage commit (the group
	// commit's sync), in nanoseconds; cycles with nothing to persist have none.
	Sync HistogramSnapshot
	// GroupsPerCycle is the number of groups each cycle stepped.
	GroupsPerCycle HistogramSnapshot
	// EntriesPerCycle is the number of raft entries each cycle appended to
	// the local logs of all its groups together.
	EntriesPerCycle HistogramSnapshot
	// Elections counts the campaigns this node started, in any group
	// (pre-vote rounds included: each is raft's "starting a new election").
	Elections uint64
	// LeaderChanges counts the times a hosted group learnt of a leader other
	// than the one it knew before (the first leader after start included;
	// losing a leader with none known yet is not a change).
	LeaderChanges uint64
	// ProposalsDropped counts the proposals raft refused (no leader known,
	// leadership moving).
	ProposalsDropped uint64
	// InboxDrops counts the peer messages dropped from full inboxes.
	InboxDrops uint64
	// Groups is the number of hosted groups, Quiesced those quiesced now.
	Groups, Quiesced int
}

// Stats returns what the engine counted so far. It takes each group's lock
// briefly (to count the quiesced groups); call it at scrape time, not per
// request.
func (e *Engine) Stats() Stats {
	s := Stats{
		Cycle:            e.stats.cycles.snapshot(),
		Sync:             e.stats.syncs.snapshot(),
		GroupsPerCycle:   e.stats.groupsPerCycle.snapshot(),
		EntriesPerCycle:  e.stats.entriesPerCycle.snapshot(),
		Elections:        e.stats.elections.Load(),
		LeaderChanges:    e.stats.leaderChanges.Load(),
		ProposalsDropped: e.stats.proposalsDropped.Load(),
		InboxDrops:       e.inboxDrops.Load(),
	}
	e.mu.RLock()
	gs := make([]*group, 0, len(e.groups))
	for _, g := range e.groups {
		gs = append(gs, g)
	}
	e.mu.RUnlock()
	s.Groups = len(gs)
	for _, g := range gs {
		g.mu.Lock()
		if g.quiesced {
			s.Quiesced++
		}
		g.mu.Unlock()
	}
	return s
}

// GroupStatus is what the engine saw of one hosted group as of its last
// step. The replication fields are set only while this node leads.
type GroupStatus struct {
	// Leader is the group's leader as last seen here (0: unknown).
	Leader uint64
	// Leading is true when this node leads the group.
	Leading bool
	// Voters is the size of the group's configuration.
	Voters int
	// InSync is how many voters (this node included) raft heard from within
	// about an election timeout (see Engine.InSync).
	InSync int
	// CaughtUp is how many voters (this node included) held, within the last
	// CaughtUpWindow, every entry this node had durable when they were
	// last caught up: Kafka's "in sync" (replica.lag.time.max.ms).
	CaughtUp int
	// UnderReplicated is true when InSync or CaughtUp is below Voters.
	UnderReplicated bool
	// LagEntries is the largest number of entries a voter lacks of this
	// node's durable log; LagBytes the Data bytes of those entries (see
	// byteLog for how far back they are known exactly).
	LagEntries, LagBytes uint64
}

// CaughtUpWindow is how long a voter may go without holding what the leader
// held a moment before and still count as caught up. A follower under steady
// load is always a little behind; one that stays behind this long is not
// keeping up. Kafka's replica.lag.time.max.ms is 30 s.
const CaughtUpWindow = 10 * time.Second

// GroupStatus returns what the engine last saw of a hosted group; ok is
// false when the group is not hosted here.
func (e *Engine) GroupStatus(id uint64) (s GroupStatus, ok bool) {
	g := e.group(id)
	if g == nil {
		return GroupStatus{}, false
	}
	s.Leader = g.leader.Load()
	s.Voters = int(g.voters.Load())
	s.InSync = int(g.inSync.Load())
	s.Leading = s.InSync > 0
	if s.Leading {
		s.CaughtUp = int(g.caughtUp.Load())
		s.LagEntries = g.lagEntries.Load()
		s.LagBytes = g.lagBytes.Load()
		s.UnderReplicated = s.InSync < s.Voters || s.CaughtUp < s.Voters
	}
	return s, true
}

// Live reports whether node was heard from within an election timeout
// (any message, keepalives included); this node is always live.
func (e *Engine) Live(node uint64) bool {
	return node == e.cfg.NodeID || e.live(node)
}

// voterState is what a leader keeps of each voter (noteActive).
type voterState struct {
	// seen is when raft last reported the voter recently active.
	seen time.Time
	// caughtUpAt is when the voter's match last reached target, the
	// leader's durable last index as of the time before.
	caughtUpAt time.Time
	target     uint64
	// match and matchBytes remember byteLog.at(match) from when match was
	// still tracked, for a voter that fell further behind than byteLog keeps.
	match, matchBytes uint64
	known             bool
}

// byteLog knows, for the recent part of a group's log, how many Data bytes
// were appended up to an index, so that a leader can tell how many bytes a
// follower lacks: a ring of the last byteLogSize appends (one per cycle that
// appended to the group), each the index of its last entry and the bytes
// appended up to it since the group was hosted here. Between two marks the
// bytes are interpolated by index. An index older than the oldest mark is
// not known; a voter whose match was known once keeps its figure
// (voterState.matchBytes). Entries already in the log when the group was
// hosted count 0 bytes: lag bytes are then a lower bound.
type byteLog struct {
	idx   [byteLogSize]uint64
	cum   [byteLogSize]uint64
	n     int // marks held, at most byteLogSize
	head  int // position of the newest mark
	total uint64
}

const byteLogSize = 32

// reset starts the log over at index (its bytes so far unknown).
func (l *byteLog) reset(index uint64) {
	l.n, l.head = 1, 0
	l.idx[0], l.cum[0] = index, l.total
}

// mark records the bytes of entries appended in one cycle, ents[0] first.
func (l *byteLog) mark(first, last uint64, bytes uint64) {
	if l.n == 0 {
		l.reset(first - 1)
	}
	if first <= l.idx[l.head] {
		// raft replaced a suffix: drop the marks at or past first.
		base := l.at(first - 1)
		for l.n > 1 && l.idx[l.head] >= first {
			l.head = (l.head - 1 + byteLogSize) % byteLogSize
			l.n--
		}
		switch {
		case l.idx[l.head] >= first: // the oldest mark: move it back
			l.idx[l.head], l.cum[l.head] = first-1, base
		case l.idx[l.head] < first-1: // the kept part of the last append
			l.push(first-1, base)
		}
		l.total = base
	}
	l.total += bytes
	l.push(last, l.total)
}

func (l *byteLog) push(index, cum uint64) {
	l.head = (l.head + 1) % byteLogSize
	l.idx[l.head], l.cum[l.head] = index, cum
	if l.n < byteLogSize {
		l.n++
	}
}

// oldest is the index of the oldest mark.
func (l *byteLog) oldest() uint64 {
	return l.idx[(l.head-l.n+1+byteLogSize)%byteLogSize]
}

// at returns the bytes appended up to index, which must be at least
// oldest(); an index past the newest mark is given the total.
func (l *byteLog) at(index uint64) uint64 {
	if l.n == 0 || index >= l.idx[l.head] {
		return l.total
	}
	for k := 1; k < l.n; k++ {
		i := (l.head - k + byteLogSize) % byteLogSize
		if l.idx[i] <= index {
			j := (i + 1) % byteLogSize
			span := l.idx[j] - l.idx[i]
			return l.cum[i] + (l.cum[j]-l.cum[i])*(index-l.idx[i])/span
		}
	}
	return l.cum[(l.head-l.n+1+byteLogSize)%byteLogSize]
}

// lagBytes is what a voter with match lacks, updating its memory of match.
func (l *byteLog) lagBytes(vs *voterState, match uint64) uint64 {
	if l.n == 0 {
		return 0
	}
	switch {
	case match >= l.oldest():
		vs.match, vs.matchBytes, vs.known = match, l.at(match), true
	case vs.known && match >= vs.match:
		// Behind what the ring holds: interpolate between the voter's last
		// known point and the oldest mark.
		o := l.oldest()
		ob := l.at(o)
		if match > vs.match && o > vs.match {
			vs.matchBytes += (ob - vs.matchBytes) * (match - vs.match) / (o - vs.match)
		}
		vs.match = match
	default:
		// Never tracked (this node started or became leader after the voter
		// fell behind): count from the oldest mark, a lower bound.
		return l.total - l.cum[(l.head-l.n+1+byteLogSize)%byteLogSize]
	}
	return l.total - vs.matchBytes
}
