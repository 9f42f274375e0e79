package sluice

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Routing metadata is asked of several brokers at once. One broker's answer
// is not enough when a broker is the problem: a hung broker (SIGSTOP, a
// full disk, a dead host whose connection has not broken yet) answers
// nothing until the call times out, and a broker cut off from the others
// still answers, naming the leader it last knew. So the client asks every
// broker it knows in parallel, each for at most metadataCallTimeout, waits
// for a majority of them (or all, or the deadline), and keeps for each
// partition the answer with the highest leader epoch: the raft term, which
// only a leader elected by a majority can have reached.

// metadataCallTimeout bounds one broker's metadata answer. A broker answers
// GetMetadata from memory, so a healthy one takes milliseconds even under
// load; one that takes longer is treated as down for this refresh.
const metadataCallTimeout = 2 * time.Second

// metadataFanout bounds how many brokers one refresh asks.
const metadataFanout = 5

type metadataAnswer struct {
	resp *sluicev1.GetMetadataResponse
	err  error
}

func (c *Client) fetchMetadata(ctx context.Context, topics []string) (*sluicev1.GetMetadataResponse, error) {
	addrs := c.candidates()
	if len(addrs) > metadataFanout {
		addrs = addrs[:metadataFanout]
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the slow brokers' calls end with the refresh
	answers := make(chan metadataAnswer, len(addrs))
	for _, addr := range addrs {
		go func() {
			resp, err := c.askMetadata(ctx, addr, topics)
			answers <- metadataAnswer{resp, err}
		}()
	}
	var got []*sluicev1.GetMetadataResponse
	var errs []error
	for range addrs {
		a := <-answers
		if a.err != nil {
			errs = append(errs, a.err)
		} else {
			got = append(got, a.resp)
		}
		if len(got) > len(addrs)/2 {
			break // a majority answered: a hung minority cannot hold the refresh
		}
	}
	if len(got) == 0 {
		return nil, firstDecisive(errs)
	}
	return mergeMetadata(got), nil
}

func (c *Client) askMetadata(ctx context.Context, addr string, topics []string) (*sluicev1.GetMetadataResponse, error) {
	conn, err := c.conn(addr)
	if err != nil {
		return nil, err
	}
	timeout := min(metadataCallTimeout, c.opts.requestTimeout)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := sluicev1.NewAdminServiceClient(conn).GetMetadata(cctx, &sluicev1.GetMetadataRequest{Topics: topics})
	if err != nil {
		return nil, fromRPC(err)
	}
	c.mu.Lock()
	c.preferred = addr
	c.mu.Unlock()
	return resp, nil
}

// firstDecisive returns the error to report when no broker answered: one
// that retrying cannot change (a topic not found) if any broker gave one,
// else the first.
func firstDecisive(errs []error) error {
	for _, err := range errs {
		if !IsRetryable(err) {
			return err
		}
	}
	if len(errs) == 0 {
		return errors.New("sluice: no broker to ask for metadata")
	}
	return errs[0]
}

// mergeMetadata combines answers: brokers and controller from the first,
// and for each partition the answer with the highest leader epoch among
// those that name a leader.
func mergeMetadata(answers []*sluicev1.GetMetadataResponse) *sluicev1.GetMetadataResponse {
	out := answers[0]
	if len(answers) == 1 {
		return out
	}
	best := map[string]map[int32]*sluicev1.PartitionMetadata{}
	for _, a := range answers {
		for _, t := range a.GetTopics() {
			if best[t.GetName()] == nil {
				best[t.GetName()] = map[int32]*sluicev1.PartitionMetadata{}
			}
			for _, p := range t.GetPartitions() {
				if cur := best[t.GetName()][p.GetPartition()]; cur == nil || newerLeader(p, cur) {
					best[t.GetName()][p.GetPartition()] = p
				}
			}
		}
	}
	merged := &sluicev1.GetMetadataResponse{Brokers: out.GetBrokers(), ControllerId: out.GetControllerId()}
	seen := map[string]bool{}
	for _, a := range answers {
		for _, t := range a.GetTopics() {
			if seen[t.GetName()] {
				continue
			}
			seen[t.GetName()] = true
			mt := &sluicev1.TopicMetadata{Name: t.GetName(), TopicId: t.GetTopicId()}
			for _, p := range best[t.GetName()] {
				mt.Partitions = append(mt.Partitions, p)
			}
			slices.SortFunc(mt.Partitions, func(x, y *sluicev1.PartitionMetadata) int { return cmp.Compare(x.GetPartition(), y.GetPartition()) })
			merged.Topics = append(merged.Topics, mt)
		}
	}
	return merged
}

// newerLeader says whether p names a leader more recent than cur does.
func newerLeader(p, cur *sluicev1.PartitionMetadata) bool {
	if (p.GetLeaderId() != 0) != (cur.GetLeaderId() != 0) {
		return p.GetLeaderId() != 0
	}
	return p.GetLeaderEpoch() > cur.GetLeaderEpoch()
}
