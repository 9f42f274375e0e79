package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// groupConsumerProc is a `sluice consume --group --follow --format json`
// process: the records it printed and the partitions it was last assigned.
type groupConsumerProc struct {
	cmd    *exec.Cmd
	exited chan struct{}

	mu       sync.Mutex
	values   []string
	assigned []int32
	stderr   strings.Builder
}

var assignedRE = regexp.MustCompile(`generation \d+: assigned (?:nothing|\S+\[([0-9 ]+)\])`)

func startGroupConsumer(t *testing.T, broker, topic, group string, sessionTimeout time.Duration) *groupConsumerProc {
	t.Helper()
	p := &groupConsumerProc{exited: make(chan struct{})}
	p.cmd = exec.Command(sluiceBinary(t), "--broker", broker, "consume", topic, "--group", group, "--follow",
		"--format", "json", "--session-timeout", sessionTimeout.String())
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var rec struct{ Value string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				p.mu.Lock()
				p.values = append(p.values, rec.Value)
				p.mu.Unlock()
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(errOut)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			if m := assignedRE.FindStringSubmatch(sc.Text()); m != nil {
				p.assigned = nil
				for _, f := range strings.Fields(m[1]) {
					n, _ := strconv.Atoi(f)
					p.assigned = append(p.assigned, int32(n))
				}
			}
			p.mu.Unlock()
		}
	}()
	go func() { wg.Wait(); _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)
	return p
}

func (p *groupConsumerProc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

func (p *groupConsumerProc) owned() []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int32(nil), p.assigned...)
}

func (p *groupConsumerProc) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.values...)
}

// groupProducer writes numbered keyless records (spread over the
// partitions) in batches through the CLI until stopped, and remembers the
// acknowledged ones.
type groupProducer struct {
	c     *processCluster
	topic string
	stop  chan struct{}
	done  chan struct{}
	acked []string
}

func (p *groupProducer) run() {
	defer close(p.done)
	for n := 0; ; {
		select {
		case <-p.stop:
			return
		default:
		}
		var batch []string
		for i := range 20 {
			batch = append(batch, fmt.Sprintf("r-%d", n+i))
		}
		for _, b := range p.c.brokers { // a killed broker fails at once
			if _, _, err := b.cli(strings.Join(batch, "\n")+"\n", "produce", p.topic); err == nil {
				p.acked = append(p.acked, batch...)
				n += len(batch)
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsumerGroupSurvivesMemberAndCoordinatorKills is the consumer group
// issue's check, on three broker processes: three `sluice consume --group g
// --follow` processes share a 12-partition topic, 4 partitions each; one is
// killed with SIGKILL while records are produced and its partitions move to
// the other two within the session timeout plus 5 s; then the broker that
// coordinates the group is killed and the group carries on with its
// committed offsets intact. Every acknowledged record is consumed at least
// once; the redelivered count is reported.
func TestConsumerGroupSurvivesMemberAndCoordinatorKills(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	c := startProcessCluster(t, 3)
	c.logsOnFailure()
	b1 := c.brokers[1]
	b1.mustCLI("", "topic", "create", "events", "--partitions", "12", "--replication-factor", "3")
	const session = 3 * time.Second
	var consumers []*groupConsumerProc
	for range 3 {
		consumers = append(consumers, startGroupConsumer(t, b1.addr, "events", "g", session))
	}
	waitForT(t, "three members with 4 partitions each", func() bool {
		for _, cp := range consumers {
			if len(cp.owned()) != 4 {
				return false
			}
		}
		return true
	})
	t.Logf("assigned: %v %v %v", consumers[0].owned(), consumers[1].owned(), consumers[2].owned())

	prod := &groupProducer{c: c, topic: "events", stop: make(chan struct{}), done: make(chan struct{})}
	go prod.run()
	waitForT(t, "records to flow", func() bool { return len(consumers[0].seen()) > 20 })

	victim, survivors := consumers[2], consumers[:2]
	victim.kill()
	killed := time.Now()
	waitForT(t, "the survivors to own all 12 partitions", func() bool {
		return len(survivors[0].owned())+len(survivors[1].owned()) == 12
	})
	moved := time.Since(killed)
	t.Logf("partitions moved %.1fs after the SIGKILL (session timeout %s): %v %v", moved.Seconds(), session, survivors[0].owned(), survivors[1].owned())
	if moved > session+5*time.Second {
		t.Errorf("partitions took %s to move; want within the session timeout plus 5 s", moved)
	}

	// Kill the broker that coordinates g.
	coord := describeGroup(t, c, "g").GetCoordinatorId()
	before := committedOffsets(describeGroup(t, c, "g"))
	c.brokers[coord].kill()
	t.Logf("killed broker %d, the coordinator of g", coord)
	var after *sluicev1.DescribeGroupResponse
	waitForT(t, "a new coordinator to describe g", func() bool {
		after = tryDescribeGroup(c, "g", coord)
		return after != nil && after.GetCoordinatorId() != coord
	})
	for tp, off := range committedOffsets(after) {
		if off < before[tp] {
			t.Errorf("partition %d: committed offset went back from %d to %d after the coordinator failed", tp, before[tp], off)
		}
	}
	for p, off := range before {
		if _, ok := committedOffsets(after)[p]; !ok && off >= 0 {
			t.Errorf("partition %d: commit %d lost after the coordinator failed", p, off)
		}
	}
	t.Logf("new coordinator: broker %d, generation %d, state %s", after.GetCoordinatorId(), after.GetGeneration(), after.GetState())
	mark := len(survivors[0].seen()) + len(survivors[1].seen())
	waitForT(t, "the group to carry on after the coordinator failed", func() bool {
		return len(survivors[0].seen())+len(survivors[1].seen()) > mark+100
	})
	close(prod.stop)
	<-prod.done

	seen := map[string]int{}
	waitForT(t, "every acknowledged record to be consumed", func() bool {
		clear(seen)
		for _, cp := range consumers {
			for _, v := range cp.seen() {
				seen[v]++
			}
		}
		for _, v := range prod.acked {
			if seen[v] == 0 {
				return false
			}
		}
		return true
	})
	redelivered := 0
	for _, n := range seen {
		redelivered += n - 1
	}
	t.Logf("produced %d records; consumed %d distinct, %d redelivered (read more than once)", len(prod.acked), len(seen), redelivered)
}

func describeGroup(t *testing.T, c *processCluster, group string) *sluicev1.DescribeGroupResponse {
	t.Helper()
	var d *sluicev1.DescribeGroupResponse
	waitForT(t, "describe group", func() bool {
		d = tryDescribeGroup(c, group, 0)
		return d != nil
	})
	return d
}

// tryDescribeGroup asks each live broker but skip.
func tryDescribeGroup(c *processCluster, group string, skip uint64) *sluicev1.DescribeGroupResponse {
	for id, conn := range c.conns {
		if id == skip {
			continue
		}
		ctx, cancel := contextWithTimeout(c.t, 2*time.Second)
		d, err := sluicev1.NewGroupCoordinatorServiceClient(conn).DescribeGroup(ctx, &sluicev1.DescribeGroupRequest{GroupId: group})
		cancel()
		if err == nil {
			return d
		}
	}
	return nil
}

func committedOffsets(d *sluicev1.DescribeGroupResponse) map[int32]int64 {
	out := map[int32]int64{}
	for _, p := range d.GetPartitions() {
		if p.GetCommittedOffset() >= 0 {
			out[p.GetPartition()] = p.GetCommittedOffset()
		}
	}
	return out
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}
