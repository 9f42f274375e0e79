package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/security"
)

// Authentication (docs/security.md). With it on, the interceptor resolves
// every client call to a principal, from (first match wins)
//  1. a principal another broker of the cluster vouches for: a request it
//     forwards on a client's behalf (signed with the cluster's key);
//  2. `authorization: Bearer <token>`, a token AuthService issued;
//  3. `authorization: Basic base64(user:password)`, checked against the
//     user's SCRAM credential (for tools such as grpcurl; it sends the
//     password, so it belongs only on TLS);
//  4. the client's verified TLS certificate (Config.CertPrincipal), when
//     "mtls" is on.
// A call with none of these fails UNAUTHENTICATED. The interceptor only
// says who calls; the broker core decides what they may do.

// Authentication mechanisms (AuthConfig.Mechanisms).
const (
	AuthSCRAM = "scram"
	AuthMTLS  = "mtls"
)

// AuthConfig sets up authentication; its zero value is authentication off,
// every call running as User:ANONYMOUS.
type AuthConfig struct {
	// Mechanisms turn authentication on: AuthSCRAM (users with SCRAM
	// credentials: AuthService tokens and Basic credentials), AuthMTLS (the
	// principal of a verified client certificate), or both.
	Mechanisms []string
	// TokenLifetime is how long a token FinishScram issues is accepted;
	// 0 means 1 h.
	TokenLifetime time.Duration
	// BasicCacheTTL is how long a Basic credential, once verified, is
	// accepted without paying PBKDF2 again (a password change or user
	// deletion ends it at once); 0 means 1 min.
	BasicCacheTTL time.Duration
	// KeyRotation is how often the controller replaces the cluster's
	// signing key; the key before keeps verifying, so it must be at least
	// TokenLifetime. 0 means never.
	KeyRotation time.Duration
	// BootstrapUsers are created (when they do not exist) once the broker
	// serves: how the first user of a cluster with authentication on comes
	// to be.
	BootstrapUsers []BootstrapUser
}

// BootstrapUser is a user a broker creates at start unless it exists.
type BootstrapUser struct {
	Name, Password string
	Mechanism      sluicev1.ScramMechanism
}

// Enabled reports whether calls must authenticate.
func (c AuthConfig) Enabled() bool { return len(c.Mechanisms) > 0 }

func (c AuthConfig) has(m string) bool { return slices.Contains(c.Mechanisms, m) }

func (c *AuthConfig) setDefaults() {
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = time.Hour
	}
	if c.BasicCacheTTL <= 0 {
		c.BasicCacheTTL = time.Minute
	}
}

func (c AuthConfig) validate() error {
	for _, m := range c.Mechanisms {
		if m != AuthSCRAM && m != AuthMTLS {
			return fmt.Errorf("authentication mechanism %q: want %q or %q", m, AuthSCRAM, AuthMTLS)
		}
	}
	if c.KeyRotation > 0 && c.KeyRotation < c.TokenLifetime {
		return fmt.Errorf("key rotation every %s is shorter than the token lifetime %s: tokens would outlive the key that verifies them", c.KeyRotation, c.TokenLifetime)
	}
	for _, u := range c.BootstrapUsers {
		if !c.has(AuthSCRAM) {
			return fmt.Errorf("bootstrap user %q needs %q authentication", u.Name, AuthSCRAM)
		}
		if err := security.CheckUserName(u.Name); err != nil {
			return fmt.Errorf("bootstrap user name %q: %w", u.Name, err)
		}
		if u.Password == "" {
			return fmt.Errorf("bootstrap user %q has no password", u.Name)
		}
	}
	return nil
}

const (
	// forwardedPrincipalKey carries the principal of a forwarded request,
	// signed by the forwarding broker.
	forwardedPrincipalKey = "x-sluice-principal"
	// forwardedPrincipalLife bounds a forwarded principal's signature: it
	// is checked when the forwarded call or stream starts.
	forwardedPrincipalLife = time.Minute
	// sessionLifetime bounds the time between StartScram and FinishScram.
	sessionLifetime = 30 * time.Second
	// basicCacheEntries bounds the Basic verification cache.
	basicCacheEntries = 4096
)

