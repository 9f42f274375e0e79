package server

import (
	"context"
	"log/slog"
	"runtime/debug"
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

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// newGRPCServer builds the server with its interceptor chain, outermost
// first: recovery (a panic becomes INTERNAL and a log line), logging, the
// mapping of errors to status, then validation, then the handler.
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
	recoverOpts := []recovery.Option{recovery.WithRecoveryHandler(func(p any) error {
		b.log.Error("panic in request handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})}
	b.grpc = grpc.NewServer(
		grpc.ForceServerCodecV2(codec),
		grpc.MaxRecvMsgSize(b.cfg.MaxRequestBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: b.cfg.KeepaliveTime, Timeout: b.cfg.KeepaliveTimeout}),
		grpc.ChainUnaryInterceptor(
			recovery.UnaryServerInterceptor(recoverOpts...),
			logging.UnaryServerInterceptor(logger, logOpts...),
			statusUnary,
			b.drainUnary,
			validateUnary,
		),
		grpc.ChainStreamInterceptor(
			recovery.StreamServerInterceptor(recoverOpts...),
			logging.StreamServerInterceptor(logger, logOpts...),
			statusStream,
			b.drainStream,
			validateStream,
		),
	)
	sluicev1.RegisterProduceServiceServer(b.grpc, &produceService{b: b, buffer: semaphore.NewWeighted(int64(b.cfg.ProduceBufferBytes))})
	sluicev1.RegisterFetchServiceServer(b.grpc, &fetchService{b: b})
	sluicev1.RegisterAdminServiceServer(b.grpc, &adminService{b: b})
	sluicev1.RegisterGroupCoordinatorServiceServer(b.grpc, &groupService{b: b})
	internalv1.RegisterRaftTransportServiceServer(b.grpc, b.peer)
	internalv1.RegisterClusterServiceServer(b.grpc, &clusterService{b: b})
	b.health = health.NewServer()
	healthpb.RegisterHealthServer(b.grpc, b.health)
	b.setHealth(healthpb.HealthCheckResponse_NOT_SERVING)
	reflection.Register(publicServices{b.grpc})
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
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted:
		return logging.LevelInfo
	}
	return logging.LevelError
}
