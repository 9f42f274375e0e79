package server

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Every call has a request id: the client's, when it sends one in the
// x-request-id metadata (a printable ASCII string of at most
// maxRequestIDLen bytes), else one the broker makes (node id, incarnation,
// and a counter: unique across the cluster's brokers and restarts). The id
// is a field of the call's log line ("request_id", on the "finished call"
// line the logging interceptor writes for failed calls), it is passed on
// with a call the broker forwards to another broker, and a call that fails
// returns it to the client in the x-request-id trailer, so that a user can
// quote it and an operator find the line. Errors a stream reports inside
// its responses (a produce request's result) are not call failures and
// carry none.

const (
	requestIDKey    = "x-request-id"
	maxRequestIDLen = 128
)

type requestIDCtxKey struct{}

// requestIDFrom returns the call's request id; "" outside a call.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDCtxKey{}).(string)
	return id
}

// requestIDs makes the broker's own request ids.
type requestIDs struct {
	prefix string
	next   atomic.Uint64
}

func (r *requestIDs) init(node, incarnation uint64) {
	r.prefix = strconv.FormatUint(node, 10) + "-" + strconv.FormatUint(incarnation&0xffffffff, 16) + "-"
}

func (r *requestIDs) make() string {
	return r.prefix + strconv.FormatUint(r.next.Add(1), 10)
}

// validRequestID accepts printable ASCII without spaces, as a log field can
// show it unquoted.
func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// withRequestID gives ctx the call's request id, for the handler and the
// logging interceptor.
func (b *Broker) withRequestID(ctx context.Context) (context.Context, string) {
	id := ""
	// ValueFromIncomingContext copies only this key's values, not the map.
	if v := metadata.ValueFromIncomingContext(ctx, requestIDKey); len(v) > 0 && validRequestID(v[0]) {
		id = v[0]
	}
	if id == "" {
		id = b.reqIDs.make()
	}
	ctx = context.WithValue(ctx, requestIDCtxKey{}, id)
	return logging.InjectLogField(ctx, "request_id", id), id
}

func (b *Broker) requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, id := b.withRequestID(ctx)
	resp, err := h(ctx, req)
	if err != nil {
		_ = grpc.SetTrailer(ctx, metadata.Pairs(requestIDKey, id))
	}
	return resp, err
}

func (b *Broker) requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, id := b.withRequestID(ss.Context())
	err := h(srv, &contextStream{ServerStream: ss, ctx: ctx})
	if err != nil {
		ss.SetTrailer(metadata.Pairs(requestIDKey, id))
	}
	return err
}
