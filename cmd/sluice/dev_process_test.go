package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devProc is a running `sluice dev`.
type devProc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	exited         chan error
}

func startDev(t *testing.T, args ...string) *devProc {
	t.Helper()
	d := &devProc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	d.cmd = exec.Command(sluiceBinary(t), append([]string{"dev"}, args...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-time.After(90 * time.Second):
				_ = d.cmd.Process.Kill()
			}
		}
	})
	return d
}

// waitServing waits for the broker list on stdout and returns the brokers'
// process ids.
func (d *devProc) waitServing(t *testing.T) []int {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(d.stdout.String(), "Try:") {
		select {
		case err := <-d.exited:
			t.Fatalf("sluice dev exited before serving: %v\nstdout:\n%s\nstderr:\n%s", err, d.stdout, d.stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice dev did not serve\nstdout:\n%s\nstderr:\n%s", d.stdout, d.stderr)
		}
	}
	var pids []int
	for _, m := range regexp.MustCompile(`(?m)^\d+\s+127\.0\.0\.1:\d+\s+(\d+)\s`).FindAllStringSubmatch(d.stdout.String(), -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	return pids
}

// terminate sends SIGTERM and returns the exit error (nil for status 0).
func (d *devProc) terminate(t *testing.T) error {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		return err
	case <-time.After(90 * time.Second):
		t.Fatalf("sluice dev did not exit within 90 s of SIGTERM\nstderr:\n%s", d.stderr)
		return nil
	}
}

func assertGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("broker process %d still exists after sluice dev exited (kill -0: %v)", pid, err)
		}
	}
}

// TestDevCluster starts `sluice dev` with three brokers, uses the cluster
// (a topic with replication factor 3, produce, consume, cluster status),
// stops it with SIGTERM, and starts it again on the same data directory.
func TestDevCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	base := freeBasePort(t, 3)
	dir := t.TempDir()
	args := []string{"--brokers", "3", "--base-port", strconv.Itoa(base), "--data-dir", dir}
	d := startDev(t, args...)
	pids := d.waitServing(t)
	if len(pids) != 3 {
		t.Fatalf("want 3 brokers listed:\n%s", d.stdout)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))
	cli := &brokerProc{t: t, addr: addr, logs: d.stderr}
	if !strings.Contains(d.stdout.String(), "SLUICE_BROKER="+addr+" sluice topic create") {
		t.Errorf("no example command in:\n%s", d.stdout)
	}
	cli.mustCLI("", "topic", "create", "orders", "--partitions", "2", "--replication-factor", "3")
	cli.mustCLI("one\ntwo\nthree\n", "produce", "orders", "--partition", "1")
	if got := cli.mustCLI("", "consume", "orders", "--partition", "1"); got != "one\ntwo\nthree\n" {
		t.Errorf("consume = %q", got)
	}
	if st := statusOf(t, cli); len(st.Brokers) != 3 || len(st.Partitions) != 2 || len(st.Partitions[1].Replicas) != 3 {
		t.Errorf("cluster status = %+v", st)
	}
	for k := 1; k <= 3; k++ {
		if want := "[broker " + strconv.Itoa(k) + "] time="; !strings.Contains(d.stderr.String(), want) {
			t.Errorf("stderr has no line starting %q", want)
		}
	}
	if err := d.terminate(t); err != nil {
		t.Fatalf("sluice dev after SIGTERM: %v\nstderr:\n%s", err, d.stderr)
	}
	assertGone(t, pids)
	if want := "sluice dev: 3 brokers stopped; their data is kept in " + dir; !strings.Contains(d.stdout.String(), want) {
		t.Errorf("stopped sluice dev does not say %q:\n%s", want, d.stdout)
	}

	res := runCLI(t, nil, "dev", "--brokers", "2", "--base-port", strconv.Itoa(base), "--data-dir", dir)
	if res.code == 0 || !strings.Contains(res.stderr, "holds a cluster of 3 brokers") {
		t.Errorf("restart with another --brokers: %+v", res)
	}

	// Restarted with JSON logs: the brokers serve (dev recognises their
	// JSON "serving" line) and each line is one JSON object after its prefix.
	d = startDev(t, append(args, "--log-format", "json")...)
	pids = d.waitServing(t)
	if !strings.Contains(d.stdout.String(), "data kept in "+dir) {
		t.Errorf("restart does not say it kept the data:\n%s", d.stdout)
	}
	if want := `[broker 2] {"time":`; !strings.Contains(d.stderr.String(), want) {
		t.Errorf("stderr with --log-format json has no line starting %q:\n%s", want, d.stderr)
	}
	if got := cli.mustCLI("", "consume", "orders", "--partition", "1"); got != "one\ntwo\nthree\n" {
		t.Errorf("consume after restart = %q", got)
	}
	if err := d.terminate(t); err != nil {
		t.Fatalf("sluice dev after SIGTERM: %v\nstderr:\n%s", err, d.stderr)
	}
	assertGone(t, pids)
}

func TestDevOptions(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--brokers", "0"}, "invalid --brokers 0"},
		{[]string{"--base-port", "65535"}, "invalid --base-port 65535"},
		{[]string{"--data-dir", ""}, "--data-dir must not be empty"},
		{[]string{"--stop-timeout", "0s"}, "must be positive"},
		{[]string{"--log-format", "yaml"}, `invalid --log-format "yaml": want text or json`},
		{[]string{"--broker", "127.0.0.1:7070"}, "--broker is a client flag; sluice dev does not use it"},
	}
	for _, tt := range tests {
		res := runCLI(t, nil, append([]string{"dev"}, tt.args...)...)
		if res.code == 0 || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("dev %v = %+v, want an error containing %q", tt.args, res, tt.want)
		}
	}
	o := &devOptions{brokers: 2, basePort: 9000, dataDir: "d", logLevel: "info", logFormat: "json"}
	got := strings.Join(o.serveArgs(2), " ")
	want := "serve --node-id 2 --listen 127.0.0.1:9001 --data-dir d/broker-2 --initial-controllers 1@127.0.0.1:9000,2@127.0.0.1:9001 --log-level info --log-format json"
	if got != want {
		t.Errorf("serve args:\n got %s\nwant %s", got, want)
	}
}

func TestDevPortInUse(t *testing.T) {
	base := freeBasePort(t, 2)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+1)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := filepath.Join(t.TempDir(), "dev")
	res := runCLI(t, nil, "dev", "--brokers", "2", "--base-port", strconv.Itoa(base), "--data-dir", dir)
	if res.code == 0 || !strings.Contains(res.stderr, "broker 2 cannot listen on") {
		t.Errorf("dev with a taken port = %+v", res)
	}
	// A start that failed leaves no manifest, so the next start may choose
	// other ports.
	if _, err := os.Stat(filepath.Join(dir, devManifest)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed start left its manifest behind (stat: %v)", err)
	}
}
