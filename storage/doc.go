// Package storage keeps a broker's durable state in one Badger database
// shared by all the raft groups it hosts: group 0 is the metadata group and
// each partition replica is a group of its own.
//
// The raft log is the partition log. A produced batch is one raft entry,
// stored once; storage does not interpret entry data. When the state machine
// applies an entry it writes an offset index entry (base offset -> raft
// index, record count, max timestamp), through which ReadLog serves fetches
// straight from the raft log, and, when the batch raises the partition's
// largest timestamp, a time index entry, through which BatchAtTime finds the
// first batch at or after a time.
//
// Writes of any number of groups are collected in a Batch and made durable
// together (group commit); RaftLog, the raft.Storage of one group, publishes
// its staged changes only when that Batch commits.
//
// Key layout: a one-byte kind, then big-endian ids, so that badger's byte
// order is numeric order:
//
//	0x01 | group | index      raftpb.Entry
//	0x02 | group              raftpb.HardState
//	0x03 | group              raftpb.Snapshot (metadata and small opaque data)
//	0x04 | group | baseOffset raftIndex u64 | count u32 | maxTimestampMs i64
//	0x05 | group | timestamp  baseOffset u64 (time index: batches that raised the max timestamp)
//	0x06 | group              opaque applied state of the group's state machine
//	0x07 | key                opaque broker-level metadata
//	0x08 | group              log start: index u64 | term u64 (raft's dummy entry)
//	0x09 | group              raftpb.SnapshotMetadata of the last configuration change
//	0x0a | group | raftIndex  checkpoint: opaque state machine state after that entry
//	0x0b                      ReclaimSpace's marker, dropped at once
//	0x0c | group              DeleteGroup's intent: the group is being deleted
package storage
