package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	sluice "github.com/sluice-io/sluice/clients/go"
)

const (
	defaultBroker = "127.0.0.1:7070"
	// defaultPort is the port of a --broker given without one: the port
	// `sluice serve` listens on by default.
	defaultPort = "7070"
	brokerEnv   = "SLUICE_BROKER"
	// maxRecvBytes bounds one message from the broker. A fetch response holds up to
	// max_bytes of records (1 MiB by default) but always at least one whole record,
	// so the gRPC default of 4 MiB is too tight for large records.
	maxRecvBytes = 64 << 20
)

// globalOptions are the flags every client command shares.
type globalOptions struct {
	broker string
	tls    clientTLSOptions
	auth   authOptions
	// cmd is the command running, for the password prompt.
	cmd *cobra.Command
}

func (g *globalOptions) addFlags(root *cobra.Command) {
	def := os.Getenv(brokerEnv)
	if def == "" {
		def = defaultBroker
	}
	root.PersistentFlags().StringVar(&g.broker, "broker", def,
		"the broker to talk to, as `host[:port]` (port "+defaultPort+" when left out; env "+brokerEnv+")")
	g.tls.addFlags(root)
	g.auth.addFlags(root)
}

// checkBroker checks --broker and gives it the default port when it names
// only a host: gRPC would otherwise dial port 443. It keeps the command
// running, for the password prompt.
func (g *globalOptions) checkBroker(cmd *cobra.Command) error {
	g.cmd = cmd
	addr, err := brokerAddress(g.broker)
	if err != nil && !cmd.Flags().Changed("broker") && os.Getenv(brokerEnv) != "" {
		return fmt.Errorf("invalid %s %q: %v", brokerEnv, g.broker, err)
	}
	if err != nil {
		return usageErrorf("invalid --broker %q: %v", g.broker, err)
	}
	g.broker = addr
	return nil
}

// brokerAddress turns "host", "host:port", "[v6]" or "[v6]:port" into
// host:port, the port 7070 when none is given.
func brokerAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("want host:port, like 127.0.0.1:7070")
	}
	if strings.Contains(s, "://") {
		return "", errors.New("want host:port without a scheme, like 127.0.0.1:7070")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare host name, an IPv4 address, or an IPv6 one in
		// brackets or without.
		h := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		if strings.ContainsAny(h, "[]/ ") || (strings.Count(h, ":") == 1) {
			return "", errors.New("want host:port, like 127.0.0.1:7070")
		}
		return net.JoinHostPort(h, defaultPort), nil
	}
	if host == "" {
		return "", errors.New("the host is missing, like 127.0.0.1:7070")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return s, nil
}

// dial returns a connection to the broker, over TLS as the --tls flags say
// (else plaintext). grpc.NewClient connects lazily, so an unreachable broker
// surfaces as UNAVAILABLE on the first call.
func (g *globalOptions) dial() (*grpc.ClientConn, error) {
	return g.dialAddr(g.broker)
}

// dialAddr connects to a broker other than --broker (one named by metadata).
func (g *globalOptions) dialAddr(addr string) (*grpc.ClientConn, error) {
	creds, err := g.tls.creds()
	if err != nil {
		return nil, err
	}
	authOpts, err := g.auth.dialOptions(g.cmd, g.broker, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvBytes)),
		grpc.WithChainUnaryInterceptor(keepRequestID),
	}, authOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to broker %s: %w", addr, err)
	}
	return conn, nil
}

// newSDKClient is a Go SDK client of the cluster behind --broker, with the
// same TLS settings and credentials as dial.
func (g *globalOptions) newSDKClient() (*sluice.Client, error) {
	cfg, err := g.tls.config()
	if err != nil {
		return nil, err
	}
	opts, err := g.auth.sdkOptions(g.cmd)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, sluice.WithTLS(cfg))
	}
	return sluice.NewClient([]string{g.broker}, opts...)
}

// withoutBroker marks cmd as one that talks to no broker (serve, dev,
// version, help): its help leaves out the client flags it inherits
// (--broker, --tls-ca, --user, ...), giving one is an error rather than
// silently nothing, and a bad SLUICE_BROKER does not stop it.
func withoutBroker(cmd *cobra.Command) *cobra.Command {
	cmd.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		var given []string
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if f.Changed && f.Name != "help" {
				given = append(given, "--"+f.Name)
			}
		})
		if len(given) > 0 {
			return usageErrorf("%s is a client flag; %s does not use it", strings.Join(given, ", "), c.CommandPath())
		}
		return nil
	}
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		var hidden []*pflag.Flag
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !f.Hidden {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		})
		defer func() {
			for _, f := range hidden {
				f.Hidden = false
			}
		}()
		c.Parent().HelpFunc()(c, args)
	})
	return cmd
}

// connectTimeout bounds the first question a command asks the broker, so an
// unreachable broker or a missing topic is reported at once rather than
// after the producer's or group's own retries.
const connectTimeout = 10 * time.Second

// connectFor returns an SDK client of --broker that has just fetched the
// topic's metadata: an unreachable broker or a missing topic is an error
// here.
func connectFor(ctx context.Context, g *globalOptions, topic string) (*sluice.Client, error) {
	client, err := g.newSDKClient()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	md, err := client.Metadata(cctx, topic)
	if status.Code(err) == codes.NotFound ||
		(err == nil && !slices.ContainsFunc(md.Topics, func(t sluice.TopicMetadata) bool { return t.Name == topic })) {
		err = fmt.Errorf("topic %q not found (`sluice topic create %s` creates it)", topic, topic)
	}
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return client, nil
}

// requestIDError is a failed call with the request id the broker returned
// in its x-request-id trailer (server/requestid.go); errorMessage shows it
// when the broker failed, so a user can quote it to whoever reads the
// broker's log.
type requestIDError struct {
	err error
	id  string
}

func (e *requestIDError) Error() string { return e.err.Error() }
func (e *requestIDError) Unwrap() error { return e.err }

// keepRequestID is a client interceptor that keeps a failed call's
// request id with its error.
func keepRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var trailer metadata.MD
	err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		if ids := trailer.Get("x-request-id"); len(ids) > 0 {
			return &requestIDError{err: err, id: ids[0]}
		}
	}
	return err
}
