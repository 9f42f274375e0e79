package group

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// TP names one partition of a topic.
type TP struct {
	Topic     string
	Partition int32
}

func compareTP(a, b TP) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// Subscription is one member's subscribed topics.
type Subscription struct {
	Member string
	Topics []string
}

// Assignor assigns the partitions of the subscribed topics (partitions: topic
// -> partition count; topics missing there do not exist) to the members.
// current is what each member owns now (the sticky assignor keeps it where it
// can). Every partition of a subscribed topic goes to exactly one member that
// subscribes to it; the result lists each member's partitions sorted. An
// assignor is a pure function, so every coordinator computes the same result.
type Assignor func(members []Subscription, partitions map[string]int32, current map[string][]TP) map[string][]TP

// Assignor names.
const (
	AssignorRange      = "range"
	AssignorRoundRobin = "roundrobin"
	AssignorSticky     = "sticky"
)

// Assignors are the assignors by name.
var Assignors = map[string]Assignor{
	AssignorRange:      Range,
	AssignorRoundRobin: RoundRobin,
	AssignorSticky:     Sticky,
}

// AssignorNames lists the assignors, sorted.
func AssignorNames() []string { return slices.Sorted(maps.Keys(Assignors)) }

// LookupAssignor returns the assignor of that name; "" is sticky.
func LookupAssignor(name string) (Assignor, string, error) {
	if name == "" {
		name = AssignorSticky
	}
	a, ok := Assignors[name]
	if !ok {
		return nil, "", fmt.Errorf("unknown assignor %q (known: %v)", name, AssignorNames())
	}
	return a, name, nil
}

// sortedMembers returns the members sorted by id, each topic list sorted.
func sortedMembers(members []Subscription) []Subscription {
	out := slices.Clone(members)
	slices.SortFunc(out, func(a, b Subscription) int { return cmp.Compare(a.Member, b.Member) })
	for i := range out {
		out[i].Topics = slices.Sorted(slices.Values(out[i].Topics))
	}
	return out
}

func emptyResult(members []Subscription) map[string][]TP {
	out := make(map[string][]TP, len(members))
	for _, m := range members {
		out[m.Member] = []TP{}
	}
	return out
}

// subscribers lists, per existing topic, the members subscribed to it in id order.
func subscribers(members []Subscription, partitions map[string]int32) map[string][]string {
	out := map[string][]string{}
	for _, m := range members {
		for _, t := range m.Topics {
			if _, ok := partitions[t]; ok && !slices.Contains(out[t], m.Member) {
				out[t] = append(out[t], m.Member)
			}
		}
	}
	return out
}

func finish(out map[string][]TP) map[string][]TP {
	for m := range out {
		slices.SortFunc(out[m], compareTP)
	}
	return out
}

// Range gives each member of a topic a contiguous range of its partitions,
// the first members one more when they do not divide evenly (Kafka's range).
func Range(members []Subscription, partitions map[string]int32, _ map[string][]TP) map[string][]TP {
	members = sortedMembers(members)
	out := emptyResult(members)
	for topic, subs := range subscribers(members, partitions) {
		n, k := int(partitions[topic]), len(subs)
		next := 0
		for i, m := range subs {
			count := n / k
			if i < n%k {
				count++
			}
			for p := next; p < next+count; p++ {
				out[m] = append(out[m], TP{topic, int32(p)})
			}
			next += count
		}
	}
	return finish(out)
}

// RoundRobin deals all partitions, in topic and partition order, to the
// members in turn, skipping members not subscribed to the partition's topic.
func RoundRobin(members []Subscription, partitions map[string]int32, _ map[string][]TP) map[string][]TP {
	members = sortedMembers(members)
	out := emptyResult(members)
	subs := subscribers(members, partitions)
	if len(members) == 0 {
		return out
	}
	turn := 0
	for _, topic := range slices.Sorted(maps.Keys(subs)) {
		for p := range partitions[topic] {
			for range members { // bounded: some member subscribes to topic
				m := members[turn%len(members)]
				turn++
				if slices.Contains(m.Topics, topic) {
					out[m.Member] = append(out[m.Member], TP{topic, p})
					break
				}
			}
		}
	}
	return finish(out)
}

// Sticky keeps every partition with its current owner where that keeps the
// assignment balanced, gives unowned partitions to the least loaded
// subscribed members, then moves partitions from the most to the least
// loaded members until their counts differ by at most one where
// subscriptions allow. With members that share a subscription the result is
// as balanced as range's, and a member leaving or joining moves only the
// partitions it must.
func Sticky(members []Subscription, partitions map[string]int32, current map[string][]TP) map[string][]TP {
	members = sortedMembers(members)
	out := emptyResult(members)
	subscribed := map[string]map[string]bool{}
	for _, m := range members {
		subscribed[m.Member] = map[string]bool{}
		for _, t := range m.Topics {
			subscribed[m.Member][t] = true
		}
	}
	taken := map[TP]bool{}
	for _, m := range members {
		for _, tp := range current[m.Member] {
			if subscribed[m.Member][tp.Topic] && tp.Partition >= 0 && tp.Partition < partitions[tp.Topic] && !taken[tp] {
				taken[tp] = true
				out[m.Member] = append(out[m.Member], tp)
			}
		}
	}
	subs := subscribers(members, partitions)
	for _, topic := range slices.Sorted(maps.Keys(subs)) {
		for p := range partitions[topic] {
			tp := TP{topic, p}
			if taken[tp] {
				continue
			}
			m := leastLoaded(out, subs[topic])
			out[m] = append(out[m], tp)
			taken[tp] = true
		}
	}
	rebalance(out, members, subscribed)
	return finish(out)
}

func leastLoaded(out map[string][]TP, candidates []string) string {
	best := candidates[0]
	for _, m := range candidates[1:] {
		if len(out[m]) < len(out[best]) {
			best = m
		}
	}
	return best
}

// rebalance moves one partition at a time from the most loaded member to a
// member with at least two fewer that subscribes to its topic, until no such
// move exists. Each move lowers the sum of squared counts, so it ends; the
// bound only guards against a mistake.
func rebalance(out map[string][]TP, members []Subscription, subscribed map[string]map[string]bool) {
	total := 0
	for _, tps := range out {
		total += len(tps)
	}
	for range total*len(members) + 1 {
		if !moveOne(out, members, subscribed) {
			return
		}
	}
}

func moveOne(out map[string][]TP, members []Subscription, subscribed map[string]map[string]bool) bool {
	byLoad := slices.Clone(members)
	slices.SortStableFunc(byLoad, func(a, b Subscription) int { return cmp.Compare(len(out[b.Member]), len(out[a.Member])) })
	for _, from := range byLoad {
		for i := len(byLoad) - 1; i >= 0; i-- {
			to := byLoad[i]
			if len(out[from.Member])-len(out[to.Member]) < 2 {
				break
			}
			// Move the last partition (highest numbers stay least sticky) the receiver can take.
			tps := out[from.Member]
			for j := len(tps) - 1; j >= 0; j-- {
				if subscribed[to.Member][tps[j].Topic] {
					out[to.Member] = append(out[to.Member], tps[j])
					out[from.Member] = append(tps[:j:j], tps[j+1:]...)
					return true
				}
			}
		}
	}
	return false
}
