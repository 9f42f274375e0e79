package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// asClient names the client id of ctx's calls; "" names none.
func asClient(ctx context.Context, clientID string) context.Context {
	if clientID == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "sluice-client-id", clientID)
}

func clientEntity(id string) *sluicev1.QuotaEntity {
	return &sluicev1.QuotaEntity{ClientId: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: id}}}
}

func userQuotaEntity(name string) *sluicev1.QuotaEntity {
	return &sluicev1.QuotaEntity{User: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: name}}}
}

func setQuota(t *testing.T, admin sluicev1.AdminServiceClient, e *sluicev1.QuotaEntity, v *sluicev1.QuotaValues) {
	t.Helper()
	if _, err := admin.SetQuota(t.Context(), &sluicev1.SetQuotaRequest{Entity: e, Values: v}); err != nil {
		t.Fatalf("set quota: %v", err)
	}
}

// produceSample is one acknowledged request of a producer.
type produceSample struct {
	at       time.Duration // since the producers started
	bytes    int           // record bytes
	throttle int32
}

// pipelinedProducer produces requests of size record bytes to one partition
// as client clientID, keeping up to 8 requests in flight, until the time or
// request count runs out, and returns what came back.
func pipelinedProducer(ctx context.Context, t *testing.T, producer sluicev1.ProduceServiceClient, clientID string, partition int32, start time.Time, run time.Duration, maxRequests int) ([]produceSample, error) {
	ctx, cancel := context.WithTimeout(asClient(ctx, clientID), run+30*time.Second)
	defer cancel()
	stream, err := producer.Produce(ctx)
	if err != nil {
		return nil, err
	}
	const size, inFlight = 64 << 10, 8
	recs := make([]*sluicev1.Record, 64)
	for i := range recs {
		recs[i] = &sluicev1.Record{Value: make([]byte, size/len(recs))}
	}
	slots := make(chan struct{}, inFlight)
	sendErr := make(chan error, 1)
	go func() {
		defer close(sendErr)
		for i := range maxRequests {
			if time.Since(start) >= run {
				break
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				sendErr <- ctx.Err()
				return
			}
			req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: "quota", Partition: proto.Int32(partition), Records: recs, Acks: sluicev1.Acks_ACKS_LEADER}
			if err := stream.Send(req); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- stream.CloseSend()
	}()
	var out []produceSample
	for {
		resp, err := stream.Recv()
		if err != nil {
			if serr := <-sendErr; serr != nil {
				return out, serr
			}
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		<-slots
		if resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
			return out, produceFailed{resp}
		}
		out = append(out, produceSample{at: time.Since(start), bytes: size, throttle: resp.GetThrottleTimeMs()})
	}
}

// errHeldShort is a response that came sooner than its throttle time says.
var errHeldShort = errors.New("throttled response not held")

type produceFailed struct{ resp *sluicev1.ProduceResponse }

func (e produceFailed) Error() string { return "produce failed: " + e.resp.String() }

// rateBetween is the record bytes per second acknowledged in [from, to).
func rateBetween(samples []produceSample, from, to time.Duration) float64 {
	n := 0
	for _, s := range samples {
		if s.at >= from && s.at < to {
			n += s.bytes
		}
	}
	return float64(n) / (to - from).Seconds()
}

// TestClientLimitedToOneMBpsProducesAboutOneMBps runs two producers on one
// broker for 8 s: one whose client id has a produce quota of 1 MiB/s, one
// without. From the third second on (past the one-second burst a quota
// allows), the limited one is acknowledged within 20% of its quota; the
// other is never throttled and goes much faster.
func TestClientLimitedToOneMBpsProducesAboutOneMBps(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "quota", 2)
	setQuota(t, b.AdminClient, clientEntity("limited"), &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(oneMB)})
	checkLimitedAndFree(t, b.ProduceClient, "limited", b.ProduceClient, "free")
}

