package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// processCluster is brokers 1..n as separate `sluice serve` processes.
type processCluster struct {
	t       *testing.T
	brokers map[uint64]*brokerProc
	conns   map[uint64]*grpc.ClientConn
}

func startProcessCluster(t *testing.T, n int) *processCluster {
	return startProcessClusterWith(t, n, func(uint64) []string { return nil })
}

// startProcessClusterWith starts brokers 1..n, giving broker id the serve
// flags extra(id) too (called again for each attempt). The ports are
// reserved and released before the brokers bind them, so another process
// can take one in between: a cluster whose broker found its address in use
// is started again on new ports, up to three times.
func startProcessClusterWith(t *testing.T, n int, extra func(id uint64) []string) *processCluster {
	for attempt := 1; ; attempt++ {
		c, err := launchProcessCluster(t, n, extra)
		if err == nil {
			return c
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("attempt %d: %v; starting again on other ports", attempt, err)
		for _, p := range c.brokers {
			p.kill()
		}
	}
}

func launchProcessCluster(t *testing.T, n int, extra func(id uint64) []string) (*processCluster, error) {
	addrs := freeAddrs(t, n)
	var ctl []string
	for i, a := range addrs {
		ctl = append(ctl, fmt.Sprintf("%d@%s", i+1, a))
	}
	c := &processCluster{t: t, brokers: map[uint64]*brokerProc{}, conns: map[uint64]*grpc.ClientConn{}}
	for i, a := range addrs {
		id := uint64(i + 1)
		p := &brokerProc{t: t, dataDir: t.TempDir(), listen: a, logs: &syncBuffer{},
			extra: append([]string{"--node-id", strconv.FormatUint(id, 10), "--initial-controllers", strings.Join(ctl, ",")}, extra(id)...)}
		p.launch()
		t.Cleanup(p.kill)
		c.brokers[id] = p
		conn, err := grpc.NewClient(a, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		c.conns[id] = conn
	}
	for _, p := range c.brokers {
		if err := p.serveOrExit(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// logsOnFailure has every broker's log printed if the test fails.
func (c *processCluster) logsOnFailure() {
	c.t.Cleanup(func() {
		if c.t.Failed() {
			for id, b := range c.brokers {
				c.t.Logf("broker %d log:\n%s", id, b.logs)
			}
		}
	})
}

// leader asks every broker for the partition's leader and returns one that
// a broker reports about itself.
func (c *processCluster) leader(topic string) (uint64, bool) {
	for id, conn := range c.conns {
		ctx, cancel := context.WithTimeout(c.t.Context(), time.Second)
		resp, err := sluicev1.NewAdminServiceClient(conn).DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: topic})
		cancel()
		if err == nil && resp.GetTopic().GetPartitions()[0].GetLeaderId() == id {
			return id, true
		}
	}
	return 0, false
}

// chaosProducer writes batches of 10 numbered records with acks=all to the leader,
// retrying a batch until it is acknowledged or time is up, and remembers
// every acknowledged value in acknowledgement order.
type chaosProducer struct {
	c      *processCluster
	topic  string
	acked  []string
	next   int
	failed int
}

func (p *chaosProducer) run(until time.Time) {
	for time.Now().Before(until) {
		batch := make([]*sluicev1.Record, 10)
		for i := range batch {
			batch[i] = &sluicev1.Record{Value: fmt.Appendf(nil, "v-%d", p.next+i)}
		}
		if p.send(batch, until) {
			for _, r := range batch {
				p.acked = append(p.acked, string(r.GetValue()))
			}
			p.next += len(batch)
		}
	}
}

func (p *chaosProducer) send(batch []*sluicev1.Record, until time.Time) bool {
	for time.Now().Before(until) {
		lead, ok := p.c.leader(p.topic)
		if !ok {
			time.Sleep(20 * time.Millisecond) // no leader yet: an election is under way
			continue
		}
		ctx, cancel := context.WithTimeout(p.c.t.Context(), 3*time.Second)
		ok = produceOnce(ctx, p.c.conns[lead], &sluicev1.ProduceRequest{
			Topic: p.topic, Partition: proto.Int32(0), Records: batch, Acks: sluicev1.Acks_ACKS_ALL,
		})
		cancel()
		if ok {
			return true
		}
		p.failed++
	}
	return false
}

func produceOnce(ctx context.Context, conn *grpc.ClientConn, req *sluicev1.ProduceRequest) bool {
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		return false
	}
	if stream.Send(req) != nil || stream.CloseSend() != nil {
		return false
	}
	resp, err := stream.Recv()
	return err == nil && resp.GetError() == nil && len(resp.GetResults()) == 1 && resp.GetResults()[0].GetError() == nil
}

// readReplica reads a broker's own replica up to its high watermark. An error
// is for the caller's poll to retry: a restarted broker may not be ready, and
// the client's connection to it may still be backing off.
func readReplica(t *testing.T, conn *grpc.ClientConn, topic string) ([]string, error) {
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(t.Context(), &sluicev1.FetchRequest{Topic: topic}, grpc.WaitForReady(true))
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, r := range resp.GetRecords() {
			if r.GetOffset() != int64(len(out)) {
				t.Fatalf("gap: offset %d at position %d", r.GetOffset(), len(out))
			}
			out = append(out, string(r.GetValue()))
		}
	}
}

func chaosDuration(t *testing.T) time.Duration {
	if s := os.Getenv("SLUICE_CHAOS_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SLUICE_CHAOS_SECONDS=%q", s)
		}
		return time.Duration(n) * time.Second
	}
	return 8 * time.Second
}

