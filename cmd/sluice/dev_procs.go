package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// devServingRE matches the line a broker logs once it serves clients, in
// either --log-format.
var devServingRE = regexp.MustCompile(`msg="sluice broker serving"|"msg":"sluice broker serving"`)

// devBroker is one `sluice serve` child of sluice dev.
type devBroker struct {
	id      int
	addr    string
	dataDir string
	cmd     *exec.Cmd
	serving chan struct{} // closed when the broker logs that it serves
	exited  chan struct{} // closed when the process has been waited for
	err     error         // the exit status, once exited is closed
	logDone chan struct{} // closed when all its output is copied
}

func (p *devBroker) pid() int { return p.cmd.Process.Pid }

// lockedWriter serialises the brokers' log lines onto one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) line(prefix string, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = fmt.Fprintf(l.w, "%s%s\n", prefix, b) // nowhere to report a failing stderr
}

// startDevBroker starts broker k of the cluster o describes; its output goes,
// line by line and prefixed with "[broker k] ", to logs.
func startDevBroker(bin string, o *devOptions, k int, logs *lockedWriter) (*devBroker, error) {
	p := &devBroker{
		id: k, addr: o.addr(k), dataDir: o.brokerDir(k), cmd: exec.Command(bin, o.serveArgs(k)...),
		serving: make(chan struct{}), exited: make(chan struct{}), logDone: make(chan struct{}),
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.cmd.SysProcAttr = devProcAttr()
	err = p.cmd.Start()
	pw.Close() // the child holds its own copy
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("start broker %d: %w", k, err)
	}
	go p.copyLogs(pr, logs)
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *devBroker) copyLogs(r io.ReadCloser, logs *lockedWriter) {
	defer close(p.logDone)
	defer r.Close()
	prefix := fmt.Sprintf("[broker %d] ", p.id)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := false
	for sc.Scan() {
		logs.line(prefix, sc.Bytes())
		if !seen && devServingRE.Match(sc.Bytes()) {
			seen = true
			close(p.serving)
		}
	}
}

// runDev starts the brokers, waits until they all serve, lists them, and
// stops them when the command's context ends (SIGINT, SIGTERM).
func runDev(cmd *cobra.Command, o *devOptions) error {
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the sluice binary: %w", err)
	}
	// The data directory is checked first: a directory made for another
	// shape of cluster is wrong whatever the ports, and its message says
	// which flags fit it. Its manifest is written only once the ports are
	// known to be free, so a failed start leaves nothing behind.
	reused, err := o.checkDataDir()
	if err != nil {
		return err
	}
	if err := o.checkPorts(); err != nil {
		return err
	}
	if !reused {
		if err := o.writeManifest(); err != nil {
			return err
		}
	}
	if o.tls {
		if err := ensureDevTLS(o); err != nil {
			return fmt.Errorf("make the dev certificates: %w", err)
		}
	}
	logs := &lockedWriter{w: cmd.ErrOrStderr()}
	var procs []*devBroker
	for k := 1; k <= o.brokers; k++ {
		p, err := startDevBroker(bin, o, k, logs)
		if err != nil {
			return errors.Join(err, stopDevBrokers(procs, o.stopTimeout, logs))
		}
		procs = append(procs, p)
	}
	ctx := cmd.Context()
	if err := waitDevServing(ctx, procs, o.startTimeout); err != nil {
		return errors.Join(err, stopDevBrokers(procs, o.stopTimeout, logs))
	}
	if ctx.Err() == nil {
		if err := printDevCluster(cmd.OutOrStdout(), o, procs, reused); err != nil {
			return errors.Join(err, stopDevBrokers(procs, o.stopTimeout, logs))
		}
		if err := watchDevBrokers(ctx, procs, logs); err != nil {
			return errors.Join(err, stopDevBrokers(procs, o.stopTimeout, logs))
		}
	}
	logs.line("[dev] ", []byte("stopping the brokers"))
	if err := stopDevBrokers(procs, o.stopTimeout, logs); err != nil {
		return err
	}
	// Said on stdout, where the cluster was listed: Ctrl-C ends in a line
	// that says what happened and what is left.
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "sluice dev: %s stopped; their data is kept in %s (the same sluice dev command starts them again)\n",
		plural(int64(len(procs)), "broker"), o.dataDir)
	return err
}

// waitDevServing waits until every broker serves. It returns nil early if ctx
// ends (the caller stops the brokers either way).
func waitDevServing(ctx context.Context, procs []*devBroker, timeout time.Duration) error {
	deadline := time.After(timeout)
	for _, p := range procs {
		select {
		case <-p.serving:
		case <-ctx.Done():
			return nil
		case <-p.exited:
			<-p.logDone
			return fmt.Errorf("broker %d exited before serving (%v); its log is above", p.id, exitDescription(p.err))
		case <-deadline:
			return fmt.Errorf("broker %d did not serve within %s (--start-timeout); its log is above", p.id, timeout)
		}
	}
	return nil
}

// watchDevBrokers reports brokers that exit while the cluster runs, and
// returns when ctx ends (nil) or when no broker is left (an error).
func watchDevBrokers(ctx context.Context, procs []*devBroker, logs *lockedWriter) error {
	running := len(procs)
	exits := make(chan *devBroker, len(procs))
	for _, p := range procs {
		go func() {
			select {
			case <-p.exited:
				exits <- p
			case <-ctx.Done():
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-exits:
			<-p.logDone
			running--
			logs.line("[dev] ", fmt.Appendf(nil, "broker %d exited (%s); %d still running",
				p.id, exitDescription(p.err), running))
			if running == 0 {
				return errors.New("every broker exited")
			}
		}
	}
}

// stopDevBrokers sends SIGTERM to every broker still running and waits for
// them; one that outlives timeout is killed. The error names brokers that did
// not stop cleanly (exit status 0 after SIGTERM).
func stopDevBrokers(procs []*devBroker, timeout time.Duration, logs *lockedWriter) error {
	var signalled []*devBroker
	for _, p := range procs {
		select {
		case <-p.exited:
			continue // already gone, and reported
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err == nil {
			signalled = append(signalled, p)
		}
	}
	deadline := time.After(timeout)
	var errs []error
	for _, p := range signalled {
		select {
		case <-p.exited:
		case <-deadline:
			logs.line("[dev] ", fmt.Appendf(nil, "broker %d did not stop within %s: killing it", p.id, timeout))
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		<-p.logDone
		if p.err != nil {
			errs = append(errs, fmt.Errorf("broker %d did not stop cleanly: %s", p.id, exitDescription(p.err)))
		}
	}
	return errors.Join(errs...)
}

// exitDescription says how a process ended.
func exitDescription(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
