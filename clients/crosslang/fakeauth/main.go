// Command fakeauth is a stand-in broker for the SDKs' security tests: it
// serves sluice.v1.AuthService with github.com/xdg-go/scram's server over TLS
// (mTLS unless -mtls=false) on 127.0.0.1, and a few calls of the data API that
// need the bearer token it issues, so each SDK can test its TLS options, its
// SCRAM exchange and its token handling without a real broker.
//
// It writes a fresh CA and certificates to -dir (PEM, keys in PKCS #8): the
// server's certificate names only the DNS name "broker.sluice.test", so a
// client dialing 127.0.0.1 must override the server name. When it serves it
// prints one JSON line on stdout (address, server_name and the file paths).
//
// Control on stdin, one command a line, each answered with one JSON line on
// stdout: "stats" (exchanges, rejected, calls so far), "revoke" (every token
// issued so far stops being accepted). It exits when stdin closes.
//
// The data API it fakes: AdminService.ListTopics (one topic, named after the
// caller's user), DescribeTopic (any name: one partition), ProduceService.Produce
// (acknowledges every request, offsets counted from 0) and FetchService.Fetch
// (ends at once). Every call but AuthService's needs `authorization: Bearer
// <token>` with a token it issued, not revoked or expired, else UNAUTHENTICATED.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xdg-go/scram"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// ServerName is the only name in the server's certificate.
const ServerName = "broker.sluice.test"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakeauth:", err)
		os.Exit(1)
	}
}

// Ready is the line printed once the server listens.
type Ready struct {
	Address    string `json:"address"`
	ServerName string `json:"server_name"`
	CA         string `json:"ca"`
	ClientCert string `json:"client_cert"`
	ClientKey  string `json:"client_key"`
}

