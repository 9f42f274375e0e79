package sluice_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests and the examples run against real brokers: the sluice binary
// named by $SLUICE_BIN, or else built from this checkout into a temporary
// directory. TestMain starts one broker for the whole package; brokerAddr is
// its address.

var (
	brokerAddr string
	sluiceBin  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "sluice-go-sdk-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	sluiceBin = os.Getenv("SLUICE_BIN")
	if sluiceBin == "" {
		sluiceBin = filepath.Join(tmp, "sluice")
		out, err := exec.Command("go", "build", "-o", sluiceBin, "github.com/sluice-io/sluice/cmd/sluice").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build the broker: %v\n%s", err, out)
			return 1
		}
	}
	b, err := startBroker(filepath.Join(tmp, "data"), "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.kill()
	if err := b.waitServing(30 * time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	brokerAddr = b.addr
	return m.Run()
}

// broker is a `sluice serve` process on 127.0.0.1.
type broker struct {
	cmd     *exec.Cmd
	addr    string
	logs    *syncBuffer
	exited  chan error
	serving chan string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingRE = regexp.MustCompile(`msg="sluice broker serving".* addr=(\S+)`)

// startBroker starts `sluice serve` without waiting for it to serve (the
// brokers of a new cluster serve only once a quorum of them runs).
func startBroker(dataDir, listen string, extra ...string) (*broker, error) {
	pr, pw := io.Pipe()
	b := &broker{logs: &syncBuffer{}, exited: make(chan error, 1), serving: make(chan string, 1)}
	args := append([]string{"serve", "--data-dir", dataDir, "--listen", listen}, extra...)
	b.cmd = exec.Command(sluiceBin, args...)
	b.cmd.Stdout = b.logs
	b.cmd.Stderr = io.MultiWriter(b.logs, pw)
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { b.exited <- b.cmd.Wait(); pw.Close() }()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				b.serving <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return b, nil
}

func (b *broker) waitServing(timeout time.Duration) error {
	select {
	case b.addr = <-b.serving:
		return nil
	case err := <-b.exited:
		b.exited <- err
		return fmt.Errorf("broker exited before serving: %v\n%s", err, b.logs)
	case <-time.After(timeout):
		return fmt.Errorf("broker did not serve within %v\n%s", timeout, b.logs)
	}
}

func (b *broker) kill() {
	if b.cmd.Process == nil {
		return
	}
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	err := <-b.exited
	b.exited <- err
}
