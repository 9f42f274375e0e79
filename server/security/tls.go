package security

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// ClientAuth says whether the broker asks clients for a certificate, as
// Kafka's ssl.client.auth does.
type ClientAuth int

const (
	// ClientAuthNone: clients are not asked for a certificate.
	ClientAuthNone ClientAuth = iota
	// ClientAuthRequested: a client may present a certificate, which must
	// then be valid (signed by the client CA); one without is served.
	ClientAuthRequested
	// ClientAuthRequired: a client without a valid certificate is refused
	// at the handshake.
	ClientAuthRequired
)

// ParseClientAuth reads none, requested or required.
func ParseClientAuth(s string) (ClientAuth, error) {
	switch s {
	case "none", "":
		return ClientAuthNone, nil
	case "requested":
		return ClientAuthRequested, nil
	case "required":
		return ClientAuthRequired, nil
	}
	return 0, fmt.Errorf("client auth %q: want none, requested or required", s)
}

func (a ClientAuth) String() string {
	switch a {
	case ClientAuthRequested:
		return "requested"
	case ClientAuthRequired:
		return "required"
	}
	return "none"
}

// TLSFiles names the PEM files of a broker's TLS identity and trust.
type TLSFiles struct {
	// CertFile and KeyFile are the broker's certificate (chain) and key. The
	// broker presents them to clients and, as a client, to the brokers it
	// dials; in a cluster the certificate names the broker (BrokerURI).
	CertFile, KeyFile string
	// ClientCAFile verifies client certificates (with ClientAuth requested
	// or required).
	ClientCAFile string
	// ClusterCAFile verifies brokers' certificates, both ways; empty means
	// ClientCAFile. A separate cluster CA keeps any certificate issued to a
	// client from ever passing as a broker's.
	ClusterCAFile string
	ClientAuth    ClientAuth
	// ReloadInterval is how often, at most, a handshake looks whether the
	// files changed on disk; 0 means one second.
	ReloadInterval time.Duration
}

// Material is a broker's TLS identity and trust, read from TLSFiles and read
// again when the files change: each new connection (in or out) uses what the
// files hold at most ReloadInterval ago. Connections already open keep the
// certificate they were made with. A change that does not load (a key that
// does not match the new certificate, a file half written) is logged, and the
// last good material stays in use until the files load again.
type Material struct {
	files TLSFiles
	log   *slog.Logger

	mu        sync.Mutex
	cur       *material
	stamps    []stamp
	lastCheck time.Time
}

type material struct {
	cert       *tls.Certificate
	leaf       *x509.Certificate
	clientCAs  *x509.CertPool // verifies any incoming certificate: client CA and cluster CA
	clusterCAs *x509.CertPool // nil: no cluster CA
}

type stamp struct {
	mod  time.Time
	size int64
}

// LoadMaterial reads the files.
func LoadMaterial(files TLSFiles, log *slog.Logger) (*Material, error) {
	if files.CertFile == "" || files.KeyFile == "" {
		return nil, errors.New("TLS needs both a certificate file and a key file")
	}
	if files.ClientAuth != ClientAuthNone && files.ClientCAFile == "" {
		return nil, fmt.Errorf("client auth %s needs a client CA file to verify client certificates with", files.ClientAuth)
	}
	if files.ClusterCAFile == "" {
		files.ClusterCAFile = files.ClientCAFile
	}
	if files.ReloadInterval <= 0 {
		files.ReloadInterval = time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	m := &Material{files: files, log: log}
	cur, err := m.load()
	if err != nil {
		return nil, err
	}
	m.cur, m.stamps, m.lastCheck = cur, m.stat(), time.Now()
	return m, nil
}

func (m *Material) paths() []string {
	out := []string{m.files.CertFile, m.files.KeyFile}
	for _, p := range []string{m.files.ClientCAFile, m.files.ClusterCAFile} {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (m *Material) stat() []stamp {
	var out []stamp
	for _, p := range m.paths() {
		st, err := os.Stat(p)
		if err != nil {
			out = append(out, stamp{})
			continue
		}
		out = append(out, stamp{mod: st.ModTime(), size: st.Size()})
	}
	return out
}

func (m *Material) load() (*material, error) {
	cert, err := tls.LoadX509KeyPair(m.files.CertFile, m.files.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", m.files.CertFile, m.files.KeyFile, err)
	}
	out := &material{cert: &cert, leaf: cert.Leaf}
	out.clientCAs = x509.NewCertPool()
	for _, p := range []string{m.files.ClientCAFile, m.files.ClusterCAFile} {
		if p == "" {
			continue
		}
		pem, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", p)
		}
		out.clientCAs.AppendCertsFromPEM(pem)
		if p == m.files.ClusterCAFile {
			out.clusterCAs = pool
		}
	}
	return out, nil
}

// current returns the material, first reading the files again when they
// changed and the last look is ReloadInterval old.
func (m *Material) current() *material {
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.lastCheck) < m.files.ReloadInterval {
		return m.cur
	}
	m.lastCheck = time.Now()
	st := m.stat()
	if equalStamps(st, m.stamps) {
		return m.cur
	}
	cur, err := m.load()
	if err != nil {
		m.log.Warn("TLS files changed but do not load; still using the previous certificate", "err", err)
		return m.cur
	}
	m.cur, m.stamps = cur, st
	m.log.Info("TLS certificate reloaded", "cert", m.files.CertFile, "subject", SubjectDN(cur.leaf), "not_after", cur.leaf.NotAfter)
	return m.cur
}

func equalStamps(a, b []stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].mod.Equal(b[i].mod) || a[i].size != b[i].size {
			return false
		}
	}
	return true
}

