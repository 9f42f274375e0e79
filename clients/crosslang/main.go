// Command crosslang checks that the SDKs agree on the wire, byte for byte: the
// Python SDK produces records (keys, binary values including empty and null
// ones, headers, some timestamps) to a broker; the TypeScript, Java and Go
// SDKs each read everything back; this program made the records and compares
// what every reader got with what Python sent, including the partition of
// every keyed record (murmur2, as the broker computes it). It ends with
// "N passed, N failed" and exits 1 if anything failed.
//
// With -secure the broker serves TLS, requires a client certificate and
// SCRAM authentication, and every SDK dials it with its TLS options and
// authenticates as a user of its own (secure.go).
//
// `make -C clients/crosslang test` prepares the SDKs and runs it, plain and -secure.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

var (
	sluiceBin  = flag.String("sluice", "../../bin/sluice", "the broker binary")
	python     = flag.String("python", "../python/.venv/bin/python", "the Python of the Python SDK's venv")
	pythonPath = flag.String("pythonpath", "../python/src", "PYTHONPATH that holds the sluice package")
	node       = flag.String("node", "node", "node, to run consume.mjs with the TypeScript SDK")
	java       = flag.String("java", "java", "java, to run CrossConsume.java")
	javaCP     = flag.String("java-classpath", "", "classpath of the Java SDK and its dependencies")
	workDir    = flag.String("work", ".work", "directory for the data files")
	count      = flag.Int("n", 1000, "records to produce")
	partitions = flag.Int("partitions", 4, "partitions of the topic")
	secure     = flag.Bool("secure", false, "TLS with client certificates and SCRAM authentication on")
)

const topic = "crosslang"

