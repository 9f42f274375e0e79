package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sluice-io/sluice/server/security"
)

// tlsServeOptions are sluice serve's TLS flags.
type tlsServeOptions struct {
	cert, key, clientCA, clusterCA, clientAuth, rules string
}

func addTLSServeFlags(cmd *cobra.Command, o *tlsServeOptions) {
	f := cmd.Flags()
	f.StringVar(&o.cert, "tls-cert", "", "PEM `FILE` of the broker's certificate (chain): serve TLS to clients and talk mTLS to peers; reread when it changes")
	f.StringVar(&o.key, "tls-key", "", "PEM `FILE` of the broker's private key")
	f.StringVar(&o.clientCA, "tls-client-ca", "", "PEM `FILE` of the CA(s) that sign client certificates")
	f.StringVar(&o.clusterCA, "tls-cluster-ca", "", "PEM `FILE` of the CA that signs broker certificates (default: --tls-client-ca)")
	f.StringVar(&o.clientAuth, "tls-client-auth", "", "client certificates: none, requested or required (default: requested with --tls-client-ca, else none)")
	f.StringVar(&o.rules, "tls-principal-mapping-rules", security.DefaultRules, "how a client certificate's subject DN becomes its principal's name: RULE:pattern/replacement/[L|U],...,DEFAULT (Kafka's ssl.principal.mapping.rules)")
}

// config reads the flags into the broker's TLS files and mapping rules.
func (o *tlsServeOptions) config() (security.TLSFiles, security.Rules, error) {
	rules, err := security.ParseRules(o.rules)
	if err != nil {
		return security.TLSFiles{}, security.Rules{}, fmt.Errorf("--tls-principal-mapping-rules: %w", err)
	}
	if o.cert == "" && o.key == "" {
		if o.clientCA != "" || o.clusterCA != "" || o.clientAuth != "" {
			return security.TLSFiles{}, rules, fmt.Errorf("--tls-client-ca, --tls-cluster-ca and --tls-client-auth need --tls-cert and --tls-key")
		}
		return security.TLSFiles{}, rules, nil
	}
	if o.cert == "" || o.key == "" {
		return security.TLSFiles{}, rules, fmt.Errorf("TLS needs both --tls-cert and --tls-key")
	}
	authName := o.clientAuth
	if authName == "" && o.clientCA != "" {
		authName = "requested"
	}
	auth, err := security.ParseClientAuth(authName)
	if err != nil {
		return security.TLSFiles{}, rules, fmt.Errorf("--tls-client-auth: %w", err)
	}
	if auth != security.ClientAuthNone && o.clientCA == "" {
		return security.TLSFiles{}, rules, fmt.Errorf("--tls-client-auth %s needs --tls-client-ca", auth)
	}
	return security.TLSFiles{CertFile: o.cert, KeyFile: o.key, ClientCAFile: o.clientCA, ClusterCAFile: o.clusterCA, ClientAuth: auth}, rules, nil
}

// warnInsecure logs, at start, what leaves a broker that others can reach
// open: no TLS, no authentication. A broker on a loopback address (make run,
// sluice dev) is reachable from this host alone and gets no warning.
func warnInsecure(logger *slog.Logger, listen string, tlsOn, authOn bool) {
	if isLoopback(listen) {
		return
	}
	if !tlsOn {
		logger.Warn("listening on a non-loopback address without TLS: records, and any credentials, cross the network in clear text; set --tls-cert and --tls-key",
			"listen", listen)
	}
	if !authOn {
		logger.Warn("listening on a non-loopback address without authentication: anyone who can reach the port can read, write and delete every topic",
			"listen", listen)
	}
}

// isLoopback reports whether a listen address is on loopback only; an empty
// host (every interface) is not.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client TLS flags, shared by every client command.
const (
	tlsEnv           = "SLUICE_TLS"
	tlsCAEnv         = "SLUICE_TLS_CA"
	tlsCertEnv       = "SLUICE_TLS_CERT"
	tlsKeyEnv        = "SLUICE_TLS_KEY"
	tlsServerNameEnv = "SLUICE_TLS_SERVER_NAME"
)

type clientTLSOptions struct {
	on                        bool
	ca, cert, key, serverName string
}

func (o *clientTLSOptions) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.BoolVar(&o.on, "tls", os.Getenv(tlsEnv) != "" && os.Getenv(tlsEnv) != "0", "connect with TLS, trusting the system's CAs unless --tls-ca (env "+tlsEnv+"=1); implied by the other --tls flags")
	f.StringVar(&o.ca, "tls-ca", os.Getenv(tlsCAEnv), "PEM `FILE` of the CA that signs the brokers' certificates (env "+tlsCAEnv+")")
	f.StringVar(&o.cert, "tls-cert", os.Getenv(tlsCertEnv), "PEM `FILE` of a client certificate to present (env "+tlsCertEnv+")")
	f.StringVar(&o.key, "tls-key", os.Getenv(tlsKeyEnv), "PEM `FILE` of the client certificate's key (env "+tlsKeyEnv+")")
	f.StringVar(&o.serverName, "tls-server-name", os.Getenv(tlsServerNameEnv), "`NAME` the brokers' certificates must carry (default: the host dialled) (env "+tlsServerNameEnv+")")
}

func (o *clientTLSOptions) enabled() bool {
	return o.on || o.ca != "" || o.cert != "" || o.key != "" || o.serverName != ""
}

// config is the TLS configuration the flags describe; nil when TLS is off.
func (o *clientTLSOptions) config() (*tls.Config, error) {
	if !o.enabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.serverName}
	if o.ca != "" {
		pem, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", o.ca)
		}
	}
	if (o.cert == "") != (o.key == "") {
		return nil, fmt.Errorf("a client certificate needs both --tls-cert and --tls-key")
	}
	if o.cert != "" {
		cert, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert and --tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// creds are the transport credentials of the client's connections.
func (o *clientTLSOptions) creds() (credentials.TransportCredentials, error) {
	cfg, err := o.config()
	if err != nil || cfg == nil {
		return insecure.NewCredentials(), err
	}
	return credentials.NewTLS(cfg), nil
}

// tlsHint is added to a connection error that looks like a mismatch of TLS
// and plaintext between the client and the broker.
func tlsHint(msg string) string {
	switch {
	case strings.Contains(msg, "error reading server preface"):
		return " (does the broker serve TLS? then connect with --tls-ca, or --tls)"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return " (the broker serves plaintext: drop the --tls flags)"
	}
	return ""
}
