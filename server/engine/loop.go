package engine

import (
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

func (e *Engine) run() {
	defer e.wg.Done()
	for {
		select {
		case <-e.stop:
			return
		case <-e.wake:
		}
		if err := e.cycle(); err != nil {
			e.fail(err)
			return
		}
	}
}

// cycle handles every group that has work, following the etcd-raft README's
// order for each group's Ready, but with the persistence of all groups merged:
//
//  1. Step: deliver peer messages, ticks and proposals; take the Ready.
//  2. Persist the Ready's snapshot, entries and hard state, and stage the
//     effects of its committed entries, for every group into one storage
//     batch, made durable with one sync (group commit). Committed entries may
//     include entries of the same Ready not yet persisted (raft allows it when
//     storage writes are synchronous); they land in the same atomic batch.
//  3. Send the Ready's messages. Only now: responses to appends and votes
//     promise that the entries and hard state they speak of are durable.
//     A leader's messages are the exception (the README's step 3 and section
//     10.2.1 of the Raft thesis): its appends and heartbeats promise nothing
//     about its own disk, so a leader whose Ready changes no term or vote
//     sends them before step 2, and writes in parallel with its followers.
//  4. Tell state machines which entries are now durable in the local log
//     (PersistObserver), publish what was applied (state machines complete
//     their waiters), then Advance, and queue the group again if raft
//     already has more.
func (e *Engine) cycle() error {
	e.cycleMu.Lock()
	defer e.cycleMu.Unlock()
	gs := e.dequeueAll()
	if len(gs) == 0 {
		return nil
	}
	start := time.Now()
	defer e.observeCycle(start, len(gs))
	e.parallel(gs, func(g *group) { g.step(e) })
	ready := make([]*group, 0, len(gs))
	for _, g := range gs {
		if g.hasReady {
			ready = append(ready, g)
		}
	}
	if len(ready) == 0 {
		e.send(gs)
		return nil
	}
	e.sendEarly(ready)
	ready, err := e.persist(ready)
	if err != nil {
		return err
	}
	e.send(gs)
	e.parallel(ready, func(g *group) {
		if g.advance() {
			e.enqueue(g)
		}
	})
	for _, g := range ready {
		if err := g.snapshotConf(e.cfg.DB); err != nil {
			if isStorage(err) {
				return err
			}
			if err := e.failGroup(g, fmt.Errorf("snapshot after configuration change: %w", err)); err != nil {
				return err
			}
		}
	}
	return nil
}

// persist stages the Ready of every group into a batch of its own, moves
// those that staged into one batch and commits it: one sync for all. A
// group whose staging fails is cancelled alone (nothing of it is written)
// and stops (failGroup); persist returns the groups whose Ready is durable.
// An error is the engine's: the commit failed (storage is failing for every
// group), or a group that cannot stop alone failed.
func (e *Engine) persist(ready []*group) ([]*group, error) {
	b := e.cfg.DB.NewBatch()
	staged := ready[:0]
	for _, g := range ready {
		sub := e.cfg.DB.NewBatch()
		err := g.stage(sub)
		if err == nil {
			err = b.Absorb(sub)
		} else {
			sub.Cancel()
		}
		if err != nil {
			if err := e.failGroup(g, err); err != nil {
				b.Cancel()
				return nil, err
			}
			continue
		}
		staged = append(staged, g)
	}
	start := time.Now()
	err := b.Commit()
	e.stats.syncs.observe(uint64(time.Since(start)))
	if err != nil {
		return nil, &StorageError{Err: fmt.Errorf("persist raft state of %d groups: %w", len(staged), err)}
	}
	var ents int
	for _, g := range staged {
		ents += len(g.rd.Entries)
	}
	e.cycleEntries = ents
	return staged, nil
}

// observeCycle records a cycle that began at start and stepped groups
// groups; persist left the entries it appended in cycleEntries.
func (e *Engine) observeCycle(start time.Time, groups int) {
	e.stats.cycles.observe(uint64(time.Since(start)))
	e.stats.groupsPerCycle.observe(uint64(groups))
	e.stats.entriesPerCycle.observe(uint64(e.cycleEntries))
	e.cycleEntries = 0
}

// failGroup stops a group whose Ready could not be made durable: the engine
// no longer steps it, its Ready is dropped (its messages, which may promise
// durability, are not sent), and its state machine learns why. Its peers see
// a replica that went silent and go on without it. A state machine that
// cannot stop alone makes the error the engine's.
func (e *Engine) failGroup(g *group, err error) error {
	err = redact(fmt.Errorf("raft group %d: %w", g.id, err))
	fo, ok := g.sm.(FailureObserver)
	if !ok {
		return err
	}
	e.mu.Lock()
	if e.groups[g.id] == g {
		delete(e.groups, g.id)
	}
	e.mu.Unlock()
	g.mu.Lock()
	g.removed = true
	g.mu.Unlock()
	g.hasReady = false
	g.rd = raft.Ready{}
	g.leader.Store(0)
	g.inSync.Store(0)
	g.inSyncIDs.Store(nil)
	e.log.Error("raft group failed and stopped; the broker's other groups go on", "group", g.id, "err", err)
	fo.Failed(err)
	return nil
}

// sendEarly sends the messages of the leaders that may send before their
// Ready is durable (see cycle).
func (e *Engine) sendEarly(ready []*group) {
	var out []Envelope
	for _, g := range ready {
		if g.early {
			for _, m := range g.rd.Messages {
				if !promisesDurability(m) {
					out = append(out, Envelope{Group: g.id, Msg: m})
				}
			}
		}
	}
	if len(out) > 0 && e.cfg.Transport != nil {
		e.cfg.Transport.Send(out)
	}
}

// send hands the transport the messages of every group stepped this cycle:
// its Ready's, if it has one and did not send them early, and the engine's
// own (quiescing heartbeats).
func (e *Engine) send(gs []*group) {
	var out []Envelope
	for _, g := range gs {
		if g.hasReady {
			for _, m := range g.rd.Messages {
				if !g.early || promisesDurability(m) {
					out = append(out, Envelope{Group: g.id, Msg: m})
				}
			}
		}
		out = append(out, g.outbox...)
		g.outbox = nil
	}
	if e.cfg.Transport == nil {
		return
	}
	if len(out) > 0 {
		e.cfg.Transport.Send(out)
	}
}

// promisesDurability reports whether a message speaks for this node's disk:
// the responses that etcd-raft holds back until the Ready is persisted.
func promisesDurability(m *raftpb.Message) bool {
	switch m.GetType() {
	case raftpb.MsgAppResp, raftpb.MsgVoteResp, raftpb.MsgPreVoteResp:
		return true
	}
	return false
}
