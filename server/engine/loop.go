package engine

import (
	"fmt"

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
	if err := e.persist(ready); err != nil {
		return err
	}
	e.send(gs)
	var snapErr error
	e.parallel(ready, func(g *group) {
		if g.advance() {
			e.enqueue(g)
		}
	})
	for _, g := range ready {
		if err := g.snapshotConf(e.cfg.DB); err != nil && snapErr == nil {
			snapErr = fmt.Errorf("raft group %d: snapshot after configuration change: %w", g.id, err)
		}
	}
	return snapErr
}

func (e *Engine) persist(ready []*group) error {
	b := e.cfg.DB.NewBatch()
	for _, g := range ready {
		if err := g.stage(b); err != nil {
			b.Cancel()
			return fmt.Errorf("raft group %d: %w", g.id, err)
		}
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("persist raft state of %d groups: %w", len(ready), err)
	}
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
