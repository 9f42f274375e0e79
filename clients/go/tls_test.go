package sluice_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	sluice "github.com/sluice-io/sluice/clients/go"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestWithTLSReachesABrokerThatRequiresClientCertificates: a client made
// WithTLS (a CA to trust, a client certificate) creates, produces and
// consumes on a broker that requires client certificates; one without the
// certificate is refused.
func TestWithTLSReachesABrokerThatRequiresClientCertificates(t *testing.T) {
	ca, err := security.NewCA("sdk test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "b.pem"), filepath.Join(dir, "b-key.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ca.Issue(security.BrokerCert(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFiles(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	c, err := ca.Issue(security.CertRequest{Subject: pkix.Name{CommonName: "sdk"}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	withCert := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}}
	broker := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.TLS = security.TLSFiles{CertFile: certFile, KeyFile: keyFile, ClientCAFile: caFile, ClientAuth: security.ClientAuthRequired}
	}), servertest.WithDialOptions(grpc.WithTransportCredentials(credentials.NewTLS(withCert))))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := sluice.NewClient([]string{broker.Addr}, sluice.WithTLS(withCert))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := sluice.NewAdmin(client).CreateTopic(ctx, sluice.TopicSpec{Name: "secure", Partitions: 1}); err != nil {
		t.Fatalf("create topic over mTLS: %v", err)
	}
	producer, err := sluice.NewProducer(client, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := producer.ProduceSync(ctx, &sluice.Record{Topic: "secure", Value: []byte("sealed")}); err != nil {
		t.Fatalf("produce over mTLS: %v", err)
	}
	producer.Close()
	consumer, err := sluice.NewConsumer(client, sluice.ConsumerConfig{Topic: "secure"})
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	rec, err := consumer.Next(ctx)
	if err != nil || string(rec.Value) != "sealed" {
		t.Fatalf("consume over mTLS: %v, %v", rec, err)
	}
	if _, err := consumer.Next(ctx); err != io.EOF {
		t.Fatalf("after the one record: %v, want io.EOF", err)
	}

	anon, err := sluice.NewClient([]string{broker.Addr}, sluice.WithTLS(&tls.Config{RootCAs: roots}), sluice.WithRequestTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if _, err := sluice.NewAdmin(anon).ListTopics(ctx); err == nil {
		t.Fatal("a client without a certificate listed the topics of a broker that requires one")
	}
}
