package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xdg-go/scram"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/security"
)

// authService runs the SCRAM exchange (RFC 5802) in two calls. The server
// side of the exchange is github.com/xdg-go/scram's; its conversation lives
// in memory, so StartScram hands the client what FinishScram needs to
// rebuild it on any broker: the mechanism, the client-first message and the
// server's nonce, signed with the cluster key and valid sessionLifetime.
// FinishScram replays the first step with that nonce, then checks the
// client's proof.
type authService struct {
	sluicev1.UnimplementedAuthServiceServer
	b *Broker
}

// maxScramMessage bounds the SCRAM messages a client sends.
const maxScramMessage = 2048

var errScramFailed = status.Error(codes.Unauthenticated, "authentication failed: wrong user name or password")

func (s *authService) enabled() error {
	if !s.b.cfg.Authentication.has(AuthSCRAM) {
		return status.Error(codes.FailedPrecondition, "SCRAM authentication is off on this broker (sluice serve --authentication scram turns it on)")
	}
	return nil
}

// server returns the SCRAM server of a mechanism whose nonce is nonce
// (empty: random), looking credentials up in the metadata. An unknown user
// gets a credential no password matches, made up from the user name, so
// that the exchange does not tell which users exist.
func (s *authService) server(mech sluicev1.ScramMechanism, nonce string) (*scram.Server, error) {
	h, err := security.Hash(mech)
	if err != nil {
		return nil, badRequest("mechanism", "%v", err)
	}
	key, err := s.b.auth.signingKey()
	if err != nil {
		return nil, err
	}
	srv, err := h.NewServer(func(user string) (scram.StoredCredentials, error) {
		for _, mc := range s.b.meta.User(user).GetCredentials() {
			if mc.GetMechanism() == mech {
				return security.Stored(mc.GetCredential()), nil
			}
		}
		fake := security.Sign(key, security.KindSession, time.Time{}, "no such user", user)
		sum := h()
		sum.Write(fake)
		salt := sum.Sum(nil)[:16]
		return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: security.DefaultIterations},
			StoredKey: []byte("not a key"), ServerKey: []byte("not a key")}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("scram server: %w", err)
	}
	if nonce != "" {
		srv = srv.WithNonceGenerator(func() string { return nonce })
	}
	return srv, nil
}

func (s *authService) StartScram(_ context.Context, req *sluicev1.StartScramRequest) (*sluicev1.StartScramResponse, error) {
	if n := len(req.GetClientFirstMessage()); n == 0 || n > maxScramMessage {
		return nil, badRequest("client_first_message", "must be 1 to %d bytes", maxScramMessage)
	}
	if err := s.enabled(); err != nil {
		return nil, err
	}
	mech := req.GetMechanism()
	if mech == sluicev1.ScramMechanism_SCRAM_MECHANISM_UNSPECIFIED {
		mech = sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256
	}
	var nonce string
	srv, err := s.server(mech, "")
	if err != nil {
		return nil, err
	}
	conv := srv.WithNonceGenerator(func() string { nonce = randomNonce(); return nonce }).NewConversation()
	serverFirst, err := conv.Step(req.GetClientFirstMessage())
	if err != nil {
		return nil, badRequest("client_first_message", "not a SCRAM client-first message: %s", scramReason(serverFirst, err))
	}
	if z := conv.AuthzID(); z != "" && z != conv.Username() {
		return nil, badRequest("client_first_message", "authorization id %q differs from the user name: acting as another user is not supported", z)
	}
	key, err := s.b.auth.signingKey()
	if err != nil {
		return nil, err
	}
	session := security.Sign(key, security.KindSession, s.b.auth.now().Add(sessionLifetime),
		mech.String(), nonce, req.GetClientFirstMessage())
	return &sluicev1.StartScramResponse{Session: session, ServerFirstMessage: serverFirst}, nil
}

func (s *authService) FinishScram(_ context.Context, req *sluicev1.FinishScramRequest) (*sluicev1.FinishScramResponse, error) {
	if n := len(req.GetClientFinalMessage()); n == 0 || n > maxScramMessage {
		return nil, badRequest("client_final_message", "must be 1 to %d bytes", maxScramMessage)
	}
	if err := s.enabled(); err != nil {
		return nil, err
	}
	_, fields, err := security.Verify(req.GetSession(), security.KindSession, s.b.auth.key, s.b.auth.now())
	if errors.Is(err, security.ErrExpired) {
		return nil, status.Errorf(codes.Unauthenticated, "SCRAM session %v (sessions last %s): start again", err, sessionLifetime)
	}
	if err != nil || len(fields) != 3 {
		return nil, status.Errorf(codes.Unauthenticated, "invalid SCRAM session: %v", cmpErr(err, security.ErrMalformed))
	}
	mech := sluicev1.ScramMechanism(sluicev1.ScramMechanism_value[fields[0]])
	srv, err := s.server(mech, fields[1])
	if err != nil {
		return nil, err
	}
	conv := srv.NewConversation()
	if _, err := conv.Step(fields[2]); err != nil {
		return nil, errScramFailed
	}
	serverFinal, err := conv.Step(req.GetClientFinalMessage())
	if err != nil || !conv.Valid() {
		return nil, errScramFailed
	}
	user := conv.Username()
	if s.b.meta.User(user) == nil {
		return nil, errScramFailed
	}
	key, err := s.b.auth.signingKey()
	if err != nil {
		return nil, err
	}
	p := security.User(user)
	expires := s.b.auth.now().Add(s.b.cfg.Authentication.TokenLifetime)
	tok := security.EncodeToken(security.Sign(key, security.KindToken, expires, p.String()))
	return &sluicev1.FinishScramResponse{
		ServerFinalMessage: serverFinal, Token: tok, ExpireTime: timestamppb.New(expires), Principal: p.String(),
	}, nil
}

