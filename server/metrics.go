package server

import (
	"context"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
)

// Metrics (docs/metrics.md). Each broker has its own registry, so brokers
// in one process (test clusters) never share a series. The hot paths pay
// an atomic add: a topic's counters are resolved once per produce request
// or fetch stream (topicCounters), never per record.

// requestBuckets are the bounds of sluice_request_duration_seconds: from
// 100 µs (a cached fetch) to 10 s (a produce waiting out an election).
var requestBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// metrics is a broker's registry and the series the front door counts.
type metrics struct {
	reg  *prometheus.Registry
	grpc *grpcprom.ServerMetrics

	produceRecords, produceBytes *prometheus.CounterVec
	fetchRecords, fetchBytes     *prometheus.CounterVec
	requestDuration              *prometheus.HistogramVec
	// produceDuration and fetchDuration are requestDuration's series of the
	// two streams, resolved once.
	produceDuration, fetchDuration prometheus.Observer
	// unary is requestDuration's series of each public unary method, by
	// full method name; written before the server serves, then only read.
	unary map[string]prometheus.Observer

	// topics caches each topic's counters (*topicCounters) by name.
	topics sync.Map
}

// topicCounters are one topic's series, resolved once.
type topicCounters struct {
	produceRecords, produceBytes prometheus.Counter
	fetchRecords, fetchBytes     prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets(requestBuckets))),
		produceRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_produce_records_total",
			Help: "Records written to the topic's partitions that this broker leads: acknowledged, or accepted for acks=NONE.",
		}, []string{"topic"}),
		produceBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_produce_bytes_total",
			Help: "Bytes of those records as stored (after any compression by the broker).",
		}, []string{"topic"}),
		fetchRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_fetch_records_total",
			Help: "Records sent to consumers from the topic's replicas on this broker.",
		}, []string{"topic"}),
		fetchBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_fetch_bytes_total",
			Help: "Bytes of the fetch responses carrying those records.",
		}, []string{"topic"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sluice_request_duration_seconds",
			Help:    "Time to serve one request: a Produce request from its receipt to its acknowledgement, the assembly of a Fetch response, a unary call end to end.",
			Buckets: requestBuckets,
		}, []string{"rpc"}),
		unary: map[string]prometheus.Observer{},
	}
	m.produceDuration = m.requestDuration.WithLabelValues("Produce")
	m.fetchDuration = m.requestDuration.WithLabelValues("Fetch")
	m.reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		m.grpc, m.produceRecords, m.produceBytes, m.fetchRecords, m.fetchBytes, m.requestDuration,
	)
	return m
}

// Registry is the broker's metrics registry: what /metrics serves. Tests
// and embedders may gather it directly.
func (b *Broker) Registry() *prometheus.Registry { return b.metrics.reg }

// registerMetrics registers the collectors that read the broker's state
// at scrape time: the groups' (metrics_groups.go) and the lower layers'
// (metrics_internal.go).
func (b *Broker) registerMetrics() {
	b.metrics.reg.MustRegister(newGroupCollector(b))
	b.metrics.reg.MustRegister(b.internalCollectors()...)
}

// initServiceMetrics creates the series of every public method the gRPC
// server serves, once its services are registered, so that a dashboard
// sees zeros rather than no data before the first call (the brokers'
// internal methods get theirs on first use).
func (m *metrics) initServiceMetrics(srv *grpc.Server) {
	m.grpc.InitializeMetrics(publicServices{srv})
	for name, info := range (publicServices{srv}).GetServiceInfo() {
		for _, mi := range info.Methods {
			if !mi.IsClientStream && !mi.IsServerStream {
				m.unary["/"+name+"/"+mi.Name] = m.requestDuration.WithLabelValues(mi.Name)
			}
		}
	}
}

// unaryDuration observes sluice_request_duration_seconds of the public
// unary calls.
func (m *metrics) unaryDuration(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	obs, ok := m.unary[info.FullMethod]
	if !ok {
		return handler(ctx, req)
	}
	start := time.Now()
	resp, err := handler(ctx, req)
	obs.Observe(time.Since(start).Seconds())
	return resp, err
}

// produced counts a part written to the topic.
func (tc *topicCounters) produced(pt *part) {
	tc.produceRecords.Add(float64(pt.count))
	tc.produceBytes.Add(float64(len(pt.records)))
}

// fetched counts a fetch response of n records.
func (tc *topicCounters) fetched(n, bytes int) {
	tc.fetchRecords.Add(float64(n))
	tc.fetchBytes.Add(float64(bytes))
}

// The hot streams (Produce, Fetch, the peers' raft transport) skip the gRPC
// provider's per-message reporting: it costs two clock reads, a slice and
// the hashing and UTF-8 check of four label values for every message
// received and sent, a few percent of a small produce request's CPU. Their
// calls are still counted (started, handled by code, handling time);
// sluice_request_duration_seconds counts their requests and responses.
// stashStream, before the provider's interceptor, keeps the stream in its
// context; unstashStream, after it, hands the handler that stream instead
// of the provider's counting wrapper.

type stashedStreamKey struct{}

// contextStream is a stream with another context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

func isHotStream(fullMethod string) bool {
	return fullMethod == sluicev1.ProduceService_Produce_FullMethodName ||
		fullMethod == sluicev1.FetchService_Fetch_FullMethodName || isPeerMethod(fullMethod)
}

func stashStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if !isHotStream(info.FullMethod) {
		return handler(srv, ss)
	}
	return handler(srv, &contextStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), stashedStreamKey{}, ss)})
}

func unstashStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	orig, ok := ss.Context().Value(stashedStreamKey{}).(grpc.ServerStream)
	if !ok {
		return handler(srv, ss)
	}
	return handler(srv, &contextStream{ServerStream: orig, ctx: ss.Context()})
}

// topic returns a topic's counters, creating its series on first use.
func (m *metrics) topic(name string) *topicCounters {
	if tc, ok := m.topics.Load(name); ok {
		return tc.(*topicCounters)
	}
	tc := &topicCounters{
		produceRecords: m.produceRecords.WithLabelValues(name),
		produceBytes:   m.produceBytes.WithLabelValues(name),
		fetchRecords:   m.fetchRecords.WithLabelValues(name),
		fetchBytes:     m.fetchBytes.WithLabelValues(name),
	}
	actual, _ := m.topics.LoadOrStore(name, tc)
	return actual.(*topicCounters)
}

// forgetTopics drops the series of topics that no longer exist, so that a
// cluster that creates and deletes many topics does not grow without end.
func (m *metrics) forgetTopics(meta *raftmeta.FSM) {
	m.topics.Range(func(k, _ any) bool {
		name := k.(string)
		if meta.Topic(name) == nil {
			m.topics.Delete(name)
			for _, v := range []*prometheus.CounterVec{m.produceRecords, m.produceBytes, m.fetchRecords, m.fetchBytes} {
				v.DeleteLabelValues(name)
			}
		}
		return true
	})
}