// Certificate is the broker's certificate as of now.
func (m *Material) Certificate() *x509.Certificate { return m.current().leaf }

// HasClusterCA reports whether the material can verify brokers.
func (m *Material) HasClusterCA() bool { return m.current().clusterCAs != nil }

// ClientAuth is how the broker treats client certificates.
func (m *Material) ClientAuth() ClientAuth { return m.files.ClientAuth }

func (cur *material) serverConfig(auth ClientAuth) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cur.cert}}
	switch {
	case auth == ClientAuthRequired:
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, cur.clientCAs
	case auth == ClientAuthRequested || cur.clusterCAs != nil:
		// Peers share the listener and present their certificates, so
		// one is asked for whenever there is a CA to verify it with.
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, cur.clientCAs
	}
	return cfg
}

// ServerCredentials are the credentials of the broker's listener, which
// serves clients and peers: its certificate, and the client certificates
// asked for as ClientAuth says (and always asked for, never required, of
// peers when there is a cluster CA).
func (m *Material) ServerCredentials() credentials.TransportCredentials {
	return &reloading{m: m, config: func(cur *material) *tls.Config { return cur.serverConfig(m.files.ClientAuth) }}
}

// PeerCredentials are the credentials a broker dials other brokers with: it
// presents its certificate, and accepts only a server whose certificate
// chains to the cluster CA and names a broker (BrokerURI). Host names are
// not checked: brokers are known by id, and the addresses they advertise
// may be anything they can be reached at.
func (m *Material) PeerCredentials() credentials.TransportCredentials {
	return m.peerCredentials(0)
}

// PeerCredentialsFor are PeerCredentials for dialling broker id alone: a
// server whose certificate names another broker is refused.
func (m *Material) PeerCredentialsFor(id uint64) credentials.TransportCredentials {
	return m.peerCredentials(id)
}

func (m *Material) peerCredentials(want uint64) credentials.TransportCredentials {
	return &reloading{m: m, config: func(cur *material) *tls.Config {
		return &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{*cur.cert},
			// Verified by VerifyConnection instead, against the cluster CA.
			InsecureSkipVerify: true, //nolint:gosec // verified below
			VerifyConnection: func(cs tls.ConnectionState) error {
				id, err := verifyBroker(cur.clusterCAs, cs.PeerCertificates, x509.ExtKeyUsageServerAuth)
				if err == nil && want != 0 && id != want {
					return fmt.Errorf("%w: dialled broker %d, the certificate names broker %d", ErrNotBroker, want, id)
				}
				return err
			},
		}
	}}
}

// PeerBroker is the broker a connection's client certificate names, verified
// against the cluster CA: the check a broker makes before it accepts raft
// messages or a cluster call.
func (m *Material) PeerBroker(state tls.ConnectionState) (uint64, error) {
	return verifyBroker(m.current().clusterCAs, state.PeerCertificates, x509.ExtKeyUsageClientAuth)
}

// ErrNotBroker is why a connection is not taken for a broker's.
var ErrNotBroker = errors.New("not a broker certificate of this cluster")

func verifyBroker(pool *x509.CertPool, chain []*x509.Certificate, usage x509.ExtKeyUsage) (uint64, error) {
	if pool == nil {
		return 0, fmt.Errorf("%w: this broker has no cluster CA to verify it with", ErrNotBroker)
	}
	if len(chain) == 0 {
		return 0, fmt.Errorf("%w: no certificate presented", ErrNotBroker)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNotBroker, err)
	}
	id, ok := BrokerID(chain[0])
	if !ok {
		return 0, fmt.Errorf("%w: the certificate of %q names no broker (want a URI SAN sluice://broker/<id>)", ErrNotBroker, SubjectDN(chain[0]))
	}
	return id, nil
}

// reloading is gRPC transport credentials whose TLS configuration is made
// afresh from the current material for each handshake.
type reloading struct {
	m      *Material
	config func(*material) *tls.Config
}

func (r *reloading) creds() credentials.TransportCredentials {
	return credentials.NewTLS(r.config(r.m.current()))
}

func (r *reloading) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return r.creds().ClientHandshake(ctx, authority, conn)
}

func (r *reloading) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return r.creds().ServerHandshake(conn)
}

func (r *reloading) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (r *reloading) Clone() credentials.TransportCredentials {
	c := *r
	return &c
}

// OverrideServerName is deprecated in gRPC and unused.
func (r *reloading) OverrideServerName(string) error { return nil }
