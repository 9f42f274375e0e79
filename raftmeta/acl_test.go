package raftmeta

import (
	"context"
	"fmt"
	"testing"

	"go.etcd.io/raft/v3/raftpb"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/engine/memnet"
)

func topicACL(name, principal string) *sluicev1.AclBinding {
	return &sluicev1.AclBinding{
		ResourceType: sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TOPIC, ResourceName: name,
		PatternType: sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL, Principal: principal, Host: "*",
		Operation: sluicev1.AclOperation_ACL_OPERATION_READ, Permission: sluicev1.AclPermission_ACL_PERMISSION_ALLOW,
	}
}

func createACLsCmd(acls ...*sluicev1.AclBinding) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreateAcls{CreateAcls: &internalv1.CreateAcls{Acls: acls}}}
}

func deleteACLsCmd(acls ...*sluicev1.AclBinding) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteAcls{DeleteAcls: &internalv1.DeleteAcls{Acls: acls}}}
}

// TestACLsAreAddedOnceRemovedExactlyAndSurviveReopen: creating an ACL twice
// keeps one; a delete removes only the ACLs equal to those named; the list
// published before a change is left as it was; a reopened state has them.
func TestACLsAreAddedOnceRemovedExactlyAndSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := topicACL("a", "User:alice"), topicACL("b", "User:bob"), topicACL("a", "User:bob")
	cmds := []*internalv1.MetadataCommand{createACLsCmd(a, b), createACLsCmd(a, c)}
	next := applyCmds(t, f, db, 1, cmds...)
	if got := len(f.State().GetAcls()); got != 3 {
		t.Fatalf("%d ACLs after creating a, b, then a again and c; want 3", got)
	}
	before := f.State().GetAcls()
	cmds = append(cmds, deleteACLsCmd(topicACL("a", "User:alice"), topicACL("zzz", "User:nobody")))
	applyCmds(t, f, db, next, cmds[2])
	after := f.State().GetAcls()
	if len(after) != 2 || len(before) != 3 {
		t.Fatalf("after deleting a: %d ACLs (want 2), list published before the delete has %d (want 3)", len(after), len(before))
	}
	for _, x := range after {
		if x.GetPrincipal() == "User:alice" {
			t.Fatalf("deleted ACL still listed: %v", x)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer func() { _ = db.Close() }()
	f, err = Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	replay(t, f, db, cmds)
	if got := len(f.State().GetAcls()); got != 2 {
		t.Fatalf("reopened state has %d ACLs, want 2", got)
	}
}

// TestACLsReachALearnerThroughTheSnapshot: after the metadata log is
// compacted, a broker added later gets the ACLs from the snapshot.
func TestACLsReachALearnerThroughTheSnapshot(t *testing.T) {
	net := memnet.New()
	defer net.Close()
	n1 := startMetaNode(t, net, 1, t.TempDir(), []uint64{1})
	defer n1.stop(t, net, 1)
	waitFor(t, "a controller", func() bool { return n1.fsm.Leader() == 1 })
	ctx := context.Background()
	const acls = 250 // one entry each: past SnapshotEntries (100) twice
	for i := range acls {
		if err := n1.fsm.Propose(ctx, createACLsCmd(topicACL(fmt.Sprintf("t%d", i), "User:alice"))); err != nil {
			t.Fatal(err)
		}
	}
	log1, err := n1.db.RaftLog(Group)
	if err != nil {
		t.Fatal(err)
	}
	if first, err := log1.FirstIndex(); err != nil || first <= 100 {
		t.Fatalf("metadata log starts at %d (err %v): never compacted", first, err)
	}
	n2 := startMetaNode(t, net, 2, t.TempDir(), nil)
	defer n2.stop(t, net, 2)
	typ := raftpb.ConfChangeAddLearnerNode
	if err := n1.eng.ProposeConfChange(Group, &raftpb.ConfChange{Type: &typ, NodeId: new(uint64(2))}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the learner to get every ACL", func() bool { return len(n2.fsm.State().GetAcls()) == acls })
}
