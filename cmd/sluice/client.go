package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	sluice "github.com/sluice-io/sluice/clients/go"
)

const (
	defaultBroker = "127.0.0.1:7070"
	brokerEnv     = "SLUICE_BROKER"
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
		"broker address `host:port` (env "+brokerEnv+")")
	g.tls.addFlags(root)
	g.auth.addFlags(root)
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) { g.cmd = cmd }
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
