package server

import (
	"fmt"
	"testing"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

func brokersOn(racks ...string) []*internalv1.BrokerInfo {
	var out []*internalv1.BrokerInfo
	for i, r := range racks {
		out = append(out, &internalv1.BrokerInfo{Id: uint64(i + 1), Address: fmt.Sprintf("b%d", i+1), Rack: r})
	}
	return out
}

// TestPlacementSpreadsRacks: every partition's replicas use as many racks as
// there are (up to the replication factor), replicas never repeat a broker,
// and leaders (first replicas) spread evenly over the brokers.
func TestPlacementSpreadsRacks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		racks []string
		rf    int32
	}{
		{"no racks", []string{"", "", ""}, 3},
		{"three racks of two", []string{"a", "a", "b", "b", "c", "c"}, 3},
		{"uneven racks", []string{"a", "a", "a", "b"}, 2},
		{"uneven racks rf 3", []string{"a", "a", "a", "b", "b", "c"}, 3},
		{"more replicas than racks", []string{"a", "b", "a", "b"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			brokers := brokersOn(tc.racks...)
			rackOf := map[uint64]string{}
			distinctRacks := map[string]bool{}
			for _, b := range brokers {
				rackOf[b.GetId()] = b.GetRack()
				distinctRacks[b.GetRack()] = true
			}
			wantRacks := min(int(tc.rf), len(distinctRacks))
			parts := int32(len(brokers) * 4)
			leaders := map[uint64]int{}
			for p, r := range place(brokers, tc.name, 0, parts, tc.rf) {
				seen, racks := map[uint64]bool{}, map[string]bool{}
				for _, id := range r.GetBrokers() {
					if seen[id] {
						t.Fatalf("partition %d: broker %d twice in %v", p, id, r.GetBrokers())
					}
					seen[id], racks[rackOf[id]] = true, true
				}
				if len(r.GetBrokers()) != int(tc.rf) || len(racks) != wantRacks {
					t.Fatalf("partition %d: replicas %v on %d racks, want %d replicas on %d racks", p, r.GetBrokers(), len(racks), tc.rf, wantRacks)
				}
				leaders[r.GetBrokers()[0]]++
			}
			for _, b := range brokers {
				if leaders[b.GetId()] != 4 {
					t.Fatalf("broker %d leads %d of %d partitions, want 4: %v", b.GetId(), leaders[b.GetId()], parts, leaders)
				}
			}
		})
	}
}
