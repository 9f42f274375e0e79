package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

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
	g.auth.addFlags(root)
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) { g.cmd = cmd }
}

// sdkOptions are the SDK client options the global flags ask for.
func (g *globalOptions) sdkOptions() ([]sluice.Option, error) {
	return g.auth.sdkOptions(g.cmd)
}

// dial returns a plaintext connection to the broker. grpc.NewClient connects
// lazily, so an unreachable broker surfaces as UNAVAILABLE on the first call.
func (g *globalOptions) dial() (*grpc.ClientConn, error) {
	return g.dialAddr(g.broker)
}

// dialAddr connects to a broker other than --broker (one named by metadata).
func (g *globalOptions) dialAddr(addr string) (*grpc.ClientConn, error) {
	authOpts, err := g.auth.dialOptions(g.cmd, g.broker)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvBytes)),
	}, authOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to broker %s: %w", addr, err)
	}
	return conn, nil
}
