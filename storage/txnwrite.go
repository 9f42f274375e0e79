package storage

import (
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// txnCommitter commits one badger transaction of a write. Every write of a
// DB reaches the disk through it, one call per transaction, in the order in
// which the transactions must become durable: it is the seam through which
// tests cut a write short, as a crash or a failing disk would (see
// fault_test.go). commit must call done exactly once, when txn is durable or
// has failed, possibly from another goroutine; it owns txn.
type txnCommitter interface {
	commit(txn *badger.Txn, done func(error))
}

// badgerCommitter is the production txnCommitter. CommitWith queues the
// transaction on badger's single write channel before it returns, so
// transactions become durable in the order they are committed, and badger
// may sync several queued ones at once.
type badgerCommitter struct{}

func (badgerCommitter) commit(txn *badger.Txn, done func(error)) { txn.CommitWith(done) }

// txnWriter writes a sequence of ops as few badger transactions as fit, in
// order. A badger transaction is bounded (Options.MemTableSize); when the
// next op does not fit, the transaction is committed and the op starts the
// next one. A run of glued ops (op.glued: each joins the op before it) is
// never split: when it does not fit beside the ops before it, those are
// committed alone and the run starts a new transaction. Transactions are
// committed without waiting for each other (badger coalesces their syncs),
// so a batch that fits one transaction costs one sync, as before.
type txnWriter struct {
	db  *DB
	ops []op
	txn *badger.Txn
	// first is the index in ops of the first op of txn.
	first int

	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// write applies ops in order and returns when they are durable. Each badger
// transaction is atomic and they become durable in order, so a crash leaves
// a prefix of ops applied, cut only between two transactions, never inside a
// run of glued ops.
func (db *DB) write(ops []op) error {
	db.writeMu.RLock()
	defer db.writeMu.RUnlock()
	w := &txnWriter{db: db, ops: ops}
	for i := 0; i < len(ops); {
		j := i + 1
		for j < len(ops) && ops[j].glued {
			j++
		}
		if err := w.add(i, j); err != nil {
			w.discard()
			return err
		}
		i = j
	}
	return w.finish()
}

// add puts ops[i:j], a run that must share a transaction, into the current
// transaction or, if it does not fit there, into a new one.
func (w *txnWriter) add(i, j int) error {
	if w.txn == nil {
		w.txn, w.first = w.db.bdb.NewTransaction(true), i
	}
	n, err := stageOps(w.txn, w.ops[i:j])
	if err == nil {
		return nil
	}
	if !errors.Is(err, badger.ErrTxnTooBig) || w.first == i {
		return runError(w.ops[i:j], err)
	}
	if n > 0 {
		// Part of the run is in txn and badger cannot take it back: rebuild
		// the transaction from the ops before the run, which fitted.
		w.txn.Discard()
		w.txn = w.db.bdb.NewTransaction(true)
		if _, err := stageOps(w.txn, w.ops[w.first:i]); err != nil {
			return runError(w.ops[w.first:i], err)
		}
	}
	if err := w.send(); err != nil {
		return err
	}
	w.txn, w.first = w.db.bdb.NewTransaction(true), i
	if _, err := stageOps(w.txn, w.ops[i:j]); err != nil {
		return runError(w.ops[i:j], err)
	}
	return nil
}

// stageOps stages ops into txn; n is how many it staged before an error.
func stageOps(txn *badger.Txn, ops []op) (n int, err error) {
	for _, o := range ops {
		if o.del {
			err = txn.Delete(o.key)
		} else {
			err = txn.Set(o.key, o.value)
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// runError describes the failure to stage a run of ops.
func runError(run []op, err error) error {
	if len(run) > 1 && errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("stage %d writes that must be atomic, from %x: they do not fit one transaction: %w",
			len(run), run[0].key, err)
	}
	return fmt.Errorf("stage %x: %w", run[0].key, err)
}

// send commits the current transaction without waiting for it. Once a
// transaction failed, no later one is sent: what is durable stays a prefix.
func (w *txnWriter) send() error {
	txn := w.txn
	w.txn = nil
	if err := w.failed(); err != nil {
		txn.Discard()
		return err
	}
	w.wg.Add(1)
	w.db.txns.commit(txn, func(err error) {
		if err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
		w.wg.Done()
	})
	return nil
}

func (w *txnWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// finish commits the last transaction and waits until all are durable.
func (w *txnWriter) finish() error {
	var err error
	if w.txn != nil {
		err = w.send()
	}
	w.wg.Wait()
	if err == nil {
		err = w.failed()
	}
	if err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// discard drops the transaction being built and waits for those sent.
func (w *txnWriter) discard() {
	if w.txn != nil {
		w.txn.Discard()
		w.txn = nil
	}
	w.wg.Wait()
}
