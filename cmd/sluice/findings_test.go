package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// The findings of trying the CLI as a new user (issue 13, item 6), each a
// row run against an in-process broker: what it printed, on which stream,
// and the exit code.

type findingCase struct {
	name  string
	stdin string
	args  []string
	code  int
	// stdout and stderr are exact unless the *Re variant is given.
	stdout, stderr     string
	stdoutRe, stderrRe string
}

func (c findingCase) check(t *testing.T, res cliResult) {
	t.Helper()
	ok := res.code == c.code
	if c.stdoutRe != "" {
		ok = ok && regexp.MustCompile(c.stdoutRe).MatchString(res.stdout)
	} else {
		ok = ok && res.stdout == c.stdout
	}
	if c.stderrRe != "" {
		ok = ok && regexp.MustCompile(c.stderrRe).MatchString(res.stderr)
	} else {
		ok = ok && res.stderr == c.stderr
	}
	if !ok {
		t.Errorf("sluice %s\n got code %d stdout %q\n     stderr %q\nwant code %d stdout %q%s\n     stderr %q%s",
			strings.Join(c.args, " "), res.code, res.stdout, res.stderr, c.code, c.stdout, c.stdoutRe, c.stderr, c.stderrRe)
	}
}

const unreachable = "sluice: cannot reach the broker at 127.0.0.1:1: connection refused " +
	"(is `sluice serve` running there? --broker or SLUICE_BROKER names it)\n"

func TestCLIFindingsAgainstABroker(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	b.CreateTopic(t, "three", 3)
	tests := []findingCase{
		{
			name: "consume --group with a session timeout the broker refuses fails with its reason",
			args: []string{"consume", "t", "--group", "g", "--session-timeout", "100ms"},
			code: 1, stderr: "sluice: join.session_timeout_ms: must be between 1000 and 300000 ms (got 100); 0 means 10000\n",
		},
		{
			name: "consume --group on a missing topic fails",
			args: []string{"consume", "nope", "--group", "g"},
			code: 1, stderr: "sluice: topic \"nope\" not found (`sluice topic create nope` creates it)\n",
		},
		{
			name: "produce to a missing topic prints no count, only the error",
			args: []string{"produce", "nope"}, stdin: "a\nb\n",
			code: 1, stderr: "sluice: topic \"nope\" not found (`sluice topic create nope` creates it)\n",
		},
		{
			name: "one record is a record", args: []string{"produce", "t"}, stdin: "a\n",
			stdout: "1 record acknowledged\n",
		},
		{
			name: "two records are records", args: []string{"produce", "t"}, stdin: "a\nb\n",
			stdout: "2 records acknowledged\n",
		},
		{
			name: "one partition is a partition", args: []string{"topic", "create", "one"},
			stdout: "created topic one (1 partition)\n",
		},
		{
			name: "a topic of three partitions", args: []string{"topic", "create", "more", "--partitions", "3"},
			stdout: "created topic more (3 partitions)\n",
		},
		{
			name: "the broker's refusal to shrink says 1 partition", args: []string{"topic", "alter", "t", "--partitions", "1"},
			code: 1, stderr: "sluice: partitions: topic \"t\" has 1 partition and asked for 1: the partition count can only be raised\n",
		},
		{
			name: "an unknown subcommand of topic is an error with the usage line",
			args: []string{"topic", "foo"},
			code: 1, stderr: "sluice: unknown command \"foo\" for \"sluice topic\"\n" +
				"Usage: sluice topic COMMAND (alter, create, delete, describe, list)\nRun 'sluice topic --help' for more.\n",
		},
		{
			name: "a misspelt subcommand gets a suggestion", args: []string{"topic", "lst"},
			code: 1, stderrRe: `^sluice: unknown command "lst" for "sluice topic"; did you mean "list"\?\nUsage: `,
		},
		{
			name: "an unknown subcommand of group", args: []string{"group", "foo"},
			code: 1, stderrRe: `^sluice: unknown command "foo" for "sluice group"\nUsage: sluice group COMMAND \(delete, describe, list, reset-offsets\)\n`,
		},
		{
			name: "an unknown subcommand of cluster", args: []string{"cluster", "foo"},
			code: 1, stderrRe: `^sluice: unknown command "foo" for "sluice cluster"\nUsage: sluice cluster COMMAND \(status\)\n`,
		},
		{
			name: "an unknown subcommand of bench", args: []string{"bench", "foo"},
			code: 1, stderrRe: `^sluice: unknown command "foo" for "sluice bench"\nUsage: sluice bench COMMAND \(consume, e2e, produce\)\n`,
		},
		{
			name: "an unknown command", args: []string{"foo"},
			code: 1, stderrRe: `^sluice: unknown command "foo" for "sluice"\nUsage: sluice COMMAND \(`,
		},
		{
			name: "a group command alone shows its help", args: []string{"topic"},
			stdoutRe: `(?s)^Create, list, describe, alter and delete topics.*Available Commands:`,
		},
		{
			name: "topic create without a name names what is missing and shows the usage line",
			args: []string{"topic", "create"},
			code: 1, stderr: "sluice: topic create: missing NAME\n" +
				"Usage: sluice topic create NAME [flags]\nRun 'sluice topic create --help' for more.\n",
		},
		{
			name: "too many arguments", args: []string{"topic", "delete", "a", "b"},
			code: 1, stderr: "sluice: topic delete takes only NAME (got 2 arguments: \"a b\")\n" +
				"Usage: sluice topic delete NAME [flags]\nRun 'sluice topic delete --help' for more.\n",
		},
		{
			name: "arguments to a command without any", args: []string{"topic", "list", "x"},
			code: 1, stderrRe: `^sluice: topic list takes no arguments \(got "x"\)\nUsage: sluice topic list \[flags\]\n`,
		},
		{
			name: "a bad flag shows the usage line", args: []string{"produce", "t", "--bogus"},
			code: 1, stderr: "sluice: unknown flag: --bogus\nUsage: sluice produce TOPIC [flags]\nRun 'sluice produce --help' for more.\n",
		},
		{
			name: "a partition the topic lacks, in the singular", args: []string{"produce", "t", "--partition", "5"}, stdin: "a\n",
			code: 1, stderr: "sluice: 1 record failed, none acknowledged: partition: topic \"t\" has 1 partition (0); partition 5 does not exist\n",
		},
		{
			name: "consume of a partition the topic lacks, in the singular", args: []string{"consume", "t", "--partition", "9"},
			code: 1, stderr: "sluice: topic \"t\" has 1 partition (0); partition 9 does not exist\n",
		},
		{
			name: "missing required flags show the usage line", args: []string{"group", "reset-offsets", "g"},
			code: 1, stderrRe: `^sluice: required flag\(s\) "to", "topic" not set\nUsage: sluice group reset-offsets GROUP --topic T --to POS \[flags\]\n`,
		},
		{
			name: "the group's reset-offsets names its argument", args: []string{"group", "reset-offsets"},
			code: 1, stderrRe: `^sluice: group reset-offsets: missing GROUP\nUsage: sluice group reset-offsets GROUP --topic T --to POS \[flags\]\n`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--broker", b.Addr}, tt.args...)
			tt.args = args
			tt.check(t, runCLI(t, strings.NewReader(tt.stdin), args...))
		})
	}
}

