package storage

import "errors"

// Absorb moves everything staged in o into b, after what b holds, and
// finishes o: Commit of b then writes and publishes o's writes with its own,
// and Cancel of b discards them. It lets writers stage into batches of their
// own, so that one whose staging fails is cancelled alone, and commit them
// together with one sync. If o has a staging error, or b is finished,
// nothing moves, o is cancelled and the error is returned.
func (b *Batch) Absorb(o *Batch) error {
	if o.db != b.db {
		o.Cancel()
		return errors.New("storage: absorb a batch of another DB")
	}
	ops, hooks, err := o.finish()
	if err != nil {
		runAbort(hooks, nil)
		return err
	}
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		runAbort(hooks, nil)
		return errBatchDone
	}
	b.ops = append(b.ops, ops...)
	b.hooks = append(b.hooks, hooks...)
	b.mu.Unlock()
	return nil
}
