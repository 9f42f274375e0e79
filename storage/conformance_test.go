package storage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// The conformance tests hold RaftLog to raft.MemoryStorage: every write is
// applied to both, and after each batch every raft.Storage method must
// return the same results and errors. Before the batch commits, RaftLog must
// still match MemoryStorage as it was: staged writes are invisible.

// logOp is one write, applicable to both storages.
type logOp struct {
	kind  string // append, hardstate, compact, create, apply
	ents  []*raftpb.Entry
	hs    *raftpb.HardState
	index uint64
	cs    *raftpb.ConfState
	snap  *raftpb.Snapshot
	data  []byte
}

func (o logOp) String() string {
	switch o.kind {
	case "append":
		return fmt.Sprintf("append[%d..%d]", o.ents[0].GetIndex(), o.ents[len(o.ents)-1].GetIndex())
	case "hardstate":
		return fmt.Sprintf("hardstate(%v)", o.hs)
	case "apply":
		return fmt.Sprintf("apply(%d/%d)", o.snap.GetMetadata().GetIndex(), o.snap.GetMetadata().GetTerm())
	default:
		return fmt.Sprintf("%s(%d)", o.kind, o.index)
	}
}

func appendOp(e []*raftpb.Entry) logOp { return logOp{kind: "append", ents: e} }
func hsOp(hs *raftpb.HardState) logOp  { return logOp{kind: "hardstate", hs: hs} }
func compactOp(i uint64) logOp         { return logOp{kind: "compact", index: i} }
func applyOp(s *raftpb.Snapshot) logOp { return logOp{kind: "apply", snap: s} }
func reopenOp() logOp                  { return logOp{kind: "reopen"} }
func createOp(i uint64, cs *raftpb.ConfState, data string) logOp {
	return logOp{kind: "create", index: i, cs: cs, data: []byte(data)}
}

// stage applies o to l in b. For "create" it also returns the snapshot.
func (o logOp) stage(l *RaftLog, b *Batch) (*raftpb.Snapshot, error) {
	switch o.kind {
	case "append":
		return nil, l.Append(b, o.ents)
	case "hardstate":
		return nil, l.SetHardState(b, o.hs)
	case "compact":
		return nil, l.Compact(b, o.index)
	case "create":
		return l.CreateSnapshot(b, o.index, o.cs, o.data)
	case "apply":
		return nil, l.ApplySnapshot(b, o.snap)
	}
	return nil, fmt.Errorf("unknown op %q", o.kind)
}

// applyMem applies o to ms.
func (o logOp) applyMem(ms *raft.MemoryStorage) (*raftpb.Snapshot, error) {
	switch o.kind {
	case "append":
		return nil, ms.Append(o.ents)
	case "hardstate":
		return nil, ms.SetHardState(o.hs)
	case "compact":
		return nil, ms.Compact(o.index)
	case "create":
		return ms.CreateSnapshot(o.index, o.cs, o.data)
	case "apply":
		// MemoryStorage's EnsureSnapshot fills in the caller's message.
		return nil, ms.ApplySnapshot(cloneMsg(o.snap))
	}
	return nil, fmt.Errorf("unknown op %q", o.kind)
}

// harness runs ops against a RaftLog and MemoryStorages side by side: ms
// mirrors what is committed, ahead also has the writes of the open batch.
type harness struct {
	t     *testing.T
	dir   string
	opts  Options
	db    *DB
	log   *RaftLog
	ms    *raft.MemoryStorage
	ahead *raft.MemoryStorage
	group uint64
	full  bool // compare every Entries(lo, hi) pair, not just a line of them

	// history holds every committed op, to rebuild ahead after a Cancel.
	history []logOp
	batch   *Batch
	staged  []logOp
	nsteps  int
}

func newHarness(t *testing.T, opts Options, full bool) *harness {
	h := &harness{t: t, dir: t.TempDir(), opts: opts, group: 7, full: full,
		ms: raft.NewMemoryStorage(), ahead: raft.NewMemoryStorage()}
	h.db = openDB(t, h.dir, opts)
	h.openLog()
	return h
}

func (h *harness) openLog() {
	h.t.Helper()
	l, err := h.db.RaftLog(h.group)
	if err != nil {
		h.t.Fatalf("RaftLog: %v", err)
	}
	h.log = l
}

// reopen closes the DB and loads the log again from disk.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.db = openDB(h.t, h.dir, h.opts)
	h.openLog()
	h.compare("after reopen")
}