// TestPrincipalLimitedToOneMBpsProducesAboutOneMBps is the same for two
// authenticated users (SCRAM, Basic credentials): alice's quota holds her
// to it, bob, on the same broker, is not held back.
func TestPrincipalLimitedToOneMBpsProducesAboutOneMBps(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(cfg *server.Config) {
		withSCRAM(cfg)
		cfg.Authentication.BootstrapUsers = append(cfg.Authentication.BootstrapUsers,
			server.BootstrapUser{Name: "alice", Password: "alice-secret"}, server.BootstrapUser{Name: "bob", Password: "bob-secret"})
	}), servertest.WithDialOptions(grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(basicCreds{adminUser, adminPassword})))
	b.CreateTopic(t, "quota", 2)
	setQuota(t, b.AdminClient, userQuotaEntity("alice"), &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(oneMB)})
	as := func(user, password string) sluicev1.ProduceServiceClient {
		conn, err := grpc.NewClient(b.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(basicCreds{user, password}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return sluicev1.NewProduceServiceClient(conn)
	}
	checkLimitedAndFree(t, as("alice", "alice-secret"), "", as("bob", "bob-secret"), "")
}

const oneMB = 1 << 20

// checkLimitedAndFree runs a producer held to a quota of oneMB bytes/s and
// one with no quota side by side for 8 s, and checks the first produced
// within 20% of its quota after a 2 s warm-up (the burst), was told it was
// throttled, and the second was never throttled and went well past it.
func checkLimitedAndFree(t *testing.T, limitedClient sluicev1.ProduceServiceClient, limitedID string, freeClient sluicev1.ProduceServiceClient, freeID string) {
	t.Helper()
	const limit = oneMB
	const run, warmUp = 8 * time.Second, 2 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	var limited, free []produceSample
	var limitedErr, freeErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		limited, limitedErr = pipelinedProducer(t.Context(), t, limitedClient, limitedID, 0, start, run, 10_000)
	}()
	go func() {
		defer wg.Done()
		free, freeErr = pipelinedProducer(t.Context(), t, freeClient, freeID, 1, start, run, 10_000)
	}()
	wg.Wait()
	if limitedErr != nil || freeErr != nil {
		t.Fatalf("producers failed: limited %v, unlimited %v", limitedErr, freeErr)
	}
	end := min(limited[len(limited)-1].at, run)
	limitedRate := rateBetween(limited, warmUp, end)
	freeRate := rateBetween(free, warmUp, min(free[len(free)-1].at, run))
	t.Logf("from %v to %v: limited client %.0f B/s (quota %d), unlimited client %.0f B/s", warmUp, end, limitedRate, limit, freeRate)
	if ratio := limitedRate / limit; ratio < 0.8 || ratio > 1.2 {
		t.Errorf("limited client produced %.0f B/s, %.2f times its quota of %d B/s; want within 20%%", limitedRate, ratio, limit)
	}
	throttled := 0
	for _, s := range limited {
		if s.throttle > 0 {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no response of the limited client says it was throttled (throttle_time_ms)")
	}
	for _, s := range free {
		if s.throttle != 0 {
			t.Fatalf("unlimited client was throttled %d ms at %v", s.throttle, s.at)
		}
	}
	if freeRate < 3*limitedRate {
		t.Errorf("unlimited client produced %.0f B/s, not well above the limited client's %.0f B/s: the quota held it back too", freeRate, limitedRate)
	}
}

// TestUserQuotaHoldsAnonymousCallsWhenAuthenticationIsOff: with
// authentication off every call runs as User:ANONYMOUS, so a request rate
// for that user holds back every client's unary calls, which say so in the
// sluice-throttle-time-ms trailer and still succeed.
func TestUserQuotaHoldsAnonymousCallsWhenAuthenticationIsOff(t *testing.T) {
	b := servertest.Start(t)
	setQuota(t, b.AdminClient, userQuotaEntity("ANONYMOUS"), &sluicev1.QuotaValues{RequestRate: proto.Float64(2)})
	throttled := 0
	var held time.Duration
	for range 6 {
		var trailer metadata.MD
		start := time.Now()
		if _, err := b.AdminClient.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{}, grpc.Trailer(&trailer)); err != nil {
			t.Fatalf("throttled call failed: %v", err)
		}
		if v := trailer.Get("sluice-throttle-time-ms"); len(v) > 0 {
			ms, err := strconv.Atoi(v[0])
			if err != nil || ms <= 0 {
				t.Fatalf("trailer sluice-throttle-time-ms = %q", v)
			}
			throttled++
			held = time.Since(start)
			if held < time.Duration(ms)*time.Millisecond-5*time.Millisecond {
				t.Fatalf("call says it was held %d ms but returned after %v", ms, held)
			}
		}
	}
	// 2 requests a second with a burst of 2: six calls in a row wait for
	// about four of them.
	if throttled < 3 {
		t.Fatalf("%d of 6 calls at 2 requests/s were throttled, want most past the burst", throttled)
	}
	list, err := b.AdminClient.ListQuotas(t.Context(), &sluicev1.ListQuotasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := list.GetQuotas(); len(got) != 1 || got[0].GetEntity().GetUser().GetName() != "User:ANONYMOUS" {
		t.Fatalf("quotas %v, want the one for User:ANONYMOUS (a name without a type is a user)", got)
	}
}

func TestQuotaAdminRefusesBadRequests(t *testing.T) {
	b := servertest.Start(t)
	ctx := t.Context()
	rate := &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(1000)}
	cases := []struct {
		name  string
		req   *sluicev1.SetQuotaRequest
		field string
	}{
		{"no entity", &sluicev1.SetQuotaRequest{Values: rate}, "entity"},
		{"part with neither name nor default", &sluicev1.SetQuotaRequest{Entity: &sluicev1.QuotaEntity{User: &sluicev1.QuotaEntityPart{}}, Values: rate}, "entity.user"},
		{"empty client id", &sluicev1.SetQuotaRequest{Entity: clientEntity(""), Values: rate}, "entity.client_id.name"},
		{"no values", &sluicev1.SetQuotaRequest{Entity: clientEntity("a")}, "values"},
		{"zero rate", &sluicev1.SetQuotaRequest{Entity: clientEntity("a"), Values: &sluicev1.QuotaValues{FetchBytesRate: proto.Int64(0)}}, "values.fetch_bytes_rate"},
		{"negative request rate", &sluicev1.SetQuotaRequest{Entity: clientEntity("a"), Values: &sluicev1.QuotaValues{RequestRate: proto.Float64(-1)}}, "values.request_rate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.AdminClient.SetQuota(ctx, c.req)
			checkBadRequest(t, checkStatus(t, err, codes.InvalidArgument), c.field)
		})
	}
	_, err := b.AdminClient.DeleteQuota(ctx, &sluicev1.DeleteQuotaRequest{Entity: clientEntity("nobody")})
	checkStatus(t, err, codes.NotFound, `client-id="nobody"`)

	long := asClient(ctx, strings.Repeat("x", 256))
	_, err = b.AdminClient.ListTopics(long, &sluicev1.ListTopicsRequest{})
	checkBadRequest(t, checkStatus(t, err, codes.InvalidArgument), "sluice-client-id")
}

