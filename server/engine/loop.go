package engine

import (
	"fmt"
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
//  4. Publish what was applied (state machines complete their waiters), then
//     Advance, and queue the group again if raft already has more.
func (e *Engine) cycle() error {
	e.cycleMu.Lock()
	defer e.cycleMu.Unlock()
	gs := e.dequeueAll()
	e.parallel(gs, func(g *group) { g.step(e) })
	ready := gs[:0]
	for _, g := range gs {
		if g.hasReady {
			ready = append(ready, g)
		}
	}
	if len(ready) == 0 {
		e.send(gs)
		return nil
	}
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

// send hands the transport the messages of every group stepped this cycle:
// its Ready's, if it has one, and the engine's own (quiescing heartbeats).
func (e *Engine) send(gs []*group) {
	var out []Envelope
	for _, g := range gs {
		if g.hasReady {
			for _, m := range g.rd.Messages {
				out = append(out, Envelope{Group: g.id, Msg: m})
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
