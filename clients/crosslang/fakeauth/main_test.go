package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

type vector struct {
	Source      string `json:"source"`
	Mechanism   string `json:"mechanism"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	ClientNonce string `json:"client_nonce"`
	ClientFirst string `json:"client_first"`
	ServerFirst string `json:"server_first"`
	ClientFinal string `json:"client_final"`
	ServerFinal string `json:"server_final"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "scram_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) < 3 {
		t.Fatalf("scram_vectors.json: %d vectors, want at least 3", len(doc.Vectors))
	}
	return doc.Vectors
}

func hashOf(t *testing.T, mech string) scram.HashGeneratorFcn {
	switch mech {
	case "SCRAM-SHA-256":
		return scram.SHA256
	case "SCRAM-SHA-512":
		return scram.SHA512
	}
	t.Fatalf("unknown mechanism %q", mech)
	return nil
}

// The vectors the SDKs' tests replay (clients/testdata/scram_vectors.json)
// are the conversations xdg-go/scram, the library the broker uses, has with
// itself: its client sends the same messages for the same nonce, and its
// server, holding credentials for the same salt and iterations, answers the
// same server-first and server-final.
func TestScramVectorsAreXdgScramConversations(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Mechanism+"/"+v.Username, func(t *testing.T) {
			hash := hashOf(t, v.Mechanism)
			c, err := hash.NewClient(v.Username, v.Password, "")
			if err != nil {
				t.Fatal(err)
			}
			conv := c.WithNonceGenerator(func() string { return v.ClientNonce }).NewConversation()
			step := func(in, want string) {
				t.Helper()
				got, err := conv.Step(in)
				if err != nil {
					t.Fatalf("client step after %q: %v", in, err)
				}
				if got != want {
					t.Fatalf("client sent %q, the vector has %q", got, want)
				}
			}
			step("", v.ClientFirst)
			step(v.ServerFirst, v.ClientFinal)
			step(v.ServerFinal, "")
			if !conv.Valid() {
				t.Fatal("client did not accept the vector's server-final")
			}

			// The server side: salt, iterations and nonce from server-first.
			var nonce, salt string
			var iters int
			for _, f := range strings.Split(v.ServerFirst, ",") {
				switch {
				case strings.HasPrefix(f, "r="):
					nonce = f[2:]
				case strings.HasPrefix(f, "s="):
					b, err := base64.StdEncoding.DecodeString(f[2:])
					if err != nil {
						t.Fatal(err)
					}
					salt = string(b)
				case strings.HasPrefix(f, "i="):
					if err := json.Unmarshal([]byte(f[2:]), &iters); err != nil {
						t.Fatal(err)
					}
				}
			}
			creds := c.GetStoredCredentials(scram.KeyFactors{Salt: salt, Iters: iters})
			srv, err := hash.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
			if err != nil {
				t.Fatal(err)
			}
			sconv := srv.WithNonceGenerator(func() string { return strings.TrimPrefix(nonce, v.ClientNonce) }).NewConversation()
			if got, err := sconv.Step(v.ClientFirst); err != nil || got != v.ServerFirst {
				t.Fatalf("server-first: got %q, %v; want %q", got, err, v.ServerFirst)
			}
			if got, err := sconv.Step(v.ClientFinal); err != nil || got != v.ServerFinal {
				t.Fatalf("server-final: got %q, %v; want %q", got, err, v.ServerFinal)
			}
			if sconv.Username() != v.Username {
				t.Fatalf("server decoded user %q, want %q", sconv.Username(), v.Username)
			}
		})
	}
}

type started struct {
	ready Ready
	ctl   io.WriteCloser
	out   *bufio.Scanner
	done  chan error
}

