// Package raftmeta is the metadata state machine (Kafka's KRaft controller
// state): brokers, topics and partition placement, replicated as raft group 0.
// Every broker holds the whole state locally; readers get immutable snapshots.
package raftmeta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/storage"
)

// Group is the raft group id of the metadata.
const Group uint64 = 0

var (
	// ErrTopicExists is the outcome of creating a topic whose name is taken.
	ErrTopicExists = errors.New("topic already exists")
	// ErrTopicNotFound is the outcome of a command naming an unknown topic.
	ErrTopicNotFound = errors.New("topic not found")
	// ErrUserNotFound is the outcome of deleting a user there is none of.
	ErrUserNotFound = errors.New("user not found")
	// ErrNoController means the metadata group has no leader yet.
	ErrNoController = errors.New("the cluster has no controller yet; retry")
	// ErrDropped means the command did not commit (leadership changed); retry.
	ErrDropped = errors.New("the metadata change was not committed; retry")
	// ErrConflict means the topic changed between the proposer's check and
	// the command's commit (another change came first); retry.
	ErrConflict = errors.New("the topic was changed by another request at the same time; retry")
)

// Config sets up the state machine.
type Config struct {
	NodeID, Incarnation uint64
	DB                  *storage.DB
	// Notify tells the raft engine that group 0 has proposals.
	Notify func(group uint64)
	// OnChange runs (on the engine's goroutine; keep it short) after changes
	// become visible.
	OnChange func()
	// SnapshotEntries is how many entries the metadata log keeps applied
	// before it is compacted to a snapshot of the state (and how many a
	// restart replays at most); 0 means 1024.
	SnapshotEntries int
}

// persistEvery is how many applied entries may pass before the state is
// written again; a restart replays the entries after the last write.
const persistEvery = 64

// FSM is the metadata state machine; it implements engine.StateMachine.
type FSM struct {
	cfg Config

	// Owned by the engine's goroutines. working is never the published
	// state: readers hold that one, so changes go to a copy (cloned), which
	// Applied publishes; changed says whether more than the applied index
	// moved. The copy is shallow: a topic is cloned (and listed in fresh)
	// only when a command changes it, so applying a command costs what it
	// changes, not the size of the cluster.
	working *internalv1.MetadataState
	cloned  bool
	fresh   map[*internalv1.TopicInfo]bool
	changed bool
	results []result

	// unsaved counts the entries applied since the state was last staged
	// for storage; staged is that state, durable once Applied runs, and
	// durable the last such; compactedTo is where the log was compacted.
	unsaved     int
	staged      *savedState
	durable     *savedState
	compactedTo uint64

	published atomic.Pointer[view]

	mu      sync.Mutex // guards the proposal side
	pending [][]byte
	waiters map[uint64]chan error
	seq     uint64
	leader  uint64
}

// view is an immutable published state with its topics indexed by name,
// since every produce and fetch request looks its topic up.
type view struct {
	state  *internalv1.MetadataState
	topics map[string]*internalv1.TopicInfo
	// users is indexed too: every authenticated call may look one up.
	users map[string]*internalv1.ScramUser
}

func newView(st *internalv1.MetadataState) *view {
	v := &view{state: st, topics: make(map[string]*internalv1.TopicInfo, len(st.GetTopics()))}
	for _, t := range st.GetTopics() {
		v.topics[t.GetName()] = t
	}
	if len(st.GetUsers()) > 0 {
		v.users = make(map[string]*internalv1.ScramUser, len(st.GetUsers()))
		for _, u := range st.GetUsers() {
			v.users[u.GetName()] = u
		}
	}
	return v
}

type result struct {
	seq uint64
	err error
}

// savedState is the encoded state as of an applied index.
type savedState struct {
	index uint64
	raw   []byte
}

// Open loads the metadata state from storage.
func Open(cfg Config) (*FSM, error) {
	f := &FSM{cfg: cfg, working: &internalv1.MetadataState{NextGroup: 1}, waiters: make(map[uint64]chan error)}
	raw, err := cfg.DB.GroupState(Group)
	if err != nil {
		return nil, fmt.Errorf("load metadata: %w", err)
	}
	if raw != nil {
		if err := proto.Unmarshal(raw, f.working); err != nil {
			return nil, fmt.Errorf("decode metadata: %w", err)
		}
	}
	if err := f.loadNewerSnapshot(); err != nil {
		return nil, err
	}
	if cfg.SnapshotEntries <= 0 {
		f.cfg.SnapshotEntries = 1024
	}
	f.published.Store(newView(proto.CloneOf(f.working)))
	return f, nil
}

