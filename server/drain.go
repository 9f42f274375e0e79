package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Client requests are admitted only while the broker is ready: registered in
// the metadata with its replicas started, and not shutting down.

// drain counts the client requests in flight so that shutdown can wait for
// them before it cuts the brokers' own raft streams, which those requests may
// need to commit.
type drain struct {
	mu     sync.Mutex
	n      int
	closed bool
	zero   chan struct{} // closed when n reaches 0 after close
}

func (d *drain) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.n++
	return true
}

func (d *drain) exit() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n--
	if d.closed && d.n == 0 && d.zero != nil {
		close(d.zero)
		d.zero = nil
	}
}

// closeAndWait refuses new requests and waits up to timeout for the rest.
func (d *drain) closeAndWait(timeout time.Duration) bool {
	d.mu.Lock()
	d.closed = true
	if d.n == 0 {
		d.mu.Unlock()
		return true
	}
	zero := make(chan struct{})
	d.zero = zero
	d.mu.Unlock()
	select {
	case <-zero:
		return true
	case <-time.After(timeout):
		return false
	}
}

func isInternal(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/sluice.internal.")
}

func (b *Broker) drainUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if isInternal(info.FullMethod) {
		return h(ctx, req)
	}
	if !b.ready.Load() {
		return nil, errStarting
	}
	if !b.inflight.enter() {
		return nil, errShuttingDown
	}
	defer b.inflight.exit()
	return h(ctx, req)
}

func (b *Broker) drainStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if isInternal(info.FullMethod) {
		return h(srv, ss)
	}
	if !b.ready.Load() {
		return errStarting
	}
	if !b.inflight.enter() {
		return errShuttingDown
	}
	defer b.inflight.exit()
	return h(srv, ss)
}