// TestNoAckedRecordLostWhileBrokersAreKilled is the cluster issue's check:
// three broker processes, a topic with replication factor 3, a chaosProducer
// writing with acks=all while each broker in turn is killed with SIGKILL and
// restarted. Afterwards every acknowledged record is readable, acknowledged
// records keep their order, and the three replicas hold the same records at
// the same offsets. `make test-chaos` runs it for 30 s.
func TestNoAckedRecordLostWhileBrokersAreKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	c := startProcessCluster(t, 3)
	c.brokers[1].mustCLI("", "topic", "create", "chaos", "--partitions", "1", "--replication-factor", "3")

	d := chaosDuration(t)
	until := time.Now().Add(d)
	p := &chaosProducer{c: c, topic: "chaos"}
	done := make(chan struct{})
	go func() { defer close(done); p.run(until) }()
	killEvery := d / 4
	for round := 0; time.Now().Add(killEvery).Before(until); round++ {
		time.Sleep(killEvery / 2) // let the chaosProducer run between faults
		victim := c.brokers[uint64(round%3+1)]
		victim.kill()
		time.Sleep(killEvery / 2) // the broker stays down for a while
		victim.launch()
		victim.waitServing()
	}
	<-done

	c.logsOnFailure()
	var replicas [][]string
	for id := uint64(1); id <= 3; id++ {
		var got []string
		waitForT(t, fmt.Sprintf("broker %d to catch up", id), func() bool {
			var err error
			got, err = readReplica(t, c.conns[id], "chaos")
			return err == nil && len(got) >= len(p.acked) && (id == 1 || len(got) == len(replicas[0]))
		})
		replicas = append(replicas, got)
	}
	for i := 1; i < 3; i++ {
		if !slices.Equal(replicas[i], replicas[0]) {
			t.Fatalf("replica on broker %d differs from broker 1 (%d vs %d records)", i+1, len(replicas[i]), len(replicas[0]))
		}
	}
	first := map[string]int{}
	for off, v := range replicas[0] {
		if _, ok := first[v]; !ok {
			first[v] = off
		}
	}
	lost, prev := 0, -1
	for _, v := range p.acked {
		off, ok := first[v]
		if !ok {
			lost++
			continue
		}
		if off < prev {
			t.Errorf("acknowledged %s is at offset %d, before an earlier acknowledged record (offset %d)", v, off, prev)
		}
		prev = off
	}
	t.Logf("acked=%d found=%d lost=%d (log holds %d records; %d attempts failed and were retried)",
		len(p.acked), len(p.acked)-lost, lost, len(replicas[0]), p.failed)
	if lost != 0 || len(p.acked) == 0 {
		t.Fatalf("lost %d of %d acknowledged records", lost, len(p.acked))
	}
}

func waitForT(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