func start(t *testing.T, args ...string) *started {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &started{ctl: inW, out: bufio.NewScanner(outR), done: make(chan error, 1)}
	go func() {
		err := run(append([]string{"-dir", t.TempDir()}, args...), inR, outW)
		_ = outW.CloseWithError(io.EOF)
		s.done <- err
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		if err := <-s.done; err != nil {
			t.Errorf("fakeauth: %v", err)
		}
	})
	if !s.out.Scan() {
		t.Fatalf("fakeauth printed nothing: %v", s.out.Err())
	}
	if err := json.Unmarshal(s.out.Bytes(), &s.ready); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *started) stats(t *testing.T) Stats {
	t.Helper()
	if _, err := io.WriteString(s.ctl, "stats\n"); err != nil {
		t.Fatal(err)
	}
	if !s.out.Scan() {
		t.Fatal("no answer to stats")
	}
	var st Stats
	if err := json.Unmarshal(s.out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func dial(t *testing.T, r Ready, withCert bool) *grpc.ClientConn {
	t.Helper()
	caPEM, err := os.ReadFile(r.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conf := &tls.Config{RootCAs: pool, ServerName: r.ServerName, MinVersion: tls.VersionTLS12}
	if withCert {
		cert, err := tls.LoadX509KeyPair(r.ClientCert, r.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	cc, err := grpc.NewClient(r.Address, grpc.WithTransportCredentials(credentials.NewTLS(conf)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func exchange(t *testing.T, cc *grpc.ClientConn, user, pass string) (*sluicev1.FinishScramResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := scram.SHA256.NewClient(user, pass, "")
	if err != nil {
		t.Fatal(err)
	}
	conv := c.NewConversation()
	first, _ := conv.Step("")
	auth := sluicev1.NewAuthServiceClient(cc)
	s1, err := auth.StartScram(ctx, &sluicev1.StartScramRequest{ClientFirstMessage: first})
	if err != nil {
		return nil, err
	}
	final, err := conv.Step(s1.GetServerFirstMessage())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := auth.FinishScram(ctx, &sluicev1.FinishScramRequest{Session: s1.GetSession(), ClientFinalMessage: final})
	if err != nil {
		return nil, err
	}
	if _, err := conv.Step(resp.GetServerFinalMessage()); err != nil {
		t.Fatalf("server-final: %v", err)
	}
	return resp, nil
}

// The fake the SDK tests run against issues a token for a valid SCRAM proof,
// accepts it as bearer metadata, and refuses calls without one, with a wrong
// password or after "revoke".
func TestFakeAcceptsOnlyTokensItIssued(t *testing.T) {
	s := start(t)
	cc := dial(t, s.ready, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := sluicev1.NewAdminServiceClient(cc)

	if _, err := admin.ListTopics(ctx, &sluicev1.ListTopicsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("without a token: %v, want UNAUTHENTICATED", err)
	}
	if _, err := exchange(t, cc, "alice", "wrong"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("wrong password: %v, want UNAUTHENTICATED", err)
	}
	resp, err := exchange(t, cc, "alice", "alice-secret")
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetPrincipal() != "User:alice" {
		t.Fatalf("principal %q", resp.GetPrincipal())
	}
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+resp.GetToken())
	lt, err := admin.ListTopics(authed, &sluicev1.ListTopicsRequest{})
	if err != nil || len(lt.GetTopics()) != 1 || lt.GetTopics()[0].GetName() != "alice" {
		t.Fatalf("with the token: %v, %v", lt, err)
	}
	if _, err := io.WriteString(s.ctl, "revoke\n"); err != nil {
		t.Fatal(err)
	}
	if !s.out.Scan() {
		t.Fatal("no answer to revoke")
	}
	if _, err := admin.ListTopics(authed, &sluicev1.ListTopicsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("after revoke: %v, want UNAUTHENTICATED", err)
	}
	if st := s.stats(t); st.Exchanges != 1 || st.Calls != 1 || st.Rejected != 2 {
		t.Fatalf("stats %+v, want 1 exchange, 1 call, 2 rejected", st)
	}
}

// Without a client certificate the TLS handshake fails: the fake is an mTLS server.
func TestFakeRequiresClientCertificate(t *testing.T) {
	s := start(t)
	cc := dial(t, s.ready, false)
	_, err := exchange(t, cc, "alice", "alice-secret")
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("without a client certificate: %v, want UNAVAILABLE", err)
	}
}