var errAuthRequired = status.Error(codes.Unauthenticated, "authentication required: send a bearer token from AuthService or Basic credentials")

// authenticator resolves calls to principals.
type authenticator struct {
	cfg    AuthConfig
	meta   *raftmeta.FSM
	node   uint64
	cert   func(context.Context) (security.Principal, bool)
	now    func() time.Time
	basics basicCache
}

func newAuthenticator(b *Broker) *authenticator {
	cert := b.cfg.CertPrincipal
	if cert == nil {
		cert = b.tlsPrincipal // the verified client certificate, by the mapping rules
	}
	return &authenticator{cfg: b.cfg.Authentication, meta: b.meta, node: b.cfg.NodeID, cert: cert, now: time.Now,
		basics: basicCache{m: map[[32]byte]basicEntry{}}}
}

// key finds a key of the cluster by id.
func (a *authenticator) key(id uint32) ([]byte, bool) {
	for _, k := range a.meta.State().GetAuthKeys() {
		if k.GetId() == id {
			return k.GetKey(), true
		}
	}
	return nil, false
}

// signingKey is the cluster's newest key.
func (a *authenticator) signingKey() (security.Key, error) {
	keys := a.meta.State().GetAuthKeys()
	if len(keys) == 0 {
		return security.Key{}, status.Error(codes.Unavailable, "the cluster has no authentication key yet (the controller creates it); retry in a moment")
	}
	k := keys[len(keys)-1]
	return security.Key{ID: k.GetId(), Secret: k.GetKey()}, nil
}

type signedForwardKey struct{}

// signedForward says whether the call's principal came signed by the broker
// that forwarded it.
func signedForward(ctx context.Context) bool {
	v, _ := ctx.Value(signedForwardKey{}).(bool)
	return v
}

// authenticate is the interceptor's AuthFunc.
func (a *authenticator) authenticate(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(forwardedPrincipalKey); len(v) > 0 {
		p, err := a.forwarded(v[0])
		if err != nil {
			return nil, err
		}
		return context.WithValue(security.WithPrincipal(ctx, p), signedForwardKey{}, true), nil
	}
	if v := md.Get("authorization"); len(v) > 0 {
		scheme, cred, _ := strings.Cut(strings.TrimSpace(v[0]), " ")
		var (
			p   security.Principal
			err error
		)
		switch {
		case !a.cfg.has(AuthSCRAM):
			err = status.Error(codes.Unauthenticated, "SCRAM authentication (tokens, Basic) is off on this broker: authenticate with a client certificate")
		case strings.EqualFold(scheme, "bearer"):
			p, err = a.bearer(strings.TrimSpace(cred))
		case strings.EqualFold(scheme, "basic"):
			p, err = a.basic(strings.TrimSpace(cred))
		default:
			err = status.Errorf(codes.Unauthenticated, "authorization scheme %q is not supported: send Bearer <token from AuthService> or Basic <base64 of user:password>", scheme)
		}
		if err != nil {
			return nil, err
		}
		return security.WithPrincipal(ctx, p), nil
	}
	// The one place a verified client certificate names the principal when
	// the call carries no token or Basic credentials.
	if a.cfg.has(AuthMTLS) && a.cert != nil {
		if p, ok := a.cert(ctx); ok {
			return security.WithPrincipal(ctx, p), nil
		}
	}
	return nil, errAuthRequired
}

// bearer checks a token FinishScram issued, on any broker of the cluster.
func (a *authenticator) bearer(tok string) (security.Principal, error) {
	raw, err := security.DecodeToken(tok)
	if err != nil {
		return security.Principal{}, status.Error(codes.Unauthenticated, "invalid bearer token: not a token AuthService issued")
	}
	_, fields, err := security.Verify(raw, security.KindToken, a.key, a.now())
	if errors.Is(err, security.ErrExpired) {
		return security.Principal{}, status.Errorf(codes.Unauthenticated, "bearer token %v: authenticate again (AuthService)", err)
	}
	if err != nil || len(fields) != 1 {
		return security.Principal{}, status.Errorf(codes.Unauthenticated, "invalid bearer token: %v", cmpErr(err, security.ErrMalformed))
	}
	p := security.ParsePrincipal(fields[0])
	if p.Type == security.UserType && a.meta.User(p.Name) == nil {
		return security.Principal{}, status.Errorf(codes.Unauthenticated, "bearer token of user %q, which no longer exists", clipName(p.Name))
	}
	return p, nil
}

