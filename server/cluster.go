package server

import (
	"context"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/raftmeta"
)

// joinRetry is how often a joining broker asks again until it sees itself in
// the metadata it now follows.
const joinRetry = 500 * time.Millisecond

// clusterService answers brokers that join the cluster.
type clusterService struct {
	internalv1.UnimplementedClusterServiceServer
	b *Broker
}

// Join registers the broker and adds it to the metadata group as a learner.
// The learner then receives the metadata from the controller (a snapshot,
// then the log) and converges on the replicas placed on it.
func (s *clusterService) Join(ctx context.Context, req *internalv1.JoinRequest) (*internalv1.JoinResponse, error) {
	if req.GetNodeId() == 0 || req.GetAddress() == "" {
		return nil, badRequest("node_id", "a joining broker needs a node id and an address")
	}
	if err := s.b.checkJoiner(ctx, req.GetNodeId()); err != nil {
		return nil, err
	}
	reg := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_RegisterBroker{RegisterBroker: &internalv1.RegisterBroker{
		Broker: &internalv1.BrokerInfo{Id: req.GetNodeId(), Address: req.GetAddress(), Rack: req.GetRack()},
	}}}
	if err := s.b.meta.Propose(ctx, reg); err != nil {
		return nil, err
	}
	typ := raftpb.ConfChangeAddLearnerNode
	id := req.GetNodeId()
	if err := s.b.eng.ProposeConfChange(raftmeta.Group, &raftpb.ConfChange{Type: &typ, NodeId: &id}); err != nil {
		return nil, err
	}
	st := s.b.meta.State()
	return &internalv1.JoinResponse{ClusterId: st.GetClusterId(), Brokers: st.GetBrokers()}, nil
}

// joinLoop asks the broker at b.cfg.Join to add this broker until this
// broker sees its own registration in the metadata it follows.
func (b *Broker) joinLoop(addr string) {
	defer b.bg.Done()
	req := &internalv1.JoinRequest{NodeId: b.cfg.NodeID, Address: addr, Rack: b.cfg.Rack}
	for !b.isRegistered(addr) {
		if conn, err := b.clientConn(b.cfg.Join); err == nil {
			ctx, cancel := context.WithTimeout(b.lifetime, 5*time.Second)
			resp, err := internalv1.NewClusterServiceClient(conn).Join(ctx, req)
			cancel()
			if err != nil {
				b.log.Debug("join cluster", "via", b.cfg.Join, "err", err)
			} else {
				b.learnPeers(resp.GetBrokers())
			}
		}
		select {
		case <-b.stopping:
			return
		case <-time.After(joinRetry):
		}
	}
}

// learnPeers remembers brokers' addresses from a join response until the
// metadata (which has them too) arrives.
func (b *Broker) learnPeers(brokers []*internalv1.BrokerInfo) {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	for _, br := range brokers {
		b.joinPeers[br.GetId()] = br.GetAddress()
	}
}
