package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// cliResult is what one run of the CLI printed and returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(tb testing.TB, stdin io.Reader, args ...string) cliResult {
	tb.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	code := run(args, stdin, &stdout, &stderr)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func numberedLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "record-%d\n", i)
	}
	return b.String()
}

func startProducer(t *testing.T, f *fakeProducer) string {
	return startServer(t, func(s *grpc.Server) { sluicev1.RegisterProduceServiceServer(s, f) })
}

func startFetcher(t *testing.T, f *fakeFetcher) string {
	return startServer(t, func(s *grpc.Server) { sluicev1.RegisterFetchServiceServer(s, f) })
}

func TestConsume(t *testing.T) {
	responses := []*sluicev1.FetchResponse{
		{Partition: 0, Records: []*sluicev1.Record{{Offset: 0, Value: []byte("a")}, {Offset: 1, Value: []byte("b")}}},
		{Partition: 2, Records: []*sluicev1.Record{{Offset: 7, TimestampMs: 1500, Key: []byte("k"), Value: []byte{0xff}}}},
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "text", want: "a\nb\n\xff\n"},
		{name: "max inside a response", args: []string{"--max", "1"}, want: "a\n"},
		{name: "max across responses", args: []string{"--max", "3"}, want: "a\nb\n\xff\n"},
		{
			name: "json",
			args: []string{"--format", "json", "--partition", "0", "--partition", "2"},
			want: `{"offset":0,"partition":0,"timestamp":"1970-01-01T00:00:00Z","value":"a","headers":[]}` + "\n" +
				`{"offset":1,"partition":0,"timestamp":"1970-01-01T00:00:00Z","value":"b","headers":[]}` + "\n" +
				`{"offset":7,"partition":2,"timestamp":"1970-01-01T00:00:01.5Z","key":"k","value_base64":"/w==","headers":[]}` + "\n",
		},
		{name: "follow until max", args: []string{"--follow", "--max", "5"}, want: "a\nb\n\xff\ntail\ntail\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeFetcher{responses: responses}
			addr := startFetcher(t, f)
			res := runCLI(t, nil, append([]string{"--broker", addr, "consume", "t"}, tt.args...)...)
			if res.code != 0 || res.stdout != tt.want || res.stderr != "" {
				t.Errorf("consume = %+v, want stdout %q", res, tt.want)
			}
		})
	}
}

func TestConsumeInterrupted(t *testing.T) {
	// While this is registered a stray SIGINT cannot kill the test binary, even
	// if the CLI has already returned and dropped its own handler.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, os.Interrupt)
	defer signal.Stop(guard)

	f := &fakeFetcher{opened: make(chan struct{})}
	addr := startFetcher(t, f)
	go func() {
		// The CLI has its signal handler by the time the stream is open, so the
		// signal cancels the command instead of killing the test.
		select {
		case <-f.opened:
			time.Sleep(20 * time.Millisecond)
			syscall.Kill(syscall.Getpid(), syscall.SIGINT)
		case <-time.After(10 * time.Second):
		}
	}()
	res := runCLI(t, nil, "--broker", addr, "consume", "t", "--follow")
	if res.code != 0 || res.stderr != "" || !strings.HasPrefix(res.stdout, "tail\n") {
		t.Errorf("consume = code %d stderr %q stdout %.30q", res.code, res.stderr, res.stdout)
	}
}

func startAdmin(t *testing.T) (*fakeAdmin, string) {
	a := &fakeAdmin{topic: &sluicev1.TopicDescription{
		Name:              "events",
		TopicId:           "3f2a",
		ReplicationFactor: 3,
		Configs:           map[string]string{"retention.ms": "1000", "cleanup.policy": "delete"},
		EffectiveConfigs:  map[string]string{"retention.ms": "1000", "cleanup.policy": "delete", "min.insync.replicas": "1", "message.timestamp.type": "CreateTime"},
		Partitions: []*sluicev1.PartitionDescription{
			{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1, 2, 3}, LogStartOffset: 0, HighWatermark: 120},
			{Partition: 1, LeaderId: 0, ReplicaIds: []uint64{2, 3, 1}, LogStartOffset: 15, HighWatermark: 1000000},
		},
	}}
	return a, startServer(t, func(s *grpc.Server) { sluicev1.RegisterAdminServiceServer(s, a) })
}