// Stats is the answer to "stats".
type Stats struct {
	// Exchanges counts successful FinishScram calls.
	Exchanges int `json:"exchanges"`
	// Rejected counts data calls refused with UNAUTHENTICATED.
	Rejected int `json:"rejected"`
	// Calls counts data calls accepted.
	Calls int `json:"calls"`
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakeauth", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the CA and certificates (required)")
	users := fs.String("users", "alice:alice-secret", "comma-separated user:password pairs (SHA-256 and SHA-512 credentials each)")
	ttl := fs.Duration("token-ttl", time.Hour, "lifetime of the tokens it issues")
	mtls := fs.Bool("mtls", true, "require a client certificate signed by the CA")
	plaintext := fs.Bool("plaintext", false, "serve without TLS (the certificates are still written)")
	forge := fs.Bool("forge-server-final", false, "answer FinishScram with a wrong server signature (a broker that does not hold the credentials)")
	iters := fs.Int("iterations", 4096, "PBKDF2 iterations of the stored credentials")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	f, err := newFake(*users, *iters, *ttl, *forge)
	if err != nil {
		return err
	}
	files, tlsConf, err := writeCertificates(*dir, *mtls)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(f.unaryAuth), grpc.ChainStreamInterceptor(f.streamAuth)}
	if !*plaintext {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConf)))
	}
	srv := grpc.NewServer(opts...)
	sluicev1.RegisterAuthServiceServer(srv, f)
	sluicev1.RegisterAdminServiceServer(srv, &admin{f: f})
	sluicev1.RegisterProduceServiceServer(srv, produce{})
	sluicev1.RegisterFetchServiceServer(srv, fetch{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	defer func() {
		srv.Stop()
		<-served
	}()

	files.Address = lis.Addr().String()
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(files); err != nil {
		return err
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		switch cmd := strings.TrimSpace(sc.Text()); cmd {
		case "stats":
			err = enc.Encode(f.stats())
		case "revoke":
			f.revoke()
			err = enc.Encode(map[string]bool{"revoked": true})
		case "":
			continue
		default:
			err = enc.Encode(map[string]string{"error": "unknown command " + cmd})
		}
		if err != nil {
			return err
		}
	}
	return sc.Err()
}

type token struct {
	user    string
	expires time.Time
}

type fake struct {
	sluicev1.UnimplementedAuthServiceServer
	servers map[sluicev1.ScramMechanism]*scram.Server
	ttl     time.Duration
	forge   bool

	mu       sync.Mutex
	sessions map[string]*scram.ServerConversation
	tokens   map[string]token
	st       Stats
}

func newFake(users string, iters int, ttl time.Duration, forge bool) (*fake, error) {
	creds := map[sluicev1.ScramMechanism]map[string]scram.StoredCredentials{
		sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256: {},
		sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512: {},
	}
	for _, pair := range strings.Split(users, ",") {
		user, pass, ok := strings.Cut(pair, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("-users: %q is not user:password", pair)
		}
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
		kf := scram.KeyFactors{Salt: string(salt), Iters: iters}
		for mech, hash := range map[sluicev1.ScramMechanism]scram.HashGeneratorFcn{
			sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256: scram.SHA256,
			sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512: scram.SHA512,
		} {
			c, err := hash.NewClient(user, pass, "")
			if err != nil {
				return nil, fmt.Errorf("-users %q: %w", user, err)
			}
			creds[mech][user] = c.GetStoredCredentials(kf)
		}
	}
	f := &fake{
		servers:  map[sluicev1.ScramMechanism]*scram.Server{},
		ttl:      ttl,
		forge:    forge,
		sessions: map[string]*scram.ServerConversation{},
		tokens:   map[string]token{},
	}
	for mech, hash := range map[sluicev1.ScramMechanism]scram.HashGeneratorFcn{
		sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256: scram.SHA256,
		sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512: scram.SHA512,
	} {
		byUser := creds[mech]
		s, err := hash.NewServer(func(user string) (scram.StoredCredentials, error) {
			c, ok := byUser[user]
			if !ok {
				return scram.StoredCredentials{}, errors.New("unknown user")
			}
			return c, nil
		})
		if err != nil {
			return nil, err
		}
		f.servers[mech] = s
	}
	return f, nil
}

func randomString() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f *fake) StartScram(_ context.Context, req *sluicev1.StartScramRequest) (*sluicev1.StartScramResponse, error) {
	mech := req.GetMechanism()
	if mech == sluicev1.ScramMechanism_SCRAM_MECHANISM_UNSPECIFIED {
		mech = sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256
	}
	srv, ok := f.servers[mech]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "mechanism: %v is not supported", mech)
	}
	conv := srv.NewConversation()
	first, err := conv.Step(req.GetClientFirstMessage())
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, "authentication failed")
	}
	id := randomString()
	f.mu.Lock()
	f.sessions[id] = conv
	f.mu.Unlock()
	return &sluicev1.StartScramResponse{Session: []byte(id), ServerFirstMessage: first}, nil
}

func (f *fake) FinishScram(_ context.Context, req *sluicev1.FinishScramRequest) (*sluicev1.FinishScramResponse, error) {
	f.mu.Lock()
	conv, ok := f.sessions[string(req.GetSession())]
	delete(f.sessions, string(req.GetSession()))
	f.mu.Unlock()
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "session: unknown or already used")
	}
	final, err := conv.Step(req.GetClientFinalMessage())
	if err != nil || !conv.Valid() {
		return nil, status.Error(codes.Unauthenticated, "authentication failed")
	}
	if f.forge {
		sig := hmac.New(sha256.New, []byte("not the server key"))
		sig.Write([]byte(req.GetClientFinalMessage()))
		final = "v=" + base64.StdEncoding.EncodeToString(sig.Sum(nil))
	}
	tok := randomString()
	expires := time.Now().Add(f.ttl)
	f.mu.Lock()
	f.tokens[tok] = token{user: conv.Username(), expires: expires}
	f.st.Exchanges++
	f.mu.Unlock()
	return &sluicev1.FinishScramResponse{
		ServerFinalMessage: final,
		Token:              tok,
		ExpireTime:         timestamppb.New(expires),
		Principal:          "User:" + conv.Username(),
	}, nil
}

