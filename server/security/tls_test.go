package security

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustCA(t *testing.T, cn string) *CA {
	t.Helper()
	ca, err := NewCA(cn, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustIssue(t *testing.T, ca *CA, req CertRequest) *Issued {
	t.Helper()
	c, err := ca.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSubjectDNIsRFC2253MostSpecificFirst(t *testing.T) {
	ca := mustCA(t, "test CA")
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	c := mustIssue(t, ca, CertRequest{Subject: pkix.Name{
		Country: []string{"US"}, Organization: []string{"Acme, Inc."}, OrganizationalUnit: []string{"eng"},
		CommonName: " alice#1",
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: email, Value: "a@x"}},
	}, Client: true})
	// pkix writes C, O, OU, CN, then the extra names: the DN reads them back
	// to front, the email address as its OID and hex DER (pkix wrote a UTF8String).
	got := SubjectDN(c.Cert)
	want := `1.2.840.113549.1.9.1=#0c03614078,CN=\ alice#1,OU=eng,O=Acme\, Inc.,C=US`
	if got != want {
		t.Fatalf("SubjectDN = %q\nwant      %q", got, want)
	}
}

func TestCertPrincipalMapsOnlyVerifiedCertificates(t *testing.T) {
	ca := mustCA(t, "test CA")
	c := mustIssue(t, ca, CertRequest{Subject: pkix.Name{CommonName: "Alice", OrganizationalUnit: []string{"clients"}}, Client: true})
	rules, err := ParseRules("RULE:^CN=([^,]+),OU=clients$/$1/L")
	if err != nil {
		t.Fatal(err)
	}
	verified := tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.Cert}, VerifiedChains: [][]*x509.Certificate{{c.Cert, ca.Cert}}}
	if p, ok := CertPrincipal(rules, verified); !ok || p != User("alice") {
		t.Fatalf("CertPrincipal = %v, %v; want User:alice", p, ok)
	}
	unverified := tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.Cert}}
	if p, ok := CertPrincipal(rules, unverified); ok {
		t.Fatalf("an unverified certificate gave principal %v", p)
	}
	other := mustIssue(t, ca, CertRequest{Subject: pkix.Name{CommonName: "Bob", OrganizationalUnit: []string{"staff"}}, Client: true})
	if p, ok := CertPrincipal(rules, tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{other.Cert}}}); ok {
		t.Fatalf("a subject no rule matches gave principal %v", p)
	}
}

func TestBrokerIDComesFromTheBrokerURI(t *testing.T) {
	ca := mustCA(t, "test CA")
	if id, ok := BrokerID(mustIssue(t, ca, BrokerCert(7)).Cert); !ok || id != 7 {
		t.Fatalf("BrokerID = %d, %v; want 7", id, ok)
	}
	if _, ok := BrokerID(mustIssue(t, ca, CertRequest{Subject: pkix.Name{CommonName: "sluice-broker-7"}}).Cert); ok {
		t.Fatal("a certificate without the URI SAN named a broker")
	}
	two := BrokerCert(1)
	two.URIs = append(two.URIs, BrokerURI(2))
	if _, ok := BrokerID(mustIssue(t, ca, two).Cert); ok {
		t.Fatal("a certificate naming two brokers was taken for one")
	}
}

// files writes a broker's TLS files to a directory.
type files struct {
	cert, key, ca string
}

func writeFiles(t *testing.T, ca *CA, leaf *Issued) files {
	t.Helper()
	dir := t.TempDir()
	f := files{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem"), ca: filepath.Join(dir, "ca.pem")}
	if err := leaf.WriteFiles(f.cert, f.key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.ca, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// serveHandshakes accepts connections and completes the server side of the
// handshake with creds, until the test ends.
func serveHandshakes(t *testing.T, m *Material) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	creds := m.ServerCredentials()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				if tc, _, err := creds.ServerHandshake(c); err == nil {
					_, _ = tc.Read(make([]byte, 1)) // until the client closes
				}
				_ = c.Close()
			}()
		}
	}()
	return lis.Addr().String()
}

