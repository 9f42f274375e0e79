package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Report is what the checkers found after a run. Every field but the
// counts and Settle must be empty for the run to pass.
type Report struct {
	Acked, Stored int
	// Lost are acknowledged records no replica holds, and Misplaced
	// acknowledged records stored at another offset than acknowledged.
	Lost, Misplaced []string
	// Duplicates are values stored more than once in a partition.
	Duplicates []string
	// Reordered are records of one producer stored in a partition out of
	// the order it sent them.
	Reordered []string
	// Gaps are offsets missing inside a partition's log.
	Gaps []string
	// Divergent are partitions whose replicas hold different records.
	Divergent []string
	// Unavailable are partitions that did not take a write after the
	// faults healed, or replicas that could not be read.
	Unavailable []string
	// Unconsumed are acknowledged records the consumer group never read,
	// and CommitsBackward committed offsets that moved backwards.
	Unconsumed, CommitsBackward []string
	// Settle is how long after the last heal every partition was led and
	// every replica caught up.
	Settle time.Duration
}

// Anomalies lists every finding, one line each.
func (r *Report) Anomalies() []string {
	var out []string
	add := func(what string, items []string) {
		if len(items) > 0 {
			out = append(out, fmt.Sprintf("%d %s: %s", len(items), what, firstFew(items)))
		}
	}
	add("acknowledged records lost", r.Lost)
	add("acknowledged records at another offset", r.Misplaced)
	add("duplicated records", r.Duplicates)
	add("reordered records", r.Reordered)
	add("offset gaps", r.Gaps)
	add("divergent partitions", r.Divergent)
	add("unavailable partitions or replicas", r.Unavailable)
	add("acknowledged records the group never consumed", r.Unconsumed)
	add("committed offsets that moved backwards", r.CommitsBackward)
	return out
}

func firstFew(items []string) string {
	if len(items) > 5 {
		return fmt.Sprint(items[:5], " ...")
	}
	return fmt.Sprint(items)
}

type stored struct {
	offset int64
	value  string
}

// Check reads every replica of every partition of topic directly from the
// broker holding it, once they have caught up with each other (waiting up
// to settle), and compares what they hold with each other and with acks.
func Check(ctx context.Context, c *Cluster, topic string, partitions int32, replicas func(int32) []uint64, acks []Ack, settle time.Duration) (*Report, error) {
	r := &Report{Acked: len(acks)}
	start := time.Now()
	conns := map[uint64]*grpc.ClientConn{}
	for _, b := range c.Brokers {
		conn, err := c.Conn(b)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		conns[b.ID] = conn
	}
	byPartition := map[int32][]stored{}
	for p := range partitions {
		logs, err := readAgreeing(ctx, conns, topic, p, replicas(p), start.Add(settle))
		if err != nil {
			r.Unavailable = append(r.Unavailable, fmt.Sprintf("%d: %v", p, err))
		}
		if logs == nil {
			continue
		}
		if !allEqual(logs) {
			r.Divergent = append(r.Divergent, describeDivergence(p, logs))
		}
		for _, l := range logs {
			byPartition[p] = l
			break
		}
	}
	r.Settle = time.Since(start)
	for p, log := range byPartition {
		r.Stored += len(log)
		checkLog(r, p, log)
	}
	checkAcks(r, byPartition, acks)
	return r, nil
}

// readAgreeing reads each replica until all report the same number of
// records, or until the deadline; it returns the last reads.
func readAgreeing(ctx context.Context, conns map[uint64]*grpc.ClientConn, topic string, p int32, ids []uint64, deadline time.Time) (map[uint64][]stored, error) {
	for {
		logs := map[uint64][]stored{}
		var err error
		for _, id := range ids {
			var l []stored
			if l, err = readReplica(ctx, conns[id], topic, p); err != nil {
				err = fmt.Errorf("replica on broker %d: %w", id, err)
				break
			}
			logs[id] = l
		}
		if err == nil && sameLengths(logs) {
			return logs, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				return nil, err
			}
			return logs, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sameLengths(logs map[uint64][]stored) bool {
	n := -1
	for _, l := range logs {
		if n >= 0 && len(l) != n {
			return false
		}
		n = len(l)
	}
	return true
}

func allEqual(logs map[uint64][]stored) bool {
	var first []stored
	for _, l := range logs {
		if first == nil {
			first = l
		} else if !slices.Equal(first, l) {
			return false
		}
	}
	return true
}

func describeDivergence(p int32, logs map[uint64][]stored) string {
	s := fmt.Sprintf("partition %d:", p)
	for id, l := range logs {
		s += fmt.Sprintf(" broker %d holds %d records", id, len(l))
	}
	return s
}

// readReplica reads one broker's own replica of a partition up to its high
// watermark.
func readReplica(ctx context.Context, conn *grpc.ClientConn, topic string, p int32) ([]stored, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(ctx, &sluicev1.FetchRequest{Topic: topic,
		Partitions: []*sluicev1.FetchPartition{{Partition: p, Start: &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_EARLIEST}}}}})
	if err != nil {
		return nil, err
	}
	var out []stored
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, rec := range resp.GetRecords() {
			out = append(out, stored{rec.GetOffset(), string(rec.GetValue())})
		}
	}
}

// checkLog looks inside one partition's log for gaps, duplicates and each
// producer's order.
func checkLog(r *Report, p int32, log []stored) {
	seen := map[string]int64{}
	lastSeq := map[int]int{}
	for i, s := range log {
		if i > 0 && s.offset != log[i-1].offset+1 {
			r.Gaps = append(r.Gaps, fmt.Sprintf("%d: %d after %d", p, s.offset, log[i-1].offset))
		}
		if first, dup := seen[s.value]; dup {
			r.Duplicates = append(r.Duplicates, fmt.Sprintf("%d: %s at %d and %d", p, s.value, first, s.offset))
		}
		seen[s.value] = s.offset
		if prod, seq, ok := ParseValue(s.value); ok {
			if last, had := lastSeq[prod]; had && seq < last {
				r.Reordered = append(r.Reordered, fmt.Sprintf("%d: %s at %d after seq %d", p, s.value, s.offset, last))
			}
			lastSeq[prod] = max(lastSeq[prod], seq)
		}
	}
}

// checkAcks checks each acknowledged record is stored at the offset it was
// acknowledged with.
func checkAcks(r *Report, logs map[int32][]stored, acks []Ack) {
	at := map[int32]map[string]int64{}
	for p, log := range logs {
		at[p] = make(map[string]int64, len(log))
		for _, s := range log {
			at[p][s.value] = s.offset
		}
	}
	for _, a := range acks {
		v := Value(a.Producer, a.Seq)
		off, ok := at[a.Partition][v]
		switch {
		case !ok:
			r.Lost = append(r.Lost, fmt.Sprintf("%d: %s at %d", a.Partition, v, a.Offset))
		case off != a.Offset:
			r.Misplaced = append(r.Misplaced, fmt.Sprintf("%d: %s acknowledged at %d, stored at %d", a.Partition, v, a.Offset, off))
		}
	}
}
