package sluice

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// clientIDKey is the call metadata that names the client (WithClientID).
const clientIDKey = "sluice-client-id"

// Option configures a Client.
type Option func(*clientOptions)

type clientOptions struct {
	dialOptions    []grpc.DialOption
	metadataMaxAge time.Duration
	requestTimeout time.Duration
	minRefresh     time.Duration
	scram          *scramConfig
	clientID       string
}

// WithDialOptions adds gRPC dial options, after the defaults (plaintext,
// 64 MiB messages): grpc.WithTransportCredentials for TLS, interceptors...
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *clientOptions) { o.dialOptions = append(o.dialOptions, opts...) }
}

// WithClientID names the client to the brokers (Kafka's client.id): every
// call carries it as the "sluice-client-id" metadata, and brokers apply the
// quotas set for it (sluice quota set --client-id). Without it calls name no
// client id and get only quotas for the default client id.
func WithClientID(id string) Option {
	return func(o *clientOptions) { o.clientID = id }
}

// WithMetadataMaxAge sets how often the routing metadata is refreshed even
// when nothing went wrong (default 1 minute).
func WithMetadataMaxAge(d time.Duration) Option {
	return func(o *clientOptions) { o.metadataMaxAge = d }
}

// WithRequestTimeout bounds each unary call to a broker (default 30 s).
func WithRequestTimeout(d time.Duration) Option {
	return func(o *clientOptions) { o.requestTimeout = d }
}

// Client is a connection to a Sluice cluster, shared by the producers,
// consumers and admin clients made from it. It dials each broker once
// (lazily) and caches the routing metadata. It is safe for concurrent use.
// Close it after them.
type Client struct {
	bootstrap []string
	opts      clientOptions
	auth      *SCRAMCredentials // WithSCRAM
	done      chan struct{}
	wg        sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	conns       map[string]*grpc.ClientConn
	brokers     map[uint64]Broker
	topics      map[string]*topicMeta
	controller  uint64
	preferred   string // the address that answered last
	refreshing  *refreshCall
	scheduled   bool // a rate-limited refresh waits to run
	lastRefresh time.Time
	watchers    map[int]func()
	nextWatcher int
}

// topicMeta is the cached routing of one topic.
type topicMeta struct {
	id         string
	leaders    []uint64
	epochs     []uint64 // leader epoch (raft term) of each leader; 0: unknown
	replicaIDs [][]uint64
}

type refreshCall struct {
	done chan struct{}
	err  error
}

// NewClient returns a client of the cluster reached through the bootstrap
// brokers ("host:port"; one is enough, the others are tried when it does
// not answer). It does not connect until the first request.
func NewClient(bootstrap []string, opts ...Option) (*Client, error) {
	if len(bootstrap) == 0 {
		return nil, errors.New("sluice: NewClient needs at least one bootstrap broker address")
	}
	o := clientOptions{metadataMaxAge: time.Minute, requestTimeout: 30 * time.Second, minRefresh: 50 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{
		bootstrap: slices.Clone(bootstrap), opts: o, done: make(chan struct{}),
		conns: map[string]*grpc.ClientConn{}, brokers: map[uint64]Broker{}, topics: map[string]*topicMeta{},
		watchers: map[int]func(){},
	}
	if s := o.scram; s != nil {
		creds, err := NewSCRAMCredentials(c.bootstrap, s.user, s.password, s.mechanism,
			append([]grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20))}, o.dialOptions...)...)
		if err != nil {
			return nil, err
		}
		c.auth = creds
		c.opts.dialOptions = append(slices.Clone(o.dialOptions), creds.DialOptions()...)
	}
	if o.metadataMaxAge > 0 {
		c.wg.Add(1)
		go c.refreshPeriodically()
	}
	return c, nil
}

// Close closes the connections. Close producers and consumers first.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	if c.auth != nil {
		errs = append(errs, c.auth.Close())
	}
	for addr, conn := range c.conns {
		errs = append(errs, conn.Close())
		delete(c.conns, addr)
	}
	return errors.Join(errs...)
}

