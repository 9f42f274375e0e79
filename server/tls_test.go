package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/server/servertest"
	"github.com/sluice-io/sluice/storage"
)

// testPKI is a cluster CA and the files of the certificates it issued.
type testPKI struct {
	t      *testing.T
	ca     *security.CA
	dir    string
	caFile string
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	ca, err := security.NewCA("sluice test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{t: t, ca: ca, dir: t.TempDir()}
	p.caFile = filepath.Join(p.dir, "ca.pem")
	if err := os.WriteFile(p.caFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// issue writes a certificate and key named name and returns their paths.
func (p *testPKI) issue(name string, req security.CertRequest) (certFile, keyFile string) {
	p.t.Helper()
	c, err := p.ca.Issue(req)
	if err != nil {
		p.t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	if err := c.WriteFiles(certFile, keyFile); err != nil {
		p.t.Fatal(err)
	}
	return certFile, keyFile
}

// brokerTLS is broker id's TLS configuration.
func (p *testPKI) brokerTLS(id uint64) security.TLSFiles {
	cert, key := p.issue(fmt.Sprintf("broker-%d", id), security.BrokerCert(id))
	return security.TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: p.caFile, ClientAuth: security.ClientAuthRequested}
}

// clientTLS is a client's TLS configuration: it trusts the CA and, given a
// request, presents the certificate issued for it.
func (p *testPKI) clientTLS(req *security.CertRequest) *tls.Config {
	p.t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(p.ca.Cert)
	cfg := &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if req != nil {
		certFile, keyFile := p.issue(req.Subject.CommonName, *req)
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			p.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func startTLSCluster(t *testing.T, pki *testPKI, n int) *testCluster {
	c := &testCluster{t: t, addrs: map[uint64]string{}, dirs: map[uint64]string{}, brokers: map[uint64]*server.Broker{}, done: map[uint64]chan error{},
		creds: credentials.NewTLS(pki.clientTLS(nil))}
	c.adjust = func(cfg *server.Config) { cfg.TLS = pki.brokerTLS(cfg.NodeID) }
	lis := map[uint64]net.Listener{}
	for id := uint64(1); id <= uint64(n); id++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lis[id], c.addrs[id], c.dirs[id] = l, l.Addr().String(), t.TempDir()
	}
	t.Cleanup(func() {
		for id := range c.brokers {
			c.stop(id)
		}
	})
	for id := uint64(1); id <= uint64(n); id++ {
		c.serve(id, lis[id])
	}
	for id := uint64(1); id <= uint64(n); id++ {
		c.awaitReady(id)
	}
	return c
}

// TestTLSClusterReplicatesAndForwardsOverMTLS: brokers that talk only mTLS
// elect, replicate, forward a produce to the leader and relay a fetch.
func TestTLSClusterReplicatesAndForwardsOverMTLS(t *testing.T) {
	pki := newPKI(t)
	c := startTLSCluster(t, pki, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "a replicated topic", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "secure", Partitions: 3, ReplicationFactor: 3})
		return err == nil || status.Code(err) == codes.AlreadyExists
	})
	// Each broker leads some partitions and forwards the others.
	produceN(t, c.conn(2), "secure", "r", 30)
	if got := readAll(t, c.conn(3), "secure"); len(got) != 30 {
		t.Fatalf("read %d records back over TLS, want 30", len(got))
	}
}

// TestPlaintextClientIsRefusedByATLSBroker: the client listener speaks only TLS.
func TestPlaintextClientIsRefusedByATLSBroker(t *testing.T) {
	pki := newPKI(t)
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TLS = pki.brokerTLS(1) }),
		servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil)))))
	plain := (&testCluster{t: t, addrs: map[uint64]string{1: b.Addr}}).conn(1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := sluicev1.NewAdminServiceClient(plain).DescribeCluster(ctx, &sluicev1.DescribeClusterRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("a plaintext client got %v, want UNAVAILABLE (no TLS handshake)", err)
	}
}

func TestClientAuthRequiredRefusesAClientWithoutCertificate(t *testing.T) {
	pki := newPKI(t)
	files := pki.brokerTLS(1)
	files.ClientAuth = security.ClientAuthRequired
	client := &security.CertRequest{Subject: pkix.Name{CommonName: "alice"}, Client: true}
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TLS = files }),
		servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(client)))))
	// The harness's client presents a certificate and is served.
	if _, err := b.AdminClient.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{}); err != nil {
		t.Fatalf("a client with a certificate: %v", err)
	}
	anon, err := grpc.NewClient(b.Addr, grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := sluicev1.NewAdminServiceClient(anon).ListTopics(ctx, &sluicev1.ListTopicsRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("a client without a certificate got %v, want the handshake refused (UNAVAILABLE)", err)
	}
}