func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// forwarded checks a principal another broker vouches for.
func (a *authenticator) forwarded(v string) (security.Principal, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err == nil {
		var fields []string
		_, fields, err = security.Verify(raw, security.KindForwarded, a.key, a.now())
		if err == nil && len(fields) == 2 {
			return security.ParsePrincipal(fields[0]), nil
		}
	}
	return security.Principal{}, status.Errorf(codes.Unauthenticated, "forwarded principal not vouched for by a broker of this cluster: %v", cmpErr(err, security.ErrMalformed))
}

// forwardHeader signs the principal of a request this broker forwards.
func (a *authenticator) forwardHeader(p security.Principal) (string, bool) {
	k, err := a.signingKey()
	if err != nil {
		return "", false
	}
	signed := security.Sign(k, security.KindForwarded, a.now().Add(forwardedPrincipalLife), p.String(), strconv.FormatUint(a.node, 10))
	return base64.RawURLEncoding.EncodeToString(signed), true
}

// credential picks the credential Basic checks a user's password against:
// SHA-256's when there is one.
func credential(u *internalv1.ScramUser) *internalv1.MechanismCredential {
	cs := u.GetCredentials()
	if len(cs) == 0 {
		return nil
	}
	return cs[0] // sorted by mechanism: SHA-256 first
}

// basic checks Basic credentials, paying PBKDF2 only on a cache miss.
func (a *authenticator) basic(cred string) (security.Principal, error) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return security.Principal{}, status.Error(codes.Unauthenticated, "invalid Basic credentials: want base64 of user:password")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return security.Principal{}, status.Error(codes.Unauthenticated, "invalid Basic credentials: want base64 of user:password")
	}
	failed := status.Errorf(codes.Unauthenticated, "authentication failed for user %q: wrong user name or password", clipName(user))
	mc := credential(a.meta.User(user))
	if mc == nil {
		return security.Principal{}, failed
	}
	key := sha256.Sum256([]byte(user + "\x00" + password))
	now := a.now()
	if a.basics.hit(key, mc.GetCredential().GetStoredKey(), now) {
		return security.User(user), nil
	}
	if !security.CheckPassword(mc.GetMechanism(), mc.GetCredential(), user, password) {
		return security.Principal{}, failed
	}
	a.basics.put(key, mc.GetCredential().GetStoredKey(), now, now.Add(a.cfg.BasicCacheTTL))
	return security.User(user), nil
}

// basicCache remembers verified Basic credentials by a hash of user and
// password, with the credential they matched: a changed credential misses.
type basicCache struct {
	mu sync.Mutex
	m  map[[32]byte]basicEntry
}

type basicEntry struct {
	storedKey string
	expires   time.Time
}

func (c *basicCache) hit(k [32]byte, storedKey []byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return ok && now.Before(e.expires) && e.storedKey == string(storedKey)
}

// put adds an entry; a full cache drops its expired entries first, and
// everything when none has expired.
func (c *basicCache) put(k [32]byte, storedKey []byte, now, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= basicCacheEntries {
		for key, e := range c.m {
			if e.expires.Before(now) {
				delete(c.m, key)
			}
		}
		if len(c.m) >= basicCacheEntries {
			clear(c.m)
		}
	}
	c.m[k] = basicEntry{storedKey: string(storedKey), expires: expires}
}

// needsAuth says which calls the interceptor authenticates: every client
// call but AuthService's own, health and reflection. The brokers' internal
// services (raft transport, cluster membership) are guarded by mTLS.
func needsAuth(_ context.Context, c interceptors.CallMeta) bool {
	switch svc := c.Service; {
	case svc == sluicev1.AuthService_ServiceDesc.ServiceName,
		svc == healthpb.Health_ServiceDesc.ServiceName,
		strings.HasPrefix(svc, "grpc.reflection."),
		strings.HasPrefix(svc, "sluice.internal."):
		return false
	}
	return true
}