func main() {
	flag.Parse()
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crosslang:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func run() (bool, error) {
	start := time.Now()
	if err := os.MkdirAll(*workDir, 0o755); err != nil {
		return false, err
	}
	dataDir, err := os.MkdirTemp("", "sluice-crosslang-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dataDir)
	var sec *secureRun
	var serveArgs, serveEnv []string
	if *secure {
		if sec, err = newSecureRun(filepath.Join(*workDir, "tls")); err != nil {
			return false, err
		}
		serveArgs, serveEnv = sec.serveArgs(), sec.serveEnv()
	}
	b, err := startBroker(*sluiceBin, dataDir, serveEnv, serveArgs...)
	if err != nil {
		return false, err
	}
	defer b.kill()
	step("broker serving at %s (secure: %v)", b.addr, *secure)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	v := &verifier{partitions: int32(*partitions)}
	var adminOpts, readerOpts []sluice.Option
	if sec != nil {
		if err := sec.createUsers(ctx, *sluiceBin, b.addr); err != nil {
			return false, err
		}
		step("users %v created with `sluice user create`", sdkUserNames())
		adminOpts, readerOpts = sec.goOptions(adminUser), sec.goOptions(sdkUsers["go"])
		sec.checkRefusals(ctx, v, b.addr)
	}
	admin, err := sluice.NewClient([]string{b.addr}, adminOpts...)
	if err != nil {
		return false, err
	}
	defer admin.Close()
	if _, err := sluice.NewAdmin(admin).CreateTopic(ctx, sluice.TopicSpec{Name: topic, Partitions: int32(*partitions)}); err != nil {
		return false, err
	}
	client, err := sluice.NewClient([]string{b.addr}, readerOpts...)
	if err != nil {
		return false, err
	}
	defer client.Close()

	want := makeRecords(*count)
	recordsPath := filepath.Join(*workDir, "records.jsonl")
	if err := writeRecords(recordsPath, want); err != nil {
		return false, err
	}
	reportsPath := filepath.Join(*workDir, "python-reports.jsonl")
	t := time.Now()
	if err := runCmd(ctx, append(sdkEnv(sec, "python"), "PYTHONPATH="+*pythonPath), *python, "produce.py", b.addr, topic, recordsPath, reportsPath); err != nil {
		return false, fmt.Errorf("python producer: %w", err)
	}
	step("python produced %d records (%v)", len(want), time.Since(t).Round(time.Millisecond))
	reports, err := readReports(reportsPath)
	if err != nil {
		return false, err
	}

	readers, err := readBack(ctx, b.addr, client, sec)
	if err != nil {
		return false, err
	}
	goLines := readers["go"]

	v.want, v.reports = want, reports
	v.checkReports()
	for _, name := range []string{"go", "typescript", "java"} {
		v.checkReader(name, readers[name], goLines)
	}
	v.summary(os.Stdout)
	step("total %v", time.Since(start).Round(time.Millisecond))
	return v.failed == 0, nil
}

// readBack reads the topic with the TypeScript and Java consumers (at the same
// time) and the Go SDK, and returns what each read.
func readBack(ctx context.Context, addr string, client *sluice.Client, sec *secureRun) (map[string][]readLine, error) {
	readers := map[string][]readLine{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for name, argv := range map[string][]string{
		"typescript": {*node, "consume.mjs", addr, topic, filepath.Join(*workDir, "typescript.jsonl")},
		"java":       {*java, "-cp", *javaCP, "CrossConsume.java", addr, topic, filepath.Join(*workDir, "java.jsonl")},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			err := runCmd(ctx, sdkEnv(sec, name), argv[0], argv[1:]...)
			var lines []readLine
			if err == nil {
				lines, err = readLines(argv[len(argv)-1])
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s consumer: %w", name, err))
				return
			}
			readers[name] = lines
			step("%s read %d records (%v)", name, len(lines), time.Since(t).Round(time.Millisecond))
		}()
	}
	t := time.Now()
	goLines, err := readWithGo(ctx, client)
	if err == nil {
		step("go read %d records (%v)", len(goLines), time.Since(t).Round(time.Millisecond))
	}
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("go consumer: %w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	readers["go"] = goLines
	return readers, nil
}

// sdkEnv is the environment an SDK's process needs beyond the test's own.
func sdkEnv(sec *secureRun, sdk string) []string {
	if sec == nil {
		return nil
	}
	return sec.sdkEnv(sdk)
}

func step(format string, args ...any) {
	fmt.Printf("crosslang: "+format+"\n", args...)
}

// record is one record as the test means it: nil Key or Value is null.
type record struct {
	Key, Value  []byte
	Headers     []sluice.Header
	TimestampMs int64 // 0: the broker's time
}

// makeRecords returns n records of every shape, the same on every run:
// keyless, empty and binary and text keys; null, empty, binary and one large
// value; no, repeated, non-ASCII and empty-valued headers; some timestamps.
func makeRecords(n int) []record {
	rng := rand.New(rand.NewPCG(1, 2))
	randBytes := func(max int) []byte {
		b := make([]byte, rng.IntN(max+1))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	headerKeys := []string{"trace-id", "ключ", "emoji-🚀", "dup", "", "content-type"}
	out := make([]record, n)
	for i := range out {
		r := &out[i]
		switch i % 10 {
		case 0: // keyless: round-robin per batch
		case 1:
			r.Key = []byte{}
		case 2, 3:
			r.Key = fmt.Appendf(nil, "user-%d", rng.IntN(200))
		default:
			r.Key = append(randBytes(24), byte(i)) // never empty
		}
		switch i % 7 {
		case 0:
			r.Value = nil
		case 1:
			r.Value = []byte{}
		default:
			r.Value = randBytes(300)
		}
		if i == n/2 {
			r.Value = randBytes(1 << 18) // one large value
		}
		for range rng.IntN(4) {
			r.Headers = append(r.Headers, sluice.Header{Key: headerKeys[rng.IntN(len(headerKeys))], Value: randBytes(16)})
		}
		if i%5 == 0 {
			r.TimestampMs = 1_700_000_000_000 + int64(i)
		}
	}
	return out
}

func b64(b []byte) *string {
	if b == nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

func writeRecords(path string, recs []record) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		line := struct {
			Key         *string     `json:"key"`
			Value       *string     `json:"value"`
			Headers     [][2]string `json:"headers"`
			TimestampMs *int64      `json:"timestamp_ms"`
		}{Key: b64(r.Key), Value: b64(r.Value), Headers: [][2]string{}}
		for _, h := range r.Headers {
			line.Headers = append(line.Headers, [2]string{h.Key, *b64(h.Value)})
		}
		if r.TimestampMs != 0 {
			line.TimestampMs = &r.TimestampMs
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// report is the Python producer's delivery report of one record.
type report struct {
	Partition *int32 `json:"partition"`
	Offset    *int64 `json:"offset"`
	Error     string `json:"error"`
}

func readReports(path string) ([]report, error) {
	return readJSONLines[report](path)
}

// readLine is one record as a reader wrote it: bytes in base64, null for null.
type readLine struct {
	Partition   int32   `json:"partition"`
	Offset      int64   `json:"offset"`
	TimestampMs int64   `json:"timestamp_ms"`
	Key         *string `json:"key"`
	Value       *string `json:"value"`
	Headers     []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"headers"`
}

func readLines(path string) ([]readLine, error) {
	return readJSONLines[readLine](path)
}

func readJSONLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, len(out)+1, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// readWithGo reads the topic with the Go SDK, into the readers' line form.
func readWithGo(ctx context.Context, client *sluice.Client) ([]readLine, error) {
	cons, err := sluice.NewConsumer(client, sluice.ConsumerConfig{Topic: topic})
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	var out []readLine
	for r, err := range cons.Records(ctx) {
		if err != nil {
			return nil, err
		}
		l := readLine{Partition: r.Partition, Offset: r.Offset, TimestampMs: r.Timestamp.UnixMilli(), Key: b64(r.Key), Value: b64(r.Value)}
		for _, h := range r.Headers {
			l.Headers = append(l.Headers, struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			}{h.Key, *b64(h.Value)})
		}
		out = append(out, l)
	}
	return out, nil
}

// verifier counts checks.
type verifier struct {
	want       []record
	reports    []report
	partitions int32
	passed     int
	failed     int
	failures   []string
}

func (v *verifier) check(ok bool, format string, args ...any) {
	if ok {
		v.passed++
		return
	}
	v.failed++
	v.failures = append(v.failures, fmt.Sprintf(format, args...))
}

type pos struct {
	p   int32
	off int64
}

// checkReports: Python acknowledged every record, keyed records where murmur2
// puts them, records of a partition in produce order.
func (v *verifier) checkReports() {
	v.check(len(v.reports) == len(v.want), "python: %d reports for %d records", len(v.reports), len(v.want))
	last := map[int32]int64{}
	ordered := true
	for i, r := range v.reports {
		acked := r.Error == "" && r.Partition != nil && r.Offset != nil && *r.Offset >= 0
		v.check(acked, "python: record %d not acknowledged: %+v", i, r)
		if !acked {
			continue
		}
		if k := v.want[i].Key; k != nil {
			want := sluice.PartitionForKey(k, v.partitions)
			v.check(*r.Partition == want, "python: record %d (key %x) went to partition %d, murmur2 gives %d", i, k, *r.Partition, want)
		} else {
			v.check(*r.Partition >= 0 && *r.Partition < v.partitions, "python: keyless record %d in partition %d", i, *r.Partition)
		}
		if prev, ok := last[*r.Partition]; ok && *r.Offset <= prev {
			ordered = false
		}
		last[*r.Partition] = *r.Offset
	}
	v.check(ordered, "python: offsets of a partition do not follow produce order")
}

// checkReader compares what one reader read with what Python sent.
func (v *verifier) checkReader(name string, lines, goLines []readLine) {
	v.check(len(lines) == len(v.want), "%s: read %d records, %d were produced", name, len(lines), len(v.want))
	byPos := map[pos]readLine{}
	next := map[int32]int64{}
	dense := true
	for _, l := range lines {
		if l.Offset != next[l.Partition] {
			dense = false
		}
		next[l.Partition] = l.Offset + 1
		byPos[pos{l.Partition, l.Offset}] = l
	}
	v.check(dense, "%s: offsets of a partition are not 0, 1, 2... in read order", name)
	goTS := map[pos]int64{}
	for _, l := range goLines {
		goTS[pos{l.Partition, l.Offset}] = l.TimestampMs
	}
	for i, r := range v.reports {
		if r.Partition == nil || r.Offset == nil {
			continue // counted as failed above
		}
		at := pos{*r.Partition, *r.Offset}
		l, ok := byPos[at]
		if !ok {
			v.check(false, "%s: record %d (partition %d offset %d) missing", name, i, at.p, at.off)
			continue
		}
		v.check(same(v.want[i], l, goTS[at]) == "", "%s: record %d at %d/%d: %s", name, i, at.p, at.off, same(v.want[i], l, goTS[at]))
	}
}

// same returns how l differs from want ("" when identical). A timestamp the
// broker chose must be the one the Go reader saw.
func same(want record, l readLine, goTS int64) string {
	var diffs []string
	if !eqB64(want.Key, l.Key) {
		diffs = append(diffs, fmt.Sprintf("key %s, want %s", show(l.Key), show(b64(want.Key))))
	}
	if !eqB64(want.Value, l.Value) {
		diffs = append(diffs, fmt.Sprintf("value %s, want %s", show(l.Value), show(b64(want.Value))))
	}
	var got []sluice.Header
	for _, h := range l.Headers {
		hv, err := base64.StdEncoding.DecodeString(h.Value)
		if err != nil {
			diffs = append(diffs, "header value not base64: "+h.Value)
		}
		got = append(got, sluice.Header{Key: h.Key, Value: hv})
	}
	if !slices.EqualFunc(got, want.Headers, func(a, b sluice.Header) bool { return a.Key == b.Key && bytes.Equal(a.Value, b.Value) }) {
		diffs = append(diffs, fmt.Sprintf("headers %q, want %q", got, want.Headers))
	}
	switch {
	case want.TimestampMs != 0 && l.TimestampMs != want.TimestampMs:
		diffs = append(diffs, fmt.Sprintf("timestamp %d, want %d", l.TimestampMs, want.TimestampMs))
	case want.TimestampMs == 0 && (l.TimestampMs != goTS || l.TimestampMs <= 0):
		diffs = append(diffs, fmt.Sprintf("broker timestamp %d, the Go reader saw %d", l.TimestampMs, goTS))
	}
	return strings.Join(diffs, "; ")
}

func eqB64(want []byte, got *string) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	b, err := base64.StdEncoding.DecodeString(*got)
	return err == nil && bytes.Equal(b, want)
}

func show(s *string) string {
	if s == nil {
		return "null"
	}
	if len(*s) > 40 {
		return fmt.Sprintf("%q... (%d base64 chars)", (*s)[:40], len(*s))
	}
	return fmt.Sprintf("%q", *s)
}

func (v *verifier) summary(w io.Writer) {
	for i, f := range v.failures {
		if i == 30 {
			fmt.Fprintf(w, "... and %d more failures\n", len(v.failures)-i)
			break
		}
		fmt.Fprintln(w, "FAIL", f)
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", v.passed, v.failed)
}

// runCmd runs a program in this directory, showing its output if it fails.
func runCmd(ctx context.Context, env []string, name string, args ...string) error {
	return runCmdInput(ctx, "", env, name, args...)
}

// runCmdInput runs a command with input on its stdin.
func runCmdInput(ctx context.Context, input string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(input)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

// broker is a `sluice serve` process on 127.0.0.1.
type broker struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

var servingRE = regexp.MustCompile(`msg="sluice broker serving".* addr=(\S+)`)

func startBroker(bin, dataDir string, env []string, args ...string) (*broker, error) {
	cmd := exec.Command(bin, append([]string{"serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	var logs bytes.Buffer // stderr, where the broker logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &broker{cmd: cmd, exited: make(chan struct{})}
	found := make(chan string, 1)
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(b.exited)
	}()
	select {
	case b.addr = <-found:
		return b, nil
	case <-b.exited:
		logMu.Lock()
		defer logMu.Unlock()
		return nil, fmt.Errorf("broker exited before serving:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		b.kill()
		return nil, fmt.Errorf("broker did not serve within 30s")
	}
}

func (b *broker) kill() {
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.exited
}
