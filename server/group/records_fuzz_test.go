package group

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// replayValues replays a coordinator log given as length-delimited record
// values, as replay reads the offsets partition; ok is false when a record
// does not decode (replay then fails and retries).
func replayValues(t *testing.T, log []byte) (map[string]*group, bool) {
	t.Helper()
	groups := map[string]*group{}
	for off := int64(0); len(log) > 0; off++ {
		v, n := protowire.ConsumeBytes(log)
		if n < 0 {
			return nil, false
		}
		log = log[n:]
		var rec internalv1.GroupRecord
		if err := proto.Unmarshal(v, &rec); err != nil {
			return nil, false
		}
		applyRecord(groups, off, &rec)
	}
	return groups, true
}

func appendRecord(t testing.TB, log []byte, rec *internalv1.GroupRecord) []byte {
	b, err := encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	return protowire.AppendBytes(log, b)
}

// rewrite writes the records a coordinator would write for the replayed
// groups: each group's offsets and its generation.
func rewrite(t *testing.T, groups map[string]*group) []byte {
	var log []byte
	for _, id := range slices.Sorted(mapsKeys(groups)) {
		g := groups[id]
		target := map[string][]TP{}
		for _, m := range g.members {
			target[m.id] = m.owned
		}
		if len(g.offsets) > 0 {
			log = appendRecord(t, log, commitRecord(g.id, g.offsets))
		}
		log = appendRecord(t, log, metadataRecord(g, g.generation, target))
	}
	return log
}

// FuzzReplayGroupRecords replays an arbitrary offsets-partition log as a new
// coordinator does. It must not panic, and the state it rebuilds, written
// out again as the coordinator writes it, must replay to the same state.
func FuzzReplayGroupRecords(f *testing.F) {
	g := newGroup("g1", nil)
	g.assignor = "range"
	g.members["m1"] = &member{id: "m1", instance: "i1", topics: []string{"a", "b"}, assignor: "range", timeout: 10 * time.Second}
	g.members["m2"] = &member{id: "m2", topics: []string{"a"}, timeout: 45 * time.Second}
	target := map[string][]TP{"m1": {{"a", 0}, {"b", 1}, {"b", 0}}, "m2": {{"a", 1}}}
	var log []byte
	log = appendRecord(f, log, commitRecord("g1", map[TP]Offset{{"a", 0}: {Offset: 10, Metadata: "m"}, {"b", 2}: {Offset: 3}}))
	log = appendRecord(f, log, metadataRecord(g, 4, target))
	log = appendRecord(f, log, &internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Marker{Marker: &internalv1.CoordinatorMarker{Node: 1, Term: 2}}})
	f.Add(log)
	log = appendRecord(f, log, &internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Deleted{Deleted: &internalv1.GroupDeletedRecord{GroupId: "g1"}}})
	f.Add(log)
	f.Fuzz(func(t *testing.T, log []byte) {
		groups, ok := replayValues(t, log)
		if !ok {
			return
		}
		again, ok := replayValues(t, rewrite(t, groups))
		if !ok {
			t.Fatal("the coordinator's own records do not replay")
		}
		if len(again) != len(groups) {
			t.Fatalf("rewritten log replays %d groups, was %d", len(again), len(groups))
		}
		for id, g := range groups {
			if diff := sameGroup(g, again[id]); diff != "" {
				t.Fatalf("group %q after a rewrite: %s", id, diff)
			}
		}
	})
}

// sameGroup compares what a replay restores of a group; "" when alike.
func sameGroup(a, b *group) string {
	switch {
	case b == nil:
		return "gone"
	case a.generation != b.generation || a.assignor != b.assignor:
		return "generation or assignor differ"
	case len(a.offsets) != len(b.offsets) || len(a.members) != len(b.members):
		return "offsets or members differ in number"
	}
	for tp, o := range a.offsets {
		if p, ok := b.offsets[tp]; !ok || p.Offset != o.Offset || p.Metadata != o.Metadata {
			return "offset of " + tp.Topic + " differs"
		}
	}
	for id, m := range a.members {
		n := b.members[id]
		if n == nil || n.instance != m.instance || n.assignor != m.assignor || n.timeout != m.timeout ||
			!slices.Equal(n.topics, m.topics) || !slices.Equal(n.owned, m.owned) {
			return "member " + id + " differs"
		}
	}
	return ""
}