// TestFetchOverItsQuotaIsHeldToIt reads 4 MiB as a client with a fetch quota
// of 1 MiB/s: past the first second's burst, responses come at the quota
// and say they were throttled.
func TestFetchOverItsQuotaIsHeldToIt(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "quota", 1)
	value := make([]byte, 1000)
	for range 64 {
		recs := make([]*sluicev1.Record, 64)
		for i := range recs {
			recs[i] = &sluicev1.Record{Value: value}
		}
		b.Produce(t, "quota", 0, recs...)
	}
	const limit = 1 << 20
	setQuota(t, b.AdminClient, clientEntity("reader"), &sluicev1.QuotaValues{FetchBytesRate: proto.Int64(limit)})
	ctx, cancel := context.WithTimeout(asClient(t.Context(), "reader"), time.Minute)
	defer cancel()
	stream, err := b.FetchClient.Fetch(ctx, &sluicev1.FetchRequest{Topic: "quota", MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var firstThrottled time.Time
	bytesAfter, records := 0, 0
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		records += len(resp.GetRecords())
		if resp.GetThrottleTimeMs() > 0 {
			if firstThrottled.IsZero() {
				firstThrottled = time.Now()
				continue
			}
			bytesAfter += proto.Size(resp)
		}
	}
	if records != 64*64 {
		t.Fatalf("read %d records, want %d", records, 64*64)
	}
	if firstThrottled.IsZero() {
		t.Fatal("no fetch response was throttled")
	}
	rate := float64(bytesAfter) / time.Since(firstThrottled).Seconds()
	t.Logf("throttled fetch: %d bytes at %.0f B/s (quota %d)", bytesAfter, rate, limit)
	if ratio := rate / limit; ratio < 0.8 || ratio > 1.2 {
		t.Errorf("throttled fetch ran at %.0f B/s, %.2f times its quota; want within 20%%", rate, ratio)
	}
}