// TestBrokerCertificateReloadIsUsedByNewConnections: the broker's files are
// replaced while it runs; new connections get the new certificate.
func TestBrokerCertificateReloadIsUsedByNewConnections(t *testing.T) {
	pki := newPKI(t)
	files := pki.brokerTLS(1)
	files.ReloadInterval = 10 * time.Millisecond
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TLS = files }),
		servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil)))))
	served := func() *x509.Certificate {
		conn, err := tls.Dial("tcp", b.Addr, func() *tls.Config { c := pki.clientTLS(nil); c.NextProtos = []string{"h2"}; return c }())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	old := served()
	next, err := pki.ca.Issue(security.BrokerCert(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := next.WriteFiles(files.CertFile, files.KeyFile); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new connections to get the new certificate", func() bool { return served().SerialNumber.Cmp(next.Cert.SerialNumber) == 0 })
	// The connection made before the reload still works.
	if _, err := b.AdminClient.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{}); err != nil {
		t.Fatalf("the connection made with certificate %s: %v", old.SerialNumber, err)
	}
}

// peerClient dials a broker presenting cert (nil: none) and trusting the CA.
func peerClient(t *testing.T, pki *testPKI, addr string, req *security.CertRequest) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(req))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func certFor(name string, req security.CertRequest) *security.CertRequest {
	req.Subject.CommonName = name
	return &req
}

// TestOnlyABrokerCertificateMayJoin: Join needs a certificate of the
// cluster CA that names the very broker asking; the cluster stays as it was.
func TestOnlyABrokerCertificateMayJoin(t *testing.T) {
	pki := newPKI(t)
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TLS = pki.brokerTLS(1) }),
		servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil)))))
	// A broker 2 certificate issued by another CA, by a client that trusts
	// the cluster's CA: refused in the handshake.
	strangerTLS := newPKI(t).clientTLS(certFor("b2", security.BrokerCert(2)))
	strangerTLS.RootCAs = pki.clientTLS(nil).RootCAs
	stranger, err := grpc.NewClient(b.Addr, grpc.WithTransportCredentials(credentials.NewTLS(strangerTLS)))
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	join := &internalv1.JoinRequest{NodeId: 2, Address: "127.0.0.1:1"}
	for name, c := range map[string]struct {
		conn *grpc.ClientConn
		want codes.Code
	}{
		"no certificate":                {peerClient(t, pki, b.Addr, nil), codes.Unauthenticated},
		"client certificate":            {peerClient(t, pki, b.Addr, &security.CertRequest{Subject: pkix.Name{CommonName: "sluice-broker-2"}, Client: true}), codes.PermissionDenied},
		"certificate of broker 3":       {peerClient(t, pki, b.Addr, certFor("b3", security.BrokerCert(3))), codes.PermissionDenied},
		"broker 2 signed by another CA": {stranger, codes.Unavailable},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := internalv1.NewClusterServiceClient(c.conn).Join(ctx, join)
		cancel()
		if status.Code(err) != c.want {
			t.Errorf("%s: Join = %v, want %v", name, err, c.want)
		}
	}
	cl, err := b.AdminClient.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.GetBrokers()) != 1 {
		t.Fatalf("after the refused joins the cluster has %d brokers, want 1: %v", len(cl.GetBrokers()), cl.GetBrokers())
	}
}

