package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process-level tests run the real sluice binary, built once per test run.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func sluiceBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sluice")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// brokerProc is a `sluice serve` process on 127.0.0.1.
type brokerProc struct {
	t       *testing.T
	dataDir string
	listen  string
	addr    string
	cmd     *exec.Cmd
	exited  chan error
	logs    *syncBuffer
	extra   []string    // more serve flags (cluster membership)
	serving chan string // the address, once the broker logs that it serves
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

// startBroker runs `sluice serve` on a port the kernel picks, unless listen
// names one, and waits until it logs that it serves.
func startBroker(t *testing.T, dataDir, listen string) *brokerProc {
	t.Helper()
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	p := &brokerProc{t: t, dataDir: dataDir, listen: listen, logs: &syncBuffer{}}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *brokerProc) start() {
	p.t.Helper()
	p.launch()
	p.waitServing()
}

// launch starts the process without waiting: brokers of a new cluster serve
// only once a quorum of them runs.
func (p *brokerProc) launch() {
	p.t.Helper()
	pr, pw := io.Pipe()
	args := append([]string{"serve", "--data-dir", p.dataDir, "--listen", p.listen}, p.extra...)
	p.cmd = exec.Command(sluiceBinary(p.t), args...)
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = io.MultiWriter(p.logs, pw)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan error, 1)
	go func() { p.exited <- p.cmd.Wait(); pw.Close() }()
	p.serving = make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				p.serving <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
}

func (p *brokerProc) waitServing() {
	p.t.Helper()
	if err := p.serveOrExit(); err != nil {
		p.t.Fatal(err)
	}
}

// serveOrExit waits until the broker serves; an error if it exits first or
// does not serve within 30 s.
func (p *brokerProc) serveOrExit() error {
	select {
	case p.addr = <-p.serving:
		p.listen = p.addr // a restart keeps the address
		return nil
	case err := <-p.exited:
		p.exited <- err // kill waits on it too
		return fmt.Errorf("broker exited before serving: %v\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("broker did not start serving within 30s\n%s", p.logs)
	}
}

// kill ends the broker with SIGKILL: no shutdown code runs.
func (p *brokerProc) kill() {
	if p.cmd.ProcessState != nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// terminate sends SIGTERM and returns the exit error (nil for status 0).
func (p *brokerProc) terminate() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err
	case <-time.After(30 * time.Second):
		p.kill()
		return fmt.Errorf("broker did not exit within 30s of SIGTERM")
	}
}

// cli runs the sluice binary as a client of the broker.
func (p *brokerProc) cli(stdin string, args ...string) (string, string, error) {
	cmd := exec.Command(sluiceBinary(p.t), append([]string{"--broker", p.addr}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (p *brokerProc) mustCLI(stdin string, args ...string) string {
	p.t.Helper()
	out, errOut, err := p.cli(stdin, args...)
	if err != nil {
		p.t.Fatalf("sluice %s: %v\n%s\nbroker log:\n%s", strings.Join(args, " "), err, errOut, p.logs)
	}
	return out
}
