package server

import (
	"fmt"
	"time"
)

// replicaFailed is the replicas' OnFailed hook (on the raft engine's
// goroutine: it must not block). The engine has already stopped the
// replica's raft group; the broker says which partition it was, and a
// group coordinator on it steps down so that its members move to the
// partition's new leader. The broker's other partitions go on serving.
func (b *Broker) replicaFailed(topic string, partition int32, group uint64, err error) {
	b.log.Error("partition replica failed and stopped; the broker's other partitions go on serving",
		"topic", topic, "partition", partition, "group", group, "err", err)
	b.offsetsGroupLeader(group, 0, 0)
}

// storageProbeInterval is how often a broker checks that its storage works;
// a check that has not returned after storageProbeTimeout counts as failed
// (a hung disk).
const (
	storageProbeInterval = time.Second
	storageProbeTimeout  = 10 * time.Second
	// failedCloseTimeout bounds the wait for the engine and badger to
	// close after the storage failed.
	failedCloseTimeout = 2 * time.Second
)

// watchStorage checks the broker's storage until the broker stops, and
// fails the broker when a check fails.
func (b *Broker) watchStorage() {
	defer b.bg.Done()
	t := time.NewTicker(storageProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stopping:
			return
		case <-t.C:
		}
		if err := b.probeStorage(); err != nil {
			b.storageFailed(err)
			return
		}
	}
}

// probeStorage runs one check, bounded by storageProbeTimeout. A check
// stuck on a hung disk stays blocked in the kernel; its goroutine ends when
// the call returns, if ever, and the broker stops meanwhile.
func (b *Broker) probeStorage() error {
	done := make(chan error, 1)
	go func() { done <- b.db.CheckHealth() }()
	timeout := time.NewTimer(storageProbeTimeout)
	defer timeout.Stop()
	select {
	case err := <-done:
		return err
	case <-timeout.C:
		return fmt.Errorf("storage: a check of the data directory has not returned for %v (the disk hangs)", storageProbeTimeout)
	case <-b.stopping:
		return nil
	}
}

// storageFailed records the first storage failure and tells Serve, which
// stops the broker (giveUp).
func (b *Broker) storageFailed(err error) {
	b.failOnce.Do(func() {
		b.failErr = err
		close(b.failed)
	})
}

func (b *Broker) hasFailed() bool {
	select {
	case <-b.failed:
		return true
	default:
		return false
	}
}

// giveUp stops a broker whose storage failed, so that the other brokers
// take over its partitions: it says why, once, refuses every request its
// replicas wait on or would take (nothing it writes is durable any more),
// and hands its leaderships to followers while its raft engine still runs
// (bounded: a disk that hangs may have stopped the engine too). Serve then
// stops serving and returns the error, and the process exits.
func (b *Broker) giveUp() {
	b.log.Error("storage failed: this broker gives up its leaderships and stops; restart it once its disk is repaired",
		"node", b.cfg.NodeID, "err", b.failErr)
	b.closeReplicas()
	b.handOffLeadership()
}
