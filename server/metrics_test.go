package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
	"github.com/sluice-io/sluice/server/wire"
	"github.com/sluice-io/sluice/storage"
)

// adminServer serves a broker's admin endpoints on 127.0.0.1 for the test.
func adminServer(t *testing.T, b *server.Broker) string {
	t.Helper()
	srv := httptest.NewServer(b.AdminHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// scrape reads /metrics as Prometheus would.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d: %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample finds the series of a family with exactly the labels given
// (name, value pairs); ok is false when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (m *dto.Metric, ok bool) {
	f := fams[name]
	if f == nil {
		return nil, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

// value is a counter's or gauge's value; -1 when the series is absent.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m, ok := sample(fams, name, labels...)
	if !ok {
		return -1
	}
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

func histogramCount(fams map[string]*dto.MetricFamily, name string, labels ...string) uint64 {
	m, ok := sample(fams, name, labels...)
	if !ok {
		return 0
	}
	return m.GetHistogram().GetSampleCount()
}

func TestMetricsCountProducedAndFetchedRecordsPerTopic(t *testing.T) {
	b := servertest.Start(t)
	base := adminServer(t, b.Server())
	b.CreateTopic(t, "orders", 2)
	b.CreateTopic(t, "clicks", 1)

	before := scrape(t, base)
	if v := value(before, "sluice_produce_records_total", "topic", "orders"); v > 0 {
		t.Fatalf("orders produced %v records before any produce", v)
	}
	var valueBytes int
	for i, n := range []int{5, 3} {
		recs := valueRecords(fmt.Sprintf("order-%d", i), n)
		for _, r := range recs {
			valueBytes += len(r.GetValue())
		}
		b.Produce(t, "orders", int32(i), recs...)
	}
	b.Produce(t, "clicks", 0, valueRecords("click", 2)...)
	got := b.FetchAll(t, "orders", 0, 0)
	got = append(got, b.FetchAll(t, "orders", 1, 0)...)
	if len(got) != 8 {
		t.Fatalf("fetched %d records of orders, want 8", len(got))
	}

	fams := scrape(t, base)
	for _, c := range []struct {
		name, topic string
		want        float64
	}{
		{"sluice_produce_records_total", "orders", 8},
		{"sluice_produce_records_total", "clicks", 2},
		{"sluice_fetch_records_total", "orders", 8},
		{"sluice_fetch_records_total", "clicks", 0},
	} {
		if v := value(fams, c.name, "topic", c.topic); v != c.want {
			t.Errorf("%s{topic=%q} = %v, want %v", c.name, c.topic, v, c.want)
		}
	}
	// Stored records carry their values and at most MaxRecordOverhead each.
	pb := value(fams, "sluice_produce_bytes_total", "topic", "orders")
	if pb < float64(valueBytes) || pb > float64(valueBytes+8*wire.MaxRecordOverhead) {
		t.Errorf("sluice_produce_bytes_total{topic=orders} = %v, want between %d and %d", pb, valueBytes, valueBytes+8*wire.MaxRecordOverhead)
	}
	if fb := value(fams, "sluice_fetch_bytes_total", "topic", "orders"); fb < float64(valueBytes) {
		t.Errorf("sluice_fetch_bytes_total{topic=orders} = %v, want at least the %d bytes of the values", fb, valueBytes)
	}
	// One Produce request per Produce call above; two CreateTopic calls.
	if n := histogramCount(fams, "sluice_request_duration_seconds", "rpc", "Produce"); n != 3 {
		t.Errorf("sluice_request_duration_seconds{rpc=Produce} counted %d requests, want 3", n)
	}
	if n := histogramCount(fams, "sluice_request_duration_seconds", "rpc", "Fetch"); n < 2 {
		t.Errorf("sluice_request_duration_seconds{rpc=Fetch} counted %d responses, want at least 2", n)
	}
	if n := histogramCount(fams, "sluice_request_duration_seconds", "rpc", "CreateTopic"); n != 2 {
		t.Errorf("sluice_request_duration_seconds{rpc=CreateTopic} counted %d calls, want 2", n)
	}
	if v := value(fams, "grpc_server_handled_total", "grpc_type", "unary", "grpc_service", "sluice.v1.AdminService",
		"grpc_method", "CreateTopic", "grpc_code", "OK"); v != 2 {
		t.Errorf("grpc_server_handled_total of CreateTopic OK = %v, want 2", v)
	}
	// The Produce streams (one per call) are counted, though not per message.
	if v := value(fams, "grpc_server_handled_total", "grpc_type", "bidi_stream", "grpc_service", "sluice.v1.ProduceService",
		"grpc_method", "Produce", "grpc_code", "OK"); v != 3 {
		t.Errorf("grpc_server_handled_total of Produce OK = %v, want 3", v)
	}
	if n := histogramCount(fams, "grpc_server_handling_seconds", "grpc_type", "bidi_stream", "grpc_service", "sluice.v1.ProduceService", "grpc_method", "Produce"); n != 3 {
		t.Errorf("grpc_server_handling_seconds of Produce counted %d streams, want 3", n)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "sluice_group_commits_total"} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}

	// A deleted topic's series go away.
	if _, err := b.AdminClient.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "clicks"}); err != nil {
		t.Fatal(err)
	}
	servertest.WaitFor(t, 10*time.Second, func() bool {
		return value(scrape(t, base), "sluice_produce_records_total", "topic", "clicks") == -1
	})
}

