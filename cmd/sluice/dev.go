package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// devHost is where sluice dev's brokers listen: loopback only.
const devHost = "127.0.0.1"

// devManifest is the file in --data-dir that records the cluster's shape, so
// that a restart with other --brokers or --base-port is refused instead of
// starting brokers that do not match their stored metadata.
const devManifest = "sluice-dev.json"

type devOptions struct {
	brokers      int
	basePort     int
	dataDir      string
	logLevel     string
	logFormat    string
	startTimeout time.Duration
	stopTimeout  time.Duration
	tls          bool
}

func newDevCmd() *cobra.Command {
	o := &devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local cluster of brokers for development (Ctrl-C stops it)",
		Long: "Start --brokers `sluice serve` processes on " + devHost + ", ports --base-port,\n" +
			"--base-port+1, ..., forming one cluster, each with its data in\n" +
			"--data-dir/broker-K. Their log lines are printed with a [broker K] prefix.\n" +
			"Once all serve, the brokers are listed on stdout. Ctrl-C (or SIGTERM) stops\n" +
			"them gracefully; running again with the same --data-dir keeps the data.\n" +
			"A broker that exits (or is killed, to try a failover) is reported and the\n" +
			"others keep running.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runDev(cmd, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.brokers, "brokers", 3, "`N` brokers")
	f.IntVar(&o.basePort, "base-port", 7071, "`PORT` of broker 1; broker K listens on PORT+K-1")
	f.StringVar(&o.dataDir, "data-dir", "./sluice-dev", "`DIR` holding each broker's data directory")
	f.StringVar(&o.logLevel, "log-level", "info", "the brokers' log `LEVEL`: debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "the brokers' log `FORMAT`: text or json (each line still gets its [broker K] prefix)")
	f.DurationVar(&o.startTimeout, "start-timeout", time.Minute, "how long to wait for every broker to serve")
	f.DurationVar(&o.stopTimeout, "stop-timeout", time.Minute, "how long to wait for the brokers to stop before killing them")
	f.BoolVar(&o.tls, "tls", false, "serve TLS (mTLS between brokers) with a local CA and certificates made in --data-dir/tls; prints the client flags")
	return cmd
}

func (o *devOptions) validate() error {
	switch {
	case o.brokers < 1 || o.brokers > 99:
		return fmt.Errorf("invalid --brokers %d: want 1 to 99", o.brokers)
	case o.basePort < 1 || o.basePort+o.brokers-1 > 65535:
		return fmt.Errorf("invalid --base-port %d: the ports of %s must lie in 1-65535", o.basePort, plural(int64(o.brokers), "broker"))
	case o.logFormat != "text" && o.logFormat != "json":
		return fmt.Errorf("invalid --log-format %q: want text or json", o.logFormat)
	case o.dataDir == "":
		return errors.New("--data-dir must not be empty")
	case o.startTimeout <= 0 || o.stopTimeout <= 0:
		return errors.New("--start-timeout and --stop-timeout must be positive")
	}
	return nil
}

// addr is broker k's address (k from 1).
func (o *devOptions) addr(k int) string {
	return net.JoinHostPort(devHost, strconv.Itoa(o.basePort+k-1))
}

// controllers is the --initial-controllers value every broker gets.
func (o *devOptions) controllers() string {
	parts := make([]string, o.brokers)
	for k := 1; k <= o.brokers; k++ {
		parts[k-1] = fmt.Sprintf("%d@%s", k, o.addr(k))
	}
	return strings.Join(parts, ",")
}

// brokerDir is broker k's data directory.
func (o *devOptions) brokerDir(k int) string {
	return filepath.Join(o.dataDir, fmt.Sprintf("broker-%d", k))
}

// serveArgs are broker k's command line.
func (o *devOptions) serveArgs(k int) []string {
	args := []string{
		"serve", "--node-id", strconv.Itoa(k), "--listen", o.addr(k), "--data-dir", o.brokerDir(k),
		"--initial-controllers", o.controllers(), "--log-level", o.logLevel, "--log-format", o.logFormat,
	}
	if o.tls {
		args = append(args, o.tlsServeArgs(k)...)
	}
	return args
}

type devShape struct {
	Brokers  int    `json:"brokers"`
	BasePort int    `json:"base_port"`
	Host     string `json:"host"`
}

func (o *devOptions) shape() devShape {
	return devShape{Brokers: o.brokers, BasePort: o.basePort, Host: devHost}
}

// checkDataDir reports whether the data directory already holds a cluster,
// and fails unless it was made for the same brokers and ports: their ids
// and addresses are stored in the cluster's metadata.
func (o *devOptions) checkDataDir() (reused bool, err error) {
	want := o.shape()
	path := filepath.Join(o.dataDir, devManifest)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var got devShape
	if err := json.Unmarshal(b, &got); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if got != want {
		return false, fmt.Errorf("%s holds a cluster of %s on %s from port %d: run with --brokers %d --base-port %d, or use another --data-dir",
			o.dataDir, plural(int64(got.Brokers), "broker"), got.Host, got.BasePort, got.Brokers, got.BasePort)
	}
	return true, nil
}

// writeManifest creates the data directory and records the cluster's shape
// in it.
func (o *devOptions) writeManifest() error {
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	b, _ := json.MarshalIndent(o.shape(), "", "  ") // a plain struct: cannot fail
	return os.WriteFile(filepath.Join(o.dataDir, devManifest), append(b, '\n'), 0o644)
}

// checkPorts fails early, naming the port, if a broker's port is taken.
func (o *devOptions) checkPorts() error {
	for k := 1; k <= o.brokers; k++ {
		l, err := net.Listen("tcp", o.addr(k))
		if err != nil {
			return fmt.Errorf("broker %d cannot listen on %s (is another cluster running?): %w", k, o.addr(k), err)
		}
		_ = l.Close()
	}
	return nil
}

// printDevCluster lists the brokers and shows how to use them.
func printDevCluster(out io.Writer, o *devOptions, procs []*devBroker, reused bool) error {
	data := "new data in " + o.dataDir
	if reused {
		data = "data kept in " + o.dataDir
	}
	fmt.Fprintf(out, "sluice dev: %s serving, %s\n\n", plural(int64(o.brokers), "broker"), data)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BROKER\tADDRESS\tPID\tDATA DIR")
	for _, p := range procs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", p.id, p.addr, p.pid(), p.dataDir)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	rf := min(o.brokers, 3)
	env := brokerEnv + "=" + o.addr(1)
	if o.tls {
		printDevTLS(out, o)
	}
	fmt.Fprintf(out, "\nTry:\n"+
		"  %s sluice topic create orders --partitions 3 --replication-factor %d\n"+
		"  printf 'a\\nb\\n' | %s sluice produce orders\n"+
		"  %s sluice cluster status\n\n"+
		"Ctrl-C stops the brokers; the same --data-dir keeps their data.\n", env, rf, env, env)
	return nil
}
