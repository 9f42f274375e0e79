package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"

	"github.com/sluice-io/sluice/server/security"
)

// TLS. With Config.TLS set, the one listener serves clients and peers over
// TLS, and a broker dials its peers presenting its own certificate (mTLS).
// The internal services (raft transport, cluster membership) answer only a
// connection whose client certificate chains to the cluster CA and names a
// broker (security.BrokerURI); raft streams and messages must come from the
// broker it names, and, once the metadata lists brokers, from one of them.
// Without TLS everything is plaintext and unchecked, as before.

// TLSEnabled reports whether the broker serves TLS.
func (c *Config) TLSEnabled() bool { return c.TLS.CertFile != "" || c.TLS.KeyFile != "" }

// inCluster reports whether the broker has or will have peers it talks to.
func (c *Config) inCluster() bool { return len(c.Controllers) > 1 || c.Join != "" }

// loadTLS reads the TLS files and checks that a broker of a cluster can
// prove to its peers which broker it is.
func (b *Broker) loadTLS() error {
	if !b.cfg.TLSEnabled() {
		return nil
	}
	m, err := security.LoadMaterial(b.cfg.TLS, b.log)
	if err != nil {
		return err
	}
	id, named := security.BrokerID(m.Certificate())
	switch {
	case named && id != b.cfg.NodeID:
		return fmt.Errorf("TLS certificate %s names broker %d, this is broker %d", b.cfg.TLS.CertFile, id, b.cfg.NodeID)
	case b.cfg.inCluster() && !named:
		return fmt.Errorf("TLS certificate %s names no broker: a broker of a cluster needs a URI SAN %s to be let in by its peers",
			b.cfg.TLS.CertFile, security.BrokerURI(b.cfg.NodeID))
	case b.cfg.inCluster() && !m.HasClusterCA():
		return errors.New("a broker of a cluster with TLS needs a cluster CA (or a client CA) to verify its peers' certificates with")
	}
	b.tls = m
	return nil
}

// serverCreds are the listener's options: TLS when configured.
func (b *Broker) serverCreds() []grpc.ServerOption {
	if b.tls == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.Creds(b.tls.ServerCredentials())}
}

// peerCreds are the credentials a broker dials its peers with.
func (b *Broker) peerCreds() credentials.TransportCredentials {
	if b.tls == nil {
		return insecure.NewCredentials()
	}
	return b.tls.PeerCredentials()
}

// peerDeniedError refuses an internal call from something that is not a
// broker of this cluster.
type peerDeniedError struct {
	unauthenticated bool // no certificate at all
	msg             string
}

func (e *peerDeniedError) Error() string { return e.msg }

type peerBrokerKey struct{}

// peerBroker is the broker an internal call comes from, as its certificate
// says; ok is false without TLS.
func peerBroker(ctx context.Context) (uint64, bool) {
	id, ok := ctx.Value(peerBrokerKey{}).(uint64)
	return id, ok
}

// verifyPeer checks that an internal call's connection presented a broker
// certificate of this cluster and returns ctx carrying the broker's id.
func (b *Broker) verifyPeer(ctx context.Context, method string) (context.Context, error) {
	p, _ := peer.FromContext(ctx)
	var info credentials.TLSInfo
	if p != nil {
		info, _ = p.AuthInfo.(credentials.TLSInfo)
	}
	if len(info.State.PeerCertificates) == 0 {
		return nil, &peerDeniedError{unauthenticated: true, msg: fmt.Sprintf("%s is for brokers of this cluster: present a broker certificate", method)}
	}
	id, err := b.tls.PeerBroker(info.State)
	if err != nil {
		return nil, &peerDeniedError{msg: fmt.Sprintf("%s refused: %v", method, err)}
	}
	return context.WithValue(ctx, peerBrokerKey{}, id), nil
}

func isInternalMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/sluice.internal.")
}

func (b *Broker) peerAuthUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if b.tls == nil || !isInternalMethod(info.FullMethod) {
		return handler(ctx, req)
	}
	ctx, err := b.verifyPeer(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (b *Broker) peerAuthStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if b.tls == nil || !isInternalMethod(info.FullMethod) {
		return handler(srv, ss)
	}
	ctx, err := b.verifyPeer(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	w := middleware.WrapServerStream(ss)
	w.WrappedContext = ctx
	return handler(srv, w)
}

// authenticateRaft is the transport's check of an incoming raft stream: the
// broker its certificate names, which must be one the metadata lists (when
// it lists any: a joining broker hears from the controller before it has
// the metadata) or one it was told of to start or join.
func (b *Broker) authenticateRaft(ctx context.Context) (uint64, error) {
	id, ok := peerBroker(ctx)
	if !ok {
		return 0, toStatus(&peerDeniedError{unauthenticated: true, msg: "raft messages are for brokers of this cluster: present a broker certificate"}).Err()
	}
	if !b.knownBroker(id) {
		return 0, toStatus(&peerDeniedError{msg: fmt.Sprintf("broker %d is not a broker of this cluster", id)}).Err()
	}
	return id, nil
}

func (b *Broker) knownBroker(id uint64) bool {
	brokers := b.meta.State().GetBrokers()
	for _, br := range brokers {
		if br.GetId() == id {
			return true
		}
	}
	if _, ok := b.cfg.Controllers[id]; ok || len(brokers) == 0 {
		return true
	}
	b.connMu.Lock()
	defer b.connMu.Unlock()
	_, ok := b.joinPeers[id]
	return ok
}

// checkJoiner refuses a join whose certificate names another broker than
// the one asking to be added. Without TLS anyone may join.
func (b *Broker) checkJoiner(ctx context.Context, nodeID uint64) error {
	if b.tls == nil {
		return nil
	}
	id, ok := peerBroker(ctx)
	if !ok {
		return &peerDeniedError{unauthenticated: true, msg: "joining needs a broker certificate"}
	}
	if id != nodeID {
		return &peerDeniedError{msg: fmt.Sprintf("the certificate names broker %d, which cannot join as broker %d", id, nodeID)}
	}
	return nil
}

// tlsPrincipal is the principal of a call whose client presented a verified
// certificate, mapped by Config.PrincipalMappingRules; ok is false without
// TLS, with client auth none (client certificates are then not asked for,
// and a certificate a peer presents is not a client's identity), or when the
// client presented none or no rule matched its subject. The authentication
// interceptor asks this first.
func (b *Broker) tlsPrincipal(ctx context.Context) (security.Principal, bool) {
	if b.tls == nil || b.tls.ClientAuth() == security.ClientAuthNone {
		return security.Principal{}, false
	}
	p, _ := peer.FromContext(ctx)
	if p == nil {
		return security.Principal{}, false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return security.Principal{}, false
	}
	return security.CertPrincipal(b.cfg.PrincipalMappingRules, info.State)
}