// TestCLIFindingsWithoutABroker: what a user who has no broker running, or
// gives a wrong address, is told; and the commands that need no broker.
func TestCLIFindingsWithoutABroker(t *testing.T) {
	tests := []findingCase{
		{name: "topic list", args: []string{"--broker", "127.0.0.1:1", "topic", "list"}, code: 1, stderr: unreachable},
		{name: "consume", args: []string{"--broker", "127.0.0.1:1", "consume", "t"}, code: 1, stderr: unreachable},
		{name: "consume --group", args: []string{"--broker", "127.0.0.1:1", "consume", "t", "--group", "g"}, code: 1, stderr: unreachable},
		{name: "produce", args: []string{"--broker", "127.0.0.1:1", "produce", "t"}, stdin: "a\n", code: 1, stderr: unreachable},
		{name: "cluster status", args: []string{"--broker", "127.0.0.1:1", "cluster", "status"}, code: 1, stderr: unreachable},
		{name: "group list", args: []string{"--broker", "127.0.0.1:1", "group", "list"}, code: 1, stderr: unreachable},
		{
			name: "a port that is not a number", args: []string{"--broker", "localhost:x", "topic", "list"},
			code: 1, stderrRe: `^sluice: invalid --broker "localhost:x": port "x" is not a number from 1 to 65535\nUsage: sluice topic list`,
		},
		{
			name: "a URL is not an address", args: []string{"--broker", "http://localhost:7070", "topic", "list"},
			code: 1, stderrRe: `^sluice: invalid --broker "http://localhost:7070": want host:port without a scheme`,
		},
		{
			name: "serve refuses --broker", args: []string{"serve", "--broker", "127.0.0.1:7070"},
			code: 1, stderrRe: `^sluice: --broker is a client flag; sluice serve does not use it\nUsage: sluice serve`,
		},
		{
			name: "dev refuses --broker", args: []string{"dev", "--broker", "127.0.0.1:7070"},
			code: 1, stderrRe: `^sluice: --broker is a client flag; sluice dev does not use it\n`,
		},
		{
			name: "serve refuses the client's TLS and user flags", args: []string{"serve", "--tls-ca", "ca.pem", "--user", "u"},
			code: 1, stderrRe: `^sluice: --tls-ca, --user is a client flag; sluice serve does not use it\n`,
		},
		{name: "serve's help leaves --broker out", args: []string{"serve", "--help"}, stdoutRe: `^Run a broker(?s:.)*--listen`},
		{name: "dev's help leaves --broker out", args: []string{"dev", "--help"}, stdoutRe: `^Start --brokers(?s:.)*--base-port`},
		{name: "a client command's help lists --broker", args: []string{"topic", "list", "--help"}, stdoutRe: `--broker host\[:port\]`},
		{name: "serve --log-format is checked", args: []string{"serve", "--log-format", "yaml"}, code: 1,
			stderr: "sluice: invalid --log-format \"yaml\": want text or json\n"},
		{
			name: "every command group refuses an unknown subcommand, user too", args: []string{"user", "foo"},
			code: 1, stderrRe: `^sluice: unknown command "foo" for "sluice user"\nUsage: sluice user COMMAND \(create, delete, list\)\n`,
		},
		{
			name: "every command names a missing argument, user create too", args: []string{"user", "create"},
			code: 1, stderr: "sluice: user create: missing NAME\nUsage: sluice user create NAME [flags]\nRun 'sluice user create --help' for more.\n",
		},
		{name: "help for a command that does not exist", args: []string{"help", "foo"},
			code: 1, stderrRe: `^sluice: unknown command "foo" for "sluice"\nUsage: sluice help \[COMMAND\]`},
		{name: "help for a command", args: []string{"help", "topic", "create"}, stdoutRe: `^Create a topic\n\nUsage:\n  sluice topic create NAME \[flags\]`},
		{name: "version", args: []string{"version"}, stdoutRe: `^sluice \S+ \(commit [^,]+, go1\.\S+ \S+/\S+\)\n$`},
		{name: "--version", args: []string{"--version"}, stdoutRe: `^sluice \S+ \(commit [^,]+, go1\.\S+ \S+/\S+\)\n$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, runCLI(t, strings.NewReader(tt.stdin), tt.args...))
		})
	}
	for _, cmd := range []string{"serve", "dev", "version"} {
		res := runCLI(t, nil, cmd, "--help")
		if regexp.MustCompile(`--broker\b[^s]|--tls-ca|--user|--password|--auth-mechanism|Global Flags`).MatchString(res.stdout) {
			t.Errorf("sluice %s --help lists client flags:\n%s", cmd, res.stdout)
		}
	}
	if res := runCLI(t, nil, "topic", "list", "--help"); !strings.Contains(res.stdout, "--broker") {
		t.Errorf("after serve --help, topic list --help no longer lists --broker:\n%s", res.stdout)
	}
}

// TestBadBrokerFromTheEnvironmentNamesIt: a malformed SLUICE_BROKER is
// reported as such, not as a --broker the user never typed.
func TestBadBrokerFromTheEnvironmentNamesIt(t *testing.T) {
	t.Setenv(brokerEnv, "bad:x")
	res := runCLI(t, nil, "topic", "list")
	if want := "sluice: invalid SLUICE_BROKER \"bad:x\": port \"x\" is not a number from 1 to 65535\n"; res.code != 1 || res.stderr != want {
		t.Errorf("topic list = %+v, want stderr %q", res, want)
	}
	if res := runCLI(t, nil, "version"); res.code != 0 {
		t.Errorf("version with a bad SLUICE_BROKER: %+v", res)
	}
}

// TestBrokerAddressGetsTheDefaultPort: --broker localhost dials
// localhost:7070 (gRPC alone would dial port 443), and malformed addresses
// are refused before anything is dialled.
func TestBrokerAddressGetsTheDefaultPort(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "localhost", want: "localhost:7070"},
		{in: "127.0.0.1", want: "127.0.0.1:7070"},
		{in: "broker-1.example.com", want: "broker-1.example.com:7070"},
		{in: "127.0.0.1:9092", want: "127.0.0.1:9092"},
		{in: "::1", want: "[::1]:7070"},
		{in: "[::1]", want: "[::1]:7070"},
		{in: "[::1]:7071", want: "[::1]:7071"},
		{in: " localhost ", want: "localhost:7070"},
		{in: "", err: "want host:port"},
		{in: "localhost:", err: `port "" is not a number`},
		{in: "localhost:99999", err: `port "99999" is not a number from 1 to 65535`},
		{in: ":7070", err: "the host is missing"},
		{in: "grpc://localhost:7070", err: "without a scheme"},
	}
	for _, tt := range tests {
		got, err := brokerAddress(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("brokerAddress(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("brokerAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	g := &globalOptions{}
	root := newRootCmd(g)
	root.SetArgs([]string{"--broker", "localhost", "topic", "list", "--help"})
	root.SetOut(&bytes.Buffer{})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if err := g.checkBroker(root); err != nil || g.broker != "localhost:7070" {
		t.Errorf("--broker localhost: broker %q, %v; want localhost:7070", g.broker, err)
	}
}

// TestErrorMessagesInPlainWords: every status a broker does not word
// itself is said in plain words, in one place; the broker's own messages
// pass as they are, without Go's "rpc error: code = ..." rendering.
func TestErrorMessagesInPlainWords(t *testing.T) {
	const addr = "10.0.0.1:7070"
	dial := func(reason string) error {
		return status.Error(codes.Unavailable,
			`connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.1:7070: `+reason+`"`)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"connection refused", dial("connect: connection refused"),
			"cannot reach the broker at 10.0.0.1:7070: connection refused (is `sluice serve` running there? --broker or SLUICE_BROKER names it)"},
		{"no such host", dial("lookup nohost: no such host"),
			"cannot reach the broker at 10.0.0.1:7070: no such host (is `sluice serve` running there? --broker or SLUICE_BROKER names it)"},
		{"timeout", dial("i/o timeout"),
			"cannot reach the broker at 10.0.0.1:7070: the connection timed out (is `sluice serve` running there? --broker or SLUICE_BROKER names it)"},
		{"wrapped", fmt.Errorf("list topics: %w", dial("connect: connection refused")),
			"cannot reach the broker at 10.0.0.1:7070: connection refused (is `sluice serve` running there? --broker or SLUICE_BROKER names it)"},
		{"not gRPC", status.Error(codes.Unavailable, `connection error: desc = "error reading server preface: http2: frame too large"`),
			"cannot reach the broker at 10.0.0.1:7070: whatever listens there does not speak gRPC (does the broker serve TLS? then connect with --tls-ca, or --tls)"},
		{"lost mid-call", status.Error(codes.Unavailable, "error reading from server: EOF"),
			"lost the connection to the broker at 10.0.0.1:7070 (did it stop?)"},
		{"closing", status.Error(codes.Unavailable, "transport is closing"),
			"lost the connection to the broker at 10.0.0.1:7070 (did it stop?)"},
		{"broker's own unavailable", status.Error(codes.Unavailable, "partition t/0 has no leader at the moment; retry"),
			"partition t/0 has no leader at the moment; retry"},
		{"deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
			"the broker at 10.0.0.1:7070 did not answer in time"},
		{"unimplemented", status.Error(codes.Unimplemented, "unknown service sluice.v1.AdminService"),
			"the broker at 10.0.0.1:7070 does not support this request (is it an older Sluice, or not Sluice?): unknown service sluice.v1.AdminService"},
		{"internal", status.Error(codes.Internal, "disk full"), "the broker failed: disk full"},
		{"not found", status.Error(codes.NotFound, `topic "x" not found`), `topic "x" not found`},
		{"no message", status.Error(codes.PermissionDenied, ""), "the broker at 10.0.0.1:7070 refused: permission denied"},
		{"plain Go error", errors.New("--config x given twice"), "--config x given twice"},
	}
	for _, tt := range tests {
		if got := errorMessage(tt.err, addr); got != tt.want {
			t.Errorf("%s: errorMessage = %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestProgressOnlyOnATerminal: progress lines go to stderr only when it is
// a terminal; a pipe, a file, /dev/null or a buffer get none.
func TestProgressOnlyOnATerminal(t *testing.T) {
	if p := newProgress(&bytes.Buffer{}); p != nil {
		t.Error("progress on a buffer")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if p := newProgress(null); p != nil {
		t.Error("progress on /dev/null")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := newProgress(f); p != nil {
		t.Error("progress on a file")
	}
	// A nil progress shows nothing and its stop is safe.
	(*progress)(nil).start(func() string { return "x" })()

	var buf syncBuffer
	p := &progress{w: &buf, interval: time.Millisecond, delay: 0}
	calls := 0
	stop := p.start(func() string { calls++; return fmt.Sprintf("sent %d", calls) })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "sent 2") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	stop()
	out := buf.String()
	if !strings.HasPrefix(out, "\r\033[Ksent 1") || !strings.HasSuffix(out, "\r\033[K") || strings.Contains(out, "\n") {
		t.Errorf("progress wrote %q; want lines rewritten in place and erased at the end", out)
	}
	// An operation shorter than the delay shows nothing.
	var quiet syncBuffer
	(&progress{w: &quiet, interval: time.Millisecond, delay: time.Hour}).start(func() string { return "x" })()
	if quiet.String() != "" {
		t.Errorf("a short operation showed %q", quiet.String())
	}
	if got := formatBytes(1536); got != "1.5 KiB" {
		t.Errorf("formatBytes(1536) = %q", got)
	}
}

// TestVersionPrintsWhatWasStamped: the version and commit -ldflags set are
// what `sluice version` prints.
func TestVersionPrintsWhatWasStamped(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	res := runCLI(t, nil, "version")
	if !regexp.MustCompile(`^sluice v1\.2\.3 \(commit 0123456789ab, go1\.\S+ \S+/\S+\)\n$`).MatchString(res.stdout) || res.code != 0 {
		t.Errorf("version = %+v", res)
	}
}

// TestMakeBuildStampsVersionAndCommit builds with `make build` and checks
// that the binary names the commit it was built from.
func TestMakeBuildStampsVersionAndCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "make", "-C", "../..", "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(bin, "sluice"), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "(commit " + strings.TrimSpace(string(head))[:12] + ","
	if !strings.Contains(string(out), want) || strings.HasPrefix(string(out), "sluice (devel)") {
		t.Errorf("make build's sluice version = %q, want the version and %q", out, want)
	}
}

// TestMakeRunPassesArgs: `make run ARGS=...` hands the flags to sluice serve.
func TestMakeRunPassesArgs(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	out, err := exec.Command("make", "-n", "-C", "../..", "run", "ARGS=--log-format json --log-level debug").Output()
	if err != nil {
		t.Fatalf("make -n run: %v", err)
	}
	if !regexp.MustCompile(`(?m)/sluice serve --log-format json --log-level debug$`).Match(out) {
		t.Errorf("make -n run ARGS=... does not pass the flags:\n%s", out)
	}
}

// unjoinableGroup serves the metadata of topic t, but its coordinator never
// lets a member in: every session ends with err.
type unjoinableGroup struct {
	sluicev1.UnimplementedAdminServiceServer
	sluicev1.UnimplementedGroupCoordinatorServiceServer
	addr string
	err  error
}

func (f *unjoinableGroup) GetMetadata(context.Context, *sluicev1.GetMetadataRequest) (*sluicev1.GetMetadataResponse, error) {
	return &sluicev1.GetMetadataResponse{ControllerId: 1, Brokers: []*sluicev1.Broker{{Id: 1, Address: f.addr}},
		Topics: []*sluicev1.TopicMetadata{{Name: "t", Partitions: []*sluicev1.PartitionMetadata{{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1}}}}}}, nil
}

func (f *unjoinableGroup) MemberSession(stream sluicev1.GroupCoordinatorService_MemberSessionServer) error {
	if _, err := stream.Recv(); err != nil {
		return err
	}
	return f.err
}

// TestConsumeGroupThatNeverJoinsFails: a member the coordinator keeps out
// (here: it is never available) does not end "caught up" with exit 0 after
// --idle; it fails saying why it is not in the group. A refusal that
// retrying cannot mend fails at once.
func TestConsumeGroupThatNeverJoinsFails(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"coordinator unavailable", status.Error(codes.Unavailable, "group \"g\" has no coordinator at the moment; retry"),
			"sluice: could not join group g within --idle 500ms: group \"g\" has no coordinator at the moment; retry\n"},
		{"refused", status.Error(codes.PermissionDenied, "not allowed to join group \"g\""),
			"sluice: not allowed to join group \"g\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &unjoinableGroup{err: tt.err}
			addr := startServer(t, func(s *grpc.Server) {
				sluicev1.RegisterAdminServiceServer(s, f)
				sluicev1.RegisterGroupCoordinatorServiceServer(s, f)
			})
			f.addr = addr
			res := runCLI(t, nil, "--broker", addr, "consume", "t", "--group", "g", "--idle", "500ms")
			if res.code != 1 || res.stdout != "" || res.stderr != tt.want {
				t.Errorf("consume --group = %+v\nwant stderr %q", res, tt.want)
			}
		})
	}
}

// TestServeOnADataDirInUse: a second broker on the data directory of a
// running one says so, not badger's lock message.
func TestServeOnADataDirInUse(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	dir := b.Config().Storage.Dir
	res := runCLI(t, nil, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	want := fmt.Sprintf("sluice: --data-dir %s is in use by another process (another sluice serve with the same --data-dir?)\n", dir)
	if res.code != 1 || !strings.HasSuffix(res.stderr, want) {
		t.Errorf("serve = %+v\nwant stderr ending %q", res, want)
	}
}

// TestConsumeWhenTheBrokerGoesAway: a broker that stops in the middle of a
// --follow read ends the command with an error in plain words, not
// "error reading from server: EOF".
func TestConsumeWhenTheBrokerGoesAway(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	f := &fakeFetcher{opened: make(chan struct{})}
	sluicev1.RegisterFetchServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	go func() {
		<-f.opened
		srv.Stop() // closes the connection under the open stream
	}()
	addr := lis.Addr().String()
	res := runCLI(t, nil, "--broker", addr, "consume", "t", "--follow")
	want := "sluice: lost the connection to the broker at " + addr + " (did it stop?)\n"
	if res.code != 1 || res.stderr != want {
		t.Errorf("consume = code %d stderr %q, want %q", res.code, res.stderr, want)
	}
}

// failingAdmin fails ListTopics as a broker with a fault does, returning a
// request id in the trailer.
type failingAdmin struct {
	sluicev1.UnimplementedAdminServiceServer
}

func (failingAdmin) ListTopics(ctx context.Context, _ *sluicev1.ListTopicsRequest) (*sluicev1.ListTopicsResponse, error) {
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-request-id", "1-ab12-7"))
	return nil, status.Error(codes.Internal, "storage: write failed")
}

// TestBrokerFaultNamesTheRequestID: when the broker fails (INTERNAL), the
// error names the request id the broker returned, which its log line has.
func TestBrokerFaultNamesTheRequestID(t *testing.T) {
	addr := startServer(t, func(s *grpc.Server) { sluicev1.RegisterAdminServiceServer(s, failingAdmin{}) })
	res := runCLI(t, nil, "--broker", addr, "topic", "list")
	want := "sluice: the broker failed: storage: write failed (request id 1-ab12-7: the broker's log has it)\n"
	if res.code != 1 || res.stderr != want {
		t.Errorf("topic list = %+v\nwant stderr %q", res, want)
	}
}

// TestConsumeGroupFollowWarnsWhileKeptOut: with --follow a member the
// coordinator keeps out goes on trying, and says why on stderr (once per
// reason) instead of waiting in silence; Ctrl-C ends it normally.
func TestConsumeGroupFollowWarnsWhileKeptOut(t *testing.T) {
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, os.Interrupt)
	defer signal.Stop(guard)

	f := &unjoinableGroup{err: status.Error(codes.Unavailable, "group \"g\" has no coordinator at the moment; retry")}
	addr := startServer(t, func(s *grpc.Server) {
		sluicev1.RegisterAdminServiceServer(s, f)
		sluicev1.RegisterGroupCoordinatorServiceServer(s, f)
	})
	f.addr = addr
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--broker", addr, "consume", "t", "--group", "g", "--follow"}, strings.NewReader(""), &stdout, &stderr)
	}()
	const want = "sluice: group g: not in the group yet, still trying: group \"g\" has no coordinator at the moment; retry\n"
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	select {
	case code := <-done:
		if code != 0 || stderr.String() != want || stdout.String() != "" {
			t.Errorf("consume --group --follow = code %d stdout %q stderr %q; want the warning once, then exit 0 on Ctrl-C", code, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("consume --group --follow did not end on SIGINT")
	}
}