// TestQuotaChangeTakesEffectOnEveryBroker sets a quota through one broker of
// three and polls each broker, as the limited client, until its produce
// responses are throttled; then deletes it and polls until none is.
func TestQuotaChangeTakesEffectOnEveryBroker(t *testing.T) {
	c := startCluster(t, 3)
	conns := map[uint64]*grpc.ClientConn{1: c.conn(1), 2: c.conn(2), 3: c.conn(3)}
	admin := sluicev1.NewAdminServiceClient(conns[1])
	if _, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "quota", Partitions: 1, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	// 20,000 bytes at 10,000 B/s (a burst of 10,000): about 1 s held.
	req := &sluicev1.ProduceRequest{Topic: "quota", Partition: proto.Int32(0), Records: []*sluicev1.Record{{Value: make([]byte, 20000)}}}
	// throttleOn sends the request to broker id as the client "slow" and
	// returns the throttle time of its response, checking that the
	// response was held that long.
	throttleOn := func(id uint64) (int32, error) {
		ctx, cancel := context.WithTimeout(asClient(t.Context(), "slow"), 30*time.Second)
		defer cancel()
		stream, err := sluicev1.NewProduceServiceClient(conns[id]).Produce(ctx)
		if err != nil {
			return 0, err
		}
		sent := time.Now()
		if err := stream.Send(req); err != nil {
			return 0, err
		}
		resp, err := stream.Recv()
		if err != nil {
			return 0, err
		}
		if resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
			return 0, produceFailed{resp}
		}
		ms := resp.GetThrottleTimeMs()
		if held := time.Since(sent); held < time.Duration(ms)*time.Millisecond-5*time.Millisecond {
			return 0, fmt.Errorf("%w: response says it was held %d ms but came after %v", errHeldShort, ms, held)
		}
		return ms, nil
	}
	for id := range conns {
		if ms, err := throttleOn(id); err != nil || ms != 0 {
			t.Fatalf("broker %d before any quota: throttle %d ms, error %v", id, ms, err)
		}
	}
	awaitEverywhere := func(what string, want func(int32) bool) {
		t.Helper()
		set := time.Now()
		// took is, per broker, when the first request whose response
		// showed the change was sent: what the change took to reach the
		// broker at most, without the time the response was held.
		var wg sync.WaitGroup
		took := map[uint64]time.Duration{}
		var mu sync.Mutex
		for id := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				deadline := time.Now().Add(20 * time.Second)
				for time.Now().Before(deadline) {
					sent := time.Since(set)
					ms, err := throttleOn(id)
					if errors.Is(err, errHeldShort) {
						t.Errorf("broker %d: %v", id, err)
						return
					}
					if err == nil && want(ms) {
						mu.Lock()
						took[id] = sent
						mu.Unlock()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
		}
		wg.Wait()
		for id := range conns {
			if _, ok := took[id]; !ok {
				t.Fatalf("broker %d: %s within 20 s", id, what)
			}
		}
		t.Logf("%s: %v", what, took)
	}
	setQuota(t, admin, clientEntity("slow"), &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(10000)})
	awaitEverywhere("quota enforced", func(ms int32) bool { return ms > 0 })
	if _, err := admin.DeleteQuota(t.Context(), &sluicev1.DeleteQuotaRequest{Entity: clientEntity("slow")}); err != nil {
		t.Fatal(err)
	}
	awaitEverywhere("quota lifted", func(ms int32) bool { return ms == 0 })
}

