// Package chaos runs real broker processes in network namespaces of their
// own and injects faults into them on a schedule drawn from a seed: kills,
// pauses, isolation, partitions (two-way and one-way), packet loss and a full
// disk. Workloads run through the faults, and checkers then look for lost,
// duplicated or reordered acknowledged records, offset gaps, replicas that
// disagree and partitions that never recover, and measure how long each
// kind of fault left producers without an acknowledgement.
//
// The namespaces, their veth pairs and the bridge joining them are made by
// the test and removed afterwards; every address lives inside them. It needs
// root (CI has it), `ip` from iproute2 and `iptables` (Debian's packages).
package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// namePrefix starts the name of every namespace, link and bridge a Net
// makes, followed by the making process's pid: leftovers of a run that died
// are recognised and removed by the next.
const namePrefix = "slc"

// Host is one network namespace with one interface on the Net's bridge.
type Host struct {
	Name string // the namespace
	IP   string
	net  *Net
	veth string // the root side of its veth pair
}

// Net is a bridge with hosts (namespaces) on one /24 subnet.
type Net struct {
	tag    string // unique per Net: pid and a random part
	bridge string
	subnet string // "10.a.b."
	Hosts  []*Host

	mu      sync.Mutex
	removed bool
}

// Available says why namespaces cannot be made here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian's iproute2 and iptables; `make chaos` installs them)", tool)
		}
	}
	return nil
}

// NewNet makes n hosts named prefix1..prefixN, joined by a bridge. Remove
// removes them all.
func NewNet(names []string) (*Net, error) {
	removeStale()
	var rnd [2]byte
	_, _ = rand.Read(rnd[:])
	n := &Net{
		tag:    fmt.Sprintf("%dx%s", os.Getpid(), hex.EncodeToString(rnd[:1])),
		subnet: fmt.Sprintf("10.%d.%d.", 200+int(rnd[0])%50, rnd[1]),
	}
	n.bridge = namePrefix + n.tag + "br"
	if err := run("ip", "link", "add", n.bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	if err := run("ip", "link", "set", n.bridge, "up"); err != nil {
		n.Remove()
		return nil, err
	}
	for i, name := range names {
		h := &Host{Name: namePrefix + n.tag + "-" + name, IP: n.subnet + strconv.Itoa(i+1), net: n,
			veth: fmt.Sprintf("%s%sv%d", namePrefix, n.tag, i+1)}
		n.Hosts = append(n.Hosts, h)
		if err := h.create(); err != nil {
			n.Remove()
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
	}
	return n, nil
}

func (h *Host) create() error {
	steps := [][]string{
		{"ip", "netns", "add", h.Name},
		{"ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.Name},
		{"ip", "link", "set", h.veth, "master", h.net.bridge},
		{"ip", "link", "set", h.veth, "up"},
		{"ip", "-n", h.Name, "link", "set", "lo", "up"},
		{"ip", "-n", h.Name, "addr", "add", h.IP + "/24", "dev", "eth0"},
		{"ip", "-n", h.Name, "link", "set", "eth0", "up"},
	}
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the hosts and the bridge; a host's veth pair goes with its
// namespace. It is safe to call more than once.
func (n *Net) Remove() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.removed {
		return
	}
	n.removed = true
	for _, h := range n.Hosts {
		_ = run("ip", "netns", "del", h.Name)
	}
	_ = run("ip", "link", "del", n.bridge)
}

// removeStale removes namespaces and bridges of runs whose process is gone.
func removeStale() {
	out, _ := exec.Command("ip", "-o", "link", "show", "type", "bridge").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 {
			if name := strings.TrimSuffix(f[1], ":"); strings.HasPrefix(name, namePrefix) && staleName(name) {
				_ = run("ip", "link", "del", name)
			}
		}
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), namePrefix) && staleName(e.Name()) {
			_ = run("ip", "netns", "del", e.Name())
		}
	}
}

// staleName says whether a name made by a Net belongs to a dead process:
// its tag is the maker's pid, an "x", then a random part.
func staleName(name string) bool {
	pidText, _, ok := strings.Cut(strings.TrimPrefix(name, namePrefix), "x")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil {
		return false // not ours
	}
	return pid != os.Getpid() && unix.Kill(pid, 0) != nil
}

// Command runs name with args inside the host's namespace.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// iptables changes the host's firewall (its INPUT chain only: a packet
// dropped on OUTPUT fails the sender's call with EPERM at once, which no
// real network does).
func (h *Host) iptables(args ...string) error {
	return run("ip", append([]string{"netns", "exec", h.Name, "iptables", "-w"}, args...)...)
}

// DropFrom makes the host drop every packet from the given hosts: they can
// no longer reach it, and its answers to them are lost too, since their
// acknowledgements never arrive.
func (h *Host) DropFrom(from ...*Host) error {
	for _, f := range from {
		if err := h.iptables("-A", "INPUT", "-s", f.IP, "-j", "DROP"); err != nil {
			return err
		}
	}
	return nil
}

// DropAll makes the host drop every packet that arrives on its interface.
func (h *Host) DropAll() error { return h.iptables("-A", "INPUT", "-i", "eth0", "-j", "DROP") }

// Lose makes the host drop this fraction of the packets it receives, at random.
func (h *Host) Lose(fraction float64) error {
	return h.iptables("-A", "INPUT", "-i", "eth0", "-m", "statistic", "--mode", "random",
		"--probability", strconv.FormatFloat(fraction, 'f', 3, 64), "-j", "DROP")
}

// Heal removes every rule the host's firewall has.
func (h *Host) Heal() error { return h.iptables("-F", "INPUT") }

// DialContext connects to addr from inside the host's namespace: the socket
// is made on an OS thread that has entered the namespace, and belongs to it
// for its life. gRPC clients in the test process use it as their dialer.
func (h *Host) DialContext(ctx context.Context, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		c, err, restored := h.dialInside(ctx, addr)
		if restored {
			runtime.UnlockOSThread()
		} // else the thread stays in the namespace and exits with this goroutine
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

func (h *Host) dialInside(ctx context.Context, addr string) (c net.Conn, err error, restored bool) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err, true
	}
	defer self.Close()
	target, err := os.Open(filepath.Join("/run/netns", h.Name))
	if err != nil {
		return nil, err, true
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("enter namespace %s: %w", h.Name, err), true
	}
	var d net.Dialer
	c, err = d.DialContext(ctx, "tcp", addr)
	restored = unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil
	return c, err, restored
}

func run(name string, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