// loadNewerSnapshot takes the state from the metadata log's snapshot when it
// is newer than the state written last: the state is written every
// persistEvery entries, while the engine may snapshot (after a
// configuration change) at any applied index, and raft then resumes after
// the snapshot.
func (f *FSM) loadNewerSnapshot() error {
	log, err := f.cfg.DB.RaftLog(Group)
	if err != nil {
		return fmt.Errorf("load metadata log: %w", err)
	}
	snap, err := log.Snapshot()
	if err != nil {
		return fmt.Errorf("load metadata snapshot: %w", err)
	}
	at := snap.GetMetadata().GetIndex()
	f.compactedTo = at
	if at <= f.working.GetAppliedIndex() || len(snap.GetData()) == 0 {
		return nil
	}
	st := &internalv1.MetadataState{}
	if err := proto.Unmarshal(snap.GetData(), st); err != nil {
		return fmt.Errorf("decode metadata snapshot at %d: %w", at, err)
	}
	st.AppliedIndex = at
	f.working = st
	return nil
}

// State returns the current metadata; callers must not modify it.
func (f *FSM) State() *internalv1.MetadataState { return f.published.Load().state }

// Topic returns a topic by name, nil when there is none; callers must not
// modify it.
func (f *FSM) Topic(name string) *internalv1.TopicInfo {
	return f.published.Load().topics[name]
}

// User returns a user by name, nil when there is none; callers must not
// modify it.
func (f *FSM) User(name string) *internalv1.ScramUser {
	return f.published.Load().users[name]
}

// Leader is the controller as this broker last heard (0: unknown).
func (f *FSM) Leader() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

// Propose submits a command and waits until it applies, returning its outcome.
// Any broker may propose: raft forwards the proposal to the controller.
func (f *FSM) Propose(ctx context.Context, cmd *internalv1.MetadataCommand) error {
	f.mu.Lock()
	if f.leader == 0 {
		f.mu.Unlock()
		return ErrNoController
	}
	f.seq++
	seq := f.seq
	cmd = proto.CloneOf(cmd)
	cmd.Proposal = &internalv1.ProposalID{Node: f.cfg.NodeID, Incarnation: f.cfg.Incarnation, Seq: seq}
	data, err := proto.Marshal(cmd)
	if err != nil {
		f.mu.Unlock()
		return fmt.Errorf("encode metadata command: %w", err)
	}
	done := make(chan error, 1)
	f.waiters[seq] = done
	f.pending = append(f.pending, data)
	f.mu.Unlock()
	f.cfg.Notify(Group)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.waiters, seq)
		f.mu.Unlock()
		return ctx.Err()
	}
}

func (f *FSM) finish(seq uint64, err error) {
	f.mu.Lock()
	done := f.waiters[seq]
	delete(f.waiters, seq)
	f.mu.Unlock()
	if done != nil {
		done <- err
	}
}

// AppliedIndex implements engine.StateMachine.
func (f *FSM) AppliedIndex() uint64 { return f.working.GetAppliedIndex() }

// Proposals implements engine.StateMachine.
func (f *FSM) Proposals() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.pending
	f.pending = nil
	return out
}

// Dropped implements engine.StateMachine.
func (f *FSM) Dropped(data [][]byte, _ error) {
	for _, d := range data {
		var cmd internalv1.MetadataCommand
		if proto.Unmarshal(d, &cmd) == nil {
			f.finish(cmd.GetProposal().GetSeq(), ErrDropped)
		}
	}
}

// LeaderChanged implements engine.StateMachine. When the controller changes,
// commands waiting for their outcome may yet commit or may be lost; their
// waiters are told to retry, and a retried create meets ErrTopicExists.
func (f *FSM) LeaderChanged(leader, _ uint64) {
	f.mu.Lock()
	changed := leader != f.leader
	f.leader = leader
	var failed []chan error
	if changed {
		for seq, ch := range f.waiters {
			failed = append(failed, ch)
			delete(f.waiters, seq)
		}
		f.pending = nil
	}
	f.mu.Unlock()
	for _, ch := range failed {
		ch <- ErrDropped
	}
}

