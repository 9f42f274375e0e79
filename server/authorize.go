package server

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/authz"
	"github.com/sluice-io/sluice/server/security"
)

// Authorization: one authz.Authorizer, fed by the ACLs of the metadata
// (every broker holds them all, so every broker decides locally), asked by
// each handler for every resource its request touches. Which operation each
// RPC needs on which resource is listed in docs/security.md; the checks
// below follow that table.

// Short names of the resource types and operations the handlers ask about.
const (
	resTopic   = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TOPIC
	resGroup   = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_GROUP
	resCluster = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_CLUSTER

	opRead            = sluicev1.AclOperation_ACL_OPERATION_READ
	opWrite           = sluicev1.AclOperation_ACL_OPERATION_WRITE
	opCreate          = sluicev1.AclOperation_ACL_OPERATION_CREATE
	opDelete          = sluicev1.AclOperation_ACL_OPERATION_DELETE
	opAlter           = sluicev1.AclOperation_ACL_OPERATION_ALTER
	opDescribe        = sluicev1.AclOperation_ACL_OPERATION_DESCRIBE
	opDescribeConfigs = sluicev1.AclOperation_ACL_OPERATION_DESCRIBE_CONFIGS
	opAlterConfigs    = sluicev1.AclOperation_ACL_OPERATION_ALTER_CONFIGS
	opIdempotentWrite = sluicev1.AclOperation_ACL_OPERATION_IDEMPOTENT_WRITE
)

// newAuthorizer sets up the authorizer when authorization is on; with it
// off, b.authz stays nil and every check passes.
func (b *Broker) newAuthorizer() {
	if !b.cfg.Authorization {
		return
	}
	if b.cfg.Authenticate == nil && len(b.cfg.Authentication.Mechanisms) == 0 {
		b.log.Warn("authorization is on without authentication: every call runs as " + security.Anonymous.String() +
			", so only ACLs for it (or User:*) and super users apply")
	}
	b.authz = authz.New(authz.Config{SuperUsers: b.cfg.SuperUsers, AllowIfNoACL: b.cfg.AllowEveryoneIfNoACL},
		func() []*sluicev1.AclBinding { return b.meta.State().GetAcls() })
}

// permissionDeniedError is an operation the caller's ACLs do not allow.
type permissionDeniedError struct {
	principal security.Principal
	op        sluicev1.AclOperation
	resType   sluicev1.AclResourceType
	name      string
}

func (e *permissionDeniedError) Error() string {
	return fmt.Sprintf("%s is not allowed to %s %s %q", e.principal, opName(e.op), resName(e.resType), e.name)
}

// opName is "WRITE" for ACL_OPERATION_WRITE.
func opName(op sluicev1.AclOperation) string {
	const p = len("ACL_OPERATION_")
	if s := op.String(); len(s) > p {
		return s[p:]
	}
	return op.String()
}

// resName is "topic" for ACL_RESOURCE_TYPE_TOPIC.
func resName(rt sluicev1.AclResourceType) string {
	switch rt {
	case resTopic:
		return "topic"
	case resGroup:
		return "group"
	case resCluster:
		return "cluster"
	case sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TRANSACTIONAL_ID:
		return "transactional id"
	}
	return rt.String()
}

// clientHost is the IP address the call came from ("" when unknown), the
// host ACLs match.
func clientHost(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	if tcp, ok := p.Addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return host
	}
	return p.Addr.String()
}

// checked reports whether a call is subject to ACLs: authorization is on
// and the call came from a client. A request another broker forwards (to a
// partition's leader, a group's coordinator) was authorized by the broker
// the client called, which alone knows the client's host; but the
// forwarded mark is call metadata, which a client can set too. So a call
// counts as forwarded only when a broker provably sent it.
func (b *Broker) checked(ctx context.Context) bool {
	return b.authz != nil && !b.forwardedByBroker(ctx)
}

