package server

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/quota"
	"github.com/sluice-io/sluice/server/security"
)

// Client quotas are enforced here, at the door, by throttling: a call over
// its quota is answered late and its stream read later, and the response
// says by how long (throttle_time_ms, or the throttleTrailer of a unary
// call). Nothing is refused, so a client never retries into the same limit,
// as with Kafka. The delays are waited out by the goroutines of the call
// itself (a produce stream's receiver and sender, a fetch stream's sender,
// a unary call's handler): never on the raft engine's loop and never under
// a lock another client needs. Usage is counted per broker.

const (
	// clientIDKey is the call metadata a client names itself with, Kafka's
	// client.id. A call without it has no client id.
	clientIDKey = "sluice-client-id"
	// maxClientIDLen bounds a client id (Kafka's is a string of at most
	// 32767 bytes, but each distinct one may hold usage on the broker).
	maxClientIDLen = 255
	// throttleTrailer carries the throttle time, in milliseconds, of a unary
	// call that was held back (unset when it was not).
	throttleTrailer = "sluice-throttle-time-ms"
)

// quotaEnforcer resolves the quotas of calls against the metadata's quota
// state and keeps this broker's usage.
type quotaEnforcer struct {
	meta    *raftmeta.FSM
	tracker *quota.Tracker
	// table is built from the metadata's quota state when it changes (a
	// new pointer); between changes a call's lookup takes no lock.
	table atomic.Pointer[quotaTable]
}

type quotaTable struct {
	src *internalv1.QuotaState
	t   *quota.Table
}

func newQuotaEnforcer(meta *raftmeta.FSM) *quotaEnforcer {
	q := &quotaEnforcer{meta: meta, tracker: quota.NewTracker(nil)}
	q.table.Store(&quotaTable{t: quota.NewTable(nil)})
	return q
}

// current returns the table of the quotas the metadata holds now.
func (q *quotaEnforcer) current() *quota.Table {
	src := q.meta.Quotas()
	cur := q.table.Load()
	if cur.src == src {
		return cur.t
	}
	next := &quotaTable{src: src, t: quota.NewTable(quotaConfigs(src))}
	q.table.Store(next)
	return next.t
}

// quotaCaller is who a call counts as. exempt calls (from other brokers,
// which relay their clients' calls that were counted where they arrived)
// are never throttled.
type quotaCaller struct {
	user, clientID string
	exempt         bool
}

// callerOf returns who a call counts as; a client id over maxClientIDLen is
// refused.
func callerOf(ctx context.Context) (quotaCaller, error) {
	if isForwarded(ctx) {
		return quotaCaller{exempt: true}, nil
	}
	c := quotaCaller{user: security.PrincipalFrom(ctx).String()}
	md, _ := metadata.FromIncomingContext(ctx)
	if ids := md.Get(clientIDKey); len(ids) > 0 {
		c.clientID = ids[0]
	}
	if len(c.clientID) > maxClientIDLen {
		return c, badRequest(clientIDKey, "the client id (call metadata %q) is %d bytes, over the limit of %d", clientIDKey, len(c.clientID), maxClientIDLen)
	}
	return c, nil
}

// delay counts n units of typ against the caller's quota and returns how
// long the call must be held back (0 without a quota).
func (q *quotaEnforcer) delay(c quotaCaller, typ quota.Type, n int) time.Duration {
	if c.exempt {
		return 0
	}
	t := q.current()
	if t.Empty() {
		return 0
	}
	limit, key, ok := t.Resolve(c.user, c.clientID, typ)
	if !ok {
		return 0
	}
	return q.tracker.Take(key, limit, float64(n))
}

// requestAndBytes counts one request and its n bytes of typ; the call is
// held back by the longer of the two delays (each quota's usage counts
// either way).
func (q *quotaEnforcer) requestAndBytes(c quotaCaller, typ quota.Type, n int) time.Duration {
	return max(q.delay(c, quota.Requests, 1), q.delay(c, typ, n))
}

// throttleMs is a delay as a throttle_time_ms (rounded up, so that a held
// response never says 0).
func throttleMs(d time.Duration) int32 {
	if d <= 0 {
		return 0
	}
	return int32((d + time.Millisecond - 1) / time.Millisecond)
}

// holdBack waits d, unless the call ends or the broker stops first.
func (b *Broker) holdBack(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stopping:
		return errShuttingDown
	}
}

// quotaExempt lists the services whose calls are not counted: the brokers'
// own, and health and reflection (probes).
func quotaExempt(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/sluice.internal.") ||
		strings.HasPrefix(fullMethod, "/grpc.health.") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.")
}

// quotaUnary holds each unary call to its request rate: a call over it
// waits before it runs (so the broker holds only its request, never a
// response), and the trailer says how long.
func (b *Broker) quotaUnary(q *quotaEnforcer) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if quotaExempt(info.FullMethod) {
			return handler(ctx, req)
		}
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		if d := q.delay(c, quota.Requests, 1); d > 0 {
			if err := b.holdBack(ctx, d); err != nil {
				return nil, err
			}
			_ = grpc.SetTrailer(ctx, metadata.Pairs(throttleTrailer, strconv.Itoa(int(throttleMs(d)))))
		}
		return handler(ctx, req)
	}
}

// quotaConfigs converts the metadata's quotas (validated when set).
func quotaConfigs(qs *internalv1.QuotaState) []quota.Config {
	out := make([]quota.Config, 0, len(qs.GetQuotas()))
	for _, q := range qs.GetQuotas() {
		c := quota.Config{Entity: quotaEntity(q.GetEntity())}
		v := q.GetValues()
		c.Limits[quota.ProduceBytes] = float64(v.GetProduceBytesRate())
		c.Limits[quota.FetchBytes] = float64(v.GetFetchBytesRate())
		c.Limits[quota.Requests] = v.GetRequestRate()
		out = append(out, c)
	}
	return out
}

func quotaEntity(e *sluicev1.QuotaEntity) quota.Entity {
	return quota.Entity{User: quotaPart(e.GetUser()), ClientID: quotaPart(e.GetClientId())}
}

func quotaPart(p *sluicev1.QuotaEntityPart) quota.Part {
	switch {
	case p.GetMatch() == nil:
		return quota.Part{}
	case p.GetIsDefault():
		return quota.Any
	}
	return quota.Name(p.GetName())
}