func TestReadyzIsUnavailableUntilTheBrokerServes(t *testing.T) {
	opts := storage.DefaultOptions("")
	opts.InMemory = true
	srv, err := server.New(server.Config{Storage: opts, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	base := adminServer(t, srv)
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Fatalf("/readyz before Serve: %d %q, want 503 and why", code, body)
	}
	if code, _ := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d, want 200", code)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(t.Context(), lis) }()
	servertest.WaitFor(t, 20*time.Second, func() bool {
		code, _ := httpGet(t, base+"/readyz")
		return code == http.StatusOK
	})
	srv.Shutdown()
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz after Shutdown: %d %q, want 503 and why", code, body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestPprofIsServedOnTheAdminHandler(t *testing.T) {
	b := servertest.Start(t)
	base := adminServer(t, b.Server())
	if code, body := httpGet(t, base+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/goroutine: %d, want 200 and a profile", code)
	}
}

func commitAt(t *testing.T, b *servertest.Broker, group, topic string, offsets ...int64) {
	t.Helper()
	req := &sluicev1.CommitOffsetsRequest{GroupId: group}
	for p, o := range offsets {
		req.Offsets = append(req.Offsets, &sluicev1.CommittedOffset{Topic: topic, Partition: int32(p), Offset: o})
	}
	if _, err := b.GroupClient.CommitOffsets(t.Context(), req); err != nil {
		t.Fatalf("commit %v: %v", offsets, err)
	}
}

func TestConsumerLagRisesPastTheCommitAndFallsToZeroOnCommit(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.GroupLagPerPartition = true }))
	base := adminServer(t, b.Server())
	b.CreateTopic(t, "events", 2)
	b.Produce(t, "events", 0, valueRecords("a", 10)...)
	b.Produce(t, "events", 1, valueRecords("b", 4)...)
	commitAt(t, b, "billing", "events", 6, 4)

	lag := func() (topic, p0, p1 float64) {
		fams := scrape(t, base)
		return value(fams, "sluice_consumer_group_lag_records", "group", "billing", "topic", "events"),
			value(fams, "sluice_consumer_group_partition_lag_records", "group", "billing", "topic", "events", "partition", "0"),
			value(fams, "sluice_consumer_group_partition_lag_records", "group", "billing", "topic", "events", "partition", "1")
	}
	if l, p0, p1 := lag(); l != 4 || p0 != 4 || p1 != 0 {
		t.Fatalf("lag after commit 6,4 of 10,4 records: topic %v, partitions %v %v; want 4, 4 0", l, p0, p1)
	}
	b.Produce(t, "events", 1, valueRecords("c", 5)...)
	if l, p0, p1 := lag(); l != 9 || p0 != 4 || p1 != 5 {
		t.Fatalf("lag after 5 more records to partition 1: topic %v, partitions %v %v; want 9, 4 5", l, p0, p1)
	}
	commitAt(t, b, "billing", "events", 10, 9)
	if l, p0, p1 := lag(); l != 0 || p0 != 0 || p1 != 0 {
		t.Fatalf("lag after committing the ends: topic %v, partitions %v %v; want 0", l, p0, p1)
	}
	fams := scrape(t, base)
	if v := value(fams, "sluice_group_commits_total"); v != 2 {
		t.Errorf("sluice_group_commits_total = %v, want 2", v)
	}
	if v := value(fams, "sluice_group_members", "group", "billing"); v != 0 {
		t.Errorf("sluice_group_members{group=billing} = %v, want 0 (commits without members)", v)
	}
}

func TestConsumerLagIsPerTopicUnlessAskedPerPartition(t *testing.T) {
	b := servertest.Start(t)
	base := adminServer(t, b.Server())
	b.CreateTopic(t, "events", 2)
	b.Produce(t, "events", 0, valueRecords("a", 3)...)
	commitAt(t, b, "billing", "events", 1)
	fams := scrape(t, base)
	if v := value(fams, "sluice_consumer_group_lag_records", "group", "billing", "topic", "events"); v != 2 {
		t.Errorf("sluice_consumer_group_lag_records = %v, want 2", v)
	}
	if f := fams["sluice_consumer_group_partition_lag_records"]; f != nil {
		t.Errorf("per-partition lag exported without GroupLagPerPartition: %v", f)
	}
}

func TestGroupMembersAndRebalancesAreExported(t *testing.T) {
	b := servertest.Start(t)
	base := adminServer(t, b.Server())
	b.CreateTopic(t, "events", 2)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	stream, err := b.GroupClient.MemberSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(joinReq(&sluicev1.JoinGroup{GroupId: "readers", Topics: []string{"events"}})); err != nil {
		t.Fatal(err)
	}
	// The first assignment is of the generation before the member's; its
	// partitions come with the next one, a rebalance.
	for {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("join: %v", err)
		}
		if resp.GetAssignment().GetGeneration() >= 1 {
			break
		}
	}
	fams := scrape(t, base)
	if v := value(fams, "sluice_group_members", "group", "readers"); v != 1 {
		t.Errorf("sluice_group_members{group=readers} = %v, want 1", v)
	}
	if v := value(fams, "sluice_group_rebalances_total"); v < 1 {
		t.Errorf("sluice_group_rebalances_total = %v after a member joined, want at least 1", v)
	}
}
