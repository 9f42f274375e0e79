package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/wire"
)

// Any broker accepts any request: records for a partition this broker does
// not lead are forwarded to the leader, once. SDKs route to leaders themselves
// and never pay for the extra hop.

const (
	forwardedKey   = "x-sluice-forwarded"
	forwardTimeout = 30 * time.Second
)

// isForwarded reports whether a request came from another broker.
func isForwarded(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	return len(md.Get(forwardedKey)) > 0
}

// clientConn returns a shared connection to another broker.
func (b *Broker) clientConn(addr string) (*grpc.ClientConn, error) {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	if c := b.conns[addr]; c != nil {
		return c, nil
	}
	c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	b.conns[addr] = c
	return c, nil
}

func (b *Broker) closeConns() {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	for addr, c := range b.conns {
		_ = c.Close()
		delete(b.conns, addr)
	}
}

// forwardProduce sends one partition's records to its leader (lead, or when
// unknown the partition's replicas in turn) and returns the base offset. A
// not-leader answer that names another leader is followed once.
func (b *Broker) forwardProduce(ctx context.Context, topic *internalv1.TopicInfo, pt *part, acks sluicev1.Acks, lead uint64) (int64, error) {
	req, err := forwardRequest(topic, pt, acks)
	if err != nil {
		return -1, fmt.Errorf("forward to leader: %w", err)
	}
	if p := pt.producer; p != nil {
		req = wire.AppendProducer(req, p.ID, p.Epoch, p.BaseSequence)
	}
	targets := []uint64{lead}
	if lead == 0 {
		targets = b.otherReplicas(topic.GetPartitions()[pt.partition])
	}
	err = b.notLeader(topic.GetName(), pt.partition, lead)
	followed := false
	for i := 0; i < len(targets); i++ {
		addr, ok := b.peerAddr(targets[i])
		if !ok {
			continue
		}
		var base int64
		base, err = b.produceAt(ctx, addr, req)
		if err == nil {
			return base, nil
		}
		var nl *notLeaderError
		if errors.As(err, &nl) && nl.leader != 0 && !followed && nl.leader != b.cfg.NodeID {
			targets, i, followed = []uint64{nl.leader}, -1, true
		}
	}
	return -1, err
}

// produceAt sends one pre-encoded produce request to a broker.
func (b *Broker) produceAt(ctx context.Context, addr string, req []byte) (int64, error) {
	conn, err := b.clientConn(addr)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, forwardedKey, "1"), forwardTimeout)
	defer cancel()
	codec, err := newRawCodec()
	if err != nil {
		return -1, err
	}
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx, grpc.ForceCodecV2(codec))
	if err != nil {
		return -1, err
	}
	if err := stream.SendMsg(&rawMessage{b: req}); err != nil {
		return -1, err
	}
	if err := stream.CloseSend(); err != nil {
		return -1, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return -1, err
	}
	if e := resp.GetError(); e != nil {
		return -1, fromError(e)
	}
	if len(resp.GetResults()) != 1 {
		return -1, fmt.Errorf("leader answered %d results for one partition", len(resp.GetResults()))
	}
	if e := resp.GetResults()[0].GetError(); e != nil {
		return -1, fromError(e)
	}
	return resp.GetResults()[0].GetBaseOffset(), nil
}

// fromError turns an error reported by another broker back into the error
// that toStatus maps to the same status.
func fromError(e *sluicev1.Error) error {
	if nl := e.GetNotLeader(); nl != nil {
		return &notLeaderError{topic: nl.GetTopic(), partition: nl.GetPartition(), leader: nl.GetLeaderId(), addr: nl.GetLeaderAddress()}
	}
	return status.Error(codes.Code(e.GetCode()), e.GetMessage())
}