// Metadata asks the cluster for its routing metadata (of the named topics, or
// all when none is named) and updates the client's cache with it.
func (c *Client) Metadata(ctx context.Context, topics ...string) (*Metadata, error) {
	resp, err := c.fetchMetadata(ctx, topics)
	if err != nil {
		return nil, err
	}
	c.apply(resp)
	return metadataFromProto(resp), nil
}

// conn returns the shared connection to a broker.
func (c *Client) conn(addr string) (*grpc.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if conn := c.conns[addr]; conn != nil {
		return conn, nil
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)),
	}, c.opts.dialOptions...)
	if id := c.opts.clientID; id != "" {
		opts = append(opts,
			grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
				return invoker(metadata.AppendToOutgoingContext(ctx, clientIDKey, id), method, req, reply, cc, callOpts...)
			}),
			grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
				return streamer(metadata.AppendToOutgoingContext(ctx, clientIDKey, id), desc, cc, method, callOpts...)
			}))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("sluice: dial %s: %w", addr, err)
	}
	c.conns[addr] = conn
	return conn, nil
}

// candidates lists the addresses to ask for cluster-wide requests: the one
// that answered last, the known brokers, then the bootstrap list.
func (c *Client) candidates() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(c.preferred)
	ids := make([]uint64, 0, len(c.brokers))
	for id := range c.brokers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		add(c.brokers[id].Address)
	}
	for _, a := range c.bootstrap {
		add(a)
	}
	return out
}

// callAny runs fn against one broker after another until one answers with
// something other than a retryable error. With idempotent false only the
// first broker is tried: the request may have taken effect.
func (c *Client) callAny(ctx context.Context, idempotent bool, fn func(ctx context.Context, conn *grpc.ClientConn) error) error {
	var last error
	rounds := 1
	if idempotent {
		rounds = 4
	}
	backoff := c.opts.minRefresh
	for round := range rounds {
		if round > 0 {
			if err := sleepCtx(ctx, jitter(backoff)); err != nil {
				return errors.Join(last, err)
			}
			backoff *= 4
		}
		for _, addr := range c.candidates() {
			conn, err := c.conn(addr)
			if err != nil {
				return err
			}
			cctx, cancel := context.WithTimeout(ctx, c.opts.requestTimeout)
			err = fromRPC(fn(cctx, conn))
			cancel()
			if err == nil {
				c.mu.Lock()
				c.preferred = addr
				c.mu.Unlock()
				return nil
			}
			last = err
			if !IsRetryable(err) || !idempotent || ctx.Err() != nil {
				return err
			}
		}
	}
	return last
}

// apply merges a metadata answer into the cache and wakes the watchers.
func (c *Client) apply(resp *sluicev1.GetMetadataResponse) {
	c.mu.Lock()
	if len(resp.GetBrokers()) > 0 {
		c.brokers = map[uint64]Broker{}
		for _, b := range resp.GetBrokers() {
			c.brokers[b.GetId()] = Broker{ID: b.GetId(), Address: b.GetAddress(), Rack: b.GetRack()}
		}
	}
	c.controller = resp.GetControllerId()
	for _, t := range resp.GetTopics() {
		old := c.topics[t.GetName()]
		tm := &topicMeta{id: t.GetTopicId()}
		for _, p := range t.GetPartitions() {
			for int(p.GetPartition()) >= len(tm.leaders) {
				tm.leaders = append(tm.leaders, 0)
				tm.epochs = append(tm.epochs, 0)
				tm.replicaIDs = append(tm.replicaIDs, nil)
			}
			i := p.GetPartition()
			tm.leaders[i], tm.epochs[i] = p.GetLeaderId(), p.GetLeaderEpoch()
			tm.replicaIDs[i] = slices.Clone(p.GetReplicaIds())
			if old != nil && old.id == tm.id && int(i) < len(old.leaders) && old.leaders[i] != 0 && old.epochs[i] > tm.epochs[i] {
				// A broker behind the others (cut off, or slow to hear of
				// an election) must not take the client back to an old leader.
				tm.leaders[i], tm.epochs[i] = old.leaders[i], old.epochs[i]
			}
		}
		c.topics[t.GetName()] = tm
	}
	c.lastRefresh = time.Now()
	watchers := make([]func(), 0, len(c.watchers))
	for _, w := range c.watchers {
		watchers = append(watchers, w)
	}
	c.mu.Unlock()
	for _, w := range watchers {
		w()
	}
}