// Apply implements engine.StateMachine.
func (f *FSM) Apply(b *storage.Batch, ents []*raftpb.Entry) error {
	if len(ents) > 0 && !f.cloned {
		f.working = shallowCopy(f.working)
		f.cloned = true
		f.fresh = map[*internalv1.TopicInfo]bool{}
	}
	for _, ent := range ents {
		if ent.GetType() == raftpb.EntryNormal && len(ent.GetData()) > 0 {
			if err := f.applyEntry(ent); err != nil {
				return err
			}
		}
		f.working.AppliedIndex = ent.GetIndex()
	}
	f.unsaved += len(ents)
	if f.unsaved < persistEvery {
		return nil
	}
	return f.save(b)
}

// save stages the working state for storage.
func (f *FSM) save(b *storage.Batch) error {
	raw, err := proto.Marshal(f.working)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	b.PutGroupState(Group, raw)
	f.staged = &savedState{index: f.working.GetAppliedIndex(), raw: raw}
	f.unsaved = 0
	return nil
}

// shallowCopy copies the state's fields and lists, sharing their elements:
// brokers are replaced whole when they change, topics cloned by
// mutableTopic before they change; users and keys are replaced whole. Every
// field of MetadataState is here.
func shallowCopy(st *internalv1.MetadataState) *internalv1.MetadataState {
	return &internalv1.MetadataState{
		ClusterId:      st.GetClusterId(),
		NextGroup:      st.GetNextGroup(),
		Brokers:        slices.Clone(st.GetBrokers()),
		Topics:         slices.Clone(st.GetTopics()),
		AppliedIndex:   st.GetAppliedIndex(),
		NextProducerId: st.GetNextProducerId(),
		Users:          slices.Clone(st.GetUsers()),
		AuthKeys:       slices.Clone(st.GetAuthKeys()),
		Quotas:         st.GetQuotas(), // replaced whole when a quota changes
		// Shared, never changed in place: a change replaces the list, so
		// readers can tell by its identity whether the ACLs changed.
		Acls: st.GetAcls(),
	}
}

// mutableTopic returns topic i of the working state, cloned first unless
// this batch cloned it already (the published state shares the original).
func (f *FSM) mutableTopic(i int) *internalv1.TopicInfo {
	t := f.working.Topics[i]
	if f.fresh[t] {
		return t
	}
	t = proto.CloneOf(t)
	f.working.Topics[i] = t
	if f.fresh == nil {
		f.fresh = map[*internalv1.TopicInfo]bool{}
	}
	f.fresh[t] = true
	return t
}

func (f *FSM) applyEntry(ent *raftpb.Entry) error {
	var cmd internalv1.MetadataCommand
	if err := proto.Unmarshal(ent.GetData(), &cmd); err != nil {
		return fmt.Errorf("decode metadata entry %d: %w", ent.GetIndex(), err)
	}
	f.changed = true
	err := f.execute(&cmd)
	if p := cmd.GetProposal(); p.GetNode() == f.cfg.NodeID && p.GetIncarnation() == f.cfg.Incarnation {
		f.results = append(f.results, result{seq: p.GetSeq(), err: err})
	}
	return nil
}