// authInterceptors are the chains' authentication step (none when
// authentication is off).
func (b *Broker) authInterceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	if !b.cfg.Authentication.Enabled() {
		return nil, nil
	}
	m := selector.MatchFunc(needsAuth)
	return []grpc.UnaryServerInterceptor{selector.UnaryServerInterceptor(grpcauth.UnaryServerInterceptor(b.auth.authenticate), m)},
		[]grpc.StreamServerInterceptor{selector.StreamServerInterceptor(grpcauth.StreamServerInterceptor(b.auth.authenticate), m)}
}

// forwardPrincipal adds the caller's principal, signed, to the calls this
// broker makes to another on a client's behalf (forwarded produce, fetch
// relays, group and offset requests), so the receiving broker authorizes
// the client, not the broker.
func (b *Broker) forwardPrincipal(ctx context.Context) context.Context {
	if !b.cfg.Authentication.Enabled() {
		return ctx
	}
	p := security.PrincipalFrom(ctx)
	if p == security.Anonymous {
		return ctx // the broker's own requests
	}
	if v, ok := b.auth.forwardHeader(p); ok {
		return metadata.AppendToOutgoingContext(ctx, forwardedPrincipalKey, v)
	}
	return ctx
}

// peerClientInterceptors put forwardPrincipal on every call of the
// connections to other brokers.
func (b *Broker) peerClientInterceptors() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(b.forwardPrincipal(ctx), method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(b.forwardPrincipal(ctx), desc, cc, method, opts...)
		}),
	}
}

// authKeyLoop has the controller create the cluster's first signing key
// and, with KeyRotation set, replace it when it is that old.
func (b *Broker) authKeyLoop() {
	defer b.bg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-b.stopping:
			return
		case <-b.eng.Failed():
			return
		case now := <-t.C:
			if b.meta.Leader() != b.cfg.NodeID {
				continue
			}
			st := b.meta.State()
			keys := st.GetAuthKeys()
			rotate := b.cfg.Authentication.KeyRotation
			if len(keys) > 0 && (rotate <= 0 || now.Sub(time.UnixMilli(keys[len(keys)-1].GetCreateTimeMs())) < rotate) {
				continue
			}
			secret := make([]byte, 32)
			_, _ = rand.Read(secret) // crypto/rand.Read never fails on supported platforms
			cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_AddAuthKey{AddAuthKey: &internalv1.AddAuthKey{
				Key: &internalv1.AuthKey{Id: raftmeta.NextAuthKeyID(st), Key: secret, CreateTimeMs: now.UnixMilli()},
			}}}
			ctx, cancel := context.WithTimeout(b.lifetime, 2*time.Second)
			err := b.meta.Propose(ctx, cmd)
			cancel()
			if err != nil && !errors.Is(err, raftmeta.ErrConflict) && b.lifetime.Err() == nil {
				b.log.Debug("add authentication key", "err", err)
			} else if err == nil {
				b.log.Info("added the cluster's authentication key", "key_id", raftmeta.NextAuthKeyID(st))
			}
		}
	}
}

// bootstrapUsers creates the configured users that do not exist yet.
func (b *Broker) bootstrapUsers(ctx context.Context) error {
	for _, u := range b.cfg.Authentication.BootstrapUsers {
		if b.meta.User(u.Name) != nil {
			continue
		}
		cred, err := security.DeriveCredential(u.Mechanism, u.Name, u.Password, 0)
		if err != nil {
			return fmt.Errorf("bootstrap user %q: %w", u.Name, err)
		}
		if err := b.upsertUser(ctx, u.Name, u.Mechanism, cred); err != nil {
			return fmt.Errorf("bootstrap user %q: %w", u.Name, err)
		}
		b.log.Info("created bootstrap user", "user", u.Name)
	}
	return nil
}

// upsertUser stores a user's credential in the metadata.
func (b *Broker) upsertUser(ctx context.Context, name string, mech sluicev1.ScramMechanism, cred *sluicev1.ScramCredential) error {
	if mech == sluicev1.ScramMechanism_SCRAM_MECHANISM_UNSPECIFIED {
		mech = sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256
	}
	return b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_UpsertScramCredential{
		UpsertScramCredential: &internalv1.UpsertScramCredential{Name: name, Credential: &internalv1.MechanismCredential{Mechanism: mech, Credential: cred}},
	}})
}
