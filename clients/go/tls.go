package sluice

import (
	"crypto/tls"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// WithTLS connects to the brokers over TLS with cfg: its RootCAs verify the
// brokers' certificates (nil: the system's CAs), its Certificates are the
// client certificate presented to brokers that ask for one (mTLS), and its
// ServerName, when set, is the name every broker's certificate must carry
// (by default the host of each address dialled).
func WithTLS(cfg *tls.Config) Option {
	return WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
}
