// Package server is the Sluice broker: the public gRPC services, routing and
// validation, on top of partition replicas and the metadata state machine,
// which run as raft groups on the multi-raft engine over Badger storage.
package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/authz"
	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/group"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/server/transport"
	"github.com/sluice-io/sluice/storage"
)

// Config sets up a broker.
type Config struct {
	// NodeID is the broker's id; 0 means 1.
	NodeID uint64
	// Storage configures the broker's Badger database.
	Storage storage.Options
	// AdvertiseAddr is the address clients are told to dial for this broker;
	// empty means the listener's address.
	AdvertiseAddr string
	// Rack names the failure domain of this broker (a rack, a zone); placement
	// puts a partition's replicas on as many racks as it can. Empty: none.
	Rack string
	// Limits bound what clients may send, what the broker buffers and what
	// it sends its peers (limits.go); zero fields take their defaults.
	Limits Limits
	// MetadataSnapshotEntries is how many metadata entries apply between
	// compactions of the metadata log to a snapshot of the state (which a
	// joining or lagging broker is sent); 0 means 1024.
	MetadataSnapshotEntries int
	// Controllers are the voters of the metadata group of a new cluster, broker
	// id to address, given identically to each of them; empty means a cluster
	// of this one broker. A restart needs only the data directory.
	Controllers map[uint64]string
	// Join is the address of a broker of an existing cluster that this new
	// broker asks to be added; it then follows the metadata as a learner.
	Join string
	// WrapTransport, when set, wraps the transport that carries this broker's
	// raft messages to its peers: the seam through which tests inject network
	// faults (drops, partitions) without flags inside the broker.
	WrapTransport func(engine.Transport) engine.Transport
	// RetentionMs and RetentionBytes are the retention limits of topics
	// that set no retention.ms or retention.bytes; -1 is unlimited. 0 means
	// the defaults: 7 days, unlimited (Kafka's).
	RetentionMs, RetentionBytes int64
	// RetentionCheckInterval is how often leaders look for records past
	// their retention; 0 means 30 s.
	RetentionCheckInterval time.Duration
	// TickInterval is raft's clock (elections after 10 ticks); 0: 100 ms.
	TickInterval time.Duration
	// OffsetsPartitions is the partition count of the offsets topic that
	// holds consumer groups, created on first use; 0 means 8.
	OffsetsPartitions int
	// KeepaliveTime is how long a client connection may be silent before
	// the broker pings it, and KeepaliveTimeout how long it then waits for
	// the answer before closing the connection. They end the streams of a
	// client whose host died or whose network went away without closing
	// its connections, and free what those streams hold (goroutines,
	// buffers, admitted produce bytes); gRPC's default waits two hours.
	// 0 means 30 s and 10 s.
	KeepaliveTime, KeepaliveTimeout time.Duration
	// OffsetsCompactRecords bounds the group coordinator's log: once an
	// offsets partition holds this many records more than its groups' state
	// takes, the coordinator restates the state and drops what is before
	// it, so a new coordinator replays at most about this many; 0 means
	// 100,000 (server/group.DefaultCompactRecords).
	OffsetsCompactRecords int
	// GroupLagPerPartition exports consumer lag per partition as well as
	// per topic (sluice_consumer_group_partition_lag_records): a series per
	// group and partition, so off by default (docs/metrics.md).
	GroupLagPerPartition bool
	// TLS, when its certificate and key are set, serves clients and peers
	// over TLS and makes brokers talk mTLS (tls.go). Zero: plaintext.
	TLS security.TLSFiles
	// PrincipalMappingRules turn a verified client certificate's subject
	// into the principal its calls run as (security.ParseRules); the zero
	// value is DEFAULT, the whole DN.
	PrincipalMappingRules security.Rules
	// Authentication says how clients prove who they are (auth.go); off by
	// default.
	Authentication AuthConfig
	// CertPrincipal, when set, names the principal of a call's verified
	// client certificate (server/security's mapping rules); with "mtls"
	// authentication it is the principal of a call that sends no token or
	// Basic credentials.
	CertPrincipal func(ctx context.Context) (security.Principal, bool)
	// Authorization turns ACL checks on (docs/security.md): every request
	// is then allowed only what the ACLs in the metadata grant its
	// principal, and nothing when no ACL matches. Off, everything is
	// allowed, as without ACLs.
	Authorization bool
	// SuperUsers are principals ("User:admin") allowed everything when
	// authorization is on.
	SuperUsers []string
	// AllowEveryoneIfNoACL allows, when authorization is on, any operation on
	// a resource no ACL names at all (Kafka's allow.everyone.if.no.acl.found).
	AllowEveryoneIfNoACL bool
	// Authenticate, when set, runs before every client call and returns the
	// context the call runs with, carrying its principal
	// (security.WithPrincipal); an error ends the call with that error. It
	// is the seam the authentication interceptors plug into, and through
	// which tests name the caller. Unset, every call runs as
	// security.Anonymous.
	Authenticate func(ctx context.Context) (context.Context, error)
	// ShutdownTimeout bounds how long Shutdown waits for requests in flight.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

func (c *Config) setDefaults() {
	if c.NodeID == 0 {
		c.NodeID = 1
	}
	if c.OffsetsPartitions <= 0 {
		c.OffsetsPartitions = defaultOffsetsPartitions
	}
	if c.RetentionMs == 0 {
		c.RetentionMs = int64(defaultRetentionMs)
	}
	if c.RetentionBytes == 0 {
		c.RetentionBytes = -1
	}
	if c.RetentionCheckInterval <= 0 {
		c.RetentionCheckInterval = defaultRetentionInterval
	}
	if c.KeepaliveTime <= 0 {
		c.KeepaliveTime = 30 * time.Second
	}
	if c.KeepaliveTimeout <= 0 {
		c.KeepaliveTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Authentication.setDefaults()
}

// leaderGrace bounds how long a starting broker waits for its replicas to
// learn their leaders before it serves clients anyway.
const leaderGrace = 5 * time.Second

// handOffTimeout bounds how long a stopping broker waits for its leaderships
// to move.
const handOffTimeout = 5 * time.Second

// Broker is one Sluice broker.
type Broker struct {
	cfg         Config
	log         *slog.Logger
	incarnation uint64

	db     *storage.DB
	eng    *engine.Engine
	peer   *transport.Transport
	tls    *security.Material // nil without TLS
	meta   *raftmeta.FSM
	groups *group.Coordinator
	grpc   *grpc.Server
	// producerIDs hands out idempotent producer ids (producerids.go).
	producerIDs *producerIDs
	health      *health.Server
	// metrics is the broker's registry and front-door series (metrics.go),
	// served by AdminHandler.
	metrics *metrics
	// auth resolves calls to principals when authentication is on (auth.go).
	auth *authenticator
	// authz decides access when authorization is on; nil when it is off.
	authz *authz.Authorizer

	// imx is what the broker observes for its internal metrics
	// (metrics_internal.go).
	imx *internalMetrics

	mu       sync.RWMutex
	replicas map[uint64]*replica.Replica
	// caches is the budget the replicas' caches share (CacheBudgetBytes).
	caches *storage.CacheBudget

	inflight  drain
	connMu    sync.Mutex
	conns     map[string]*grpc.ClientConn // to other brokers, for forwarding
	joinPeers map[uint64]string           // addresses learnt when joining

	reportMu    sync.Mutex
	reports     map[uint64]leaderReport // partition leaderships to record
	reportCh    chan struct{}
	reconcileCh chan struct{}
	reconciled  atomic.Uint64 // metadata index the local replicas match
	ready       atomic.Bool   // registered and replicas started: clients served
	stopping    chan struct{} // closed when Shutdown starts: ends follow streams
	// lifetime is cancelled when Shutdown starts: the context of the
	// broker's own background requests (leader reports, joining).
	lifetime  context.Context
	endLife   context.CancelFunc
	bg        sync.WaitGroup
	closeOnce sync.Once

	// failed is closed when the broker's storage failed (failure.go):
	// nothing it writes is durable any more, so it stops.
	failOnce sync.Once
	failed   chan struct{}
	failErr  error // set before failed is closed

	states stateLog   // state change lines (statelog.go)
	reqIDs requestIDs // the broker's request ids (requestid.go)
}

// New opens the broker's storage and starts its raft groups. It serves
// nothing until Serve.
func New(cfg Config) (*Broker, error) {
	cfg.setDefaults()
	b := &Broker{
		cfg:         cfg,
		log:         cfg.Logger,
		incarnation: randomUint64(),
		replicas:    make(map[uint64]*replica.Replica),
		conns:       make(map[string]*grpc.ClientConn),
		joinPeers:   make(map[uint64]string),
		reports:     make(map[uint64]leaderReport),
		reportCh:    make(chan struct{}, 1),
		reconcileCh: make(chan struct{}, 1),
		stopping:    make(chan struct{}),
		failed:      make(chan struct{}),
		producerIDs: newProducerIDs(),
		metrics:     newMetrics(),
		imx:         newInternalMetrics(),
	}
	b.lifetime, b.endLife = context.WithCancel(context.Background())
	b.states.init()
	b.reqIDs.init(cfg.NodeID, b.incarnation)
	db, err := storage.Open(cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	b.db = db
	if err := b.cfg.Authentication.validate(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := b.checkLimits(); err != nil {
		_ = db.Close()
		return nil, err
	}
	b.caches = storage.NewCacheBudget(b.cfg.Limits.CacheBudgetBytes)
	if err := b.loadTLS(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := b.startRaft(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := b.newGRPCServer(); err != nil {
		b.closeStorage()
		return nil, err
	}
	b.registerMetrics()
	return b, nil
}

// checkLimits sets the limits' defaults, which depend on the storage, and
// refuses limits that cannot work together.
func (b *Broker) checkLimits() error {
	b.cfg.Limits.setDefaults(b.db.MaxEntryBytes())
	if err := b.cfg.Limits.validate(b.db.MaxEntryBytes()); err != nil {
		return err
	}
	return b.cfg.checkPeerLimits()
}

func (b *Broker) startRaft() error {
	var out engine.Transport = engine.TransportFunc(func(msgs []engine.Envelope) { b.peer.Send(msgs) })
	if b.cfg.WrapTransport != nil {
		out = b.cfg.WrapTransport(out)
	}
	eng, err := engine.New(engine.Config{
		NodeID: b.cfg.NodeID, DB: b.db, Logger: b.log, TickInterval: b.cfg.TickInterval, Transport: out,
		MaxSizePerMsg: maxAppendBytes, MaxInflightBytes: uint64(b.cfg.Limits.MaxInflightBytes),
		MaxInboxBytes: b.cfg.Limits.RaftInboxBytes,
	})
	if err != nil {
		return err
	}
	b.eng = eng
	tcfg := transport.Config{
		NodeID: b.cfg.NodeID, Engine: eng, Resolve: b.peerAddr, Logger: b.log,
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(b.peerCreds())},
		BatchBytes:  b.cfg.Limits.PeerBatchBytes, QueueBytes: b.cfg.Limits.PeerQueueBytes,
		MaxMessageBytes: peerRecvLimit(b.cfg) - transport.BatchOverhead,
	}
	if b.tls != nil {
		tcfg.Authenticate = b.authenticateRaft
		tcfg.DialOptionsFor = func(node uint64) []grpc.DialOption {
			return []grpc.DialOption{grpc.WithTransportCredentials(b.tls.PeerCredentialsFor(node))}
		}
	}
	b.peer = transport.New(tcfg)
	meta, err := raftmeta.Open(raftmeta.Config{
		NodeID: b.cfg.NodeID, Incarnation: b.incarnation, DB: b.db,
		Notify: eng.Notify, OnChange: b.triggerReconcile, SnapshotEntries: b.cfg.MetadataSnapshotEntries,
	})
	if err != nil {
		return err
	}
	b.meta = meta
	b.auth = newAuthenticator(b)
	b.newAuthorizer()
	b.groups = b.newCoordinator()
	if err := eng.AddGroup(raftmeta.Group, b.controllerIDs(), meta); err != nil {
		return err
	}
	eng.Start()
	b.bg.Add(5)
	go b.watchStorage()
	go b.reconcileLoop()
	go b.reportLeaders()
	go b.balanceLeaders()
	go b.retentionLoop()
	b.bg.Add(1)
	go b.writeStateLog()
	if b.cfg.Authentication.Enabled() {
		b.bg.Add(1)
		go b.authKeyLoop()
	}
	b.triggerReconcile()
	return nil
}

// Serve serves gRPC on lis until Shutdown. It registers the broker in the
// metadata once the cluster has a controller (peers reach the controller
// through this same listener, so it serves first), then logs that it serves.
func (b *Broker) Serve(ctx context.Context, lis net.Listener) error {
	addr := b.cfg.AdvertiseAddr
	if addr == "" {
		addr = lis.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- b.grpc.Serve(lis) }()
	if b.cfg.Join != "" {
		b.bg.Add(1)
		go b.joinLoop(addr)
	}
	regc := make(chan error, 1)
	go func() { regc <- b.register(ctx, addr) }()
	for {
		select {
		case err := <-errc:
			return err
		case err := <-regc:
			if errors.Is(err, errShuttingDown) {
				<-errc // Shutdown stops the server
				return nil
			}
			if err != nil {
				b.grpc.Stop()
				<-errc
				return err
			}
			if err := b.awaitReplicas(ctx); err != nil {
				if errors.Is(err, errShuttingDown) {
					<-errc
					return nil
				}
				b.grpc.Stop()
				<-errc
				return err
			}
			if err := b.createBootstrapUsers(ctx); err != nil {
				if errors.Is(err, errShuttingDown) {
					<-errc
					return nil
				}
				b.grpc.Stop()
				<-errc
				return err
			}
			b.ready.Store(true)
			b.setHealth(healthpb.HealthCheckResponse_SERVING)
			b.log.Info("sluice broker serving", "node", b.cfg.NodeID, "addr", lis.Addr().String())
			regc = nil
		case <-b.eng.Failed():
			err := fmt.Errorf("raft engine failed: %w", b.eng.Err())
			b.storageFailed(err)
			// Nothing will commit any more: fail every waiting request now
			// rather than leave clients (and shutdown) waiting on them.
			b.closeReplicas()
			b.grpc.Stop()
			<-errc
			return err
		case <-b.failed:
			b.giveUp()
			b.grpc.Stop()
			<-errc
			return b.failErr
		}
	}
}

// awaitReplicas waits until the local replicas match the metadata as it is
// now, so that the first client requests find the partitions they ask for,
// and then, for at most leaderGrace, until they know their leaders (a
// partition whose quorum is down must not keep the broker from serving).
func (b *Broker) awaitReplicas(ctx context.Context) error {
	want := b.meta.State().GetAppliedIndex()
	b.triggerReconcile()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var graceEnd time.Time
	for {
		if b.reconciled.Load() >= want {
			if graceEnd.IsZero() {
				graceEnd = time.Now().Add(leaderGrace)
			}
			if b.leadersKnown() || time.Now().After(graceEnd) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.stopping:
			return errShuttingDown
		case <-tick.C:
		}
	}
}

// leadersKnown reports whether every local replica knows its leader.
func (b *Broker) leadersKnown() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, r := range b.replicas {
		if r.Leader() == 0 {
			return false
		}
	}
	return true
}

// register records this broker (and the cluster id, first time) in the
// metadata, retrying while the metadata group elects its leader.
func (b *Broker) register(ctx context.Context, addr string) error {
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_RegisterBroker{
		RegisterBroker: &internalv1.RegisterBroker{
			Broker:    &internalv1.BrokerInfo{Id: b.cfg.NodeID, Address: addr, Rack: b.cfg.Rack},
			ClusterId: newID(),
		},
	}}
	for {
		if b.isRegistered(addr) {
			return nil
		}
		// A proposal forwarded to a controller that then lost its leadership
		// can vanish without a trace, so each attempt has its own deadline.
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := b.meta.Propose(attempt, cmd)
		cancel()
		if err == nil {
			return nil
		}
		retry := errors.Is(err, raftmeta.ErrNoController) || errors.Is(err, raftmeta.ErrDropped) ||
			(errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil)
		if !retry {
			return fmt.Errorf("register broker: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("register broker: %w", ctx.Err())
		case <-b.stopping:
			return errShuttingDown
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (b *Broker) isRegistered(addr string) bool {
	for _, br := range b.meta.State().GetBrokers() {
		if br.GetId() == b.cfg.NodeID {
			return br.GetAddress() == addr && br.GetRack() == b.cfg.Rack
		}
	}
	return false
}

// Shutdown stops the broker gracefully: no new requests, streams told to end,
// requests in flight finished (up to ShutdownTimeout), raft stopped after its
// last cycle is durable, storage closed.
func (b *Broker) Shutdown() {
	b.closeOnce.Do(func() {
		if !b.hasFailed() {
			b.handOffLeadership()
		}
		close(b.stopping)
		b.endLife()
		b.health.Shutdown()
		if !b.inflight.closeAndWait(b.cfg.ShutdownTimeout) {
			b.log.Warn("client requests still in flight at shutdown timeout")
		}
		// Only now the raft streams from peers: requests in flight needed them.
		b.peer.Close()
		b.closeConns()
		done := make(chan struct{})
		go func() { b.grpc.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(b.cfg.ShutdownTimeout):
			b.log.Warn("requests still in flight at shutdown timeout; closing them")
			b.grpc.Stop()
			<-done
		}
		b.closeStorage()
	})
}

// handOffLeadership moves this broker's partition leaderships to other
// replicas before it stops, so producers see a leader change instead of an
// election timeout. Requests keep flowing meanwhile: a replica that stopped
// leading forwards them to its successor.
func (b *Broker) handOffLeadership() {
	if b.eng.LeadsReplicated() == 0 {
		return
	}
	b.eng.HandOffLeadership()
	deadline := time.Now().Add(handOffTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for b.eng.LeadsReplicated() > 0 && time.Now().Before(deadline) {
		<-tick.C
	}
	if n := b.eng.LeadsReplicated(); n > 0 {
		b.log.Warn("stopping while still leading", "groups", n)
	}
}

func (b *Broker) closeStorage() {
	if !b.hasFailed() {
		b.closeStorageNow()
		return
	}
	// A failed disk may never let the engine's last write or badger's
	// close return (badger retries its flushes forever): the broker stops
	// without them.
	done := make(chan struct{})
	go func() { b.closeStorageNow(); close(done) }()
	select {
	case <-done:
	case <-time.After(failedCloseTimeout):
		b.log.Error("failed storage did not close; stopping without it", "timeout", failedCloseTimeout)
	}
}

func (b *Broker) closeStorageNow() {
	b.groups.Close()
	b.eng.Stop()
	b.peer.Close()
	b.bg.Wait()
	b.closeReplicas()
	if err := b.db.Close(); err != nil {
		b.log.Error("close storage", "err", err)
	}
}

// controllerIDs are the voters a new metadata group starts with; none for a
// joining broker, which waits to be added by the controller.
func (b *Broker) controllerIDs() []uint64 {
	if b.cfg.Join != "" && len(b.cfg.Controllers) == 0 {
		return nil
	}
	if len(b.cfg.Controllers) == 0 {
		return []uint64{b.cfg.NodeID}
	}
	ids := make([]uint64, 0, len(b.cfg.Controllers))
	for id := range b.cfg.Controllers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// peerAddr resolves a broker's address: from the metadata once the broker
// registered, before that from the configured controllers or, for a joining
// broker, from the join response.
func (b *Broker) peerAddr(id uint64) (string, bool) {
	for _, br := range b.meta.State().GetBrokers() {
		if br.GetId() == id {
			return br.GetAddress(), true
		}
	}
	if addr, ok := b.cfg.Controllers[id]; ok {
		return addr, true
	}
	b.connMu.Lock()
	defer b.connMu.Unlock()
	addr, ok := b.joinPeers[id]
	return addr, ok
}

// notLeader describes a partition this broker cannot serve, naming the
// leader it last heard of (0: none) and the leader's address.
func (b *Broker) notLeader(topic string, partition int32, leader uint64) error {
	e := &notLeaderError{topic: topic, partition: partition, leader: leader}
	if leader != 0 {
		if addr, ok := b.peerAddr(leader); ok {
			e.addr = addr
		} else {
			e.leader = 0
		}
	}
	return e
}

// notHosted is the error for a read of a partition with no replica here: a
// retryable not-leader error naming otherReplica (0 when there is none).
func (b *Broker) notHosted(topic string, p *internalv1.PartitionInfo) error {
	return b.notLeader(topic, p.GetPartition(), b.otherReplica(p))
}

// otherReplica is the broker to read a partition from when this one cannot:
// its leader as the metadata knows it, else its first replica; never this
// broker, and 0 when no other broker has a replica.
func (b *Broker) otherReplica(p *internalv1.PartitionInfo) uint64 {
	if others := b.otherReplicas(p); len(others) > 0 {
		return others[0]
	}
	return 0
}

// otherReplicas lists the brokers to try for a partition this broker cannot
// serve: its leader as the metadata knows it first, then its other replicas;
// never this broker.
func (b *Broker) otherReplicas(p *internalv1.PartitionInfo) []uint64 {
	var out []uint64
	for _, id := range append([]uint64{p.GetLeader()}, p.GetReplicas()...) {
		if id != 0 && id != b.cfg.NodeID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (b *Broker) isStopping() bool {
	select {
	case <-b.stopping:
		return true
	default:
		return false
	}
}

// closeReplicas fails the requests waiting on every local replica.
func (b *Broker) closeReplicas() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.replicas {
		r.Close()
	}
}

// replica returns the local replica of a raft group, nil if not hosted here.
func (b *Broker) replica(group uint64) *replica.Replica {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.replicas[group]
}

func randomUint64() uint64 {
	var buf [8]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails on supported platforms
	return binary.LittleEndian.Uint64(buf[:])
}
