package group

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// The coordinator's state is a log of GroupRecords in its offsets partition:
// offset commits, each generation's members and assignment, deletions. Every
// record is written with acks=all before the coordinator acts on it, so a
// coordinator that takes over by replaying the partition loses nothing that
// a member was told.

func encode(r *internalv1.GroupRecord) ([]byte, error) {
	b, err := proto.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode group record: %w", err)
	}
	return b, nil
}

func commitRecord(group string, offsets map[TP]Offset) *internalv1.GroupRecord {
	c := &internalv1.OffsetCommitRecord{GroupId: group}
	for _, tp := range slices.SortedFunc(mapsKeys(offsets), compareTP) {
		o := offsets[tp]
		c.Offsets = append(c.Offsets, &internalv1.GroupOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: o.Offset, Metadata: o.Metadata})
	}
	return &internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Commit{Commit: c}}
}

// metadataRecord is generation gen with every member owning its target.
func metadataRecord(g *group, gen int64, target map[string][]TP) *internalv1.GroupRecord {
	md := &internalv1.GroupMetadataRecord{GroupId: g.id, Generation: gen, Assignor: g.assignor}
	for _, m := range g.sortedMembers() {
		md.Members = append(md.Members, &internalv1.GroupMemberRecord{
			MemberId: m.id, InstanceId: m.instance, Topics: m.topics, Assignor: m.assignor,
			SessionTimeoutMs: int32(m.timeout.Milliseconds()), Owned: toAssigned(target[m.id]),
		})
	}
	return &internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Metadata{Metadata: md}}
}

func toAssigned(tps []TP) []*internalv1.GroupAssigned {
	var out []*internalv1.GroupAssigned
	for _, tp := range tps {
		if len(out) == 0 || out[len(out)-1].Topic != tp.Topic {
			out = append(out, &internalv1.GroupAssigned{Topic: tp.Topic})
		}
		last := out[len(out)-1]
		last.Partitions = append(last.Partitions, tp.Partition)
	}
	return out
}

func fromAssigned(as []*internalv1.GroupAssigned) []TP {
	var out []TP
	for _, a := range as {
		for _, p := range a.GetPartitions() {
			out = append(out, TP{a.GetTopic(), p})
		}
	}
	slices.SortFunc(out, compareTP)
	return out
}