// servedSerial connects and returns the serial of the certificate served.
func servedSerial(t *testing.T, addr string, roots *x509.CertPool) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func TestReloadedCertificateIsUsedByNewConnections(t *testing.T) {
	ca := mustCA(t, "cluster CA")
	first := mustIssue(t, ca, BrokerCert(1))
	f := writeFiles(t, ca, first)
	var logs syncBuffer
	m, err := LoadMaterial(TLSFiles{CertFile: f.cert, KeyFile: f.key, ClientCAFile: f.ca, ReloadInterval: 10 * time.Millisecond},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveHandshakes(t, m)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if got := servedSerial(t, addr, roots); got != first.Cert.SerialNumber.String() {
		t.Fatalf("served serial %s, want the first certificate's %s", got, first.Cert.SerialNumber)
	}
	// A certificate file that does not match the key: the old one stays.
	second := mustIssue(t, ca, BrokerCert(1))
	if err := os.WriteFile(f.cert, second.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "do not load") {
		if got := servedSerial(t, addr, roots); got != first.Cert.SerialNumber.String() {
			t.Fatalf("with a mismatched key the broker served %s, want the old certificate %s", got, first.Cert.SerialNumber)
		}
		if time.Now().After(deadline) {
			t.Fatal("the mismatched certificate was not looked at within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := second.WriteFiles(f.cert, f.key); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for servedSerial(t, addr, roots) != second.Cert.SerialNumber.String() {
		if time.Now().After(deadline) {
			t.Fatal("new connections still get the old certificate 5 s after the files changed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPeerBrokerAcceptsOnlyClusterBrokerCertificates(t *testing.T) {
	cluster := mustCA(t, "cluster CA")
	f := writeFiles(t, cluster, mustIssue(t, cluster, BrokerCert(1)))
	m, err := LoadMaterial(TLSFiles{CertFile: f.cert, KeyFile: f.key, ClusterCAFile: f.ca}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger := mustCA(t, "some other CA")
	for name, c := range map[string]struct {
		cert   *x509.Certificate
		wantID uint64
	}{
		"broker of the cluster":         {mustIssue(t, cluster, BrokerCert(3)).Cert, 3},
		"client of the cluster CA":      {mustIssue(t, cluster, CertRequest{Subject: pkix.Name{CommonName: "sluice-broker-3"}, Client: true}).Cert, 0},
		"broker URI from another CA":    {mustIssue(t, stranger, BrokerCert(3)).Cert, 0},
		"broker certificate not client": {mustIssue(t, cluster, CertRequest{Subject: pkix.Name{CommonName: "b"}, URIs: BrokerCert(3).URIs, Server: true}).Cert, 0},
	} {
		id, err := m.PeerBroker(tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.cert}})
		if c.wantID != 0 && (err != nil || id != c.wantID) {
			t.Errorf("%s: PeerBroker = %d, %v; want %d", name, id, err, c.wantID)
		}
		if c.wantID == 0 && !errors.Is(err, ErrNotBroker) {
			t.Errorf("%s: PeerBroker = %d, %v; want ErrNotBroker", name, id, err)
		}
	}
}

func TestPeerCredentialsRefuseAServerThatIsNoBroker(t *testing.T) {
	cluster := mustCA(t, "cluster CA")
	self := writeFiles(t, cluster, mustIssue(t, cluster, BrokerCert(1)))
	me, err := LoadMaterial(TLSFiles{CertFile: self.cert, KeyFile: self.key, ClusterCAFile: self.ca}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A server with a certificate of the cluster CA that names no broker.
	plain := mustIssue(t, cluster, CertRequest{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}, Server: true})
	pf := writeFiles(t, cluster, plain)
	impostor, err := LoadMaterial(TLSFiles{CertFile: pf.cert, KeyFile: pf.key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	peerFiles := writeFiles(t, cluster, mustIssue(t, cluster, BrokerCert(2)))
	broker2, err := LoadMaterial(TLSFiles{CertFile: peerFiles.cert, KeyFile: peerFiles.key, ClusterCAFile: peerFiles.ca}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(addr string) error {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _, err = me.PeerCredentials().ClientHandshake(ctx, addr, conn)
		return err
	}
	if err := dial(serveHandshakes(t, impostor)); err == nil {
		t.Fatal("a broker completed a handshake with a server whose certificate names no broker")
	}
	if err := dial(serveHandshakes(t, broker2)); err != nil {
		t.Fatalf("handshake with broker 2: %v", err)
	}
	// Dialling broker 3 by id, a server that is broker 2 is refused.
	addr := serveHandshakes(t, broker2)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := me.PeerCredentialsFor(3).ClientHandshake(ctx, addr, conn); err == nil {
		t.Fatal("dialling broker 3, a broker completed a handshake with broker 2")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
