package storage

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestBadgerLoggerKeepsWarningsAndErrors(t *testing.T) {
	var buf bytes.Buffer
	l := slogLogger{l: slog.New(slog.NewTextHandler(&buf, nil))}
	l.Debugf("debug %d", 1)
	l.Infof("info %d", 2)
	l.Warningf("warning %d\n", 3)
	l.Errorf("error %d", 4)
	out := buf.String()
	if strings.Contains(out, "debug") || strings.Contains(out, "info 2") ||
		!strings.Contains(out, `level=WARN msg="warning 3" component=badger`) ||
		!strings.Contains(out, `level=ERROR msg="error 4"`) {
		t.Fatalf("log output:\n%s", out)
	}
}

func TestOpenValidatesAndDefaults(t *testing.T) {
	if _, err := Open(Options{}); err == nil {
		t.Fatal("Open without Dir or InMemory succeeded")
	}
	db := memDB(t)
	if db.opts.MemTableSize != DefaultOptions("").MemTableSize || db.opts.Logger == nil {
		t.Fatalf("defaults not applied: %+v", db.opts)
	}
}

func TestRunValueLogGC(t *testing.T) {
	for name, db := range map[string]*DB{"in memory": memDB(t), "on disk": openDB(t, "", Options{})} {
		if err := db.RunValueLogGC(0.5); err != nil {
			t.Errorf("%s: RunValueLogGC: %v", name, err)
		}
	}
}

func TestReclaimSpace(t *testing.T) {
	for name, db := range map[string]*DB{"in memory": memDB(t), "on disk": openDB(t, "", Options{})} {
		b := db.NewBatch()
		b.PutMeta([]byte("k"), []byte("v"))
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := db.ReclaimSpace(0.5); err != nil {
			t.Errorf("%s: ReclaimSpace: %v", name, err)
		}
		if v, err := db.Meta([]byte("k")); err != nil || string(v) != "v" {
			t.Errorf("%s: after ReclaimSpace, meta k = %q, %v", name, v, err)
		}
	}
}
