package main

import (
	"crypto/x509/pkix"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sluice-io/sluice/server/security"
)

// sluice dev --tls keeps a local CA and certificates in --data-dir/tls: one
// CA signs every broker's certificate (naming it, sluice://broker/<id>, and
// serving localhost and 127.0.0.1) and one client certificate (CN=dev-client).
// They are made once and reused while the files are there.

const devTLSDir = "tls"

// devTLS names the files of a dev cluster's certificates.
type devTLS struct{ dir string }

func (d devTLS) ca() string { return filepath.Join(d.dir, "ca.pem") }
func (d devTLS) brokerCert(k int) string {
	return filepath.Join(d.dir, fmt.Sprintf("broker-%d.pem", k))
}
func (d devTLS) brokerKey(k int) string {
	return filepath.Join(d.dir, fmt.Sprintf("broker-%d-key.pem", k))
}
func (d devTLS) clientCert() string    { return filepath.Join(d.dir, "client.pem") }
func (d devTLS) clientKey() string     { return filepath.Join(d.dir, "client-key.pem") }
func (o *devOptions) tlsFiles() devTLS { return devTLS{dir: filepath.Join(o.dataDir, devTLSDir)} }
func fileExists(path string) bool      { _, err := os.Stat(path); return err == nil }

// missing lists the files a cluster of n brokers needs that are not there.
func (d devTLS) missing(n int) []string {
	var out []string
	paths := []string{d.ca(), d.clientCert(), d.clientKey()}
	for k := 1; k <= n; k++ {
		paths = append(paths, d.brokerCert(k), d.brokerKey(k))
	}
	for _, p := range paths {
		if !fileExists(p) {
			out = append(out, p)
		}
	}
	return out
}

// ensureDevTLS makes the CA and certificates unless they are all there. The
// CA's key is not kept: a new broker count makes all of them again.
func ensureDevTLS(o *devOptions) error {
	d := o.tlsFiles()
	if len(d.missing(o.brokers)) == 0 {
		return nil
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", d.dir, err)
	}
	ca, err := security.NewCA("sluice dev CA", 0)
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.ca(), ca.CertPEM, 0o644); err != nil {
		return fmt.Errorf("write CA certificate: %w", err)
	}
	for k := 1; k <= o.brokers; k++ {
		c, err := ca.Issue(security.BrokerCert(uint64(k)))
		if err != nil {
			return err
		}
		if err := c.WriteFiles(d.brokerCert(k), d.brokerKey(k)); err != nil {
			return err
		}
	}
	c, err := ca.Issue(security.CertRequest{Subject: pkix.Name{CommonName: "dev-client", Organization: []string{"sluice"}}, Client: true})
	if err != nil {
		return err
	}
	if err := c.WriteFiles(d.clientCert(), d.clientKey()); err != nil {
		return err
	}
	return nil
}

// tlsServeArgs are broker k's TLS flags.
func (o *devOptions) tlsServeArgs(k int) []string {
	d := o.tlsFiles()
	return []string{"--tls-cert", d.brokerCert(k), "--tls-key", d.brokerKey(k), "--tls-client-ca", d.ca(), "--tls-client-auth", "requested"}
}

// clientTLSFlags are the client flags that reach a dev cluster with TLS.
func (o *devOptions) clientTLSFlags() string {
	d := o.tlsFiles()
	return fmt.Sprintf("--tls-ca %s --tls-cert %s --tls-key %s", d.ca(), d.clientCert(), d.clientKey())
}

// printDevTLS shows how to connect to a dev cluster with TLS.
func printDevTLS(out io.Writer, o *devOptions) {
	d := o.tlsFiles()
	fmt.Fprintf(out, "\nTLS is on (certificates in %s). Every client command takes:\n"+
		"  %s\n"+
		"or the environment:\n"+
		"  export %s=%s %s=%s %s=%s\n"+
		"grpcurl:\n"+
		"  grpcurl -cacert %s -cert %s -key %s %s list\n"+
		"The commands below need the flags or the environment.\n",
		d.dir, o.clientTLSFlags(),
		tlsCAEnv, d.ca(), tlsCertEnv, d.clientCert(), tlsKeyEnv, d.clientKey(),
		d.ca(), d.clientCert(), d.clientKey(), o.addr(1))
}