// watch calls fn after every metadata update until the returned func is called.
func (c *Client) watch(fn func()) (stop func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextWatcher
	c.nextWatcher++
	c.watchers[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.watchers, id)
		c.mu.Unlock()
	}
}

// partitionCount returns the number of partitions of a topic, from the cache
// or, for a topic not seen yet, from the cluster.
func (c *Client) partitionCount(ctx context.Context, topic string) (int32, error) {
	c.mu.Lock()
	tm := c.topics[topic]
	c.mu.Unlock()
	if tm != nil {
		return int32(len(tm.leaders)), nil
	}
	if _, err := c.Metadata(ctx, topic); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tm := c.topics[topic]; tm != nil {
		return int32(len(tm.leaders)), nil
	}
	return 0, &Error{Code: codes.NotFound, Message: fmt.Sprintf("topic %q not found", topic)}
}

// leader returns the cached leader of a partition and its address; ok is
// false while either is unknown.
func (c *Client) leader(topic string, partition int32) (id uint64, addr string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := c.topics[topic]
	if tm == nil || int(partition) >= len(tm.leaders) {
		return 0, "", false
	}
	id = tm.leaders[partition]
	addr = c.brokers[id].Address
	return id, addr, id != 0 && addr != ""
}

// readAddr returns the address to read a partition from: its leader's, else
// a replica's.
func (c *Client) readAddr(topic string, partition int32) (string, bool) {
	if _, addr, ok := c.leader(topic, partition); ok {
		return addr, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if tm := c.topics[topic]; tm != nil && int(partition) < len(tm.replicaIDs) {
		for _, id := range tm.replicaIDs[partition] {
			if b, ok := c.brokers[id]; ok && b.Address != "" {
				return b.Address, true
			}
		}
	}
	return "", false
}

// noteLeader records a leader named by a not-leader error.
func (c *Client) noteLeader(nl *NotLeader) {
	if nl == nil || nl.LeaderID == 0 {
		return
	}
	c.mu.Lock()
	if tm := c.topics[nl.Topic]; tm != nil && int(nl.Partition) < len(tm.leaders) && nl.Partition >= 0 {
		tm.leaders[nl.Partition] = nl.LeaderID
	}
	if nl.LeaderAddress != "" {
		b := c.brokers[nl.LeaderID]
		b.ID, b.Address = nl.LeaderID, nl.LeaderAddress
		c.brokers[nl.LeaderID] = b
	}
	c.mu.Unlock()
}

// refresh fetches the metadata of every topic, sharing a fetch already under way.
func (c *Client) refresh(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	call := c.refreshing
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		c.refreshing = call
		c.wg.Add(1)
		go c.runRefresh(call)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) runRefresh(call *refreshCall) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.requestTimeout)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	resp, err := c.fetchMetadata(ctx, nil)
	if err == nil {
		c.apply(resp)
	}
	c.mu.Lock()
	call.err = err
	c.refreshing = nil
	c.mu.Unlock()
	close(call.done)
}

// refreshSoon starts a refresh in the background, at most one every
// minRefresh: it is called on every not-leader error.
func (c *Client) refreshSoon() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.refreshing != nil || c.scheduled {
		return
	}
	wait := c.opts.minRefresh - time.Since(c.lastRefresh)
	c.scheduled = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-c.done:
				return
			}
		}
		c.mu.Lock()
		c.scheduled = false
		c.mu.Unlock()
		_ = c.refresh(context.Background())
	}()
}

func (c *Client) refreshPeriodically() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.metadataMaxAge)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		c.mu.Lock()
		stale := len(c.topics) > 0 && time.Since(c.lastRefresh) >= c.opts.metadataMaxAge/2
		c.mu.Unlock()
		if stale {
			_ = c.refresh(context.Background())
		}
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter spreads a backoff over [0.8d, 1.2d).
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// backoffFor is base*2^(attempt-1), capped at max, with jitter.
func backoffFor(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return jitter(min(d, max))
}
