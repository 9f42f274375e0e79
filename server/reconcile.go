package server

import (
	"slices"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/replica"
)

func (b *Broker) triggerReconcile() {
	select {
	case b.reconcileCh <- struct{}{}:
	default:
	}
}

// reconcileLoop makes the local replicas match the metadata: it starts the
// replicas placed on this broker and stops and deletes the others.
func (b *Broker) reconcileLoop() {
	defer b.bg.Done()
	for {
		select {
		case <-b.eng.Failed():
			return
		case <-b.stopping:
			return
		case <-b.reconcileCh:
			b.reconcile()
			b.groups.TopicsChanged()
			b.metrics.forgetTopics(b.meta)
		}
	}
}

type placed struct {
	topic *internalv1.TopicInfo
	info  *internalv1.PartitionInfo
}

func (b *Broker) reconcile() {
	st := b.meta.State()
	defer b.reconciled.Store(st.GetAppliedIndex())
	brokers := make(map[uint64]string, len(st.GetBrokers()))
	for _, br := range st.GetBrokers() {
		brokers[br.GetId()] = br.GetAddress()
	}
	b.logBrokerChanges(brokers)
	want := map[uint64]placed{}
	for _, t := range st.GetTopics() {
		for _, p := range t.GetPartitions() {
			if slices.Contains(p.GetReplicas(), b.cfg.NodeID) {
				want[p.GetGroup()] = placed{t, p}
			}
		}
	}
	b.mu.RLock()
	var remove []uint64
	for g := range b.replicas {
		if _, ok := want[g]; !ok {
			remove = append(remove, g)
		}
	}
	b.mu.RUnlock()
	for _, g := range remove {
		b.removeReplica(g)
	}
	for g, p := range want {
		if b.replica(g) == nil {
			if err := b.addReplica(p); err != nil {
				b.log.Error("start replica", "topic", p.topic.GetName(), "partition", p.info.GetPartition(), "err", err)
			}
		}
	}
}

func (b *Broker) addReplica(p placed) error {
	lim := b.retentionOf(p.topic)
	r, err := replica.Open(replica.Config{
		Group: p.info.GetGroup(), Topic: p.topic.GetName(), Partition: p.info.GetPartition(),
		NodeID: b.cfg.NodeID, Incarnation: b.incarnation, DB: b.db, Notify: b.eng.Notify,
		CacheBytes: b.cfg.Limits.CacheBytes, CacheBudget: b.caches, OnLeader: b.noteLeader, Retention: &lim,
		MaxEntryBytes: b.cfg.Limits.MaxEntryBytes,
		OnFailed:      func(group uint64, err error) { b.replicaFailed(p.topic.GetName(), p.info.GetPartition(), group, err) },
	})
	if err != nil {
		return err
	}
	if err := b.eng.AddGroup(p.info.GetGroup(), p.info.GetReplicas(), r); err != nil {
		return err
	}

	b.mu.Lock()
	b.replicas[p.info.GetGroup()] = r
	b.mu.Unlock()
	return nil
}

func (b *Broker) removeReplica(g uint64) {
	b.eng.RemoveGroup(g)
	b.mu.Lock()
	r := b.replicas[g]
	delete(b.replicas, g)
	b.mu.Unlock()
	if r != nil {
		r.Close()
	}
	if err := b.db.DeleteGroup(g); err != nil {
		b.log.Error("delete replica data", "group", g, "err", err)
	}
}
