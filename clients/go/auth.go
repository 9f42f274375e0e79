package sluice

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/xdg-go/scram"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Mechanism is a SCRAM mechanism.
type Mechanism string

// The SCRAM mechanisms a broker accepts.
const (
	ScramSHA256 Mechanism = "SCRAM-SHA-256"
	ScramSHA512 Mechanism = "SCRAM-SHA-512"
)

func (m Mechanism) proto() (sluicev1.ScramMechanism, scram.HashGeneratorFcn, error) {
	switch strings.ToUpper(string(m)) {
	case "", string(ScramSHA256):
		return sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, scram.SHA256, nil
	case string(ScramSHA512):
		return sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512, scram.SHA512, nil
	}
	return 0, nil, fmt.Errorf("sluice: unknown SCRAM mechanism %q (%s or %s)", m, ScramSHA256, ScramSHA512)
}

// WithSCRAM authenticates the client as user: it runs the SCRAM exchange
// of AuthService (the password never leaves the client), sends the token it
// gets on every call, and authenticates again before the token expires or
// when a broker answers UNAUTHENTICATED. Use it with TLS (WithDialOptions
// and grpc.WithTransportCredentials): the token is a bearer credential.
func WithSCRAM(user, password string, mechanism Mechanism) Option {
	return func(o *clientOptions) { o.scram = &scramConfig{user: user, password: password, mechanism: mechanism} }
}

type scramConfig struct {
	user, password string
	mechanism      Mechanism
}

// SCRAMExchange runs the SCRAM exchange with AuthService on conn and returns
// what FinishScram answered (the token, its expiry, the principal), after
// checking the broker's server-final message, which proves the broker holds
// the user's credential.
func SCRAMExchange(ctx context.Context, conn grpc.ClientConnInterface, user, password string, mechanism Mechanism) (*sluicev1.FinishScramResponse, error) {
	mech, hash, err := mechanism.proto()
	if err != nil {
		return nil, err
	}
	cl, err := hash.NewClient(user, password, "")
	if err != nil {
		return nil, fmt.Errorf("sluice: SCRAM: %w", err)
	}
	conv := cl.WithMinIterations(4096).NewConversation()
	first, err := conv.Step("")
	if err != nil {
		return nil, fmt.Errorf("sluice: SCRAM: %w", err)
	}
	auth := sluicev1.NewAuthServiceClient(conn)
	start, err := auth.StartScram(ctx, &sluicev1.StartScramRequest{Mechanism: mech, ClientFirstMessage: first})
	if err != nil {
		return nil, fromRPC(err)
	}
	final, err := conv.Step(start.GetServerFirstMessage())
	if err != nil {
		return nil, fmt.Errorf("sluice: SCRAM: the broker's first message: %w", err)
	}
	resp, err := auth.FinishScram(ctx, &sluicev1.FinishScramRequest{Session: start.GetSession(), ClientFinalMessage: final})
	if err != nil {
		return nil, fromRPC(err)
	}
	if _, err := conv.Step(resp.GetServerFinalMessage()); err != nil || !conv.Valid() {
		return nil, errors.New("sluice: SCRAM: the broker's final message does not prove it holds the user's credential")
	}
	return resp, nil
}

// scramAuth is the per-call credential of WithSCRAM and the CLI: a token it
// renews, got on its own connection (without this credential) to the first
// of addrs that answers.
type scramAuth struct {
	cfg   scramConfig
	addrs []string
	dial  []grpc.DialOption

	mu      sync.Mutex
	conn    *grpc.ClientConn
	token   string
	renewAt time.Time
	closed  bool
}

// NewSCRAMCredentials returns gRPC per-call credentials that authenticate
// as user through AuthService on one of addrs (dialed with dial, after a
// plaintext default), as WithSCRAM does. Close it after the connections
// that use it.
func NewSCRAMCredentials(addrs []string, user, password string, mechanism Mechanism, dial ...grpc.DialOption) (*SCRAMCredentials, error) {
	if _, _, err := mechanism.proto(); err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("sluice: SCRAM credentials need a broker address")
	}
	return &SCRAMCredentials{a: &scramAuth{cfg: scramConfig{user: user, password: password, mechanism: mechanism}, addrs: addrs, dial: dial}}, nil
}

