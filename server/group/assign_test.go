package group

import (
	"fmt"
	"reflect"
	"testing"
)

func tps(topic string, ps ...int32) []TP {
	out := []TP{}
	for _, p := range ps {
		out = append(out, TP{topic, p})
	}
	return out
}

func subs(topics []string, ids ...string) []Subscription {
	var out []Subscription
	for _, id := range ids {
		out = append(out, Subscription{Member: id, Topics: topics})
	}
	return out
}

func TestAssignors(t *testing.T) {
	one := []string{"t"}
	cases := []struct {
		name     string
		assignor Assignor
		members  []Subscription
		parts    map[string]int32
		current  map[string][]TP
		want     map[string][]TP
	}{
		{"range even", Range, subs(one, "a", "b"), map[string]int32{"t": 4}, nil,
			map[string][]TP{"a": tps("t", 0, 1), "b": tps("t", 2, 3)}},
		{"range uneven: first members one more", Range, subs(one, "a", "b", "c"), map[string]int32{"t": 5}, nil,
			map[string][]TP{"a": tps("t", 0, 1), "b": tps("t", 2, 3), "c": tps("t", 4)}},
		{"range: more members than partitions", Range, subs(one, "a", "b"), map[string]int32{"t": 1}, nil,
			map[string][]TP{"a": tps("t", 0), "b": {}}},
		{"roundrobin", RoundRobin, subs(one, "a", "b"), map[string]int32{"t": 5}, nil,
			map[string][]TP{"a": tps("t", 0, 2, 4), "b": tps("t", 1, 3)}},
		{"roundrobin skips members not subscribed", RoundRobin,
			[]Subscription{{"a", []string{"t", "u"}}, {"b", []string{"u"}}}, map[string]int32{"t": 2, "u": 2}, nil,
			map[string][]TP{"a": append(tps("t", 0, 1), tps("u", 1)...), "b": tps("u", 0)}},
		{"missing topics get nothing", Range, subs([]string{"nope"}, "a"), map[string]int32{"t": 2}, nil,
			map[string][]TP{"a": {}}},
		{"sticky from scratch balances", Sticky, subs(one, "a", "b", "c"), map[string]int32{"t": 12}, nil,
			map[string][]TP{"a": tps("t", 0, 3, 6, 9), "b": tps("t", 1, 4, 7, 10), "c": tps("t", 2, 5, 8, 11)}},
		{"sticky: a member leaves, the others keep theirs", Sticky, subs(one, "a", "c"), map[string]int32{"t": 6},
			map[string][]TP{"a": tps("t", 0, 1), "b": tps("t", 2, 3), "c": tps("t", 4, 5)},
			map[string][]TP{"a": tps("t", 0, 1, 2), "c": tps("t", 3, 4, 5)}},
		{"sticky: a member joins, the fewest move", Sticky, subs(one, "a", "b", "c"), map[string]int32{"t": 6},
			map[string][]TP{"a": tps("t", 0, 1, 2), "b": tps("t", 3, 4, 5)},
			map[string][]TP{"a": tps("t", 0, 1), "b": tps("t", 3, 4), "c": tps("t", 2, 5)}},
		{"sticky drops partitions that no longer exist", Sticky, subs(one, "a"), map[string]int32{"t": 2},
			map[string][]TP{"a": tps("t", 0, 1, 2)}, map[string][]TP{"a": tps("t", 0, 1)}},
		{"sticky respects subscriptions", Sticky,
			[]Subscription{{"a", []string{"t"}}, {"b", []string{"u"}}}, map[string]int32{"t": 3, "u": 1},
			map[string][]TP{"b": tps("t", 0)},
			map[string][]TP{"a": tps("t", 0, 1, 2), "b": tps("u", 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.assignor(c.members, c.parts, c.current)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
}

// TestAssignorsCoverEveryPartitionOnce: for many shapes, every assignor
// gives every partition of a subscribed topic to exactly one member, and
// sticky's counts differ by at most one among members of one subscription.
func TestAssignorsCoverEveryPartitionOnce(t *testing.T) {
	for members := 1; members <= 7; members++ {
		for n := int32(0); n <= 20; n++ {
			var ms []string
			for i := range members {
				ms = append(ms, fmt.Sprintf("m%d", i))
			}
			for name, a := range Assignors {
				got := a(subs([]string{"t"}, ms...), map[string]int32{"t": n}, nil)
				seen := map[TP]int{}
				lo, hi := int(n), 0
				for _, owned := range got {
					lo, hi = min(lo, len(owned)), max(hi, len(owned))
					for _, tp := range owned {
						seen[tp]++
					}
				}
				if len(seen) != int(n) {
					t.Fatalf("%s, %d members, %d partitions: %d assigned", name, members, n, len(seen))
				}
				for tp, k := range seen {
					if k != 1 {
						t.Fatalf("%s: %v assigned %d times", name, tp, k)
					}
				}
				if hi-lo > 1 {
					t.Fatalf("%s, %d members, %d partitions: unbalanced %d..%d", name, members, n, lo, hi)
				}
			}
		}
	}
}