// execute applies one command to the working state. Its outcome depends only on
// the state and the command, so every broker reaches the same state.
func (f *FSM) execute(cmd *internalv1.MetadataCommand) error {
	switch c := cmd.GetCommand().(type) {
	case *internalv1.MetadataCommand_CreateTopic:
		return f.createTopic(c.CreateTopic)
	case *internalv1.MetadataCommand_DeleteTopic:
		return f.deleteTopic(c.DeleteTopic.GetName())
	case *internalv1.MetadataCommand_PartitionLeader:
		f.partitionLeader(c.PartitionLeader)
		return nil
	case *internalv1.MetadataCommand_PartitionLeaders:
		for _, l := range c.PartitionLeaders.GetLeaders() {
			f.partitionLeader(l)
		}
		return nil
	case *internalv1.MetadataCommand_AlterTopicConfigs:
		return f.alterTopicConfigs(c.AlterTopicConfigs)
	case *internalv1.MetadataCommand_CreatePartitions:
		return f.createPartitions(c.CreatePartitions)
	case *internalv1.MetadataCommand_ReserveProducerIds:
		return f.reserveProducerIDs(c.ReserveProducerIds)
	case *internalv1.MetadataCommand_UpsertScramCredential:
		return f.upsertScramCredential(c.UpsertScramCredential)
	case *internalv1.MetadataCommand_DeleteUser:
		return f.deleteUser(c.DeleteUser.GetName())
	case *internalv1.MetadataCommand_AddAuthKey:
		return f.addAuthKey(c.AddAuthKey.GetKey())
	case *internalv1.MetadataCommand_SetQuota:
		return f.setQuota(c.SetQuota)
	case *internalv1.MetadataCommand_DeleteQuota:
		return f.deleteQuota(c.DeleteQuota)
	case *internalv1.MetadataCommand_CreateAcls:
		f.createAcls(c.CreateAcls.GetAcls())
		return nil
	case *internalv1.MetadataCommand_DeleteAcls:
		f.deleteAcls(c.DeleteAcls.GetAcls())
		return nil
	case *internalv1.MetadataCommand_RegisterBroker:
		if f.working.GetClusterId() == "" {
			f.working.ClusterId = c.RegisterBroker.GetClusterId()
		}
		f.registerBroker(c.RegisterBroker.GetBroker())
		return nil
	}
	return fmt.Errorf("unknown metadata command %T", cmd.GetCommand())
}

func (f *FSM) createTopic(c *internalv1.CreateTopic) error {
	// Each partition takes its replicas from the assignment; a command
	// without one for every partition is refused (alike on every broker)
	// rather than indexing past it.
	if int(c.GetPartitions()) != len(c.GetAssignment()) {
		return fmt.Errorf("create topic %q: %d partitions but %d replica assignments", c.GetName(), c.GetPartitions(), len(c.GetAssignment()))
	}
	for _, t := range f.working.GetTopics() {
		if t.GetName() == c.GetName() {
			return fmt.Errorf("%w: %q", ErrTopicExists, c.GetName())
		}
	}
	t := &internalv1.TopicInfo{
		Name: c.GetName(), TopicId: c.GetTopicId(), ReplicationFactor: c.GetReplicationFactor(), Configs: c.GetConfigs(),
	}
	for p := range c.GetPartitions() {
		t.Partitions = append(t.Partitions, &internalv1.PartitionInfo{
			Partition: p,
			Group:     f.working.GetNextGroup(),
			Replicas:  c.GetAssignment()[p].GetBrokers(),
		})
		f.working.NextGroup++
	}
	f.working.Topics = append(f.working.Topics, t)
	sort.Slice(f.working.Topics, func(i, j int) bool { return f.working.Topics[i].GetName() < f.working.Topics[j].GetName() })
	return nil
}

