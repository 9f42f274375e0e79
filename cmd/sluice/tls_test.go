package main

import (
	"bytes"
	"crypto/x509/pkix"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/server/servertest"
)

func TestWarnInsecureOnlyOffLoopback(t *testing.T) {
	for _, c := range []struct {
		listen       string
		tls, auth    bool
		wantWarnings []string
	}{
		{"127.0.0.1:7070", false, false, nil},
		{"[::1]:7070", false, false, nil},
		{"localhost:7070", false, false, nil},
		{"0.0.0.0:7070", false, false, []string{"without TLS", "without authentication"}},
		{":7070", true, false, []string{"without authentication"}},
		{"10.1.2.3:7070", false, true, []string{"without TLS"}},
		{"broker-1.internal:7070", true, true, nil},
	} {
		var buf bytes.Buffer
		warnInsecure(slog.New(slog.NewTextHandler(&buf, nil)), c.listen, c.tls, c.auth)
		out := buf.String()
		if got := strings.Count(out, "level=WARN"); got != len(c.wantWarnings) {
			t.Errorf("%s tls=%v auth=%v: %d warnings, want %d:\n%s", c.listen, c.tls, c.auth, got, len(c.wantWarnings), out)
		}
		for _, w := range c.wantWarnings {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no warning %q in:\n%s", c.listen, w, out)
			}
		}
	}
}

func TestServeTLSFlagsAreCheckedTogether(t *testing.T) {
	for _, c := range []struct {
		o    tlsServeOptions
		want string
	}{
		{tlsServeOptions{clientCA: "ca.pem", rules: "DEFAULT"}, "need --tls-cert and --tls-key"},
		{tlsServeOptions{cert: "c.pem", rules: "DEFAULT"}, "both --tls-cert and --tls-key"},
		{tlsServeOptions{cert: "c.pem", key: "k.pem", clientAuth: "required", rules: "DEFAULT"}, "--tls-client-auth required needs --tls-client-ca"},
		{tlsServeOptions{cert: "c.pem", key: "k.pem", clientAuth: "sometimes", rules: "DEFAULT"}, "want none, requested or required"},
		{tlsServeOptions{rules: "RULE:^CN=(.*)$/$1"}, "--tls-principal-mapping-rules"},
	} {
		if _, _, err := c.o.config(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error containing %q", c.o, err, c.want)
		}
	}
	files, _, err := (&tlsServeOptions{cert: "c.pem", key: "k.pem", clientCA: "ca.pem", rules: "DEFAULT"}).config()
	if err != nil || files.ClientAuth != security.ClientAuthRequested {
		t.Errorf("with a client CA and no --tls-client-auth: %+v, %v; want client auth requested", files, err)
	}
	res := runCLI(t, nil, "serve", "--tls-ca", "ca.pem")
	if res.code == 0 || !strings.Contains(res.stderr, "--tls-ca is a client flag") {
		t.Errorf("serve --tls-ca = %+v, want it refused as a client flag", res)
	}
}

// pkiFiles writes a CA, broker 1's certificate and a client certificate.
type pkiFiles struct{ ca, brokerCert, brokerKey, clientCert, clientKey string }