// forwardedByBroker says whether a broker of this cluster provably sent
// the call: it carries a forwarded principal signed with the cluster's key
// (authentication on), or it is marked forwarded and came over a
// connection whose client certificate names a broker of the cluster (TLS
// on). Without either, a call is checked wherever it arrives.
func (b *Broker) forwardedByBroker(ctx context.Context) bool {
	if signedForward(ctx) {
		return true
	}
	if !isForwarded(ctx) || b.tls == nil {
		return false
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return false
	}
	_, err := b.tls.PeerBroker(info.State)
	return err == nil
}

// allowed reports whether the caller may perform op on the resource.
func (b *Broker) allowed(ctx context.Context, op sluicev1.AclOperation, rt sluicev1.AclResourceType, name string) bool {
	if !b.checked(ctx) {
		return true
	}
	return b.authz.Authorize(security.PrincipalFrom(ctx), clientHost(ctx), op, rt, name)
}

// authorize is allowed as an error: nil, or PERMISSION_DENIED naming the
// principal, the operation and the resource.
func (b *Broker) authorize(ctx context.Context, op sluicev1.AclOperation, rt sluicev1.AclResourceType, name string) error {
	if b.allowed(ctx, op, rt, name) {
		return nil
	}
	return &permissionDeniedError{principal: security.PrincipalFrom(ctx), op: op, resType: rt, name: name}
}

// authorizeTopics checks op on every topic, naming the field of the first
// one refused.
func (b *Broker) authorizeTopics(ctx context.Context, op sluicev1.AclOperation, field string, topics []string) error {
	if !b.checked(ctx) {
		return nil
	}
	for i, t := range topics {
		if err := b.authorize(ctx, op, resTopic, t); err != nil {
			return fmt.Errorf("%s[%d]: %w", field, i, err)
		}
	}
	return nil
}

// authorizeCluster checks op on the cluster.
func (b *Broker) authorizeCluster(ctx context.Context, op sluicev1.AclOperation) error {
	return b.authorize(ctx, op, resCluster, authz.ClusterName)
}

// authorizeCreateTopic is CREATE on the cluster or on the topic (Kafka's
// CreateTopics).
func (b *Broker) authorizeCreateTopic(ctx context.Context, name string) error {
	if b.allowed(ctx, opCreate, resCluster, authz.ClusterName) {
		return nil
	}
	return b.authorize(ctx, opCreate, resTopic, name)
}

// authorizeInitProducer is IDEMPOTENT_WRITE on the cluster, or WRITE on
// any topic (Kafka's InitProducerId since 3.0).
func (b *Broker) authorizeInitProducer(ctx context.Context) error {
	if !b.checked(ctx) || b.allowed(ctx, opIdempotentWrite, resCluster, authz.ClusterName) ||
		b.authz.AuthorizeAny(security.PrincipalFrom(ctx), clientHost(ctx), opWrite, resTopic) {
		return nil
	}
	return &permissionDeniedError{principal: security.PrincipalFrom(ctx), op: opIdempotentWrite, resType: resCluster, name: authz.ClusterName}
}

// withoutConfigs hides a topic description's configs from a caller without
// DESCRIBE_CONFIGS on the topic.
func (b *Broker) withoutConfigs(ctx context.Context, d *sluicev1.TopicDescription) *sluicev1.TopicDescription {
	if d == nil || b.allowed(ctx, opDescribeConfigs, resTopic, d.GetName()) {
		return d
	}
	d.Configs, d.EffectiveConfigs = nil, nil
	return d
}

// The Authenticate hook (Config.Authenticate) runs first for every client
// call and returns the context the call runs with, carrying its principal
// (security.WithPrincipal).

func (b *Broker) authenticateUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if b.cfg.Authenticate == nil || isInternal(info.FullMethod) {
		return h(ctx, req)
	}
	ctx, err := b.cfg.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (b *Broker) authenticateStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if b.cfg.Authenticate == nil || isInternal(info.FullMethod) {
		return h(srv, ss)
	}
	ctx, err := b.cfg.Authenticate(ss.Context())
	if err != nil {
		return err
	}
	return h(srv, &contextStream{ServerStream: ss, ctx: ctx})
}
