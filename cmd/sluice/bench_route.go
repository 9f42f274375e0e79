package main

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// partitionLeaders returns, per partition of topic, the address of its
// leader as the metadata knows it, or fallback where none is known: where a
// benchmark producer sends each partition's requests, as a Kafka client
// does, so that no request pays a forwarding hop.
func partitionLeaders(ctx context.Context, admin sluicev1.AdminServiceClient, topic string, partitions int32, fallback string) ([]string, error) {
	md, err := admin.GetMetadata(ctx, &sluicev1.GetMetadataRequest{Topics: []string{topic}})
	if status.Code(err) == codes.Unimplemented {
		return nil, nil // a broker without metadata: everything goes to --broker
	}
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	addr := map[uint64]string{}
	for _, b := range md.GetBrokers() {
		addr[b.GetId()] = b.GetAddress()
	}
	out := make([]string, partitions)
	for i := range out {
		out[i] = fallback
	}
	for _, t := range md.GetTopics() {
		for _, p := range t.GetPartitions() {
			if a := addr[p.GetLeaderId()]; a != "" && p.GetPartition() < partitions {
				out[p.GetPartition()] = a
			}
		}
	}
	return out, nil
}

// producerStreams opens one produce stream per distinct address in leaders
// (or one to the --broker when leaders is empty) and maps each partition to
// its stream. The connections are closed by the returned function.
func producerStreams(ctx context.Context, g *globalOptions, leaders []string, partitions int32,
	codec grpc.CallOption) ([]grpc.ClientStream, []int, func(), error) {
	var conns []*grpc.ClientConn
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close() // the benchmark is over; nothing to do about a close error
		}
	}
	index := map[string]int{}
	var streams []grpc.ClientStream
	route := make([]int, partitions)
	for p := range route {
		addr := g.broker
		if len(leaders) > 0 {
			addr = leaders[p]
		}
		i, ok := index[addr]
		if !ok {
			conn, err := g.dialAddr(addr)
			if err != nil {
				closeAll()
				return nil, nil, nil, err
			}
			conns = append(conns, conn)
			stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true},
				sluicev1.ProduceService_Produce_FullMethodName, codec)
			if err != nil {
				closeAll()
				return nil, nil, nil, fmt.Errorf("open produce stream to %s: %w", addr, err)
			}
			i = len(streams)
			index[addr] = i
			streams = append(streams, stream)
		}
		route[p] = i
	}
	return streams, route, closeAll, nil
}
