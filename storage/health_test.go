package storage

import (
	"os"
	"testing"
)

// TestCheckHealthNoticesRemovedDirectory: badger goes on writing to its
// open (now unlinked) files when its directory is removed; CheckHealth
// says the storage is gone.
func TestCheckHealthNoticesRemovedDirectory(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(DefaultOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Badger retries its flush into the removed directory until it is
		// back, and closing waits for the flush.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		}
		_ = db.Close()
	}()
	if err := db.CheckHealth(); err != nil {
		t.Fatalf("healthy storage: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.PutMeta([]byte("k"), []byte("v"))
	if err := b.Commit(); err != nil {
		t.Logf("badger refused a write after its directory went: %v", err)
	} else {
		t.Log("badger accepted and synced a write after its directory went")
	}
	if err := db.CheckHealth(); err == nil {
		t.Fatal("CheckHealth found nothing wrong with a removed data directory")
	}
}
