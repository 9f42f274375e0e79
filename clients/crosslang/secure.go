package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
	"github.com/sluice-io/sluice/server/security"
)

// The -secure run: the broker serves TLS and requires a client certificate
// (--tls-client-auth required); each SDK dials it with its own TLS options
// (the environment SLUICE_TLS_CA, SLUICE_TLS_CERT, SLUICE_TLS_KEY of
// produce.py, consume.mjs and CrossConsume.java).
type secureRun struct {
	ca, cert, key         string // what clients dial with, PEM files
	brokerCert, brokerKey string
	tlsConfig             *tls.Config
}

// newSecureRun makes a CA, broker 1's certificate (sluice://broker/1,
// localhost, 127.0.0.1) and a client certificate (CN=crosslang) in dir.
func newSecureRun(dir string) (*secureRun, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := security.NewCA("crosslang CA", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	s := &secureRun{
		ca:   filepath.Join(dir, "ca.pem"),
		cert: filepath.Join(dir, "client.pem"), key: filepath.Join(dir, "client-key.pem"),
		brokerCert: filepath.Join(dir, "broker.pem"), brokerKey: filepath.Join(dir, "broker-key.pem"),
	}
	if err := os.WriteFile(s.ca, ca.CertPEM, 0o644); err != nil {
		return nil, err
	}
	broker, err := ca.Issue(security.BrokerCert(1))
	if err != nil {
		return nil, err
	}
	if err := broker.WriteFiles(s.brokerCert, s.brokerKey); err != nil {
		return nil, err
	}
	client, err := ca.Issue(security.CertRequest{Subject: pkix.Name{CommonName: "crosslang"}, Client: true})
	if err != nil {
		return nil, err
	}
	if err := client.WriteFiles(s.cert, s.key); err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(client.CertPEM, client.KeyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	s.tlsConfig = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	return s, nil
}

// serveArgs are the broker's flags beyond --data-dir and --listen.
func (s *secureRun) serveArgs() []string {
	return []string{"--tls-cert", s.brokerCert, "--tls-key", s.brokerKey, "--tls-client-ca", s.ca, "--tls-client-auth", "required"}
}

// sdkEnv is the environment of an SDK's process.
func (s *secureRun) sdkEnv(string) []string {
	return []string{"SLUICE_TLS_CA=" + s.ca, "SLUICE_TLS_CERT=" + s.cert, "SLUICE_TLS_KEY=" + s.key}
}

// goOptions are the Go SDK's options.
func (s *secureRun) goOptions() []sluice.Option {
	return []sluice.Option{sluice.WithTLS(s.tlsConfig.Clone())}
}

// checkRefusals: a client without a certificate does not get a call through.
func (s *secureRun) checkRefusals(ctx context.Context, v *verifier, addr string) {
	try := func(opts ...sluice.Option) error {
		c, err := sluice.NewClient([]string{addr}, opts...)
		if err != nil {
			return err
		}
		defer c.Close()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err = sluice.NewAdmin(c).ListTopics(cctx)
		return err
	}
	noCert := s.tlsConfig.Clone()
	noCert.Certificates = nil
	err := try(sluice.WithTLS(noCert))
	v.check(err != nil, "secure: a client without a certificate listed the topics")
	step("without a client certificate: %v", err)
}
