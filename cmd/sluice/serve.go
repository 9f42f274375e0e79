package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/storage"
)

type serveOptions struct {
	dataDir        string
	listen         string
	advertise      string
	rack           string
	nodeID         uint64
	limits         server.Limits
	retentionMs    int64
	retentionBytes int64
	retentionCheck time.Duration
	logLevel       string
	logFormat      string
	pprof          string
	httpListen     string
	lagPerPart     bool
	controllers    string
	join           string
	tls            tlsServeOptions
	auth           serveAuthOptions
	authz          authzOptions
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a broker (with no flags: a single-node broker with data in ./sluice-data)",
		Args:  useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range []string{"tls", "tls-ca", "tls-server-name"} {
				if cmd.Flags().Changed(name) {
					return fmt.Errorf("--%s is a client flag; a broker takes --tls-cert, --tls-key, --tls-client-ca and --tls-cluster-ca", name)
				}
			}
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", "./sluice-data", "directory for the broker's data")
	f.StringVar(&o.listen, "listen", "127.0.0.1:7070", "address to serve gRPC on")
	f.StringVar(&o.advertise, "advertise", "", "address clients should dial for this broker (default: the listen address)")
	f.StringVar(&o.rack, "rack", "", "`RACK` (or zone) of this broker: a partition's replicas go to as many racks as there are")
	f.Uint64Var(&o.nodeID, "node-id", 1, "this broker's id in the cluster")
	addLimitFlags(cmd, &o.limits)
	addServeAuthFlags(cmd, &o.auth)
	f.Int64Var(&o.retentionMs, "log-retention-ms", 7*24*60*60*1000, "default retention.ms of topics: records older than this are removed, whole segments at a time (-1: no limit)")
	f.Int64Var(&o.retentionBytes, "log-retention-bytes", -1, "default retention.bytes of topics: the bytes a partition keeps before its oldest segments are removed (-1: no limit)")
	f.DurationVar(&o.retentionCheck, "log-retention-check-interval", 30*time.Second, "how often partition leaders look for records past their retention")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "log lines as `FORMAT`: text (key=value) or json (one JSON object per line)")
	f.StringVar(&o.controllers, "initial-controllers", "", "metadata voters of a new cluster, as id@host:port,...; the same on each of them (a restart needs only --data-dir)")
	f.StringVar(&o.join, "join", "", "address of a broker of an existing cluster to join (a new broker follows the metadata as a learner)")
	f.StringVar(&o.httpListen, "http-listen", defaultHTTPListen, "`ADDR` of the HTTP admin listener: /metrics, /healthz, /readyz, /debug/pprof/ (\"\": off); when the default is taken, a free port on 127.0.0.1, logged")
	f.BoolVar(&o.lagPerPart, "metrics-lag-per-partition", false, "export consumer lag per partition as well as per topic (a series per group and partition)")
	f.StringVar(&o.pprof, "pprof", "", "deprecated: pprof is served by --http-listen; this serves the same admin endpoints on a second address")
	_ = f.MarkDeprecated("pprof", "pprof is served on --http-listen at /debug/pprof/")
	addTLSServeFlags(cmd, &o.tls)
	addAuthzFlags(cmd, &o.authz)
	return cmd
}

func (o *serveOptions) run(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if o.nodeID == 0 {
		return errors.New("--node-id must be at least 1")
	}
	if err := o.checkRetention(); err != nil {
		return err
	}
	if _, err := newLogger(io.Discard, o.logFormat, level); err != nil {
		return err
	}
	controllers, err := parseControllers(o.controllers)
	if err != nil {
		return err
	}
	if len(controllers) > 0 {
		if _, ok := controllers[o.nodeID]; !ok {
			return fmt.Errorf("--initial-controllers does not list this broker's --node-id %d", o.nodeID)
		}
	}
	tlsFiles, mappingRules, err := o.tls.config()
	if err != nil {
		return err
	}
	authCfg, err := o.auth.config()
	if err != nil {
		return err
	}
	logger, err := newLogger(cmd.ErrOrStderr(), o.logFormat, level)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	lis, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	cfg := server.Config{
		NodeID: o.nodeID, Storage: storage.DefaultOptions(o.dataDir), AdvertiseAddr: o.advertise, Rack: o.rack,
		Limits: o.limits, Logger: logger, Controllers: controllers, Join: o.join,
		RetentionMs: o.retentionMs, RetentionBytes: o.retentionBytes, RetentionCheckInterval: o.retentionCheck,
		GroupLagPerPartition:  o.lagPerPart,
		TLS:                   tlsFiles,
		PrincipalMappingRules: mappingRules,
		Authentication:        authCfg,
	}
	if err := o.authz.apply(&cfg); err != nil {
		_ = lis.Close()
		return err
	}
	b, err := server.New(cfg)
	if err != nil {
		_ = lis.Close()
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return fmt.Errorf("--data-dir %s is in use by another process (another sluice serve with the same --data-dir?)", o.dataDir)
		}
		return err
	}
	warnInsecure(logger, o.listen, tlsFiles.CertFile != "", o.authenticationOn())
	ctx := cmd.Context()
	if o.httpListen != "" {
		stop, err := serveAdmin(o.httpListen, !cmd.Flags().Changed("http-listen"), b.AdminHandler(), logger)
		if err != nil {
			_ = lis.Close()
			b.Shutdown()
			return fmt.Errorf("--http-listen: %w", err)
		}
		defer stop()
	}
	if o.pprof != "" {
		stop, err := serveAdmin(o.pprof, false, b.AdminHandler(), logger)
		if err != nil {
			_ = lis.Close()
			b.Shutdown()
			return fmt.Errorf("--pprof: %w", err)
		}
		defer stop()
	}
	errc := make(chan error, 1)
	go func() { errc <- b.Serve(ctx, lis) }()
	select {
	case err := <-errc:
		if serr := shutdownWithin(b, shutdownLimit); serr != nil {
			logger.Error("stopping", "err", serr)
		}
		return err
	case <-ctx.Done():
		// A second SIGINT or SIGTERM kills at once.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		logger.Info("shutting down")
		if err := shutdownWithin(b, shutdownLimit); err != nil {
			return err
		}
		if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
			logger.Debug("serve ended", "err", err)
		}
		logger.Info("stopped")
		return nil
	}
}