func writePKI(t *testing.T) pkiFiles {
	t.Helper()
	ca, err := security.NewCA("cli test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := pkiFiles{ca: filepath.Join(dir, "ca.pem"), brokerCert: filepath.Join(dir, "b.pem"), brokerKey: filepath.Join(dir, "b-key.pem"),
		clientCert: filepath.Join(dir, "c.pem"), clientKey: filepath.Join(dir, "c-key.pem")}
	if err := os.WriteFile(f.ca, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ca.Issue(security.BrokerCert(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFiles(f.brokerCert, f.brokerKey); err != nil {
		t.Fatal(err)
	}
	c, err := ca.Issue(security.CertRequest{Subject: pkix.Name{CommonName: "cli"}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFiles(f.clientCert, f.clientKey); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestClientCommandsOverMutualTLS: the admin commands (a gRPC connection)
// and produce and group consume (the Go SDK) reach a broker that requires a
// client certificate, with the flags or the environment; without the
// certificate they are refused.
func TestClientCommandsOverMutualTLS(t *testing.T) {
	f := writePKI(t)
	harness, err := (&clientTLSOptions{ca: f.ca, cert: f.clientCert, key: f.clientKey}).creds()
	if err != nil {
		t.Fatal(err)
	}
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.TLS = security.TLSFiles{CertFile: f.brokerCert, KeyFile: f.brokerKey, ClientCAFile: f.ca, ClientAuth: security.ClientAuthRequired}
	}), servertest.WithDialOptions(grpc.WithTransportCredentials(harness)))
	tlsFlags := []string{"--broker", b.Addr, "--tls-ca", f.ca, "--tls-cert", f.clientCert, "--tls-key", f.clientKey}
	cli := func(stdin string, args ...string) cliResult {
		return runCLI(t, strings.NewReader(stdin), append(tlsFlags, args...)...)
	}
	if res := cli("", "topic", "create", "orders", "--partitions", "1"); res.code != 0 {
		t.Fatalf("topic create over mTLS: %+v", res)
	}
	if res := cli("a\nb\n", "produce", "orders"); res.code != 0 {
		t.Fatalf("produce over mTLS: %+v", res)
	}
	if res := cli("", "consume", "orders", "--group", "g", "--reset", "earliest", "--max", "2"); res.code != 0 || res.stdout != "a\nb\n" {
		t.Fatalf("group consume over mTLS: %+v", res)
	}
	if res := runCLI(t, nil, "--broker", b.Addr, "--tls-ca", f.ca, "topic", "list"); res.code == 0 {
		t.Fatalf("topic list without a client certificate succeeded: %+v", res)
	}
	if res := runCLI(t, nil, "--broker", b.Addr, "topic", "list"); res.code == 0 || !strings.Contains(res.stderr, "does the broker serve TLS?") {
		t.Fatalf("a plaintext topic list: %+v; want it refused with a hint at TLS", res)
	}
	t.Setenv(tlsCAEnv, f.ca)
	t.Setenv(tlsCertEnv, f.clientCert)
	t.Setenv(tlsKeyEnv, f.clientKey)
	if res := runCLI(t, nil, "--broker", b.Addr, "consume", "orders", "--from", "earliest", "--max", "2"); res.code != 0 || res.stdout != "a\nb\n" {
		t.Fatalf("consume with the TLS environment: %+v", res)
	}
}

// TestDevTLSClusterServesOnlyTLS runs `sluice dev --tls`: the brokers
// elect and replicate over mTLS, the printed client flags work, and a
// plaintext client is refused.
func TestDevTLSClusterServesOnlyTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	base := freeBasePort(t, 2)
	dir := t.TempDir()
	d := startDev(t, "--tls", "--brokers", "2", "--base-port", strconv.Itoa(base), "--data-dir", dir)
	pids := d.waitServing(t)
	o := &devOptions{brokers: 2, basePort: base, dataDir: dir}
	if !strings.Contains(d.stdout.String(), o.clientTLSFlags()) || !strings.Contains(d.stdout.String(), "grpcurl -cacert "+o.tlsFiles().ca()) {
		t.Errorf("sluice dev --tls does not print the client flags and grpcurl line:\n%s", d.stdout)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))
	cli := &brokerProc{t: t, addr: addr, logs: d.stderr}
	flags := strings.Fields(o.clientTLSFlags())
	cli.mustCLI("", append(flags, "topic", "create", "orders", "--partitions", "2", "--replication-factor", "2")...)
	cli.mustCLI("one\ntwo\n", append(flags, "produce", "orders", "--partition", "1")...)
	if got := cli.mustCLI("", append(flags, "consume", "orders", "--partition", "1", "--max", "2")...); got != "one\ntwo\n" {
		t.Errorf("consume over TLS = %q", got)
	}
	if _, _, err := cli.cli("", "topic", "list"); err == nil {
		t.Error("a plaintext client was served by sluice dev --tls")
	}
	if err := d.terminate(t); err != nil {
		t.Fatalf("sluice dev after SIGTERM: %v\nstderr:\n%s", err, d.stderr)
	}
	assertGone(t, pids)
}
