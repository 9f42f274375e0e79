package storage

import (
	"fmt"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// openDB opens a DB in dir (a fresh t.TempDir() when dir is empty) with
// opts and closes it at the end of the test unless the test closed it.
func openDB(t *testing.T, dir string, opts Options) *DB {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	opts.Dir = dir
	db, err := Open(opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	t.Cleanup(func() { _ = db.Close() }) // a second Close only reports an error
	return db
}

// memDB opens an InMemory DB.
func memDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatalf("Open(InMemory): %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// ents returns n entries from index first, all of term, with data whose
// size varies with the index so that maxSize limits cut in different places.
func ents(first uint64, n int, term uint64) []*raftpb.Entry {
	out := make([]*raftpb.Entry, n)
	for i := range out {
		idx := first + uint64(i)
		out[i] = &raftpb.Entry{
			Index: proto.Uint64(idx),
			Term:  proto.Uint64(term),
			Type:  raftpb.EntryNormal.Enum(),
			Data:  fmt.Appendf(nil, "entry %d term %d %*s", idx, term, int(idx%7)*5, "x"),
		}
	}
	return out
}

func hardState(term, vote, commit uint64) *raftpb.HardState {
	return &raftpb.HardState{Term: proto.Uint64(term), Vote: proto.Uint64(vote), Commit: proto.Uint64(commit)}
}

func confState(voters ...uint64) *raftpb.ConfState {
	return &raftpb.ConfState{Voters: voters, AutoLeave: proto.Bool(false)}
}

func snapshot(index, term uint64, cs *raftpb.ConfState, data string) *raftpb.Snapshot {
	return &raftpb.Snapshot{
		Data: []byte(data),
		Metadata: &raftpb.SnapshotMetadata{
			Index: proto.Uint64(index), Term: proto.Uint64(term), ConfState: cs,
		},
	}
}

// commit stages fn into a new batch of db and commits it.
func commit(t *testing.T, db *DB, fn func(b *Batch) error) {
	t.Helper()
	b := db.NewBatch()
	if err := fn(b); err != nil {
		b.Cancel()
		t.Fatalf("stage: %v", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}