// SCRAMCredentials is a per-call credential that authenticates with SCRAM.
type SCRAMCredentials struct{ a *scramAuth }

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c *SCRAMCredentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	tok, err := c.a.get(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": "Bearer " + tok}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: false,
// so that a local plaintext broker works; use TLS anywhere else.
func (c *SCRAMCredentials) RequireTransportSecurity() bool { return false }

// DialOptions are the options a connection using the credential needs: the
// credential, and interceptors that drop a token a broker refused.
func (c *SCRAMCredentials) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithPerRPCCredentials(c),
		grpc.WithChainUnaryInterceptor(c.a.unary),
		grpc.WithChainStreamInterceptor(c.a.stream),
	}
}

// Close closes the credential's own connection.
func (c *SCRAMCredentials) Close() error { return c.a.close() }

var _ credentials.PerRPCCredentials = (*SCRAMCredentials)(nil)

// get returns a token, authenticating when there is none or it is due for
// renewal (at 80% of its lifetime).
func (a *scramAuth) get(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return "", ErrClosed
	}
	if a.token != "" && time.Now().Before(a.renewAt) {
		return a.token, nil
	}
	var errs []error
	for i := range a.addrs {
		conn, err := a.connLocked(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		resp, err := SCRAMExchange(ctx, conn, a.cfg.user, a.cfg.password, a.cfg.mechanism)
		if err != nil {
			if status.Code(err) == codes.Unavailable {
				errs = append(errs, err)
				_ = a.conn.Close()
				a.conn = nil
				continue
			}
			return "", err
		}
		now := time.Now()
		a.token = resp.GetToken()
		a.renewAt = now.Add(time.Duration(float64(resp.GetExpireTime().AsTime().Sub(now)) * 0.8))
		return a.token, nil
	}
	return "", fmt.Errorf("sluice: authenticate as %q: %w", a.cfg.user, errors.Join(errs...))
}

func (a *scramAuth) connLocked(i int) (*grpc.ClientConn, error) {
	if a.conn != nil {
		return a.conn, nil
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, a.dial...)
	conn, err := grpc.NewClient(a.addrs[i], opts...)
	if err != nil {
		return nil, fmt.Errorf("sluice: dial %s: %w", a.addrs[i], err)
	}
	a.conn = conn
	return conn, nil
}

// invalidate drops the token a broker refused, so the next call
// authenticates again.
func (a *scramAuth) invalidate(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == tok {
		a.token = ""
	}
}

func (a *scramAuth) current() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.token
}

// unary retries a call refused UNAUTHENTICATED once with a new token (the
// cluster's key may have rotated, or the token expired in flight).
func (a *scramAuth) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	tok := a.current()
	err := invoker(ctx, method, req, reply, cc, opts...)
	if status.Code(err) != codes.Unauthenticated {
		return err
	}
	a.invalidate(tok)
	if _, gerr := a.get(ctx); gerr != nil {
		return err
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// stream drops a token refused when a stream starts or on its first
// receive; the stream's caller retries as it does any failed stream.
func (a *scramAuth) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	tok := a.current()
	s, err := streamer(ctx, desc, cc, method, opts...)
	if status.Code(err) == codes.Unauthenticated {
		a.invalidate(tok)
	}
	if err != nil {
		return nil, err
	}
	return &authStream{ClientStream: s, a: a, tok: tok}, nil
}

type authStream struct {
	grpc.ClientStream
	a   *scramAuth
	tok string
}

func (s *authStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil && status.Code(err) == codes.Unauthenticated {
		s.a.invalidate(s.tok)
	}
	return err
}

func (a *scramAuth) close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.conn != nil {
		err := a.conn.Close()
		a.conn = nil
		return err
	}
	return nil
}