// quotaCases are the bad-input suite's quota requests: odd names (any
// string within 255 bytes names a user or client id, as in Kafka), extreme
// rates, unknown types.
func (s *suite) quotaCases() []edgeCase {
	a := s.b.AdminClient
	bad, ok := codes.InvalidArgument, codes.OK
	var out []edgeCase
	for _, n := range oddNames {
		want, gone := ok, ok
		if bigName(n.s) {
			want, gone = bad, bad
		}
		rate := &sluicev1.QuotaValues{RequestRate: proto.Float64(1e6)}
		out = append(out,
			edgeCase{"quota name " + n.label + "/set user", unaryCall(a.SetQuota, &sluicev1.SetQuotaRequest{Entity: userQuotaEntity(n.s), Values: rate}), want},
			edgeCase{"quota name " + n.label + "/set client id", unaryCall(a.SetQuota, &sluicev1.SetQuotaRequest{Entity: clientEntity(n.s), Values: rate}), want},
			edgeCase{"quota name " + n.label + "/delete user", unaryCall(a.DeleteQuota, &sluicev1.DeleteQuotaRequest{Entity: userQuotaEntity(n.s)}), gone},
			edgeCase{"quota name " + n.label + "/delete client id", unaryCall(a.DeleteQuota, &sluicev1.DeleteQuotaRequest{Entity: clientEntity(n.s)}), gone},
		)
	}
	e := clientEntity("odd-rates")
	set := func(v *sluicev1.QuotaValues) func(t *testing.T) error {
		return unaryCall(a.SetQuota, &sluicev1.SetQuotaRequest{Entity: e, Values: v})
	}
	return append(out,
		edgeCase{"quota/request rate NaN", set(&sluicev1.QuotaValues{RequestRate: proto.Float64(math.NaN())}), bad},
		edgeCase{"quota/request rate +Inf", set(&sluicev1.QuotaValues{RequestRate: proto.Float64(math.Inf(1))}), bad},
		edgeCase{"quota/request rate smallest positive", set(&sluicev1.QuotaValues{RequestRate: proto.Float64(math.SmallestNonzeroFloat64)}), ok},
		edgeCase{"quota/produce rate MinInt64", set(&sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(math.MinInt64)}), bad},
		edgeCase{"quota/fetch rate MaxInt64", set(&sluicev1.QuotaValues{FetchBytesRate: proto.Int64(math.MaxInt64)}), ok},
		edgeCase{"quota/delete unknown type", unaryCall(a.DeleteQuota, &sluicev1.DeleteQuotaRequest{Entity: e, Types: []sluicev1.QuotaType{99}}), bad},
		edgeCase{"quota/delete unspecified type", unaryCall(a.DeleteQuota, &sluicev1.DeleteQuotaRequest{Entity: e, Types: []sluicev1.QuotaType{0}}), bad},
		edgeCase{"quota/delete", unaryCall(a.DeleteQuota, &sluicev1.DeleteQuotaRequest{Entity: e}), ok},
		edgeCase{"quota/both parts default", unaryCall(a.SetQuota, &sluicev1.SetQuotaRequest{Entity: &sluicev1.QuotaEntity{
			User:     &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_IsDefault{IsDefault: true}},
			ClientId: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_IsDefault{IsDefault: false}},
		}, Values: &sluicev1.QuotaValues{RequestRate: proto.Float64(1e6)}}), bad},
	)
}
