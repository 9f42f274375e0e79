package raftmeta

import (
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func userEntity(name string) *sluicev1.QuotaEntity {
	return &sluicev1.QuotaEntity{User: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: name}}}
}

func defaultClientEntity() *sluicev1.QuotaEntity {
	return &sluicev1.QuotaEntity{ClientId: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_IsDefault{IsDefault: true}}}
}

func setQuotaCmd(e *sluicev1.QuotaEntity, v *sluicev1.QuotaValues) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_SetQuota{SetQuota: &internalv1.SetQuota{Entity: e, Values: v}}}
}

func deleteQuotaCmd(e *sluicev1.QuotaEntity, types ...sluicev1.QuotaType) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteQuota{DeleteQuota: &internalv1.DeleteQuota{Entity: e, Types: types}}}
}

// TestQuotaChangesMergeAndSurviveRestartAndSnapshot sets, merges and removes
// quota limits, then checks the state after a reopen (stored state and log
// replay) and in a broker that gets it from a snapshot.
func TestQuotaChangesMergeAndSurviveRestartAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	cmds := []*internalv1.MetadataCommand{
		setQuotaCmd(userEntity("User:bob"), &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(100)}),
		setQuotaCmd(userEntity("User:alice"), &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(1 << 20)}),
		setQuotaCmd(userEntity("User:alice"), &sluicev1.QuotaValues{FetchBytesRate: proto.Int64(2 << 20), RequestRate: proto.Float64(50)}),
		setQuotaCmd(defaultClientEntity(), &sluicev1.QuotaValues{RequestRate: proto.Float64(10)}),
		deleteQuotaCmd(userEntity("User:alice"), sluicev1.QuotaType_QUOTA_TYPE_REQUEST_RATE),
		deleteQuotaCmd(userEntity("User:bob")),
	}
	before := f.Quotas()
	applyCmds(t, f, db, 1, cmds...)
	if f.Quotas() == before {
		t.Fatal("quota state changed in place: readers tell a change by its pointer")
	}
	want := []*sluicev1.Quota{
		{Entity: defaultClientEntity(), Values: &sluicev1.QuotaValues{RequestRate: proto.Float64(10)}},
		{Entity: userEntity("User:alice"), Values: &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(1 << 20), FetchBytesRate: proto.Int64(2 << 20)}},
	}
	check := func(what string, got *internalv1.QuotaState) {
		t.Helper()
		if !proto.Equal(got, &internalv1.QuotaState{Quotas: want}) {
			t.Fatalf("%s: quotas\n%v\nwant\n%v", what, got, want)
		}
	}
	check("after the commands", f.Quotas())
	unchanged := f.Quotas()
	applyCmds(t, f, db, 7, createCmd("t", 1))
	if f.Quotas() != unchanged {
		t.Error("a topic change replaced the quota state")
	}

	snap, err := f.SnapshotData()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer db.Close()
	g, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	replay(t, g, db, append(cmds, createCmd("t", 1)))
	check("after a reopen", g.Quotas())

	other := openDB(t, t.TempDir())
	defer other.Close()
	h, err := Open(Config{NodeID: 2, DB: other, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	b := other.NewBatch()
	if err := h.Restore(b, &raftpb.Snapshot{Data: snap, Metadata: &raftpb.SnapshotMetadata{Index: new(uint64(7)), Term: new(uint64(1))}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	h.Applied()
	check("from a snapshot", h.Quotas())
}

func TestDeletingAnUnknownQuotaFails(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.execute(deleteQuotaCmd(userEntity("User:nobody"))); err == nil {
		t.Fatal("deleting the quota of an entity that has none succeeded")
	}
}
