package server

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
