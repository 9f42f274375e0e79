package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// probeFile is the file CheckHealth writes, syncs and removes.
const probeFile = "sluice-health-probe"

// CheckHealth reports whether the database's storage still works: its
// directory still holds badger's manifest, and a small file can be written,
// synced and removed there. Badger itself notices neither a removed
// directory (its open files live on, unlinked, and writes to them succeed)
// nor a failing disk until it next creates a file, and then it retries
// forever: a broker that went on would acknowledge writes that no restart
// finds. An in-memory database is always healthy. CheckHealth may block
// as long as the disk does; callers bound it.
func (db *DB) CheckHealth() error {
	if db.opts.InMemory {
		return nil
	}
	dir := db.opts.Dir
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("storage: data directory %q lost its database (no MANIFEST): removed or replaced while open", dir)
		}
		return fmt.Errorf("storage: data directory %q: %w", dir, err)
	}
	if err := writeProbe(filepath.Join(dir, probeFile)); err != nil {
		return fmt.Errorf("storage: data directory %q does not take writes: %w", dir, err)
	}
	return nil
}

func writeProbe(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte("ok\n"))
	if werr == nil {
		werr = f.Sync()
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if err := os.Remove(path); werr == nil {
		werr = err
	}
	return werr
}
