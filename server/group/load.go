package group

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// loadRetry is the pause between attempts to load a shard.
const loadRetry = 200 * time.Millisecond

// load rebuilds a shard's groups from its partition. It first appends a
// marker and waits for it to commit: raft commits it only after every entry
// of earlier terms, and the leader applies in order, so once it returns the
// replay up to the high watermark sees every record an earlier coordinator
// wrote. Only the leader writes to the partition, so nothing else lands
// meanwhile. It retries until it succeeds or the shard is dropped.
func (c *Coordinator) load(sh *shard) {
	defer c.wg.Done()
	start := time.Now()
	for attempt := 0; ; attempt++ {
		groups, n, err := c.replay(sh)
		if err == nil {
			loaded := len(groups) // before the map is shared
			c.mu.Lock()
			if c.current(sh) {
				now := time.Now()
				for _, g := range groups {
					g.shard = sh
					for _, m := range g.members {
						m.lastHeard = now // members get a session timeout to rejoin here
					}
				}
				sh.groups, sh.loaded = groups, true
				sh.records, sh.compactAt = n, c.cfg.CompactRecords
			}
			c.mu.Unlock()
			c.log.Info("group coordinator loaded", "partition", sh.partition, "term", sh.term,
				"groups", loaded, "records", n, "took", time.Since(start).Round(time.Millisecond))
			return
		}
		if sh.ctx.Err() != nil {
			return
		}
		if attempt%10 == 0 {
			c.log.Info("group coordinator load failed; retrying", "partition", sh.partition, "err", err)
		}
		select {
		case <-sh.ctx.Done():
			return
		case <-time.After(loadRetry):
		}
	}
}

func (c *Coordinator) replay(sh *shard) (map[string]*group, int, error) {
	marker, err := encode(&internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Marker{
		Marker: &internalv1.CoordinatorMarker{Node: c.cfg.NodeID, Term: sh.term},
	}})
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(sh.ctx, 10*time.Second)
	defer cancel()
	if _, err := sh.log.Append(ctx, [][]byte{marker}); err != nil {
		return nil, 0, fmt.Errorf("append coordinator marker: %w", err)
	}
	groups := map[string]*group{}
	n := 0
	err = sh.log.ReadAll(ctx, func(off int64, value []byte) error {
		n++
		var rec internalv1.GroupRecord
		if err := proto.Unmarshal(value, &rec); err != nil {
			return fmt.Errorf("decode group record at offset %d: %w", off, err)
		}
		applyRecord(groups, off, &rec)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("replay offsets partition %d: %w", sh.partition, err)
	}
	return groups, n, nil
}

// applyRecord applies one replayed record. Members of a generation come
// back disconnected: they keep their partitions until they rejoin or their
// session timeout runs out.
func applyRecord(groups map[string]*group, off int64, rec *internalv1.GroupRecord) {
	switch k := rec.GetKind().(type) {
	case *internalv1.GroupRecord_Commit:
		g := getGroup(groups, k.Commit.GetGroupId())
		for _, o := range k.Commit.GetOffsets() {
			g.setOffset(TP{o.GetTopic(), o.GetPartition()}, Offset{Offset: o.GetOffset(), Metadata: o.GetMetadata(), at: off})
		}
	case *internalv1.GroupRecord_Metadata:
		md := k.Metadata
		g := getGroup(groups, md.GetGroupId())
		g.generation, g.assignor = md.GetGeneration(), md.GetAssignor()
		g.members = map[string]*member{}
		for _, mr := range md.GetMembers() {
			m := &member{
				id: mr.GetMemberId(), instance: mr.GetInstanceId(), topics: mr.GetTopics(), assignor: mr.GetAssignor(),
				timeout: time.Duration(mr.GetSessionTimeoutMs()) * time.Millisecond, owned: fromAssigned(mr.GetOwned()),
				revoking: map[TP]bool{},
			}
			g.members[m.id] = m
		}
	case *internalv1.GroupRecord_Deleted:
		delete(groups, k.Deleted.GetGroupId())
	}
}

func getGroup(groups map[string]*group, id string) *group {
	g := groups[id]
	if g == nil {
		g = newGroup(id, nil)
		groups[id] = g
	}
	return g
}