// TestBrokerWithItsCertificateJoinsOverMTLS is the allowed case: a new
// broker with a certificate naming it joins and follows the metadata.
func TestBrokerWithItsCertificateJoinsOverMTLS(t *testing.T) {
	pki := newPKI(t)
	first := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.TLS = pki.brokerTLS(1)
		c.TickInterval = 20 * time.Millisecond
	}), servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil)))))
	c := &testCluster{t: t, addrs: map[uint64]string{1: first.Addr}, dirs: map[uint64]string{}, brokers: map[uint64]*server.Broker{}, done: map[uint64]chan error{},
		creds: credentials.NewTLS(pki.clientTLS(nil))}
	t.Cleanup(func() {
		for id := range c.brokers {
			c.stop(id)
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addrs[2], c.dirs[2] = l.Addr().String(), t.TempDir()
	c.adjust = func(cfg *server.Config) {
		cfg.Controllers, cfg.Join, cfg.TLS = nil, first.Addr, pki.brokerTLS(2)
	}
	c.serve(2, l)
	joined := sluicev1.NewAdminServiceClient(c.conn(2))
	waitFor(t, "broker 2 to see both brokers", func() bool {
		resp, err := joined.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
		return err == nil && len(resp.GetBrokers()) == 2
	})
}

// TestRaftFromWithoutABrokerCertificateIsRefused: the raft transport of a
// TLS broker refuses a stream that is not a known broker's before it reads
// a message from it. A message it refuses never reaches the engine (the
// transport's own tests check that with a recording engine); here the
// broker's answer is checked for each kind of caller.
func TestRaftFromWithoutABrokerCertificateIsRefused(t *testing.T) {
	pki := newPKI(t)
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TLS = pki.brokerTLS(1) }),
		servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil)))))
	// A heartbeat of a much later term for the metadata group.
	hb, err := proto.Marshal(&raftpb.Message{Type: raftpb.MsgHeartbeat.Enum(), From: new(uint64(9)), To: new(uint64(1)), Term: new(uint64(1 << 40))})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		conn *grpc.ClientConn
		want codes.Code
	}{
		"no certificate":         {peerClient(t, pki, b.Addr, nil), codes.Unauthenticated},
		"client certificate":     {peerClient(t, pki, b.Addr, &security.CertRequest{Subject: pkix.Name{CommonName: "sluice-broker-9"}, Client: true}), codes.PermissionDenied},
		"broker 9 of no cluster": {peerClient(t, pki, b.Addr, certFor("b9", security.BrokerCert(9))), codes.PermissionDenied},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		stream, err := internalv1.NewRaftTransportServiceClient(c.conn).Stream(ctx)
		if err == nil {
			_ = stream.Send(&internalv1.StreamRequest{FromNode: 9, Messages: []*internalv1.GroupMessage{{Group: raftmeta.Group, Message: hb}}})
			_, err = stream.Recv()
		}
		cancel()
		if status.Code(err) != c.want || errors.Is(err, io.EOF) {
			t.Errorf("%s: raft stream ended with %v, want %v", name, err, c.want)
		}
	}
}

// TestBrokerOfAClusterNeedsACertificateNamingIt: a cluster broker whose
// certificate names no broker, or another one, does not start.
func TestBrokerOfAClusterNeedsACertificateNamingIt(t *testing.T) {
	pki := newPKI(t)
	plainCert, plainKey := pki.issue("plain", security.CertRequest{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}, Server: true})
	own := pki.brokerTLS(2)
	for name, files := range map[string]security.TLSFiles{
		"names no broker": {CertFile: plainCert, KeyFile: plainKey, ClientCAFile: pki.caFile},
		"names broker 3":  pki.brokerTLS(3),
		"has no CA file":  {CertFile: own.CertFile, KeyFile: own.KeyFile},
	} {
		st := storage.DefaultOptions("")
		st.InMemory = true
		b, err := server.New(server.Config{NodeID: 2, Storage: st, Join: "127.0.0.1:1", TLS: files, Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			b.Shutdown()
			t.Errorf("%s: the broker started", name)
		}
	}
}

// TestBrokerWithAForeignCertificateCannotJoin: a broker whose certificate
// names it but was issued by another CA keeps asking to join, and the
// cluster never takes it in.
func TestBrokerWithAForeignCertificateCannotJoin(t *testing.T) {
	pki := newPKI(t)
	first := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.TLS = pki.brokerTLS(1) }),
		servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(pki.clientTLS(nil)))))
	foreign := newPKI(t).brokerTLS(2)
	foreign.ClusterCAFile = pki.caFile // it can verify the cluster; the cluster cannot verify it
	var logs syncLog
	st := storage.DefaultOptions("")
	st.InMemory = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := server.New(server.Config{NodeID: 2, Storage: st, Join: first.Addr, TLS: foreign, TickInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(t.Context(), l) }()
	defer func() { b.Shutdown(); <-done }()
	// The cluster's broker refuses the handshake: the joiner hears
	// "unknown certificate authority" and asks again.
	waitFor(t, "two refused join attempts", func() bool { return strings.Count(logs.String(), "unknown certificate authority") >= 2 })
	cl, err := first.AdminClient.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.GetBrokers()) != 1 {
		t.Fatalf("a broker with a foreign certificate joined: %v", cl.GetBrokers())
	}
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