func (f *FSM) deleteTopic(name string) error {
	for i, t := range f.working.GetTopics() {
		if t.GetName() == name {
			f.working.Topics = append(f.working.Topics[:i:i], f.working.Topics[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrTopicNotFound, name)
}

// topic returns the working state's topic of that name and id, to change.
func (f *FSM) topic(name, id string) (*internalv1.TopicInfo, error) {
	for i, t := range f.working.GetTopics() {
		if t.GetName() == name && (id == "" || t.GetTopicId() == id) {
			return f.mutableTopic(i), nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrTopicNotFound, name)
}

// alterTopicConfigs sets and removes configs; the proposer validated them.
func (f *FSM) alterTopicConfigs(c *internalv1.AlterTopicConfigs) error {
	t, err := f.topic(c.GetName(), c.GetTopicId())
	if err != nil {
		return err
	}
	cfgs := make(map[string]string, len(t.GetConfigs())+len(c.GetSetConfigs()))
	for k, v := range t.GetConfigs() {
		cfgs[k] = v
	}
	for _, k := range c.GetDeleteConfigs() {
		delete(cfgs, k)
	}
	for k, v := range c.GetSetConfigs() {
		cfgs[k] = v
	}
	t.Configs = cfgs
	return nil
}

// createPartitions appends partitions, each a new raft group, to a topic.
// Partitions are never removed or renumbered, so records keep their place.
func (f *FSM) createPartitions(c *internalv1.CreatePartitions) error {
	t, err := f.topic(c.GetName(), c.GetTopicId())
	if err != nil {
		return err
	}
	if int32(len(t.GetPartitions())) != c.GetCurrentCount() {
		return fmt.Errorf("%w (topic %q has %d partitions, the request expected %d)", ErrConflict, c.GetName(), len(t.GetPartitions()), c.GetCurrentCount())
	}
	for i, r := range c.GetAssignment() {
		t.Partitions = append(t.Partitions, &internalv1.PartitionInfo{
			Partition: c.GetCurrentCount() + int32(i),
			Group:     f.working.GetNextGroup(),
			Replicas:  r.GetBrokers(),
		})
		f.working.NextGroup++
	}
	return nil
}

// NextProducerID is the first producer id no broker has reserved (ids start at
// 1: 0 means "not idempotent").
func NextProducerID(st *internalv1.MetadataState) int64 {
	return max(st.GetNextProducerId(), 1)
}

// reserveProducerIDs gives the proposer ids first..first+count-1, provided
// no other reservation came first; the ids are never handed out again.
func (f *FSM) reserveProducerIDs(c *internalv1.ReserveProducerIds) error {
	next := NextProducerID(f.working)
	if c.GetFirst() != next || c.GetCount() <= 0 {
		return fmt.Errorf("%w (producer ids from %d are reserved next, the request expected %d)", ErrConflict, next, c.GetFirst())
	}
	f.working.NextProducerId = next + c.GetCount()
	return nil
}

// partitionLeader records a reported leader unless a report of a later term
// is already there, or the partition is gone.
func (f *FSM) partitionLeader(c *internalv1.PartitionLeader) {
	for i, t := range f.working.GetTopics() {
		for j, p := range t.GetPartitions() {
			if p.GetGroup() == c.GetGroup() {
				if c.GetTerm() >= p.GetLeaderTerm() {
					p = f.mutableTopic(i).GetPartitions()[j]
					p.Leader, p.LeaderTerm = c.GetLeader(), c.GetTerm()
				}
				return
			}
		}
	}
}

// upsertScramCredential creates a user or replaces its credential of the
// command's mechanism; the proposer validated the credential. A command
// without a name or credential is refused alike on every broker.
func (f *FSM) upsertScramCredential(c *internalv1.UpsertScramCredential) error {
	if c.GetName() == "" || c.GetCredential().GetCredential() == nil {
		return errors.New("user credential command without a user name or credential")
	}
	i, found := slices.BinarySearchFunc(f.working.GetUsers(), c.GetName(), func(u *internalv1.ScramUser, name string) int {
		return strings.Compare(u.GetName(), name)
	})
	u := &internalv1.ScramUser{Name: c.GetName()}
	if found {
		u = proto.CloneOf(f.working.Users[i])
	}
	mech := c.GetCredential().GetMechanism()
	u.Credentials = slices.DeleteFunc(u.Credentials, func(mc *internalv1.MechanismCredential) bool { return mc.GetMechanism() == mech })
	u.Credentials = append(u.Credentials, c.GetCredential())
	slices.SortFunc(u.Credentials, func(a, b *internalv1.MechanismCredential) int { return int(a.GetMechanism()) - int(b.GetMechanism()) })
	if found {
		f.working.Users[i] = u
	} else {
		f.working.Users = slices.Insert(f.working.Users, i, u)
	}
	return nil
}

func (f *FSM) deleteUser(name string) error {
	i, found := slices.BinarySearchFunc(f.working.GetUsers(), name, func(u *internalv1.ScramUser, name string) int {
		return strings.Compare(u.GetName(), name)
	})
	if !found {
		return fmt.Errorf("%w: %q", ErrUserNotFound, name)
	}
	f.working.Users = slices.Delete(f.working.Users, i, i+1)
	return nil
}

// keepAuthKeys is how many auth keys the state keeps: the one that signs
// and the one before, which verifies what it signed until that expires.
const keepAuthKeys = 2

// NextAuthKeyID is the id the next auth key must have.
func NextAuthKeyID(st *internalv1.MetadataState) uint32 {
	keys := st.GetAuthKeys()
	if len(keys) == 0 {
		return 1
	}
	return keys[len(keys)-1].GetId() + 1
}

// addAuthKey adds a key unless another was added since the proposer looked.
func (f *FSM) addAuthKey(k *internalv1.AuthKey) error {
	if want := NextAuthKeyID(f.working); k.GetId() != want || len(k.GetKey()) == 0 {
		return fmt.Errorf("%w (auth key %d is next, the request added %d)", ErrConflict, want, k.GetId())
	}
	f.working.AuthKeys = append(f.working.AuthKeys, k)
	if n := len(f.working.AuthKeys); n > keepAuthKeys {
		f.working.AuthKeys = slices.Clone(f.working.AuthKeys[n-keepAuthKeys:])
	}
	return nil
}

// aclKey is an ACL's identity; the proposer filled in its defaults.
func aclKey(a *sluicev1.AclBinding) string {
	return fmt.Sprintf("%d\x00%s\x00%d\x00%s\x00%s\x00%d\x00%d", a.GetResourceType(), a.GetResourceName(), a.GetPatternType(),
		a.GetPrincipal(), a.GetHost(), a.GetOperation(), a.GetPermission())
}

// createAcls adds the ACLs not present yet, into a new list (the published
// state shares the old one).
func (f *FSM) createAcls(add []*sluicev1.AclBinding) {
	have := make(map[string]bool, len(f.working.GetAcls()))
	for _, a := range f.working.GetAcls() {
		have[aclKey(a)] = true
	}
	acls := slices.Clip(f.working.GetAcls())
	changed := false
	for _, a := range add {
		if k := aclKey(a); !have[k] {
			have[k] = true
			acls = append(acls, a)
			changed = true
		}
	}
	if changed {
		f.working.Acls = acls
	}
}

// deleteAcls removes the ACLs equal to those given, into a new list.
func (f *FSM) deleteAcls(del []*sluicev1.AclBinding) {
	gone := make(map[string]bool, len(del))
	for _, a := range del {
		gone[aclKey(a)] = true
	}
	var acls []*sluicev1.AclBinding
	for _, a := range f.working.GetAcls() {
		if !gone[aclKey(a)] {
			acls = append(acls, a)
		}
	}
	if len(acls) != len(f.working.GetAcls()) {
		f.working.Acls = acls
	}
}

func (f *FSM) registerBroker(b *internalv1.BrokerInfo) {
	for i, old := range f.working.GetBrokers() {
		if old.GetId() == b.GetId() {
			f.working.Brokers[i] = b
			return
		}
	}
	f.working.Brokers = append(f.working.Brokers, b)
	sort.Slice(f.working.Brokers, func(i, j int) bool { return f.working.Brokers[i].GetId() < f.working.Brokers[j].GetId() })
}

// Applied implements engine.StateMachine: publish, then tell the proposers.
func (f *FSM) Applied() {
	changed := f.changed
	if f.cloned {
		f.published.Store(newView(f.working))
		f.cloned, f.changed, f.fresh = false, false, nil
	}
	if f.staged != nil {
		f.durable, f.staged = f.staged, nil
	}
	for _, r := range f.results {
		f.finish(r.seq, r.err)
	}
	f.results = f.results[:0]
	if changed && f.cfg.OnChange != nil {
		f.cfg.OnChange()
	}
}

// SnapshotData implements engine.StateMachine.
func (f *FSM) SnapshotData() ([]byte, error) { return proto.Marshal(f.working) }

// Restore implements engine.StateMachine.
func (f *FSM) Restore(b *storage.Batch, snap *raftpb.Snapshot) error {
	st := &internalv1.MetadataState{}
	if err := proto.Unmarshal(snap.GetData(), st); err != nil {
		return fmt.Errorf("decode metadata snapshot: %w", err)
	}
	st.AppliedIndex = snap.GetMetadata().GetIndex()
	f.working, f.cloned, f.changed = st, true, true
	f.fresh = map[*internalv1.TopicInfo]bool{}
	f.compactedTo = max(f.compactedTo, st.GetAppliedIndex())
	return f.save(b)
}

// Compaction implements engine.Compactor: once SnapshotEntries entries have
// applied since the last compaction, the log is compacted to the last state
// written and durable, which becomes the snapshot a new or lagging broker
// is sent.
func (f *FSM) Compaction() (uint64, []byte, error) {
	d := f.durable
	if d == nil || d.index < f.compactedTo+uint64(f.cfg.SnapshotEntries) {
		return 0, nil, nil
	}
	return d.index, d.raw, nil
}

// Compacted implements engine.Compactor; the state is already stored.
func (f *FSM) Compacted(_ *storage.Batch, index uint64) error {
	f.compactedTo = index
	return nil
}
