package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/sluice-io/sluice/server/security"
)

// TestTLSPrincipalMapsClientCertificatesUnlessClientAuthIsNone: with client
// auth requested a verified client certificate is the call's principal,
// through the mapping rules; with none, certificates name no one.
func TestTLSPrincipalMapsClientCertificatesUnlessClientAuthIsNone(t *testing.T) {
	ca, err := security.NewCA("test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	broker, err := ca.Issue(security.BrokerCert(1))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, caFile := filepath.Join(dir, "b.pem"), filepath.Join(dir, "b-key.pem"), filepath.Join(dir, "ca.pem")
	if err := broker.WriteFiles(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	alice, err := ca.Issue(security.CertRequest{Subject: pkix.Name{CommonName: "Alice", OrganizationalUnit: []string{"apps"}}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := peer.NewContext(context.Background(), &peer.Peer{AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{
		PeerCertificates: []*x509.Certificate{alice.Cert}, VerifiedChains: [][]*x509.Certificate{{alice.Cert, ca.Cert}},
	}}})
	rules, err := security.ParseRules("RULE:^CN=([^,]+),OU=apps$/$1/L")
	if err != nil {
		t.Fatal(err)
	}
	for auth, want := range map[security.ClientAuth]string{security.ClientAuthRequested: "User:alice", security.ClientAuthNone: ""} {
		m, err := security.LoadMaterial(security.TLSFiles{CertFile: certFile, KeyFile: keyFile, ClientCAFile: caFile, ClientAuth: auth}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := &Broker{cfg: Config{PrincipalMappingRules: rules}, tls: m}
		p, ok := b.tlsPrincipal(ctx)
		if got := map[bool]string{true: p.String(), false: ""}[ok]; got != want {
			t.Errorf("client auth %s: principal %q, want %q", auth, got, want)
		}
	}
	if _, ok := (&Broker{}).tlsPrincipal(ctx); ok {
		t.Error("a broker without TLS took a certificate for a principal")
	}
}
