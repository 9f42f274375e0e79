package storage

import "testing"

// TestAbsorbCommitsWithTheBatchAndCancelsAlone: groups staged into batches
// of their own and absorbed into one commit together, raft logs included;
// a batch cancelled instead leaves nothing, and its log stages again.
func TestAbsorbCommitsWithTheBatchAndCancelsAlone(t *testing.T) {
	db := memDB(t)
	b := db.NewBatch()
	kept, dropped := db.NewBatch(), db.NewBatch()
	stageGroups(t, db, kept, []uint64{1})
	stageGroups(t, db, dropped, []uint64{2})
	if err := b.Absorb(kept); err != nil {
		t.Fatalf("Absorb: %v", err)
	}
	dropped.Cancel()
	if err := kept.Commit(); err == nil {
		t.Fatal("an absorbed batch committed on its own")
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if v := viewGroup(t, db, 1); v.last != 3 || v.state == nil || !v.hasIndex {
		t.Fatalf("absorbed group after Commit: %+v", v)
	}
	if v := viewGroup(t, db, 2); v.last != 0 || v.state != nil || v.hasIndex {
		t.Fatalf("cancelled group visible: %+v", v)
	}
	again := db.NewBatch()
	stageGroups(t, db, again, []uint64{2})
	if err := again.Commit(); err != nil {
		t.Fatalf("restage the cancelled group: %v", err)
	}
	if v := viewGroup(t, db, 2); v.last != 3 {
		t.Fatalf("cancelled group after restaging: %+v", v)
	}
}
