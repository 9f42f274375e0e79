package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
)

// jsonLog collects a broker's log lines, written by slog's JSON handler.
type jsonLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *jsonLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *jsonLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the lines whose msg is msg and whose fields include want
// (compared as printed: numbers as their decimal text).
func (l *jsonLog) lines(t *testing.T, msg string, want map[string]string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.text()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, sc.Text())
		}
		if m["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range want {
			if fmt.Sprint(m[k]) != v {
				ok = false
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// startLoggedCluster starts n in-process brokers, each logging JSON at debug
// level into its own jsonLog.
func startLoggedCluster(t *testing.T, n int, adjust func(*server.Config)) (*testCluster, map[uint64]*jsonLog) {
	logs := map[uint64]*jsonLog{}
	for id := uint64(1); id <= uint64(n); id++ {
		logs[id] = &jsonLog{}
	}
	c := startClusterWith(t, n, func(cfg *server.Config) {
		cfg.Logger = logs[cfg.NodeID].logger()
		if adjust != nil {
			adjust(cfg)
		}
	})
	return c, logs
}

// TestStateChangesAreLogged: a line when a broker joins the cluster, when a
// broker gains or loses a partition's leadership, and when retention
// removes records (how many, up to which offset); each names the topic and
// partition.
func TestStateChangesAreLogged(t *testing.T) {
	c, logs := startLoggedCluster(t, 3, nil)
	// Broker 1 started first, before the others registered.
	for _, id := range []string{"2", "3"} {
		waitFor(t, "broker 1 to log that broker "+id+" joined", func() bool {
			return len(logs[1].lines(t, "broker joined the cluster", map[string]string{"broker": id})) == 1
		})
	}

	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	if _, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "lead", Partitions: 1, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	first := c.leaderOf("lead", 0)
	gained := func(id uint64) func() bool {
		return func() bool {
			return len(logs[id].lines(t, "partition leadership gained", map[string]string{"topic": "lead", "partition": "0"})) > 0
		}
	}
	waitFor(t, fmt.Sprintf("leader %d to log that it gained the partition", first), gained(first))
	c.stop(first)
	var second uint64
	waitFor(t, "another broker to take over and log it", func() bool {
		for id := range c.brokers {
			if id != first && gained(id)() {
				second = id
				return true
			}
		}
		return false
	})
	// With the first leader back, leadership eventually moves to the
	// partition's preferred replica; whoever hands it over logs the loss.
	c.restart(first)
	waitFor(t, "a broker to log that it lost the partition's leadership", func() bool {
		for id := range c.brokers {
			if len(logs[id].lines(t, "partition leadership lost", map[string]string{"topic": "lead", "partition": "0"})) > 0 {
				return true
			}
		}
		return false
	})
	_ = second
}

// TestRetentionIsLogged: the leader logs how many records retention removes
// and up to which offset.
func TestRetentionIsLogged(t *testing.T) {
	c, logs := startLoggedCluster(t, 1, func(cfg *server.Config) { cfg.RetentionCheckInterval = 50 * time.Millisecond })
	conn := c.conn(1)
	const retained = 64 << 10
	_, err := sluicev1.NewAdminServiceClient(conn).CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{
		Name: "ret", Partitions: 1, Configs: map[string]string{"retention.bytes": strconv.Itoa(retained)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Retention removes whole segments, which end at entry boundaries: a
	// loaded leader may coalesce many requests into one entry, so records go
	// in rounds (at most 40 of 128 KiB) until one of them lets a segment go.
	var line map[string]any
	for round := 0; round < 40 && line == nil; round++ {
		produceBytes(t, conn, "ret", 128<<10, 4<<10, 4)
		deadline := time.Now().Add(time.Second)
		for line == nil && time.Now().Before(deadline) {
			if ls := logs[1].lines(t, "retention removes records", map[string]string{"topic": "ret", "partition": "0"}); len(ls) > 0 {
				line = ls[0]
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if line == nil {
		t.Fatal("no retention line after 40 rounds of 128 KiB over a 64 KiB retention.bytes")
	}
	records, upTo, start := line["records"].(float64), line["up_to_offset"].(float64), line["log_start_offset"].(float64)
	if records <= 0 || upTo != start-1 || line["retention_bytes"] != float64(retained) {
		t.Errorf("retention line %v: want records > 0, up_to_offset = log_start_offset-1, retention_bytes %d", line, retained)
	}
}

// TestFailedCallsCarryARequestID: a failed call's log line has a request
// id, the client's own when it sent x-request-id, else the broker's; the
// client gets it back in the x-request-id trailer. Forwarded calls keep the
// client's id on the broker that serves them.
func TestFailedCallsCarryARequestID(t *testing.T) {
	c, logs := startLoggedCluster(t, 1, nil)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	tests := []struct {
		name, sent string
		want       func(string) bool
	}{
		{"the client's", "req-42.a", func(id string) bool { return id == "req-42.a" }},
		{"the broker's", "", func(id string) bool { return strings.HasPrefix(id, "1-") }},
		{"the broker's, for an id that is not printable", "bad id", func(id string) bool { return strings.HasPrefix(id, "1-") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.sent != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", tt.sent)
			}
			var trailer metadata.MD
			_, err := admin.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: "nope"}, grpc.Trailer(&trailer))
			if status.Code(err) != codes.NotFound {
				t.Fatalf("DescribeTopic = %v, want NOT_FOUND", err)
			}
			got := trailer.Get("x-request-id")
			if len(got) != 1 || !tt.want(got[0]) {
				t.Fatalf("trailer x-request-id = %q", got)
			}
			waitFor(t, "the failed call's log line with its request id", func() bool {
				return len(logs[1].lines(t, "finished call", map[string]string{"request_id": got[0], "grpc.code": "NotFound"})) == 1
			})
		})
	}
	// A call that succeeds gets no trailer.
	var trailer metadata.MD
	if _, err := admin.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{}, grpc.Trailer(&trailer)); err != nil {
		t.Fatal(err)
	}
	if got := trailer.Get("x-request-id"); len(got) != 0 {
		t.Errorf("a successful call got request id %q", got)
	}
}

// TestLogsNeverCarryRecordBytes: records produced, fetched and refused,
// with every line at debug level, leave no key, value or header bytes in
// the log.
func TestLogsNeverCarryRecordBytes(t *testing.T) {
	c, logs := startLoggedCluster(t, 1, nil)
	conn := c.conn(1)
	if _, err := sluicev1.NewAdminServiceClient(conn).CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "s", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	const secret = "SECRET-RECORD-BYTES-7f3a"
	rec := &sluicev1.Record{Key: []byte(secret + "-key"), Value: []byte(secret + "-value"),
		Headers: []*sluicev1.Header{{Key: "h", Value: []byte(secret + "-header")}}}
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, req := range []*sluicev1.ProduceRequest{
		{Sequence: 1, Topic: "s", Partition: new(int32(0)), Records: []*sluicev1.Record{rec}},
		{Sequence: 2, Topic: "s", Partition: new(int32(7)), Records: []*sluicev1.Record{rec}},       // no such partition
		{Sequence: 3, Topic: "missing", Partition: new(int32(0)), Records: []*sluicev1.Record{rec}}, // no such topic
	} {
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_ = stream.CloseSend()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	fetch, err := sluicev1.NewFetchServiceClient(conn).Fetch(ctx, &sluicev1.FetchRequest{Topic: "s",
		StartAll: &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := fetch.Recv(); err != nil {
			break
		}
	}
	// A request the broker refuses as a whole (a record over the limit).
	big := &sluicev1.Record{Value: []byte(secret + strings.Repeat("x", 2<<20))}
	stream, err = sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&sluicev1.ProduceRequest{Sequence: 1, Topic: "s", Records: []*sluicev1.Record{big}})
	_, _ = stream.Recv()
	_ = stream.CloseSend()
	waitFor(t, "the calls' log lines", func() bool {
		return strings.Count(logs[1].text(), `"msg":"finished call"`) >= 3
	})
	if strings.Contains(logs[1].text(), secret) {
		t.Errorf("the log holds record bytes:\n%s", logs[1].text())
	}
}

// TestGroupRebalanceIsLogged: each generation of a group is one line with
// its number, its members and how many partitions they own.
func TestGroupRebalanceIsLogged(t *testing.T) {
	c, logs := startLoggedCluster(t, 1, nil)
	conn := c.conn(1)
	if _, err := sluicev1.NewAdminServiceClient(conn).CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "g", Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	groups := sluicev1.NewGroupCoordinatorServiceClient(conn)
	a := join(t, groups, &sluicev1.JoinGroup{GroupId: "logged", Topics: []string{"g"}})
	a.until(4)
	waitFor(t, "generation 1's line", func() bool {
		return len(logs[1].lines(t, "group rebalanced", map[string]string{"group": "logged", "generation": "1",
			"members": "1", "member_ids": a.id, "partitions_assigned": "4"})) == 1
	})
	b := join(t, groups, &sluicev1.JoinGroup{GroupId: "logged", Topics: []string{"g"}})
	a.until(2)
	b.until(2)
	waitFor(t, "a generation with both members", func() bool {
		for _, l := range logs[1].lines(t, "group rebalanced", map[string]string{"group": "logged", "members": "2"}) {
			ids := strings.Split(l["member_ids"].(string), ",")
			if len(ids) == 2 && slices.Contains(ids, a.id) && slices.Contains(ids, b.id) {
				return true
			}
		}
		return false
	})
}