// newLogger is the broker's logger: slog's text or JSON handler on w.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("invalid --log-format %q: want text or json", format)
}

// addLimitFlags binds the broker's limits (README "Limits"); 0 keeps a
// limit's default.
func addLimitFlags(cmd *cobra.Command, l *server.Limits) {
	f := cmd.Flags()
	f.IntVar(&l.MaxRecordBytes, "max-record-bytes", 0, "largest record accepted, in bytes: the default of the topic config max.message.bytes (0: 1 MiB, less if --max-entry-bytes is smaller)")
	f.IntVar(&l.MaxRequestBytes, "max-request-bytes", 0, "largest gRPC message a client may send, in bytes (0: 64 MiB)")
	f.IntVar(&l.MaxEntryBytes, "max-entry-bytes", 0, "largest raft entry: the records of one request for one partition as stored, in bytes (0: 4 MiB; at most the storage's 16 MiB less 1 KiB)")
	f.IntVar(&l.MaxDecompressedBytes, "max-decompressed-bytes", 0, "largest size a compressed batch may decompress to, in bytes (0: --max-entry-bytes)")
	f.IntVar(&l.MaxRecordHeaders, "max-record-headers", 0, "most headers per record (0: 1024)")
	f.IntVar(&l.MaxCommitMetadataBytes, "offset-metadata-max-bytes", 0, "largest metadata of a committed offset, in bytes (0: 4096, Kafka's offset.metadata.max.bytes)")
	f.Int64Var(&l.TimestampBeforeMaxMs, "log-message-timestamp-before-max-ms", 0, "default message.timestamp.before.max.ms of topics: how far in the past a record's timestamp may be (0: unlimited)")
	f.Int64Var(&l.TimestampAfterMaxMs, "log-message-timestamp-after-max-ms", 0, "default message.timestamp.after.max.ms of topics: how far in the future a record's timestamp may be (0: 3600000, one hour)")
}

// shutdownLimit bounds a broker's shutdown: its own steps are bounded (hand-off,
// requests in flight, closing storage), but a disk that hangs can block a write
// or a close past them, and a stopping process must always exit.
const shutdownLimit = time.Minute

// shutdownWithin runs b.Shutdown, giving up on it after limit.
func shutdownWithin(b *server.Broker, limit time.Duration) error {
	done := make(chan struct{})
	go func() { b.Shutdown(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(limit):
		return fmt.Errorf("shutdown did not finish within %v; exiting without it", limit)
	}
}

// checkRetention refuses retention flags the broker would misread: 0 keeps
// nothing (and the broker reads 0 as "the default"), below -1 means nothing.
func (o *serveOptions) checkRetention() error {
	if o.retentionMs < -1 || o.retentionMs == 0 {
		return fmt.Errorf("--log-retention-ms must be -1 (no limit) or at least 1 (got %d)", o.retentionMs)
	}
	if o.retentionBytes < -1 || o.retentionBytes == 0 {
		return fmt.Errorf("--log-retention-bytes must be -1 (no limit) or at least 1 (got %d)", o.retentionBytes)
	}
	if o.retentionCheck <= 0 {
		return fmt.Errorf("--log-retention-check-interval must be positive (got %v)", o.retentionCheck)
	}
	return nil
}

// defaultHTTPListen is where a broker serves its admin endpoints unless
// told otherwise (Redpanda's admin port).
const defaultHTTPListen = "127.0.0.1:9644"

// serveAdmin serves the broker's admin endpoints (metrics, health,
// profiles) on their own listener, never reachable through the client
// port. With fallback (the address is the default, not asked for), a port
// already taken, as by a second broker on one host, gives way to a free
// port on the same host, logged, rather than stop the broker.
func serveAdmin(addr string, fallback bool, h http.Handler, logger *slog.Logger) (stop func(), err error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil && fallback && errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(addr)
		logger.Warn("default admin HTTP address in use; serving on a free port (set --http-listen)", "default", addr)
		lis, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("admin HTTP server", "err", err)
		}
	}()
	logger.Info("admin HTTP serving", "addr", lis.Addr().String(), "endpoints", "/metrics /healthz /readyz /debug/pprof/")
	return func() { _ = srv.Close(); <-done }, nil
}

// parseControllers reads "1@host:port,2@host:port".
func parseControllers(s string) (map[uint64]string, error) {
	out := map[uint64]string{}
	if s == "" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		idStr, addr, ok := strings.Cut(strings.TrimSpace(item), "@")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if !ok || err != nil || id == 0 || addr == "" {
			return nil, fmt.Errorf("--initial-controllers: %q is not id@host:port", item)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("--initial-controllers: broker %d is listed twice", id)
		}
		out[id] = addr
	}
	return out, nil
}

// authenticationOn reports whether the broker authenticates its clients,
// for warnInsecure: --authentication names a mechanism.
func (o *serveOptions) authenticationOn() bool {
	return o.auth.mechanisms != "" && o.auth.mechanisms != "none"
}