func TestTopicCommands(t *testing.T) {
	a, addr := startAdmin(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string
		err  string
	}{
		{
			name: "create",
			args: []string{"topic", "create", "orders", "--partitions", "3", "--config", "retention.ms=5", "--replication-factor", "2"},
			out:  "created topic orders (3 partitions)\n",
		},
		{
			name: "list",
			args: []string{"topic", "list"},
			out: "NAME                      PARTITIONS  REPLICATION\n" +
				"events                    12          3\n" +
				"a-much-longer-topic-name  1           1\n",
		},
		{
			name: "describe",
			args: []string{"topic", "describe", "events"},
			out: "Topic:              events\n" +
				"Topic ID:           3f2a\n" +
				"Replication factor: 3\n" +
				"Configs:            cleanup.policy=delete, retention.ms=1000\n" +
				"Defaults:           message.timestamp.type=CreateTime, min.insync.replicas=1\n" +
				"\n" +
				"PARTITION  LEADER  REPLICAS  LOG START  HIGH WATERMARK\n" +
				"0          1       1,2,3     0          120\n" +
				"1          none    2,3,1     15         1000000\n",
		},
		{name: "describe unknown", args: []string{"topic", "describe", "nope"}, code: 1, err: "sluice: topic \"nope\" not found\n"},
		{name: "delete", args: []string{"topic", "delete", "events"}, out: "deleted topic events\n"},
		{
			name: "alter",
			args: []string{"topic", "alter", "events", "--config", "retention.ms=5", "--delete-config", "cleanup.policy", "--partitions", "6"},
			out:  "topic events configs: retention.ms=5\ntopic events has 6 partitions\n",
		},
		{name: "alter nothing", args: []string{"topic", "alter", "events"}, code: 1,
			err: "sluice: nothing to alter: give --config, --delete-config or --partitions\n"},
		{name: "alter lower partitions", args: []string{"topic", "alter", "events", "--partitions", "1"}, code: 1,
			err: "sluice: partitions: topic \"events\" has 2 partitions and asked for 1: the partition count can only be raised\n"},
		{name: "bad config", args: []string{"topic", "create", "x", "--config", "nokey"}, code: 1, err: "sluice: invalid --config \"nokey\": want key=value\n"},
		{name: "unknown flag", args: []string{"topic", "list", "--bogus"}, code: 1,
			err: "sluice: unknown flag: --bogus\nUsage: sluice topic list [flags]\nRun 'sluice topic list --help' for more.\n"},
		{name: "missing argument", args: []string{"topic", "describe"}, code: 1,
			err: "sluice: topic describe: missing NAME\nUsage: sluice topic describe NAME [flags]\nRun 'sluice topic describe --help' for more.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"--broker", addr}, tt.args...)...)
			if res.code != tt.code || res.stdout != tt.out || res.stderr != tt.err {
				t.Errorf("got code %d\nstdout:\n%s\nstderr: %q\nwant code %d\nstdout:\n%s\nstderr: %q",
					res.code, res.stdout, res.stderr, tt.code, tt.out, tt.err)
			}
		})
	}
	want := &sluicev1.CreateTopicRequest{Name: "orders", Partitions: 3, ReplicationFactor: 2,
		Configs: map[string]string{"retention.ms": "5"}}
	if !proto.Equal(a.created, want) {
		t.Errorf("CreateTopic got %v, want %v", a.created, want)
	}
	wantAlter := &sluicev1.AlterTopicConfigsRequest{Name: "events", SetConfigs: map[string]string{"retention.ms": "5"},
		DeleteConfigs: []string{"cleanup.policy"}}
	if !proto.Equal(a.altered, wantAlter) {
		t.Errorf("AlterTopicConfigs got %v, want %v", a.altered, wantAlter)
	}
}

func TestBrokerUnreachable(t *testing.T) {
	// Nothing listens on port 1 of the loopback address.
	res := runCLI(t, nil, "--broker", "127.0.0.1:1", "topic", "list")
	want := "sluice: cannot reach the broker at 127.0.0.1:1: connection refused (is `sluice serve` running there? --broker or SLUICE_BROKER names it)\n"
	if res.code != 1 || res.stderr != want {
		t.Errorf("got %+v", res)
	}
}

func TestBrokerFromEnv(t *testing.T) {
	t.Setenv(brokerEnv, "10.0.0.1:9")
	g := &globalOptions{}
	root := newRootCmd(g)
	if err := root.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	if g.broker != "10.0.0.1:9" {
		t.Errorf("broker = %q, want the %s value", g.broker, brokerEnv)
	}
}

func TestVersion(t *testing.T) {
	res := runCLI(t, nil, "version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "sluice ") {
		t.Errorf("version = %+v", res)
	}
}
