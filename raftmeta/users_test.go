package raftmeta

import (
	"errors"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func upsertUserCmd(name string, mech sluicev1.ScramMechanism, storedKey string) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_UpsertScramCredential{UpsertScramCredential: &internalv1.UpsertScramCredential{
		Name: name,
		Credential: &internalv1.MechanismCredential{Mechanism: mech, Credential: &sluicev1.ScramCredential{
			Salt: []byte("salt"), Iterations: 4096, StoredKey: []byte(storedKey), ServerKey: []byte("server-" + storedKey),
		}},
	}}}
}

func addKeyCmd(id uint32) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_AddAuthKey{AddAuthKey: &internalv1.AddAuthKey{Key: &internalv1.AuthKey{Id: id, Key: []byte{byte(id)}}}}}
}

func TestUsersAndAuthKeysSurviveReopenAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	cmds := []*internalv1.MetadataCommand{
		upsertUserCmd("bob", sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, "k1"),
		upsertUserCmd("alice", sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512, "k2"),
		upsertUserCmd("alice", sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, "k3"),
		upsertUserCmd("alice", sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512, "k4"), // a password change
		addKeyCmd(1), addKeyCmd(2), addKeyCmd(3),
		upsertUserCmd("carol", sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, "k5"),
		{Command: &internalv1.MetadataCommand_DeleteUser{DeleteUser: &internalv1.DeleteUser{Name: "carol"}}},
	}
	applyCmds(t, f, db, 1, cmds...)
	alice := f.User("alice")
	if got := alice.GetCredentials(); len(got) != 2 || got[0].GetMechanism() != sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256 ||
		string(got[1].GetCredential().GetStoredKey()) != "k4" {
		t.Fatalf("alice's credentials: %v", got)
	}
	if f.User("carol") != nil || f.User("bob") == nil {
		t.Fatalf("users after deleting carol: %v", f.State().GetUsers())
	}
	if keys := f.State().GetAuthKeys(); len(keys) != 2 || keys[0].GetId() != 2 || keys[1].GetId() != 3 || NextAuthKeyID(f.State()) != 4 {
		t.Fatalf("auth keys %v: want the last two, 2 and 3", keys)
	}
	// What a new broker is sent carries the users and keys.
	data, err := f.SnapshotData()
	if err != nil {
		t.Fatal(err)
	}
	want := f.State()
	db2 := openDB(t, t.TempDir())
	defer db2.Close()
	g, err := Open(Config{NodeID: 2, DB: db2, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	b := db2.NewBatch()
	if err := g.Restore(b, &raftpb.Snapshot{Data: data, Metadata: &raftpb.SnapshotMetadata{Index: new(want.GetAppliedIndex())}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	g.Applied()
	if !proto.Equal(g.State(), want) || g.User("alice") == nil {
		t.Fatalf("restored state differs:\n%v\nwant\n%v", g.State(), want)
	}
	// And a restart replays to the same state.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer db.Close()
	h, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	replay(t, h, db, cmds)
	if !proto.Equal(h.State(), want) {
		t.Fatalf("reopened state differs:\n%v\nwant\n%v", h.State(), want)
	}
}

func TestAuthKeyOutOfTurnAndUnknownUserAreRefused(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	applyCmds(t, f, db, 1, addKeyCmd(1))
	f.working = shallowCopy(f.working)
	if err := f.execute(addKeyCmd(1)); !errors.Is(err, ErrConflict) {
		t.Fatalf("a second key 1: %v, want a conflict", err)
	}
	if err := f.execute(&internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteUser{DeleteUser: &internalv1.DeleteUser{Name: "nobody"}}}); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("deleting an unknown user: %v, want ErrUserNotFound", err)
	}
}
