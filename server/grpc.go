package server

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/transport"
)

// newGRPCServer builds the server with its interceptor chain, outermost
// first: the gRPC metrics, recovery (a panic becomes INTERNAL and a log
// line), the request id (requestid.go), logging, the mapping of errors to
// status, the request durations, the check of peer certificates, then
// authentication (when on: auth.go), request quotas (quota.go), then
// validation, then the handler.
func (b *Broker) newGRPCServer() error {
	codec, err := newRawCodec()
	if err != nil {
		return err
	}
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		b.log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithLevels(callLogLevel),
	}
	quotas := newQuotaEnforcer(b.meta)
	recoverOpts := []recovery.Option{recovery.WithRecoveryHandler(func(p any) error {
		b.log.Error("panic in request handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})}
	authUnary, authStream := b.authInterceptors()
	b.grpc = grpc.NewServer(append(b.serverCreds(),
		grpc.ForceServerCodecV2(codec),
		// One limit for the whole server, the larger one: the peers'. Client
		// calls are held to MaxRequestBytes by the request-size interceptors.
		grpc.MaxRecvMsgSize(max(b.cfg.Limits.MaxRequestBytes, peerRecvLimit(b.cfg))),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: b.cfg.KeepaliveTime, Timeout: b.cfg.KeepaliveTimeout}),
		// The gRPC metrics come first, so that they count the status each
		// call ends with, panics included.
		grpc.ChainUnaryInterceptor(slices.Concat([]grpc.UnaryServerInterceptor{
			b.metrics.grpc.UnaryServerInterceptor(),
			recovery.UnaryServerInterceptor(recoverOpts...),
			b.requestIDUnary,
			logging.UnaryServerInterceptor(logger, logOpts...),
			statusUnary,
			b.metrics.unaryDuration,
			b.peerAuthUnary,
		}, authUnary, []grpc.UnaryServerInterceptor{
			b.authenticateUnary,
			b.requestSizeUnary,
			b.drainUnary,
			b.quotaUnary(quotas),
			validateUnary,
		})...),
		grpc.ChainStreamInterceptor(slices.Concat([]grpc.StreamServerInterceptor{
			stashStream,
			b.metrics.grpc.StreamServerInterceptor(),
			unstashStream,
			recovery.StreamServerInterceptor(recoverOpts...),
			b.requestIDStream,
			logging.StreamServerInterceptor(logger, logOpts...),
			statusStream,
			b.peerAuthStream,
		}, authStream, []grpc.StreamServerInterceptor{
			b.authenticateStream,
			b.requestSizeStream,
			b.drainStream,
			validateStream,
		})...),
	)...)
	sluicev1.RegisterProduceServiceServer(b.grpc, &produceService{b: b, buffer: semaphore.NewWeighted(int64(b.cfg.Limits.ProduceBufferBytes)), quotas: quotas})
	sluicev1.RegisterFetchServiceServer(b.grpc, &fetchService{b: b, quotas: quotas})
	sluicev1.RegisterAdminServiceServer(b.grpc, &adminService{b: b})
	sluicev1.RegisterGroupCoordinatorServiceServer(b.grpc, &groupService{b: b})
	sluicev1.RegisterAuthServiceServer(b.grpc, &authService{b: b})
	internalv1.RegisterRaftTransportServiceServer(b.grpc, b.peer)
	internalv1.RegisterClusterServiceServer(b.grpc, &clusterService{b: b})
	b.health = health.NewServer()
	healthpb.RegisterHealthServer(b.grpc, b.health)
	b.setHealth(healthpb.HealthCheckResponse_NOT_SERVING)
	reflection.Register(publicServices{b.grpc})
	b.metrics.initServiceMetrics(b.grpc)
	return nil
}

// setHealth sets the status of the broker ("") and of each public service.
func (b *Broker) setHealth(st healthpb.HealthCheckResponse_ServingStatus) {
	b.health.SetServingStatus("", st)
	for name := range (publicServices{b.grpc}).GetServiceInfo() {
		b.health.SetServingStatus(name, st)
	}
}

// publicServices hides the brokers' internal services (raft transport) from
// reflection and health: they are not an API for clients.
type publicServices struct{ *grpc.Server }

func (s publicServices) GetServiceInfo() map[string]grpc.ServiceInfo {
	out := map[string]grpc.ServiceInfo{}
	for name, info := range s.Server.GetServiceInfo() {
		if !strings.HasPrefix(name, "sluice.internal.") {
			out[name] = info
		}
	}
	return out
}

// callLogLevel keeps successful calls and client mistakes out of the info log:
// a broker answers many thousands of calls a second.
func callLogLevel(c codes.Code) logging.Level {
	switch c {
	case codes.OK, codes.Canceled, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists,
		codes.OutOfRange, codes.Unimplemented, codes.FailedPrecondition:
		return logging.LevelDebug
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted,
		codes.Unauthenticated, codes.PermissionDenied: // worth seeing, never an error of the broker's
		return logging.LevelInfo
	}
	return logging.LevelError
}

// Peer limits. A follower far behind is sent its backlog as fast as raft and
// the transport allow, so every message a peer may send must fit the
// receiver's limit, or the stream resets, everything queued on it is lost,
// and the follower never catches up.
//
// The largest StreamRequest is the larger of
//   - a batch of several messages: at most PeerBatchBytes of messages;
//   - one message sent alone. The largest is an append. raft fills it with
//     entries up to maxAppendBytes, each framed with at most as many bytes
//     as its own encoding has (an entry's encoding is at least 2 bytes, its
//     framing 1 tag byte and a length of at most half as many bytes), so
//     its entries take at most 2*maxAppendBytes; or it is one entry larger
//     than that, made of one request (at most MaxRequestBytes of records, or
//     several coalesced up to the replica's 1 MiB) plus the proposal's and
//     the message's own fields, which peerMessageSlack bounds.
//
// Snapshots carry offsets and metadata, never records; the metadata
// snapshot of a cluster of very many topics is the one message this does
// not bound, and the transport drops (and logs) any message above the limit
// rather than reset the stream.
const (
	maxAppendBytes   = engine.DefaultMaxSizePerMsg
	peerMessageSlack = 64 << 10
)

// peerRecvLimit is the largest message a broker accepts from a peer: it
// fits every batch a broker with the same configuration sends.
func peerRecvLimit(c Config) int {
	largestEntry := max(c.Limits.MaxRequestBytes, 1<<20) + peerMessageSlack
	largestMessage := max(2*maxAppendBytes, largestEntry)
	return max(c.Limits.PeerBatchBytes, largestMessage) + transport.BatchOverhead
}

// checkPeerLimits refuses peer limits that cannot work together.
func (c *Config) checkPeerLimits() error {
	if c.Limits.MaxInflightBytes < maxAppendBytes {
		return fmt.Errorf("max in-flight bytes %d is under one full append (%d bytes)", c.Limits.MaxInflightBytes, maxAppendBytes)
	}
	if lim := peerRecvLimit(*c); lim > math.MaxInt32 {
		return fmt.Errorf("peer receive limit %d (from max request bytes %d and peer batch bytes %d) is over gRPC's %d",
			lim, c.Limits.MaxRequestBytes, c.Limits.PeerBatchBytes, math.MaxInt32)
	}
	return nil
}

// isPeerMethod reports whether a method is the peers' raft transport, which
// has the larger peer limit.
func isPeerMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/"+internalv1.RaftTransportService_ServiceDesc.ServiceName+"/")
}

// requestTooLarge is the clients' MaxRequestBytes, checked here because the
// server's own limit is the peers' larger one. It answers as gRPC's own limit
// would (RESOURCE_EXHAUSTED, ending the call), naming the limit.
func (b *Broker) requestTooLarge(msg any) error {
	var n int
	switch m := msg.(type) {
	case *rawMessage:
		n = len(m.b)
	case proto.Message:
		n = proto.Size(m)
	default:
		return nil
	}
	if n <= b.cfg.Limits.MaxRequestBytes {
		return nil
	}
	return status.Errorf(codes.ResourceExhausted, "request of %d bytes is over the broker's max request bytes of %d", n, b.cfg.Limits.MaxRequestBytes)
}

func (b *Broker) requestSizeUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := b.requestTooLarge(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (b *Broker) requestSizeStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if isPeerMethod(info.FullMethod) {
		return handler(srv, ss)
	}
	return handler(srv, &sizeCheckedStream{ServerStream: ss, b: b})
}

// sizeCheckedStream holds each message a client streams to MaxRequestBytes.
type sizeCheckedStream struct {
	grpc.ServerStream
	b *Broker
}

func (s *sizeCheckedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.b.requestTooLarge(m)
}