func scramReason(serverMsg string, err error) string {
	if serverMsg != "" {
		return serverMsg
	}
	return err.Error()
}

func randomNonce() string {
	return fmt.Sprintf("%016x%016x", randomUint64(), randomUint64())
}

// Users (AdminService).

func (s *adminService) CreateUser(ctx context.Context, req *sluicev1.CreateUserRequest) (*sluicev1.CreateUserResponse, error) {
	if err := checkUserName(req.GetName()); err != nil {
		return nil, err
	}
	mech := req.GetMechanism()
	if _, err := security.Hash(mech); err != nil {
		return nil, badRequest("mechanism", "%v", err)
	}
	cred := req.GetCredential()
	switch {
	case cred != nil && req.GetPassword() != "":
		return nil, badRequest("password", "set password or credential, not both")
	case cred != nil:
		if err := security.CheckCredential(mech, cred); err != nil {
			return nil, badRequest("credential", "%v", err)
		}
	case req.GetPassword() == "":
		return nil, badRequest("password", "a password (or a credential) is required")
	default:
		it := int(req.GetIterations())
		if it != 0 && (it < security.MinIterations || it > security.MaxIterations) {
			return nil, badRequest("iterations", "%d is not %d to %d (0 means %d)", it, security.MinIterations, security.MaxIterations, security.DefaultIterations)
		}
		var err error
		if cred, err = security.DeriveCredential(mech, req.GetName(), req.GetPassword(), it); err != nil {
			return nil, badRequest("password", "%v", err)
		}
	}
	if err := s.b.upsertUser(ctx, req.GetName(), mech, cred); err != nil {
		return nil, err
	}
	return &sluicev1.CreateUserResponse{}, nil
}

func (s *adminService) DeleteUser(ctx context.Context, req *sluicev1.DeleteUserRequest) (*sluicev1.DeleteUserResponse, error) {
	if req.GetName() == "" {
		return nil, badRequest("name", "the user to delete is required")
	}
	if err := checkUserName(req.GetName()); err != nil {
		return nil, err
	}
	err := s.b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteUser{
		DeleteUser: &internalv1.DeleteUser{Name: req.GetName()},
	}})
	if err != nil {
		return nil, err
	}
	return &sluicev1.DeleteUserResponse{}, nil
}

func (s *adminService) ListUsers(context.Context, *sluicev1.ListUsersRequest) (*sluicev1.ListUsersResponse, error) {
	resp := &sluicev1.ListUsersResponse{}
	for _, u := range s.b.meta.State().GetUsers() {
		sum := &sluicev1.UserSummary{Name: u.GetName()}
		for _, mc := range u.GetCredentials() {
			sum.Mechanisms = append(sum.Mechanisms, mc.GetMechanism())
		}
		resp.Users = append(resp.Users, sum)
	}
	return resp, nil
}

// checkUserName refuses a user name, quoting it only when short.
func checkUserName(name string) error {
	if len(name) > 255 {
		return badRequest("name", "user name is %d bytes; the limit is 255", len(name))
	}
	if err := security.CheckUserName(name); err != nil {
		return badRequest("name", "user name %q %v", name, err)
	}
	return nil
}

// clipName is a name a client sent, cut for an error message.
func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// createBootstrapUsers waits for the cluster's authentication key, which
// the controller creates (a broker cannot issue or check tokens without
// it), then creates the bootstrap users, retrying while the metadata group
// elects its leader.
func (b *Broker) createBootstrapUsers(ctx context.Context) error {
	if !b.cfg.Authentication.Enabled() {
		return nil
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for len(b.meta.State().GetAuthKeys()) == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the cluster's authentication key: %w", ctx.Err())
		case <-b.stopping:
			return errShuttingDown
		case <-tick.C:
		}
	}
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := b.bootstrapUsers(attempt)
		cancel()
		if err == nil {
			return nil
		}
		retry := errors.Is(err, raftmeta.ErrNoController) || errors.Is(err, raftmeta.ErrDropped) ||
			(errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil)
		if !retry {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bootstrap users: %w", ctx.Err())
		case <-b.stopping:
			return errShuttingDown
		case <-time.After(20 * time.Millisecond):
		}
	}
}