// run applies ops in one batch (a lone "reopen" op reopens the DB).
func (h *harness) run(ops ...logOp) {
	h.t.Helper()
	if len(ops) == 1 && ops[0].kind == "reopen" {
		h.reopen()
		return
	}
	for _, o := range ops {
		h.stage(o)
	}
	h.commit()
}

// stage stages o into the open batch and applies it to ahead; both must
// agree on the outcome.
func (h *harness) stage(o logOp) {
	h.t.Helper()
	if h.batch == nil {
		h.batch = h.db.NewBatch()
		h.nsteps++
	}
	got, err := o.stage(h.log, h.batch)
	want, werr := o.applyMem(h.ahead)
	if err != werr {
		h.t.Fatalf("step %d %v: error %v, MemoryStorage %v", h.nsteps, o, err, werr)
	}
	if !snapEqual(got, want) {
		h.t.Fatalf("step %d %v: snapshot %v, MemoryStorage %v", h.nsteps, o, got, want)
	}
	h.staged = append(h.staged, o)
}

// commit checks that the staged ops are invisible, commits them and checks
// that they are visible.
func (h *harness) commit() {
	h.t.Helper()
	step := fmt.Sprintf("step %d %v", h.nsteps, h.staged)
	h.compare(step + " (staged, not committed)")
	if err := h.batch.Commit(); err != nil {
		h.t.Fatalf("%s: Commit: %v", step, err)
	}
	for _, o := range h.staged {
		_, _ = o.applyMem(h.ms) // the outcome was checked against ahead
	}
	h.history = append(h.history, h.staged...)
	h.batch, h.staged = nil, nil
	h.compare(step)
}

// cancel cancels the open batch, checks that nothing changed, and
// rebuilds ahead from history.
func (h *harness) cancel() {
	h.t.Helper()
	h.batch.Cancel()
	h.compare(fmt.Sprintf("step %d %v cancelled", h.nsteps, h.staged))
	h.batch, h.staged = nil, nil
	h.ahead = raft.NewMemoryStorage()
	for _, o := range h.history {
		_, _ = o.applyMem(h.ahead)
	}
}

// compare checks that every raft.Storage method of h.log agrees with h.ms.
func (h *harness) compare(step string) {
	h.t.Helper()
	l, ms := h.log, h.ms
	hs, cs, err := l.InitialState()
	whs, wcs, _ := ms.InitialState()
	if err != nil || !proto.Equal(hs, whs) || !proto.Equal(cs, wcs) {
		h.t.Fatalf("%s: InitialState = %v, %v, %v; MemoryStorage %v, %v", step, hs, cs, err, whs, wcs)
	}
	first, last := h.checkBounds(step)
	snap, err := l.Snapshot()
	wsnap, _ := ms.Snapshot()
	if err != nil || !snapEqual(snap, wsnap) {
		h.t.Fatalf("%s: Snapshot = %v, %v; MemoryStorage %v", step, snap, err, wsnap)
	}
	for i := max(first, 3) - 3; i <= last+2; i++ {
		term, err := l.Term(i)
		wterm, werr := ms.Term(i)
		if term != wterm || err != werr {
			h.t.Fatalf("%s: Term(%d) = %d, %v; MemoryStorage %d, %v", step, i, term, err, wterm, werr)
		}
	}
	h.compareEntries(step, first, last)
}

func (h *harness) checkBounds(step string) (first, last uint64) {
	h.t.Helper()
	first, err1 := h.log.FirstIndex()
	last, err2 := h.log.LastIndex()
	wfirst, _ := h.ms.FirstIndex()
	wlast, _ := h.ms.LastIndex()
	if first != wfirst || last != wlast || err1 != nil || err2 != nil {
		h.t.Fatalf("%s: FirstIndex, LastIndex = %d (%v), %d (%v); MemoryStorage %d, %d",
			step, first, err1, last, err2, wfirst, wlast)
	}
	return first, last
}

// maxSizes are the Entries limits tried: none fits, some fit, all fit.
var maxSizes = []uint64{0, 40, 100, 250, math.MaxUint64}

func (h *harness) compareEntries(step string, first, last uint64) {
	h.t.Helper()
	for lo := max(first, 2) - 1; lo <= last+1; lo++ {
		for hi := lo; hi <= last+1; hi++ {
			if !h.full && hi != last+1 && lo != max(first, 2)-1 && hi != lo+1 {
				continue
			}
			for _, size := range maxSizes {
				h.compareEntriesCall(step, lo, hi, size)
			}
		}
	}
}

