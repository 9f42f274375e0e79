package storage

import (
	"testing"
)

// TestStatsCountValueLogGCAndDiskUsage: large entries land in the value log
// and show in DiskUsage; once their group is deleted, ReclaimSpace's value
// log GC rewrites files, and Stats counts the runs, the rewrites and the
// bytes the value log shrank by, which DiskUsage then shows.
func TestStatsCountValueLogGCAndDiskUsage(t *testing.T) {
	db := openDB(t, "", Options{ValueLogFileSize: 1 << 20})
	rl, err := db.RaftLog(1)
	if err != nil {
		t.Fatal(err)
	}
	es := ents(1, 40, 1)
	for _, e := range es {
		e.Data = make([]byte, 200<<10)
	}
	for i := 0; i < len(es); i += 4 {
		commit(t, db, func(b *Batch) error { return rl.Append(b, es[i:i+4]) })
	}
	full, err := db.DiskUsage()
	if err != nil {
		t.Fatal(err)
	}
	if full.ValueLog < 40*200<<10 {
		t.Fatalf("value log holds %d bytes after 8 MB of large entries", full.ValueLog)
	}
	if err := db.DeleteGroup(1); err != nil {
		t.Fatal(err)
	}
	commit(t, db, func(b *Batch) error { b.PutMeta([]byte("kept"), []byte("v")); return nil })
	// Badger learns which files are garbage from compactions, which may not
	// see every deleted value the first time: reclaim a few times at most.
	for range 5 {
		if err := db.ReclaimSpace(0.5); err != nil {
			t.Fatal(err)
		}
		if db.Stats().GCReclaimedBytes > 0 {
			break
		}
	}
	s := db.Stats()
	if s.GCRuns == 0 || s.GCRewrites == 0 || s.GCReclaimedBytes == 0 {
		t.Fatalf("after deleting 8 MB and reclaiming: %+v", s)
	}
	after, err := db.DiskUsage()
	if err != nil {
		t.Fatal(err)
	}
	if after.ValueLog >= full.ValueLog {
		t.Fatalf("value log %d bytes after reclaiming, %d before", after.ValueLog, full.ValueLog)
	}
	if after.LSM == 0 {
		t.Fatal("no LSM bytes after ReclaimSpace flushed a memtable holding a key")
	}
	levels := db.Levels()
	if len(levels) == 0 || levels[0].Level != 0 {
		t.Fatalf("levels = %+v", levels)
	}
}

// TestInMemoryDiskUsageIsZero: an in-memory database has no files.
func TestInMemoryDiskUsageIsZero(t *testing.T) {
	db := memDB(t)
	if u, err := db.DiskUsage(); err != nil || u != (DiskUsage{}) {
		t.Fatalf("DiskUsage = %+v, %v", u, err)
	}
	if err := db.RunValueLogGC(0.5); err != nil || db.Stats().GCRuns != 0 {
		t.Fatalf("in memory GC: %v, %+v", err, db.Stats())
	}
}