func (f *fake) stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fake) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]token{}
}

type userKey struct{}

// authenticate returns the caller's user, or UNAUTHENTICATED.
func (f *fake) authenticate(ctx context.Context) (context.Context, error) {
	var got string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) == 1 {
			got = v[0]
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tok, found := strings.CutPrefix(got, "Bearer ")
	t, ok := f.tokens[tok]
	if !found || !ok || time.Now().After(t.expires) {
		f.st.Rejected++
		return nil, status.Error(codes.Unauthenticated, "authorization: no valid bearer token")
	}
	f.st.Calls++
	return context.WithValue(ctx, userKey{}, t.user), nil
}

const authPrefix = "/sluice.v1.AuthService/"

func (f *fake) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, authPrefix) {
		return h(ctx, req)
	}
	ctx, err := f.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (f *fake) streamAuth(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if _, err := f.authenticate(ss.Context()); err != nil {
		return err
	}
	return h(srv, ss)
}

type admin struct {
	sluicev1.UnimplementedAdminServiceServer
	f *fake
}

func (a *admin) ListTopics(ctx context.Context, _ *sluicev1.ListTopicsRequest) (*sluicev1.ListTopicsResponse, error) {
	user, _ := ctx.Value(userKey{}).(string)
	return &sluicev1.ListTopicsResponse{Topics: []*sluicev1.TopicSummary{{Name: user, Partitions: 1, ReplicationFactor: 1}}}, nil
}

func (a *admin) DescribeTopic(_ context.Context, req *sluicev1.DescribeTopicRequest) (*sluicev1.DescribeTopicResponse, error) {
	return &sluicev1.DescribeTopicResponse{Topic: &sluicev1.TopicDescription{
		Name: req.GetName(), ReplicationFactor: 1,
		Partitions: []*sluicev1.PartitionDescription{{Partition: 0, LeaderId: 1, ReplicaIds: []uint64{1}}},
	}}, nil
}

type produce struct {
	sluicev1.UnimplementedProduceServiceServer
}

func (produce) Produce(stream grpc.BidiStreamingServer[sluicev1.ProduceRequest, sluicev1.ProduceResponse]) error {
	var next int64
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var n int32
		if b := req.GetBatch(); b != nil {
			n = b.GetRecordCount()
		} else {
			n = int32(len(req.GetRecords()))
		}
		resp := &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Results: []*sluicev1.ProduceResult{
			{Partition: req.GetPartition(), BaseOffset: next, RecordCount: n},
		}}
		next += int64(n)
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

type fetch struct {
	sluicev1.UnimplementedFetchServiceServer
}

func (fetch) Fetch(*sluicev1.FetchRequest, grpc.ServerStreamingServer[sluicev1.FetchResponse]) error {
	return nil
}

// writeCertificates makes a CA, a server certificate for ServerName and a
// client certificate (CN=alice), writes them to dir and returns the server's
// TLS configuration.
func writeCertificates(dir string, mtls bool) (Ready, *tls.Config, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Ready{}, nil, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Ready{}, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fakeauth test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return Ready{}, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return Ready{}, nil, err
	}
	leaf := func(serial int64, cn string, dns []string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			DNSNames:     dns,
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}, ca, &key.PublicKey, caKey)
		return der, key, err
	}
	srvDER, srvKey, err := leaf(2, ServerName, []string{ServerName}, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return Ready{}, nil, err
	}
	cliDER, cliKey, err := leaf(3, "alice", nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return Ready{}, nil, err
	}
	r := Ready{
		ServerName: ServerName,
		CA:         filepath.Join(dir, "ca.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
	keyPEM, err := pkcs8PEM(cliKey)
	if err != nil {
		return Ready{}, nil, err
	}
	for path, data := range map[string][]byte{
		r.CA:         pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		r.ClientCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cliDER}),
		r.ClientKey:  keyPEM,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return Ready{}, nil, err
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	conf := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
		ClientCAs:    pool,
	}
	if mtls {
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return r, conf, nil
}

func pkcs8PEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
