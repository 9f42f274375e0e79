package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// brokerPort is the port every broker listens on, each on its own host's address.
const brokerPort = 7070

// diskBytes is the size of the filesystem each broker's data directory is
// on: small enough that the disk-full fault can fill it, large enough for
// a run's records.
const diskBytes = 512 << 20

// Broker is one `sluice serve` process in its own namespace.
type Broker struct {
	ID      uint64
	Host    *Host
	Addr    string
	dataDir string
	args    []string
	bin     string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *logBuffer
	paused bool
}

// Cluster is brokers 1..n on hosts of one Net, and a client host from which
// the test's own clients connect.
type Cluster struct {
	Net     *Net
	Brokers []*Broker
	Client  *Host
	dir     string
}

// StartCluster makes a Net of n broker hosts and a client host, mounts a
// small filesystem for each broker's data, and starts the brokers.
func StartCluster(bin, dir string, n int) (*Cluster, error) {
	names := []string{}
	for i := 1; i <= n; i++ {
		names = append(names, "b"+strconv.Itoa(i))
	}
	nt, err := NewNet(append(names, "client"))
	if err != nil {
		return nil, err
	}
	c := &Cluster{Net: nt, Client: nt.Hosts[n], dir: dir}
	var ctl []string
	for i := 0; i < n; i++ {
		ctl = append(ctl, fmt.Sprintf("%d@%s:%d", i+1, nt.Hosts[i].IP, brokerPort))
	}
	for i := 0; i < n; i++ {
		h := nt.Hosts[i]
		b := &Broker{ID: uint64(i + 1), Host: h, Addr: fmt.Sprintf("%s:%d", h.IP, brokerPort), bin: bin,
			dataDir: filepath.Join(dir, names[i]), logs: &logBuffer{}}
		b.args = []string{"serve", "--data-dir", b.dataDir, "--listen", b.Addr, "--node-id", strconv.FormatUint(b.ID, 10),
			"--initial-controllers", strings.Join(ctl, ",")}
		if err := os.MkdirAll(b.dataDir, 0o755); err != nil {
			c.Stop()
			return nil, err
		}
		if err := run("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(diskBytes), "tmpfs", b.dataDir); err != nil {
			c.Stop()
			return nil, err
		}
		c.Brokers = append(c.Brokers, b)
	}
	for _, b := range c.Brokers {
		if err := b.Start(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

// Stop kills the brokers, unmounts their filesystems and removes the Net.
func (c *Cluster) Stop() {
	for _, b := range c.Brokers {
		b.Kill()
		_ = run("umount", "-l", b.dataDir)
	}
	c.Net.Remove()
}

// Broker returns broker id.
func (c *Cluster) Broker(id uint64) *Broker { return c.Brokers[id-1] }

// Addrs lists the brokers' addresses.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, b := range c.Brokers {
		out = append(out, b.Addr)
	}
	return out
}

// NewClient returns an SDK client that connects from the client host, with
// the SDK's default settings otherwise.
func (c *Cluster) NewClient() (*sluice.Client, error) {
	return sluice.NewClient(c.Addrs(), sluice.WithDialOptions(grpc.WithContextDialer(c.Client.DialContext)))
}

// Conn is a plain gRPC connection from the client host to one broker.
func (c *Cluster) Conn(b *Broker) (*grpc.ClientConn, error) {
	return grpc.NewClient(b.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(c.Client.DialContext), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
}

// Logs returns every broker's log, for a failure report.
func (c *Cluster) Logs() string {
	var sb strings.Builder
	for _, b := range c.Brokers {
		fmt.Fprintf(&sb, "=== broker %d (%s)\n%s\n", b.ID, b.Addr, b.logs.tail(200))
	}
	return sb.String()
}

// Start runs the broker process; it returns once the process started, not
// once it serves.
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil && b.exited != nil {
		select {
		case <-b.exited:
		default:
			return nil // running
		}
	}
	cmd := b.Host.Command(b.bin, b.args...)
	cmd.Stdout, cmd.Stderr = b.logs, b.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start broker %d: %w", b.ID, err)
	}
	b.cmd, b.exited, b.paused = cmd, make(chan struct{}), false
	exited := b.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	return nil
}

// Running says whether the process is alive (paused counts as alive).
func (b *Broker) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return false
	}
	select {
	case <-b.exited:
		return false
	default:
		return true
	}
}

// Kill ends the process with SIGKILL (continuing it first if paused, so it
// dies at once) and waits for it.
func (b *Broker) Kill() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Process.Signal(syscall.SIGCONT)
	<-exited
}

// Pause stops the process with SIGSTOP; Resume continues it.
func (b *Broker) Pause() error  { return b.signal(syscall.SIGSTOP, true) }
func (b *Broker) Resume() error { return b.signal(syscall.SIGCONT, false) }

func (b *Broker) signal(sig syscall.Signal, paused bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil || b.cmd.Process == nil {
		return errors.New("not started")
	}
	b.paused = paused
	return b.cmd.Process.Signal(sig)
}

// FillDisk writes a file that takes all the space left on the broker's
// filesystem; FreeDisk removes it.
func (b *Broker) FillDisk() error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.dataDir, &st); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(b.dataDir, "chaos-filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for left := int64(st.Bavail) * st.Bsize; left > 0; left -= int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			break // full: what we wanted
		}
	}
	return nil
}

func (b *Broker) FreeDisk() error {
	err := os.Remove(filepath.Join(b.dataDir, "chaos-filler"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// WaitServing polls the broker's health until it serves or ctx ends.
func (c *Cluster) WaitServing(ctx context.Context) error {
	for _, b := range c.Brokers {
		conn, err := c.Conn(b)
		if err != nil {
			return err
		}
		for {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			_, err = sluicev1.NewAdminServiceClient(conn).DescribeCluster(cctx, &sluicev1.DescribeClusterRequest{})
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				conn.Close()
				return fmt.Errorf("broker %d does not serve: %w\n%s", b.ID, err, b.logs.tail(50))
			}
			time.Sleep(100 * time.Millisecond)
		}
		conn.Close()
	}
	return nil
}

// logBuffer keeps a process's output, bounded to the last few MiB.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const maxLogBytes = 4 << 20

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.b.Len() > maxLogBytes {
		l.b.Next(l.b.Len() - maxLogBytes/2)
	}
	return len(p), nil
}

func (l *logBuffer) tail(lines int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := strings.Split(l.b.String(), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
