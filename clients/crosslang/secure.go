package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluice "github.com/sluice-io/sluice/clients/go"
	"github.com/sluice-io/sluice/server/security"
)

// The -secure run: the broker serves TLS, requires a client certificate
// (--tls-client-auth required) and SCRAM authentication (--authentication
// scram, the first user made with --bootstrap-user); each SDK dials it with its
// own TLS options and authenticates as a user of its own, made with `sluice
// user create` (the environment SLUICE_TLS_CA, SLUICE_TLS_CERT, SLUICE_TLS_KEY,
// SLUICE_USER, SLUICE_PASSWORD, SLUICE_SCRAM_MECHANISM of produce.py,
// consume.mjs and CrossConsume.java).
type secureRun struct {
	ca, cert, key         string // what clients dial with, PEM files
	brokerCert, brokerKey string
	tlsConfig             *tls.Config
}

// adminUser is the bootstrap user: it creates the others and the topic.
var adminUser = scramUser{"crosslang-admin", "crosslang-admin-secret", sluice.ScramSHA256}

// scramUser is one SDK's user; Python and Java use SCRAM-SHA-512.
type scramUser struct {
	name, password string
	mechanism      sluice.Mechanism
}

var sdkUsers = map[string]scramUser{
	"python":     {"py-producer", "py-producer-secret", sluice.ScramSHA512},
	"typescript": {"ts-reader", "ts-reader-secret", sluice.ScramSHA256},
	"java":       {"java-reader", "java-reader-secret", sluice.ScramSHA512},
	"go":         {"go-reader", "go-reader-secret", sluice.ScramSHA256},
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
	return []string{"--tls-cert", s.brokerCert, "--tls-key", s.brokerKey, "--tls-client-ca", s.ca, "--tls-client-auth", "required",
		"--authentication", "scram", "--bootstrap-user", adminUser.name}
}

// serveEnv is the broker's environment: the bootstrap user's password.
func (s *secureRun) serveEnv() []string {
	return []string{"SLUICE_BOOTSTRAP_PASSWORD=" + adminUser.password}
}

// createUsers makes every SDK's user with `sluice user create`, as the bootstrap user.
func (s *secureRun) createUsers(ctx context.Context, bin, addr string) error {
	for _, u := range sdkUsers {
		err := runCmdInput(ctx, u.password+"\n",
			[]string{"SLUICE_TLS_CA=" + s.ca, "SLUICE_TLS_CERT=" + s.cert, "SLUICE_TLS_KEY=" + s.key,
				"SLUICE_USER=" + adminUser.name, "SLUICE_PASSWORD=" + adminUser.password},
			bin, "--broker", addr, "user", "create", u.name, "--password-stdin", "--mechanism", string(u.mechanism))
		if err != nil {
			return err
		}
	}
	return nil
}

// sdkEnv is the environment of an SDK's process.
func (s *secureRun) sdkEnv(sdk string) []string {
	u := sdkUsers[sdk]
	return []string{"SLUICE_TLS_CA=" + s.ca, "SLUICE_TLS_CERT=" + s.cert, "SLUICE_TLS_KEY=" + s.key,
		"SLUICE_USER=" + u.name, "SLUICE_PASSWORD=" + u.password, "SLUICE_SCRAM_MECHANISM=" + string(u.mechanism)}
}

// goOptions are the Go SDK's options as user.
func (s *secureRun) goOptions(u scramUser) []sluice.Option {
	return []sluice.Option{sluice.WithTLS(s.tlsConfig.Clone()), sluice.WithSCRAM(u.name, u.password, u.mechanism)}
}

// checkRefusals: over TLS, a call without credentials and one with a wrong
// password fail UNAUTHENTICATED; a client without a certificate gets no call through.
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
	err := try(sluice.WithTLS(s.tlsConfig.Clone()))
	v.check(status.Code(err) == codes.Unauthenticated, "secure: a call without credentials: %v, want UNAUTHENTICATED", err)
	err = try(sluice.WithTLS(s.tlsConfig.Clone()), sluice.WithSCRAM(adminUser.name, "wrong-password", adminUser.mechanism))
	v.check(status.Code(err) == codes.Unauthenticated, "secure: a wrong password: %v, want UNAUTHENTICATED", err)
	noCert := s.tlsConfig.Clone()
	noCert.Certificates = nil
	err = try(append([]sluice.Option{sluice.WithTLS(noCert)}, s.goOptions(adminUser)[1:]...)...)
	v.check(err != nil, "secure: a client without a certificate listed the topics")
	step("without a client certificate: %v", err)
}

func sdkUserNames() []string {
	var out []string
	for _, sdk := range []string{"python", "typescript", "java", "go"} {
		out = append(out, sdkUsers[sdk].name)
	}
	return out
}