func (h *harness) compareEntriesCall(step string, lo, hi, maxSize uint64) {
	h.t.Helper()
	got, err := h.log.Entries(lo, hi, maxSize)
	want, werr := h.ms.Entries(lo, hi, maxSize)
	if err != werr || !entriesEqual(got, want) {
		h.t.Fatalf("%s: Entries(%d, %d, %d) = %s, %v; MemoryStorage %s, %v",
			step, lo, hi, maxSize, entsString(got), err, entsString(want), werr)
	}
}

func entriesEqual(a, b []*raftpb.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func entsString(es []*raftpb.Entry) string {
	var sb strings.Builder
	for _, e := range es {
		fmt.Fprintf(&sb, "%d/%d ", e.GetIndex(), e.GetTerm())
	}
	return "[" + strings.TrimSpace(sb.String()) + "]"
}

// snapEqual compares snapshots after filling in unset fields, which
// MemoryStorage does lazily (InitialState fills in its stored ConfState).
func snapEqual(a, b *raftpb.Snapshot) bool {
	if a == nil || b == nil {
		return a == b
	}
	a, b = raftpb.EnsureSnapshot(cloneMsg(a)), raftpb.EnsureSnapshot(cloneMsg(b))
	raftpb.EnsureConfState(a.Metadata.ConfState)
	raftpb.EnsureConfState(b.Metadata.ConfState)
	return proto.Equal(a, b)
}

var conformanceCases = []struct {
	name string
	ops  [][]logOp // each inner slice is one batch
}{
	{"append and overwrite", [][]logOp{
		{appendOp(ents(1, 5, 1))},
		{appendOp(ents(3, 4, 2))}, // replaces 3..5, adds 6
		{appendOp(ents(7, 2, 2))},
		{appendOp(ents(2, 1, 3))}, // truncates to 2
		{appendOp(ents(3, 3, 3))},
	}},
	{"append partly compacted", [][]logOp{
		{appendOp(ents(1, 10, 1))},
		{compactOp(5)},
		{appendOp(ents(3, 5, 2))}, // 3..5 ignored, 6..7 replace, 8..10 dropped
		{appendOp(ents(1, 4, 3))}, // all compacted: no-op
		{appendOp(ents(5, 1, 3))}, // only the dummy: no-op
	}},
	{"hard state", [][]logOp{
		{hsOp(hardState(1, 1, 0))},
		{appendOp(ents(1, 3, 1)), hsOp(hardState(1, 1, 2))},
		{hsOp(hardState(2, 0, 3))},
		{hsOp(nil)},
	}},
	{"compact", [][]logOp{
		{compactOp(0)}, // ErrCompacted on an empty log
		{appendOp(ents(1, 10, 1))},
		{compactOp(3)},
		{compactOp(3)}, // ErrCompacted
		{compactOp(2)}, // ErrCompacted
		{compactOp(10)},
		{appendOp(ents(11, 2, 2))},
		reopen(),
	}},
	{"create snapshot", [][]logOp{
		{appendOp(ents(1, 10, 1))},
		{createOp(5, confState(1, 2, 3), "five")},
		{createOp(5, nil, "again")}, // ErrSnapOutOfDate
		{createOp(4, nil, "older")}, // ErrSnapOutOfDate
		{createOp(10, nil, "")},     // keeps the ConfState
		{compactOp(8)},
		reopen(),
	}},
	{"compact below snapshot", [][]logOp{
		{appendOp(ents(1, 12, 2))},
		{createOp(9, confState(1), "nine"), compactOp(5)},
		reopen(),
		{compactOp(9)},
		reopen(),
	}},
	{"apply snapshot", [][]logOp{
		{appendOp(ents(1, 5, 1)), hsOp(hardState(1, 1, 5))},
		{applyOp(snapshot(10, 3, confState(1, 2), "ten"))},
		{applyOp(snapshot(8, 3, confState(1), "eight"))}, // ErrSnapOutOfDate
		{applyOp(snapshot(10, 3, confState(1), "ten"))},  // ErrSnapOutOfDate
		{appendOp(ents(11, 3, 4))},
		reopen(),
		{applyOp(snapshot(12, 4, confState(2), "twelve"))}, // inside the log
		{appendOp(ents(13, 2, 5))},
		reopen(),
	}},
	{"apply snapshot below compacted log", [][]logOp{
		{appendOp(ents(1, 10, 1))},
		{compactOp(6)},
		{applyOp(snapshot(3, 1, confState(1), "three"))}, // no snapshot yet: allowed
		{appendOp(ents(4, 2, 1))},
		reopen(),
	}},
	{"many ops in one batch", [][]logOp{
		{appendOp(ents(1, 6, 1)), appendOp(ents(4, 5, 2)), hsOp(hardState(2, 1, 3)),
			createOp(3, confState(1), "three"), compactOp(2), appendOp(ents(9, 2, 2))},
		{applyOp(snapshot(20, 3, confState(1), "twenty")), appendOp(ents(21, 3, 3)), compactOp(22)},
		{appendOp(ents(22, 1, 4)), appendOp(ents(23, 2, 4)), createOp(23, nil, "x")},
		reopen(),
	}},
}

func reopen() []logOp { return []logOp{reopenOp()} }

// tailOptions are the tail cache settings under test: the default, and
// one so small that most reads go to disk.
var tailOptions = map[string]Options{
	"default tail": {},
	"tiny tail":    {TailCacheEntries: 2, TailCacheBytes: 1 << 20},
	"byte tail":    {TailCacheEntries: 1000, TailCacheBytes: 60},
}

func TestRaftLogConformance(t *testing.T) {
	for optName, opts := range tailOptions {
		for _, tc := range conformanceCases {
			t.Run(optName+"/"+tc.name, func(t *testing.T) {
				h := newHarness(t, opts, true)
				for _, batch := range tc.ops {
					h.run(batch...)
				}
				h.reopen()
			})
		}
	}
}

func TestRaftLogConformanceRandom(t *testing.T) {
	const seeds, steps = 6, 120
	for optName, opts := range tailOptions {
		for seed := range uint64(seeds) {
			t.Run(fmt.Sprintf("%s/seed=%d", optName, seed), func(t *testing.T) {
				h := newHarness(t, opts, false)
				g := &opGen{r: rand.New(rand.NewPCG(seed, 0x5eed)), term: 1}
				for range steps {
					g.step(h)
				}
				h.reopen()
			})
		}
	}
}

// opGen generates writes that MemoryStorage accepts without panicking
// (it panics where RaftLog returns an error; those cases are tested apart).
type opGen struct {
	r    *rand.Rand
	term uint64
}

// step runs one batch of one to four ops, or reopens the DB; one batch in
// ten is cancelled instead of committed.
func (g *opGen) step(h *harness) {
	if g.r.IntN(15) == 0 {
		h.reopen()
		return
	}
	n := 1
	if g.r.IntN(4) == 0 {
		n = 2 + g.r.IntN(3)
	}
	for range n {
		h.stage(g.op(h.ahead))
	}
	if g.r.IntN(10) == 0 {
		h.cancel()
		return
	}
	h.commit()
}

// op returns a write valid for ms's current state.
func (g *opGen) op(ms *raft.MemoryStorage) logOp {
	first, _ := ms.FirstIndex()
	last, _ := ms.LastIndex()
	snap, _ := ms.Snapshot()
	offset, snapIndex := first-1, snap.GetMetadata().GetIndex()
	switch k := g.r.IntN(20); {
	case k < 10:
		if g.r.IntN(3) == 0 {
			g.term++
		}
		// From a little below the log start (partly compacted) to last+1.
		start := max(1, offset+g.uintn(last-offset+2))
		start -= min(start-1, g.uintn(3))
		return appendOp(ents(start, 1+g.r.IntN(6), g.term))
	case k < 12:
		return hsOp(hardState(g.term, g.uintn(4), g.uintn(last+1)))
	case k < 15:
		// From just below the log start (ErrCompacted) to last.
		return compactOp(offset - min(offset, 1) + g.uintn(last-offset+min(offset, 1)+1))
	case k < 18:
		return g.create(offset, last, snapIndex)
	default:
		// Out of date, or ahead of, inside or past the log.
		idx := snapIndex - min(snapIndex, 2) + g.uintn(last-snapIndex+12)
		return applyOp(snapshot(idx, g.term, confState(1+g.uintn(3)), "applied"))
	}
}

// create picks an index that is out of date or in [offset, last].
func (g *opGen) create(offset, last, snapIndex uint64) logOp {
	var cs *raftpb.ConfState
	if g.r.IntN(2) == 0 {
		cs = confState(1, 2+g.uintn(3))
	}
	i := offset + g.uintn(last-offset+1)
	if g.r.IntN(4) == 0 {
		i = snapIndex - min(snapIndex, g.uintn(2))
	}
	return createOp(i, cs, fmt.Sprintf("snap at %d", i))
}

func (g *opGen) uintn(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	return g.r.Uint64N(n)
}
