package main

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// startServer serves the given services on a loopback port for the test's
// lifetime and returns the address to pass as --broker.
func startServer(tb testing.TB, register func(*grpc.Server)) string {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := grpc.NewServer()
	register(srv)
	go srv.Serve(lis)
	tb.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// fakeAdmin serves a fixed topic.
type fakeAdmin struct {
	sluicev1.UnimplementedAdminServiceServer
	topic *sluicev1.TopicDescription

	mu      sync.Mutex
	created *sluicev1.CreateTopicRequest
	altered *sluicev1.AlterTopicConfigsRequest
	grown   *sluicev1.CreatePartitionsRequest
}

func (a *fakeAdmin) AlterTopicConfigs(_ context.Context, req *sluicev1.AlterTopicConfigsRequest) (*sluicev1.AlterTopicConfigsResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.altered = req
	return &sluicev1.AlterTopicConfigsResponse{Topic: &sluicev1.TopicDescription{Name: req.GetName(), Configs: req.GetSetConfigs()}}, nil
}

func (a *fakeAdmin) CreatePartitions(_ context.Context, req *sluicev1.CreatePartitionsRequest) (*sluicev1.CreatePartitionsResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.grown = req
	if req.GetPartitions() <= 2 {
		return nil, status.Errorf(codes.InvalidArgument, "partitions: topic %q has 2 partitions and asked for %d: the partition count can only be raised", req.GetName(), req.GetPartitions())
	}
	return &sluicev1.CreatePartitionsResponse{Topic: &sluicev1.TopicDescription{Name: req.GetName()}}, nil
}

func (a *fakeAdmin) CreateTopic(_ context.Context, req *sluicev1.CreateTopicRequest) (*sluicev1.CreateTopicResponse, error) {
	a.mu.Lock()
	a.created = req
	a.mu.Unlock()
	parts := make([]*sluicev1.PartitionDescription, req.GetPartitions())
	for i := range parts {
		parts[i] = &sluicev1.PartitionDescription{Partition: int32(i), LeaderId: 1}
	}
	return &sluicev1.CreateTopicResponse{Topic: &sluicev1.TopicDescription{Name: req.GetName(), Partitions: parts}}, nil
}

func (a *fakeAdmin) ListTopics(context.Context, *sluicev1.ListTopicsRequest) (*sluicev1.ListTopicsResponse, error) {
	return &sluicev1.ListTopicsResponse{Topics: []*sluicev1.TopicSummary{
		{Name: "events", Partitions: 12, ReplicationFactor: 3},
		{Name: "a-much-longer-topic-name", Partitions: 1, ReplicationFactor: 1},
	}}, nil
}

func (a *fakeAdmin) DescribeTopic(_ context.Context, req *sluicev1.DescribeTopicRequest) (*sluicev1.DescribeTopicResponse, error) {
	if req.GetName() != a.topic.GetName() {
		return nil, status.Errorf(codes.NotFound, "topic %q not found", req.GetName())
	}
	return &sluicev1.DescribeTopicResponse{Topic: a.topic}, nil
}

func (a *fakeAdmin) DeleteTopic(_ context.Context, req *sluicev1.DeleteTopicRequest) (*sluicev1.DeleteTopicResponse, error) {
	if req.GetName() != a.topic.GetName() {
		return nil, status.Errorf(codes.NotFound, "topic %q not found", req.GetName())
	}
	return &sluicev1.DeleteTopicResponse{}, nil
}

// fakeProducer answers produce requests in batches of window, in reverse
// order, to exercise sequence matching. Once window requests are unanswered it
// waits a moment before answering, to catch a client that sends more than its
// --max-in-flight allows.
type fakeProducer struct {
	sluicev1.UnimplementedProduceServiceServer
	window int
	// answer builds the response to a request; nil answers every request as
	// appended to partition 0.
	answer func(*sluicev1.ProduceRequest) *sluicev1.ProduceResponse

	overflow atomic.Bool // more than window requests were unanswered at once
	mu       sync.Mutex
	requests []*sluicev1.ProduceRequest
}

func (f *fakeProducer) Produce(stream sluicev1.ProduceService_ProduceServer) error {
	reqs := make(chan *sluicev1.ProduceRequest)
	go func() {
		defer close(reqs)
		for {
			req, err := stream.Recv()
			if err != nil {
				return
			}
			reqs <- req
		}
	}()
	var pending []*sluicev1.ProduceRequest
	for {
		var wait <-chan time.Time
		if len(pending) >= f.window {
			wait = time.After(5 * time.Millisecond)
		}
		select {
		case req, ok := <-reqs:
			if !ok {
				return f.answerAll(stream, pending)
			}
			f.mu.Lock()
			f.requests = append(f.requests, req)
			f.mu.Unlock()
			pending = append(pending, req)
			if len(pending) > f.window {
				f.overflow.Store(true)
			}
		case <-wait:
			if err := f.answerAll(stream, pending); err != nil {
				return err
			}
			pending = nil
		}
	}
}

func (f *fakeProducer) answerAll(stream sluicev1.ProduceService_ProduceServer, reqs []*sluicev1.ProduceRequest) error {
	for i := len(reqs) - 1; i >= 0; i-- {
		if err := stream.Send(f.respond(reqs[i])); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeProducer) respond(req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	if f.answer != nil {
		return f.answer(req)
	}
	return &sluicev1.ProduceResponse{
		Sequence: req.GetSequence(),
		Results:  []*sluicev1.ProduceResult{{Partition: 0, RecordCount: int32(len(req.GetRecords()))}},
	}
}

// fakeFetcher sends fixed responses then ends the stream, or with follow keeps
// sending one record per response until the client cancels.
type fakeFetcher struct {
	sluicev1.UnimplementedFetchServiceServer
	responses []*sluicev1.FetchResponse
	opened    chan struct{} // closed when a stream starts, if not nil

	mu  sync.Mutex
	req *sluicev1.FetchRequest
}

func (f *fakeFetcher) Fetch(req *sluicev1.FetchRequest, stream sluicev1.FetchService_FetchServer) error {
	f.mu.Lock()
	f.req = req
	f.mu.Unlock()
	for _, resp := range f.responses {
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
	if f.opened != nil {
		close(f.opened)
	}
	if !req.GetFollow() {
		return nil
	}
	for off := int64(0); ; off++ {
		resp := &sluicev1.FetchResponse{Records: []*sluicev1.Record{{Offset: off, Value: []byte("tail")}}}
		if err := stream.Send(resp); err != nil {
			return err
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-time.After(time.Millisecond):
		}
	}
}
