package storage

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sync/atomic"
)

// What storage counts, for the broker's metrics: plain counters, read at
// scrape time.

// gcStats counts value log GC (RunValueLogGC).
type gcStats struct {
	runs           atomic.Uint64 // RunValueLogGC calls
	rewrites       atomic.Uint64 // value log files rewritten (or deleted)
	reclaimedBytes atomic.Uint64 // value log bytes on disk before a run less after it
}

// Stats is what the DB counted since it was opened.
type Stats struct {
	// GCRuns counts value log GC runs (each after retention removed data,
	// from ReclaimSpace); GCRewrites the value log files they rewrote;
	// GCReclaimedBytes what the value log shrank on disk across them.
	GCRuns, GCRewrites, GCReclaimedBytes uint64
}

// Stats returns what the DB counted so far.
func (db *DB) Stats() Stats {
	return Stats{
		GCRuns:           db.gc.runs.Load(),
		GCRewrites:       db.gc.rewrites.Load(),
		GCReclaimedBytes: db.gc.reclaimedBytes.Load(),
	}
}

// DiskUsage is the bytes of the database's files on disk, by kind.
type DiskUsage struct {
	// LSM is the SST files of the LSM tree (keys and the values below
	// Options.ValueThreshold); ValueLog the value log files (larger values);
	// Memtables the write-ahead logs of the memtables; Other the rest
	// (manifest, discard stats, key registry).
	LSM, ValueLog, Memtables, Other int64
}

// DiskUsage returns the sizes of the database's files as the directory lists
// them now (badger's own figures are refreshed once a minute). It reads the
// directory: call it at scrape time, not per request. An in-memory database
// uses none.
func (db *DB) DiskUsage() (DiskUsage, error) {
	var u DiskUsage
	if db.opts.InMemory {
		return u, nil
	}
	err := filepath.WalkDir(db.opts.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while listed (a compaction, value log GC)
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		switch filepath.Ext(path) {
		case ".sst":
			u.LSM += info.Size()
		case ".vlog":
			u.ValueLog += info.Size()
		case ".mem":
			u.Memtables += info.Size()
		default:
			u.Other += info.Size()
		}
		return nil
	})
	return u, err
}

// LevelStats is one level of the LSM tree.
type LevelStats struct {
	Level  int
	Tables int
	Bytes  int64
}

// Levels returns the tables and bytes of each level of the LSM tree, as
// badger's compactions left them: level 0 filling up means compaction is
// not keeping up with writes (badger stalls writes at 15 tables there).
func (db *DB) Levels() []LevelStats {
	infos := db.bdb.Levels()
	out := make([]LevelStats, len(infos))
	for i, l := range infos {
		out[i] = LevelStats{Level: l.Level, Tables: l.NumTables, Bytes: l.Size}
	}
	return out
}

// valueLogBytes is the value log's size on disk, 0 if it cannot be listed.
func (db *DB) valueLogBytes() int64 {
	u, err := db.DiskUsage()
	if err != nil {
		return 0
	}
	return u.ValueLog
}
