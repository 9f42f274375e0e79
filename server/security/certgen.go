package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"
)

// A small certificate authority for `sluice dev --tls` and for tests: ECDSA
// P-256 keys, certificates made with crypto/x509. Not a substitute for a
// real CA's issuance and revocation.

// CA is a certificate authority that can issue certificates.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// CertPEM is Cert in PEM form.
	CertPEM []byte
}

// Issued is a certificate and its key in PEM form.
type Issued struct {
	Cert            *x509.Certificate
	CertPEM, KeyPEM []byte
}

// CertRequest says what a certificate names and what it is for.
type CertRequest struct {
	// Subject is the certificate's subject; CommonName at least.
	Subject pkix.Name
	// DNSNames and IPs are the host names and addresses it serves as.
	DNSNames []string
	IPs      []net.IP
	// URIs are URI SANs; a broker's carries BrokerURI(id).
	URIs []*url.URL
	// Server and Client set the extended key usages.
	Server, Client bool
	// Validity is how long it is valid from now; 0 means a year.
	Validity time.Duration
}

// NewCA makes a self-signed CA named cn, valid for validity (0: ten years).
func NewCA(cn string, validity time.Duration) (*CA, error) {
	if validity <= 0 {
		validity = 10 * 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Issue makes a certificate signed by the CA.
func (ca *CA) Issue(req CertRequest) (*Issued, error) {
	if req.Validity <= 0 {
		req.Validity = 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      req.Subject,
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(req.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     req.DNSNames,
		IPAddresses:  req.IPs,
		URIs:         req.URIs,
	}
	if req.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if req.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("create certificate for %s: %w", req.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Issued{
		Cert:    cert,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// BrokerCert is the request for broker id's certificate: it serves as and
// dials as the broker, on localhost and the given hosts.
func BrokerCert(id uint64, hosts ...string) CertRequest {
	req := CertRequest{
		Subject: pkix.Name{CommonName: fmt.Sprintf("sluice-broker-%d", id), Organization: []string{"sluice"}},
		URIs:    []*url.URL{BrokerURI(id)},
		Server:  true, Client: true,
	}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, hosts...) {
		if ip := net.ParseIP(h); ip != nil {
			req.IPs = append(req.IPs, ip)
		} else {
			req.DNSNames = append(req.DNSNames, h)
		}
	}
	return req
}

// WriteFiles writes the certificate and key to certPath and keyPath, the
// key readable by its owner alone.
func (i *Issued) WriteFiles(certPath, keyPath string) error {
	if err := os.WriteFile(certPath, i.CertPEM, 0o644); err != nil {
		return fmt.Errorf("write certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, i.KeyPEM, 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // crypto/rand does not fail on supported platforms
	return n
}
